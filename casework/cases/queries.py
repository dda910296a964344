"""Reading cases for the queue: filters, search and sorting on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case, CaseMarket, Signal, User
from casework.models.case import OPEN_STATES
from casework.permissions import can_see_restricted
from casework.vocabulary import Band, CaseState, Category, Market, score_range


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
    hidden = sa.select(Case.id).where(Case.restricted.is_(True),
                                      sa.or_(Case.owner_id.is_(None), Case.owner_id != user.id))
    return sa.or_(Signal.case_id.is_(None), Signal.case_id.not_in(hidden))


SORTS = {
    "severity": (Case.score.desc(), Case.updated_at.desc()),
    "updated": (Case.updated_at.desc(),),
    "created": (Case.created_at.desc(),),
}


def _member(enum_cls, value):
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


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

    @classmethod
    def from_args(cls, args) -> CaseFilters:
        sort = args.get("sort", "severity")
        return cls(
            state=_member(CaseState, args.get("state")),
            market=_member(Market, args.get("market")),
            category=_member(Category, args.get("category")),
            band=_member(Band, args.get("band")),
            owner=(args.get("owner") or "").strip(),
            q=(args.get("q") or "").strip()[:200],
            sort=sort if sort in SORTS else "severity",
        )

    def select(self, user: User) -> sa.Select:
        query = sa.select(Case).where(visible_cases(user))
        if self.state:
            query = query.where(Case.state == self.state)
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
            pattern = f"%{self.q}%"
            query = query.where(sa.or_(Case.key.ilike(pattern), Case.title.ilike(pattern)))
        return query.order_by(*SORTS[self.sort], Case.id.desc())


def find_cases(user: User, text: str, *, open_only: bool = True, limit: int = 20) -> list[Case]:
    """Cases the user may see whose key or title contains ``text``, newest first."""
    query = sa.select(Case).where(visible_cases(user))
    if text.strip():
        pattern = f"%{text.strip()}%"
        query = query.where(sa.or_(Case.key.ilike(pattern), Case.title.ilike(pattern)))
    if open_only:
        query = query.where(Case.state.in_(OPEN_STATES))
    return list(db.session.scalars(query.order_by(Case.created_at.desc()).limit(limit)))
