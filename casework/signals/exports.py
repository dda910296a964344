"""The signal inbox as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Response

from casework.languages import language_from, written_in
from casework.models import Case, Signal, User
from casework.signals.queries import SignalFilters
from casework.spreadsheets import Column, audited_export

# The headers are the canonical field names, which the import reads back as they are.
COLUMNS = [
    Column("id", lambda s: s.id),
    Column("title", lambda s: s.title),
    Column("description", lambda s: s.description),
    Column("source", lambda s: s.source),
    Column("market", lambda s: s.market),
    Column("surface", lambda s: s.surface),
    Column("category", lambda s: s.category),
    Column("url", lambda s: s.url),
    Column("observed_at", lambda s: s.observed_at),
    Column("external_ref", lambda s: s.external_ref),
    Column("status", lambda s: s.status),
    Column("case", lambda s: s.case.key if s.case else None),
    Column("received_at_utc", lambda s: s.created_at),
]


def signals_export(user: User, filters: SignalFilters, fmt: str,
                   lang: str | None = None) -> Response:
    """The signals the user may see under ``filters``, audited. The file holds canonical
    values and field names whatever the language; ``lang`` (else the page's) is that of
    the refusals.

    :raise ValidationFailed: more signals than an export may hold, or an unknown ``lang``.
    :raise TooManyRequests: the user has as many downloads under way as they may.
    """
    # The case column needs the key alone: joined in, not a query per case (nor the
    # case's markets and surfaces, which a case otherwise loads with it).
    case = sa.orm.joinedload(Signal.case)
    query = filters.select(user).options(
        case.load_only(Case.key), case.lazyload(Case.market_rows),
        case.lazyload(Case.surface_rows))
    with written_in(language_from(lang)):
        return audited_export(user, query, what="signals", filters=filters, fmt=fmt,
                              columns=COLUMNS, count=partial(filters.count, user))
