"""Exports of the inbox and the queue for Excel: CSV German Excel opens, and XLSX."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from casework.extensions import db
from casework.models import AuditEvent, Case


def _csv(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_queue_exports_with_its_filters(client, make, login_as, query):
    make.case("assigned", title="Österreich: Hassrede im Live-Chat", markets=["AT"])
    make.case("closed", title="Closed one", markets=["DE"])
    login_as(make.pm)
    response = client.get("/cases/export.csv?market=AT")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert [r["Title"] for r in rows] == ["Österreich: Hassrede im Live-Chat"]
    assert rows[0]["State"] == "Assigned" and rows[0]["Markets"] == "Austria"
    assert rows[0]["Severity"] == "High" and rows[0]["Owner"] == make.specialist.email
    assert rows[0]["Restricted"] == "no"
    events = query(sa.select(AuditEvent.action, AuditEvent.changes)
                   .where(AuditEvent.entity_type == "export"))
    assert events[0][0] == "cases_exported" and events[0][1]["format"] == "csv"


def test_xlsx_keeps_hostile_text_as_text(client, make, login_as):
    make.case("assigned", title='=HYPERLINK("http://evil.example","click")')
    login_as(make.pm)
    response = client.get("/cases/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    title = sheet.cell(row=2, column=header.index("Title") + 1)
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK")
    score = sheet.cell(row=2, column=header.index("Score") + 1).value
    assert score == 12 and isinstance(score, int)
    rows = _csv(client.get("/cases/export.csv"))
    assert rows[0]["Title"].startswith("'=HYPERLINK"), "neutralised for CSV too"


def test_restricted_cases_stay_out_of_others_exports(client, make, login_as, app):
    case = make.case("assigned", title="Grooming in DMs", category="child_safety")
    with app.app_context():
        db.session.get(Case, case.id).restricted = True
        db.session.commit()
    login_as("policy_specialist")
    assert _csv(client.get("/cases/export.csv")) == []
    assert all(r["Case"] != case.key for r in _csv(client.get("/signals/export.csv?status=all")))


def test_the_inbox_export_reads_back_through_the_import(client, make, login_as, app):
    make.signal(title="Betrugsanzeigen mit Bankenlogos", market="CH", source="trusted_flagger",
                category="scams_fraud", external_ref="TF-1")
    make.signal(title="Live raids", external_ref="SM-2")
    login_as(make.pm)
    response = client.get("/signals/export.csv")
    rows = _csv(response)
    assert {r["External reference"] for r in rows} == {"TF-1", "SM-2"}
    again = client.post("/signals/import", data={
        "file": (io.BytesIO(response.get_data()), "inbox.csv")},
        content_type="multipart/form-data")
    assert "Already there" in again.text and "Will be imported" not in again.text
    sheet = load_workbook(io.BytesIO(client.get("/signals/export.xlsx").get_data())).active
    assert sheet.max_row == 3


def test_an_export_is_kept_by_no_cache(client, make, login_as):
    """Exports are as confidential as the PDFs."""
    make.case("assigned")
    login_as(make.pm)
    for url in ("/cases/export.csv", "/cases/export.xlsx", "/signals/export.csv"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


SIGNALS = [
    dict(title="Betrugsanzeigen mit Bankenlogos", description="Gefälschte Anzeigen",
         market="CH", source="trusted_flagger", surface="ads", category="scams_fraud",
         url="https://example.org/ad/1", external_ref="TF-1"),
    dict(title="Hassrede im Live-Stream", description="Koordinierte Angriffe", market="AT",
         source="social_media", surface="live", category="hate_speech",
         url="https://example.org/live/2", external_ref="SM-2"),
]
FIELDS = ("title", "description", "source", "market", "surface", "category", "url")


def _signals(query, refs) -> list[tuple]:
    from casework.models import Signal

    rows = query(sa.select(Signal.external_ref, Signal.observed_at,
                           *[getattr(Signal, f) for f in FIELDS])
                 .where(Signal.external_ref.in_(refs)).order_by(Signal.title))
    return [tuple(getattr(v, "value", v) for v in row[1:]) for row in rows]


def test_a_german_export_is_german_and_imports_again_unchanged(client, make, login_as,
                                                              query):
    """A German reader's inbox export: German headers and values (Soziale Medien,
    Österreich), which the import reads back into the same signals."""
    for fields in SIGNALS:
        make.signal(**fields)
    login_as(make.pm)
    response = client.get("/signals/export.csv?lang=de")
    raw = response.get_data().decode("utf-8-sig")
    header = raw.splitlines()[0]
    assert "Titel" in header and "Kategorie" in header and "title" not in header
    assert "Österreich" in raw and "Schweiz" in raw and "Hassrede" in raw
    assert "social_media" not in raw and "hate_speech" not in raw
    # The same rows under new references: imported as new signals, equal in every field.
    copied = raw.replace("TF-1", "TF-1-copy").replace("SM-2", "SM-2-copy")
    imported = client.post("/signals/import", data={
        "file": (io.BytesIO(copied.encode("utf-8-sig")), "inbox.csv")},
        content_type="multipart/form-data")
    assert imported.status_code == 200 and "Will be imported" in imported.text
    confirm = client.post("/signals/import", data={
        "payload": _payload(imported.text), "filename": "inbox.csv"})
    assert confirm.status_code == 200
    assert _signals(query, ["TF-1-copy", "SM-2-copy"]) == _signals(query, ["TF-1", "SM-2"])


def test_a_german_workbook_imports_again_unchanged(client, make, login_as, query):
    from openpyxl import Workbook

    for fields in SIGNALS:
        make.signal(**fields)
    login_as(make.pm)
    sheet = load_workbook(io.BytesIO(
        client.get("/signals/export.xlsx?lang=de").get_data())).active
    header = [c.value for c in sheet[1]]
    assert "Titel" in header and "Markt" in header
    # Saved again as CSV by Excel: semicolons, the values as shown.
    book = Workbook()
    copy = book.active
    for row in sheet.iter_rows(values_only=True):
        copy.append(row)
    lines = [";".join("" if v is None else str(v).replace("TF-1", "TF-1-copy")
                      .replace("SM-2", "SM-2-copy") for v in row)
             for row in copy.iter_rows(values_only=True)]
    imported = client.post("/signals/import", data={
        "file": (io.BytesIO("\n".join(lines).encode()), "inbox.csv")},
        content_type="multipart/form-data")
    assert "Will be imported" in imported.text, imported.text
    client.post("/signals/import", data={"payload": _payload(imported.text),
                                         "filename": "inbox.csv"})
    assert len(_signals(query, ["TF-1-copy", "SM-2-copy"])) == 2
    originals = _signals(query, ["TF-1", "SM-2"])
    copies = _signals(query, ["TF-1-copy", "SM-2-copy"])
    # Excel's cells hold the time without its zone: the day and minute survive.
    assert [c[1:] for c in copies] == [o[1:] for o in originals]


def test_the_api_export_keeps_canonical_names_and_values(app, make, query):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    make.signal(**SIGNALS[1])
    with app.app_context():
        _t, secret = create_token(None, find_user(make.pm.email), "export")
        db.session.commit()
    response = app.test_client().get("/api/v1/signals/export.csv", headers={
        "Authorization": f"Bearer {secret}", "Accept-Language": "de"})
    rows = _csv(response)
    assert rows[0]["source"] == "social_media" and rows[0]["market"] == "AT"


def _payload(html: str) -> str:
    import re

    return re.search(r'name="payload" type="hidden" value="([^"]+)"', html).group(1)
