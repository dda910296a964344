"""Serving in production: a health check for the load balancer, logs as JSON lines, and a
Python traceback in the log when a process dies of a fatal signal.

Set ``CASEWORK_LOG_FORMAT=json`` (``make serve`` and ``gunicorn.conf.py`` do) to have every
log record, and one record per request (method, path, status, duration), written to
stdout as one JSON object per line, for whatever collects the app servers' logs.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Flask, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from casework.extensions import db

bp = Blueprint("serving", __name__)
request_log = logging.getLogger("casework.requests")
# What a record carries beyond the standard attributes, written as its own JSON keys.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")


# How long the health check waits for the write lock: a database busy with other writes
# is healthy, and the load balancer must not wait for it.
PROBE_LOCK_WAIT_MS = 1000


@bp.get("/healthz")
def healthz():
    """Whether the database can be read and written; no login needed.

    200 ``{"status": "ok", "database": {"read": true, "write": "ok"}}`` when a SELECT
    answers and a small write commits (``"write": "busy"`` when other writes held the lock
    for the whole wait: still serving); 503 ``{"status": "unavailable"}`` when the
    database does not answer or refuses writes (a full disk, a read-only file or replica).
    """
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database={"read": False, "write": "failed"}), 503
    finally:
        db.session.rollback()
    write = _probe_write()
    status = "unavailable" if write == "failed" else "ok"
    return (jsonify(status=status, database={"read": True, "write": write}),
            503 if write == "failed" else 200)


def _probe_write() -> str:
    """``ok`` when a write commits, ``busy`` when the lock stayed taken, else ``failed``."""
    from casework.models import HealthProbe
    from casework.web.edge import database_busy

    session = db.session
    try:
        _wait_briefly_for_locks(session)
        now = datetime.now(UTC)
        updated = session.execute(sa.update(HealthProbe).where(HealthProbe.id == 1)
                                  .values(checked_at=now)).rowcount
        if not updated:
            session.add(HealthProbe(id=1, checked_at=now))
        session.commit()
        return "ok"
    except SQLAlchemyError as error:
        session.rollback()
        return "busy" if database_busy(error) else "failed"
    finally:
        _restore_lock_wait(session)


def _wait_briefly_for_locks(session) -> None:
    if db.engine.dialect.name == "sqlite":
        session.execute(sa.text(f"PRAGMA busy_timeout = {PROBE_LOCK_WAIT_MS}"))
    else:
        session.execute(sa.text(f"SET LOCAL lock_timeout = {PROBE_LOCK_WAIT_MS}"))


def _restore_lock_wait(session) -> None:
    """SQLite's busy timeout belongs to the pooled connection: give it back as it was."""
    if db.engine.dialect.name == "sqlite":
        from casework import config

        try:
            session.execute(sa.text(f"PRAGMA busy_timeout = {config.SQLITE_BUSY_TIMEOUT_MS}"))
        finally:
            session.rollback()


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):
    """The one handler ``configure_logging`` installs (found again on a second call)."""


def configure_logging(app: Flask) -> None:
    """JSON lines on stdout when ``CASEWORK_LOG_FORMAT=json``; otherwise Flask's default."""
    if os.environ.get("CASEWORK_LOG_FORMAT", "").strip().lower() != "json":
        return
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # WeasyPrint narrates every step of every PDF at INFO.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # Flask's own handler would write every error a second time, as text on stderr.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)


def _start_timer() -> None:
    g.request_started = time.perf_counter()


def _log_request(response):
    started = g.pop("request_started", None)
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    request_log.info(
        "%s %s %s", request.method, request.path, response.status_code,
        extra={"method": request.method, "path": request.path,
               "status": response.status_code,
               "duration_ms": round(duration, 2) if duration is not None else None,
               "remote_addr": request.remote_addr},
    )
    return response


def enable_crash_tracebacks(stream=None) -> None:
    """On SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT write every thread's Python traceback
    to ``stream`` (stderr by default) before the process dies.

    A crash in C code (an extension, a library it calls) otherwise leaves only "Worker
    was sent SIGSEGV" in the log, with no hint of what the process was doing. Installed
    once per process: a second call only changes where the traceback goes.
    """
    target = stream if _has_fileno(stream) else sys.stderr
    if not _has_fileno(target):
        return  # no file descriptor to write to (stderr closed or replaced)
    faulthandler.enable(file=target, all_threads=True)


def _has_fileno(stream) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def register(app: Flask) -> None:
    if not faulthandler.is_enabled():  # where set up already (pytest), its stream stays
        enable_crash_tracebacks()
    configure_logging(app)
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_log_request)
