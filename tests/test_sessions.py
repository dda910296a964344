"""Sessions that end on the server, login throttling kept in the database, passwords changed
by their owner or reset by an admin, and the security headers on every response."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from casework import PROJECT_ROOT, create_app
from casework.extensions import db
from casework.models import AuditEvent, LoginFailure, User
from casework.models.types import frozen_time, utcnow

NEW_PASSWORD = "Maßnahmenplan-Live-2027"


def on_login_page(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


@pytest.fixture
def user_events(query):
    def _events(action: str) -> list[tuple]:
        return [tuple(row) for row in query(
            sa.select(AuditEvent.actor_id, AuditEvent.entity_id, AuditEvent.changes)
            .where(AuditEvent.entity_type == "user", AuditEvent.action == action)
            .order_by(AuditEvent.seq))]

    return _events


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


# --- security headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/cases", "/no/such/page",
                                  "/static/css/casework.css"])
def test_every_response_carries_the_security_headers(client, make, login_as, path):
    login_as(make.pm)
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if not path.startswith("/static"):
        assert response.headers["Cache-Control"] == "no-store"
    response.close()


def test_the_templates_have_no_inline_script_or_style():
    """The policy forbids them; a template that needs one must move it to /static."""
    templates = Path(PROJECT_ROOT) / "templates"
    for path in templates.rglob("*.html"):
        if "pdf" in path.relative_to(templates).parts:
            continue  # rendered to PDF on the server, never served to a browser
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text, path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "javascript:" not in text, path


def test_cookies_are_secure_over_https_and_not_over_plain_http(app, make):
    user = make.pm
    plain = app.test_client()
    response = login(plain, user.email, user.password)
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
    secure = app.test_client()
    response = secure.post("/login", base_url="https://casework.example",
                           data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_secure_from_the_config(app, make):
    app.config["SESSION_COOKIE_SECURE"] = True
    user = make.pm
    response = login(app.test_client(), user.email, user.password)
    assert "; Secure" in response.headers["Set-Cookie"]


# --- sessions ---------------------------------------------------------------------------------


def test_login_starts_a_fresh_session(client, make):
    user = make.pm
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(client, user.email, user.password)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_ends_every_session_of_the_user_even_a_copied_cookie(app, client, make,
                                                                   user_events):
    user = make.pm
    login(client, user.email, user.password)
    copied = client.get_cookie("session").value
    other_browser = app.test_client()
    login(other_browser, user.email, user.password)
    assert client.post("/logout").status_code == 302
    assert on_login_page(other_browser.get("/cases"))
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert on_login_page(replay.get("/cases"))
    assert [event[0] for event in user_events("logout")] == [user.id]


def test_an_idle_session_ends_after_thirty_minutes(client, make):
    user = make.pm
    login(client, user.email, user.password)
    start = utcnow()
    with frozen_time(start + timedelta(minutes=29)):
        assert client.get("/cases").status_code == 200
    with frozen_time(start + timedelta(minutes=58)):
        assert client.get("/cases").status_code == 200  # 29 minutes after the last request
    with frozen_time(start + timedelta(minutes=89)):
        response = client.get("/cases?state=assigned")
    assert on_login_page(response)
    assert parse_qs(urlsplit(response.location).query)["next"] == ["/cases?state=assigned"]
    page = client.get("/login").text
    assert "Your session has expired. Please log in again." in page
    assert on_login_page(client.get("/cases"))  # and it stays ended


def test_a_session_ends_twelve_hours_after_login_however_busy(client, make):
    user = make.pm
    login(client, user.email, user.password)
    start = utcnow()
    for minutes in range(20, 12 * 60, 20):
        with frozen_time(start + timedelta(minutes=minutes)):
            assert client.get("/cases").status_code == 200, minutes
    with frozen_time(start + timedelta(hours=12, minutes=5)):
        assert on_login_page(client.get("/cases"))


def test_the_session_limits_come_from_the_config(app, client, make):
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(minutes=5)
    user = make.pm
    login(client, user.email, user.password)
    with frozen_time(utcnow() + timedelta(minutes=6)):
        assert on_login_page(client.get("/cases"))


def test_a_session_not_made_by_the_login_is_refused(app, make):
    user = make.pm
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:0"
        session["_fresh"] = True
    assert on_login_page(client.get("/cases"))


# --- login throttling -------------------------------------------------------------------------

THROTTLED = "Too many failed logins. Try again in 15 minutes."


def test_five_failures_for_an_account_refuse_even_the_right_password(client, make,
                                                                     user_events):
    user = make.pm
    for _ in range(5):
        assert login(client, user.email, "wrong-password-123").status_code == 401
    response = login(client, user.email, user.password)
    assert response.status_code == 429
    assert THROTTLED in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert on_login_page(client.get("/cases"))
    # The refused attempt is not counted, and the lock is audited once.
    assert len(user_events("login_failed")) == 5
    assert user_events("login_throttled") == [(None, None, {"email": user.email})]


def test_the_lock_lifts_when_the_failures_are_fifteen_minutes_old(client, make):
    user = make.pm
    for _ in range(5):
        login(client, user.email, "wrong-password-123")
    with frozen_time(utcnow() + timedelta(minutes=14)):
        assert login(client, user.email, user.password).status_code == 429
    with frozen_time(utcnow() + timedelta(minutes=16)):
        assert login(client, user.email, user.password).status_code == 302


def test_another_account_is_not_locked_by_someone_elses_failures(client, make):
    user, other = make.pm, make.specialist
    for _ in range(5):
        login(client, user.email, "wrong-password-123")
    assert login(client, other.email, other.password).status_code == 302


def test_a_success_starts_the_accounts_count_afresh(app, make):
    user = make.pm
    for _ in range(4):
        login(app.test_client(), user.email, "wrong-password-123")
    assert login(app.test_client(), user.email, user.password).status_code == 302
    for _ in range(4):
        login(app.test_client(), user.email, "wrong-password-123")
    assert login(app.test_client(), user.email, user.password).status_code == 302


def test_twenty_failures_from_one_address_refuse_that_address(app, make):
    user = make.pm
    client = app.test_client()
    for n in range(20):
        assert login(client, f"guess-{n}@casework.example", "Password-2026!").status_code == 401
    response = login(client, user.email, user.password)
    assert response.status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post("/login", environ_base={"REMOTE_ADDR": "192.0.2.7"},
                              data={"email": user.email, "password": user.password})
    assert response.status_code == 302


def test_the_throttle_is_shared_by_every_worker_process(app, make, database_url):
    """Counted in the database: another app on the same database (another worker) knows."""
    user = make.pm
    for _ in range(5):
        login(app.test_client(), user.email, "wrong-password-123")
    other_worker = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                               "SQLALCHEMY_DATABASE_URI": database_url,
                               "WTF_CSRF_ENABLED": False,
                               "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    try:
        assert login(other_worker.test_client(), user.email, user.password).status_code == 429
    finally:
        with other_worker.app_context():
            db.engine.dispose()


def test_old_failures_are_cleared_away(app, make, query):
    user = make.pm
    login(app.test_client(), user.email, "wrong-password-123")
    with frozen_time(utcnow() + timedelta(hours=1)):
        login(app.test_client(), user.email, "wrong-password-123")
    assert len(query(sa.select(LoginFailure.id))) == 1


# --- passwords: your own ----------------------------------------------------------------------


def _change(client, current, new, confirm=None):
    return client.post("/account", data={"current_password": current, "new_password": new,
                                         "confirm": new if confirm is None else confirm})


def test_the_account_page_shows_who_you_are(client, make, login_as):
    user = login_as(make.specialist)
    page = client.get("/account").text
    assert user.email in page
    assert 'name="current_password"' in page
    assert 'href="/account"' in page  # in the header


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("not-my-password-1", NEW_PASSWORD, None, "This is not your current password."),
    (None, "kurz-2026", None, "The password needs at least 12 characters."),
    (None, "password1234", None, "This password is one of the most common ones. Choose another."),
    (None, NEW_PASSWORD, NEW_PASSWORD + "x", "The passwords do not match."),
    (None, None, None, "Choose a password different from the current one."),
])
def test_a_bad_password_change_is_refused(client, make, login_as, query, current, new,
                                          confirm, message):
    user = login_as(make.specialist)
    before = query(sa.select(User.password_hash).where(User.id == user.id))
    response = _change(client, current or user.password, new or user.password, confirm)
    assert response.status_code == 422
    assert message in response.text
    assert query(sa.select(User.password_hash).where(User.id == user.id)) == before


def test_changing_your_password_ends_your_other_sessions_and_is_audited(app, client, make,
                                                                         login_as,
                                                                         user_events, query):
    user = login_as(make.specialist)
    other_browser = app.test_client()
    login(other_browser, user.email, user.password)
    response = _change(client, user.password, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password is changed." in client.get("/account").text
    assert client.get("/cases").status_code == 200  # this browser stays
    assert on_login_page(other_browser.get("/cases"))  # the other one is out
    assert user_events("password_changed") == [(user.id, user.id, {})]
    assert NEW_PASSWORD not in repr(query(sa.select(AuditEvent.changes, AuditEvent.note)))
    assert login(app.test_client(), user.email, user.password).status_code == 401
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


# --- passwords: an admin's reset -------------------------------------------------------------

TEMPORARY = "Vorlaeufig-Passwort-2026"


def test_an_admin_reset_forces_a_change_at_the_next_login(app, client, make, login_as,
                                                          user_events):
    user = make.specialist
    user_browser = app.test_client()
    login(user_browser, user.email, user.password)
    admin = login_as(make.user("admin"))
    assert f'href="/users/{user.id}/password"' in client.get("/users").text
    response = client.post(f"/users/{user.id}/password",
                           data={"password": TEMPORARY, "confirm": TEMPORARY})
    assert response.status_code == 302
    assert user_events("password_reset") == [
        (admin.id, user.id, {"must_change_password": [False, True]})]
    assert on_login_page(user_browser.get("/cases"))  # their session ended
    assert login(user_browser, user.email, user.password).status_code == 401
    assert login(user_browser, user.email, TEMPORARY).status_code == 302
    for path in ("/cases", "/signals", f"/users/{user.id}/password", "/"):
        response = user_browser.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.location).path == "/account", path
    assert "Choose a new one to continue." in user_browser.get("/account").text
    assert _change(user_browser, TEMPORARY, NEW_PASSWORD).status_code == 302
    assert user_browser.get("/cases").status_code == 200
    assert user_events("password_changed") == [
        (user.id, user.id, {"must_change_password": [True, False]})]


def test_a_reset_password_must_follow_the_rules(client, make, login_as, query):
    user = make.specialist
    login_as(make.user("admin"))
    response = client.post(f"/users/{user.id}/password",
                           data={"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 422
    assert "This password is one of the most common ones. Choose another." in response.text
    assert query(sa.select(User.must_change_password).where(User.id == user.id)) == [(False,)]


def test_an_admin_does_not_reset_their_own_password(client, make, login_as):
    admin = login_as(make.user("admin"))
    assert f'href="/users/{admin.id}/password"' not in client.get("/users").text
    assert client.get(f"/users/{admin.id}/password").status_code == 403
    response = client.post(f"/users/{admin.id}/password",
                           data={"password": TEMPORARY, "confirm": TEMPORARY})
    assert response.status_code == 403


# --- the head of the audit chain, for admins --------------------------------------------------


def test_admins_see_the_head_hash_of_the_audit_trail(app, client, make, login_as):
    from casework.audit import chain

    login_as(make.user("admin"))
    with app.app_context():
        head = chain.current_head()
    page = client.get("/users").text
    assert head.hash in page
    assert f"{head.count} events" in page


@pytest.mark.parametrize("hops, counted_as", [(0, "127.0.0.1"), (1, "198.51.100.23")])
def test_throttling_counts_the_client_behind_a_trusted_proxy(database_url, make, hops,
                                                             counted_as):
    """Behind a load balancer (CASEWORK_TRUSTED_PROXIES=1) the client's address comes from
    X-Forwarded-For; without one that header is anybody's say and is ignored."""
    make.pm  # noqa: B018  (the users exist before this second app starts)
    behind = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                         "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                         "TRUSTED_PROXY_HOPS": hops})
    try:
        client = behind.test_client()
        response = client.post("/login", data={"email": make.pm.email,
                                               "password": "wrong-password-123"},
                               headers={"X-Forwarded-For": "198.51.100.23",
                                        "X-Forwarded-Proto": "https"})
        assert response.status_code == 401
        with behind.app_context():
            assert db.session.scalars(sa.select(LoginFailure.remote_addr)).all() == [counted_as]
    finally:
        with behind.app_context():
            db.engine.dispose()
