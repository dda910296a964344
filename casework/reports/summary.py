"""What a case's PDF summary shows, per audience, and the fingerprint of the case's data.

*internal* shows everything; *partner* (policy and comms partners outside the team) shows
no comments, no notes, no names or e-mail addresses of Casework users beyond the owner's
role, and no evidence or links to it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _

from casework.audit.timeline import describe
from casework.extensions import db
from casework.models import AuditEvent, Case, User
from casework.vocabulary import AuditAction, TransitionAction, label


class Audience(StrEnum):
    INTERNAL = "internal"
    PARTNER = "partner"


# Audit events that record reading, not changing: not part of the case's data.
DOWNLOAD_ACTION = AuditAction.PDF_DOWNLOADED
# Fields of audit events partners do not see: people, free-text notes, evidence.
PARTNER_HIDDEN_FIELDS = frozenset({
    "owner", "owner_user", "body", "note", "url", "description", "external_ref", "email",
    "name", "dismissal_reason", "duplicate_of_signal",
})
PARTNER_HIDDEN_ENTITIES = frozenset({"comment"})
# A signal's description is evidence: the summary shows its first line's worth only.
EXCERPT_LENGTH = 80
EMAIL = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+\.[A-Za-z]{2,}")


class Redactor:
    """Free text for partners: e-mail addresses removed, team members' names replaced by
    their role."""

    def __init__(self, users: list[tuple[str, object]]):
        roles = {name: label(role) for name, role in users if name and name.strip()}
        self.roles = roles
        # Longest first, so "Anna Maria Berger" wins over "Anna Maria".
        names = sorted(roles, key=len, reverse=True)
        self.pattern = (re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names))
                        if names else None)

    def __call__(self, text: str | None) -> str:
        text = EMAIL.sub(_("[e-mail removed]"), text or "")
        if self.pattern is not None:
            text = self.pattern.sub(lambda match: self.roles[match.group(0)], text)
        return text


def evidence(description: str | None, url: str | None) -> str:
    """A signal's description cut to a line, and its link, as lines of one text."""
    flat = " ".join((description or "").split())
    if len(flat) > EXCERPT_LENGTH:
        flat = flat[:EXCERPT_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" .,;:") + "…"
    link = f"{_('Link')}: {' '.join(url.split())}" if url else ""
    return "\n".join(line for line in (flat, link) if line)


@dataclass
class TimelineLine:
    when: datetime
    who: str
    verb: str
    changes: list[tuple[str, str, str]]
    note: str = ""
    milestone: bool = False  # opened, a workflow step, a review

    @property
    def details(self) -> str:
        """The note and the changes as one run of text: one line for most events."""
        changes = [f"{name}: {before} → {after}" if before else f"{name}: {after}"
                   for name, before, after in self.changes]
        return "; ".join([self.note, *changes] if self.note else changes)


# A printed summary carries the story, not every keystroke: every milestone and the most
# recent other events, up to this many lines. The fingerprint still covers all events,
# and the full trail stays in Casework (and in `flask casework audit export`).
TIMELINE_LIMIT = 30
MILESTONES = frozenset({("case", "created"), ("review", "created"),
                        *(("case", action.value) for action in TransitionAction)})


def is_milestone(event: AuditEvent) -> bool:
    return (event.entity_type, event.action) in MILESTONES


def shorten(events: list[AuditEvent], limit: int = TIMELINE_LIMIT) -> tuple[list, int]:
    """The events to print, oldest first, and how many were left out."""
    if len(events) <= limit:
        return events, 0
    keep = {i for i, event in enumerate(events) if is_milestone(event)}
    for i in range(len(events) - 1, -1, -1):
        if len(keep) >= limit:
            break
        keep.add(i)
    kept = [event for i, event in enumerate(events) if i in keep]
    return kept, len(events) - len(kept)


@dataclass
class CaseSummary:
    case: Case
    audience: Audience
    generated_at: datetime
    generated_by: str
    fingerprint: str
    owner: str
    text: dict[str, str]
    signals: list[dict]
    actions: list[dict]
    reviews: list[dict]
    timeline: list[TimelineLine]
    comments: list[dict] = field(default_factory=list)
    earlier_events: int = 0  # audit events left out of the printed timeline

    @property
    def is_partner(self) -> bool:
        return self.audience == Audience.PARTNER


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _events(case: Case) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.case_id == case.id,
                                    AuditEvent.action != DOWNLOAD_ACTION)
        .options(sa.orm.joinedload(AuditEvent.actor)).order_by(AuditEvent.id)))


def case_data(case: Case, events: list[AuditEvent]) -> dict:
    """Everything recorded about the case, as plain JSON values (the fingerprint's input)."""
    return {
        "case": {
            "key": case.key, "title": case.title, "summary": case.summary,
            "assessment": case.assessment, "category": case.category.value,
            "likelihood": case.likelihood, "impact": case.impact, "score": case.score,
            "state": case.state.value,
            "resolution": case.resolution.value if case.resolution else None,
            "dismissal_reason": case.dismissal_reason, "restricted": case.restricted,
            "owner": case.owner.email if case.owner else None,
            "markets": [m.value for m in case.markets],
            "surfaces": [s.value for s in case.surfaces],
            "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
            "closed_at": _iso(case.closed_at), "version": case.version,
        },
        "signals": [{
            "id": s.id, "title": s.title, "description": s.description,
            "source": s.source.value, "market": s.market.value,
            "surface": s.surface.value if s.surface else None, "category": s.category.value,
            "url": s.url, "observed_at": _iso(s.observed_at), "external_ref": s.external_ref,
            "status": s.status.value, "created_at": _iso(s.created_at),
        } for s in case.signals],
        "actions": [{
            "id": a.id, "title": a.title, "team": a.team.value,
            "owner": a.owner_user.email if a.owner_user else a.owner_name,
            "due": _iso(a.due), "status": a.status.value, "outcome": a.outcome,
        } for a in case.actions],
        "reviews": [{
            "id": r.id, "reviewer": r.reviewer.email, "decision": r.decision.value,
            "resolution": r.resolution.value if r.resolution else None,
            "residual_likelihood": r.residual_likelihood,
            "residual_impact": r.residual_impact, "note": r.note,
            "created_at": _iso(r.created_at),
        } for r in case.reviews],
        "comments": [{
            "id": c.id, "author": c.author.email, "body": c.body,
            "created_at": _iso(c.created_at),
        } for c in case.comments],
        "audit": [{
            "id": e.id, "occurred_at": _iso(e.occurred_at),
            "actor": e.actor.email if e.actor else None, "entity_type": e.entity_type,
            "entity_id": e.entity_id, "action": e.action, "changes": e.changes,
            "note": e.note,
        } for e in events],
    }


def fingerprint(data: dict) -> str:
    """SHA-256 of the canonical JSON of ``data``: equal data, equal fingerprint."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _person(user: User | None, partner: bool) -> str:
    if user is None:
        return _("Casework")
    return label(user.role) if partner else user.name


def _timeline(events: list[AuditEvent], partner: bool,
              redact: Redactor) -> tuple[list[TimelineLine], int]:
    """The printed timeline and how many events it leaves out. Only the printed events are
    described: describing all of a long trail took longer than the rest of the summary."""
    if partner:
        events = [event for event in events if event.entity_type not in PARTNER_HIDDEN_ENTITIES]
    events, left_out = shorten(events)
    names = dict(db.session.execute(sa.select(User.email, User.name)).all())
    lines = []
    for event in events:
        shown = event
        if partner:
            # describe() reads only these attributes; partners get a copy without the
            # fields they may not see.
            shown = SimpleNamespace(
                entity_type=event.entity_type, action=event.action, actor=None,
                changes={name: value for name, value in (event.changes or {}).items()
                         if name not in PARTNER_HIDDEN_FIELDS})
        entry = describe(shown, {} if partner else names)
        lines.append(TimelineLine(
            when=event.occurred_at, who=_person(event.actor, partner), verb=entry.verb,
            changes=[(c.field, redact(c.before) if partner else c.before,
                      redact(c.after) if partner else c.after) for c in entry.changes],
            note="" if partner else (event.note or ""),
            milestone=is_milestone(event),
        ))
    return lines, left_out


def build_summary(case: Case, audience: Audience, *, generated_by: str,
                  now: datetime) -> CaseSummary:
    """The summary of ``case`` for ``audience``; the caller has checked the reader's access."""
    partner = audience == Audience.PARTNER
    events = _events(case)
    redact = Redactor(db.session.execute(sa.select(User.name, User.role)).all())

    def text(value: str | None) -> str:
        return redact(value) if partner else (value or "")

    owner = _person(case.owner, partner) if case.owner else _("Nobody yet")
    signals = [{
        "id": s.id, "title": text(s.title), "source": label(s.source),
        "market": s.market.value, "surface": label(s.surface) if s.surface else "",
        "received": s.created_at, "observed": s.observed_at,
        # Descriptions and links point at the evidence: internal only.
        "evidence": "" if partner else evidence(s.description, s.url),
    } for s in case.signals]
    actions = [{
        "title": text(a.title), "team": label(a.team),
        "owner": (_person(a.owner_user, partner) if a.owner_user else text(a.owner_name)),
        "due": a.due, "status": label(a.status), "outcome": text(a.outcome),
    } for a in case.actions]
    reviews = [{
        "reviewer": _person(r.reviewer, partner), "decision": label(r.decision),
        "resolution": label(r.resolution) if r.resolution else "",
        "residual": (f"{r.residual_likelihood} × {r.residual_impact} = {r.residual_score} · "  # noqa: RUF001
                     f"{label(r.residual_band)}") if r.residual_score else "",
        "note": "" if partner else r.note, "when": r.created_at,
    } for r in case.reviews]
    timeline, left_out = _timeline(events, partner, redact)
    comments = [] if partner else [
        {"author": c.author.name, "when": c.created_at, "body": c.body} for c in case.comments
    ]
    return CaseSummary(
        case=case, audience=audience, generated_at=now, generated_by=generated_by,
        fingerprint=fingerprint(case_data(case, events)), owner=owner,
        text={"title": text(case.title), "summary": text(case.summary),
              "assessment": text(case.assessment),
              "dismissal_reason": "" if partner else (case.dismissal_reason or "")},
        signals=signals, actions=actions, reviews=reviews,
        timeline=timeline, comments=comments, earlier_events=left_out,
    )
