"""Mitigation actions planned and tracked on a case."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.extensions import db
from casework.models.types import UTCDateTime, enum_column, utcnow
from casework.vocabulary import ActionStatus, ActionTeam

if TYPE_CHECKING:
    from casework.models.case import Case
    from casework.models.user import User

PENDING_ACTION_STATUSES = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


class MitigationAction(db.Model):
    __tablename__ = "mitigation_actions"
    # Overdue actions: pending ones (by status) due before today, without reading the rest.
    __table_args__ = (sa.Index("ix_mitigation_actions_status_due", "status", "due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    team: Mapped[ActionTeam] = mapped_column(enum_column(ActionTeam))
    # Who carries it out: a Casework user when one matches, else a partner's name.
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    owner_name: Mapped[str] = mapped_column(sa.String(120), default="")
    due: Mapped[date | None] = mapped_column(sa.Date, index=True)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.PLANNED
    )
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case] = relationship(back_populates="actions")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __audit_fields__ = ("title", "team", "owner_name", "owner_user", "due", "status", "outcome")

    def __repr__(self) -> str:
        return f"<MitigationAction {self.id} {self.status}>"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_ACTION_STATUSES

    @property
    def owner_display(self) -> str:
        return self.owner_user.name if self.owner_user else self.owner_name
