"""The API's list filters, read strictly from the query string: the same filter objects
the queue and the inbox use (``CaseFilters``, ``SignalFilters``), but a value that is not
one is refused (422) where the pages ignore it.

The lists and their exports read them here, so an export holds what the list shows.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _

from casework.api.inputs import query_choice
from casework.cases.queries import SORTS, CaseFilters
from casework.errors import ValidationFailed, invalid_fields
from casework.signals.queries import SignalFilters
from casework.users.operations import find_user
from casework.validation import parse_day
from casework.vocabulary import (
    Band,
    CaseState,
    Category,
    Market,
    SignalSource,
    SignalStatus,
    Surface,
)

OPEN = "open"  # every open state, as the queue's state filter and the dashboard name it


def _refuse(name: str, message: str):
    return invalid_fields({name: message}, _("Some query parameters are not valid."))


def query_day(name: str) -> date | None:
    """A local day (``YYYY-MM-DD``) from the query string, or absent.

    :raise ValidationFailed: not a date, or out of reach.
    """
    try:
        return parse_day(request.args.get(name), name)
    except ValidationFailed as refused:
        raise _refuse(name, refused.message) from None


def query_flag(name: str) -> bool:
    """``1`` or ``true`` for yes; ``0``, ``false`` or absent for no.

    :raise ValidationFailed: anything else.
    """
    value = request.args.get(name, "").strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("", "0", "false"):
        return False
    raise _refuse(name, _("Use 1 or 0."))


def _owner() -> str:
    """``owner`` as the queue's filter takes it: "mine", "none" or a user's id.

    :raise ValidationFailed: not an e-mail address of a user, "me" or "none".
    """
    # As sent: "" is anyone; a value with spaces around it is no e-mail address.
    owner = request.args.get("owner", "")
    if owner == "me":
        return "mine"
    if owner and owner != "none":
        user = find_user(owner) if owner == owner.strip() else None
        if user is None:
            raise _refuse("owner", _("Give an e-mail address, 'me' or 'none'."))
        return str(user.id)
    return owner


def case_filters() -> CaseFilters:
    """The queue's filters, as ``GET /cases`` and its exports take them.

    :raise ValidationFailed: a value that is not one (the first found).
    """
    owner = _owner()
    sort = request.args.get("sort", "severity")
    if sort not in SORTS:
        raise _refuse("sort", _("Use one of: %(allowed)s.", allowed=", ".join(SORTS)))
    state = query_choice("state", CaseState, extra=(OPEN,))
    return CaseFilters(
        state=None if state == OPEN else state, open_only=state == OPEN,
        market=query_choice("market", Market), surface=query_choice("surface", Surface),
        category=query_choice("category", Category), band=query_choice("band", Band),
        owner=owner, q=request.args.get("q", "").strip()[:200], sort=sort,
        opened_from=query_day("opened_from"), opened_to=query_day("opened_to"),
        closed_from=query_day("closed_from"), closed_to=query_day("closed_to"),
        overdue=query_flag("overdue"),
    )


def signal_filters() -> SignalFilters:
    """The inbox's filters, as ``GET /signals`` and its exports take them (no status: all).

    :raise ValidationFailed: a value that is not one (the first found).
    """
    return SignalFilters(
        status=query_choice("status", SignalStatus),
        source=query_choice("source", SignalSource),
        market=query_choice("market", Market),
        category=query_choice("category", Category),
        q=request.args.get("q", "").strip()[:200],
        received_from=query_day("from"), received_to=query_day("to"),
    )
