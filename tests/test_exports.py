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
    assert [r["title"] for r in rows] == ["Österreich: Hassrede im Live-Chat"]
    assert rows[0]["state"] == "assigned" and rows[0]["markets"] == "AT"
    assert rows[0]["band"] == "high" and rows[0]["owner"] == make.specialist.email
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
    title = sheet.cell(row=2, column=header.index("title") + 1)
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK")
    score = sheet.cell(row=2, column=header.index("score") + 1).value
    assert score == 12 and isinstance(score, int)
    rows = _csv(client.get("/cases/export.csv"))
    assert rows[0]["title"].startswith("'=HYPERLINK"), "neutralised for CSV too"


def test_restricted_cases_stay_out_of_others_exports(client, make, login_as, app):
    case = make.case("assigned", title="Grooming in DMs", category="child_safety")
    with app.app_context():
        db.session.get(Case, case.id).restricted = True
        db.session.commit()
    login_as("policy_specialist")
    assert _csv(client.get("/cases/export.csv")) == []
    assert all(r["case"] != case.key for r in _csv(client.get("/signals/export.csv?status=all")))


def test_the_inbox_export_reads_back_through_the_import(client, make, login_as, app):
    make.signal(title="Betrugsanzeigen mit Bankenlogos", market="CH", source="trusted_flagger",
                category="scams_fraud", external_ref="TF-1")
    make.signal(title="Live raids", external_ref="SM-2")
    login_as(make.pm)
    response = client.get("/signals/export.csv")
    rows = _csv(response)
    assert {r["external_ref"] for r in rows} == {"TF-1", "SM-2"}
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
