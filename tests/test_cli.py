"""``flask casework ...``: user administration, demo data, and where the secret key comes
from."""

from __future__ import annotations

import re
import stat

import pytest
import sqlalchemy as sa

from casework.config import build_config, load_secret_key
from casework.models import (
    AuditEvent,
    Case,
    CaseMarket,
    CaseSurface,
    Comment,
    MitigationAction,
    Review,
    Signal,
    User,
)
from casework.ops.demo import DEMO_PASSWORD
from casework.vocabulary import CaseState, Category, Market, Surface

GOOD_PASSWORD = "Lagebild-Wien-2026!"


def casework(runner, *args: str, password: str | None = None):
    return runner.invoke(args=["casework", *args],
                         input=None if password is None else password + "\n")


def create_user(runner, email="nora.neu@casework.example", name="Nora Neu",
                role="policy_specialist", password=GOOD_PASSWORD):
    return casework(runner, "create-user", "--email", email, "--name", name, "--role", role,
                    password=password)


def assert_one_error_line(result):
    """Exit 1 with a single readable ``Error: ...`` line and no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), lines[0]
    assert result.stderr.strip() == lines[0]


def users_with(query, email):
    return query(sa.select(User.email, User.name, User.role, User.active)
                 .where(User.email == email))


def count(query, model) -> int:
    return query(sa.select(sa.func.count()).select_from(model))[0][0]


# create-user


def test_create_user_reads_the_password_from_stdin_and_the_user_can_log_in(runner, auth,
                                                                            query):
    result = create_user(runner)

    assert result.exit_code == 0, result.output
    assert "nora.neu@casework.example" in result.output
    assert "Password" not in result.output  # no prompt when stdin is not a terminal
    assert users_with(query, "nora.neu@casework.example") == [
        ("nora.neu@casework.example", "Nora Neu", "policy_specialist", True)]
    assert auth.login("nora.neu@casework.example", GOOD_PASSWORD).status_code == 302


def test_the_password_logs_in_and_a_wrong_one_does_not(runner, client):
    create_user(runner)

    wrong = client.post("/login", data={"email": "nora.neu@casework.example",
                                        "password": "Lagebild-Wien-2025!"})
    assert wrong.status_code == 401
    right = client.post("/login", data={"email": "nora.neu@casework.example",
                                        "password": GOOD_PASSWORD})
    assert right.status_code == 302
    assert client.get("/").status_code == 302  # logged in: sent to the role's home page


def test_create_user_normalises_the_email(runner, query):
    result = create_user(runner, email="  Nora.Neu@CaseWork.example ")

    assert result.exit_code == 0, result.output
    assert len(users_with(query, "nora.neu@casework.example")) == 1


@pytest.mark.parametrize("password", ["short1!", "password1234", "aaaaaaaaaaaaaaa",
                                      "nora.neu-secret-2026", ""])
def test_a_weak_password_is_refused_in_one_line(runner, query, password):
    result = create_user(runner, password=password)

    assert_one_error_line(result)
    assert "Traceback" not in result.output
    assert count(query, User) == 0


def test_a_taken_email_is_refused_in_one_line(runner, make, query):
    existing = make.user("program_manager", email="paula@casework.example")

    result = create_user(runner, email="Paula@casework.example", name="Someone Else")

    assert_one_error_line(result)
    assert "paula@casework.example" in result.output
    assert users_with(query, existing.email) == [
        (existing.email, existing.name, "program_manager", True)]


@pytest.mark.parametrize("email", ["not-an-address", "nora@", "@casework.example"])
def test_an_invalid_email_is_refused(runner, query, email):
    result = create_user(runner, email=email)

    assert_one_error_line(result)
    assert count(query, User) == 0


def test_an_unknown_role_is_refused(runner, query):
    result = create_user(runner, role="superuser")

    assert result.exit_code != 0
    assert "superuser" in result.output
    assert count(query, User) == 0


# set-role and deactivate


def test_set_role_changes_the_role_and_records_it(runner, make, query):
    user = make.user("policy_specialist")

    result = casework(runner, "set-role", "--email", user.email, "--role", "program_manager")

    assert result.exit_code == 0, result.output
    assert users_with(query, user.email)[0].role == "program_manager"
    events = query(sa.select(AuditEvent.changes).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id,
        AuditEvent.action == "role_changed"))
    assert [row.changes for row in events] == [
        {"role": ["policy_specialist", "program_manager"]}]


def test_set_role_ends_the_users_sessions(runner, make, client, auth):
    user = make.user("program_manager")
    auth.login(user)
    assert client.get("/signals").status_code == 200

    casework(runner, "set-role", "--email", user.email, "--role", "leadership")

    response = client.get("/signals")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("args", [
    ["set-role", "--email", "nobody@casework.example", "--role", "admin"],
    ["deactivate", "--email", "nobody@casework.example"],
], ids=["set-role", "deactivate"])
def test_an_unknown_email_is_refused_in_one_line(runner, make, query, args):
    make.user("admin")
    events_before = count(query, AuditEvent)

    result = casework(runner, *args)

    assert_one_error_line(result)
    assert "nobody@casework.example" in result.output
    assert count(query, AuditEvent) == events_before


def test_a_deactivated_user_can_no_longer_log_in(runner, make, client, auth, query):
    user = make.user("policy_specialist")
    assert auth.login(user).status_code == 302
    assert client.get("/cases").status_code == 200

    result = casework(runner, "deactivate", "--email", user.email)

    assert result.exit_code == 0, result.output
    # The open session ends at once, and a new login is refused.
    assert client.get("/cases").status_code == 302
    assert auth.login(user).status_code == 401
    assert users_with(query, user.email)[0].active is False
    assert query(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id,
        AuditEvent.action == "deactivated")) == [("deactivated",)]


# The secret key


def test_without_secret_key_one_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"

    first = load_secret_key(str(instance))

    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_secret_key(str(instance)) == first
    assert build_config(str(instance))["SECRET_KEY"] == first
    # Another installation gets another key.
    assert load_secret_key(str(tmp_path / "elsewhere")) != first


def test_secret_key_from_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    instance = tmp_path / "instance"

    assert load_secret_key(str(instance)) == "from-the-environment"
    assert build_config(str(instance))["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


# demo

DEMO_LOGINS = ("pm@casework.example", "specialist@casework.example",
               "leadership@casework.example", "admin@casework.example")
COUNTED = (User, Signal, Case, MitigationAction, Comment, Review, AuditEvent)


def counts(query) -> dict[str, int]:
    return {model.__name__: count(query, model) for model in COUNTED}


def values(query, column) -> set[str]:
    return {row[0].value for row in query(sa.select(column).distinct())}


def test_demo_fills_an_empty_database_with_every_kind_of_case(runner, query):
    result = casework(runner, "demo")

    assert result.exit_code == 0, result.output
    loaded = counts(query)
    assert loaded["User"] >= 4
    assert loaded["Signal"] >= 30
    assert loaded["Case"] >= 15
    for model in ("MitigationAction", "Comment", "Review"):
        assert loaded[model] > 0, model
    assert values(query, Case.state) == {state.value for state in CaseState}
    assert values(query, CaseMarket.market) == {market.value for market in Market}
    assert values(query, Case.category) == {category.value for category in Category}
    assert values(query, CaseSurface.surface) == {surface.value for surface in Surface}
    # Every case has its audit trail, and every key has the documented shape.
    cases = query(sa.select(Case.id, Case.key))
    audited = {case_id for (case_id,) in query(
        sa.select(AuditEvent.case_id).where(AuditEvent.case_id.is_not(None)).distinct())}
    assert {case.id for case in cases} <= audited
    assert all(re.fullmatch(r"RISK-\d{4}-\d{4}", case.key) for case in cases)
    for email in DEMO_LOGINS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output


@pytest.mark.parametrize("email", DEMO_LOGINS)
def test_the_demo_logins_work(runner, client, email):
    casework(runner, "demo")

    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})

    assert response.status_code == 302, response.status_code
    assert client.get(response.headers["Location"]).status_code == 200


def test_demo_refuses_a_database_with_data(runner, query):
    casework(runner, "demo")
    before = counts(query)

    result = casework(runner, "demo")

    assert_one_error_line(result)
    assert "--force" in result.output
    assert counts(query) == before


def test_demo_refuses_even_when_only_users_exist(runner, make, query):
    make.user("admin")

    result = casework(runner, "demo")

    assert_one_error_line(result)
    assert count(query, Case) == 0


def test_demo_if_empty_leaves_a_database_with_data_alone(runner, query):
    casework(runner, "demo")
    before = counts(query)

    result = casework(runner, "demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert counts(query) == before
    assert "pm@casework.example" in result.output


def test_demo_if_empty_loads_into_an_empty_database(runner, query):
    result = casework(runner, "demo", "--if-empty")

    assert result.exit_code == 0, result.output
    assert count(query, Case) >= 15


def test_demo_force_adds_the_data_again(runner, query, client):
    casework(runner, "demo")
    before = counts(query)

    result = casework(runner, "demo", "--force")

    assert result.exit_code == 0, result.output
    after = counts(query)
    assert after["User"] == before["User"]  # the demo people are reused, not duplicated
    assert after["Signal"] > before["Signal"]
    assert after["Case"] > before["Case"]
    keys = [key for (key,) in query(sa.select(Case.key))]
    assert len(set(keys)) == len(keys)
    response = client.post("/login", data={"email": "pm@casework.example",
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 302
