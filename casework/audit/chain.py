"""The audit trail as a hash chain: appending an event, and checking the whole chain.

Every event stores ``hash = SHA-256(canonical(event))``, where the canonical form is a
stable JSON text of the event's content *and the hash of the event before it*
(``prev_hash``). Changing, removing, inserting or reordering an event therefore breaks the
chain at that point. ``seq`` numbers the events 1, 2, 3, ... without gaps, and the one row of
``audit_head`` names the newest event, so that a removed tail shows as well.

Appending reads the head and writes the event in the transaction of the change it records.
Writers are serialized: on PostgreSQL by locking the head row (``SELECT ... FOR UPDATE``), on
SQLite because every transaction begins with ``BEGIN IMMEDIATE`` (``casework/__init__.py``).

``scripts/verify_audit.py`` repeats :func:`canonical` with the standard library only, for an
auditor who checks an export; keep the two identical.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from casework.extensions import db
from casework.models import AuditEvent, AuditHead, User

# The prev_hash of the first event.
GENESIS = "0" * 64
HEAD_ID = 1
# What the hash covers, besides prev_hash. Not the row id (it may differ in a copy of the
# database), not remote_addr (personal data that may have to be erased one day).
HASHED_FIELDS = ("occurred_at", "actor_id", "entity_type", "entity_id", "case_id", "action",
                 "changes", "note")


def timestamp(value: datetime | str) -> str:
    """A moment as the chain writes it: UTC, microseconds, ``2026-11-24T15:29:22.000000Z``."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:  # SQLite hands back naive UTC when read without the model
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _field(event: AuditEvent | Mapping, name: str):
    return event.get(name) if isinstance(event, Mapping) else getattr(event, name)


def content(event: AuditEvent | Mapping) -> dict:
    """The hashed fields of an event (a model object or an exported line)."""
    values = {name: _field(event, name) for name in HASHED_FIELDS}
    values["occurred_at"] = timestamp(values["occurred_at"])
    values["changes"] = values["changes"] or {}
    return values


def canonical(event: AuditEvent | Mapping, prev_hash: str | None = None) -> str:
    """The stable JSON text that is hashed: sorted keys, no spaces, ASCII only."""
    values = content(event)
    values["prev_hash"] = _field(event, "prev_hash") if prev_hash is None else prev_hash
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def compute_hash(event: AuditEvent | Mapping, prev_hash: str | None = None) -> str:
    """SHA-256 (hex) of the event's canonical form, chained to ``prev_hash``."""
    return hashlib.sha256(canonical(event, prev_hash).encode("ascii")).hexdigest()


# --------------------------------------------------------------------------- appending


def _locked_head(session) -> AuditHead:
    """The head row, locked until the transaction ends (a no-op lock on SQLite)."""
    head = session.scalar(
        sa.select(AuditHead).where(AuditHead.id == HEAD_ID)
        .with_for_update().execution_options(populate_existing=True)
    )
    if head is None:  # a database built without the migration that seeds it
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
    return head


def append(event: AuditEvent, session=None) -> AuditEvent:
    """Give ``event`` its place in the chain and add it to the session; nothing commits."""
    session = session or db.session
    # Everything pending first (an earlier event's head update, an actor created in this
    # transaction), so that the head read below is this transaction's latest.
    session.flush()
    if event.actor is not None:
        event.actor_id = event.actor.id
    head = _locked_head(session)
    event.seq = head.seq + 1
    event.prev_hash = head.hash
    event.hash = compute_hash(event)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def append_many(events: list[AuditEvent], session=None) -> list[AuditEvent]:
    """Chain several events at once (a bulk import): the head is locked and read once."""
    session = session or db.session
    if not events:
        return events
    if any(e.actor is not None and e.actor.id is None for e in events):
        session.flush()
    head = _locked_head(session)
    for event in events:
        if event.actor is not None:
            event.actor_id = event.actor.id
        event.seq = head.seq + 1
        event.prev_hash = head.hash
        event.hash = compute_hash(event)
        head.seq, head.hash = event.seq, event.hash
    session.add_all(events)
    return events


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Head:
    """The newest event of the chain: how many there are and the hash that seals them."""

    count: int
    hash: str


def current_head(session=None) -> Head:
    """The head as recorded (cheap: one row). ``verify`` checks it against the events."""
    session = session or db.session
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return Head(0, GENESIS)
    return Head(head.seq, head.hash)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head: str  # the hash of the last event that fits
    first_bad_id: int | None = None
    first_bad_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"{self.count} audit events verified; head hash {self.head}"
        where = f"audit event id {self.first_bad_id} (seq {self.first_bad_seq})" \
            if self.first_bad_id is not None else f"seq {self.first_bad_seq}"
        return f"{where} does not fit: {self.reason}"


def check_chain(events: Iterable[Mapping | AuditEvent], *, start_seq: int = 1,
                start_hash: str | None = GENESIS) -> VerifyResult:
    """Walk events in seq order and name the first that does not fit.

    ``start_hash`` None accepts whatever the first event chains to (a partial export).
    """
    events = list(events)
    hashes = {}
    for position, event in enumerate(events):
        hashes.setdefault(_field(event, "hash"), position)
    prev_hash, expected_seq, prev_id, count = start_hash, start_seq, None, 0
    last_hash = start_hash or GENESIS

    def bad(event, reason: str) -> VerifyResult:
        return VerifyResult(False, count, last_hash, _field(event, "id"),
                            _field(event, "seq"), reason)

    for position, event in enumerate(events):
        seq, event_id = _field(event, "seq"), _field(event, "id")
        stored_prev = _field(event, "prev_hash")
        if seq < expected_seq:
            return bad(event, f"inserted: a second event with seq {seq}")
        if seq > expected_seq:
            missing = f"seq {expected_seq}" if seq == expected_seq + 1 \
                else f"seq {expected_seq} to {seq - 1}"
            return bad(event, f"removed: the events before it ({missing}) are missing")
        if compute_hash(event) != _field(event, "hash"):
            return bad(event, "changed: its content does not match its hash")
        if prev_hash is not None and stored_prev != prev_hash:
            earlier = hashes.get(stored_prev)
            if earlier is not None and earlier > position:
                return bad(event, "reordered: it chains to an event that comes after it")
            if position >= 2 and stored_prev == _field(events[position - 2], "hash"):
                inserted = events[position - 1]
                return bad(inserted, "inserted: the next event does not chain to it")
            return bad(event, "removed or inserted: it does not chain to the event before it")
        if prev_id is not None and event_id is not None and event_id < prev_id:
            return bad(event, "reordered: it was written before the event it follows")
        prev_hash = last_hash = _field(event, "hash")
        prev_id = event_id if event_id is not None else prev_id
        expected_seq += 1
        count += 1
    return VerifyResult(True, count, last_hash)


def _stored_events(session) -> Iterator[AuditEvent]:
    # Ordered by seq, then id: a duplicated seq shows up next to the original.
    yield from session.scalars(
        sa.select(AuditEvent).order_by(AuditEvent.seq, AuditEvent.id)
        .execution_options(yield_per=1000)
    )


def verify(session=None) -> VerifyResult:
    """Check every stored event against its hash, its predecessor and the head row."""
    session = session or db.session
    result = check_chain(_stored_events(session))
    if not result.ok:
        return result
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        if result.count:
            return VerifyResult(False, result.count, result.head, None, None,
                                "the head row is missing")
        return result
    if head.seq > result.count:
        missing = f"seq {result.count + 1}" if head.seq == result.count + 1 \
            else f"seq {result.count + 1} to {head.seq}"
        return VerifyResult(False, result.count, result.head, None, result.count + 1,
                            f"removed: the newest events ({missing}) are missing")
    if head.seq < result.count:
        extra = session.scalar(sa.select(AuditEvent).where(AuditEvent.seq == head.seq + 1))
        return VerifyResult(False, result.count, result.head, extra.id, extra.seq,
                            "inserted: it comes after the recorded head of the chain")
    if head.hash != result.head:
        return VerifyResult(False, result.count, result.head, None, head.seq,
                            "changed: the newest event does not match the recorded head")
    return result


# --------------------------------------------------------------------------- export


def export_line(event: AuditEvent, actor_email: str | None = None) -> dict:
    """One line of the JSON Lines export: the hashed fields, the chain, and context."""
    return {
        "seq": event.seq,
        "id": event.id,
        **content(event),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        # Not covered by the hash; for the reader's convenience.
        "actor_email": actor_email,
        "remote_addr": event.remote_addr,
    }


def export_events(session=None, *, since: datetime | None = None,
                  until: datetime | None = None) -> Iterator[dict]:
    """The events, in chain order, as export lines.

    With ``since``/``until`` the export is the unbroken stretch of the chain from the first
    event at or after ``since`` to the last event before ``until``, so it still verifies.
    """
    session = session or db.session
    bounds = sa.select(sa.func.min(AuditEvent.seq), sa.func.max(AuditEvent.seq))
    if since is not None:
        bounds = bounds.where(AuditEvent.occurred_at >= since)
    if until is not None:
        bounds = bounds.where(AuditEvent.occurred_at < until)
    low, high = session.execute(bounds).one()
    if low is None:
        return
    emails = dict(session.execute(sa.select(User.id, User.email)).all())
    query = (sa.select(AuditEvent).where(AuditEvent.seq.between(low, high))
             .order_by(AuditEvent.seq, AuditEvent.id).execution_options(yield_per=1000))
    for event in session.scalars(query):
        yield export_line(event, emails.get(event.actor_id))
