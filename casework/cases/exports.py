"""The case queue as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Response

from casework.cases.queries import CaseFilters
from casework.languages import language_from, written_in
from casework.models import Case, MitigationAction, Signal, User
from casework.spreadsheets import Column, audited_export

COLUMNS = [
    Column("key", lambda c: c.key),
    Column("title", lambda c: c.title),
    Column("state", lambda c: c.state),
    Column("category", lambda c: c.category),
    Column("markets", lambda c: list(c.markets)),
    Column("surfaces", lambda c: list(c.surfaces)),
    Column("likelihood", lambda c: c.likelihood),
    Column("impact", lambda c: c.impact),
    Column("score", lambda c: c.score),
    Column("band", lambda c: c.band),
    Column("owner", lambda c: c.owner.email if c.owner else None),
    Column("resolution", lambda c: c.resolution),
    Column("restricted", lambda c: "yes" if c.restricted else "no"),
    Column("signals", lambda c: len(c.signals)),
    Column("actions", lambda c: len(c.actions)),
    Column("created_at_utc", lambda c: c.created_at),
    Column("updated_at_utc", lambda c: c.updated_at),
    Column("closed_at_utc", lambda c: c.closed_at),
]


def cases_export(user: User, filters: CaseFilters, fmt: str,
                 lang: str | None = None) -> Response:
    """The cases the user may see under ``filters``, audited. The file holds canonical
    values and field names whatever the language; ``lang`` (else the page's) is that of
    the refusals.

    :raise ValidationFailed: more cases than an export may hold, or an unknown ``lang``.
    :raise TooManyRequests: the user has as many downloads under way as they may.
    """
    # The signals and actions columns count: their ids, a query per batch of cases,
    # rather than two queries per case.
    query = filters.select(user).options(
        sa.orm.selectinload(Case.signals).load_only(Signal.id),
        sa.orm.selectinload(Case.actions).load_only(MitigationAction.id))
    with written_in(language_from(lang)):
        return audited_export(user, query, what="cases", filters=filters, fmt=fmt,
                              columns=COLUMNS, count=partial(filters.count, user))
