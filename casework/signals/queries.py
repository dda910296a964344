"""Reading signals for the inbox and the API: filters on indexed columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from casework import search
from casework.localtime import in_days
from casework.models import Case, Signal, User
from casework.pagination import Count, lean_count
from casework.validation import lenient_date, lenient_enum
from casework.visibility import hidden_from, visible_count, visible_signals
from casework.vocabulary import Category, Market, SignalSource, SignalStatus


@dataclass
class SignalFilters:
    status: SignalStatus | None = None
    source: SignalSource | None = None
    market: Market | None = None
    category: Category | None = None
    q: str = ""
    # The local days a signal was received on (the dashboard links here with them).
    received_from: date | None = None
    received_to: date | None = None

    @classmethod
    def from_args(cls, args, *, default_status: str = "new") -> SignalFilters:
        """The inbox's filters from query arguments, leniently (bad values are ignored)."""
        return cls(
            status=lenient_enum(SignalStatus, args.get("status", default_status)),
            source=lenient_enum(SignalSource, args.get("source")),
            market=lenient_enum(Market, args.get("market")),
            category=lenient_enum(Category, args.get("category")),
            q=(args.get("q") or "").strip()[:200],
            received_from=lenient_date(args.get("from")),
            received_to=lenient_date(args.get("to")),
        )

    def select(self, user: User) -> sa.Select:
        """Signals the user may see that match, newest first."""
        return (self._filtered(sa.select(Signal).where(visible_signals(user)))
                .order_by(Signal.created_at.desc(), Signal.id.desc()))

    def count(self, user: User, limit: int | None = None) -> Count:
        """How many signals :meth:`select` finds (up to ``limit``): those a manager would
        see, less those of restricted cases this user may not see (few, and indexed)."""
        total = lean_count(self._filtered(sa.select(Signal.id)), limit)
        return visible_count(user, total, lambda: self._filtered(
            sa.select(Signal.id).join(Case, Case.id == Signal.case_id).where(hidden_from(user))))

    def _filtered(self, query: sa.Select) -> sa.Select:
        if self.status:
            query = query.where(Signal.status == self.status)
        if self.source:
            query = query.where(Signal.source == self.source)
        if self.market:
            query = query.where(Signal.market == self.market)
        if self.category:
            query = query.where(Signal.category == self.category)
        if self.received_from or self.received_to:
            query = query.where(in_days(Signal.created_at, self.received_from,
                                        self.received_to))
        if self.q:
            # The title or reference contains the text, or the title and description have
            # its words as German speakers type them (the full-text index).
            pattern = f"%{self.q}%"
            matches = [Signal.title.ilike(pattern), Signal.external_ref.ilike(pattern)]
            if (found := search.matching_ids("signals", self.q)) is not None:
                matches.append(Signal.id.in_(found))
            query = query.where(sa.or_(*matches))
        return query


