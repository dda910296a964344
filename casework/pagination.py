"""One page of a query, from the request's ``page`` and ``per_page``, within bounds."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from casework.extensions import db

# Beyond this a page number is nonsense; it would only overflow the database's OFFSET.
MAX_PAGE = 1_000_000


def _bounded(name: str, default: int, upper: int) -> int:
    value = request.args.get(name, default, type=int)
    return min(max(value, 1), upper)


class LeanCountPagination(SelectPagination):
    """Counts the matching rows without reading them: ``SELECT count(*)`` over the query's
    FROM and WHERE only, which the database answers from an index where one fits (Flask-
    SQLAlchemy's own count selects every column, so SQLite reads every matching row)."""

    def _query_count(self) -> int:
        known = self._query_args.get("known_count")
        if known is not None:
            return known
        return lean_count(self._query_args["select"])


def lean_count(select: sa.Select) -> int:
    """How many rows ``select`` finds, counted over its FROM and WHERE only."""
    lean = select.with_only_columns(sa.literal(1), maintain_column_froms=True)
    sub = lean.order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(sub))


def paginate(query, *, per_page: int, max_per_page: int, count: int | None = None
             ) -> Pagination:
    """Bad or out-of-range values fall back to the nearest sensible page, never an error.

    ``count``: the number of rows ``query`` finds, when the caller knows it more cheaply.
    """
    return LeanCountPagination(select=query, session=db.session, known_count=count,
                               page=_bounded("page", 1, MAX_PAGE),
                               per_page=_bounded("per_page", per_page, max_per_page),
                               max_per_page=max_per_page, error_out=False, count=True)
