"""The audit trail of a case, told as a readable timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l

from casework.extensions import db
from casework.models import AuditEvent, Case, User
from casework.vocabulary import (
    ActionStatus,
    ActionTeam,
    CaseState,
    Category,
    Market,
    Resolution,
    ReviewDecision,
    Role,
    SignalSource,
    SignalStatus,
    Surface,
    label,
)
from casework.workflow import timeline_verbs

# What the event's action says, per kind of entity.
VERBS = {
    ("case", "created"): _l("opened the case"),
    ("case", "pdf_downloaded"): _l("downloaded the PDF summary"),
    ("case", "updated"): _l("edited the case"),
    ("signal", "qualified"): _l("qualified a signal into the case"),
    ("signal", "marked_duplicate"): _l("linked a duplicate signal"),
    ("action", "created"): _l("added a mitigation action"),
    ("action", "updated"): _l("updated a mitigation action"),
    ("comment", "created"): _l("commented"),
    ("review", "created"): _l("recorded a review"),
    # Each workflow step in the words of its own definition.
    **{("case", action.value): verb for action, verb in timeline_verbs().items()},
}

FIELD_LABELS = {
    "title": _l("Title"), "summary": _l("Summary"), "assessment": _l("Assessment"),
    "category": _l("Category"), "likelihood": _l("Likelihood"), "impact": _l("Impact"),
    "score": _l("Score"), "state": _l("State"), "resolution": _l("Resolution"),
    "dismissal_reason": _l("Reason"), "owner": _l("Owner"), "markets": _l("Markets"),
    "surfaces": _l("Surfaces"), "team": _l("Team"), "owner_name": _l("Who"),
    "owner_user": _l("Casework user"), "due": _l("Due"), "status": _l("Status"),
    "outcome": _l("Outcome"), "body": _l("Comment"), "decision": _l("Decision"),
    "residual_likelihood": _l("Residual likelihood"),
    "residual_impact": _l("Residual impact"), "note": _l("Note"), "source": _l("Source"),
    "market": _l("Market"), "surface": _l("Surface"), "case": _l("Case"),
    "role": _l("Role"), "active": _l("Active"), "email": _l("E-mail"), "name": _l("Name"),
    "description": _l("Description"), "url": _l("Link"), "observed_at": _l("Observed"),
    "external_ref": _l("External reference"), "duplicate_of_signal": _l("Duplicate of"),
    "restricted": _l("Restricted"), "audience": _l("Edition"), "fingerprint": _l("Fingerprint"),
}

# Fields whose values are canonical enum values, shown by their labels.
FIELD_ENUMS = {
    "category": Category, "state": CaseState, "resolution": Resolution, "markets": Market,
    "surfaces": Surface, "team": ActionTeam, "decision": ReviewDecision,
    "source": SignalSource, "market": Market, "surface": Surface, "role": Role,
}
STATUS_ENUMS = {"action": ActionStatus, "signal": SignalStatus}
# A case summary's audience (casework.reports.summary.Audience, which imports this module).
AUDIENCE_LABELS = {"internal": _l("internal"), "partner": _l("partner")}
# Long texts are summarised in the timeline; the current value is on the page.
LONG_FIELDS = frozenset({"summary", "assessment", "description", "body", "outcome"})


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class TimelineEntry:
    event: AuditEvent
    actor_name: str
    verb: str
    changes: list[Change]


def _show(field: str, value, entity_type: str, names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_show(field, item, entity_type, names) for item in value)
    if field in ("owner", "owner_user") and isinstance(value, str):
        return names.get(value, value)
    enum_cls = STATUS_ENUMS.get(entity_type) if field == "status" else FIELD_ENUMS.get(field)
    if enum_cls is not None:
        return label(value, enum_cls)
    if field == "due" and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    if field == "observed_at" and isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value), "medium")
        except ValueError:
            return value
    if field == "audience" and value in AUDIENCE_LABELS:
        return str(AUDIENCE_LABELS[value])
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    text = str(value)
    if field in LONG_FIELDS and len(text) > 160:
        return text[:157] + "…"
    return text


def describe(event: AuditEvent, names: dict[str, str]) -> TimelineEntry:
    verb = VERBS.get((event.entity_type, event.action),
                     f"{event.entity_type} {event.action.replace('_', ' ')}")
    changes = []
    for field, value in (event.changes or {}).items():
        is_pair = event.action != "created" and isinstance(value, list) and len(value) == 2
        before, after = value if is_pair else (None, value)
        if event.action == "created" and value in (None, "", []):
            continue
        changes.append(Change(
            str(FIELD_LABELS.get(field, field)),
            _show(field, before, event.entity_type, names) if is_pair else "",
            _show(field, after, event.entity_type, names),
        ))
    actor_name = event.actor.name if event.actor else str(_l("System"))
    return TimelineEntry(event, actor_name, str(verb), changes)


def case_events(case: Case) -> sa.Select:
    """The case's audit events, newest first, with who did them."""
    return (sa.select(AuditEvent).where(AuditEvent.case_id == case.id)
            .options(sa.orm.joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc()))


def describe_events(events) -> list[TimelineEntry]:
    """``events`` in words, in the order given."""
    names = dict(db.session.execute(sa.select(User.email, User.name)).all())
    return [describe(event, names) for event in events]


def latest_timeline(case: Case, limit: int) -> list[TimelineEntry]:
    """The case's latest ``limit`` audit events, newest first, in words."""
    return describe_events(db.session.scalars(case_events(case).limit(limit)))
