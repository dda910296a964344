"""Cases: a detected risk carried from qualification to closure."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.extensions import db
from casework.models.types import UTCDateTime, enum_column, utcnow
from casework.search import keep_search_text, search_text_column
from casework.vocabulary import (
    Band,
    CaseState,
    Category,
    Market,
    Resolution,
    Surface,
    band_for,
)

if TYPE_CHECKING:
    from casework.models.action import MitigationAction
    from casework.models.comment import Comment
    from casework.models.review import Review
    from casework.models.signal import Signal
    from casework.models.user import User

OPEN_STATES = frozenset(
    {CaseState.QUALIFIED, CaseState.ASSIGNED, CaseState.MITIGATING, CaseState.IN_REVIEW}
)


class CaseMarket(db.Model):
    """One market a case touches."""

    __tablename__ = "case_markets"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    market: Mapped[Market] = mapped_column(enum_column(Market), primary_key=True, index=True)

    def __init__(self, market: Market):
        self.market = market


class CaseSurface(db.Model):
    """One product surface a case touches."""

    __tablename__ = "case_surfaces"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    surface: Mapped[Surface] = mapped_column(enum_column(Surface), primary_key=True, index=True)

    def __init__(self, surface: Surface):
        self.surface = surface


class CaseKeySequence(db.Model):
    """The last case number given out in a year, for keys like RISK-2026-0042."""

    __tablename__ = "case_key_sequences"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        sa.UniqueConstraint("year", "number"),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood_range"),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="impact_range"),
        sa.CheckConstraint("score = likelihood * impact", name="score_derived"),
        sa.CheckConstraint(
            "(state = 'closed') = (resolution IS NOT NULL)", name="resolution_iff_closed"
        ),
        sa.Index("ix_cases_state_score", "state", "score"),
        sa.Index("ix_cases_updated_at", "updated_at"),
        sa.Index("ix_cases_created_at", "created_at"),
        # The queue's default order (severity, then last update) read straight off an index.
        sa.Index("ix_cases_score_updated", "score", "updated_at"),
        sa.Index("ix_cases_state_closed", "state", "closed_at"),
        # The few restricted cases, which a signal list must leave out for most readers.
        sa.Index("ix_cases_restricted_owner", "restricted", "owner_id"),
        # One owner's cases ("mine") in each of the queue's orders, however many they own.
        sa.Index("ix_cases_owner_score", "owner_id", "score", "updated_at"),
        sa.Index("ix_cases_owner_updated", "owner_id", "updated_at"),
        sa.Index("ix_cases_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(20), unique=True)
    year: Mapped[int]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # The words of its title and summary as search reads them (casework.search).
    search_text: Mapped[str] = search_text_column("cases")
    assessment: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category] = mapped_column(enum_column(Category), index=True)
    likelihood: Mapped[int]
    impact: Mapped[int]
    # Stored, not computed on read, so the queue can sort and filter by it on an index.
    score: Mapped[int]
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState), default=CaseState.QUALIFIED)
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution))
    dismissal_reason: Mapped[str | None] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Who last submitted the case for review: they may not review it (four eyes).
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    # Seen only by the owner and managers, in every list, count and export.
    restricted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    market_rows: Mapped[list[CaseMarket]] = relationship(
        cascade="all, delete-orphan", order_by=CaseMarket.market, lazy="selectin"
    )
    surface_rows: Mapped[list[CaseSurface]] = relationship(
        cascade="all, delete-orphan", order_by=CaseSurface.surface, lazy="selectin"
    )
    markets: AssociationProxy[list[Market]] = association_proxy("market_rows", "market")
    surfaces: AssociationProxy[list[Surface]] = association_proxy("surface_rows", "surface")
    signals: Mapped[list[Signal]] = relationship(
        back_populates="case", order_by="Signal.created_at"
    )
    actions: Mapped[list[MitigationAction]] = relationship(
        back_populates="case", order_by="MitigationAction.id", cascade="all, delete-orphan"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="case", order_by="Comment.created_at", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="case", order_by="Review.created_at", cascade="all, delete-orphan"
    )

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    __audit_fields__ = (
        "title", "summary", "assessment", "category", "likelihood", "impact", "score",
        "state", "resolution", "dismissal_reason", "owner", "markets", "surfaces",
        "restricted",
    )

    @property
    def audit_ref(self) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"<Case {self.key} {self.state}>"

    @property
    def band(self) -> Band:
        return band_for(self.score)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def latest_review(self) -> Review | None:
        return self.reviews[-1] if self.reviews else None

    def rate(self, likelihood: int, impact: int) -> None:
        """Set likelihood and impact; the score follows."""
        self.likelihood = likelihood
        self.impact = impact
        self.score = likelihood * impact

    def set_markets(self, markets) -> None:
        wanted = sorted({Market(m) for m in markets})
        if list(self.markets) != wanted:
            self.market_rows = [CaseMarket(m) for m in wanted]

    def set_surfaces(self, surfaces) -> None:
        wanted = sorted({Surface(s) for s in surfaces})
        if list(self.surfaces) != wanted:
            self.surface_rows = [CaseSurface(s) for s in wanted]


keep_search_text(Case)
