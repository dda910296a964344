"""Reading cases for the queue: filters, search and sorting on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import get_timezone
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from casework import search
from casework.extensions import db
from casework.models import Case, CaseMarket, CaseSurface, MitigationAction, Signal, User
from casework.models.action import PENDING_ACTION_STATUSES
from casework.models.case import OPEN_STATES
from casework.pagination import Count, lean_count
from casework.permissions import can_see_restricted
from casework.validation import lenient_date, lenient_enum
from casework.vocabulary import Band, CaseState, Category, Market, Surface, score_range


class _Rare(FunctionElement):
    """A condition that few rows meet, said so to SQLite's planner (see :func:`case_is_open`)."""

    inherit_cache = True
    # Not Boolean: SQLite would then be sent "likelihood(...) = 1", which its planner
    # does not see through.
    type = sa.types.NullType()


@compiles(_Rare)
def _rare_anywhere(element, compiler, **kw):
    (condition,) = element.clauses
    return compiler.process(condition, **kw)


@compiles(_Rare, "sqlite")
def _rare_on_sqlite(element, compiler, **kw):
    (condition,) = element.clauses
    return f"likelihood({compiler.process(condition, **kw)}, 0.05)"


def case_is_open() -> sa.ColumnElement[bool]:
    """The case is open (not closed or dismissed).

    Most cases of a team that has worked a while are closed, but SQLite's statistics only
    know the average number of cases per state: without being told that open ones are
    rare it reads the whole table to find them. PostgreSQL knows the distribution itself.
    """
    return rare(Case.state.in_(sorted(OPEN_STATES)))


def rare(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """``condition``, marked as one few rows meet (see :func:`case_is_open`)."""
    return _Rare(condition)


def visible_cases(user: User) -> sa.ColumnElement[bool]:
    """The condition that keeps restricted cases out of sight of those who may not see them.

    Every list, count, search and export of cases adds it to its WHERE clause.
    """
    if can_see_restricted(user):
        return sa.true()
    return sa.or_(Case.restricted.is_(False), Case.owner_id == user.id)


def visible_signals(user: User) -> sa.ColumnElement[bool]:
    """Signals whose case the user may see (or that have no case)."""
    if can_see_restricted(user):
        return sa.true()
    hidden = sa.select(Case.id).where(hidden_from(user))
    return sa.or_(Signal.case_id.is_(None), Signal.case_id.not_in(hidden))


def hidden_from(user: User) -> sa.ColumnElement[bool]:
    """The cases ``user`` may not see (the opposite of :func:`visible_cases`, written so
    that the index on restricted cases finds them: they are few)."""
    if can_see_restricted(user):
        return sa.false()
    return sa.and_(rare(Case.restricted.is_(True)),
                   sa.or_(Case.owner_id.is_(None), Case.owner_id != user.id))


SORTS = {
    "severity": (Case.score.desc(), Case.updated_at.desc()),
    "updated": (Case.updated_at.desc(),),
    "created": (Case.created_at.desc(),),
}




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


def has_overdue_action(today: date) -> sa.ColumnElement[bool]:
    """The case has a planned or running mitigation action due before ``today``."""
    return sa.exists().where(
        MitigationAction.case_id == Case.id,
        MitigationAction.status.in_(PENDING_ACTION_STATUSES),
        MitigationAction.due < today,
    )


def text_matches(text: str) -> sa.ColumnElement[bool]:
    """The case's key starts with ``text``, or its title or summary has its words (SQLite's
    FTS5 index); elsewhere, the key or title contains ``text`` (LIKE)."""
    found = search.matching_ids("cases", text)
    if found is None:
        pattern = f"%{text}%"
        return sa.or_(Case.key.ilike(pattern), Case.title.ilike(pattern))
    key = text.upper()
    return sa.or_(sa.and_(Case.key >= key, Case.key < key + "\uffff"), Case.id.in_(found))


@dataclass
class CaseFilters:
    """The queue's filters, read leniently from query arguments (bad values are ignored)."""

    state: CaseState | None = None
    market: Market | None = None
    category: Category | None = None
    band: Band | None = None
    owner: str = ""  # "", "mine", "none" or a user id
    q: str = ""
    sort: str = "severity"
    # Set by the dashboard's links (no field in the queue's form): state=open, a surface,
    # the local days a case was opened or closed on, cases with overdue actions.
    open_only: bool = False
    surface: Surface | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    overdue: bool = False

    @classmethod
    def from_args(cls, args) -> CaseFilters:
        sort = args.get("sort", "severity")
        return cls(
            state=lenient_enum(CaseState, args.get("state")),
            open_only=args.get("state") == "open",
            surface=lenient_enum(Surface, args.get("surface")),
            opened_from=lenient_date(args.get("opened_from")),
            opened_to=lenient_date(args.get("opened_to")),
            closed_from=lenient_date(args.get("closed_from")),
            closed_to=lenient_date(args.get("closed_to")),
            overdue=args.get("overdue") == "1",
            market=lenient_enum(Market, args.get("market")),
            category=lenient_enum(Category, args.get("category")),
            band=lenient_enum(Band, args.get("band")),
            owner=(args.get("owner") or "").strip(),
            q=(args.get("q") or "").strip()[:200],
            sort=sort if sort in SORTS else "severity",
        )

    @property
    def state_arg(self) -> str:
        """The state filter as the form's select spells it ("open" for every open state)."""
        return "open" if self.open_only and not self.state else (self.state or "")

    def extra_args(self) -> dict[str, str]:
        """The filters the queue's form has no field for, to carry along as hidden fields."""
        extra = {
            "surface": self.surface.value if self.surface else None,
            "opened_from": self.opened_from, "opened_to": self.opened_to,
            "closed_from": self.closed_from, "closed_to": self.closed_to,
            "overdue": "1" if self.overdue else None,
        }
        return {name: str(value) for name, value in extra.items() if value}

    def select(self, user: User) -> sa.Select:
        """The cases ``user`` may see that pass the filters, in the chosen order."""
        # Every page shows the owner: one JOIN, not one query per row.
        return (self._filtered(sa.select(Case).where(visible_cases(user)), user)
                .options(sa.orm.joinedload(Case.owner))
                .order_by(*SORTS[self.sort], Case.id.desc()))

    def _filtered(self, query: sa.Select, user: User) -> sa.Select:
        if self.state:
            query = query.where(Case.state == self.state)
        elif self.open_only:
            query = query.where(case_is_open())
        if self.surface:
            query = query.where(
                sa.exists().where(CaseSurface.case_id == Case.id,
                                  CaseSurface.surface == self.surface)
            )
        if self.opened_from or self.opened_to:
            query = query.where(in_days(Case.created_at, self.opened_from, self.opened_to))
        if self.closed_from or self.closed_to:
            query = query.where(Case.state == CaseState.CLOSED,
                                in_days(Case.closed_at, self.closed_from, self.closed_to))
        if self.overdue:
            query = query.where(has_overdue_action(local_today()))
        if self.market:
            query = query.where(
                sa.exists().where(CaseMarket.case_id == Case.id, CaseMarket.market == self.market)
            )
        if self.category:
            query = query.where(Case.category == self.category)
        if self.band:
            low, high = score_range(self.band)
            query = query.where(Case.score.between(low, high))
        if self.owner == "mine":
            query = query.where(Case.owner_id == user.id)
        elif self.owner == "none":
            query = query.where(Case.owner_id.is_(None))
        elif self.owner.isdigit():
            query = query.where(Case.owner_id == int(self.owner))
        if self.q:
            query = query.where(text_matches(self.q))
        return query

    def count(self, user: User, limit: int | None = None) -> Count:
        """How many cases :meth:`select` finds (up to ``limit``), counted the quick way.

        The cases a manager would see, less the restricted ones this user may not see:
        both counts fit an index, where "visible to this user" as one condition does not.
        A market or surface filter alone is counted from its link table's index (a row
        per case) without looking at the cases at all.
        """
        others = (self.state, self.open_only, self.opened_from, self.opened_to,
                  self.closed_from, self.closed_to, self.overdue, self.category, self.band,
                  self.owner, self.q)
        if not any(others) and bool(self.market) != bool(self.surface):
            link, column, value = ((CaseMarket, CaseMarket.market, self.market) if self.market
                                   else (CaseSurface, CaseSurface.surface, self.surface))
            total = lean_count(sa.select(link.case_id).where(column == value), limit)
        else:
            total = lean_count(self._filtered(sa.select(Case.id), user), limit)
        if can_see_restricted(user):
            return total
        return total.less(
            lean_count(self._filtered(sa.select(Case.id).where(hidden_from(user)), user)))


def find_cases(user: User, text: str, *, open_only: bool = True, limit: int = 20) -> list[Case]:
    """Cases the user may see whose key or title contains ``text``, newest first."""
    query = sa.select(Case).where(visible_cases(user))
    if text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(sa.or_(Case.key.ilike(pattern), Case.title.ilike(pattern)))
    if open_only:
        query = query.where(case_is_open())
    return list(db.session.scalars(query.order_by(Case.created_at.desc()).limit(limit)))
