"""Every route for every role: who gets the page, who is refused, who is sent to log in.

The matrix is built from the application's own URL map, so a route added without an entry
in ``ACCESS`` below fails here until someone decides who may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for

from casework import create_app
from casework.extensions import db

ROLES = ("anonymous", "admin", "program_manager", "owner", "specialist", "leadership")

# 302 to the login page (the anonymous gate, and logging out).
LOGIN = "login"

# Per rule and method, the status each role gets, in the order of ROLES:
#   anonymous, admin, program manager, policy specialist who owns the case,
#   another policy specialist, leadership.
# POSTs carry no data: a permitted role gets a validation error (422) or, for steps that
# need nothing, the redirect after success; never a 403 or a 500.
ACCESS: dict[str, dict[str, tuple]] = {
    "/": {
        "GET": (LOGIN, 302, 302, 302, 302, 302),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/login": {
        "GET": (200, 302, 302, 302, 302, 302),
        "POST": (422, 302, 302, 302, 302, 302),
    },
    "/healthz": {
        "GET": (200, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/logout": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    },
    "/signals": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/signals/new": {
        "GET": (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 422, 422, 422, 422, 403),
    },
    "/signals/export.<any(csv, xlsx):fmt>": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/cases/export.<any(csv, xlsx):fmt>": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/signals/import": {
        "GET": (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 422, 422, 403, 403, 403),
    },
    "/signals/<int:signal_id>": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/signals/<int:signal_id>/qualify": {
        "GET": (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 422, 422, 403, 403, 403),
    },
    "/signals/<int:signal_id>/attach": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 422, 422, 403, 403, 403),
    },
    "/signals/<int:signal_id>/dismiss": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 422, 422, 403, 403, 403),
    },
    "/signals/<int:signal_id>/duplicate": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 422, 422, 403, 403, 403),
    },
    "/cases": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/cases/<case_key:key>": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/cases/<case_key:key>/edit": {
        "GET": (LOGIN, 200, 200, 200, 403, 403),
        "POST": (LOGIN, 422, 422, 422, 403, 403),
    },
    "/cases/<case_key:key>/actions/new": {
        "GET": (LOGIN, 200, 200, 200, 403, 403),
        "POST": (LOGIN, 422, 422, 422, 403, 403),
    },
    "/cases/<case_key:key>/actions/<int:action_id>/edit": {
        "GET": (LOGIN, 200, 200, 200, 403, 403),
        "POST": (LOGIN, 422, 422, 422, 403, 403),
    },
    # GET: every comment, a page at a time (the case page shows the latest).
    "/cases/<case_key:key>/comments": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (LOGIN, 422, 422, 422, 422, 403),
    },
    # The whole audit trail, a page at a time, for every reader of the case.
    "/cases/<case_key:key>/audit": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    # Here with start_mitigation on an assigned case; every step is in TRANSITION_ACCESS.
    "/cases/<case_key:key>/do/<action>": {
        "GET": (LOGIN, 200, 200, 200, 403, 403),
        "POST": (LOGIN, 302, 302, 302, 403, 403),
    },
    # Every reader of a case may take its PDF summary; tests/test_reports.py reads it.
    "/cases/<case_key:key>/summary.pdf": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    # The risk landscape: leadership and managers, not policy specialists.
    "/dashboard": {
        "GET": (LOGIN, 200, 200, 403, 403, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/dashboard/landscape.pdf": {
        "GET": (LOGIN, 200, 200, 403, 403, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/users": {
        "GET": (LOGIN, 200, 403, 403, 403, 403),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/users/new": {
        "GET": (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 422, 403, 403, 403, 403),
    },
    # An empty role change is refused with a message on the user list (a redirect).
    "/users/<int:user_id>/role": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 302, 403, 403, 403, 403),
    },
    "/users/<int:user_id>/deactivate": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 302, 403, 403, 403, 403),
    },
    "/users/<int:user_id>/reactivate": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 302, 403, 403, 403, 403),
    },
    "/users/<int:user_id>/password": {
        "GET": (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 422, 403, 403, 403, 403),
    },
    # Admins revoke anyone's API token (here one of the admin's own).
    "/users/tokens/<int:token_id>/revoke": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 302, 403, 403, 403, 403),
    },
    # Everyone's own account page, with the password change.
    "/account": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (LOGIN, 422, 422, 422, 422, 422),
    },
    # The language switch in every header, the login page's too: saved on a user, kept in
    # a visitor's session. Posting no language is refused.
    "/language": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (422, 422, 422, 422, 422, 422),
    },
    # The JSON API takes bearer tokens only: a browser session, logged in or not, gets 401.
    # What each role may do with a token is in tests/test_api.py.
    "/account/tokens": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (LOGIN, 200, 200, 200, 200, 200),
    },
    # Here a token of the admin's: only its owner (or an admin) may revoke it.
    "/account/tokens/<int:token_id>/revoke": {
        "GET": (405, 405, 405, 405, 405, 405),
        "POST": (LOGIN, 302, 404, 404, 404, 404),
    },
    "/api/docs": {
        "GET": (LOGIN, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/api/v1/openapi.json": {
        "GET": (200, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "/api/v1/signals": {"GET": (401,) * 6, "POST": (401,) * 6},
    "/api/v1/signals/<int:signal_id>": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/signals/import": {"GET": (405,) * 6, "POST": (401,) * 6},
    "/api/v1/signals/<int:signal_id>/qualify": {"GET": (405,) * 6, "POST": (401,) * 6},
    "/api/v1/signals/<int:signal_id>/dismiss": {"GET": (405,) * 6, "POST": (401,) * 6},
    "/api/v1/signals/<int:signal_id>/duplicate": {"GET": (405,) * 6, "POST": (401,) * 6},
    "/api/v1/cases": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/<case_key:key>": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/<case_key:key>/transitions": {"GET": (405,) * 6, "POST": (401,) * 6},
    "/api/v1/cases/<case_key:key>/actions": {"GET": (401,) * 6, "POST": (401,) * 6},
    "/api/v1/actions/<int:action_id>": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/<case_key:key>/comments/<int:comment_id>": {"GET": (401,) * 6,
                                                       "POST": (405,) * 6},
    "/api/v1/me": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/owners": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/landscape.pdf": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/dashboard": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/export.csv": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/export.xlsx": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/signals/export.csv": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/signals/export.xlsx": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/<case_key:key>/comments": {"GET": (401,) * 6, "POST": (401,) * 6},
    "/api/v1/cases/<case_key:key>/audit": {"GET": (401,) * 6, "POST": (405,) * 6},
    "/api/v1/cases/<case_key:key>/summary.pdf": {"GET": (401,) * 6, "POST": (405,) * 6},
}

METHODS = ("GET", "POST")
SKIPPED_ENDPOINTS = frozenset({"static"})


def _rules_of(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED_ENDPOINTS),
        key=lambda rule: rule.rule,
    )


# The matrix comes from the real URL map, so a new route shows up here by itself.
_COLLECTION_APP = create_app({"TESTING": True, "SECRET_KEY": "collection-only",
                              "SQLALCHEMY_DATABASE_URI": "sqlite://"})

# Each route that reaches a case is walked on three: "own" (owned by the policy specialist
# called "owner"; ACCESS above is written for it), "others" (owned by a third specialist:
# the owner is then just another specialist) and "restricted" (the owner's, restricted:
# hidden behind a 404 from everyone but the owner and managers). Routes that reach a signal
# are walked on a new signal and on the signal of the restricted case.
CASE_KINDS = ("own", "others", "restricted")
SIGNAL_KINDS = ("new", "restricted")


def kinds_of(rule) -> tuple[str, ...]:
    if {"key", "action_id"} & set(rule.arguments):
        return CASE_KINDS
    if "signal_id" in rule.arguments:
        return SIGNAL_KINDS
    return ("",)


# The signal of the restricted case has been qualified: every triage step tells a manager
# it is no longer open (409), before looking at what was posted (422).
RESTRICTED_SIGNAL_FOR_MANAGERS = {
    (method, f"/signals/<int:signal_id>/{step}"): 409
    for method, step in (("GET", "qualify"), ("POST", "qualify"), ("POST", "attach"),
                         ("POST", "dismiss"), ("POST", "duplicate"))}


def expected_status(rule_text: str, method: str, role: str, kind: str):
    """The answer for ``role`` on a case (or signal) of ``kind``, from the ACCESS table."""
    statuses = ACCESS[rule_text][method]
    expected = statuses[ROLES.index(role)]
    if kind == "others" and role == "owner":
        expected = statuses[ROLES.index("specialist")]
    if kind == "restricted" and expected not in (LOGIN, 401, 405):
        if role in ("specialist", "leadership"):
            return 404
        if role in ("admin", "program_manager"):
            return RESTRICTED_SIGNAL_FOR_MANAGERS.get((method, rule_text), expected)
    return expected


MATRIX = [
    pytest.param(rule.rule, method, role, kind,
                 id=f"{method} {rule.rule} as {role}" + (f" on {kind}" if kind else ""))
    for rule in _rules_of(_COLLECTION_APP)
    for method in METHODS
    for role in ROLES
    for kind in kinds_of(rule)
]


def test_every_route_has_an_access_rule(app):
    for rule in _rules_of(app):
        assert rule.rule in ACCESS, f"route {rule.rule} has no access rule in test_routes"
        for method in METHODS:
            assert method in ACCESS[rule.rule], (
                f"route {rule.rule} has no access rule for {method} in test_routes")


def test_the_access_table_names_only_routes_that_exist(app):
    existing = {rule.rule for rule in _rules_of(app)}
    assert set(ACCESS) <= existing, f"no such routes: {sorted(set(ACCESS) - existing)}"


# --- The world every request runs against ------------------------------------------------

NAMES = {
    "admin": "Ada Admin",
    "program_manager": "Paula Programm",
    "owner": "Sven Spezialist",
    "specialist": "Olga Other",
    "leadership": "Lea Leitung",
}
ROLE_LABELS = {
    "admin": "Admin",
    "program_manager": "Program manager",
    "owner": "Policy specialist",
    "specialist": "Policy specialist",
    "leadership": "Leadership",
}
CASE_STATES = ("qualified", "assigned", "mitigating", "in_review", "closed", "dismissed")


@dataclass(frozen=True)
class World:
    case_key: str  # assigned, owned by "owner", with one mitigation action
    action_id: int
    signal_id: int  # new, waiting for triage
    user_id: int  # someone for the admin pages to change
    cases: dict[str, str]  # state -> key, each owned by "owner"
    case_owned_by_pm: str  # in review, owned by "program_manager"
    sessions: dict[str, str]  # role -> session cookie of a logged-in client
    # "others" and "restricted" -> the URL values of that kind of case (see CASE_KINDS)
    kinds: dict[str, dict]
    token_id: int = 0  # an API token of the admin's


@pytest.fixture(scope="module")
def world_template(databases, migrated_template, tmp_path_factory):
    """One database with a user per role, cases in every state and a logged-in session per
    role; every test gets a copy, so no request here can affect another test."""
    from conftest import Factory  # the same factory the ``make`` fixture hands out

    from casework.cases.operations import add_action
    from casework.models import Case, User

    path = databases.copy(migrated_template,
                          tmp_path_factory.mktemp("routes") / "world.sqlite3")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": databases.url(path),
                      "WTF_CSRF_ENABLED": False})
    make = Factory(app)
    users = {
        "admin": make.user("admin", name=NAMES["admin"]),
        "program_manager": make.pm,
        "owner": make.specialist,
        "specialist": make.user("policy_specialist", name=NAMES["specialist"]),
        "leadership": make.user("leadership", name=NAMES["leadership"]),
    }
    target = make.user("policy_specialist", name="Tara Target")
    cases = {state: make.case(state, owner=users["owner"]).key for state in CASE_STATES}
    case = make.case("assigned", owner=users["owner"])
    case_owned_by_pm = make.case("in_review", owner=users["program_manager"]).key
    signal_id = make.signal()
    with app.app_context():
        owner = db.session.get(User, users["owner"].id)
        action = add_action(owner, db.session.get(Case, case.id), title="Comment keyword list",
                            team="content_policy", owner="Jana Wolf", due=date(2026, 3, 1),
                            status="planned", outcome="")
        db.session.commit()
        action_id = action.id
    third = make.user("policy_specialist", name="Theo Third")
    kinds = {}
    for kind, kind_owner in (("others", third), ("restricted", users["owner"])):
        made = make.case("assigned", owner=kind_owner)
        with app.app_context():
            from casework.cases.operations import update_case
            from casework.models import Signal

            kind_case = db.session.get(Case, made.id)
            if kind == "restricted":
                update_case(db.session.get(User, users["program_manager"].id), kind_case,
                            expected_version=None, restricted=True)
            kind_action = add_action(db.session.get(User, kind_owner.id), kind_case,
                                     title="Moderator guideline refresh", team="operations",
                                     owner="Elif Demir", due=date(2026, 3, 1),
                                     status="planned", outcome="")
            db.session.commit()
            kind_signal = db.session.scalar(sa.select(Signal.id)
                                            .where(Signal.case_id == made.id))
            kinds[kind] = {"key": made.key, "action_id": kind_action.id,
                           "signal_id": kind_signal}
    with app.app_context():
        from casework.api.tokens import create_token

        token, _secret = create_token(None, db.session.get(User, users["admin"].id), "t")
        db.session.commit()
        token_id = token.id
    sessions = {}
    for role, user in users.items():
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302
        sessions[role] = client.get_cookie("session").value
    with app.app_context():
        db.engine.dispose()  # closes the WAL so the file holds everything (and, on
        # PostgreSQL, the connections: a template database must have none)
    return path, World(case.key, action_id, signal_id, target.id, cases, case_owned_by_pm,
                       sessions, kinds, token_id)


@pytest.fixture
def database_path(tmp_path, databases, world_template):
    """The conftest's ``app`` and ``client`` run on a copy of the world."""
    path = databases.copy(world_template[0], tmp_path / "casework.sqlite3")
    yield path
    databases.drop(path)


@pytest.fixture
def world(world_template) -> World:
    return world_template[1]


@pytest.fixture
def as_role(client, world):
    """Give the client the session of ``role`` (none for anonymous)."""

    def _as(role: str):
        if role != "anonymous":
            client.set_cookie("session", world.sessions[role])
        return client

    return _as


def _url(app, rule, world: World, **overrides) -> str:
    values = {"key": world.case_key, "signal_id": world.signal_id,
              "action_id": world.action_id, "user_id": world.user_id,
              "token_id": world.token_id, "fmt": "csv", "comment_id": 1,
              "action": "start_mitigation", **overrides}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"route {rule.rule}: test_routes has no value for {sorted(missing)}"
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def _rule(app, text):
    return next(rule for rule in _rules_of(app) if rule.rule == text)


def _assert_status(response, expected, role):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert urlsplit(response.location).path == "/login"
    else:
        assert response.status_code == expected, response.status_code
        if expected == 302:
            assert urlsplit(response.location).path != "/login"
    if response.request.path.startswith("/api/v1"):
        # The API answers its own JSON error shape, never an HTML page.
        if response.status_code >= 400:
            assert response.is_json, response.mimetype
            assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    elif response.status_code in (403, 404, 405):
        assert_own_error_page(response, role)


def assert_own_error_page(response, role):
    """The application's error page inside its layout, not Werkzeug's bare default."""
    assert response.mimetype == "text/html"
    assert '<section class="error-page">' in response.text
    assert f'<p class="error-code">{response.status_code}</p>' in response.text
    assert 'class="site-header"' in response.text
    if role != "anonymous":
        assert f'<span class="who-name">{NAMES[role]}</span>' in response.text
        assert f'<span class="who-role">{ROLE_LABELS[role]}</span>' in response.text


@pytest.mark.parametrize(("rule_text", "method", "role", "kind"), MATRIX)
def test_route_access(app, world, as_role, rule_text, method, role, kind):
    if rule_text not in ACCESS or method not in ACCESS[rule_text]:
        pytest.fail(f"route {rule_text} has no access rule in test_routes")
    expected = expected_status(rule_text, method, role, kind)
    client = as_role(role)
    url = _url(app, _rule(app, rule_text), world, **world.kinds.get(kind, {}))
    response = client.open(url, method=method, data={} if method == "POST" else None)
    _assert_status(response, expected, role)


def test_the_anonymous_gate_remembers_where_the_visitor_was_going(client, world):
    response = client.get(f"/cases/{world.case_key}")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert f"next=%2Fcases%2F{world.case_key}" in response.location


# --- The workflow's steps, role by role ----------------------------------------------------

# (action, case, GET status, POST-with-nothing status) for each role but anonymous, in the
# order admin, program manager, owner, another specialist, leadership. Leadership never.
TRANSITION_ACCESS = [
    ("assign", "qualified", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("assign", "assigned", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("assign", "in_review", (409, 409, 403, 403, 403), (409, 409, 403, 403, 403)),
    ("start_mitigation", "assigned", (200, 200, 200, 403, 403), (302, 302, 302, 403, 403)),
    # Submitting needs finished mitigation actions, and this case has none: the case as
    # it stands does not allow it (409), for the page as for the form.
    ("submit_for_review", "mitigating", (409, 409, 409, 403, 403),
     (409, 409, 409, 403, 403)),
    ("approve", "in_review", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("request_changes", "in_review", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("reopen", "closed", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("dismiss", "qualified", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    ("dismiss", "assigned", (200, 200, 403, 403, 403), (422, 422, 403, 403, 403)),
    # Not possible from the case's state: 409 for those who could otherwise, 403 for the rest.
    ("start_mitigation", "closed", (409, 409, 409, 403, 403), (409, 409, 409, 403, 403)),
    ("reopen", "assigned", (409, 409, 403, 403, 403), (409, 409, 403, 403, 403)),
    ("approve", "assigned", (409, 409, 403, 403, 403), (409, 409, 403, 403, 403)),
    ("dismiss", "closed", (409, 409, 403, 403, 403), (409, 409, 403, 403, 403)),
    ("assign", "dismissed", (409, 409, 403, 403, 403), (409, 409, 403, 403, 403)),
    # Four eyes: the program manager who owns the case may not review it; the admin may.
    ("approve", "owned_by_pm", (200, 403, 403, 403, 403), (422, 403, 403, 403, 403)),
    ("request_changes", "owned_by_pm", (200, 403, 403, 403, 403),
     (422, 403, 403, 403, 403)),
]
TRANSITION_MATRIX = [
    pytest.param(action, case, method, role, statuses[i],
                 id=f"{method} {action} on {case} as {role}")
    for action, case, get, post in TRANSITION_ACCESS
    for method, statuses in (("GET", get), ("POST", post))
    for i, role in enumerate(ROLES[1:])
]


@pytest.mark.parametrize(("action", "case", "method", "role", "expected"), TRANSITION_MATRIX)
def test_transition_access(world, as_role, action, case, method, role, expected):
    key = world.case_owned_by_pm if case == "owned_by_pm" else world.cases[case]
    response = as_role(role).open(f"/cases/{key}/do/{action}", method=method, data={})
    _assert_status(response, expected, role)


def test_leadership_sees_no_button_it_may_not_press(world, as_role):
    page = as_role("leadership").get(f"/cases/{world.case_key}").text
    assert f"/cases/{world.case_key}/do/" not in page
    assert f"/cases/{world.case_key}/edit" not in page
    assert f"/cases/{world.case_key}/actions/new" not in page
    assert f'action="/cases/{world.case_key}/comments"' not in page


def test_the_owner_sees_the_buttons_of_their_case(world, as_role):
    page = as_role("owner").get(f"/cases/{world.case_key}").text
    assert f'action="/cases/{world.case_key}/do/start_mitigation"' in page
    assert f'href="/cases/{world.case_key}/edit"' in page
    assert f'href="/cases/{world.case_key}/actions/new"' in page


# --- Things that are not there --------------------------------------------------------------

NOT_FOUND = [
    ("GET", "/cases/RISK-1999-9999"),
    ("GET", "/cases/RISK-1999-9999/edit"),
    ("POST", "/cases/RISK-1999-9999/edit"),
    ("GET", "/cases/RISK-1999-9999/actions/new"),
    ("POST", "/cases/RISK-1999-9999/comments"),
    ("GET", "/cases/RISK-1999-9999/do/assign"),
    ("GET", "/cases/{key}/do/frobnicate"),
    ("POST", "/cases/{key}/do/frobnicate"),
    ("GET", "/cases/{key}/actions/999999/edit"),
    ("POST", "/cases/{key}/actions/999999/edit"),
    # An action that exists, but on another case.
    ("GET", "/cases/{other_key}/actions/{action_id}/edit"),
    ("GET", "/signals/999999"),
    ("GET", "/signals/999999/qualify"),
    ("POST", "/signals/999999/dismiss"),
    ("POST", "/signals/999999/attach"),
    ("POST", "/signals/999999/duplicate"),
    ("POST", "/users/999999/deactivate"),
    ("POST", "/users/999999/reactivate"),
    ("POST", "/users/999999/role"),
    ("GET", "/no/such/page"),
]


@pytest.mark.parametrize(("method", "url"), NOT_FOUND)
def test_what_does_not_exist_is_the_apps_own_404(world, as_role, method, url):
    url = url.format(key=world.case_key, other_key=world.cases["assigned"],
                     action_id=world.action_id)
    response = as_role("admin").open(url, method=method, data={"role": "leadership"})
    assert response.status_code == 404
    # "There is nothing at this address.", or what was not found ("There is no case ...").
    assert re.search(r"There is (nothing at this address|no )", response.text)
    assert_own_error_page(response, "admin")


@pytest.mark.parametrize("role", ["program_manager", "leadership"])
def test_a_refusal_is_the_apps_own_403(world, as_role, role):
    response = as_role(role).get("/users")
    assert response.status_code == 403
    assert "Your role does not allow this." in response.text
    assert "Forbidden" not in response.text  # Werkzeug's default title
    assert_own_error_page(response, role)


def test_a_lower_case_key_finds_the_case(world, as_role):
    response = as_role("leadership").get(f"/cases/{world.case_key.lower()}")
    assert response.status_code == 200
    assert world.case_key in response.text


# --- No state-changing request without a valid CSRF token -----------------------------------

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSRF_MATRIX = [
    pytest.param(rule.rule, method, id=f"{method} {rule.rule}")
    for rule in _rules_of(_COLLECTION_APP)
    for method in sorted(set(rule.methods) & set(UNSAFE_METHODS))
]


def _audit_count(app) -> int:
    from casework.models import AuditEvent

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("token", ["none", "garbage", "another session's"])
@pytest.mark.parametrize(("rule_text", "method"), CSRF_MATRIX)
def test_no_state_changing_route_accepts_a_request_without_a_valid_csrf_token(
        csrf_app, world, as_role, rule_text, method, token):
    rule = _rule(csrf_app, rule_text)
    client = as_role("admin")
    data = {"role": "leadership", "title": "Forged", "body": "Forged", "note": "Forged"}
    if token == "garbage":
        data["csrf_token"] = "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwIg.Zz.forged"
    elif token == "another session's":
        other = csrf_app.test_client()
        other.set_cookie("session", world.sessions["program_manager"])
        page = other.get("/signals/new").text
        data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    before = _audit_count(csrf_app)
    response = client.open(_url(csrf_app, rule, world), method=method, data=data)
    if rule.endpoint.startswith("api."):
        # The API takes no cookies at all: without its bearer token a session is worthless.
        assert response.status_code == 401, response.status_code
    else:
        assert response.status_code == 400, response.status_code
        assert "missing its security token or it expired" in response.text
    assert _audit_count(csrf_app) == before


def test_every_unsafe_route_is_in_the_csrf_walk():
    assert {"/login", "/logout", "/account", "/users/<int:user_id>/password"} <= {
        param.values[0] for param in CSRF_MATRIX}
