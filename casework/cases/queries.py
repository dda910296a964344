"""Reading cases for the queue: filters, search and sorting on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casework import search
from casework.extensions import db
from casework.localtime import in_days, local_today
from casework.models import Case, CaseMarket, CaseSurface, MitigationAction, User
from casework.models.action import PENDING_ACTION_STATUSES
from casework.models.case import OPEN_STATES
from casework.pagination import Count, lean_count
from casework.planner import rare
from casework.validation import lenient_date, lenient_enum, whole_number
from casework.visibility import hidden_from, visible_cases, visible_count
from casework.vocabulary import Band, CaseState, Category, Market, Surface, score_range


def case_is_open() -> sa.ColumnElement[bool]:
    """The case is open (not closed or dismissed): rare, since most cases of a team that
    has worked a while are closed (see :mod:`casework.planner`)."""
    return rare(Case.state.in_(sorted(OPEN_STATES)))


SORTS = {
    "severity": (Case.score.desc(), Case.updated_at.desc()),
    "updated": (Case.updated_at.desc(),),
    "created": (Case.created_at.desc(),),
}


def has_overdue_action(today: date) -> sa.ColumnElement[bool]:
    """The case has a planned or running mitigation action due before ``today``."""
    return sa.exists().where(
        MitigationAction.case_id == Case.id,
        MitigationAction.status.in_(PENDING_ACTION_STATUSES),
        MitigationAction.due < today,
    )


def text_matches(text: str) -> sa.ColumnElement[bool]:
    """The case's key starts with ``text``, or its title or summary has its words, as
    German speakers type them (the full-text index, see :mod:`casework.search`); on
    engines without one, the key or title contains ``text`` (LIKE)."""
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
        elif (owner_id := whole_number(self.owner)) is not None:
            query = query.where(Case.owner_id == owner_id)
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
        return visible_count(user, total, lambda: self._filtered(
            sa.select(Case.id).where(hidden_from(user)), user))


def find_cases(user: User, text: str, *, open_only: bool = True, limit: int = 20) -> list[Case]:
    """Cases the user may see whose key or title contains ``text``, newest first."""
    query = sa.select(Case).where(visible_cases(user))
    if text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(sa.or_(Case.key.ilike(pattern), Case.title.ilike(pattern)))
    if open_only:
        query = query.where(case_is_open())
    return list(db.session.scalars(query.order_by(Case.created_at.desc()).limit(limit)))
