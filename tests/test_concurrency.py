"""Concurrent writers and crashes on SQLite: separate processes change the same cases through
the app at once; nobody sees an error page or "database is locked", stale writes are refused
with 409, nothing acknowledged is lost, and the audit chain still verifies."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import sqlite3
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from conftest import only_sqlite
from writers import read_acks, spawn

from casework.extensions import db
from casework.models import AuditEvent, Case, Comment, MitigationAction

# SQLite's own locking, files and PRAGMAs are what is under test here.
pytestmark = only_sqlite

PROCESSES = 8
CHANGES_EACH = 200
CASES = 3
TIMEOUT_S = 240


def verify_chain(app):
    """The audit chain's verdict, or a skip while casework.audit.chain does not exist."""
    try:
        from casework.audit.chain import verify
    except ImportError:
        pytest.skip("casework.audit.chain does not exist yet: the chain is not checked")
    with app.app_context():
        return verify()


def integrity(database_path) -> str:
    with contextlib.closing(sqlite3.connect(database_path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.fixture
def busy_cases(app, make):
    """CASES cases being mitigated, each with one action in progress."""
    cases = []
    for _ in range(CASES):
        case = make.case("mitigating")
        with app.app_context():
            from casework.cases.operations import add_action
            from casework.users.operations import find_user

            action = add_action(find_user(make.specialist.email),
                                db.session.get(Case, case.id), title="Keyword list update",
                                team="content_policy", owner="Jana Wolf", status="in_progress")
            db.session.commit()
            version = db.session.get(Case, case.id).version
            cases.append({"key": case.key, "id": case.id, "action_id": action.id,
                          "version": version})
    return cases


def _history(entity_type: str, entity_id: int, field: str) -> list[list]:
    """The [before, after] of ``field`` in every audited update of an entity, in order."""
    changes = db.session.scalars(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_type == entity_type,
                                            AuditEvent.entity_id == entity_id,
                                            AuditEvent.action == "updated")
        .order_by(AuditEvent.id))
    return [change[field] for change in changes if field in change]


def _first_title(case_id: int) -> str:
    """The title the case was opened with."""
    changes = db.session.scalar(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_type == "case",
                                            AuditEvent.entity_id == case_id,
                                            AuditEvent.action == "created"))
    return changes["title"]


def _assert_unbroken(history: list[list], first, last, acknowledged: set, what: str) -> None:
    """Each update starts from the value the one before left: no update was lost."""
    values = [first]
    for before, after in history:
        assert before == values[-1], f"{what}: an update was lost before {after}"
        values.append(after)
    assert values[-1] == last, what
    assert set(values[1:]) == acknowledged, what
    assert len(values) - 1 == len(acknowledged), f"{what}: a change was made twice"


def test_eight_processes_change_the_same_cases_at_once(app, make, busy_cases, database_path):
    users = [make.user("program_manager") for _ in range(PROCESSES)]
    with app.app_context():
        events_before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        db.engine.dispose()
    cases_json = json.dumps([{"key": c["key"], "action_id": c["action_id"]}
                             for c in busy_cases])
    started = time.monotonic()
    writers = [spawn("changes", database_path, user.email, user.password, cases_json,
                          CHANGES_EACH, f"w{number}")
               for number, user in enumerate(users)]
    finished = []
    try:
        for writer in writers:
            out, err = writer.communicate(timeout=TIMEOUT_S)
            finished.append((writer.returncode, out, err))
    finally:
        for writer in writers:  # none outlives a failed test
            if writer.poll() is None:
                writer.kill()
                writer.communicate()
    elapsed = time.monotonic() - started
    results = []
    for returncode, out, err in finished:
        assert returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    problems = list(itertools.chain.from_iterable(r["problems"] for r in results))
    assert problems == [], problems[:20]
    comments = [tuple(c) for r in results for c in r["comments"]]
    edits = [tuple(e) for r in results for e in r["edits"]]
    actions = [tuple(a) for r in results for a in r["actions"]]
    stale = sum(r["stale"] for r in results)
    # Every change was answered: done, or (an edit of a case changed meanwhile) refused.
    per_kind = Counter(number % 3 for number in range(CHANGES_EACH))
    assert len(comments) == per_kind[0] * PROCESSES
    assert len(edits) + stale == per_kind[1] * PROCESSES
    assert len(actions) == per_kind[2] * PROCESSES
    assert edits, "no edit got through at all"

    with app.app_context():
        stored_comments = Counter(tuple(row) for row in db.session.execute(
            sa.select(Case.key, Comment.body).join(Comment.case)).all())
        assert stored_comments == Counter(comments)
        for case in busy_cases:
            row = db.session.get(Case, case["id"])
            action = db.session.get(MitigationAction, case["action_id"])
            case_edits = {marker for key, marker in edits if key == case["key"]}
            action_updates = {marker for key, marker in actions if key == case["key"]}
            _assert_unbroken(_history("case", case["id"], "title"), _first_title(case["id"]),
                             row.title, case_edits, case["key"])
            _assert_unbroken(_history("action", case["action_id"], "outcome"), "",
                             action.outcome, action_updates, f"action of {case['key']}")
            # Each edit and each action update wrote the case row once: its version says so.
            assert row.version == case["version"] + len(case_edits) + len(action_updates)
        events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    # One event per change, plus one login per process.
    assert events - events_before == len(comments) + len(edits) + len(actions) + PROCESSES
    assert integrity(database_path) == "ok"
    result = verify_chain(app)
    assert result.ok, result
    assert result.count == events
    print(f"{PROCESSES} processes, {PROCESSES * CHANGES_EACH} changes "
          f"({stale} stale edits refused) in {elapsed:.1f} s")


def test_a_writer_killed_mid_burst_loses_no_acknowledged_change(app, make, busy_cases,
                                                                database_path):
    user = make.user("program_manager")
    key = busy_cases[0]["key"]
    with app.app_context():
        db.engine.dispose()
    # A second writer keeps the lock busy, so the kill lands while writes queue up.
    other = spawn("comments", database_path, make.pm.email, make.pm.password, key, 0, "other")
    victim = spawn("comments", database_path, user.email, user.password, key, 0, "victim")
    acknowledged = []
    try:
        assert victim.stdout.readline().strip() == "ready", victim.stderr.read()
        acknowledged += read_acks(victim, 60)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        # Whatever it printed before dying counts as acknowledged too.
        acknowledged += [line.removeprefix("ack ") for line in victim.stdout.read().split("\n")
                         if line.startswith("ack ")]
    finally:
        for process in (victim, other):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            process.stdout.close()
            process.stderr.close()
    assert victim.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 60

    assert integrity(database_path) == "ok"
    with app.app_context():
        stored = set(db.session.scalars(
            sa.select(Comment.body).where(Comment.body.like("victim-%"))))
    assert set(acknowledged) <= stored
    # At most the one change in flight when the process died was committed unacknowledged.
    assert len(stored - set(acknowledged)) <= 1
    result = verify_chain(app)
    assert result.ok, result

    # After the crash the database takes writes again, from a freshly started app.
    restarted = spawn("comments", database_path, user.email, user.password, key, 3,
                           "after")
    out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err[-2000:]
    assert out.count("ack after-") == 3
    assert verify_chain(app).ok


# --- readers and the write lock -------------------------------------------------------------


@contextlib.contextmanager
def _other_writer(database_path):
    """Another process's connection holding SQLite's write lock until the block ends (or
    until the test commits it earlier)."""
    connection = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    finally:
        if connection.in_transaction:
            connection.execute("COMMIT")
        connection.close()


@pytest.fixture
def short_busy_wait(app, monkeypatch):
    """Wait 3 s (not 30) for a busy database file: a request that queued behind the lock
    would fail this test quickly instead of hanging it."""
    from casework import config

    monkeypatch.setattr(config, "SQLITE_BUSY_TIMEOUT_MS", 3000)
    with app.app_context():
        db.engine.dispose()


def test_pages_are_read_while_another_process_holds_the_write_lock(
        client, login_as, make, database_path, short_busy_wait):
    case = make.case("mitigating")
    login_as("program_manager")
    with _other_writer(database_path):
        for url in ("/cases", f"/cases/{case.key}", "/signals", "/dashboard",
                    f"/cases?q={case.key}", "/account"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)


def test_a_download_waits_for_the_lock_and_is_audited_after_the_other_write(
        app, client, login_as, make, database_path, short_busy_wait, query):
    """A GET that writes (the audited PDF download) reads from a snapshot, then takes the
    write lock, which another process holds and uses: it waits, sees that process's change
    and records the download on top of it, with the chain intact."""
    import threading

    case = make.case("mitigating")
    user = login_as("leadership")
    count = sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "pdf_downloaded", AuditEvent.case_id == case.id)
    with _other_writer(database_path) as other:
        other.execute("UPDATE users SET name = ? WHERE email = ?", ("Changed Meanwhile",
                                                                     user.email))
        threading.Timer(0.5, other.execute, ("COMMIT",)).start()
        response = client.get(f"/cases/{case.key}/summary.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert query(count)[0][0] == 1
    assert verify_chain(app).ok
