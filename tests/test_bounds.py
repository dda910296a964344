"""Bounds on what one request may cost, whatever the data holds (docs/limits.md): PDFs
shorten long texts and print the latest items only, the case page and the case's JSON show
the latest comments and events with the way to older ones, exports are written row by row
and refused past EXPORT_MAX_ROWS, and a user runs at most DOWNLOADS_PER_USER PDFs and
exports at once. Speed and memory figures are in bench/bench_pdf.py, not here."""

from __future__ import annotations

import io
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
