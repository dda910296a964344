"""Who sees which language: the choice saved on the user, a visitor's choice kept in the
session, the browser's Accept-Language; PDFs and exports in the language asked for; the
API's messages in the language of Accept-Language.

The German catalogue may still be incomplete, so the tests look at what changes with the
locale whatever the catalogue holds (how dates and numbers are written, ``lang``), and at
a translated word only where the catalogue has it.
"""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from test_reports import add_action, pdf_text

from casework.extensions import db
from casework.models import AuditEvent, User

GERMAN_BROWSER = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}
DUE = date(2026, 11, 30)
DUE_IN = {"de": "30.11.2026", "en": "30 Nov 2026"}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text)[1]


def save_language(app, user, language: str | None) -> None:
    from casework.users.operations import choose_language
    from casework.vocabulary import Language

    with app.app_context():
        choose_language(db.session.get(User, user.id), Language(language) if language else None)
        db.session.commit()


def german(app, text: str) -> str | None:
    """The catalogue's German for ``text``, or None while it has none."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("de"):
        translated = gettext(text)
    return translated if translated != text else None


def pdf_lang(data: bytes) -> str | None:
    return PdfReader(io.BytesIO(data)).trailer["/Root"].get("/Lang")


# --- Pages ----------------------------------------------------------------------------------

def test_the_browser_decides_until_the_user_chooses_and_then_the_choice_wins(
        app, client, auth, make):
    user = make.user("program_manager")
    auth.login(user)
    assert html_lang(client.get("/account", headers=GERMAN_BROWSER)) == "de"
    assert html_lang(client.get("/account", headers=ENGLISH_BROWSER)) == "en-GB"
    assert html_lang(client.get("/account", headers={"Accept-Language": "fr"})) == "en-GB"
    # By the language, in the browser's order of preference, regions and all.
    for header, expected in (("de-AT, en;q=0.5", "de"), ("de-CH", "de"),
                             ("en-US, de;q=0.9", "en-GB"), ("fr-CH, de;q=0.8", "de"),
                             ("de;q=0, en;q=0.1", "en-GB"), ("*", "en-GB")):
        page = client.get("/account", headers={"Accept-Language": header})
        assert html_lang(page) == expected, header

    save_language(app, user, "en")
    assert html_lang(client.get("/account", headers=GERMAN_BROWSER)) == "en-GB"
    save_language(app, user, "de")
    page = client.get("/account", headers=ENGLISH_BROWSER)
    assert html_lang(page) == "de"
    assert re.search(r'<option selected value="de">Deutsch</option>', page.text)
    # Times on the page are written the German way too.
    case = make.case("assigned")
    add_action(app, case, make.specialist, due=DUE)
    assert DUE_IN["de"] in client.get(f"/cases/{case.key}", headers=ENGLISH_BROWSER).text


def test_a_visitor_switches_the_login_page_and_the_session_keeps_it(client, make):
    page = client.get("/login", headers=ENGLISH_BROWSER)
    assert html_lang(page) == "en-GB"
    assert 'action="/language"' in page.text
    assert re.search(r'<button[^>]*name="language" value="de"[^>]*>Deutsch</button>', page.text)

    response = client.post("/language", data={"language": "de", "next": "/login"},
                           headers=ENGLISH_BROWSER)
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    assert html_lang(client.get("/login", headers=ENGLISH_BROWSER)) == "de"

    # Logging in keeps what the visitor chose (and saves nothing on the user).
    user = make.user("program_manager")
    client.post("/login", data={"email": user.email, "password": user.password})
    assert html_lang(client.get("/account", headers=ENGLISH_BROWSER)) == "de"

    client.post("/language", data={"language": "browser"})  # as the browser asks
    assert html_lang(client.get("/account", headers=ENGLISH_BROWSER)) == "en-GB"


def test_logging_out_keeps_the_users_language_on_the_login_page(app, client, auth, make):
    user = make.user("leadership")
    save_language(app, user, "de")
    auth.login(user)
    auth.logout()
    assert html_lang(client.get("/login", headers=ENGLISH_BROWSER)) == "de"


def test_the_header_switch_posts_with_its_token_and_goes_back_to_the_page(
        csrf_app, make, query):
    client = csrf_app.test_client()
    user = make.user("program_manager")
    login_page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text)[1]
    client.post("/login", data={"email": user.email, "password": user.password,
                                "csrf_token": token})
    page = client.get("/cases?state=open&market=AT", headers=ENGLISH_BROWSER)
    switch = re.search(r'<form method="post" action="/language".*?</form>', page.text, re.S)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', switch)[1]
    back = re.search(r'name="next" value="([^"]+)"', switch)[1]
    assert back == "/cases?state=open&amp;market=AT"

    refused = client.post("/language", data={"language": "de", "next": "/cases"})
    assert refused.status_code == 400
    assert query(sa.select(User.language).where(User.id == user.id)) == [(None,)]

    response = client.post("/language", data={"language": "de", "csrf_token": token,
                                              "next": "/cases?state=open&market=AT"})
    assert response.status_code == 302
    assert response.location == "/cases?state=open&market=AT"
    assert query(sa.select(User.language).where(User.id == user.id))[0][0] == "de"
    assert html_lang(client.get("/cases", headers=ENGLISH_BROWSER)) == "de"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)", ""])
def test_the_switch_goes_back_only_to_a_page_of_this_site(client, target):
    response = client.post("/language", data={"language": "de", "next": target})
    assert response.status_code == 302
    assert urlsplit(response.location).netloc in ("", "localhost")
    assert urlsplit(response.location).path == "/"


@pytest.mark.parametrize("value", ["xx", "", "DE", "en_GB"])
def test_the_switch_refuses_a_language_it_does_not_offer(client, login_as, value):
    login_as("leadership")
    assert client.post("/language", data={"language": value}).status_code == 422


def test_a_users_language_change_is_audited_and_a_visitors_is_not(app, client, auth, make,
                                                                  query):
    client.post("/language", data={"language": "de"})
    user = make.user("policy_specialist")
    auth.login(user)
    client.post("/language", data={"language": "de"})
    client.post("/language", data={"language": "de"})  # no change, no event
    client.post("/language", data={"language": "browser"})
    rows = query(sa.select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.actor_id,
                           AuditEvent.changes)
                 .where(AuditEvent.action == "language_changed").order_by(AuditEvent.seq))
    assert [tuple(row) for row in rows] == [
        ("user", user.id, user.id, {"language": [None, "de"]}),
        ("user", user.id, user.id, {"language": ["de", None]}),
    ]


# --- PDFs and exports -----------------------------------------------------------------------

@pytest.fixture
def case_due(app, make):
    case = make.case("mitigating")
    add_action(app, case, make.specialist, due=DUE)
    return case


def test_a_pdf_is_written_in_the_language_asked_for(app, client, login_as, make, case_due):
    login_as(make.pm)
    response = client.get(f"/cases/{case_due.key}/summary.pdf?lang=de",
                          headers=ENGLISH_BROWSER)
    assert response.status_code == 200
    text, _pages = pdf_text(response.data)
    assert DUE_IN["de"] in text and DUE_IN["en"] not in text
    assert pdf_lang(response.data) == "de"
    translated = german(app, "Mitigation actions")
    if translated:
        assert translated in text and "Mitigation actions" not in text

    english = client.get(f"/cases/{case_due.key}/summary.pdf?lang=en", headers=GERMAN_BROWSER)
    text, _pages = pdf_text(english.data)
    assert DUE_IN["en"] in text and "Mitigation actions" in text
    assert pdf_lang(english.data) == "en-GB"


def test_without_lang_a_pdf_is_in_the_readers_language(app, client, login_as, make, case_due):
    save_language(app, make.pm, "de")
    login_as(make.pm)
    text, _pages = pdf_text(client.get(f"/cases/{case_due.key}/summary.pdf",
                                       headers=ENGLISH_BROWSER).data)
    assert DUE_IN["de"] in text
    landscape = client.get("/dashboard/landscape.pdf?from=2026-11-01&to=2026-11-30",
                           headers=ENGLISH_BROWSER)
    assert landscape.status_code == 200 and pdf_lang(landscape.data) == "de"
    assert DUE_IN["de"] in pdf_text(landscape.data)[0]


def test_the_api_writes_a_pdf_in_the_language_asked_for(client, make, case_due, app):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    with app.app_context():
        _token, secret = create_token(None, find_user(make.pm.email), "t")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.get(f"/api/v1/cases/{case_due.key}/summary.pdf?lang=de", headers=headers)
    assert response.status_code == 200 and DUE_IN["de"] in pdf_text(response.data)[0]
    landscape = client.get("/api/v1/landscape.pdf?from=2026-11-01&to=2026-11-30",
                           headers={**headers, **GERMAN_BROWSER})
    assert landscape.status_code == 200 and pdf_lang(landscape.data) == "de"


@pytest.mark.parametrize("value", ["xx", "de-DE", "EN", "deutsch"])
def test_an_unknown_lang_is_refused_on_the_pages_and_in_the_api(
        app, client, login_as, make, case_due, query, value):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    login_as(make.pm)
    with app.app_context():
        _token, secret = create_token(None, find_user(make.pm.email), "t")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    for path in (f"/cases/{case_due.key}/summary.pdf", "/dashboard/landscape.pdf",
                 "/cases/export.csv", "/signals/export.xlsx"):
        page = client.get(f"{path}?lang={value}")
        assert page.status_code == 422, path
        assert "Use one of: de, en." in page.text
    for path in (f"/cases/{case_due.key}/summary.pdf", "/landscape.pdf",
                 "/cases/export.xlsx", "/signals/export.csv"):
        answer = client.get(f"/api/v1{path}?lang={value}", headers=headers)
        assert answer.status_code == 422, path
        error = answer.get_json()["error"]
        assert error["code"] == "validation_failed" and "lang" in error["fields"]
    assert query(sa.select(AuditEvent.action).where(AuditEvent.action.in_(
        ["pdf_downloaded", "landscape_downloaded", "cases_exported", "signals_exported"]))) == []


def test_an_export_is_written_in_the_language_asked_for(client, login_as, make, case_due):
    """A page's export is for a reader: headers and values in the language asked for,
    else the reader's (the API's holds canonical names and values:
    tests/test_exports.py)."""
    login_as(make.pm)
    english = client.get("/cases/export.csv?lang=en").get_data(as_text=True)
    german = client.get("/cases/export.csv?lang=de").get_data(as_text=True)
    assert english.startswith("\ufeffCase;Title;State;")
    assert german.startswith("\ufeffFall;Titel;")
    save_language(client.application, make.pm, "de")
    assert client.get("/cases/export.csv").get_data(as_text=True) == german


# --- The command line -----------------------------------------------------------------------

def test_the_commands_write_in_the_language_given(app, runner, make, case_due, tmp_path):
    target = tmp_path / "summary.pdf"
    result = runner.invoke(args=["casework", "summary", case_due.key, "-o", str(target),
                                 "--lang", "de"])
    assert result.exit_code == 0, result.output
    assert DUE_IN["de"] in pdf_text(target.read_bytes())[0]
    assert pdf_lang(target.read_bytes()) == "de"

    result = runner.invoke(args=["casework", "summary", case_due.key, "-o", str(target)])
    assert result.exit_code == 0 and DUE_IN["en"] in pdf_text(target.read_bytes())[0]

    # --as a user who chose German: German unless --lang says otherwise.
    save_language(app, make.pm, "de")
    as_pm = ["--as", make.pm.email]
    runner.invoke(args=["casework", "summary", case_due.key, "-o", str(target), *as_pm])
    assert DUE_IN["de"] in pdf_text(target.read_bytes())[0]
    runner.invoke(args=["casework", "summary", case_due.key, "-o", str(target), *as_pm,
                        "--lang", "en"])
    assert DUE_IN["en"] in pdf_text(target.read_bytes())[0]

    landscape = tmp_path / "landscape.pdf"
    result = runner.invoke(args=["casework", "landscape", "--from", "2026-11-01", "--to",
                                 "2026-11-30", "-o", str(landscape), "--lang", "de"])
    assert result.exit_code == 0, result.output
    assert DUE_IN["de"] in pdf_text(landscape.read_bytes())[0]


@pytest.mark.parametrize("command", ["summary", "landscape"])
def test_the_commands_refuse_a_language_they_do_not_write(runner, make, case_due, tmp_path,
                                                          command):
    args = [case_due.key] if command == "summary" else []
    result = runner.invoke(args=["casework", command, *args, "-o", str(tmp_path / "x.pdf"),
                                 "--lang", "fr"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: the language is de or en, not fr"
    assert not (tmp_path / "x.pdf").exists()


# --- The API's messages ---------------------------------------------------------------------

def test_the_api_answers_its_messages_in_the_language_of_accept_language(
        app, client, make, monkeypatch):
    from casework.api.tokens import create_token
    from casework.pagination import Count
    from casework.signals.queries import SignalFilters
    from casework.users.operations import find_user

    english = "Send a valid API token as 'Authorization: Bearer <token>'."
    for headers, expected in ((GERMAN_BROWSER, german(app, english)), ({}, english),
                              ({"Accept-Language": "fr"}, english)):
        answer = client.get("/api/v1/cases", headers=headers)
        assert answer.status_code == 401
        assert answer.get_json()["error"]["code"] == "unauthorized"
        if expected:
            assert answer.get_json()["error"]["message"] == expected

    # Numbers in a message are written the German way, whatever the catalogue holds; the
    # user's own choice (German here) is for pages and PDFs, not for the API's messages.
    save_language(app, make.pm, "de")
    with app.app_context():
        _token, secret = create_token(None, find_user(make.pm.email), "t")
        db.session.commit()
    app.config["EXPORT_MAX_ROWS"] = 1000
    monkeypatch.setattr(SignalFilters, "count", lambda self, user, limit: Count(limit + 1))
    token = {"Authorization": f"Bearer {secret}"}
    for headers, number in ((token, "1,000"), ({**token, **GERMAN_BROWSER}, "1.000"),
                            ({**token, **ENGLISH_BROWSER}, "1,000")):
        error = client.get("/api/v1/signals/export.csv", headers=headers).get_json()["error"]
        assert error["code"] == "export_too_large" and number in error["message"]
        assert set(error["fields"]) <= {"__all__"}
    error = client.get("/api/v1/signals/export.csv?lang=de", headers=token).get_json()["error"]
    assert "1.000" in error["message"]


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "de_DE.UTF-8"}, "de"), ({"LANG": "de_AT.UTF-8"}, "de"),
    ({"LANG": "C.UTF-8"}, "en"), ({}, "en"), ({"LANGUAGE": "de:en", "LANG": "C"}, "de"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "de_CH.UTF-8"}, "en"),
])
def test_commands_read_the_language_as_posix_tools_do(environ, expected):
    from casework.languages import environment_language

    assert environment_language(environ).value == expected


def test_a_command_speaks_the_shells_language(runner, query):
    german = runner.invoke(args=["casework", "unlock", "--email", "niemand@casework.example"],
                           env={"LANG": "de_DE.UTF-8"})
    english = runner.invoke(args=["casework", "unlock", "--email", "niemand@casework.example"])
    assert german.exit_code == english.exit_code == 1
    assert english.output.startswith("Error: no user with the e-mail")
    assert german.output.startswith("Fehler:"), german.output
    assert "niemand@casework.example" in german.output


def test_a_state_inside_a_german_sentence_keeps_its_capital(app, make):
    """English writes "already triaged (dismissed)"; German nouns keep their capital."""
    from casework.api.tokens import create_token
    from casework.users.operations import find_user
    from casework.vocabulary import SignalStatus, label

    signal = make.signal()
    with app.app_context():
        _t, secret = create_token(None, find_user(make.pm.email), "sentence")
        db.session.commit()
    api = app.test_client()
    for language in ("de", "en"):
        headers = {"Authorization": f"Bearer {secret}", "Accept-Language": language}
        api.post(f"/api/v1/signals/{signal}/dismiss", json={"reason": "Satire"},
                 headers=headers)
        again = api.post(f"/api/v1/signals/{signal}/dismiss", json={"reason": "Satire"},
                         headers=headers)
        assert again.status_code == 409
        with app.test_request_context(headers={"Accept-Language": language}):
            word = label(SignalStatus.DISMISSED)
        expected = word if language == "de" else word.lower()
        assert f"({expected})" in again.get_json()["error"]["message"]
