"""One page of a query, from the request's ``page`` and ``per_page``, within bounds.

Counting for pagination stops a fixed distance past the page shown (``COUNT_AHEAD`` rows):
what a count costs grows with how far the reader pages, not with the table, so a list of a
million matching rows counts as fast as one of ten thousand. Past that distance the total
is a lower bound ("more than 10,000 cases"), and grows as the reader pages on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from casework.errors import invalid_fields
from casework.extensions import db
from casework.validation import DB_INT_MAX, whole_number

# Beyond this a page number is nonsense; it would only overflow the database's OFFSET.
MAX_PAGE = 1_000_000
COUNT_AHEAD = 10_000


@dataclass(frozen=True)
class Count:
    """How many rows a list has: exactly, or (``exact`` false) at least ``number``."""

    number: int
    exact: bool = True

    def less(self, hidden: Count) -> Count:
        """This count without ``hidden`` (an exact count of rows among these)."""
        return Count(self.number - hidden.number, self.exact)


def lean_count(select: sa.Select, limit: int | None = None) -> Count:
    """How many rows ``select`` finds, counted over its FROM and WHERE only (an index
    answers where one fits), and at most ``limit``: past it, a lower bound."""
    lean = select.with_only_columns(sa.literal(1), maintain_column_froms=True).order_by(None)
    if limit is not None:
        lean = lean.limit(limit + 1)
    number = db.session.scalar(sa.select(sa.func.count()).select_from(lean.subquery()))
    if limit is not None and number > limit:
        return Count(limit, exact=False)
    return Count(number)


class LeanCountPagination(SelectPagination):
    """A page whose ``total`` was counted by :func:`lean_count` (or the caller), with
    ``total_is_exact`` false when counting stopped early and ``total`` is a lower bound.
    (Flask-SQLAlchemy's own count selects every column, so SQLite reads every row.)"""

    def _query_count(self) -> int:
        counted: Count = self._query_args["counted"]
        self.total_is_exact = counted.exact
        return counted.number


def paginate(query, *, per_page: int, max_per_page: int,
             count: Callable[[int], Count] | None = None, strict: bool = False) -> Pagination:
    """One page of ``query``. For pages, bad or out-of-range values fall back to the
    nearest sensible page, never an error; ``strict`` (the API) refuses them instead.

    ``count(limit)``: counts what ``query`` finds up to ``limit``, when the caller knows a
    cheaper way than counting ``query`` itself.

    :raise ValidationFailed: (strict only) a page or per_page outside its documented range.
    """
    read = _strictly if strict else _bounded
    page = read("page", 1, MAX_PAGE)
    per = read("per_page", per_page, max_per_page)
    limit = (page - 1) * per + COUNT_AHEAD
    counted = count(limit) if count else lean_count(query, limit)
    return LeanCountPagination(select=query, session=db.session, counted=counted, page=page,
                               per_page=per, max_per_page=max_per_page, error_out=False,
                               count=True)


def _bounded(name: str, default: int, upper: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    # Past the last page is the last page; anything that is no number is the default.
    number = whole_number(text, low=-DB_INT_MAX, high=DB_INT_MAX)
    if number is None:
        digits = text.strip()
        return upper if digits.isascii() and digits.isdigit() else default
    return min(max(number, 1), upper)


def _strictly(name: str, default: int, upper: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    number = whole_number(text, low=1, high=upper)
    if number is None:
        raise invalid_fields({name: _("Give a whole number from 1 to %(upper)d.", upper=upper)},
                             _("Some query parameters are not valid."))
    return number
