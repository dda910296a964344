"""The case queue as CSV or XLSX, with the filters the person is looking at."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Response
from flask_babel import lazy_gettext as _l

from casework.cases.queries import CaseFilters
from casework.languages import language_from, written_in
from casework.models import Case, MitigationAction, Signal, User
from casework.spreadsheets import Column, audited_export

# Canonical field names for the API; a person's headers in their language.
COLUMNS = [
    Column("key", lambda c: c.key, _l("Case")),
    Column("title", lambda c: c.title, _l("Title")),
    Column("state", lambda c: c.state, _l("State")),
    Column("category", lambda c: c.category, _l("Category")),
    Column("markets", lambda c: list(c.markets), _l("Markets")),
    Column("surfaces", lambda c: list(c.surfaces), _l("Surfaces")),
    Column("likelihood", lambda c: c.likelihood, _l("Likelihood")),
    Column("impact", lambda c: c.impact, _l("Impact")),
    Column("score", lambda c: c.score, _l("Score")),
    Column("band", lambda c: c.band, _l("Severity")),
    Column("owner", lambda c: c.owner.email if c.owner else None, _l("Owner")),
    Column("resolution", lambda c: c.resolution, _l("Resolution")),
    Column("restricted", lambda c: c.restricted, _l("Restricted")),
    Column("signals", lambda c: len(c.signals), _l("Signals")),
    Column("actions", lambda c: len(c.actions), _l("Mitigation actions")),
    Column("created_at_utc", lambda c: c.created_at, _l("Opened (UTC)")),
    Column("updated_at_utc", lambda c: c.updated_at, _l("Updated (UTC)")),
    Column("closed_at_utc", lambda c: c.closed_at, _l("Closed (UTC)")),
]


def cases_export(user: User, filters: CaseFilters, fmt: str,
                 lang: str | None = None, *, for_reader: bool = False) -> Response:
    """The cases the user may see under ``filters``, audited. For a reader (the pages)
    the file is in ``lang``, else the page's language: translated headers and values; else
    (the API) canonical values and field names, and ``lang`` is that of the refusals.

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
                              columns=COLUMNS, for_reader=for_reader,
                              count=partial(filters.count, user))
