"""Idempotency keys: a client's name for one POST, so that a retry answers the first
answer instead of doing it again."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db
from casework.models.types import UTCDateTime, utcnow

KEY_MAX = 255


class IdempotencyKey(db.Model):
    """A key one API token sent with a POST, with what the request was and, once known, the
    answer it got. Written in the same transaction as the change the request made, so a
    change that committed always has its key; a key without an answer is still running (or
    its answer was lost), and is never done a second time."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX))
    # SHA-256 of the method, path with query and body: the same key with another request
    # is refused.
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The answer, once stored: status, JSON body and the headers worth repeating.
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict | None] = mapped_column(sa.JSON)

    @property
    def answered(self) -> bool:
        return self.status_code is not None

    def __repr__(self) -> str:
        return f"<IdempotencyKey {self.key!r} of token {self.token_id}>"
