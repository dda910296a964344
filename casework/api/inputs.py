"""Reading JSON request bodies strictly: object bodies, known fields, right types."""

from __future__ import annotations

from datetime import date, datetime

from flask import request
from flask_babel import gettext as _

from casework.errors import BadRequest, UnsupportedMediaType, invalid_fields

# What each field's JSON value must be; None is accepted where the field may be empty.
STRING, INTEGER, BOOLEAN, STRINGS = "string", "integer", "boolean", "array of strings"
NULLABLE = frozenset({"surface", "url", "observed_at", "external_ref", "due", "owner",
                      "resolution", "residual_likelihood", "residual_impact", "note",
                      "description", "summary", "assessment", "outcome", "surfaces"})


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
    """An ISO 8601 time with its zone ("2026-11-24T14:30:00Z")."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_fields({field: _("Give an ISO 8601 date and time.")}) from None
    if parsed.tzinfo is None:
        raise invalid_fields({field: _("Give the time zone, e.g. 2026-11-24T14:30:00Z.")})
    return parsed


def parse_date(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_fields({field: _("Give a date as YYYY-MM-DD.")}) from None


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
