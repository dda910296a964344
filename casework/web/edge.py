"""The request edge: the one place a request's changes are committed or rolled back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from casework.errors import (
    Conflict,
    DatabaseBusy,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from casework.extensions import db

# Requests that only read: on SQLite their transactions begin deferred (a snapshot, no lock),
# so readers never queue behind writers; every other transaction takes the write lock first.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING = "_casework_writing"
# Set inside ``reading()``: transactions begin deferred whatever the request's method.
_READING: ContextVar[bool] = ContextVar("casework_reading", default=False)

# PostgreSQL's answers for "not now": lock_timeout, serialization failure, deadlock, and a
# statement cancelled by statement_timeout. Each rolled the transaction back.
BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01", "57014"})
# SQLite's SQLITE_BUSY and SQLITE_LOCKED (the primary code, without extended bits).
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def begins_deferred() -> bool:
    """True when a SQLite transaction beginning now may be a plain deferred ``BEGIN``: in
    a GET, HEAD or OPTIONS request outside a ``unit_of_work``, or inside ``reading()``.
    Everything else (other methods, the CLI, tests outside a request) begins
    ``BEGIN IMMEDIATE``."""
    if has_request_context() and g.get(_WRITING, False):
        return False
    if _READING.get():
        return True
    return has_request_context() and request.method in READING_METHODS


def database_busy(error: BaseException) -> bool:
    """True when ``error`` says the database is busy rather than broken: SQLite's
    "database is locked" or "database is busy" after the busy timeout, or PostgreSQL's
    lock timeout, serialization failure, deadlock or statement timeout. Trying again
    later may succeed."""
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _SQLITE_BUSY_CODES:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database is busy" in text


@contextmanager
def reading() -> Iterator[None]:
    """Run a block that only reads as a reader: on SQLite its transaction begins deferred
    (a snapshot that blocks no writer) even in a POST, the CLI or a worker, so checking a
    big file or rendering an error page never holds or waits for the write lock.

    The transaction open before the block is ended first, and the block's own at its end
    (both rolled back: neither may hold changes); objects loaded before are reloaded on
    first use.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("Save or drop the changes before reading(), not inside it.")
    session.rollback()
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)
        session.rollback()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back and raise a domain error.

    In a reading request (see :func:`begins_deferred`) the block first leaves the read
    snapshot and runs in a transaction that holds SQLite's write lock, so what it reads
    (a case's version, the audit chain's head) is current and its writes cannot fail
    with "database is locked"; what the request read before is reloaded on first use.

    :raise StaleVersion: another writer changed the case between read and write.
    :raise Conflict: the database refused the change (a uniqueness race).
    :raise DatabaseBusy: the database stayed locked or busy (see :func:`database_busy`).
    """
    opened = _start_writing()
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion() from None
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("Someone else made a conflicting change at the same moment. "
                         "Reload and try again.")) from None
    except OperationalError as error:
        db.session.rollback()
        if database_busy(error):
            raise DatabaseBusy() from error
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if opened:
            g.pop(_WRITING, None)


def _start_writing() -> bool:
    """Leave a deferred read transaction before a reading request writes; True when this
    call marked the request as writing (and the block's end must unmark it)."""
    if not begins_deferred():
        return False
    session = db.session()
    if session.new or session.dirty or session.deleted:
        # Changes made outside the unit of work would be lost, or written without the lock.
        raise RuntimeError("Change records inside unit_of_work(), not before it.")
    g.setdefault(_WRITING, True)
    if session.in_transaction() and session.connection().info.get("casework_deferred"):
        session.rollback()  # the next statement begins IMMEDIATE: see begins_deferred
    return True


def require(allowed: bool, message: str | None = None) -> None:
    """Refuse with 403 unless ``allowed``; views call it after loading, before acting.

    :raise PermissionDenied: the current user may not do this.
    """
    if not allowed:
        raise PermissionDenied(message or _("Your role does not allow this."))


def actor():
    """Who is asking, as a model object: the API token's user, or the logged-in user."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    return current_user._get_current_object()


def refuse_nul_in_pages() -> None:
    """:func:`refuse_nul_characters` for every request but the API's, which checks after
    authenticating (a stranger learns nothing from a 422 about input)."""
    if not request.path.startswith("/api/v1"):
        refuse_nul_characters()


def refuse_nul_characters() -> None:
    """Refuse a request whose query, form or URL holds a NUL character, before any view
    looks it up: PostgreSQL can neither store nor compare one (a 500 there), and
    ``validation.clean_text`` refuses it in stored text anyway, with the same message.

    :raise ValidationFailed: a NUL character in a query argument, form field or URL part.
    """
    values = [value for data in (request.args, request.form)
              for _name, value in data.items(multi=True)]
    values += (request.view_args or {}).values()
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise ValidationFailed(
            _("This text contains a NUL character, which cannot be stored. Remove it, please."))
