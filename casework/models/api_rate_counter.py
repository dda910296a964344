"""How many API requests a client address or a token made in one window of time."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db
from casework.models.types import UTCDateTime


class ApiRateCounter(db.Model):
    """One bucket's count in one fixed window; in the database, so that every worker and
    every app server counts the same. Windows older than the one before are deleted."""

    __tablename__ = "api_rate_counters"

    # The window first: expired windows are one range of the primary key.
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    # "address:<client address>" or "token:<the token's hash>".
    bucket: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer)
