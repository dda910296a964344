"""Refusals: what operations, loaders and the request edge raise when they will not act.

Each refusal has one class everywhere (pages, API, CLI), decided in one order: not there
or not visible (404) -> the role may never (403) -> the state does not allow it now (409)
-> the input is invalid (422). ``casework.web.errors`` renders them as an HTML page or as
the API's JSON error; the CLI prints the message. Nothing here knows about HTTP requests.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


class CaseworkError(Exception):
    """A refusal the user should read; nothing was changed.

    ``errors`` maps a field name (or ``"__all__"``) to its message or messages; ``code`` is
    the machine-readable name in the API's JSON error.
    """

    status_code = 400
    code = "bad_request"
    title = _l("Not done")

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None,
                 *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: message} if field else {})
        if code is not None:
            self.code = code

    def field_messages(self) -> dict[str, list[str]]:
        """``{field: [message, ...]}`` with every message as plain text."""
        return {name: [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
                for name, value in self.errors.items()}


class BadRequest(CaseworkError):
    """A request that cannot be read at all (a body that is not JSON, a broken upload)."""

    title = _l("Bad request")


class Unauthorized(CaseworkError):
    """No valid credentials (the API's bearer token)."""

    status_code = 401
    code = "unauthorized"
    title = _l("Log in first")


class PermissionDenied(CaseworkError):
    """The user's role or relation to the record does not allow this, in any state."""

    status_code = 403
    code = "forbidden"
    title = _l("Not allowed")


class NotFound(CaseworkError):
    """Not there, or not visible to this reader: the two are never told apart."""

    status_code = 404
    code = "not_found"
    title = _l("Not found")


class Conflict(CaseworkError):
    """Not possible in the record's current state, or it changed meanwhile."""

    status_code = 409
    code = "conflict"


class StaleVersion(Conflict):
    """The record changed since the user read it (optimistic locking)."""

    code = "stale_version"

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This case changed since you opened it. "
                                      "Reload it to see the changes, then try again."))


class PreconditionFailed(CaseworkError):
    """An ``If-Match`` header that does not name the record's current version."""

    status_code = 412
    code = "precondition_failed"


class UnsupportedMediaType(CaseworkError):
    status_code = 415
    code = "unsupported_media_type"
    title = _l("Unsupported")


class ValidationFailed(CaseworkError):
    """Input that breaks a rule of the domain (a field value, a missing reason)."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None,
                 *, code: str | None = None):
        # {field: message}; "__all__" for a problem that belongs to no one field.
        super().__init__(message, field, errors or {field or "__all__": message}, code=code)


class TooManyRequests(CaseworkError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again."""

    status_code = 429
    code = "too_many_requests"
    title = _l("Too many attempts")

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseBusy(CaseworkError):
    """The database could not take this change now (another writer held the lock too long,
    or PostgreSQL gave up on a lock, a serialization conflict or a deadlock); nothing of it
    was saved. ``retry_after`` says in how many seconds to try again."""

    status_code = 503
    code = "database_busy"
    title = _l("Busy, try again")
    retry_after = 5

    def __init__(self, message: str | None = None):
        super().__init__(message or _("The database is busy with other work and nothing was "
                                      "saved. Please try again in a few seconds."))


def invalid_fields(problems: dict, message: str | None = None) -> ValidationFailed:
    """One refusal for several fields' problems (``{field: message or [messages]}``)."""
    return ValidationFailed(message or _("Some fields are not valid."), errors=problems)
