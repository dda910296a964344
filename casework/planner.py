"""Hints to SQLite's query planner about what its statistics cannot know.

SQLite's statistics (``ANALYZE``) know only the average number of rows per value of an
indexed column. A condition on a column with few values that few rows meet (the open
cases of a team that has worked a while, the restricted cases) therefore looks to it like
one that a large share of the table meets, and it reads the whole table instead of
looking the few rows up in the index. :func:`rare` tells it otherwise with SQLite's
``likelihood()``; other databases get the condition unchanged (PostgreSQL keeps the
distribution of values itself).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class _Rare(FunctionElement):
    """A condition that few rows meet, said so to SQLite's planner."""

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


def rare(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """``condition``, marked as one few rows meet."""
    return _Rare(condition)
