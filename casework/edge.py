"""The request edge: the one place a request's changes are committed or rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from casework.errors import Conflict, StaleVersion, ValidationFailed
from casework.extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back and raise a domain error.

    :raise StaleVersion: another writer changed the case between read and write.
    :raise Conflict: the database refused the change (a uniqueness race).
    """
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


def require(allowed: bool) -> None:
    """Answer 403 unless ``allowed``; views call it after loading, before acting.

    :raise 403: the current user may not do this.
    """
    if not allowed:
        abort(403)


def actor():
    """The logged-in user as a model object (not the request proxy)."""
    return current_user._get_current_object()


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
