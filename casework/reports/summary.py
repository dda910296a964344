"""What a case's PDF summary shows, per audience, and the fingerprint of the case's data.

*internal* shows everything; *partner* (policy and comms partners outside the team) shows
no comments, no notes, no names or e-mail addresses of Casework users beyond the owner's
role, and no evidence or links to it.

A summary is bounded whatever the case holds, so that every PDF renders in a fraction of a
second: long texts are shortened (``TEXT_LIMITS``) and only the latest comments, signals,
actions, reviews and audit events are printed (``*_SHOWN``, ``TIMELINE_LIMIT``). The PDF
says where it did so; the fingerprint still covers the whole case. docs/limits.md lists
the bounds.
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
    link = _("Link") + ": " + " ".join(url.split()) if url else ""
    return "\n".join(line for line in (flat, link) if line)


# The longest text printed of each kind, in characters; the rest is in Casework. A
# paragraph of these fits on a page, so WeasyPrint never has to split one many times.
TEXT_LIMITS = {
    "summary": 2_000, "assessment": 2_000, "dismissal_reason": 1_000, "comment": 1_000,
    "review_note": 1_000, "outcome": 500, "timeline": 300,
}
# The most of each list printed: the latest ones.
COMMENTS_SHOWN = 10
SIGNALS_SHOWN = 50
ACTIONS_SHOWN = 50
REVIEWS_SHOWN = 10


@dataclass(frozen=True)
class Excerpt:
    """A text as the PDF prints it: its beginning, and how many characters it leaves out."""

    text: str
    left_out: int = 0

    @property
    def shortened(self) -> bool:
        return self.left_out > 0

    def __bool__(self) -> bool:
        return bool(self.text)

    def __str__(self) -> str:
        return self.text


def excerpt(value: str | None, limit: int) -> Excerpt:
    """``value`` cut to at most ``limit`` characters, at a space where one is near the end."""
    text = value or ""
    if len(text) <= limit:
        return Excerpt(text)
    cut = text[:limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit * 0.8:
        cut = cut[:space]
    cut = cut.rstrip() + "…"
    return Excerpt(cut, len(text) - len(cut) + 1)


def latest(items: list, shown: int) -> tuple[list, int]:
    """The last ``shown`` of ``items`` (oldest first) and how many earlier ones are left out."""
    if len(items) <= shown:
        return items, 0
    return items[-shown:], len(items) - shown


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
    text: dict[str, str | Excerpt]
    signals: list[dict]
    actions: list[dict]
    reviews: list[dict]
    timeline: list[TimelineLine]
    comments: list[dict] = field(default_factory=list)
    earlier_events: int = 0  # audit events left out of the printed timeline
    # Earlier items of each list left out of the PDF (they are in Casework).
    earlier_comments: int = 0
    earlier_signals: int = 0
    earlier_actions: int = 0
    earlier_reviews: int = 0
    shortened_texts: int = 0  # texts printed only in part

    @property
    def is_partner(self) -> bool:
        return self.audience == Audience.PARTNER

    @property
    def abridged(self) -> bool:
        """Whether the PDF leaves out anything of the case (and must say so)."""
        return bool(self.shortened_texts or self.earlier_events or self.earlier_comments
                    or self.earlier_signals or self.earlier_actions or self.earlier_reviews)


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
              redact: Redactor) -> tuple[list[TimelineLine], int, int]:
    """The printed timeline, how many events it leaves out and how many of its texts it
    shortens. Only the printed events are described: describing all of a long trail took
    longer than the rest of the summary."""
    if partner:
        events = [event for event in events if event.entity_type not in PARTNER_HIDDEN_ENTITIES]
    events, left_out = shorten(events)
    names = dict(db.session.execute(sa.select(User.email, User.name)).all())
    lines = []
    shortened = 0
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

        def short(value: str) -> str:
            nonlocal shortened
            clipped = excerpt(redact(value) if partner else value, TEXT_LIMITS["timeline"])
            shortened += clipped.shortened
            return clipped.text

        lines.append(TimelineLine(
            when=event.occurred_at, who=_person(event.actor, partner), verb=entry.verb,
            changes=[(c.field, short(c.before), short(c.after)) for c in entry.changes],
            note="" if partner else short(event.note or ""),
            milestone=is_milestone(event),
        ))
    return lines, left_out, shortened


def build_summary(case: Case, audience: Audience, *, generated_by: str,
                  now: datetime) -> CaseSummary:
    """The summary of ``case`` for ``audience``; the caller has checked the reader's access."""
    partner = audience == Audience.PARTNER
    events = _events(case)
    redact = Redactor(db.session.execute(sa.select(User.name, User.role)).all())
    shortened = 0

    def text(value: str | None) -> str:
        return redact(value) if partner else (value or "")

    def long_text(value: str | None, kind: str) -> Excerpt:
        # Redacted before it is cut: a cut must not leave half an e-mail address behind.
        nonlocal shortened
        clipped = excerpt(text(value), TEXT_LIMITS[kind])
        shortened += clipped.shortened
        return clipped

    owner = _person(case.owner, partner) if case.owner else _("Nobody yet")
    shown_signals, earlier_signals = latest(list(case.signals), SIGNALS_SHOWN)
    signals = [{
        "id": s.id, "title": text(s.title), "source": label(s.source),
        "market": s.market.value, "surface": label(s.surface) if s.surface else "",
        "received": s.created_at, "observed": s.observed_at,
        # Descriptions and links point at the evidence: internal only.
        "evidence": "" if partner else evidence(s.description, s.url),
    } for s in shown_signals]
    shown_actions, earlier_actions = latest(list(case.actions), ACTIONS_SHOWN)
    actions = [{
        "title": text(a.title), "team": label(a.team),
        "owner": (_person(a.owner_user, partner) if a.owner_user else text(a.owner_name)),
        "due": a.due, "status": label(a.status), "outcome": long_text(a.outcome, "outcome"),
    } for a in shown_actions]
    shown_reviews, earlier_reviews = latest(list(case.reviews), REVIEWS_SHOWN)
    reviews = [{
        "reviewer": _person(r.reviewer, partner), "decision": label(r.decision),
        "resolution": label(r.resolution) if r.resolution else "",
        "residual": (f"{r.residual_likelihood} × {r.residual_impact} = {r.residual_score} · "  # noqa: RUF001
                     f"{label(r.residual_band)}") if r.residual_score else "",
        "note": Excerpt("") if partner else long_text(r.note, "review_note"),
        "when": r.created_at,
    } for r in shown_reviews]
    timeline, left_out, timeline_shortened = _timeline(events, partner, redact)
    comments, earlier_comments = [], 0
    if not partner:
        shown_comments, earlier_comments = latest(list(case.comments), COMMENTS_SHOWN)
        comments = [{"author": c.author.name, "when": c.created_at,
                     "body": long_text(c.body, "comment")} for c in shown_comments]
    texts = {"title": text(case.title), "summary": long_text(case.summary, "summary"),
             "assessment": long_text(case.assessment, "assessment"),
             "dismissal_reason": (Excerpt("") if partner else
                                  long_text(case.dismissal_reason, "dismissal_reason"))}
    return CaseSummary(
        case=case, audience=audience, generated_at=now, generated_by=generated_by,
        fingerprint=fingerprint(case_data(case, events)), owner=owner, text=texts,
        signals=signals, actions=actions, reviews=reviews,
        timeline=timeline, comments=comments, earlier_events=left_out,
        earlier_comments=earlier_comments, earlier_signals=earlier_signals,
        earlier_actions=earlier_actions, earlier_reviews=earlier_reviews,
        shortened_texts=shortened + timeline_shortened,
    )
