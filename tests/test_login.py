"""Logging in costs the same whoever tries; and an admin locked out by the throttle has a
documented way back in (``flask casework unlock``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casework.models import AuditEvent

WRONG = "not-the-password-7"


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hash comparisons a login makes (the costly part of it)."""
    import casework.models.user as user_module
    import casework.users.passwords as passwords

    calls = []
    for module in (user_module, passwords):
        real = module.check_password_hash

        def counted(hashed, password, real=real):
            calls.append(password)
            return real(hashed, password)

        monkeypatch.setattr(module, "check_password_hash", counted)
    return calls


def _deactivated(app, make):
    from casework.extensions import db
    from casework.users.operations import deactivate_user, find_user

    user = make.user("policy_specialist")
    with app.app_context():
        deactivate_user(None, find_user(user.email))
        db.session.commit()
    return user


@pytest.mark.parametrize("who", ["unknown", "inactive", "wrong password", "right password"])
def test_every_login_compares_one_password_hash(app, client, make, hash_checks, who):
    """An unknown e-mail address took a tenth of the time of a known one, which told an
    attacker which addresses have an account. Every attempt now does the same work."""
    user = _deactivated(app, make) if who == "inactive" else make.user("program_manager")
    email = "nobody@casework.example" if who == "unknown" else user.email
    password = user.password if who in ("right password", "inactive") else WRONG
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == (302 if who == "right password" else 401)
    assert len(hash_checks) == 1


def _fail_five_times(client, email):
    for _ in range(5):
        assert client.post("/login", data={"email": email, "password": WRONG}).status_code == 401


def test_an_admin_locked_out_by_the_throttle_is_let_back_in_from_the_command_line(
        app, client, make, runner, query):
    admin = make.user("admin")
    _fail_five_times(client, admin.email)
    locked = client.post("/login", data={"email": admin.email, "password": admin.password})
    assert locked.status_code == 429

    result = runner.invoke(args=["casework", "unlock", "--email", admin.email])
    assert result.exit_code == 0, result.output
    assert "may log in again (5 failed logins forgotten)" in result.output
    assert client.post("/login", data={"email": admin.email,
                                       "password": admin.password}).status_code == 302
    unlocked = query(sa.select(AuditEvent.changes).where(
        AuditEvent.action == "login_unlocked"))
    assert [row[0]["email"] for row in unlocked] == [admin.email]


def test_unlocking_an_address_lets_every_account_from_it_try_again(app, client, make, runner):
    users = [make.user("policy_specialist") for _ in range(3)]
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 5
    for user in users[:2]:
        for _ in range(3):
            client.post("/login", data={"email": user.email, "password": WRONG})
    assert client.post("/login", data={"email": users[2].email,
                                       "password": users[2].password}).status_code == 429
    result = runner.invoke(args=["casework", "unlock", "--email", users[2].email,
                                 "--address", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    assert client.post("/login", data={"email": users[2].email,
                                       "password": users[2].password}).status_code == 302


def test_unlocking_nobody_is_one_readable_line(runner, query):
    before = query(sa.select(sa.func.count(AuditEvent.id)))[0][0]
    result = runner.invoke(args=["casework", "unlock", "--email", "nobody@casework.example"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no user with the e-mail nobody@casework.example"]
    assert query(sa.select(sa.func.count(AuditEvent.id)))[0][0] == before
