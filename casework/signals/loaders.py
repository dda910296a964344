"""Finding the signal a request names, and the target a duplicate points at, with the
reader's visibility: pages, API and CLI alike."""

from __future__ import annotations

from flask_babel import gettext as _

from casework.cases.inputs import plain_int
from casework.cases.loaders import case_reference
from casework.errors import NotFound, ValidationFailed
from casework.extensions import db
from casework.models import Signal, User
from casework.permissions import can_view_signal


def load_signal(reader: User, signal_id: int) -> Signal:
    """The signal, as ``reader`` may see it.

    :raise NotFound: no such signal, or one of a case the reader may not see.
    """
    signal = db.session.get(Signal, signal_id)
    if signal is None or not can_view_signal(reader, signal):
        raise NotFound(_("There is no signal #%(id)d.", id=signal_id))
    return signal


def visible_original(reader: User, signal: Signal) -> Signal | None:
    """The signal this one duplicates, if there is one and ``reader`` may see it.

    The original may since have gone into a restricted case: a page or answer that names
    it (number, title, link) asks here first.
    """
    original = signal.duplicate_of_signal
    if original is None or not can_view_signal(reader, original):
        return None
    return original


def duplicate_target(reader: User, *, of_signal=None, of_case=None,
                     field: str | None = None) -> dict:
    """``{"of_signal": Signal}`` or ``{"of_case": Case}`` for a duplicate, from a signal
    number or a case key; ``field`` names the one form field both come from, if so.

    :raise ValidationFailed: neither or both given, or nothing the reader may see.
    """
    if (of_signal in (None, "")) == (of_case in (None, "")):
        message = _("Name the signal or the case this duplicates.")
        raise ValidationFailed(message, errors={field: message} if field else {
            "of_signal": message, "of_case": message})
    if of_case not in (None, ""):
        return {"of_case": case_reference(reader, of_case, field or "of_case")}
    number = plain_int(of_signal)
    target = db.session.get(Signal, number) if number is not None and number < 2**31 else None
    if target is None or not can_view_signal(reader, target):
        raise ValidationFailed(_("There is no signal #%(id)s.", id=str(of_signal)[:20]),
                               field or "of_signal")
    return {"of_signal": target}


def duplicate_target_from_text(reader: User, text: str, field: str) -> dict:
    """The target typed into one field: "#12" or "12" for a signal, else a case key."""
    text = (text or "").strip()
    number = text.lstrip("#")
    if number.isascii() and number.isdigit():
        return duplicate_target(reader, of_signal=number, field=field)
    return duplicate_target(reader, of_case=text, field=field)
