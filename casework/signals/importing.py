"""Importing signals from the spreadsheets people really have.

Accepts UTF-8 (with or without BOM) and Windows-1252, `,` or `;` separators (a German
Excel export), quoted fields with line breaks, CRLF, German or English column headers and
enum labels, and dates as ISO 8601 or `24.11.2026 14:30` (local time, Europe/Berlin).
Every row is checked; rows with errors are reported and skipped; rows already in the
inbox (same source and external reference, or the same title, source, market and
observation time) are counted as duplicates, so importing a file twice adds nothing.

The whole file is read and every row checked before anything is written: a file that
cannot be read is refused as a whole (422) and changes nothing. Then the good rows are
filed in batches of ``BATCH_SIZE`` rows of the file, each committed with its signals'
audit events and one ``signals_imported`` event for the batch, so a big import never
holds the write lock for more than one batch. If the import stops half-way (the process
dies, the database stays busy), what landed is whole batches with their audit events, and
importing the same file again skips them as duplicates and files the rest. See
docs/imports.md.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_timezone
from flask_babel import gettext as _

from casework import audit
from casework.errors import CaseworkError, DatabaseBusy, PermissionDenied, ValidationFailed
from casework.extensions import db
from casework.models import Signal, User
from casework.permissions import can_import_signals
from casework.signals.operations import build_signal, file_signals
from casework.validation import check_moment
from casework.vocabulary import (
    LABELS,
    AuditAction,
    AuditEntity,
    Category,
    Market,
    SignalSource,
    Surface,
)
from casework.web.edge import reading, unit_of_work

MAX_ROWS = 50_000
# The rows a preview or result page lists at most (the counts cover every row).
PREVIEW_ROWS = 200
SHOWN_FIRST = {"error": 0, "duplicate": 1, "created": 2}
# Rows of the file per committed batch: long enough to be quick in bulk, short enough
# that another user's write never waits more than a moment for the lock.
BATCH_SIZE = 500
# Between two batches on SQLite, leave the write lock free this long (seconds). SQLite's
# busy handler is no queue: a waiting writer sleeps and retries, up to 100 ms apart, so
# a lock taken again at once would be missed by everyone waiting for it.
SQLITE_HANDOFF_PAUSE = 0.1


class ImportRefused(CaseworkError):
    """The file as a whole cannot be read (not a CSV, no header, a required column missing)."""

    status_code = 422


def _key(text: str) -> str:
    """A forgiving comparison key: case, accents, spaces, dashes and underscores ignored."""
    text = unicodedata.normalize("NFKD", text.strip().casefold()).replace("ß", "ss")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_\-/.()]+", "", text)


COLUMNS = {
    "title": ("title", "titel", "überschrift", "betreff", "subject"),
    "description": ("description", "beschreibung", "details", "text"),
    "source": ("source", "quelle", "herkunft"),
    "market": ("market", "markt", "land", "country"),
    "surface": ("surface", "product surface", "produktbereich", "produktfläche", "bereich",
                "oberfläche", "produkt"),
    "category": ("category", "risk category", "kategorie", "risikokategorie", "risiko"),
    "url": ("url", "link", "quelle url", "source url"),
    "observed_at": ("observed at", "observed", "beobachtet am", "beobachtet", "zeitpunkt",
                    "datum", "date", "festgestellt am"),
    "external_ref": ("external ref", "external reference", "externe referenz", "referenz",
                     "reference", "ref", "ticket", "vorgangsnummer"),
}
REQUIRED = ("title", "source", "market", "category")
_HEADER_TO_FIELD = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}

# German words (and common variants) for the canonical values, beyond the labels.
GERMAN = {
    SignalSource: {
        "news": ("Nachrichten", "Presse", "Medienbericht", "Zeitungsbericht"),
        "social_media": ("Soziale Medien", "Social-Media-Monitoring"),
        "escalation": ("Eskalation", "Bereichsübergreifende Eskalation"),
        "market_data": ("Marktdaten", "Market Health", "Marktgesundheit"),
        "user_report": ("Nutzermeldung", "Nutzerbeschwerde", "Meldung"),
        "trusted_flagger": ("Vertrauenswürdiger Hinweisgeber", "Trusted-Flagger"),
        "authority": ("Behörde", "Behördenanfrage", "Behördliche Anfrage"),
        "internal_detection": ("Interne Erkennung", "Intern"),
    },
    Market: {
        "DE": ("Deutschland", "Germany"), "AT": ("Österreich", "Austria"),
        "CH": ("Schweiz", "Switzerland"),
    },
    Surface: {
        "video": ("Videos",), "live": ("Livestream", "Live-Stream"),
        "comments": ("Kommentare", "Kommentar"), "messages": ("Nachrichten", "DMs", "Chat"),
        "accounts": ("Konten", "Konto", "Profile"), "follow_like": ("Folgen/Liken",),
        "search": ("Suche",), "ads": ("Werbung", "Anzeigen"), "other": ("Sonstiges",),
    },
    Category: {
        "youth_safety": ("Jugendschutz",), "hate_speech": ("Hassrede", "Hate Speech"),
        "cyberbullying": ("Cybermobbing", "Mobbing"),
        "self_harm": ("Selbstverletzung", "Suizid", "Selbstverletzung und Suizid"),
        "violent_extremism": ("Gewalttätiger Extremismus", "Extremismus"),
        "child_safety": ("Kinderschutz",), "misinformation": ("Desinformation",
                                                              "Falschinformation"),
        "scams_fraud": ("Betrug", "Scam", "Betrug und Scams"), "privacy": ("Datenschutz",),
        "illegal_goods": ("Illegale Waren",),
        "violent_graphic": ("Gewaltdarstellung", "Gewalt"), "other": ("Sonstiges", "Andere"),
    },
}


def _in_every_language(text) -> list[str]:
    """A translated text as each of Casework's languages has it (a file exported in one
    language is imported by someone reading another)."""
    spellings = []
    for locale in ("en", "de"):
        with force_locale(locale):
            spellings.append(str(text))
    return spellings


def _header_fields() -> dict[str, str]:
    """Header spellings: the aliases above and the inbox export's headers in every
    language (casework/signals/exports.py)."""
    from casework.signals.exports import COLUMNS as EXPORTED

    table = dict(_HEADER_TO_FIELD)
    for column in EXPORTED:
        if column.header in COLUMNS and column.label is not None:
            for spelling in _in_every_language(column.label):
                table.setdefault(_key(spelling), column.header)
    return table


def _aliases(enum_cls) -> dict[str, str]:
    table: dict[str, str] = {}
    for member in enum_cls:
        names = [member.value, member.name, *_in_every_language(LABELS[enum_cls][member])]
        names += GERMAN.get(enum_cls, {}).get(member.value, ())
        for name in names:
            table.setdefault(_key(name), member.value)
    return table


@dataclass
class RowOutcome:
    row: int  # the spreadsheet row: the header is row 1
    outcome: str  # "created", "duplicate" or "error"
    title: str = ""
    column: str = ""
    message: str = ""
    signal_id: int | None = None


@dataclass
class Batch:
    """What one committed batch of the file's rows did."""

    number: int
    first_row: int
    last_row: int
    created: int = 0
    duplicates: int = 0
    refused: int = 0  # rows with errors in this stretch of the file, never written

    def as_json(self) -> dict:
        return {"batch": self.number, "first_row": self.first_row, "last_row": self.last_row,
                "created": self.created, "duplicates": self.duplicates,
                "refused": self.refused}


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)  # committed, in order; none in a dry run

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    def shown(self, outcome: str | None = None, limit: int = PREVIEW_ROWS) -> list[RowOutcome]:
        """The rows a page lists (of one outcome, or all): errors first, then rows already
        there, then new ones, at most ``limit``; the counts say how many there are."""
        rows = self.rows if outcome is None else [r for r in self.rows if r.outcome == outcome]
        return sorted(rows, key=lambda r: (SHOWN_FIRST[r.outcome], r.row))[:limit]

    def as_json(self) -> dict:
        return {
            "created": self.count("created"),
            "duplicates": self.count("duplicate"),
            "refused": self.count("error"),
            "errors": [{"row": r.row, "column": r.column, "message": r.message}
                       for r in self.rows if r.outcome == "error"],
            "dry_run": self.dry_run,
            "batches": [batch.as_json() for batch in self.batches],
        }


def decode(data: bytes) -> str:
    """The text of an upload: UTF-8 (BOM or not), else Windows-1252.

    :raise ImportRefused: a binary file.
    """
    if b"\x00" in data[:65536]:
        raise ImportRefused(_("This is not a CSV file (it contains binary data)."), "file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportRefused(_("The file is neither UTF-8 nor Windows-1252 text."),
                            "file") from None


def _dialect(text: str) -> str:
    """`;` for a German Excel export, `,` otherwise (tab-separated works too)."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def online_max_rows() -> int:
    """The most rows a page or API import takes (``IMPORT_MAX_ROWS_ONLINE``; 0: only the
    file bound): it runs inside the request, which must end within the server's timeout."""
    return min(current_app.config["IMPORT_MAX_ROWS_ONLINE"] or MAX_ROWS, MAX_ROWS)


def _too_many_rows(max_rows: int) -> ImportRefused:
    if max_rows < MAX_ROWS:
        return ImportRefused(_(
            "This file has more than %(n)d rows, more than the page and the API import at "
            "once. Split it into smaller files, or have an admin import it with flask "
            "casework import-signals.", n=max_rows), "file")
    return ImportRefused(_("At most %(n)d rows per import, please.", n=max_rows), "file")


def read_rows(data: bytes, max_rows: int = MAX_ROWS
              ) -> tuple[dict[int, str], list[tuple[int, list[str]]]]:
    """The column map (index -> field) and the data rows with their row numbers.

    :raise ImportRefused: no header, a required column missing, or more than ``max_rows``.
    """
    # Excel writes CRLF, also inside quoted cells: keep one kind of line break.
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ImportRefused(_("The file is empty."), "file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRefused(_("The file has no header row."), "file") from None
    columns: dict[int, str] = {}
    fields = _header_fields()
    # The canonical names first (our own exports), then the other spellings.
    for exact in (True, False):
        for index, name in enumerate(header):
            field_name = fields.get(_key(name))
            if (field_name is None or index in columns or field_name in columns.values()
                    or exact != (_key(name) == _key(field_name))):
                continue
            columns[index] = field_name
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ImportRefused(_(
            "The first row must name the columns; missing: %(missing)s. "
            "German or English headers work, e.g. Titel, Quelle, Markt, Kategorie.",
            missing=", ".join(missing)), "file")
    rows = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append((reader.line_num, record))
            if len(rows) > max_rows:
                raise _too_many_rows(max_rows)
    except csv.Error as error:
        raise ImportRefused(_("Row %(row)d cannot be read: %(reason)s",
                              row=reader.line_num, reason=str(error)), "file") from None
    return columns, rows


LOCAL_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%y %H:%M",
                 "%d.%m.%y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_when(text: str) -> datetime | None:
    """ISO 8601 or German dates, in the years every input may name
    (``validation.check_moment``); without a zone, the time is local (Europe/Berlin).

    :raise ValidationFailed: not such a date (Unicode digits neither), or out of bounds.
    """
    text = text.strip()
    if not text:
        return None
    parsed = None
    if text.isascii():  # strptime and fromisoformat take digits such as '٣' too
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for fmt in LOCAL_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if parsed is None:
        raise ValidationFailed(_("Give a date like 24.11.2026 14:30 or 2026-11-24T14:30."),
                               "observed_at")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(str(get_timezone())))
    return check_moment(parsed, "observed_at").astimezone(UTC)


def _row_fields(columns: dict[int, str], record: list[str], aliases: dict) -> dict:
    values = {name: (record[index] if index < len(record) else "")
              for index, name in columns.items()}
    fields = {name: values.get(name, "").strip() for name in COLUMNS}
    for name, enum_cls in (("source", SignalSource), ("market", Market),
                           ("surface", Surface), ("category", Category)):
        raw = fields[name]
        if raw:
            fields[name] = aliases[enum_cls].get(_key(raw), raw)
    fields["surface"] = fields["surface"] or None
    fields["observed_at"] = parse_when(fields["observed_at"])
    return fields


def _natural_key(signal: Signal) -> tuple:
    """What makes two rows the same signal: the source's own reference when there is
    one, else the title, market and time of observation."""
    if signal.external_ref:
        return (signal.source.value, signal.external_ref)
    observed = signal.observed_at.isoformat() if signal.observed_at else None
    return (signal.source.value, signal.title, signal.market.value, observed)


def _keys_in_inbox(candidates: list[Signal]) -> set[tuple]:
    """The natural keys of these candidates that the inbox holds already (a few queries
    in chunks, not one per row)."""
    found: set[tuple] = set()
    refs = sorted({c.external_ref for c in candidates if c.external_ref})
    titles = sorted({c.title for c in candidates if not c.external_ref})
    for start in range(0, len(refs), 500):
        rows = db.session.execute(sa.select(Signal).where(
            Signal.external_ref.in_(refs[start:start + 500]))).scalars()
        found.update(_natural_key(row) for row in rows)
    for start in range(0, len(titles), 500):
        rows = db.session.execute(sa.select(Signal).where(
            Signal.external_ref.is_(None), Signal.title.in_(titles[start:start + 500]))).scalars()
        found.update(_natural_key(row) for row in rows)
    return found


@dataclass
class CheckedRow:
    """A data row after checking: its outcome so far and, when it is valid, the signal it
    would file."""

    outcome: RowOutcome
    candidate: Signal | None


def check_rows(actor: User, data: bytes, max_rows: int = MAX_ROWS) -> list[CheckedRow]:
    """Read the file and check every row, writing nothing and reading nothing from the
    database: a row with an error is marked so, every other row as one to create.

    :raise ImportRefused: the file as a whole cannot be read.
    """
    columns, rows = read_rows(data, max_rows)
    aliases = {enum_cls: _aliases(enum_cls) for enum_cls in (SignalSource, Market, Surface,
                                                             Category)}
    checked: list[CheckedRow] = []
    for row_number, record in rows:
        title = ""
        try:
            fields = _row_fields(columns, record, aliases)
            title = fields["title"][:200]
            # Every value is checked before anything is written, so a refused row
            # leaves nothing behind.
            candidate = build_signal(actor, **fields)
        except CaseworkError as error:
            column = error.field if error.field in COLUMNS else ""
            checked.append(CheckedRow(
                RowOutcome(row_number, "error", title, column, error.message), None))
            continue
        checked.append(CheckedRow(RowOutcome(row_number, "created", title), candidate))
    return checked


def _mark_duplicates(rows: list[CheckedRow], known: set[tuple]) -> list[CheckedRow]:
    """Mark the rows whose signal is in ``known`` (the inbox, or earlier in this file) as
    duplicates; the others are new, and their keys join ``known``."""
    new = []
    for row in rows:
        if row.candidate is None:
            continue
        key = _natural_key(row.candidate)
        if key in known:
            row.outcome.outcome = "duplicate"
        else:
            known.add(key)  # a second copy later in the same file is a duplicate
            new.append(row)
    return new


def import_signals(actor: User, data: bytes, *, dry_run: bool, filename: str = "",
                   max_rows: int = MAX_ROWS, batch_size: int | None = None,
                   after_batch: Callable[[Batch], None] | None = None) -> ImportReport:
    """Check the whole file first, then, unless ``dry_run``, file its good rows in
    batches that each commit (see :func:`file_in_batches`).

    Checking reads the database as a reader only (on SQLite a snapshot that blocks no
    one), so a dry run is one read-only pass and writes nothing.

    :raise PermissionDenied: the actor may not import.
    :raise ImportRefused: the file as a whole cannot be read; nothing is written.
    :raise DatabaseBusy: a batch could not get the database; the batches before it stay.
    """
    if not can_import_signals(actor):
        raise PermissionDenied(_("Only program managers import signals."))
    with reading():
        rows = check_rows(actor, data, max_rows)
        if dry_run:
            _mark_duplicates(rows, _keys_in_inbox([r.candidate for r in rows if r.candidate]))
            return ImportReport(dry_run=True, rows=[row.outcome for row in rows])
    return file_in_batches(actor, rows, filename=filename, batch_size=batch_size,
                           after_batch=after_batch)


def file_in_batches(actor: User, rows: list[CheckedRow], *, filename: str = "",
                    batch_size: int | None = None,
                    after_batch: Callable[[Batch], None] | None = None) -> ImportReport:
    """File checked rows in batches of ``batch_size`` rows of the file (``BATCH_SIZE``),
    each in a transaction of its own that commits the batch's signals, their audit
    events and one ``signals_imported`` event for the batch. Another user's change waits
    for one batch at most, never for the whole file.

    Each batch looks for duplicates when it writes, so a batch filed before (an earlier
    run of the same file that stopped) is skipped as duplicates and a run that stopped
    can simply be repeated. ``after_batch`` is called after each commit (progress).

    This is the edge for an import: it commits, as a request or a command would.

    :raise DatabaseBusy: a batch could not get the database; the batches before it stay.
    """
    size = batch_size or BATCH_SIZE
    report = ImportReport(dry_run=False, rows=[row.outcome for row in rows])
    total = -(-len(rows) // size)
    seen: set[tuple] = set()  # keys filed or met earlier in this file
    for number, start in enumerate(range(0, len(rows), size), 1):
        part = rows[start:start + size]
        try:
            with unit_of_work():
                batch = _file_batch(actor, part, seen, number=number, of=total,
                                    filename=filename)
        except DatabaseBusy as busy:
            if not report.batches:
                raise
            raise DatabaseBusy(_(
                "The database is busy with other work. %(done)d of %(total)d batches were "
                "imported (%(created)d signals) before it stopped; import the same file "
                "again in a few seconds to add the rest (what is there is skipped).",
                done=len(report.batches), total=total,
                created=sum(b.created for b in report.batches))) from busy
        report.batches.append(batch)
        for row in part:  # done with: let the session forget them (commits stay quick)
            if row.candidate is not None and row.candidate in db.session:
                db.session.expunge(row.candidate)
            row.candidate = None
        if after_batch is not None:
            after_batch(batch)
        if number < total and db.engine.dialect.name == "sqlite":
            time.sleep(SQLITE_HANDOFF_PAUSE)
    return report


def _file_batch(actor: User, part: list[CheckedRow], seen: set[tuple], *, number: int,
                of: int, filename: str) -> Batch:
    """File one batch's new rows with their audit events and the batch's own; flushes."""
    candidates = [row.candidate for row in part if row.candidate is not None]
    known = _keys_in_inbox(candidates) | seen
    new = _mark_duplicates(part, known)
    seen.update(known)
    if new:
        file_signals(actor, [row.candidate for row in new])
        for row in new:
            row.outcome.signal_id = row.candidate.id
    batch = Batch(number, part[0].outcome.row, part[-1].outcome.row,
                  created=len(new),
                  duplicates=sum(1 for r in part if r.outcome.outcome == "duplicate"),
                  refused=sum(1 for r in part if r.outcome.outcome == "error"))
    audit.record(AuditEntity.IMPORT, AuditAction.SIGNALS_IMPORTED, actor=actor, changes={
        "file": filename[:200], "batch": number, "batches": of,
        "rows": [batch.first_row, batch.last_row], "created": batch.created,
        "duplicates": batch.duplicates, "errors": batch.refused})
    return batch
