"""``flask casework synth``: synthetic data that is consistent, with a chain that verifies."""

from __future__ import annotations

import sqlalchemy as sa

from casework.models import AuditEvent, Case, Signal
from casework.vocabulary import CaseState


def test_synth_fills_an_empty_database_with_a_valid_chain(runner, query):
    result = runner.invoke(args=["casework", "synth", "--cases", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "300 cases" in result.output
    assert query(sa.select(sa.func.count(Case.id)))[0][0] == 300
    assert query(sa.select(sa.func.count(Signal.id)))[0][0] == 450
    events = query(sa.select(sa.func.count(AuditEvent.id)))[0][0]
    assert 5 * 300 < events < 15 * 300
    states = {row[0] for row in query(sa.select(Case.state).distinct())}
    assert {CaseState.QUALIFIED, CaseState.MITIGATING} <= states
    verified = runner.invoke(args=["casework", "audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert f"OK: {events} audit events" in verified.output


def test_synth_refuses_a_database_with_data(runner, make):
    make.user()
    result = runner.invoke(args=["casework", "synth", "--cases", "10"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: the database is not empty")
    assert len(result.output.strip().splitlines()) == 1


def test_synthetic_logins_work(runner, client):
    from casework.ops.synth import SYNTH_PASSWORD

    runner.invoke(args=["casework", "synth", "--cases", "20"])
    with client.application.app_context():
        from casework.extensions import db
        from casework.models import User
        from casework.vocabulary import Role

        email = db.session.scalar(sa.select(User.email).where(User.role == Role.PROGRAM_MANAGER)
                                  .limit(1))
    response = client.post("/login", data={"email": email, "password": SYNTH_PASSWORD})
    assert response.status_code == 302
    assert client.get("/cases").status_code == 200
