"""Reviews: the four-eyes decision on a case's mitigation and residual risk."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.extensions import db
from casework.models.types import UTCDateTime, enum_column, utcnow
from casework.vocabulary import Band, Resolution, ReviewDecision, band_for

if TYPE_CHECKING:
    from casework.models.case import Case
    from casework.models.user import User


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint(
            "residual_likelihood IS NULL OR residual_likelihood BETWEEN 1 AND 5",
            name="residual_likelihood_range",
        ),
        sa.CheckConstraint(
            "residual_impact IS NULL OR residual_impact BETWEEN 1 AND 5",
            name="residual_impact_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision))
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution))
    residual_likelihood: Mapped[int | None]
    residual_impact: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="reviews")
    reviewer: Mapped[User] = relationship()

    __audit_fields__ = (
        "decision", "resolution", "residual_likelihood", "residual_impact", "note",
    )

    @property
    def residual_score(self) -> int | None:
        if self.residual_likelihood is None or self.residual_impact is None:
            return None
        return self.residual_likelihood * self.residual_impact

    @property
    def residual_band(self) -> Band | None:
        score = self.residual_score
        return band_for(score) if score else None
