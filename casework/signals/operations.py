"""What can be done to a signal: file it, then triage it into a case, away, or onto a
duplicate. Functions flush and audit; they never commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from casework import audit
from casework.cases.operations import create_case
from casework.errors import Conflict, PermissionDenied, ValidationFailed
from casework.extensions import db
from casework.models import Case, Signal, User
from casework.models.types import utcnow
from casework.permissions import can_file_signal, can_triage, can_view_signal
from casework.validation import REF_MAX, TITLE_MAX, URL_MAX, clean_enum, clean_text
from casework.vocabulary import (
    AuditAction,
    AuditEntity,
    Category,
    Market,
    SignalSource,
    SignalStatus,
    Surface,
    label_in_sentence,
)


def find_by_external_ref(source: SignalSource, external_ref: str | None) -> Signal | None:
    # A NUL cannot be stored (validation refuses it), so nothing has it; PostgreSQL would
    # refuse even to compare it.
    if not external_ref or "\x00" in external_ref:
        return None
    return db.session.scalar(
        sa.select(Signal).where(Signal.source == source, Signal.external_ref == external_ref)
    )


def _clean_url(value) -> str | None:
    url = clean_text(value, "url", max_length=URL_MAX) or None
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValidationFailed(_("Give a link starting with http:// or https://."), "url")
    return url


def build_signal(actor: User, **fields) -> Signal:
    """A checked, unsaved signal: what ``file_signal`` would record (imports preview it).

    :raise PermissionDenied: the actor's role does not file signals.
    :raise ValidationFailed: a field is missing or invalid.
    """
    if not can_file_signal(actor):
        raise PermissionDenied(_("Your role does not file signals."))
    observed_at = fields.get("observed_at")
    if observed_at is not None and not isinstance(observed_at, datetime):
        raise ValidationFailed(_("Give a date and time."), "observed_at")
    if observed_at is not None and observed_at.tzinfo is None:
        raise ValidationFailed(_("Give a date and time with its time zone."), "observed_at")
    if observed_at is not None and observed_at > utcnow():
        raise ValidationFailed(_("A signal cannot be observed in the future."), "observed_at")
    signal = Signal(
        title=clean_text(fields.get("title"), "title", required=True, max_length=TITLE_MAX),
        description=clean_text(fields.get("description"), "description"),
        source=clean_enum(SignalSource, fields.get("source"), "source"),
        market=clean_enum(Market, fields.get("market"), "market"),
        surface=clean_enum(Surface, fields.get("surface"), "surface", required=False),
        category=clean_enum(Category, fields.get("category"), "category"),
        url=_clean_url(fields.get("url")),
        observed_at=observed_at,
        external_ref=clean_text(fields.get("external_ref"), "external_ref",
                                max_length=REF_MAX) or None,
        status=SignalStatus.NEW,
        reported_by=actor,
    )
    return signal


class AlreadyFiled(Conflict):
    """The source's item was filed before: ``existing`` is that signal.

    The message names it only to a reader who may see it; to anyone else it says no
    more than that the reference is taken.
    """

    code = "already_filed"

    def __init__(self, reader: User, existing: Signal):
        if can_view_signal(reader, existing):
            message = _("This reference was already filed as signal #%(id)d.", id=existing.id)
        else:
            message = _("This reference was already filed. A program manager can tell "
                        "you where it is.")
        super().__init__(message, "external_ref")
        self.existing = existing
        self.visible = can_view_signal(reader, existing)


def file_signal(actor: User, **fields) -> Signal:
    """Record a new signal in the inbox.

    Two clients filing the same reference at the same moment get the same answer as a
    calm repeat: the loser's INSERT, refused by the unique index, is rolled back to a
    savepoint and the winner's signal is looked up.

    :raise PermissionDenied: the actor's role does not file signals.
    :raise ValidationFailed: a field is missing or invalid.
    :raise AlreadyFiled: a signal with the same source and external reference exists.
    """
    signal = build_signal(actor, **fields)
    existing = find_by_external_ref(signal.source, signal.external_ref)
    if existing is not None:
        raise AlreadyFiled(actor, existing)
    try:
        with db.session.begin_nested():
            db.session.add(signal)
            db.session.flush()
    except IntegrityError:
        existing = find_by_external_ref(signal.source, signal.external_ref)
        if existing is None:
            raise
        raise AlreadyFiled(actor, existing) from None
    return file_signals(actor, [signal])[0]


def file_signals(actor: User, signals: list[Signal]) -> list[Signal]:
    """Record signals checked by ``build_signal`` at once (an import): one batch of
    INSERTs, then one audit event each."""
    db.session.add_all(signals)
    db.session.flush()
    audit.record_many([
        {"entity_type": AuditEntity.SIGNAL, "action": AuditAction.CREATED, "entity_id": signal.id,
         "actor": actor, "changes": audit.snapshot(signal)}
        for signal in signals
    ])
    return signals


def ensure_may_triage(actor: User, signal: Signal) -> None:
    """Refuse triage unless the actor triages (403) and the signal is still new (409).

    :raise PermissionDenied: the actor does not triage signals.
    :raise Conflict: the signal was already triaged.
    """
    if not can_triage(actor):
        raise PermissionDenied(_("Only program managers triage signals."))
    if not signal.is_open:
        raise Conflict(_("This signal was already triaged (%(status)s).",
                         status=label_in_sentence(signal.status)))


def _begin_triage(actor: User, signal: Signal) -> dict:
    """Check the actor may triage the signal now; the audit snapshot before the change."""
    ensure_may_triage(actor, signal)
    return audit.snapshot(signal)


def _finish_triage(actor: User, signal: Signal, before: dict, action: AuditAction,
                   note=None) -> None:
    signal.triaged_by = actor
    signal.triaged_at = utcnow()
    db.session.flush()
    audit.record(AuditEntity.SIGNAL, action, entity_id=signal.id, case_id=signal.case_id,
                 actor=actor, changes=audit.diff(before, audit.snapshot(signal)), note=note)


def qualify_into_new_case(actor: User, signal: Signal, **case_fields) -> Case:
    """Open a new case for the signal.

    :raise Conflict: the signal was already triaged.
    :raise ValidationFailed: a case field is invalid.
    """
    before = _begin_triage(actor, signal)
    case = create_case(actor, **case_fields)
    signal.case = case
    signal.status = SignalStatus.QUALIFIED
    _finish_triage(actor, signal, before, AuditAction.QUALIFIED)
    return case


def attach_to_case(actor: User, signal: Signal, case: Case) -> Case:
    """Qualify the signal as further evidence of an existing, open case.

    :raise Conflict: the signal was already triaged, or the case is closed or dismissed.
    """
    before = _begin_triage(actor, signal)
    if not case.is_open:
        raise Conflict(_("%(key)s is not open; reopen it first or open a new case.",
                         key=case.key), "case")
    signal.case = case
    signal.status = SignalStatus.QUALIFIED
    case.updated_at = utcnow()
    _finish_triage(actor, signal, before, AuditAction.QUALIFIED)
    return case


def dismiss_signal(actor: User, signal: Signal, reason: str) -> Signal:
    """Dismiss noise, with the reason.

    :raise ValidationFailed: no reason given.
    """
    before = _begin_triage(actor, signal)
    signal.dismissal_reason = clean_text(reason, "reason", required=True)
    signal.status = SignalStatus.DISMISSED
    _finish_triage(actor, signal, before, AuditAction.DISMISSED,
                   note=signal.dismissal_reason)
    return signal


def mark_duplicate(actor: User, signal: Signal, *, of_signal: Signal | None = None,
                   of_case: Case | None = None) -> Signal:
    """Mark the signal as a duplicate of another signal or of a case.

    A duplicate of a case is listed with that case's signals; a duplicate of a signal
    that was qualified follows it onto its case.

    :raise ValidationFailed: neither or both targets given, or the signal itself.
    """
    before = _begin_triage(actor, signal)
    if (of_signal is None) == (of_case is None):
        raise ValidationFailed(_("Name the signal or the case this duplicates."), "of")
    if of_signal is not None:
        if of_signal.id == signal.id:
            raise ValidationFailed(_("A signal cannot duplicate itself."), "of")
        signal.duplicate_of_signal = of_signal
        signal.case = of_signal.case
    else:
        signal.case = of_case
    if signal.case is not None:
        signal.case.updated_at = utcnow()
    signal.status = SignalStatus.DUPLICATE
    _finish_triage(actor, signal, before, AuditAction.MARKED_DUPLICATE)
    return signal
