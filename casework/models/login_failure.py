"""Failed logins, kept for a while so that guessing passwords can be slowed down."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db
from casework.models.types import UTCDateTime, utcnow


class LoginFailure(db.Model):
    """One failed login; in the database so that every worker process counts the same."""

    __tablename__ = "login_failures"
    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "attempted_at"),
        sa.Index("ix_login_failures_remote_addr_at", "remote_addr", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # As typed, lower-cased (it need not belong to anyone).
    email: Mapped[str] = mapped_column(sa.String(254))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))
