"""Bounds on what one request may cost, whatever the data holds (docs/limits.md): PDFs
shorten long texts and print the latest items only, the case page and the case's JSON show
the latest comments and events with the way to older ones, exports are written row by row
and refused past EXPORT_MAX_ROWS, and a user runs at most DOWNLOADS_PER_USER PDFs and
exports at once. Speed and memory figures are in bench/bench_pdf.py, not here."""

from __future__ import annotations

import io
import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.extensions import db
from casework.models import AuditEvent, Case, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def long_text(tag: str, length: int = 20_000) -> str:
    """``length`` characters of words unique to ``tag``, ending in a marker of its own."""
    words = " ".join(f"{tag}w{n}" for n in range(length))[:length - 20]
    return f"{words} ENDE{tag}ENDE"


def add_comments(app, case, author, bodies) -> None:
    from casework.cases.operations import add_comment

    with app.app_context():
        user, record = db.session.get(User, author.id), db.session.get(Case, case.id)
        for body in bodies:
            add_comment(user, record, body)
        db.session.commit()


@pytest.fixture
def token_for(app):
    def _token(user) -> str:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "bounds")
            db.session.commit()
            return secret

    return _token


# --- PDFs -----------------------------------------------------------------------------------


def test_a_pdf_of_a_case_with_60_comments_of_20000_characters_is_shortened(
        app, client, make, login_as):
    from casework.cases.operations import add_action

    case = make.case("mitigating", summary=long_text("Sum"), title="Lange Diskussion")
    with app.app_context():
        add_action(db.session.get(User, make.specialist.id), db.session.get(Case, case.id),
                   title="Keyword list update", team="content_policy", owner="Jana Wolf",
                   due=date.today(), status="in_progress", outcome=long_text("Out"))
        db.session.commit()
    add_comments(app, case, make.specialist, [long_text(f"C{n}x") for n in range(60)])
    login_as(make.pm)

    response = client.get(f"/cases/{case.key}/summary.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Lange Diskussion" in text
    # The cover says the PDF is abridged, and each place says what it left out.
    assert "Abridged." in text and f"The whole case is in Casework under {case.key}" in text
    assert "The latest 10 comments are shown; 50 earlier comments are in Casework." in text
    # Each of the 10 comments, the summary and the outcome say so.
    assert text.count("Shortened here; the full text is in Casework") >= 12
    # The latest comments are there, each cut; none in full, none of the earlier ones.
    assert "C59xw0 C59xw1" in text and "C50xw0 C50xw1" in text
    # (the audit trail prints the start of the comments of its latest events)
    assert "C10xw0" not in text and "C0xw0 " not in text
    assert "ENDE" not in text
    assert "Sumw0 Sumw1" in text and "Outw0" in text
    assert len(text) < 80_000, len(text)


def test_a_partner_pdf_is_shortened_too_and_a_short_case_not_at_all(client, make, login_as):
    case = make.case("assigned", assessment=long_text("Ass"))
    short = make.case("assigned", summary="Kurz und klar.")
    login_as(make.pm)
    text = pdf_text(client.get(f"/cases/{case.key}/summary.pdf?audience=partner").data)
    assert "Assw0" in text and "ENDEAssENDE" not in text
    assert "Shortened here; the full text is in Casework" in text and "Abridged." in text
    text = pdf_text(client.get(f"/cases/{short.key}/summary.pdf").data)
    assert "Kurz und klar." in text
    assert "Abridged" not in text and "Shortened here" not in text


# --- the case page and the case's JSON ------------------------------------------------------


def test_the_case_page_shows_the_latest_50_comments_and_links_to_older_ones(
        app, client, make, login_as):
    case = make.case("mitigating")
    add_comments(app, case, make.specialist, [f"Kommentar-{n:03d} zum Fall" for n in range(120)])
    login_as(make.pm)

    page = client.get(f"/cases/{case.key}").text

    comments = page[page.index('id="comments"'):]
    shown = re.findall(r"Kommentar-(\d{3})", comments[:comments.index("</section>")])
    assert shown == [f"{n:03d}" for n in range(70, 120)]  # the latest 50, oldest first
    older = f"/cases/{case.key}/comments?page=2"
    assert f'href="{older}"' in page and "Show 70 older comments" in page
    # The audit trail beside it: the latest 50 events, and the way to the older ones.
    assert page.count('class="timeline-head"') == 50
    assert f'href="/cases/{case.key}/audit?page=2"' in page

    second = client.get(older)
    assert second.status_code == 200
    assert re.findall(r"Kommentar-(\d{3})", second.text) == [
        f"{n:03d}" for n in range(69, 19, -1)]  # the 50 before them, newest first
    third = client.get(f"/cases/{case.key}/comments?page=3")
    assert re.findall(r"Kommentar-(\d{3})", third.text) == [
        f"{n:03d}" for n in range(19, -1, -1)]
    assert "120 comments, newest first" in third.text

    trail = client.get(f"/cases/{case.key}/audit?page=2")
    assert trail.status_code == 200
    assert trail.text.count('class="timeline-head"') == 50
    assert "commented" in trail.text


def test_the_older_pages_follow_the_case_s_visibility(app, client, make, login_as):
    case = make.case("assigned", category="child_safety")
    with app.app_context():
        db.session.get(Case, case.id).restricted = True
        db.session.commit()
    login_as("policy_specialist")
    assert client.get(f"/cases/{case.key}/comments").status_code == 404
    assert client.get(f"/cases/{case.key}/audit").status_code == 404


def test_the_case_json_holds_the_latest_50_comments_and_links_to_all(
        app, make, token_for):
    case = make.case("mitigating")
    add_comments(app, case, make.specialist, [f"Kommentar-{n:03d}" for n in range(60)])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(make.pm)}"}

    body = client.get(f"/api/v1/cases/{case.key}", headers=headers).get_json()

    assert [c["body"] for c in body["comments"]] == [f"Kommentar-{n:03d}" for n in range(10, 60)]
    assert body["comments_total"] == 60
    assert body["links"]["comments"] == f"/api/v1/cases/{case.key}/comments"
    listed = client.get(body["links"]["comments"] + "?per_page=200", headers=headers).get_json()
    assert listed["total"] == 60 and len(listed["items"]) == 60


# --- exports --------------------------------------------------------------------------------


def _many_signals_on_many_cases(app, make, count: int) -> None:
    """``count`` signals, each qualified into a case of its own (inserted in bulk)."""
    from casework.models import CaseMarket, Signal
    from casework.vocabulary import CaseState, Category, Market, SignalSource, SignalStatus

    pm = make.pm
    with app.app_context():
        db.session.execute(sa.insert(Case), [dict(
            key=f"RISK-2020-{n + 1:04d}", year=2020, number=n + 1, title=f"Bulk {n}",
            summary="", assessment="", category=Category.HATE_SPEECH, likelihood=2, impact=2,
            score=4, state=CaseState.QUALIFIED, created_by_id=pm.id, version=1,
            restricted=False) for n in range(count)])
        ids = db.session.scalars(sa.select(Case.id).where(Case.year == 2020)).all()
        db.session.execute(sa.insert(CaseMarket), [
            dict(case_id=case_id, market=Market.DE) for case_id in ids])
        db.session.execute(sa.insert(Signal), [dict(
            title=f"Bulk signal {n}", description="", source=SignalSource.NEWS,
            market=Market.DE, category=Category.HATE_SPEECH, status=SignalStatus.QUALIFIED,
            case_id=case_id, reported_by_id=pm.id) for n, case_id in enumerate(ids)])
        db.session.commit()


class Statements:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)


def test_an_xlsx_export_is_written_row_by_row_with_a_few_queries(
        app, client, make, login_as, monkeypatch):
    import openpyxl

    _many_signals_on_many_cases(app, make, 300)
    login_as(make.pm)
    modes = []
    workbook = openpyxl.Workbook

    def spy(*args, **kwargs):
        modes.append(kwargs.get("write_only"))
        return workbook(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "Workbook", spy)
    with app.app_context():
        engine = db.engine
    with Statements(engine) as statements:
        response = client.get("/signals/export.xlsx?status=all")
        # Sent from a file as it is read, not built in memory; its length said up front.
        streamed = response.is_streamed
        data = response.get_data()

    assert response.status_code == 200 and response.mimetype == XLSX
    assert modes == [True], "openpyxl's write-only workbook"
    assert streamed and response.content_length == len(data)
    # Batches, not a query (or three) per signal's case.
    assert statements.count < 40, statements.count
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 301
    keys = {row[header.index("Case")] for row in rows[1:]}
    assert len(keys) == 300 and "RISK-2020-0001" in keys


def test_a_case_export_counts_signals_and_actions_in_batches(app, client, make, login_as):
    _many_signals_on_many_cases(app, make, 200)
    make.case("in_review", title="Mit Signal")
    login_as(make.pm)
    with app.app_context():
        engine = db.engine
    with Statements(engine) as statements:
        response = client.get("/cases/export.csv")
        text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert statements.count < 40, statements.count
    assert text.count("\r\n") == 202  # the header and 201 cases
    line = next(line for line in text.split("\r\n") if "Mit Signal" in line)
    assert ";no;1;1;" in line  # not restricted, one signal, one action


def test_an_export_past_the_bound_is_refused_on_the_page_and_in_the_api(
        app, client, make, login_as, token_for, query):
    app.config["EXPORT_MAX_ROWS"] = 3
    for market in ("DE", "DE", "AT", "CH"):
        make.signal(market=market)
    user = login_as(make.pm)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(user)}"}

    for fmt in ("csv", "xlsx"):
        page = client.get(f"/signals/export.{fmt}")
        assert page.status_code == 422
        assert "more than 3 rows" in page.text and "Narrow the filters" in page.text
        answer = api.get(f"/api/v1/signals/export.{fmt}", headers=headers)
        assert answer.status_code == 422
        error = answer.get_json()["error"]
        assert error["code"] == "export_too_large" and "Narrow the filters" in error["message"]
    assert query(sa.select(AuditEvent.id).where(AuditEvent.entity_type == "export")) == []

    narrowed = client.get("/signals/export.csv?market=DE")
    assert narrowed.status_code == 200 and narrowed.get_data(as_text=True).count("\r\n") == 3
    assert api.get("/api/v1/signals/export.csv?market=DE", headers=headers).status_code == 200


# --- downloads under way at once -------------------------------------------------------------


class SlowDownload(threading.Thread):
    """A download that has begun and is read only when told to (as by a slow client), in a
    thread of its own like a request to another worker."""

    def __init__(self, client, url: str, **kwargs):
        super().__init__(daemon=True)
        self.client, self.url, self.kwargs = client, url, kwargs
        self.begun, self.go_on = threading.Event(), threading.Event()
        self.status, self.body = None, b""

    def run(self) -> None:
        response = self.client.get(self.url, buffered=False, **self.kwargs)
        self.status = response.status_code
        self.begun.set()
        self.go_on.wait(60)
        self.body = response.get_data()
        response.close()

    def begin(self) -> SlowDownload:
        self.start()
        assert self.begun.wait(60)
        return self

    def finish(self) -> bytes:
        self.go_on.set()
        self.join(60)
        return self.body


def test_a_user_runs_at_most_two_pdfs_or_exports_at_once(app, client, make, login_as,
                                                         token_for):
    case = make.case("assigned")
    user = login_as(make.pm)
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    assert app.config["DOWNLOADS_PER_USER"] == 2
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email,
                                        "password": user.password}).status_code == 302

    # Two exports under way: their rows are read as the client reads them.
    page_export = SlowDownload(browser, "/cases/export.csv").begin()
    api_export = SlowDownload(app.test_client(), "/api/v1/signals/export.csv",
                              headers=headers).begin()
    assert page_export.status == api_export.status == 200

    api = app.test_client()
    for refused in (client.get(f"/cases/{case.key}/summary.pdf"),
                    api.get(f"/api/v1/cases/{case.key}/summary.pdf", headers=headers),
                    client.get("/cases/export.xlsx")):
        assert refused.status_code == 429, refused.status_code
        assert refused.headers["Retry-After"] == "10"
    refused = api.get("/api/v1/cases/export.xlsx", headers=headers)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert "2 PDFs or exports under way" in refused.get_json()["error"]["message"]

    # Someone else is not held up.
    other = app.test_client()
    assert other.post("/login", data={"email": make.specialist.email,
                                      "password": make.specialist.password}).status_code == 302
    assert other.get(f"/cases/{case.key}/summary.pdf").status_code == 200

    # One finished: the next is taken, on the page and in the API.
    assert api_export.finish().startswith("\ufeff".encode())
    again = client.get(f"/cases/{case.key}/summary.pdf")
    assert again.status_code == 200 and again.mimetype == "application/pdf"
    assert api.get("/api/v1/cases/export.xlsx", headers=headers).status_code == 200
    assert page_export.finish().startswith("\ufeff".encode())
