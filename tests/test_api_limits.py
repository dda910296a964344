"""Rate limits on the API (casework/api/limits.py): per token and per client address, in
fixed windows counted in the database, so that every worker counts the same; 429 with
Retry-After beyond them, and the RateLimit headers on every API answer."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import only_sqlite

from casework import create_app
from casework.api import limits
from casework.config import build_config
from casework.extensions import db
from casework.models import ApiRateCounter
from casework.models.types import frozen_time

# 15 seconds into a minute: the window ends in 45 seconds.
NOON = datetime(2026, 11, 25, 12, 0, 15, tzinfo=UTC)


@pytest.fixture
def token_for(app):
    def _token(user) -> str:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "limits")
            db.session.commit()
            return secret

    return _token


def _limits(app, *, token: int = 1000, address: int = 1000) -> None:
    app.config.update(API_RATE_PER_TOKEN=token, API_RATE_PER_ADDRESS=address)


def _get(client, secret: str | None = None, path: str = "/api/v1/me", address="127.0.0.1"):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def _rate(response) -> tuple[int, int, int]:
    return tuple(int(response.headers[f"RateLimit-{name}"])
                 for name in ("Limit", "Remaining", "Reset"))


def _hits(app) -> dict[str, int]:
    with app.app_context():
        return {row.bucket.split(":")[0]: row.hits
                for row in db.session.scalars(sa.select(ApiRateCounter))}


def test_a_token_over_its_limit_is_refused_until_the_window_ends(app, client, make, token_for):
    _limits(app, token=3)
    secret = token_for(make.pm)
    with frozen_time(NOON):
        answers = [_get(client, secret) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [_rate(a) for a in answers] == [(3, 2, 45), (3, 1, 45), (3, 0, 45), (3, 0, 45)]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "45"
    assert refused.headers["RateLimit-Policy"] == (
        '1000;w=60;comment="per address", 3;w=60;comment="per token"')

    with frozen_time(NOON + timedelta(seconds=44)):
        assert _get(client, secret).status_code == 429
    with frozen_time(NOON + timedelta(seconds=45)):  # the next window
        again = _get(client, secret)
    assert again.status_code == 200
    assert _rate(again) == (3, 2, 60)


def test_each_token_has_its_own_count(app, client, make, token_for):
    _limits(app, token=2)
    first, second = token_for(make.pm), token_for(make.specialist)
    with frozen_time(NOON):
        assert [_get(client, first).status_code for _ in range(3)] == [200, 200, 429]
        assert [_get(client, second).status_code for _ in range(2)] == [200, 200]


def test_an_address_is_limited_before_its_token_is_even_checked(app, client, make, token_for):
    _limits(app, address=3)
    secret = token_for(make.pm)
    with frozen_time(NOON):
        guesses = [_get(client, "cw_guess" + str(n)) for n in range(3)]
        assert [g.status_code for g in guesses] == [401, 401, 401]
        assert _rate(guesses[-1]) == (3, 0, 45)
        assert guesses[-1].headers["RateLimit-Policy"] == '3;w=60;comment="per address"'
        throttled = [_get(client, "cw_guess3"), _get(client, secret), _get(client)]
        assert [t.status_code for t in throttled] == [429, 429, 429]
        assert {t.get_json()["error"]["code"] for t in throttled} == {"too_many_requests"}
        assert throttled[1].headers["Retry-After"] == "45"
        # Another address is counted on its own, with the same token.
        assert _get(client, secret, address="198.51.100.7").status_code == 200


def test_every_api_answer_carries_the_headers_and_pages_none(app, client, make, token_for):
    secret = token_for(make.pm)
    answers = {
        "ok": _get(client, secret, "/api/v1/cases"),
        "not found": _get(client, secret, "/api/v1/cases/RISK-2026-9999"),
        "invalid": _get(client, secret, "/api/v1/cases?sort=sideways"),
        "no token": _get(client, None, "/api/v1/cases"),
        "document": _get(client, None, "/api/v1/openapi.json"),
        "refused": client.post("/api/v1/signals", data="x",
                               headers={"Authorization": f"Bearer {secret}"}),
    }
    assert {name: a.status_code for name, a in answers.items()} == {
        "ok": 200, "not found": 404, "invalid": 422, "no token": 401, "document": 200,
        "refused": 415}
    for name, answer in answers.items():
        limit, remaining, reset = _rate(answer)
        assert 0 <= remaining < limit and 1 <= reset <= 60, name
        assert "per address" in answer.headers["RateLimit-Policy"], name
    assert "per token" in answers["ok"].headers["RateLimit-Policy"]
    assert "per token" not in answers["no token"].headers["RateLimit-Policy"]
    assert not [name for name, _value in client.get("/login").headers.items()
                if name.startswith("RateLimit")]


def test_limits_set_to_zero_are_off(app, client, make, token_for):
    _limits(app, token=0, address=0)
    secret = token_for(make.pm)
    answer = _get(client, secret)
    assert answer.status_code == 200
    assert "RateLimit-Limit" not in answer.headers
    assert _hits(app) == {}


def test_the_limits_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CASEWORK_API_RATE_PER_TOKEN", "42")
    monkeypatch.setenv("CASEWORK_API_RATE_PER_ADDRESS", "0")
    monkeypatch.setenv("CASEWORK_API_IDEMPOTENCY_HOURS", "2")
    config = build_config(str(tmp_path), {"SECRET_KEY": "x"})
    assert config["API_RATE_PER_TOKEN"] == 42
    assert config["API_RATE_PER_ADDRESS"] == 0
    assert config["API_IDEMPOTENCY_TTL"] == timedelta(hours=2)
    for name in ("CASEWORK_API_RATE_PER_TOKEN", "CASEWORK_API_RATE_PER_ADDRESS",
                 "CASEWORK_API_IDEMPOTENCY_HOURS"):
        monkeypatch.delenv(name)
    defaults = build_config(str(tmp_path), {"SECRET_KEY": "x"})
    assert (defaults["API_RATE_PER_TOKEN"], defaults["API_RATE_PER_ADDRESS"]) == (600, 1200)
    assert defaults["API_IDEMPOTENCY_TTL"] == timedelta(hours=24)


@pytest.fixture
def second_worker(database_url):
    """Another app on the same database: what a second gunicorn worker is."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": database_url,
                        "API_RATE_PER_TOKEN": 4, "API_RATE_PER_ADDRESS": 1000})
    yield other
    with other.app_context():
        db.engine.dispose()


def test_two_workers_share_one_count(app, client, make, token_for, second_worker):
    _limits(app, token=4)
    secret = token_for(make.pm)
    other = second_worker.test_client()
    with frozen_time(NOON):
        answers = [_get(c, secret) for c in (client, other, client, other, client, other)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429, 429]
    assert [_rate(a)[1] for a in answers] == [3, 2, 1, 0, 0, 0]
    assert _hits(app) == {"address": 6, "token": 6}


def test_no_count_is_lost_when_workers_count_at_once(app, make, token_for, second_worker,
                                                     monkeypatch):
    # Readers may wait as long as writers here: every count is written at once.
    monkeypatch.setattr(limits, "READER_WAIT_MS", 30_000)
    _limits(app, token=10_000)
    second_worker.config["API_RATE_PER_TOKEN"] = 10_000
    secret = token_for(make.pm)
    threads, each, statuses = 8, 15, []

    def hammer(number: int) -> None:
        client = (app if number % 2 else second_worker).test_client()
        with frozen_time(NOON):
            statuses.extend(_get(client, secret).status_code for _ in range(each))

    workers = [threading.Thread(target=hammer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [200] * threads * each
    assert _hits(app) == {"address": threads * each, "token": threads * each}


def test_old_windows_are_deleted(app, client, make, token_for):
    secret = token_for(make.pm)
    for minutes in (0, 1, 2, 3):
        with frozen_time(NOON + timedelta(minutes=minutes)):
            _get(client, secret)
    with app.app_context():
        kept = db.session.scalars(sa.select(ApiRateCounter.window_start).distinct()).all()
    # The current window and the one before it.
    assert sorted(kept) == [NOON.replace(second=0) + timedelta(minutes=m) for m in (2, 3)]


@only_sqlite
def test_a_reading_request_does_not_wait_for_the_write_lock(app, client, make, token_for,
                                                            database_path):
    """A long write holds SQLite's one write lock: reading requests go on without counting
    and their counts follow with the next request that finds the lock free."""
    _limits(app, token=10)
    secret = token_for(make.pm)
    with frozen_time(NOON):
        assert _rate(_get(client, secret))[1] == 9
        writer = sqlite3.connect(database_path, isolation_level=None, timeout=30)
        writer.execute("BEGIN IMMEDIATE")
        try:
            started = time.perf_counter()
            during = [_get(client, secret) for _ in range(3)]
            waited = time.perf_counter() - started
        finally:
            writer.execute("COMMIT")
            writer.close()
        assert [a.status_code for a in during] == [200, 200, 200]
        assert waited < 1.0
        assert [_rate(a)[1] for a in during] == [8, 7, 6]  # counted in the worker meanwhile
        assert _hits(app)["token"] == 1
        after = _get(client, secret)
    assert _rate(after)[1] == 5
    assert _hits(app) == {"address": 5, "token": 5}


@only_sqlite
def test_a_writing_request_waits_for_its_count(app, client, make, token_for, database_path):
    """A POST takes the write lock anyway: its count waits for the lock, never carried."""
    _limits(app, token=10)
    secret = token_for(make.pm)
    writer = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: (writer.execute("COMMIT"), writer.close())).start()
    with frozen_time(NOON):
        started = time.perf_counter()
        answer = client.post("/api/v1/signals", json={},
                             headers={"Authorization": f"Bearer {secret}"})
    assert time.perf_counter() - started >= 0.25
    assert answer.status_code == 422
    assert _rate(answer)[1] == 9
    assert _hits(app) == {"address": 1, "token": 1}
