"""Bounds on what one request may cost, whatever the data holds (docs/limits.md): PDFs
shorten long texts and print the latest items only, the case page and the case's JSON show
the latest comments and events with the way to older ones, exports are written row by row
and refused past EXPORT_MAX_ROWS, and a user runs at most DOWNLOADS_PER_USER PDFs and
exports at once. Speed and memory figures are in bench/bench_pdf.py, not here."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from casework.extensions import db
from casework.models import Case, User

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
    assert "The latest 20 comments are shown; 40 earlier comments are in Casework." in text
    # Each of the 20 comments, the summary and the outcome say so.
    assert text.count("Shortened here; the full text is in Casework") >= 22
    # The latest comments are there, each cut; none in full, none of the earlier ones.
    assert "C59xw0 C59xw1" in text and "C40xw0" in text
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
