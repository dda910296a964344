"""Logging in and out, sessions that end when an admin changes someone, and the admin's
user pages."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import AuditEvent, User
from casework.users import operations

GENERIC_FAILURE = "The e-mail address or password is not right."
STRONG_PASSWORD = "Lagebild-Hassrede-2026"
ROLE_LABELS = {"admin": "Admin", "program_manager": "Program manager",
               "policy_specialist": "Policy specialist", "leadership": "Leadership"}


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))


def inputs_of(html: str) -> dict[str, dict]:
    parser = _Inputs()
    parser.feed(html)
    return {attrs.get("name"): attrs for attrs in parser.inputs}


def field_errors(html: str, field_id: str) -> list[str]:
    """The messages shown beside one field (the form macro's ``<p class="error">``)."""
    pattern = rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>'
    return [unescape(text) for text in re.findall(pattern, html, re.S)]


def form_errors(html: str) -> list[str]:
    blocks = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    return [unescape(text) for block in blocks for text in re.findall(r"<p>(.*?)</p>", block)]


def flashes(html: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<p class="flash [^"]*"[^>]*>(.*?)</p>', html)]


def header(html: str) -> str:
    return re.search(r'<header class="site-header">(.*?)</header>', html, re.S).group(1)


@pytest.fixture
def events(query):
    """Audit events about users, oldest first, as (action, actor_id, entity_id, changes)."""

    def _events(action: str | None = None) -> list[tuple]:
        statement = sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.entity_id,
                              AuditEvent.changes).where(AuditEvent.entity_type == "user")
        if action:
            statement = statement.where(AuditEvent.action == action)
        return [tuple(row) for row in query(statement.order_by(AuditEvent.id))]

    return _events


@pytest.fixture
def db_state(app):
    """Every row of every table, to show that a refused request changed nothing."""

    def _state() -> dict[str, list]:
        with app.app_context():
            return {table.name: [tuple(row) for row in db.session.execute(table.select())]
                    for table in db.metadata.sorted_tables}

    return _state


@pytest.fixture
def browser_of(app):
    """Another person's browser, logged in as ``user``."""

    def _browser(user):
        other = app.test_client()
        response = other.post("/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302
        return other

    return _browser


def _user_row(query, user_id: int) -> User:
    return query(sa.select(User).where(User.id == user_id))[0][0]


# --- The login page ---------------------------------------------------------------------------

def test_the_login_page_has_email_password_and_a_csrf_token(csrf_app, client):
    response = client.get("/login")
    assert response.status_code == 200
    fields = inputs_of(response.text)
    assert fields["email"]["type"] == "email"
    assert fields["password"]["type"] == "password"
    assert fields["password"].get("value", "") == ""
    assert fields["csrf_token"]["type"] == "hidden"
    assert len(fields["csrf_token"]["value"]) > 20


def test_logging_in_with_the_pages_token_works_and_without_it_does_not(csrf_app, client,
                                                                       make):
    user = make.user("program_manager")
    data = {"email": user.email, "password": user.password}
    assert client.post("/login", data=data).status_code == 400
    token = inputs_of(client.get("/login").text)["csrf_token"]["value"]
    response = client.post("/login", data={**data, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/cases").status_code == 200


@pytest.mark.parametrize(("role", "home"), [
    ("admin", "/signals"),
    ("program_manager", "/signals"),
    ("policy_specialist", "/cases?owner=mine&sort=updated"),
    ("leadership", "/dashboard"),
])
def test_a_successful_login_goes_to_the_roles_home(client, make, auth, role, home):
    user = make.user(role)
    response = auth.login(user)
    assert response.status_code == 302
    assert response.location == home
    page = client.get(home)
    assert page.status_code == 200
    assert user.name in header(page.text)


def test_a_logged_in_user_on_the_login_page_goes_home(client, make, login_as):
    login_as(make.pm)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.location == "/signals"


@pytest.fixture
def deactivated(app, make):
    user = make.user("policy_specialist", email="gone@casework.example")
    with app.app_context():
        operations.deactivate_user(None, db.session.get(User, user.id))
        db.session.commit()
    return user


@pytest.mark.parametrize(("email", "password"), [
    ("known@casework.example", "not-the-password-123"),
    ("nobody@casework.example", "correct-horse-battery-9"),
    ("gone@casework.example", "correct-horse-battery-9"),
    ("KNOWN@casework.example", "Correct-horse-battery-9"),
], ids=["wrong password", "unknown e-mail", "deactivated user", "password case differs"])
def test_a_failed_login_says_the_same_thing_whatever_was_wrong(client, make, deactivated,
                                                               events, query, email,
                                                               password):
    make.user("program_manager", email="known@casework.example")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert form_errors(response.text) == [GENERIC_FAILURE]
    assert password not in response.text
    assert client.get("/cases").status_code == 302  # not logged in
    failures = events("login_failed")
    assert len(failures) == 1
    _action, actor_id, _entity_id, changes = failures[0]
    assert actor_id is None
    assert changes == {"email": email}
    everything = query(sa.select(AuditEvent.changes, AuditEvent.note))
    assert password not in repr(everything)


def test_an_empty_login_is_a_validation_error(client, events):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert field_errors(response.text, "email") == ["This field is required."]
    assert field_errors(response.text, "password") == ["This field is required."]


def test_login_and_logout_are_audited(client, make, auth, events):
    user = make.user("policy_specialist")
    auth.login(user)
    assert events("login") == [("login", user.id, user.id, {})]
    response = auth.logout()
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert events("logout") == [("logout", user.id, user.id, {})]
    assert client.get("/cases").status_code == 302


def test_opening_the_logout_page_does_not_log_out(client, make, login_as, events):
    login_as(make.pm)
    response = client.get("/logout")
    assert response.status_code == 200
    assert "Log out?" in response.text
    assert client.get("/cases").status_code == 200
    assert events("logout") == []


# --- Where a login leads ----------------------------------------------------------------------

@pytest.mark.parametrize(("next_url", "location"), [
    ("/cases?state=assigned", "/cases?state=assigned"),
    ("/signals/new", "/signals/new"),
    ("https://evil.example/", "/signals"),
    ("//evil.example", "/signals"),
    ("//evil.example/cases", "/signals"),
    ("/\\evil.example", "/signals"),
    ("http://localhost/cases", "/signals"),
    ("javascript:alert(1)", "/signals"),
    ("cases", "/signals"),
])
def test_next_leads_only_within_the_app(client, make, next_url, location):
    user = make.pm
    response = client.post("/login", query_string={"next": next_url},
                           data={"email": user.email, "password": user.password})
    assert response.status_code == 302
    assert response.location == location


def test_the_login_gate_brings_the_user_back_where_they_were_going(client, make):
    case = make.case("assigned")
    gate = client.get(f"/cases/{case.key}")
    assert urlsplit(gate.location).path == "/login"
    user = make.specialist
    response = client.post(gate.location, data={"email": user.email,
                                                 "password": user.password})
    assert response.location == f"/cases/{case.key}"


# --- Sessions end when an admin changes someone -------------------------------------------------

def _deactivate_by_admin(app, make, browser_of, user):
    admin = browser_of(make.user("admin"))
    assert admin.post(f"/users/{user.id}/deactivate").status_code == 302


def _deactivate_by_operation(app, make, browser_of, user):
    with app.app_context():
        operations.deactivate_user(None, db.session.get(User, user.id))
        db.session.commit()


def _role_change_by_admin(app, make, browser_of, user):
    admin = browser_of(make.user("admin"))
    assert admin.post(f"/users/{user.id}/role", data={"role": "leadership"}).status_code == 302


def _role_change_by_operation(app, make, browser_of, user):
    with app.app_context():
        operations.set_role(None, db.session.get(User, user.id), "leadership")
        db.session.commit()


@pytest.mark.parametrize("change", [
    _deactivate_by_admin, _deactivate_by_operation,
    _role_change_by_admin, _role_change_by_operation,
], ids=["deactivated on the user page", "deactivated by the operation",
        "role changed on the user page", "role changed by the operation"])
def test_a_change_to_a_user_ends_their_session(app, client, make, login_as, browser_of,
                                               change):
    user = login_as(make.user("program_manager"))
    assert client.get("/signals/new").status_code == 200
    change(app, make, browser_of, user)
    response = client.get("/signals/new")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    response = client.post("/signals/new", data={"title": "Still here?"})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


def test_after_a_role_change_the_new_role_applies_at_the_next_login(app, client, make,
                                                                    auth, browser_of):
    user = make.user("program_manager")
    auth.login(user)
    _role_change_by_admin(app, make, browser_of, user)
    assert auth.login(user).status_code == 302
    response = client.get("/signals/new")
    assert response.status_code == 403
    assert "Leadership" in header(response.text)


def test_a_deactivated_user_cannot_log_in_and_a_reactivated_one_can(client, make, auth,
                                                                    browser_of):
    user = make.user("policy_specialist")
    admin = browser_of(make.user("admin"))
    assert admin.post(f"/users/{user.id}/deactivate").status_code == 302
    assert auth.login(user).status_code == 401
    assert admin.post(f"/users/{user.id}/reactivate").status_code == 302
    assert auth.login(user).status_code == 302


# --- The admin's user pages ---------------------------------------------------------------------

def _new_user(**changes) -> dict:
    values = {"email": "jana.wolf@casework.example", "name": "Jana Wolf",
              "role": "policy_specialist", "password": STRONG_PASSWORD,
              "confirm": STRONG_PASSWORD}
    values.update(changes)
    return values


def test_an_admin_adds_a_user_who_can_then_log_in(client, make, login_as, events, query):
    admin = login_as(make.user("admin"))
    response = client.post("/users/new", data=_new_user(email="Jana.Wolf@Casework.example"))
    assert response.status_code == 302
    assert response.location == "/users"
    assert "Jana Wolf can now log in." in flashes(client.get("/users").text)
    created = query(sa.select(User).where(User.email == "jana.wolf@casework.example"))[0][0]
    assert created.role.value == "policy_specialist"
    assert created.active
    creation = [event for event in events("created") if event[2] == created.id]
    assert creation == [("created", admin.id, created.id, {
        "email": "jana.wolf@casework.example", "name": "Jana Wolf",
        "role": "policy_specialist", "active": True})]
    everything = query(sa.select(AuditEvent.changes, AuditEvent.note))
    assert STRONG_PASSWORD not in repr(everything)
    auth_client = client.application.test_client()
    assert auth_client.post("/login", data={"email": "jana.wolf@casework.example",
                                            "password": STRONG_PASSWORD}).status_code == 302


@pytest.mark.parametrize(("changes", "field", "status", "message"), [
    ({"password": "kurz-2026", "confirm": "kurz-2026"}, "password", 422,
     "The password needs at least 12 characters."),
    ({"password": "password1234", "confirm": "password1234"}, "password", 422,
     "This password is one of the most common ones. Choose another."),
    # Passed the old list of ten common passwords; a strength estimate sees through them.
    ({"password": "Passwort2024!", "confirm": "Passwort2024!"}, "password", 422,
     "This password is built from common words or passwords that are easy to guess. "
     "Add words of your own, or make it longer."),
    ({"password": "qwertyuiop[]asdf", "confirm": "qwertyuiop[]asdf"}, "password", 422,
     "This password follows a keyboard pattern. Choose something less predictable."),
    ({"password": "abcdefghijklmnop", "confirm": "abcdefghijklmnop"}, "password", 422,
     "This password contains an easy sequence (like abc or 1234)."),
    ({"password": "abababababababab", "confirm": "abababababababab"}, "password", 422,
     "This password repeats itself. Choose something less predictable."),
    ({"password": "JanaWolf-2026!", "confirm": "JanaWolf-2026!"}, "password", 422,
     "The password must not contain your name or e-mail address."),
    ({"confirm": STRONG_PASSWORD + "x"}, "confirm", 422, "The passwords do not match."),
    ({"email": "PAULA@casework.example"}, "email", 409,
     "A user with the e-mail paula@casework.example exists already."),
    ({"email": "not-an-address"}, "email", 422, "Give a valid e-mail address."),
    ({"email": ""}, "email", 422, "This field is required."),
    ({"name": ""}, "name", 422, "This field is required."),
    ({"role": "superuser"}, "role", 422, "Not a valid choice."),
])
def test_a_bad_new_user_is_refused_beside_the_field(client, make, login_as, db_state,
                                                    changes, field, status, message):
    make.user("program_manager", email="paula@casework.example")
    login_as(make.user("admin"))
    before = db_state()
    response = client.post("/users/new", data=_new_user(**changes))
    assert response.status_code == status
    assert field_errors(response.text, field) == [message]
    assert db_state() == before
    assert changes.get("password", STRONG_PASSWORD) not in response.text


def test_an_admin_changes_a_role(client, make, login_as, events, query):
    admin = login_as(make.user("admin"))
    user = make.user("policy_specialist")
    response = client.post(f"/users/{user.id}/role", data={"role": "program_manager"},
                           follow_redirects=True)
    assert f"Changed the role of {user.name}." in flashes(response.text)
    assert _user_row(query, user.id).role.value == "program_manager"
    assert events("role_changed") == [("role_changed", admin.id, user.id, {
        "role": ["policy_specialist", "program_manager"]})]


def test_an_unknown_role_is_refused(client, make, login_as, db_state, query):
    login_as(make.user("admin"))
    user = make.user("policy_specialist")
    before = db_state()
    response = client.post(f"/users/{user.id}/role", data={"role": "superuser"},
                           follow_redirects=True)
    assert "That change was not valid; nothing was saved." in flashes(response.text)
    assert db_state() == before


def test_an_admin_deactivates_and_reactivates_a_user(client, make, login_as, events, query):
    admin = login_as(make.user("admin"))
    user = make.user("policy_specialist")
    response = client.post(f"/users/{user.id}/deactivate", follow_redirects=True)
    assert f"Deactivated {user.name}." in flashes(response.text)
    assert not _user_row(query, user.id).active
    response = client.post(f"/users/{user.id}/reactivate", follow_redirects=True)
    assert f"Reactivated {user.name}." in flashes(response.text)
    assert _user_row(query, user.id).active
    assert events("deactivated") == [("deactivated", admin.id, user.id,
                                      {"active": [True, False]})]
    assert events("reactivated") == [("reactivated", admin.id, user.id,
                                      {"active": [False, True]})]


def test_an_admin_cannot_deactivate_themselves(client, make, login_as, db_state, query):
    admin = login_as(make.user("admin"))
    page = client.get("/users").text
    assert f'action="/users/{admin.id}/deactivate"' not in page  # no button for it
    before = db_state()
    response = client.post(f"/users/{admin.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert "You cannot deactivate yourself." in flashes(response.text)
    assert db_state() == before
    assert client.get("/users").status_code == 200  # still logged in


# --- Who is logged in, on every page -----------------------------------------------------------

PAGES = [
    "/signals", "/signals/new", "/signals/{signal}", "/signals/{signal}/qualify",
    "/cases", "/cases/{key}", "/cases/{key}/edit", "/cases/{key}/actions/new",
    "/cases/{key}/do/start_mitigation", "/users", "/users/new", "/logout",
    "/cases/RISK-1999-0001", "/no/such/page",
]


@pytest.mark.parametrize("role", ["admin", "program_manager", "policy_specialist",
                                  "leadership"])
def test_the_header_shows_the_users_name_and_role_on_every_page(client, make, login_as,
                                                                role):
    user = make.specialist if role == "policy_specialist" else make.user(role)
    case = make.case("assigned", owner=make.specialist)
    signal_id = make.signal()
    login_as(user)
    for page in PAGES:
        response = client.get(page.format(key=case.key, signal=signal_id))
        assert response.status_code in (200, 403, 404), (page, response.status_code)
        shown = header(response.text)
        assert f'<span class="who-name">{user.name}</span>' in shown, page
        assert f'<span class="who-role">{ROLE_LABELS[role]}</span>' in shown, page


def test_the_header_escapes_the_users_name(client, make, login_as):
    user = login_as(make.user("policy_specialist", name="<b>Mallory</b>"))
    shown = header(client.get("/cases").text)
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in shown
    assert user.name not in shown


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    from casework import create_app
    from casework.models import User

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    user = User()
    user.set_password("correct-horse-battery-9", app.config["PASSWORD_HASH_METHOD"])
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct-horse-battery-9")
    assert not user.check_password("correct-horse-battery-8")
