"""Writing tables for Excel: CSV that German Excel opens correctly, and XLSX.

CSV: UTF-8 with a BOM (so Excel reads umlauts), `;` between fields (Excel in German
locales splits on it), CRLF line ends. Both formats neutralise cells that Excel would
run as formulas (`=`, `+`, `-`, `@` at the start), since titles and descriptions come
from outside and may be hostile.

Memory stays flat however long the list: rows are read from the database in batches, CSV
is streamed as it is written, and XLSX is written by openpyxl's write-only workbook into a
temporary file that is then sent. An export holds at most ``EXPORT_MAX_ROWS`` rows (a
larger one is refused before anything is read), and it takes one of the user's download
slots (``casework.web.download_slots``) while it works.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from flask import Response, current_app, stream_with_context
from flask_babel import format_number
from flask_babel import gettext as _

from casework.errors import ValidationFailed
from casework.pagination import Count, lean_count
from casework.web.download_slots import DownloadSlot, take_download_slot

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str  # the canonical field name (the API's exports)
    value: Callable[[object], object]
    label: object = None  # what a person reads (pages' exports), translated


def for_people(columns: list[Column]) -> list[Column]:
    """``columns`` as a person reads them in the current language: translated headers,
    values by their labels ("Soziale Medien", "ja"). Worked out now, not as the rows are
    streamed (by then the language asked for may no longer be in force); the import
    reads both languages back."""
    from casework.vocabulary import LABELS

    names = {member: str(text) for table in LABELS.values() for member, text in table.items()
             if isinstance(member, Enum)}
    names.update({True: _("yes"), False: _("no")})

    def shown(value):
        if isinstance(value, list | tuple):
            return ", ".join(str(shown(v)) for v in value)
        if isinstance(value, bool | Enum):
            return names.get(value, value)
        return value

    return [Column(str(c.label or c.header), lambda row, c=c: shown(c.value(row)))
            for c in columns]


def _plain(value):
    """One cell: canonical values for enums and yes/no, ISO text for times in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
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


def _holding(slot: DownloadSlot, chunks: Iterable[str]) -> Iterator[str]:
    """``chunks``, with ``slot`` given back when the last is sent or the client goes."""
    try:
        yield from chunks
    finally:
        slot.release()


def _headers(filename: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{filename}"',
            # Confidential, like the PDFs: kept by no browser's or proxy's cache.
            "Cache-Control": "no-store"}


def csv_response(filename: str, columns: list[Column], rows: Iterable,
                 slot: DownloadSlot | None = None) -> Response:
    """CSV streamed as it is written; ``slot`` is held until the last row is sent."""
    slot = slot or DownloadSlot(None)
    response = Response(stream_with_context(_holding(slot, csv_rows(columns, rows))),
                        mimetype="text/csv", headers=_headers(filename))
    response.call_on_close(slot.release)  # also when the stream never began
    return response


def write_xlsx(target, sheet: str, columns: list[Column], rows: Iterable) -> None:
    """An XLSX workbook into the file ``target``: text stays text, numbers numbers, times
    real dates (UTC). Written row by row (openpyxl's write-only mode), so memory does not
    grow with the rows."""
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
    book.save(target)


def _read_out(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    """The file's bytes a chunk at a time; the file is closed after the last."""
    with handle:
        while chunk := handle.read(size):
            yield chunk


def xlsx_response(filename: str, sheet: str, columns: list[Column], rows: Iterable,
                  slot: DownloadSlot | None = None) -> Response:
    """The workbook written to a temporary file (holding ``slot`` meanwhile), then sent
    from it: neither the rows nor the file are ever all in memory."""
    # Closed when its last byte is sent, when the response is closed, or if writing fails.
    handle = tempfile.TemporaryFile(prefix="casework-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        with slot or DownloadSlot(None):
            write_xlsx(handle, sheet, columns, rows)
        size = handle.tell()
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = Response(
        _read_out(handle),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_headers(filename))
    response.content_length = size
    response.call_on_close(handle.close)
    return response


def check_export_size(count: Callable[[int], Count] | None, query) -> None:
    """Refuse an export of more rows than ``EXPORT_MAX_ROWS``, counting no further.

    :raise ValidationFailed: the filters find more rows than an export may hold.
    """
    limit = current_app.config["EXPORT_MAX_ROWS"]
    if not limit:
        return
    counted = count(limit) if count else lean_count(query, limit)
    if counted.exact and counted.number <= limit:
        return
    raise ValidationFailed(
        _("This export would hold more than %(limit)s rows, the most one export may hold. "
          "Narrow the filters (a market, a state, a category or a period, for example) and "
          "export again.", limit=format_number(limit)), code="export_too_large")


def audited_export(user, query, *, what: str, filters, fmt: str, columns: list[Column],
                   count: Callable[[int], Count] | None = None,
                   for_reader: bool = False) -> Response:
    """Check the size, take one of the user's download slots, record the export (who,
    what, which filters, which format), then write ``query``'s rows as CSV or XLSX.
    ``what`` names the list: "cases" or "signals"; ``count(limit)`` counts the rows the
    quick way (else the query is counted).

    :raise ValidationFailed: more rows than ``EXPORT_MAX_ROWS``.
    :raise TooManyRequests: the user has as many downloads under way as they may.
    """
    from flask_babel import format_date

    from casework import audit
    from casework.models.types import utcnow
    from casework.vocabulary import AuditAction, AuditEntity
    from casework.web.edge import unit_of_work

    check_export_size(count, query)
    if for_reader:  # a page's export: headers and values in the reader's language
        columns = for_people(columns)
    slot = take_download_slot(user)
    try:
        with unit_of_work():
            audit.record(AuditEntity.EXPORT, AuditAction(f"{what}_exported"), actor=user,
                         changes={"format": fmt, "filters": {
                             k: (str(v) if v is not None else None)
                             for k, v in vars(filters).items()}})
        rows = streamed(query)
        name = f"{what}-{format_date(utcnow(), 'yyyy-MM-dd')}.{fmt}"
        if fmt == "xlsx":
            return xlsx_response(name, what.capitalize(), columns, rows, slot)
        return csv_response(name, columns, rows, slot)
    except BaseException:
        slot.release()
        raise
