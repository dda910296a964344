"""The row the health check writes, to learn whether the database can still be written."""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from casework.extensions import db
from casework.models.types import UTCDateTime, utcnow


class HealthProbe(db.Model):
    """One row (id 1); ``/healthz`` sets its time and commits.

    A database that still answers a SELECT may refuse every write (a full disk, a
    read-only file or replica): only a committed write tells.
    """

    __tablename__ = "health_probes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
