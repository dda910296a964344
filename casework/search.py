"""Full-text search behind one small interface.

On SQLite, FTS5 tables (``signals_fts``, ``cases_fts``; kept in step by triggers, see
migration 0006) rank candidates with bm25, accent- and case-insensitively. On other
engines the same functions fall back to the most recent rows in the filter (PostgreSQL's
own full-text search is the planned replacement, behind these same functions).
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from casework.extensions import db

# Tables that are not models: Alembic leaves them (and FTS5's shadow tables) alone.
FTS_TABLE = re.compile(r"^(signals|cases)_fts(_.*)?$")
MAX_TERMS = 24


def words(*texts: str | None) -> list[str]:
    """The searchable words of some texts: lower case, NFKC, three letters or more."""
    text = unicodedata.normalize("NFKC", " ".join(t for t in texts if t)).casefold()
    seen: dict[str, None] = {}
    for word in re.findall(r"\w{3,}", text):
        seen.setdefault(word)
    return list(seen)


def _has_fts() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _match(terms: list[str]) -> str:
    # Each term quoted: user text can never become FTS5 query syntax.
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms[:MAX_TERMS])


def ranked_ids(kind: str, terms: list[str], *, where: str, params: dict,
               limit: int) -> list[int] | None:
    """Ids of ``kind`` ("signals" or "cases") matching any of ``terms``, best first, that
    also satisfy ``where`` (SQL on the base table aliased ``t``). None without FTS."""
    if not _has_fts():
        return None
    if not terms:
        return []
    table = {"signals": "signals", "cases": "cases"}[kind]
    statement = sa.text(
        f"SELECT t.id FROM {table}_fts JOIN {table} AS t ON t.id = {table}_fts.rowid "
        f"WHERE {table}_fts MATCH :match AND ({where}) "
        f"ORDER BY bm25({table}_fts) LIMIT :limit"
    )
    rows = db.session.execute(statement, {**params, "match": _match(terms), "limit": limit})
    return [row[0] for row in rows]
