"""Reading JSON request bodies strictly: object bodies, known fields, right types."""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import accumulate

from flask import request
from flask_babel import gettext as _

from casework.errors import BadRequest, UnsupportedMediaType, invalid_fields
from casework.validation import parse_day, parse_moment

# What each field's JSON value must be; None is accepted where the field may be empty.
STRING, INTEGER, BOOLEAN, STRINGS = "string", "integer", "boolean", "array of strings"
NULLABLE = frozenset({"surface", "url", "observed_at", "external_ref", "due", "owner",
                      "resolution", "residual_likelihood", "residual_impact", "note",
                      "description", "summary", "assessment", "outcome", "surfaces"})


# How deep arrays and objects may nest in a body (the API's own bodies nest two levels).
MAX_DEPTH = 32
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _DEPTH_STEP)


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, without parsing it (brackets
    inside strings do not count)."""
    brackets = _STRINGS.sub(b'""', raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


# Integer fields with a narrower range than a database integer (as documented).
BOUNDS = {"version": (1, 2**31 - 1), "of_signal": (1, 2**31 - 1)}


def _type_ok(value, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        # Bounded to a database integer (PostgreSQL's is 32 bits), so none overflows it.
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == STRINGS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    raise ValueError(kind)


def json_body(schema: dict[str, str], *, required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked against ``schema`` (field -> kind).

    :raise UnsupportedMediaType: not sent as application/json.
    :raise BadRequest: not valid JSON, or not a JSON object.
    :raise ValidationFailed: unknown fields, missing required fields, or wrong types.
    """
    if not request.is_json:
        raise UnsupportedMediaType(
            _("Send the body as JSON with Content-Type: application/json."))
    raw = request.get_data(cache=True)
    if nesting_depth(raw) > MAX_DEPTH:
        # Python's parser would recurse once per level and give up with a RecursionError.
        raise BadRequest(_("The body nests deeper than %(max)d levels.", max=MAX_DEPTH))
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest(_("The body is not valid JSON."))
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object."))
    problems: dict[str, list[str]] = {}
    for name in data:
        if name not in schema:
            problems[name] = [_("Unknown field.")]
    for name in required:
        if data.get(name) in (None, ""):
            problems.setdefault(name, []).append(_("This field is required."))
    for name, value in list(data.items()):
        # JSON does not tell 3 from 3.0: an integral number is an integer.
        if schema.get(name) == INTEGER and isinstance(value, float) and value.is_integer() \
                and abs(value) < 2**31:
            data[name] = value = int(value)
        kind = schema.get(name)
        if kind is None or name in problems:
            continue
        if value is None and name in NULLABLE:
            continue
        if not _type_ok(value, kind):
            problems[name] = [_("Expected %(kind)s.", kind=kind)]
        elif name in BOUNDS and value is not None and not (
                BOUNDS[name][0] <= value <= BOUNDS[name][1]):
            problems[name] = [_("Give a whole number from %(low)d to %(high)d.",
                                low=BOUNDS[name][0], high=BOUNDS[name][1])]
    if problems:
        raise invalid_fields(problems)
    return data


def parse_datetime(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 time with its zone ("2026-11-24T14:30:00Z"), in the years every input
    may name (``validation.parse_moment``)."""
    return parse_moment(value, field)


def parse_date(value: str | None, field: str) -> date | None:
    """A day ``YYYY-MM-DD`` in the years every input may name (``validation.parse_day``)."""
    return parse_day(value, field)


def query_choice(name: str, enum_cls, *, extra: tuple[str, ...] = ()):
    """A filter from the query string: a canonical value, or absent.

    :raise ValidationFailed: a value that is not in the list.
    """
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value in extra:
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join([*(m.value for m in enum_cls), *extra])
        raise invalid_fields({name: _("Use one of: %(allowed)s.", allowed=allowed)},
                             _("Some query parameters are not valid.")) from None
