"""A big import is written in committed batches: other people's logins and comments go on
while it runs, each batch carries its own audit event, an import that stops half-way leaves
whole batches and is finished by importing the same file again, and a busy database
answers 503 with Retry-After (page, API, command line), never a 500."""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from conftest import ON_POSTGRES

from casework.extensions import db
from casework.models import AuditEvent, Comment, Signal

HEADER = "Titel;Quelle;Markt;Kategorie;Beobachtet am;Referenz\n"


def big_csv(rows: int, *, prefix: str = "BULK", bad_every: int = 0) -> bytes:
    """``rows`` data rows, each its own signal (an external reference per row); every
    ``bad_every``-th row names a market that does not exist."""
    lines = [HEADER]
    for n in range(1, rows + 1):
        market = "Frankreich" if bad_every and n % bad_every == 0 else "Deutschland"
        lines.append(f"Hassrede im Live-Stream {n};Nachrichten;{market};Hassrede;"
                     f"24.11.2025 14:30;{prefix}-{n}\n")
    return "".join(lines).encode("utf-8")


def _import(app, make, data: bytes, **options):
    from casework.signals.importing import import_signals
    from casework.users.operations import find_user

    pm = make.pm
    with app.app_context():
        return import_signals(find_user(pm.email), data, dry_run=False,
                              filename="bulk.csv", **options)


def _count(query, model, *where):
    return query(sa.select(sa.func.count()).select_from(model).where(*where))[0][0]


def _batch_events(query) -> list[dict]:
    return [changes for (changes,) in query(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_type == "import",
                                            AuditEvent.action == "signals_imported")
        .order_by(AuditEvent.id))]


def _token(app, user) -> str:
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    with app.app_context():
        _t, secret = create_token(None, find_user(user.email))
        db.session.commit()
    return secret


def _verify_chain(app) -> bool:
    from casework.audit.chain import verify

    with app.app_context():
        return verify().ok


# --- (a) others go on while a big import runs -----------------------------------------


def test_others_log_in_and_comment_while_a_big_import_runs(app, make, query, monkeypatch):
    """8,000 rows in 16 batches; after the first batch another user logs in and comments,
    and both are done while the import is still writing. (Before batches, the import held
    the write lock for the whole file and they failed with "database is locked".)"""
    from casework import config

    # Generous, but far shorter than the whole import takes to write: a request that had
    # to wait for all of it fails here rather than pass late.
    monkeypatch.setattr(config, "SQLITE_BUSY_TIMEOUT_MS", 5000)
    app.config["DATABASE_LOCK_TIMEOUT_MS"] = 5000
    with app.app_context():
        db.engine.dispose()
    case = make.case("mitigating")
    specialist = make.specialist
    data = big_csv(8_000)
    first_batch = threading.Event()
    outcome: dict = {}

    def after_batch(batch):
        first_batch.set()

    def run_import():
        try:
            outcome["report"] = _import(app, make, data, after_batch=after_batch)
        except BaseException as error:  # reported by the test thread
            outcome["error"] = error
        finally:
            first_batch.set()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert first_batch.wait(120), "the import wrote no batch"
        client = app.test_client()
        login = client.post("/login", data={"email": specialist.email,
                                            "password": specialist.password})
        comment = client.post(f"/cases/{case.key}/comments",
                              data={"body": "Während des Imports geschrieben"})
        still_importing = importer.is_alive()
    finally:
        importer.join(300)
    assert "error" not in outcome, outcome.get("error")
    assert login.status_code == 302
    assert comment.status_code == 302
    assert still_importing, "the import ended before the others were through: no overlap"
    report = outcome["report"].as_json()
    assert report["created"] == 8_000 and len(report["batches"]) == 16
    assert _count(query, Signal) == 8_001  # and the case's own signal
    assert _count(query, Comment, Comment.body == "Während des Imports geschrieben") == 1
    assert _verify_chain(app)


# --- (b) one audit event per batch, and the report of what landed ---------------------


def test_each_batch_has_its_audit_event_and_the_report_counts_per_batch(app, make, query):
    data = big_csv(1_200, bad_every=100)  # rows 101, 201, ... are refused: 12 of them
    make.signal(title="Already there", source="news", external_ref="BULK-7")  # a duplicate
    report = _import(app, make, data).as_json()
    assert (report["created"], report["duplicates"], report["refused"]) == (1_187, 1, 12)
    assert len(report["errors"]) == 12 and {e["column"] for e in report["errors"]} == {"market"}
    assert report["batches"] == [
        {"batch": 1, "first_row": 2, "last_row": 501, "created": 494, "duplicates": 1,
         "refused": 5},
        {"batch": 2, "first_row": 502, "last_row": 1001, "created": 495, "duplicates": 0,
         "refused": 5},
        {"batch": 3, "first_row": 1002, "last_row": 1201, "created": 198, "duplicates": 0,
         "refused": 2},
    ]
    events = _batch_events(query)
    assert [(e["batch"], e["batches"], e["rows"], e["created"], e["duplicates"], e["errors"])
            for e in events] == [(1, 3, [2, 501], 494, 1, 5), (2, 3, [502, 1001], 495, 0, 5),
                                 (3, 3, [1002, 1201], 198, 0, 2)]
    assert {e["file"] for e in events} == {"bulk.csv"}
    # Each signal keeps its own "created" event too.
    assert _count(query, AuditEvent, AuditEvent.entity_type == "signal",
                  AuditEvent.action == "created") == 1_188
    assert _verify_chain(app)


def test_a_dry_run_is_one_read_only_pass(app, make, query):
    make.pm  # noqa: B018  (the importing user exists before counting)
    events = _count(query, AuditEvent)
    from casework.signals.importing import import_signals
    from casework.users.operations import find_user

    with app.app_context():
        report = import_signals(find_user(make.pm.email), big_csv(1_200), dry_run=True)
    assert report.as_json()["created"] == 1_200 and report.batches == []
    assert _count(query, Signal) == 0 and _count(query, AuditEvent) == events


def test_the_api_and_the_command_line_report_each_batch(app, make, query, runner, tmp_path):
    secret = _token(app, make.pm)
    answer = app.test_client().post(
        "/api/v1/signals/import", data=big_csv(600),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"})
    assert answer.status_code == 201
    assert [(b["batch"], b["created"]) for b in answer.get_json()["batches"]] == [(1, 500),
                                                                                 (2, 100)]
    path = tmp_path / "more.csv"
    path.write_bytes(big_csv(700))
    result = runner.invoke(args=["casework", "import-signals", str(path), "--as",
                                 make.pm.email])
    assert result.exit_code == 0, result.output
    assert '"batches"' in result.output and '"duplicates": 600' in result.output
    assert _count(query, Signal) == 700
    assert len(_batch_events(query)) == 4


# --- (c) a busy database answers 503 with Retry-After ----------------------------------


@contextlib.contextmanager
def held_write_lock(app, database_path):
    """Another connection holding what every writer needs, until the block ends: SQLite's
    write lock (BEGIN IMMEDIATE), or on PostgreSQL the audit chain's head row, which every
    change locks (the app's connections give up after their short lock_timeout)."""
    with app.app_context():
        db.engine.dispose()  # new connections with the short waits set by the caller
    if not ON_POSTGRES:
        connection = sqlite3.connect(database_path, isolation_level=None,
                                     check_same_thread=False)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.exec_driver_sql("SELECT * FROM audit_head FOR UPDATE")
            yield
            transaction.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def short_waits(app, monkeypatch):
    """Give up on a held lock after a moment (SQLite's busy timeout, PostgreSQL's
    lock_timeout), so a busy database is answered at once."""
    from casework import config

    monkeypatch.setattr(config, "SQLITE_BUSY_TIMEOUT_MS", 200)
    app.config["DATABASE_LOCK_TIMEOUT_MS"] = 200


def test_a_busy_database_answers_503_with_retry_after_and_writes_nothing(
        app, client, make, query, login_as, database_path, short_waits, runner, tmp_path):
    case = make.case("mitigating")
    login_as(make.specialist)
    secret = _token(app, make.pm)
    signals, comments, events = (_count(query, Signal), _count(query, Comment),
                                 _count(query, AuditEvent))
    path = tmp_path / "bulk.csv"
    path.write_bytes(big_csv(50))
    with held_write_lock(app, database_path):
        page = client.post(f"/cases/{case.key}/comments", data={"body": "Nicht jetzt"})
        api = app.test_client().post(
            f"/api/v1/cases/{case.key}/comments", json={"body": "Nicht jetzt"},
            headers={"Authorization": f"Bearer {secret}"})
        api_import = app.test_client().post(
            "/api/v1/signals/import", data=big_csv(50),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"})
        command = runner.invoke(args=["casework", "import-signals", str(path), "--as",
                                      make.pm.email])
    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) >= 1
    assert page.mimetype == "text/html" and "try again" in page.text
    for answer in (api, api_import):
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.get_json()["error"]["code"] == "database_busy"
    assert command.exit_code == 1
    assert command.output.strip().startswith("Error:")
    assert len(command.output.strip().splitlines()) == 1
    assert (_count(query, Signal), _count(query, Comment), _count(query, AuditEvent)) == (
        signals, comments, events)
    # The lock gone, the same requests go through.
    again = client.post(f"/cases/{case.key}/comments", data={"body": "Jetzt"})
    assert again.status_code == 302
    assert _verify_chain(app)


def test_the_openapi_document_lists_the_503_on_every_operation(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                busy = operation["responses"].get("503")
                assert busy and "Retry-After" in busy["headers"], (method, path)
    assert "database_busy" in document["info"]["description"]


# --- (d) an import that stops half-way, and the re-run that finishes it ----------------


def test_an_import_stopped_after_two_batches_keeps_them_and_a_rerun_adds_the_rest(
        app, make, query):
    data = big_csv(1_200)

    class Killed(Exception):
        pass

    def die_after_two(batch):
        if batch.number == 2:
            raise Killed

    with pytest.raises(Killed):
        _import(app, make, data, after_batch=die_after_two)
    assert _count(query, Signal) == 1_000
    assert [(e["batch"], e["created"]) for e in _batch_events(query)] == [(1, 500), (2, 500)]
    assert _count(query, AuditEvent, AuditEvent.entity_type == "signal") == 1_000

    report = _import(app, make, data).as_json()
    assert (report["created"], report["duplicates"]) == (200, 1_000)
    assert [(b["created"], b["duplicates"]) for b in report["batches"]] == [
        (0, 500), (0, 500), (200, 0)]
    assert _count(query, Signal) == 1_200
    assert query(sa.select(sa.func.count(sa.distinct(Signal.external_ref))))[0][0] == 1_200
    assert _count(query, AuditEvent, AuditEvent.entity_type == "signal") == 1_200
    assert len(_batch_events(query)) == 5
    assert _verify_chain(app)


def test_a_batch_that_fails_leaves_nothing_of_itself(app, make, query, monkeypatch):
    """A batch is one transaction: a failure while writing its rows keeps the batches
    before and none of its own rows or audit events."""
    from casework.signals import importing

    original = importing.file_signals
    calls = {"n": 0}

    def failing_third(actor, signals):
        calls["n"] += 1
        original(actor, signals)
        if calls["n"] == 3:
            raise RuntimeError("the process died here")

    monkeypatch.setattr(importing, "file_signals", failing_third)
    with pytest.raises(RuntimeError):
        _import(app, make, big_csv(1_200))
    assert _count(query, Signal) == 1_000
    assert len(_batch_events(query)) == 2
    assert _verify_chain(app)


# --- bounded work: what a request imports and what a page lists --------------------------


def test_a_page_or_api_import_takes_at_most_the_online_bound(app, make, login_as, client,
                                                             query, runner, tmp_path):
    """An import runs inside the request, which must end within the server's timeout:
    beyond IMPORT_MAX_ROWS_ONLINE the page and the API refuse the file (422, nothing
    written) and point to the command line, which takes it."""
    app.config["IMPORT_MAX_ROWS_ONLINE"] = 40
    data = big_csv(41)
    login_as(make.pm)
    from io import BytesIO

    page = client.post("/signals/import", data={"file": (BytesIO(data), "big.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 422
    assert "more than 40 rows, more than the page and the API import at once" in page.text
    answer = app.test_client().post(
        "/api/v1/signals/import", data=data,
        headers={"Authorization": f"Bearer {_token(app, make.pm)}", "Content-Type": "text/csv"})
    assert answer.status_code == 422
    assert "flask casework import-signals" in answer.get_json()["error"]["message"]
    assert _count(query, Signal) == 0
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["casework", "import-signals", str(path), "--as",
                                 make.pm.email])
    assert result.exit_code == 0, result.output
    assert _count(query, Signal) == 41


def test_a_preview_lists_a_bounded_number_of_rows_errors_first(app, make, login_as, client):
    from io import BytesIO

    from casework.signals.importing import PREVIEW_ROWS

    login_as(make.pm)
    page = client.post("/signals/import",
                       data={"file": (BytesIO(big_csv(1000, bad_every=4)), "big.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 200
    listed = page.text.count('<tr class="import-')
    assert listed == PREVIEW_ROWS
    assert f"Listed below: {PREVIEW_ROWS} of 1000 rows, those with errors first." in page.text
    # All 250 errors are there before any row to import, which the count still names.
    assert page.text.count('<tr class="import-error"') == PREVIEW_ROWS
    assert "750 rows will be imported, 0 are in the inbox already, 250 have errors" in page.text
