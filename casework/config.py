"""Configuration read from the environment and the instance folder."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

# How long a SQLite connection waits for the write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL's lock_timeout on every connection (``DATABASE_LOCK_TIMEOUT_MS`` below): a
# statement that waits longer for a lock gives up, and the request answers 503 with
# Retry-After instead of hanging until the worker is killed. Below gunicorn's timeout.
LOCK_TIMEOUT_MS = 30_000


def database_url(url: str) -> str:
    """``url`` with PostgreSQL's plain schemes pointed at psycopg 3 (``postgresql+psycopg``)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def load_secret_key(instance_path: str, database: str = "sqlite://") -> str:
    """Return ``SECRET_KEY`` from the environment, or one generated once and kept on disk.

    :raise RuntimeError: on a database server without ``SECRET_KEY`` in the environment
        (several app servers must sign sessions with the same key).
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    if not database.startswith("sqlite"):
        raise RuntimeError("Set SECRET_KEY in the environment: every app server on a shared "
                           "database must sign sessions with the same key.")
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting at once must not each write a different key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _env_count(name: str) -> int:
    """A count from the environment (0 when unset or not a number)."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


def _env_limit(name: str, default: int) -> int:
    """A limit from the environment: a number (0 turns the limit off), or ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    """The settings every deployment needs, from environment variables and ``overrides``."""
    overrides = overrides or {}
    default_db = "sqlite:///" + str(Path(instance_path) / "casework.sqlite3")
    database = database_url(os.environ.get("DATABASE_URL", default_db))
    secret_key = overrides.get("SECRET_KEY") or load_secret_key(instance_path, database)
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "en_GB",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("CASEWORK_TIMEZONE", "Europe/Berlin"),
        "CASEWORK_LANGUAGES": ["en", "de"],
        "PER_PAGE": 25,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        # How many proxies (load balancers) stand in front of the app: their X-Forwarded-For,
        # -Proto, -Host and -Port headers are believed, so that login throttling counts the
        # real client's address and secure cookies know the request came over HTTPS. 0 (no
        # proxy): those headers are ignored, as anyone could send them.
        "TRUSTED_PROXY_HOPS": _env_count("CASEWORK_TRUSTED_PROXIES"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # Bodies and uploads larger than this are refused with 413 before they are read.
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # Werkzeug's scrypt; tests may choose a cheaper method to run fast.
        "PASSWORD_HASH_METHOD": "scrypt",
        # A session ends after this long without a request, and this long after login.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_env_int("CASEWORK_SESSION_IDLE_MINUTES", 30)),
        "SESSION_MAX_AGE": timedelta(hours=_env_int("CASEWORK_SESSION_MAX_HOURS", 12)),
        # Login throttling: so many failures within the window refuse further attempts.
        "LOGIN_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_FAILURES_PER_ADDRESS": 20,
        "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
        # API rate limits: requests per window per token and per client address, counted in
        # the database so that every worker agrees (casework/api/limits.py); 0 turns one off.
        "API_RATE_PER_TOKEN": _env_limit("CASEWORK_API_RATE_PER_TOKEN", 600),
        "API_RATE_PER_ADDRESS": _env_limit("CASEWORK_API_RATE_PER_ADDRESS", 1200),
        "API_RATE_WINDOW": timedelta(minutes=1),
        # How long an API Idempotency-Key and its answer are kept for retries.
        "API_IDEMPOTENCY_TTL": timedelta(hours=_env_int("CASEWORK_API_IDEMPOTENCY_HOURS", 24)),
        # The most rows an export (CSV or XLSX) holds; a larger one is refused with 422 and
        # the advice to narrow the filters. 0 turns the bound off. See docs/limits.md.
        "EXPORT_MAX_ROWS": _env_limit("CASEWORK_EXPORT_MAX_ROWS", 50_000),
        # The most rows a page or API import takes: it runs inside the request, which must
        # end well within the server's timeout (about 720 rows a second on SQLite). Bigger
        # files go through `flask casework import-signals`. See docs/imports.md.
        "IMPORT_MAX_ROWS_ONLINE": _env_limit("CASEWORK_IMPORT_MAX_ROWS_ONLINE", 10_000),
        # PDFs and exports under way at once per user, across every worker and server
        # (casework/web/download_slots.py); more get 429 with Retry-After. 0: no bound.
        "DOWNLOADS_PER_USER": _env_limit("CASEWORK_DOWNLOADS_PER_USER", 2),
        "DOWNLOAD_RETRY_SECONDS": 10,
        # PostgreSQL: how long a statement waits for a row or table lock before the request
        # answers 503 (database_busy, with Retry-After); 0 waits for ever. SQLite waits
        # SQLITE_BUSY_TIMEOUT_MS for its write lock instead.
        "DATABASE_LOCK_TIMEOUT_MS": _env_limit("CASEWORK_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS),
        **overrides,
    }
