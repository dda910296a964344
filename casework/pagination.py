"""One page of a query, from the request's ``page`` and ``per_page``, within bounds."""

from __future__ import annotations

from flask import request
from flask_sqlalchemy.pagination import Pagination

from casework.extensions import db

# Beyond this a page number is nonsense; it would only overflow the database's OFFSET.
MAX_PAGE = 1_000_000


def _bounded(name: str, default: int, upper: int) -> int:
    value = request.args.get(name, default, type=int)
    return min(max(value, 1), upper)


def paginate(query, *, per_page: int, max_per_page: int) -> Pagination:
    """Bad or out-of-range values fall back to the nearest sensible page, never an error."""
    return db.paginate(query, page=_bounded("page", 1, MAX_PAGE),
                       per_page=_bounded("per_page", per_page, max_per_page),
                       max_per_page=max_per_page, error_out=False, count=True)
