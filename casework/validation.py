"""Checks of plain input values shared by every operation (forms validate first; the
CLI and the API rely on these)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _

from casework.errors import ValidationFailed

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
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Choose a value from 1 to 5."), field) from None
    if not 1 <= number <= 5:
        raise ValidationFailed(_("Choose a value from 1 to 5."), field)
    return number


def lenient_enum(enum_cls: type[StrEnum], value):
    """A filter value from a query string: the member, or None for absent or bad values."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def lenient_date(value):
    """A YYYY-MM-DD filter value, or None for absent or bad values (and days out of
    reach: ``casework.localtime.EARLIEST_DAY`` to ``LATEST_DAY``)."""
    from datetime import date

    from casework.localtime import EARLIEST_DAY, LATEST_DAY

    try:
        day = date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
    return day if day is None or EARLIEST_DAY <= day <= LATEST_DAY else None
