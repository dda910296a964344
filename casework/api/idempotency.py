"""``Idempotency-Key`` on the API's POSTs: a retry with the same key answers what the first
request answered, and changes nothing a second time.

A key belongs to the token that sent it and names one request: its method, path with
query, Content-Type, If-Match and body (a SHA-256 of them). The same key with another
request is refused (422); a key whose request has not been answered yet is "in progress"
(409 with Retry-After).

The key is written in the same transaction as the request's change (a ``before_commit``
listener on the session adds it to whatever ``unit_of_work`` commits), and the answer in a
short transaction after it. So a change that committed always has its key: if its answer
was lost, a retry gets 409, never a second change. A request that changed nothing (a
refusal, or an answer without a change) stores key and answer together. Server errors
(5xx) are never stored. Keys are kept ``API_IDEMPOTENCY_TTL`` (24 hours), then forgotten.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from casework.errors import CaseworkError, Conflict, ValidationFailed
from casework.extensions import db
from casework.models.idempotency_key import KEY_MAX, IdempotencyKey
from casework.models.types import utcnow
from casework.web.edge import unit_of_work

HEADER = "Idempotency-Key"
# The answer's headers worth repeating; the rest (rate limits, security) are the retry's own.
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
_CLAIM = "_casework_idempotency_claim"
log = logging.getLogger(__name__)


class IdempotencyInProgress(Conflict):
    """The key's first request has not been answered yet (or its answer was lost)."""

    code = "idempotency_in_progress"

    def __init__(self):
        super().__init__(_("A request with this Idempotency-Key is still being answered. "
                           "Try again in a moment."))
        self.retry_after = 1


@dataclass
class Claim:
    """The key this request will record, and how far that got."""

    token_id: int
    key: str
    request_hash: str
    expires_at: datetime
    recorded: bool = False  # added to the transaction being committed
    committed: bool = False  # committed with the request's change

    def new_row(self, **answer) -> IdempotencyKey:
        return IdempotencyKey(token_id=self.token_id, key=self.key,
                              request_hash=self.request_hash, created_at=utcnow(),
                              expires_at=self.expires_at, **answer)

    def forget_expired(self) -> None:
        """An expired key of the same name makes way for this one."""
        db.session.execute(sa.delete(IdempotencyKey).where(
            IdempotencyKey.token_id == self.token_id, IdempotencyKey.key == self.key,
            IdempotencyKey.expires_at <= utcnow()))


def checked_key(value: str) -> str:
    """:raise ValidationFailed: empty, longer than 255 characters, or with a control
    character."""
    if not value or len(value) > KEY_MAX or any(unicodedata.category(c) == "Cc"
                                                for c in value):
        raise ValidationFailed(
            _("An Idempotency-Key has 1 to %(max)d characters and no control characters.",
              max=KEY_MAX), field=HEADER, code="idempotency_key_invalid")
    return value


def request_hash() -> str:
    """SHA-256 of what the request asks: the method, the path with its query, the body and
    the headers that change what the body means (Content-Type, If-Match). A multipart body
    is taken without its boundary, which a client may choose anew for a retry."""
    body = request.get_data()
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype == "multipart/form-data" and boundary:
        body = body.replace(boundary.encode("latin-1", "replace"), b"")
    headers = f"{request.mimetype}\n{request.headers.get('If-Match', '')}"
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode("utf-8", "surrogatepass"),
                 request.query_string, headers.encode("utf-8", "surrogatepass"), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def replay_or_claim():
    """For a POST with an Idempotency-Key (after authenticate): answer what the key's first
    request was answered, or note the key to be recorded with this request's change.

    :raise ValidationFailed: the key is malformed, or was sent with another request (422).
    :raise IdempotencyInProgress: the key's first request has no answer yet (409).
    """
    if request.method != "POST" or HEADER not in request.headers:
        return None
    key = checked_key(request.headers[HEADER])
    token = g.api_token
    fingerprint = request_hash()
    now = utcnow()
    found = db.session.scalar(sa.select(IdempotencyKey).where(
        IdempotencyKey.token_id == token.id, IdempotencyKey.key == key))
    if found is not None and found.expires_at > now:
        if found.request_hash != fingerprint:
            raise ValidationFailed(
                _("This Idempotency-Key was sent with another request (another path, body, "
                  "Content-Type or If-Match). Use a new key for a new request."),
                field=HEADER, code="idempotency_key_reused")
        if found.status_code is None:
            raise IdempotencyInProgress()
        return replay(found)
    setattr(g, _CLAIM, Claim(token.id, key, fingerprint,
                             now + current_app.config["API_IDEMPOTENCY_TTL"]))
    return None


def replay(found: IdempotencyKey):
    """The stored answer again, marked as a replay."""
    response = current_app.response_class(found.response_body, status=found.status_code,
                                          headers=found.response_headers or {})
    response.headers["Idempotent-Replayed"] = "true"
    return response


def store_answer(response):
    """After the view: keep the answer for retries of the key (never a 5xx), in a short
    transaction of its own. A failure here leaves the answer as it is."""
    claim = g.pop(_CLAIM, None)
    if claim is None or response.status_code >= 500:
        return response
    answer = {"status_code": response.status_code,
              "response_body": response.get_data(as_text=True),
              "response_headers": {name: response.headers[name] for name in KEPT_HEADERS
                                   if name in response.headers}}
    try:
        db.session.rollback()  # of a refused request nothing is kept but its answer
        with unit_of_work():
            if claim.committed:
                db.session.execute(sa.update(IdempotencyKey).where(
                    IdempotencyKey.token_id == claim.token_id,
                    IdempotencyKey.key == claim.key).values(**answer))
            else:
                claim.forget_expired()
                db.session.add(claim.new_row(**answer))
            db.session.execute(sa.delete(IdempotencyKey).where(
                IdempotencyKey.expires_at <= utcnow()))
    except (CaseworkError, SQLAlchemyError):
        db.session.rollback()
        log.warning("The answer for Idempotency-Key %r could not be stored.", claim.key,
                    exc_info=True)
    return response


def _claim():
    return g.get(_CLAIM) if has_request_context() else None


@event.listens_for(db.session, "before_commit")
def _record_with_the_change(session) -> None:
    """Add the request's key to the transaction that commits its change.

    :raise IdempotencyInProgress: another request recorded the same key meanwhile (its
        change stands; this one's is rolled back).
    """
    claim = _claim()
    if claim is None or claim.recorded:
        return
    session.flush()  # the change first: a conflict of its own stays its own
    claim.forget_expired()
    session.add(claim.new_row())
    try:
        session.flush()
    except IntegrityError:
        g.pop(_CLAIM, None)  # the key is the other request's: nothing of this one is kept
        raise IdempotencyInProgress() from None
    claim.recorded = True


@event.listens_for(db.session, "after_commit")
def _committed(session) -> None:
    claim = _claim()
    if claim is not None and claim.recorded:
        claim.committed = True


@event.listens_for(db.session, "after_rollback")
def _rolled_back(session) -> None:
    claim = _claim()
    if claim is not None and not claim.committed:
        claim.recorded = False
