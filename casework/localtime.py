"""The users' local days: today, a day's bounds as UTC instants, timestamps by local day.

The database holds UTC; people count in days of their time zone (Europe/Berlin unless
``CASEWORK_TIMEZONE`` says otherwise). Filters "from day to day" and figures "per day"
go through these helpers, so a day starts and ends at local midnight, across clock changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_timezone

from casework.extensions import db

# The days a filter or report may name: far from the ends of the calendar, where a day's
# bounds in UTC (or a report's baseline weeks before it) would fall outside it.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def local_today() -> date:
    """Today in the users' time zone (Europe/Berlin by default)."""
    return datetime.now(ZoneInfo(str(get_timezone()))).date()


def day_range_utc(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """From the start of day ``first`` to the end of day ``last`` in the users' time zone,
    as UTC instants (the end excluded); ``None`` leaves that side open."""
    zone = ZoneInfo(str(get_timezone()))
    start = datetime.combine(first, time.min, zone).astimezone(UTC) if first else None
    end = (datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
           if last else None)
    return start, end


def in_days(column, first: date | None, last: date | None) -> sa.ColumnElement[bool]:
    """``column`` (a UTC timestamp) falls on the local days ``first`` to ``last``."""
    start, end = day_range_utc(first, last)
    condition = sa.true()
    if start is not None:
        condition = sa.and_(condition, column >= start)
    if end is not None:
        condition = sa.and_(condition, column < end)
    return condition


def local_day(column, first: date, last: date) -> sa.ColumnElement:
    """``column`` (a UTC timestamp on the local days ``first`` to ``last``) as its day in
    the users' time zone, text ``YYYY-MM-DD``, computed by the database.

    PostgreSQL converts with its own zone data; SQLite, which has none, adds the zone's
    offset, switching offsets at the daylight-saving changes within the days asked for.
    """
    zone_name = str(get_timezone())
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(zone_name, column), "YYYY-MM-DD")
    start, end = day_range_utc(first, last)
    changes = _offset_changes(ZoneInfo(zone_name), start, end)
    (_since, offset), *later = changes
    if not later:
        return sa.func.date(column, _minutes(offset))
    whens = []
    for (_since, offset), (until, _next) in zip(changes, later, strict=False):
        whens.append((column < until, sa.func.date(column, _minutes(offset))))
    return sa.case(*whens, else_=sa.func.date(column, _minutes(later[-1][1])))


def _minutes(offset: timedelta) -> str:
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime
                    ) -> list[tuple[datetime, timedelta]]:
    """From ``start`` to ``end`` (UTC): each moment the zone's UTC offset changes, with the
    offset from then on (the first entry: ``start`` and its offset)."""
    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset()

    changes = [(start, offset(start))]
    day, step = timedelta(days=1), timedelta(minutes=15)
    moment = start
    while moment < end:
        following = min(moment + day, end)
        if offset(following) != changes[-1][1]:
            # Somewhere in this day: find the quarter hour it happened at.
            at = moment
            while offset(at) == changes[-1][1]:
                at += step
            changes.append((at, offset(at)))
        moment = following
    return changes
