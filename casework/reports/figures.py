"""The numbers of the risk landscape for a period and market, as the reader may see them.

Every query is limited by ``visible_cases`` / ``visible_signals`` (``casework.visibility``):
a restricted case never counts in the numbers of someone who may not see it.
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_timezone
from flask_babel import gettext as _

from casework.audit.chain import HEAD_ID
from casework.cases.queries import case_is_open
from casework.errors import ValidationFailed
from casework.extensions import db
from casework.localtime import in_days, local_day, local_today
from casework.models import (
    AuditEvent,
    AuditHead,
    Case,
    CaseMarket,
    CaseSurface,
    MitigationAction,
    Signal,
    User,
)
from casework.models.action import PENDING_ACTION_STATUSES
from casework.validation import check_day, parse_day
from casework.visibility import sight_key, visible_cases, visible_signals
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
        # Every refusal names "from": the period is refused as a whole.
        end = parse_day(last, "from") or local_today()
        start = parse_day(first, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
        check_day(start, "from")
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


@dataclass(frozen=True)
class Counts:
    """The counted part of a landscape: plain numbers, safe to keep between requests."""

    flows: Flows
    previous: Flows
    open_by_band: dict[Band, int]
    overdue_actions: int
    overdue_cases: int
    signals_by_day: list[tuple[SignalSource, list[int]]]
    open_by_category_market: dict[tuple[Category, Market], int]
    open_by_surface: list[tuple[Surface, int]]
    emerging: list[Emerging]


@dataclass(frozen=True)
class Landscape(Counts):
    """The counts, and the cases listed with them, for a period as one reader sees it."""

    period: Period
    today: date
    key: tuple  # the state the counts were taken in (see _state_key)
    top_open: list[Case]
    closed: list[Case]
    closed_total: int

    @property
    def open_total(self) -> int:
        return sum(self.open_by_band.values())

    @property
    def markets(self) -> list[Market]:
        return [self.period.market] if self.period.market else list(Market)


def landscape(user: User, period: Period, *, today: date | None = None) -> Landscape:
    """Every figure of the dashboard and the Lagebericht for ``period``, as ``user`` sees it."""
    today = today or local_today()
    scope = _case_scope(user, period.market)
    is_open = case_is_open()
    key = _state_key(user, period, today)
    counted = remember("landscapes", key, lambda: _count_landscape(user, period, today))

    top_open = list(db.session.scalars(
        sa.select(Case).where(*scope, is_open)
        .options(sa.orm.joinedload(Case.owner))
        .order_by(Case.score.desc(), Case.updated_at.desc(), Case.id.desc()).limit(TOP_RISKS)))
    closed_query = sa.select(Case).where(*scope, Case.state == CaseState.CLOSED,
                                         in_days(Case.closed_at, period.first, period.last))
    closed = list(db.session.scalars(
        closed_query.order_by(Case.closed_at.desc(), Case.id.desc()).limit(CLOSED_LISTED)))
    return Landscape(**vars(counted), period=period, today=today, key=key,
                     top_open=top_open, closed=closed, closed_total=counted.flows.cases_closed)


# Counting the landscape reads every open case and a few weeks of signals: the counts are
# kept per database state (the audit chain's head: every change to a case, a signal or a
# user moves it), reader's view, period and day, so a figure is never stale, yet the same
# dashboard is not counted again until something changes.
_REMEMBERED = 64
_remember_lock = threading.Lock()


def remember(store: str, key: tuple, compute):
    """``compute()``, or what it gave before for ``key`` in this application's ``store``
    (the latest few dozen results, kept in this process's memory only)."""
    kept: OrderedDict = current_app.extensions.setdefault(f"casework_{store}", OrderedDict())
    with _remember_lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    value = compute()
    with _remember_lock:
        kept[key] = value
        while len(kept) > _REMEMBERED:
            kept.popitem(last=False)
    return value


def _state_key(user: User, period: Period, today: date) -> tuple:
    """What the landscape's counts depend on: the data (the chain's head), what the reader
    may see, the period, the day and the time zone."""
    head = db.session.execute(
        sa.select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
    return (tuple(head) if head else None, sight_key(user), period, today,
            str(get_timezone()))


def _count_landscape(user: User, period: Period, today: date) -> Counts:
    market = period.market
    # The open cases first (a small share of all; the state index finds them), then what
    # hangs off them: the planner would otherwise walk a whole index in GROUP BY order.
    open_cases = (sa.select(Case.id, Case.category, Case.score)
                  .where(*_case_scope(user, market), case_is_open())
                  .cte("open_cases").prefix_with("MATERIALIZED"))

    open_by_band = dict.fromkeys(Band, 0)
    for score, count in db.session.execute(
            sa.select(open_cases.c.score, sa.func.count()).group_by(open_cases.c.score)):
        open_by_band[band_for(score)] += count

    # Pending actions past their due day, on any case the reader sees (as the queue's
    # "overdue" filter lists them).
    overdue_actions, overdue_cases = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(MitigationAction.case_id)))
        .join(Case, Case.id == MitigationAction.case_id)
        .where(*_case_scope(user, market), MitigationAction.status.in_(PENDING_ACTION_STATUSES),
               MitigationAction.due < today)).one()

    category_market = (
        sa.select(open_cases.c.category, CaseMarket.market, sa.func.count())
        .join(CaseMarket, CaseMarket.case_id == open_cases.c.id)
        .group_by(open_cases.c.category, CaseMarket.market))
    if market:
        category_market = category_market.where(CaseMarket.market == market)
    open_by_category_market = {
        (Category(category), Market(case_market)): count
        for category, case_market, count in db.session.execute(category_market)}

    surfaces = {Surface(surface): count for surface, count in db.session.execute(
        sa.select(CaseSurface.surface, sa.func.count())
        .join(open_cases, open_cases.c.id == CaseSurface.case_id)
        .group_by(CaseSurface.surface))}

    # Signals of this period and of the baseline periods before it, counted by local day.
    baseline_start = period.shifted(EMERGING_BASELINE_PERIODS).first
    day = local_day(Signal.created_at, baseline_start, period.last)
    rows = db.session.execute(
        sa.select(day, Signal.source, Signal.category, sa.func.count())
        .where(*_signal_scope(user, market), in_days(Signal.created_at, baseline_start,
                                                     period.last))
        .group_by(day, Signal.source, Signal.category))
    first = period.first.isoformat()
    per_day: dict[SignalSource, Counter] = defaultdict(Counter)
    current, earlier = Counter(), Counter()
    for day_text, source, category, count in rows:
        if str(day_text) >= first:
            per_day[SignalSource(source)][str(day_text)] += count
            current[Category(category)] += count
        else:
            earlier[Category(category)] += count
    days = [day.isoformat() for day in period.each_day()]
    signals_by_day = [(source, [per_day[source][day] for day in days]) for source in SignalSource]

    emerging = [Emerging(category, current[category],
                         earlier[category] / EMERGING_BASELINE_PERIODS)
                for category in Category]
    emerging = sorted((e for e in emerging if e.rise > 0),
                      key=lambda e: (-e.rise, -e.count, e.category.value))[:EMERGING_LISTED]

    return Counts(
        flows=flows(user, period), previous=flows(user, period.shifted(1)),
        open_by_band=open_by_band, overdue_actions=overdue_actions,
        overdue_cases=overdue_cases, signals_by_day=signals_by_day,
        open_by_category_market=open_by_category_market,
        open_by_surface=[(surface, surfaces.get(surface, 0)) for surface in Surface],
        emerging=emerging,
    )
