"""Column types shared by the models, and the clock every timestamp is read from."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# Set only by ``frozen_time``: the demo writes its history at the moments it tells of, so
# that audit events are hashed with their final timestamps and never changed afterwards.
_frozen_now: ContextVar[datetime | None] = ContextVar("casework_frozen_now", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (or the time frozen by ``frozen_time``)."""
    return _frozen_now.get() or datetime.now(UTC)


@contextmanager
def frozen_time(when: datetime) -> Iterator[datetime]:
    """Let ``utcnow()`` answer ``when`` inside the block (demo data, tests)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    token = _frozen_now.set(when.astimezone(UTC))
    try:
        yield when
    finally:
        _frozen_now.reset(token)


class UTCDateTime(TypeDecorator):
    """A timestamp kept in UTC and always handed back timezone-aware.

    SQLite has no time zones; PostgreSQL stores ``timestamptz``. Either way the
    application sees aware UTC datetimes and never a naive one.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite stores text; keep it naive-UTC there so that sorting stays lexical.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls, **kwargs) -> sa.Enum:
    """A portable enum: a VARCHAR with a named CHECK constraint, storing the values."""
    return sa.Enum(
        enum_cls,
        name=enum_cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
        **kwargs,
    )
