"""The signal inbox as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from flask import Response
from flask_babel import format_date

from casework import audit
from casework.edge import unit_of_work
from casework.models import User
from casework.models.types import utcnow
from casework.signals.queries import SignalFilters
from casework.spreadsheets import Column, csv_response, streamed, xlsx_response

# The headers are the canonical field names, which the import reads back as they are.
COLUMNS = [
    Column("id", lambda s: s.id),
    Column("title", lambda s: s.title),
    Column("description", lambda s: s.description),
    Column("source", lambda s: s.source),
    Column("market", lambda s: s.market),
    Column("surface", lambda s: s.surface),
    Column("category", lambda s: s.category),
    Column("url", lambda s: s.url),
    Column("observed_at", lambda s: s.observed_at),
    Column("external_ref", lambda s: s.external_ref),
    Column("status", lambda s: s.status),
    Column("case", lambda s: s.case.key if s.case else None),
    Column("received_at_utc", lambda s: s.created_at),
]


def signals_export(user: User, filters: SignalFilters, fmt: str) -> Response:
    """Audit the export, then stream the rows the user may see."""
    with unit_of_work():
        audit.record("export", "signals_exported", actor=user, changes={
            "format": fmt, "filters": {k: (str(v) if v is not None else None)
                                       for k, v in vars(filters).items()}})
    rows = streamed(filters.select(user))
    name = f"signals-{format_date(utcnow(), 'yyyy-MM-dd')}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(name, "Signals", COLUMNS, rows)
    return csv_response(name, COLUMNS, rows)
