"""The audit trail is a hash chain the database will not let anyone edit; tampering with the
file behind its back is found and named, by ``flask casework audit verify`` and by the
standalone script an auditor runs on an export."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from casework import PROJECT_ROOT
from casework.audit import chain
from casework.extensions import db
from casework.models import AuditEvent, AuditHead
from casework.models.types import frozen_time, utcnow

SCRIPT = Path(PROJECT_ROOT) / "scripts" / "verify_audit.py"


def audit(runner, *args):
    return runner.invoke(args=["casework", "audit", *args])


@pytest.fixture
def trail(make):
    """A few dozen events from real work: users, signals, cases through the workflow."""
    make.case("closed")
    make.case("assigned")
    make.signal()


def rows(database_url) -> list[tuple]:
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(
            "SELECT id, seq, prev_hash, hash FROM audit_events ORDER BY seq")]


def tamper(database_url, *statements: str, params=()):
    """Change the database directly, as someone with the file (or a superuser's login) but
    not the app would: past the triggers that refuse it, and past foreign keys."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(url.database)) as connection:
            connection.execute("DROP TRIGGER audit_events_no_update")
            connection.execute("DROP TRIGGER audit_events_no_delete")
            for statement in statements:
                connection.execute(statement, params if "?" in statement else ())
            connection.commit()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        for statement in statements:
            parts = statement.split("?")
            named = parts[0] + "".join(f":p{n}{rest}" for n, rest in enumerate(parts[1:]))
            connection.execute(sa.text(named), {f"p{n}": v for n, v in enumerate(params)})


def verify(app) -> chain.VerifyResult:
    with app.app_context():
        return chain.verify()


# --- what is written ------------------------------------------------------------------------


def test_every_event_is_chained_to_the_one_before(app, trail, database_url):
    stored = rows(database_url)
    assert len(stored) > 10
    assert [seq for _id, seq, _prev, _hash in stored] == list(range(1, len(stored) + 1))
    assert stored[0][2] == chain.GENESIS
    for before, after in pairwise(stored):
        assert after[2] == before[3]
    with app.app_context():
        for event in db.session.scalars(sa.select(AuditEvent)):
            assert event.hash == chain.compute_hash(event)
        assert chain.current_head() == chain.Head(len(stored), stored[-1][3])
    result = verify(app)
    assert result.ok
    assert (result.count, result.head) == (len(stored), stored[-1][3])


def test_the_canonical_form_is_stable_json_of_the_content_and_the_previous_hash():
    event = {"occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "actor_id": 7,
             "entity_type": "case", "entity_id": 3, "case_id": 3, "action": "assign",
             "changes": {"owner": [None, "sven@casework.example"], "state": ["a", "b"]},
             "note": "Übernahme", "prev_hash": "ab" * 32, "seq": 99, "id": 1234,
             "remote_addr": "10.0.0.1"}
    assert chain.canonical(event) == (
        '{"action":"assign","actor_id":7,"case_id":3,"changes":{"owner":[null,'
        '"sven@casework.example"],"state":["a","b"]},"entity_id":3,"entity_type":"case",'
        '"note":"\\u00dcbernahme","occurred_at":"2026-03-01T09:30:00.000000Z",'
        '"prev_hash":"' + "ab" * 32 + '"}')
    # Neither the row id, nor the seq, nor the address is covered.
    moved = dict(event, id=1, seq=5, remote_addr=None)
    assert chain.compute_hash(moved) == chain.compute_hash(event)
    assert chain.compute_hash(dict(event, note="Uebernahme")) != chain.compute_hash(event)


def test_an_audit_event_names_only_canonical_kinds_and_actions(app):
    """Audit actions are canonical values like every other: a bare word is refused."""
    from casework.audit import record

    with app.app_context(), pytest.raises(ValueError):
        record("case", "frobnicated")
    with app.app_context(), pytest.raises(ValueError):
        record("spaceship", "created")


def test_several_events_in_one_transaction_chain_in_order(app, make):
    from casework.audit import record

    make.user("admin")
    with app.app_context():
        first = record("case", "updated", note="one")
        second = record("case", "updated", note="two")
        assert second.seq == first.seq + 1
        assert second.prev_hash == first.hash
        db.session.commit()
    assert verify(app).ok


def test_a_rolled_back_change_leaves_no_gap(app, make):
    from casework.audit import record

    make.user("admin")
    with app.app_context():
        record("case", "updated", note="abandoned")
        db.session.rollback()
        record("case", "updated", note="kept")
        db.session.commit()
    assert verify(app).ok


def test_events_take_the_time_of_the_clock_they_are_written_under(app, make):
    from casework.audit import record

    when = datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
    with app.app_context():
        with frozen_time(when):
            assert utcnow() == when
            event = record("case", "updated", note="backdated")
        assert utcnow() > when
        db.session.commit()
        stored = db.session.get(AuditEvent, event.id)
        assert stored.occurred_at == when
        assert stored.hash == chain.compute_hash(stored)


def test_the_demo_writes_its_history_at_its_own_times_and_the_chain_holds(app, runner):
    assert runner.invoke(args=["casework", "demo"]).exit_code == 0
    with app.app_context():
        times = db.session.scalars(sa.select(AuditEvent.occurred_at).order_by(AuditEvent.seq))
        times = list(times)
    assert min(times) < utcnow() - timedelta(days=20)
    assert times == sorted(times)
    assert verify(app).ok


# --- the database refuses -------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET note = 'rewritten'",
    "UPDATE audit_events SET occurred_at = '2020-01-01 00:00:00.000000'",
    "DELETE FROM audit_events",
    "DELETE FROM audit_events WHERE seq = 1",
])
def test_the_database_refuses_to_change_or_delete_audit_events(app, trail, statement):
    with app.app_context(), pytest.raises(IntegrityError, match="audit events cannot be"), \
            db.engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert verify(app).ok


COPY_OF_FIRST = ("(id, seq, prev_hash, hash, occurred_at, actor_id, entity_type, entity_id, "
                 "case_id, action, changes, note) SELECT id, seq, prev_hash, hash, occurred_at, "
                 "actor_id, entity_type, entity_id, case_id, action, changes, 'replaced' "
                 "FROM audit_events WHERE seq = 1")


@pytest.mark.parametrize("statement", [
    f"INSERT OR REPLACE INTO audit_events {COPY_OF_FIRST}",
    f"REPLACE INTO audit_events {COPY_OF_FIRST}",
    f"INSERT INTO audit_events {COPY_OF_FIRST}",
])
def test_the_database_refuses_to_replace_an_audit_event(app, trail, database_url, statement):
    """SQLite's REPLACE deletes the old row without firing its DELETE trigger: an insert
    that reuses an event's id or sequence number is refused before that happens."""
    if statement.startswith(("INSERT OR", "REPLACE")) and \
            sa.make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's own statement")
    with app.app_context(), pytest.raises(IntegrityError, match="audit events cannot be"), \
            db.engine.begin() as connection:
        connection.exec_driver_sql(statement)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(
            AuditEvent.note == "replaced")) == 0
    assert verify(app).ok


def test_the_orm_cannot_change_an_event_either(app, trail):
    from casework.errors import Conflict
    from casework.web.edge import unit_of_work

    with app.app_context(), pytest.raises(Conflict), unit_of_work():
        db.session.scalar(sa.select(AuditEvent).limit(1)).note = "rewritten"
    assert verify(app).ok


# --- tampering with the file is found and named ---------------------------------------------


def _id_at(database_url, seq: int) -> int:
    return next(row[0] for row in rows(database_url) if row[1] == seq)


def test_a_changed_event_is_named(app, runner, trail, database_url):
    target = _id_at(database_url, 5)
    tamper(database_url, f"UPDATE audit_events SET note = 'nothing to see' WHERE id = {target}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == target
    assert result.reason.startswith("changed")
    cli = audit(runner, "verify")
    assert cli.exit_code == 1
    assert f"audit event id {target} (seq 5) does not fit: changed" in cli.output


@pytest.mark.parametrize("column, value", [
    ("occurred_at", "'2020-01-01 00:00:00.000000'"),
    ("actor_id", "COALESCE(actor_id, 0) + 1000"),
    ("action", "'login'"),
    ("changes", "'{}'"),
    ("hash", "'" + "f" * 64 + "'"),
])
def test_any_changed_field_breaks_the_chain(app, trail, database_url, column, value):
    target = _id_at(database_url, 3)
    tamper(database_url, f"UPDATE audit_events SET {column} = {value} WHERE id = {target}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id in (target, _id_at(database_url, 4))


def test_a_changed_event_whose_hash_was_recomputed_breaks_the_next_link(app, trail,
                                                                         database_url):
    target = _id_at(database_url, 4)
    with app.app_context():
        event = db.session.get(AuditEvent, target)
        event_fields = {name: getattr(event, name) for name in chain.HASHED_FIELDS}
        forged = chain.compute_hash({**event_fields, "note": "forged",
                                     "prev_hash": event.prev_hash})
    tamper(database_url,
           f"UPDATE audit_events SET note = 'forged', hash = '{forged}' WHERE id = {target}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == _id_at(database_url, 5)


def test_a_removed_event_is_named(app, runner, trail, database_url):
    target, following = _id_at(database_url, 6), _id_at(database_url, 7)
    tamper(database_url, f"DELETE FROM audit_events WHERE id = {target}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == following
    assert result.reason.startswith("removed")
    assert "seq 6" in result.reason
    assert audit(runner, "verify").exit_code == 1


def test_a_removed_and_renumbered_event_is_found(app, trail, database_url):
    target = _id_at(database_url, 6)
    tamper(database_url, f"DELETE FROM audit_events WHERE id = {target}",
           "UPDATE audit_events SET seq = seq - 1 WHERE seq > 6")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == _id_at(database_url, 6)
    assert "removed" in result.reason


def test_removing_the_newest_events_is_found(app, runner, trail, database_url):
    count = len(rows(database_url))
    tamper(database_url, f"DELETE FROM audit_events WHERE seq > {count - 2}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_seq == count - 1
    assert result.reason.startswith("removed")
    cli = audit(runner, "verify")
    assert cli.exit_code == 1
    assert f"seq {count - 1} does not fit: removed" in cli.output


def test_an_event_added_at_the_end_is_named(app, trail, database_url):
    count = len(rows(database_url))
    last_hash = rows(database_url)[-1][3]
    forged = {"occurred_at": "2026-01-01T00:00:00.000000Z", "actor_id": None,
              "entity_type": "case", "entity_id": 1, "case_id": 1, "action": "dismiss",
              "changes": {}, "note": None, "prev_hash": last_hash}
    tamper(database_url,
           "INSERT INTO audit_events (seq, prev_hash, hash, occurred_at, entity_type, "
           "entity_id, case_id, action, changes) VALUES (?, ?, ?, '2026-01-01 00:00:00.000000',"
           " 'case', 1, 1, 'dismiss', '{}')",
           params=(count + 1, last_hash, chain.compute_hash(forged)))
    result = verify(app)
    assert not result.ok
    assert result.first_bad_seq == count + 1
    assert result.reason.startswith("inserted")


def test_an_event_inserted_in_the_middle_is_named(app, trail, database_url):
    before = rows(database_url)
    prev_hash = before[3][3]  # seq 4
    forged = {"occurred_at": "2026-01-01T00:00:00.000000Z", "actor_id": None,
              "entity_type": "case", "entity_id": 1, "case_id": 1, "action": "dismiss",
              "changes": {}, "note": None, "prev_hash": prev_hash}
    tamper(database_url,
           "UPDATE audit_events SET seq = -seq WHERE seq > 4",
           "UPDATE audit_events SET seq = 1 - seq WHERE seq < 0",
           "INSERT INTO audit_events (seq, prev_hash, hash, occurred_at, entity_type, "
           "entity_id, case_id, action, changes) VALUES (5, ?, ?, '2026-01-01 00:00:00.000000',"
           " 'case', 1, 1, 'dismiss', '{}')",
           params=(prev_hash, chain.compute_hash(forged)))
    inserted = _id_at(database_url, 5)
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == inserted
    assert result.reason.startswith("inserted")


def test_reordered_events_are_named(app, runner, trail, database_url):
    first, second = _id_at(database_url, 7), _id_at(database_url, 8)
    tamper(database_url,
           f"UPDATE audit_events SET seq = -1 WHERE id = {first}",
           f"UPDATE audit_events SET seq = 7 WHERE id = {second}",
           f"UPDATE audit_events SET seq = 8 WHERE id = {first}")
    result = verify(app)
    assert not result.ok
    assert result.first_bad_id == second
    assert result.reason.startswith("reordered")
    assert f"audit event id {second}" in audit(runner, "verify").output


# --- the command line and the export --------------------------------------------------------


def test_verify_prints_the_count_and_the_head_hash(app, runner, trail, database_url):
    stored = rows(database_url)
    result = audit(runner, "verify")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"OK: {len(stored)} audit events, head hash {stored[-1][3]}")


def test_an_empty_trail_verifies(runner):
    result = audit(runner, "verify")
    assert result.exit_code == 0, result.output
    assert f"OK: 0 audit events, head hash {chain.GENESIS}" in result.output


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=60)


def test_an_export_verifies_with_the_standalone_script(runner, trail, database_url,
                                                       tmp_path):
    target = tmp_path / "audit.jsonl"
    result = audit(runner, "export", "-o", str(target))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    stored = rows(database_url)
    assert [line["seq"] for line in lines] == list(range(1, len(stored) + 1))
    assert {"occurred_at", "actor_id", "actor_email", "changes", "prev_hash",
            "hash"} <= set(lines[0])
    head = stored[-1][3]
    checked = run_script(str(target), "--head", head)
    assert checked.returncode == 0, checked.stderr
    assert f"OK: {len(stored)} events" in checked.stdout
    assert head in checked.stdout
    # The script imports nothing from Casework.
    source = SCRIPT.read_text(encoding="utf-8")
    assert "casework" not in source.split('"""')[2].lower().replace("casework audit", "")


def _tampered_export(tmp_path, lines, change) -> Path:
    change(lines)
    path = tmp_path / "tampered.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "expected"), [
    (lambda lines: lines[4].update(note="edited"), "seq 5): its content does not match"),
    (lambda lines: lines.pop(4), "seq 6): expected seq 5"),
    (lambda lines: lines.insert(5, lines.pop(4)), "seq 6): expected seq 5"),
    (lambda lines: lines.__setitem__(4, {**lines[4], "changes": {"x": 1}}),
     "seq 5): its content"),
])
def test_the_script_names_the_first_event_that_does_not_fit(runner, trail, tmp_path,
                                                            change, expected):
    target = tmp_path / "audit.jsonl"
    audit(runner, "export", "-o", str(target))
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    checked = run_script(str(_tampered_export(tmp_path, lines, change)))
    assert checked.returncode == 1
    assert expected in checked.stderr


def test_the_script_finds_a_missing_tail_with_the_head_hash(runner, trail, tmp_path,
                                                            database_url):
    target = tmp_path / "audit.jsonl"
    audit(runner, "export", "-o", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    (tmp_path / "short.jsonl").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert run_script(str(tmp_path / "short.jsonl")).returncode == 0  # looks whole...
    checked = run_script(str(tmp_path / "short.jsonl"), "--head", rows(database_url)[-1][3])
    assert checked.returncode == 1  # ...but does not end at the head
    assert "not the expected head" in checked.stderr


def test_an_export_of_a_period_is_an_unbroken_stretch_of_the_chain(app, make, runner,
                                                                   tmp_path):
    from casework.audit import record

    make.user("admin")
    with app.app_context():
        for day in (1, 2, 3, 4):
            with frozen_time(datetime(2026, 5, day, 12, tzinfo=UTC)):
                record("case", "updated", note=f"day {day}")
        db.session.commit()
    target = tmp_path / "may.jsonl"
    result = audit(runner, "export", "--from", "2026-05-02", "--to", "2026-05-03",
                   "-o", str(target))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["note"] for line in lines] == ["day 2", "day 3"]
    assert lines[0]["occurred_at"] == "2026-05-02T12:00:00.000000Z"
    checked = run_script(str(target))
    assert checked.returncode == 0, checked.stderr
    assert "chained from an earlier event" in checked.stdout


def test_the_head_row_moves_with_every_event(app, make):
    make.user("admin")
    with app.app_context():
        head = db.session.get(AuditHead, 1)
        last = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.seq.desc()))
        assert (head.seq, head.hash) == (last.seq, last.hash)


def test_concurrent_writers_neither_fork_nor_leave_gaps(app, make, database_url):
    """Writers on their own connections at once: they take turns, and the chain holds."""
    import threading

    from casework.audit import record

    make.user("admin")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with app.app_context():
                    record("case", "updated", note=f"writer {n} step {i}")
                    record("case", "updated", note=f"writer {n} step {i}, second event")
                    db.session.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = rows(database_url)
    assert [seq for _id, seq, _prev, _hash in stored] == list(range(1, len(stored) + 1))
    assert len(stored) == 1 + 4 * 15 * 2
    result = verify(app)
    assert result.ok, result
    assert result.count == len(stored)
