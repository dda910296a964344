"""Rate limits on the API: so many requests a window (a minute) per client address and per
token, counted in the database so that every worker and every app server agrees.

Each request adds one to two counters, its address's and its token's, in one short
transaction of its own before anything else happens: one ``INSERT ... ON CONFLICT DO
UPDATE ... RETURNING`` (the count is atomic; concurrent workers never lose one). The
address's limit is checked at once, before authentication, so guessing tokens is
throttled too; the token's only after authentication (a token is counted by the hash of
what was presented, the hash ``api_tokens`` stores). Fixed windows: a counter lives for its
window and the one after, then the first count of a new window deletes it.

On SQLite every writer takes the database's one write lock. A reading request must not
queue behind a long writer for its counter, so it waits at most ``READER_WAIT_MS`` for the
lock; if the lock is still taken, the request goes on and its count is carried in the
worker until its next count of the same bucket succeeds (it is late, not lost). A request
that writes anyway waits as long as its own writes would.
"""

from __future__ import annotations

import functools
import math
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from casework import config
from casework.errors import TooManyRequests
from casework.extensions import db
from casework.models.api_rate_counter import ApiRateCounter
from casework.models.api_token import hash_token
from casework.models.types import utcnow
from casework.web.edge import begins_deferred

# How long a reading request waits for SQLite's write lock to count itself: longer than
# another request's counter holds it, far shorter than a change holds it.
READER_WAIT_MS = 5
_QUOTAS = "_casework_rate_quotas"


@dataclass(frozen=True)
class Quota:
    """Where one bucket stands in the current window."""

    name: str  # "token" or "address": the policy's name in RateLimit-Policy
    limit: int
    hits: int
    window: int  # seconds
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.hits)

    @property
    def exceeded(self) -> bool:
        return self.hits > self.limit

    def refuse(self) -> TooManyRequests:
        if self.name == "token":
            message = _("This token made more than %(limit)d requests in %(window)d seconds. "
                        "Try again in %(wait)d seconds.", limit=self.limit,
                        window=self.window, wait=self.reset)
        else:
            message = _("More than %(limit)d requests came from your address in %(window)d "
                        "seconds. Try again in %(wait)d seconds.", limit=self.limit,
                        window=self.window, wait=self.reset)
        return TooManyRequests(message, retry_after=self.reset)


def _bearer_secret() -> str | None:
    """The token presented, as ``authenticate`` reads it; None when there is none."""
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith("cw_") or len(secret) > 200:
        return None
    return secret


def count_request() -> None:
    """Count this API request for its address and its token (runs before authenticate).

    It runs before anything of the request touches the database: on SQLite a writing
    request's own transaction would otherwise hold the lock its counter waits for.

    :raise TooManyRequests: the address has used up this window's requests.
    """
    if request.blueprint != "api":
        return
    config = current_app.config
    window = int(config["API_RATE_WINDOW"].total_seconds())
    policies = []  # (name, bucket, limit)
    if config["API_RATE_PER_ADDRESS"] and request.remote_addr:
        policies.append(("address", "address:" + request.remote_addr[:45],
                         config["API_RATE_PER_ADDRESS"]))
    secret = _bearer_secret()
    if config["API_RATE_PER_TOKEN"] and secret is not None:
        policies.append(("token", "token:" + hash_token(secret), config["API_RATE_PER_TOKEN"]))
    if not policies:
        return
    now = utcnow().timestamp()
    start = int(now) - int(now) % window
    hits = counters.add([bucket for _name, bucket, _limit in policies],
                        datetime.fromtimestamp(start, UTC), window)
    reset = max(1, math.ceil(start + window - now))
    quotas = {name: Quota(name, limit, hits[bucket], window, reset)
              for name, bucket, limit in policies}
    g.setdefault(_QUOTAS, {}).update(quotas)
    if "address" in quotas and quotas["address"].exceeded:
        raise quotas["address"].refuse()


def refuse_token_over_limit() -> None:
    """After authenticate: refuse a token that has used up this window's requests.

    :raise TooManyRequests: the token has made too many requests in this window.
    """
    quota = g.get(_QUOTAS, {}).get("token")
    if quota is not None and quota.exceeded:
        raise quota.refuse()


def add_headers(response):
    """RateLimit-Limit, -Remaining, -Reset (of the quota nearest its end) and -Policy (every
    quota that applies) on every API answer (IETF draft "RateLimit header fields")."""
    quotas = dict(g.get(_QUOTAS, {}))
    if g.get("api_token") is None:
        quotas.pop("token", None)  # not (yet) a known token: its count is not the caller's
    if not quotas:
        return response
    nearest = min(quotas.values(), key=lambda q: (q.remaining, -q.reset))
    response.headers["RateLimit-Limit"] = str(nearest.limit)
    response.headers["RateLimit-Remaining"] = str(nearest.remaining)
    response.headers["RateLimit-Reset"] = str(nearest.reset)
    response.headers["RateLimit-Policy"] = ", ".join(
        f'{q.limit};w={q.window};comment="per {q.name}"' for q in quotas.values())
    return response


class Counters:
    """The counters' table, and the counts a worker could not write yet (see the module's
    docstring); one per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (database, bucket, window start) -> counts not yet written / last count read
        self._carried: dict[tuple, int] = {}
        self._seen: dict[tuple, int] = {}
        self._window_start: datetime | None = None

    def add(self, buckets: list[str], window_start: datetime, window: int) -> dict[str, int]:
        """One more request for each bucket in the window; each bucket's count."""
        engine = db.engine
        keys = {bucket: (str(engine.url), bucket, window_start) for bucket in buckets}
        with self._lock:
            if self._window_start != window_start:
                self._forget_before(window_start)
            adding = {bucket: 1 + self._carried.pop(key, 0) for bucket, key in keys.items()}
        waits = engine.dialect.name == "sqlite" and begins_deferred()
        try:
            hits = self._write(engine, adding, window_start, window, waits)
        except OperationalError as error:
            if not (waits and _busy(error)):
                raise
            # The write lock stayed taken: count on, and write these counts next time.
            with self._lock:
                for bucket, key in keys.items():
                    self._carried[key] = self._carried.get(key, 0) + adding[bucket]
                return {bucket: self._seen.get(key, 0) + self._carried[key]
                        for bucket, key in keys.items()}
        with self._lock:
            for bucket, key in keys.items():
                self._seen[key] = hits[bucket]
        return hits

    def _write(self, engine, adding: dict[str, int], window_start: datetime, window: int,
               waits: bool) -> dict[str, int]:
        upsert = _upsert(engine.dialect.name)
        with engine.connect() as connection:
            if waits:
                _busy_timeout(connection, READER_WAIT_MS)
            try:
                with connection.begin():
                    # Address before token, always in this order: concurrent upserts on
                    # PostgreSQL lock rows in one order and cannot deadlock.
                    hits = {bucket: connection.execute(upsert, {
                        "window_start": window_start, "bucket": bucket, "hits": n,
                    }).scalar_one() for bucket, n in adding.items()}
                if any(hits[bucket] == n for bucket, n in adding.items()):
                    # A bucket's first count in this window: drop the windows before the last.
                    self._delete_before(connection, window_start, window)
            finally:
                if waits:
                    _busy_timeout(connection, config.SQLITE_BUSY_TIMEOUT_MS)
        return hits

    @staticmethod
    def _delete_before(connection, window_start: datetime, window: int) -> None:
        """Delete the windows before the previous one (the primary key's range), in a
        transaction of its own; when that fails, the next new window does it."""
        table = ApiRateCounter.__table__
        oldest_kept = datetime.fromtimestamp(window_start.timestamp() - window, UTC)
        try:
            with connection.begin():
                connection.execute(sa.delete(table).where(table.c.window_start < oldest_kept))
        except OperationalError:
            pass  # a lock taken (SQLite) or a deadlock (PostgreSQL): the next window cleans

    def _forget_before(self, window_start: datetime) -> None:
        """Forget the counts of windows before this one (a carried count is late by then)."""
        for memory in (self._carried, self._seen):
            for key in [key for key in memory if key[2] < window_start]:
                del memory[key]
        self._window_start = window_start


@functools.cache
def _upsert(dialect: str):
    """``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + ... RETURNING hits``: one atomic
    statement, built once (SQLite and PostgreSQL write it alike)."""
    table = ApiRateCounter.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.window_start, table.c.bucket],
        set_={"hits": table.c.hits + statement.excluded.hits},
    ).returning(table.c.hits)


def _busy(error: OperationalError) -> bool:
    """True when SQLite refused because another connection holds the lock."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _busy_timeout(connection, milliseconds: int) -> None:
    """Set how long SQLite waits for a lock, on the driver's connection itself (a statement
    through SQLAlchemy would begin a transaction first)."""
    connection.connection.driver_connection.execute(f"PRAGMA busy_timeout={int(milliseconds)}")


counters = Counters()
