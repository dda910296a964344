"""Credentials that outlive their reason: a password change, an admin's reset and a
deactivation end every API token and every browser session of the user; tokens expire;
admins see and revoke anyone's tokens."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.extensions import db
from casework.models import ApiToken, AuditEvent, User
from casework.models.types import frozen_time, utcnow

NEW_PASSWORD = "Maßnahmenplan-Live-2027"
TEMPORARY = "Vorlaeufig-Passwort-2026"


def flashes(html: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<p class="flash [^"]*"[^>]*>(.*?)</p>', html)]


def on_login_page(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302, response.status_code
    return client


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_for(app):
    """A new API token of a user record, made through the operation: its id and secret."""

    def _token(user, name: str = "monitoring import", **options) -> tuple[int, str]:
        from casework.api.tokens import create_token

        with app.app_context():
            token, secret = create_token(None, db.session.get(User, user.id), name, **options)
            db.session.commit()
            return token.id, secret

    return _token


@pytest.fixture
def api_status(app):
    """The status a bearer token gets from the API."""

    def _status(secret: str) -> int:
        return app.test_client().get("/api/v1/cases", headers=bearer(secret)).status_code

    return _status


@pytest.fixture
def token_events(query):
    """The audit events of API tokens: (action, actor, token id, changes)."""

    def _events() -> list[tuple]:
        return [tuple(row) for row in query(
            sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.entity_id,
                      AuditEvent.changes)
            .where(AuditEvent.entity_type == "api_token").order_by(AuditEvent.seq))]

    return _events


def _revoked_by(events, reason: str) -> list[tuple]:
    return [(actor, token_id, changes["name"]) for action, actor, token_id, changes in events
            if action == "revoked" and changes.get("reason") == reason]


# --- a password change by the user ---------------------------------------------------------


def test_changing_your_password_ends_every_token_and_other_session(
        app, client, make, token_for, api_status, token_events, query):
    user = make.specialist
    first, first_secret = token_for(user, "monitoring import")
    second, second_secret = token_for(user, "dashboard feed")
    other_user_token = token_for(make.pm)[1]
    assert api_status(first_secret) == api_status(second_secret) == 200
    login(client, user)
    other_browser = login(app.test_client(), user)
    refused = client.post("/account", data={"current_password": "not-my-password-1",
                                            "new_password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD})
    assert refused.status_code == 422
    assert api_status(first_secret) == 200  # a refused change ends nothing
    assert other_browser.get("/cases").status_code == 200

    response = client.post("/account", data={"current_password": user.password,
                                             "new_password": NEW_PASSWORD,
                                             "confirm": NEW_PASSWORD},
                           follow_redirects=True)

    assert response.status_code == 200
    [message] = flashes(response.text)
    assert message.startswith("Your password is changed.")
    assert "2 API tokens" in message
    assert "monitoring import" in message and "dashboard feed" in message
    assert api_status(first_secret) == api_status(second_secret) == 401
    assert api_status(other_user_token) == 200  # only the user's own tokens end
    assert client.get("/cases").status_code == 200  # the changer's browser stays
    assert on_login_page(other_browser.get("/cases"))  # every other session is out
    assert sorted(_revoked_by(token_events(), "password_changed")) == [
        (user.id, first, "monitoring import"), (user.id, second, "dashboard feed")]
    assert query(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id,
        AuditEvent.action == "password_changed")) == [("password_changed",)]
    assert query(sa.select(sa.func.count()).select_from(ApiToken)
                 .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) == [(0,)]


# --- an admin's reset ------------------------------------------------------------------------


def test_an_admin_reset_ends_every_token_and_session_of_the_user(
        app, client, make, token_for, api_status, token_events):
    user = make.specialist
    token_id, secret = token_for(user, "monitoring import")
    user_browser = login(app.test_client(), user)
    admin = make.user("admin")
    login(client, admin)

    response = client.post(f"/users/{user.id}/password",
                           data={"password": TEMPORARY, "confirm": TEMPORARY},
                           follow_redirects=True)

    assert response.status_code == 200
    messages = flashes(response.text)
    assert f"{user.name} must choose a new password at their next login." in messages
    assert (f"Every session of {user.name} and 1 API token (“monitoring import”) were ended."
            in messages)
    assert api_status(secret) == 401
    assert on_login_page(user_browser.get("/cases"))
    assert client.get("/users").status_code == 200  # the admin's own session is untouched
    assert _revoked_by(token_events(), "password_reset") == [
        (admin.id, token_id, "monitoring import")]
    # The new password brings the old token back no more than the temporary one did.
    login(user_browser, replace(user, password=TEMPORARY))
    user_browser.post("/account", data={"current_password": TEMPORARY,
                                        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert api_status(secret) == 401


# --- deactivation, and reactivation that brings nothing back -------------------------------


def test_deactivation_ends_tokens_and_sessions_for_good(app, client, make, token_for,
                                                       api_status, token_events):
    user = make.specialist
    token_id, secret = token_for(user, "monitoring import")
    user_browser = login(app.test_client(), user)
    session_cookie = user_browser.get_cookie("session").value
    admin = make.user("admin")
    login(client, admin)

    response = client.post(f"/users/{user.id}/deactivate", follow_redirects=True)
    assert (f"Every session of {user.name} and 1 API token (“monitoring import”) were ended."
            in flashes(response.text))
    assert api_status(secret) == 401
    assert on_login_page(user_browser.get("/cases"))

    response = client.post(f"/users/{user.id}/reactivate", follow_redirects=True)
    assert "Their old sessions and API tokens stay ended." in flashes(response.text)
    assert api_status(secret) == 401  # the old token stays revoked
    copied = app.test_client()
    copied.set_cookie("session", session_cookie)
    assert on_login_page(copied.get("/cases"))  # so does the old session
    assert _revoked_by(token_events(), "deactivated") == [
        (admin.id, token_id, "monitoring import")]
    # A new token made after the reactivation works.
    assert api_status(token_for(user)[1]) == 200


def test_deactivating_on_the_command_line_revokes_the_tokens(runner, make, token_for,
                                                            api_status):
    user = make.specialist
    _id, secret = token_for(user, "monitoring import")
    result = runner.invoke(args=["casework", "deactivate", "--email", user.email])
    assert result.exit_code == 0, result.output
    assert "Revoked the API token monitoring import" in result.output
    assert api_status(secret) == 401


# --- expiry ----------------------------------------------------------------------------------


def test_an_expired_token_is_refused_like_a_revoked_one(app, make, token_for):
    from casework.api.tokens import revoke_token

    user = make.specialist
    _id, secret = token_for(user, expires_in_days=1)
    revoked_id, revoked_secret = token_for(user)
    with app.app_context():
        revoke_token(None, db.session.get(ApiToken, revoked_id))
        db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    with frozen_time(utcnow() + timedelta(hours=23)):
        assert api.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    with frozen_time(utcnow() + timedelta(days=1, seconds=1)):
        expired = api.get("/api/v1/cases", headers=bearer(secret))
        revoked = api.get("/api/v1/cases", headers=bearer(revoked_secret))
    assert expired.status_code == revoked.status_code == 401
    assert expired.get_json() == revoked.get_json()
    assert expired.headers.get("WWW-Authenticate") == revoked.headers.get("WWW-Authenticate")


def test_a_token_with_an_expiry_is_made_and_listed_on_the_account_page(
        client, make, login_as, query, token_events, app):
    user = login_as(make.specialist)
    page = client.get("/account/tokens").text
    assert 'name="expires_in_days"' in page and 'value="90"' in page
    response = client.post("/account/tokens", data={"name": "monitoring import",
                                                   "expires_in_days": "30"})
    assert response.status_code == 200
    secret = response.text.split('<pre class="code">')[1].split("</pre>")[0].strip()
    [(expires_at, created_at)] = query(sa.select(ApiToken.expires_at, ApiToken.created_at))
    assert expires_at - created_at == timedelta(days=30)
    assert "Expires" in response.text and "No expiry" not in response.text
    [(action, actor, _token, changes)] = token_events()
    assert (action, actor) == ("created", user.id)
    assert changes["expires_at"] == expires_at.isoformat()
    me = app.test_client().get("/api/v1/me", headers=bearer(secret)).get_json()
    assert me["token"]["expires_at"] == expires_at.isoformat().replace("+00:00", "Z")


def test_a_token_without_an_expiry_says_so(client, make, login_as, query):
    login_as(make.specialist)
    response = client.post("/account/tokens", data={"name": "forever", "expires_in_days": ""})
    assert response.status_code == 200
    assert query(sa.select(ApiToken.expires_at)) == [(None,)]
    assert "No expiry" in client.get("/account/tokens").text


@pytest.mark.parametrize(("days", "message"), [
    ("0", "Give a number of days from 1 to 365."),
    ("366", "Give a number of days from 1 to 365."),
    ("-5", "Give a number of days from 1 to 365."),
    ("99999999999999999999999", "Give a number of days from 1 to 365."),
    ("soon", "Not a valid integer value."),
    ("1.5", "Not a valid integer value."),
])
def test_a_bad_expiry_is_refused_beside_the_field(client, make, login_as, query, days,
                                                 message):
    login_as(make.specialist)
    response = client.post("/account/tokens", data={"name": "x", "expires_in_days": days})
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="expires_in_days-error">(.*?)</p>', response.text)
    assert error is not None and unescape(error.group(1)) == message
    assert query(sa.select(ApiToken.id)) == []


def test_a_token_with_an_expiry_on_the_command_line(runner, make, query, api_status):
    result = runner.invoke(args=["casework", "create-token", "--email", make.pm.email,
                                 "--name", "monitoring", "--expires-in-days", "7"])
    assert result.exit_code == 0, result.output
    assert api_status(result.output.strip()) == 200
    [(expires_at, created_at)] = query(sa.select(ApiToken.expires_at, ApiToken.created_at))
    assert expires_at - created_at == timedelta(days=7)
    bad = runner.invoke(args=["casework", "create-token", "--email", make.pm.email,
                              "--expires-in-days", "400"])
    assert bad.exit_code == 1
    assert "1 to 365" in bad.output
    assert len(query(sa.select(ApiToken.id))) == 1


# --- admins see and revoke anyone's tokens ---------------------------------------------------


def test_an_admin_sees_and_revokes_another_users_token(app, client, make, token_for,
                                                      api_status, token_events):
    user = make.specialist
    token_id, secret = token_for(user, "monitoring import", expires_in_days=30)
    _kept, kept_secret = token_for(user, "dashboard feed")
    admin = make.user("admin")
    login(client, admin)

    page = client.get("/users").text
    section = page[page.index('id="api-tokens"'):]
    assert "monitoring import" in section and "dashboard feed" in section
    assert user.email in section and "No expiry" in section and "Never" in section
    assert f'action="/users/tokens/{token_id}/revoke"' in section

    response = client.post(f"/users/tokens/{token_id}/revoke", follow_redirects=True)
    assert response.status_code == 200
    assert (f"Revoked the token monitoring import of {user.name}. It no longer works."
            in flashes(response.text))
    assert api_status(secret) == 401
    assert api_status(kept_secret) == 200
    assert f'action="/users/tokens/{token_id}/revoke"' not in response.text
    assert [(action, actor, tid) for action, actor, tid, _c in token_events()
            if action == "revoked"] == [("revoked", admin.id, token_id)]
    assert client.post("/users/tokens/999999/revoke").status_code == 404
    assert client.post(f"/users/tokens/{2**40}/revoke").status_code == 404


@pytest.mark.parametrize("role", ["program_manager", "policy_specialist", "leadership"])
def test_only_admins_see_and_revoke_other_users_tokens(client, make, token_for, api_status,
                                                       role, query):
    token_id, secret = token_for(make.specialist, "monitoring import")
    login(client, make.user(role))
    assert client.get("/users").status_code == 403
    assert client.post(f"/users/tokens/{token_id}/revoke").status_code == 403
    assert client.post("/users/tokens/999999/revoke").status_code == 403
    assert api_status(secret) == 200
    assert query(sa.select(AuditEvent.id).where(AuditEvent.action == "revoked")) == []


def test_an_admin_revoke_needs_the_csrf_token(csrf_app, make, token_for, api_status):
    token_id, secret = token_for(make.specialist)
    admin = make.user("admin")
    client = csrf_app.test_client()
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": admin.email, "password": admin.password,
                                       "csrf_token": csrf}).status_code == 302
    assert client.post(f"/users/tokens/{token_id}/revoke").status_code == 400
    assert api_status(secret) == 200  # nothing revoked without the form's token
    page = client.get("/users").text
    form = page[page.index(f'action="/users/tokens/{token_id}/revoke"'):]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(f"/users/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert api_status(secret) == 401


# --- the migration revokes what a reactivation would have brought back ---------------------


def _migrate(url: str, revision: str) -> None:
    import flask_migrate

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision=revision)
        finally:
            db.engine.dispose()


def test_the_migration_revokes_the_tokens_of_deactivated_users(databases):
    database = databases.new()
    url = databases.url(database)
    try:
        _migrate(url, "0010_api_limits_and_idempotency")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            for n, active in ((1, True), (2, False)):
                connection.execute(sa.text(
                    "INSERT INTO users (id, email, name, role, password_hash, active, "
                    "session_epoch, must_change_password, created_at, updated_at) VALUES "
                    "(:id, :email, 'U', 'policy_specialist', 'x', :active, 0, :no, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                    {"id": n, "email": f"u{n}@casework.example", "active": active,
                     "no": False})
                connection.execute(sa.text(
                    "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) "
                    "VALUES (:id, :id, 't', :hash, 'cw_x', '2026-01-01 00:00:00')"),
                    {"id": n, "hash": str(n) * 64})
        _migrate(url, "0011_credentials")
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT id, revoked_at IS NOT NULL, expires_at FROM api_tokens ORDER BY id"))
            assert [tuple(row) for row in rows] == [(1, False, None), (2, True, None)]
        engine.dispose()
    finally:
        databases.drop(database)
