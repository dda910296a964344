"""The case queue as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from flask import Response
from flask_babel import format_date

from casework import audit
from casework.cases.queries import CaseFilters
from casework.edge import unit_of_work
from casework.models import User
from casework.models.types import utcnow
from casework.spreadsheets import Column, csv_response, streamed, xlsx_response

COLUMNS = [
    Column("key", lambda c: c.key),
    Column("title", lambda c: c.title),
    Column("state", lambda c: c.state),
    Column("category", lambda c: c.category),
    Column("markets", lambda c: list(c.markets)),
    Column("surfaces", lambda c: list(c.surfaces)),
    Column("likelihood", lambda c: c.likelihood),
    Column("impact", lambda c: c.impact),
    Column("score", lambda c: c.score),
    Column("band", lambda c: c.band),
    Column("owner", lambda c: c.owner.email if c.owner else None),
    Column("resolution", lambda c: c.resolution),
    Column("restricted", lambda c: "yes" if c.restricted else "no"),
    Column("signals", lambda c: len(c.signals)),
    Column("actions", lambda c: len(c.actions)),
    Column("created_at_utc", lambda c: c.created_at),
    Column("updated_at_utc", lambda c: c.updated_at),
    Column("closed_at_utc", lambda c: c.closed_at),
]


def cases_export(user: User, filters: CaseFilters, fmt: str) -> Response:
    """Audit the export, then stream the cases the user may see."""
    with unit_of_work():
        audit.record("export", "cases_exported", actor=user, changes={
            "format": fmt, "filters": {k: (str(v) if v is not None else None)
                                       for k, v in vars(filters).items()}})
    rows = streamed(filters.select(user))
    name = f"cases-{format_date(utcnow(), 'yyyy-MM-dd')}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(name, "Cases", COLUMNS, rows)
    return csv_response(name, COLUMNS, rows)
