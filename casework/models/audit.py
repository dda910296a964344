"""Audit events: who changed what, when, with the fields before and after.

The events form a hash chain (``casework.audit.chain``): each stores the SHA-256 of its
content and of the event before it, and the database refuses to change or delete one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.extensions import db
from casework.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from casework.models.user import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_events_case", "case_id", "id"),
        # When each case was first assigned (the dashboard), without reading the events.
        sa.Index("ix_audit_events_case_action", "case_id", "entity_type", "action",
                 "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The event's place in the chain: 1, 2, 3, ... without gaps.
    seq: Mapped[int] = mapped_column(unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    # The case an event belongs to, so the case page shows one timeline of everything.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    # {"field": [before, after]} for changes, {"field": value} for creations.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.entity_type}.{self.action}>"


class AuditHead(db.Model):
    """The newest event of the chain, in one row that every writer locks before appending."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))
