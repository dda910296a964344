"""Signals: things detected that may be a risk."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.extensions import db
from casework.models.types import UTCDateTime, enum_column, utcnow
from casework.search import keep_search_text, search_text_column
from casework.vocabulary import Category, Market, SignalSource, SignalStatus, Surface

if TYPE_CHECKING:
    from casework.models.case import Case
    from casework.models.user import User


class Signal(db.Model):
    __tablename__ = "signals"
    __table_args__ = (
        # The same item from the same source system is one signal, not two.
        sa.UniqueConstraint("source", "external_ref"),
        sa.CheckConstraint(
            "duplicate_of_signal_id IS NULL OR duplicate_of_signal_id <> id",
            name="not_duplicate_of_itself",
        ),
        sa.Index("ix_signals_status_created", "status", "created_at"),
        # The inbox across statuses and the dashboard read signals by when they came in.
        sa.Index("ix_signals_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The words of its title and description as search reads them (casework.search).
    search_text: Mapped[str] = search_text_column("signals")
    source: Mapped[SignalSource] = mapped_column(enum_column(SignalSource))
    market: Mapped[Market] = mapped_column(enum_column(Market))
    surface: Mapped[Surface | None] = mapped_column(enum_column(Surface))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_ref: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[SignalStatus] = mapped_column(
        enum_column(SignalStatus), default=SignalStatus.NEW, index=True
    )
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    duplicate_of_signal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("signals.id"))
    dismissal_reason: Mapped[str | None] = mapped_column(sa.Text)
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    triaged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    case: Mapped[Case | None] = relationship(back_populates="signals")
    duplicate_of_signal: Mapped[Signal | None] = relationship(remote_side=[id])
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    triaged_by: Mapped[User | None] = relationship(foreign_keys=[triaged_by_id])

    __audit_fields__ = (
        "title", "description", "source", "market", "surface", "category", "url",
        "observed_at", "external_ref", "status", "case", "duplicate_of_signal",
        "dismissal_reason",
    )

    @property
    def audit_ref(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<Signal {self.id} {self.status}>"

    @property
    def is_open(self) -> bool:
        """Still waiting for triage."""
        return self.status == SignalStatus.NEW


keep_search_text(Signal)
