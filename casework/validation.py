"""Checks of plain input values shared by every operation (forms validate first; the
CLI and the API rely on these)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

from flask_babel import gettext as _

from casework.errors import ValidationFailed
from casework.localtime import EARLIEST_DAY, LATEST_DAY

TITLE_MAX = 200
NAME_MAX = 120
URL_MAX = 2000
REF_MAX = 200
TEXT_MAX = 20_000


def clean_text(value, field: str, *, required: bool = False, max_length: int = TEXT_MAX) -> str:
    """Stripped text, refused when required and empty, when too long, or when it holds a
    NUL character or a lone surrogate (which PostgreSQL and UTF-8 cannot store)."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed(
            _("This text contains a NUL character, which cannot be stored. Remove it, please."),
            field,
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationFailed(_("This text contains characters that are not valid "
                                     "Unicode."), field) from None
    if required and not text:
        raise ValidationFailed(_("This field is required."), field)
    if len(text) > max_length:
        raise ValidationFailed(
            _("At most %(max)d characters, please.", max=max_length), field
        )
    return text


def clean_enum(enum_cls: type[StrEnum], value, field: str, *, required: bool = True):
    """A member of ``enum_cls`` from its canonical value."""
    if value is None or value == "":
        if required:
            raise ValidationFailed(_("This field is required."), field)
        return None
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationFailed(
            _("'%(value)s' is not a valid choice.", value=str(value)[:40]), field
        ) from None


def clean_enum_list(enum_cls: type[StrEnum], values, field: str, *, required: bool) -> list:
    members = [clean_enum(enum_cls, value, field) for value in (values or [])]
    if required and not members:
        raise ValidationFailed(_("Choose at least one."), field)
    return sorted(set(members))


def clean_rating(value, field: str) -> int:
    """Likelihood or impact: a whole number from 1 to 5."""
    number = whole_number(value, low=1, high=5)
    if number is None:
        raise ValidationFailed(_("Choose a value from 1 to 5."), field)
    return number


# --- Numbers ---------------------------------------------------------------------------------

# What a database integer holds (PostgreSQL's ``integer``: 32 bits): ids, versions, pages.
DB_INT_MAX = 2**31 - 1
_MAX_DIGITS = len(str(DB_INT_MAX))


def whole_number(value, *, low: int = 0, high: int = DB_INT_MAX) -> int | None:
    """A whole number from ``low`` to ``high``: a JSON integer, or text of ASCII digits with
    an optional minus sign (spaces around allowed); None for anything else.

    The one reading of numbers from requests. Python's ``int()`` and ``str.isdigit()`` take
    Unicode digits (Arabic-Indic '٣', full-width ones) and ``isdigit`` superscripts ('²'),
    which ``int()`` then refuses; neither bounds the size, and a number past 64 bits
    overflows the database.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        digits = text.removeprefix("-")
        if not (digits and len(digits) <= _MAX_DIGITS and digits.isascii()
                and digits.isdigit()):
            return None
        number = int(text)
    return number if low <= number <= high else None


# --- Days and moments ------------------------------------------------------------------------

def _bounds_message() -> str:
    return _("Give a date from %(first)s to %(last)s.", first=EARLIEST_DAY.isoformat(),
             last=LATEST_DAY.isoformat())


def check_day(day: date, field: str) -> date:
    """``day`` when it is within ``EARLIEST_DAY`` to ``LATEST_DAY`` (1900 to 2999), the days
    any form, filter, report, API call or import may name: far enough from the calendar's
    ends that a day's bounds in UTC, a report's baseline weeks before it or a time zone's
    offset never fall outside it.

    :raise ValidationFailed: a day outside those years.
    """
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationFailed(_bounds_message(), field)
    return day


def parse_day(value, field: str) -> date | None:
    """A day written ``YYYY-MM-DD`` (or a ``date`` already), within :func:`check_day`'s
    bounds; None when absent.

    :raise ValidationFailed: not such a date, or out of bounds.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        text = value.strip() if isinstance(value, str) else ""
        if not (text.isascii() and _DAY.fullmatch(text)):
            raise ValidationFailed(_("Give a date as YYYY-MM-DD."), field)
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(_("Give a date as YYYY-MM-DD."), field) from None
    return check_day(value, field)


def check_moment(moment: datetime, field: str) -> datetime:
    """``moment`` (naive, or with its zone) when its day is within :func:`check_day`'s
    bounds, both as written and in UTC (a zone's offset must not carry it past a year's
    end or the calendar's).

    :raise ValidationFailed: outside those years.
    """
    check_day(moment.date(), field)
    if moment.tzinfo is not None:
        try:
            check_day(moment.astimezone(UTC).date(), field)
        except OverflowError:
            raise ValidationFailed(_bounds_message(), field) from None
    return moment


def parse_moment(value, field: str) -> datetime | None:
    """An ISO 8601 time with its zone ("2026-11-24T14:30:00Z") within the bounds of
    :func:`check_moment`; None when absent.

    :raise ValidationFailed: not such a time, without a zone, or out of bounds.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not text.isascii():
            raise ValueError(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(_("Give an ISO 8601 date and time."), field) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(_("Give the time zone, e.g. 2026-11-24T14:30:00Z."), field)
    return check_moment(parsed, field)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def lenient_enum(enum_cls: type[StrEnum], value):
    """A filter value from a query string: the member, or None for absent or bad values."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def lenient_date(value):
    """A YYYY-MM-DD filter value, or None for absent or bad values (and days out of
    reach: see :func:`check_day`)."""
    try:
        return parse_day(value, "date")
    except ValidationFailed:
        return None
