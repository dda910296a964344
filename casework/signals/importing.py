"""Importing signals from the spreadsheets people really have.

Accepts UTF-8 (with or without BOM) and Windows-1252, `,` or `;` separators (a German
Excel export), quoted fields with line breaks, CRLF, German or English column headers and
enum labels, and dates as ISO 8601 or `24.11.2026 14:30` (local time, Europe/Berlin).
Every row is checked; rows with errors are reported and skipped; rows already in the
inbox (same source and external reference, or the same title, source, market and
observation time) are counted as duplicates, so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_timezone
from flask_babel import gettext as _

from casework import audit
from casework.errors import CaseworkError, PermissionDenied, ValidationFailed
from casework.extensions import db
from casework.models import Signal, User
from casework.permissions import can_import_signals
from casework.signals.operations import build_signal, file_signals
from casework.vocabulary import (
    LABELS,
    AuditAction,
    AuditEntity,
    Category,
    Market,
    SignalSource,
    Surface,
)

MAX_ROWS = 50_000


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


def _aliases(enum_cls) -> dict[str, str]:
    table: dict[str, str] = {}
    for member in enum_cls:
        names = [member.value, member.name, str(LABELS[enum_cls][member])]
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
class ImportReport:
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    def as_json(self) -> dict:
        return {
            "created": self.count("created"),
            "duplicates": self.count("duplicate"),
            "errors": [{"row": r.row, "column": r.column, "message": r.message}
                       for r in self.rows if r.outcome == "error"],
            "dry_run": self.dry_run,
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


def read_rows(data: bytes) -> tuple[dict[int, str], list[tuple[int, list[str]]]]:
    """The column map (index -> field) and the data rows with their row numbers.

    :raise ImportRefused: no header, a required column missing, or too many rows.
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
    # The canonical names first (our own exports), then the other spellings.
    for exact in (True, False):
        for index, name in enumerate(header):
            field_name = _HEADER_TO_FIELD.get(_key(name))
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
            if len(rows) > MAX_ROWS:
                raise ImportRefused(_("At most %(n)d rows per import, please.", n=MAX_ROWS),
                                    "file")
    except csv.Error as error:
        raise ImportRefused(_("Row %(row)d cannot be read: %(reason)s",
                              row=reader.line_num, reason=str(error)), "file") from None
    return columns, rows


LOCAL_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%y %H:%M",
                 "%d.%m.%y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_when(text: str) -> datetime | None:
    """ISO 8601 or German dates; without a zone, the time is local (Europe/Berlin)."""
    text = text.strip()
    if not text:
        return None
    parsed = None
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
    return parsed.astimezone(UTC)


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


def import_signals(actor: User, data: bytes, *, dry_run: bool,
                   filename: str = "") -> ImportReport:
    """Check every row and, unless ``dry_run``, file the good ones (one audit event each,
    plus one for the import). Never commits.

    :raise PermissionDenied: the actor may not import.
    :raise ImportRefused: the file as a whole cannot be read.
    """
    if not can_import_signals(actor):
        raise PermissionDenied(_("Only program managers import signals."))
    columns, rows = read_rows(data)
    aliases = {enum_cls: _aliases(enum_cls) for enum_cls in (SignalSource, Market, Surface,
                                                             Category)}
    report = ImportReport(dry_run=dry_run)
    checked: list[tuple[RowOutcome, Signal]] = []
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
            report.rows.append(RowOutcome(row_number, "error", title, column, error.message))
            continue
        outcome = RowOutcome(row_number, "created", title)
        report.rows.append(outcome)
        checked.append((outcome, candidate))
    known = _keys_in_inbox([candidate for _o, candidate in checked])
    new = []
    for outcome, candidate in checked:
        key = _natural_key(candidate)
        if key in known:
            outcome.outcome = "duplicate"
        else:
            known.add(key)  # a second copy later in the same file is a duplicate
            new.append((outcome, candidate))
    report.rows.sort(key=lambda r: r.row)
    if not dry_run and new:
        file_signals(actor, [candidate for _o, candidate in new])
        for outcome, candidate in new:
            outcome.signal_id = candidate.id
    if not dry_run:
        summary = report.as_json()
        audit.record(AuditEntity.IMPORT, AuditAction.SIGNALS_IMPORTED, actor=actor, changes={
            "file": filename[:200], "created": summary["created"],
            "duplicates": summary["duplicates"], "errors": len(summary["errors"])})
    return report
