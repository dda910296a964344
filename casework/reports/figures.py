"""The numbers of the risk landscape for a period and market, as the reader may see them.

Every query is limited by ``visible_cases`` / ``visible_signals``: a restricted case never
counts in the numbers of someone who may not see it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_timezone
from flask_babel import gettext as _

from casework.cases.queries import (
    in_days,
    local_today,
    visible_cases,
    visible_signals,
)
from casework.errors import ValidationFailed
from casework.extensions import db
from casework.models import (
    AuditEvent,
    Case,
    CaseMarket,
    CaseSurface,
    MitigationAction,
    Signal,
    User,
)
from casework.models.action import PENDING_ACTION_STATUSES
from casework.models.case import OPEN_STATES
from casework.vocabulary import (
    Band,
    CaseState,
    Category,
    Market,
    SignalSource,
    Surface,
    TransitionAction,
    band_for,
)

DEFAULT_DAYS = 7
MAX_DAYS = 400  # a year and a bit: enough for an annual report, bounded for the renderer
TOP_RISKS = 10
CLOSED_LISTED = 50
# Emerging categories: this period against the average of the periods before it.
EMERGING_BASELINE_PERIODS = 4
EMERGING_LISTED = 3


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` (both included), optionally one market."""

    first: date
    last: date
    market: Market | None = None

    @classmethod
    def default(cls, today: date | None = None, market: Market | None = None) -> Period:
        last = today or local_today()
        return cls(last - timedelta(days=DEFAULT_DAYS - 1), last, market)

    @classmethod
    def from_values(cls, first: str | None, last: str | None, market: str | None) -> Period:
        """A period from text (``YYYY-MM-DD``); a missing end means today, a missing start
        a week before the end.

        :raise ValidationFailed: a date or market that is not one, or a period out of order
            or too long.
        """
        try:
            chosen = Market(market) if market else None
        except ValueError:
            raise ValidationFailed(_("Unknown market: %(market)s.", market=market),
                                   "market") from None
        try:
            end = date.fromisoformat(last) if last else local_today()
            start = (date.fromisoformat(first) if first
                     else end - timedelta(days=DEFAULT_DAYS - 1))
        except ValueError:
            raise ValidationFailed(_("Dates are written as YYYY-MM-DD, e.g. 2026-03-31."),
                                   "from") from None
        if start > end:
            raise ValidationFailed(_("The period must start before it ends."), "from")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationFailed(_("A period may be at most %(days)d days long.",
                                     days=MAX_DAYS), "from")
        return cls(start, end, chosen)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def shifted(self, periods: int) -> Period:
        """The period of the same length ``periods`` lengths earlier (1: the previous)."""
        step = timedelta(days=self.days * periods)
        return Period(self.first - step, self.last - step, self.market)

    def args(self) -> dict[str, str]:
        """Query arguments for links back to this period."""
        values = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.market:
            values["market"] = self.market.value
        return values

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


@dataclass
class Flows:
    """What happened within a period."""

    signals_in: int
    cases_opened: int
    cases_closed: int
    median_days_to_assign: float | None
    median_days_to_close: float | None


@dataclass
class Landscape:
    period: Period
    today: date
    flows: Flows
    previous: Flows
    open_by_band: dict[Band, int]
    overdue_actions: int
    signals_by_day: list[tuple[SignalSource, list[int]]]
    open_by_category_market: dict[tuple[Category, Market], int]
    open_by_surface: list[tuple[Surface, int]]
    top_open: list[Case]
    closed: list[Case]
    closed_total: int
    emerging: list[Emerging] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_band.values())

    @property
    def markets(self) -> list[Market]:
        return [self.period.market] if self.period.market else list(Market)


@dataclass
class Emerging:
    category: Category
    count: int
    average: float

    @property
    def rise(self) -> float:
        return self.count - self.average


def _case_scope(user: User, market: Market | None) -> list:
    conditions = [visible_cases(user)]
    if market:
        # An alias, so that queries joining CaseMarket themselves do not correlate it away.
        touched = sa.orm.aliased(CaseMarket)
        conditions.append(sa.exists().where(touched.case_id == Case.id,
                                            touched.market == market))
    return conditions


def _signal_scope(user: User, market: Market | None) -> list:
    conditions = [visible_signals(user)]
    if market:
        conditions.append(Signal.market == market)
    return conditions


def _count(statement) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def _days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def flows(user: User, period: Period) -> Flows:
    """Signals in, cases opened and closed, and the median days to assign and to close."""
    signals_in = _count(sa.select(Signal.id).where(
        *_signal_scope(user, period.market), in_days(Signal.created_at, period.first,
                                                     period.last)))
    opened = db.session.execute(sa.select(Case.id, Case.created_at).where(
        *_case_scope(user, period.market),
        in_days(Case.created_at, period.first, period.last))).all()
    closed = db.session.execute(sa.select(Case.created_at, Case.closed_at).where(
        *_case_scope(user, period.market), Case.state == CaseState.CLOSED,
        in_days(Case.closed_at, period.first, period.last))).all()
    # Of the cases opened in the period: days from opening to their first assignment.
    first_assigned = dict(db.session.execute(
        sa.select(AuditEvent.case_id, sa.func.min(AuditEvent.occurred_at))
        .where(AuditEvent.entity_type == "case",
               AuditEvent.action == TransitionAction.ASSIGN.value,
               AuditEvent.case_id.in_([case_id for case_id, _created in opened]))
        .group_by(AuditEvent.case_id)).all()) if opened else {}
    to_assign = []
    for case_id, created in opened:
        assigned = first_assigned.get(case_id)
        if assigned is not None:
            # SQLite hands back aggregates as naive text-parsed datetimes: they are UTC.
            assigned = _as_utc(assigned)
            to_assign.append(_days_between(created, assigned))
    return Flows(
        signals_in=signals_in,
        cases_opened=len(opened),
        cases_closed=len(closed),
        median_days_to_assign=_median(to_assign),
        median_days_to_close=_median([_days_between(c, d) for c, d in closed]),
    )


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def landscape(user: User, period: Period, *, today: date | None = None) -> Landscape:
    """Every figure of the dashboard and the Lagebericht for ``period``, as ``user`` sees it."""
    today = today or local_today()
    zone = ZoneInfo(str(get_timezone()))
    market = period.market
    scope = _case_scope(user, market)
    is_open = Case.state.in_(OPEN_STATES)

    by_score = db.session.execute(
        sa.select(Case.score, sa.func.count()).where(*scope, is_open).group_by(Case.score)).all()
    open_by_band = dict.fromkeys(Band, 0)
    for score, count in by_score:
        open_by_band[band_for(score)] += count

    overdue = _count(sa.select(MitigationAction.id).join(Case).where(
        *scope, MitigationAction.status.in_(PENDING_ACTION_STATUSES),
        MitigationAction.due < today))

    category_market = sa.select(Case.category, CaseMarket.market, sa.func.count()).join(
        CaseMarket, CaseMarket.case_id == Case.id).where(*scope, is_open)
    if market:
        category_market = category_market.where(CaseMarket.market == market)
    open_by_category_market = {
        (category, case_market): count for category, case_market, count in db.session.execute(
            category_market.group_by(Case.category, CaseMarket.market)).all()}

    surfaces = dict(db.session.execute(
        sa.select(CaseSurface.surface, sa.func.count()).join(Case, CaseSurface.case_id == Case.id)
        .where(*scope, is_open).group_by(CaseSurface.surface)).all())

    top_open = list(db.session.scalars(
        sa.select(Case).where(*scope, is_open)
        .options(sa.orm.joinedload(Case.owner))
        .order_by(Case.score.desc(), Case.updated_at.desc(), Case.id.desc()).limit(TOP_RISKS)))

    closed_query = sa.select(Case).where(*scope, Case.state == CaseState.CLOSED,
                                         in_days(Case.closed_at, period.first, period.last))
    closed_total = _count(closed_query)
    closed = list(db.session.scalars(
        closed_query.order_by(Case.closed_at.desc(), Case.id.desc()).limit(CLOSED_LISTED)))

    # Signals of this period and of the baseline periods before it, counted by local day.
    baseline_start = period.shifted(EMERGING_BASELINE_PERIODS).first
    rows = db.session.execute(
        sa.select(Signal.created_at, Signal.source, Signal.category)
        .where(*_signal_scope(user, market), in_days(Signal.created_at, baseline_start,
                                                     period.last))).all()
    days = period.each_day()
    per_day: dict[SignalSource, Counter] = defaultdict(Counter)
    current, earlier = Counter(), Counter()
    for created, source, category in rows:
        day = _local_day(created, zone)
        if day >= period.first:
            per_day[source][day] += 1
            current[category] += 1
        else:
            earlier[category] += 1
    signals_by_day = [(source, [per_day[source][day] for day in days]) for source in SignalSource]

    emerging = [Emerging(category, current[category],
                         earlier[category] / EMERGING_BASELINE_PERIODS)
                for category in Category]
    emerging = sorted((e for e in emerging if e.rise > 0),
                      key=lambda e: (-e.rise, -e.count, e.category.value))[:EMERGING_LISTED]

    return Landscape(
        period=period, today=today,
        flows=flows(user, period), previous=flows(user, period.shifted(1)),
        open_by_band=open_by_band, overdue_actions=overdue,
        signals_by_day=signals_by_day,
        open_by_category_market=open_by_category_market,
        open_by_surface=[(surface, surfaces.get(surface, 0)) for surface in Surface],
        top_open=top_open, closed=closed, closed_total=closed_total, emerging=emerging,
    )
