"""The request edge: the one place a request's changes are committed or rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from casework.errors import Conflict, PermissionDenied, StaleVersion, ValidationFailed
from casework.extensions import db

# Requests that only read: on SQLite their transactions begin deferred (a snapshot, no lock),
# so readers never queue behind writers; every other transaction takes the write lock first.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING = "_casework_writing"


def begins_deferred() -> bool:
    """True when a SQLite transaction beginning now may be a plain deferred ``BEGIN``: in
    a GET, HEAD or OPTIONS request, outside a ``unit_of_work``. Everything else (other
    methods, the CLI, tests outside a request) begins ``BEGIN IMMEDIATE``."""
    return (has_request_context() and request.method in READING_METHODS
            and not g.get(_WRITING, False))


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back and raise a domain error.

    In a reading request (see :func:`begins_deferred`) the block first leaves the read
    snapshot and runs in a transaction that holds SQLite's write lock, so what it reads
    (a case's version, the audit chain's head) is current and its writes cannot fail
    with "database is locked"; what the request read before is reloaded on first use.

    :raise StaleVersion: another writer changed the case between read and write.
    :raise Conflict: the database refused the change (a uniqueness race).
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
