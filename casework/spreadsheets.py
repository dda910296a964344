"""Writing tables for Excel: CSV that German Excel opens correctly, and XLSX.

CSV: UTF-8 with a BOM (so Excel reads umlauts), `;` between fields (Excel in German
locales splits on it), CRLF line ends. Both formats neutralise cells that Excel would
run as formulas (`=`, `+`, `-`, `@` at the start), since titles and descriptions come
from outside and may be hostile.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from flask import Response, stream_with_context

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]


def _plain(value):
    """One cell: canonical values for enums, ISO text for times in CSV."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(str(_plain(v)) for v in value)
    return value


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value) -> str:
    value = _plain(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _safe_text(str(value))


def streamed(query):
    """The query's rows, fetched only as the response is written: the query runs inside
    the streaming response's context, in batches."""
    from casework.extensions import db

    yield from db.session.scalars(query.execution_options(yield_per=500))


def csv_rows(columns: list[Column], rows: Iterable) -> Iterable[str]:
    """The CSV text, a chunk at a time (exports may be large)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    yield "\ufeff"
    writer.writerow([c.header for c in columns])
    for number, row in enumerate(rows, 1):
        writer.writerow([_csv_cell(c.value(row)) for c in columns])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, columns: list[Column], rows: Iterable) -> Response:
    return Response(
        stream_with_context(csv_rows(columns, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 # Confidential, like the PDFs: kept by no browser's or proxy's cache.
                 "Cache-Control": "no-store"},
    )


def xlsx_bytes(sheet: str, columns: list[Column], rows: Iterable) -> bytes:
    """An XLSX workbook: text stays text, numbers numbers, times real dates (UTC)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for column in columns:
            value = _plain(column.value(row))
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)  # Excel has no zones; the header says UTC
            if isinstance(value, str):
                # Control characters (but tab and line ends) cannot be in a workbook: they
                # show as the replacement character instead of failing the export.
                value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, sheet: str, columns: list[Column], rows: Iterable) -> Response:
    return Response(
        xlsx_bytes(sheet, columns, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 # Confidential, like the PDFs: kept by no browser's or proxy's cache.
                 "Cache-Control": "no-store"},
    )


def audited_export(user, query, *, what: str, filters, fmt: str, columns: list[Column]) -> Response:
    """Record the export (who, what, which filters, which format), then stream ``query``'s
    rows as CSV or XLSX. ``what`` names the list: "cases" or "signals"."""
    from flask_babel import format_date

    from casework import audit
    from casework.models.types import utcnow
    from casework.vocabulary import AuditAction, AuditEntity
    from casework.web.edge import unit_of_work

    with unit_of_work():
        audit.record(AuditEntity.EXPORT, AuditAction(f"{what}_exported"), actor=user, changes={
            "format": fmt, "filters": {k: (str(v) if v is not None else None)
                                       for k, v in vars(filters).items()}})
    rows = streamed(query)
    name = f"{what}-{format_date(utcnow(), 'yyyy-MM-dd')}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(name, what.capitalize(), columns, rows)
    return csv_response(name, columns, rows)
