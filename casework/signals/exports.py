"""The signal inbox as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Response
from flask_babel import lazy_gettext as _l

from casework.languages import language_from, written_in
from casework.models import Case, Signal, User
from casework.signals.queries import SignalFilters
from casework.spreadsheets import Column, audited_export

# Canonical field names for the API; a person's headers in their language. The import
# reads either back (casework/signals/importing.py).
COLUMNS = [
    Column("id", lambda s: s.id, _l("ID")),
    Column("title", lambda s: s.title, _l("Title")),
    Column("description", lambda s: s.description, _l("Description")),
    Column("source", lambda s: s.source, _l("Source")),
    Column("market", lambda s: s.market, _l("Market")),
    Column("surface", lambda s: s.surface, _l("Surface")),
    Column("category", lambda s: s.category, _l("Category")),
    Column("url", lambda s: s.url, _l("Link")),
    Column("observed_at", lambda s: s.observed_at, _l("Observed at")),
    Column("external_ref", lambda s: s.external_ref, _l("External reference")),
    Column("status", lambda s: s.status, _l("Status")),
    Column("case", lambda s: s.case.key if s.case else None, _l("Case")),
    Column("received_at_utc", lambda s: s.created_at, _l("Received (UTC)")),
]


def signals_export(user: User, filters: SignalFilters, fmt: str,
                   lang: str | None = None, *, for_reader: bool = False) -> Response:
    """The signals the user may see under ``filters``, audited. For a reader (the pages)
    the file is in ``lang``, else the page's language: translated headers and values; else
    (the API) canonical values and field names, and ``lang`` is that of the refusals.

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
                              columns=COLUMNS, for_reader=for_reader,
                              count=partial(filters.count, user))
