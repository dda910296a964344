"""Login throttling: too many failed logins for an account or from an address within a window
refuse further attempts for a while. Kept in the database, so every worker counts the same."""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from casework import audit
from casework.extensions import db
from casework.models import LoginFailure
from casework.models.types import utcnow
from casework.vocabulary import AuditAction, AuditEntity


def _window() -> timedelta:
    return current_app.config["LOGIN_FAILURE_WINDOW"]


def _key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _failures(column, value, since) -> tuple[int, object]:
    """How many failures for ``value`` since ``since``, and the oldest of them."""
    return db.session.execute(
        sa.select(sa.func.count(), sa.func.min(LoginFailure.attempted_at))
        .where(column == value, LoginFailure.attempted_at >= since)
    ).one()


def seconds_to_wait(email: str, remote_addr: str | None) -> int | None:
    """Seconds until another attempt is allowed, or None when one is allowed now."""
    now = utcnow()
    since = now - _window()
    config = current_app.config
    waits = []
    checks = [(LoginFailure.email, _key(email), config["LOGIN_FAILURES_PER_ACCOUNT"])]
    if remote_addr:
        checks.append((LoginFailure.remote_addr, remote_addr,
                       config["LOGIN_FAILURES_PER_ADDRESS"]))
    for column, value, limit in checks:
        count, oldest = _failures(column, value, since)
        if count >= limit:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
            waits.append((oldest + _window() - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else None


def record_failure(email: str, remote_addr: str | None) -> None:
    """Count a failed login; audit the moment an account or an address becomes throttled."""
    now = utcnow()
    since = now - _window()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.attempted_at < since))
    db.session.add(LoginFailure(attempted_at=now, email=_key(email), remote_addr=remote_addr))
    db.session.flush()
    config = current_app.config
    if _failures(LoginFailure.email, _key(email), since)[0] == \
            config["LOGIN_FAILURES_PER_ACCOUNT"]:
        audit.record(AuditEntity.USER, AuditAction.LOGIN_THROTTLED, changes={"email": _key(email)})
    if remote_addr and _failures(LoginFailure.remote_addr, remote_addr, since)[0] == \
            config["LOGIN_FAILURES_PER_ADDRESS"]:
        audit.record(AuditEntity.USER, AuditAction.LOGIN_THROTTLED,
                     changes={"remote_addr": remote_addr})


def forget_failures(email: str) -> None:
    """A successful login starts the account's count afresh (not the address's)."""
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == _key(email)))


def unlock(email: str, remote_addr: str | None = None) -> int:
    """Forget the failed logins of an account (and of an address, if given), so that its
    owner may log in at once: the way back in for an admin locked out by the throttle.
    Audited; returns how many failures were forgotten.
    """
    condition = LoginFailure.email == _key(email)
    if remote_addr:
        condition = sa.or_(condition, LoginFailure.remote_addr == remote_addr)
    forgotten = db.session.execute(sa.delete(LoginFailure).where(condition)).rowcount
    audit.record(AuditEntity.USER, AuditAction.LOGIN_UNLOCKED,
                 changes={"email": _key(email), "remote_addr": remote_addr,
                          "failures_forgotten": forgotten})
    return forgotten
