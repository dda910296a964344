"""Reading cases for the queue: filters, search and sorting on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from casework.models import Case, CaseMarket, User
from casework.vocabulary import Band, CaseState, Category, Market, score_range

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
        query = sa.select(Case)
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
