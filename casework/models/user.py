"""People who log in, and their role."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from casework.extensions import db
from casework.models.types import UTCDateTime, enum_column, utcnow
from casework.vocabulary import Language, Role


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the user at once (logout, deactivation, role or
    # password change).
    session_epoch: Mapped[int] = mapped_column(default=0)
    # Set by an admin's password reset: every page leads to the password form until done.
    must_change_password: Mapped[bool] = mapped_column(default=False,
                                                       server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the user chose on Account; None follows the browser's Accept-Language.
    language: Mapped[Language | None] = mapped_column(enum_column(Language))

    __audit_fields__ = ("email", "name", "role", "active")

    @property
    def audit_ref(self) -> str:
        """How the audit trail names this user."""
        return self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every session of this user on their next request."""
        self.session_epoch += 1

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles
