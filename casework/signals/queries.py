"""Reading signals for the inbox and the API: filters on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from casework.cases.queries import visible_signals
from casework.models import Signal, User
from casework.vocabulary import Category, Market, SignalSource, SignalStatus


@dataclass
class SignalFilters:
    status: SignalStatus | None = None
    source: SignalSource | None = None
    market: Market | None = None
    category: Category | None = None
    q: str = ""

    def select(self, user: User) -> sa.Select:
        """Signals the user may see that match, newest first."""
        query = sa.select(Signal).where(visible_signals(user))
        if self.status:
            query = query.where(Signal.status == self.status)
        if self.source:
            query = query.where(Signal.source == self.source)
        if self.market:
            query = query.where(Signal.market == self.market)
        if self.category:
            query = query.where(Signal.category == self.category)
        if self.q:
            pattern = f"%{self.q}%"
            query = query.where(sa.or_(Signal.title.ilike(pattern),
                                       Signal.external_ref.ilike(pattern)))
        return query.order_by(Signal.created_at.desc(), Signal.id.desc())
