"""Casework: escalation and risk case management for Trust & Safety teams."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import BaseConverter, IntegerConverter

from casework import config
from casework.config import build_config
from casework.extensions import babel, csrf, db, login_manager, migrate
from casework.web import security, serving
from casework.web.edge import begins_deferred, refuse_nul_in_pages

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; ``test_config`` overrides settings for tests."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(build_config(app.instance_path, test_config))

    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops)
    register_extensions(app)
    serving.register(app)  # first: its request timer starts before any other hook
    register_blueprints(app)
    register_errorhandlers(app)
    app.before_request(refuse_nul_in_pages)
    register_template_helpers(app)
    register_commands(app)
    security.register(app)
    return app


def register_extensions(app: Flask) -> None:
    from casework import models  # noqa: F401  (the models must be known to migrations)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    csrf.init_app(app)
    from casework.languages import select_locale

    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    from casework.auth import sessions

    sessions.configure(login_manager)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL journal, and a wait instead of an error on a busy file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # pysqlite's own transaction handling off: _sqlite_begin begins instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # SQLite's busy handler is not fair: with eight busy workers on two cores one may
        # wait several seconds for its turn (tests/test_concurrency.py saw 10 s), so wait
        # long, like a request timeout, rather than fail with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={config.SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgres_lock_timeout(dbapi_connection, connection_record) -> None:
    """On PostgreSQL, give up waiting for a lock after ``DATABASE_LOCK_TIMEOUT_MS``: the
    request then answers 503 with Retry-After (``casework.web.errors``) instead of hanging."""
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    from flask import current_app, has_app_context

    timeout = (current_app.config.get("DATABASE_LOCK_TIMEOUT_MS", config.LOCK_TIMEOUT_MS)
               if has_app_context() else config.LOCK_TIMEOUT_MS)
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(timeout)}")
    dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """On SQLite take the write lock when a transaction begins, not at its first write.

    Concurrent writers then wait (busy_timeout) instead of failing with "database is
    locked", and the audit chain's head is read and extended by one writer at a time.
    Reading requests begin deferred instead (a WAL snapshot that blocks nobody);
    ``edge.unit_of_work`` leaves that snapshot before they write.
    """
    if connection.dialect.name == "sqlite":
        deferred = begins_deferred()
        connection.info["casework_deferred"] = deferred
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


class DatabaseId(IntegerConverter):
    """``<int:...>`` in URLs, bounded to what a database integer holds (PostgreSQL's
    ``integer``, 32 bits): a larger number is simply not found (404) instead of
    overflowing the database. (A ``max`` on the converter would make werkzeug answer 405
    for such a URL where another method's rule shares the path.)"""

    LARGEST = 2**31 - 1
    # ASCII digits only: werkzeug's ``\d+`` also takes Unicode digits such as '٣', which
    # int() reads as 3 (one rule for numbers: ``casework.validation.whole_number``).
    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= self.LARGEST else 0  # no record has id 0


class CaseKey(BaseConverter):
    """``<case_key:key>``: a case key as written anywhere (``RISK-2026-0042``, any case).
    A path that cannot be a key is no case's page: ``/cases/export.csv`` is the export,
    and PATCH on it is a method that path does not take (405), not a missing case."""

    regex = r"[Rr][Ii][Ss][Kk]-[0-9]{4}-[0-9]{4,}"


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["case_key"] = CaseKey
    from casework.api import reports as _api_reports  # noqa: F401  (routes on api_bp)
    from casework.api import views as _api_views  # noqa: F401  (routes on api_bp)
    from casework.api.account import bp as tokens_bp
    from casework.api.blueprint import bp as api_bp
    from casework.api.docs import bp as api_docs_bp
    from casework.auth.views import bp as auth_bp
    from casework.cases.views import bp as cases_bp
    from casework.reports.views import bp as reports_bp
    from casework.signals.views import bp as signals_bp
    from casework.users.views import bp as users_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(signals_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(tokens_bp)


def register_errorhandlers(app: Flask) -> None:
    from casework.web.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from casework import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    from casework.cli import casework_cli

    app.cli.add_command(casework_cli)
