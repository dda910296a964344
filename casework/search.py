"""Full-text search behind one small interface.

On SQLite, FTS5 tables (``signals_fts``, ``cases_fts``; kept in step by triggers, see
migration 0006) rank candidates with bm25; on PostgreSQL, GIN indexes on tsvector
expressions (migration 0008) rank them with ts_rank. Both accent- and case-insensitively.
On other engines the same functions fall back to the most recent rows in the filter.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from casework.extensions import db

# Tables that are not models: Alembic leaves them (and FTS5's shadow tables) alone.
FTS_TABLE = re.compile(r"^(signals|cases)_fts(_.*)?$")
MAX_TERMS = 24
# The documents migration 0008 indexes on PostgreSQL; a query must repeat them exactly.
POSTGRESQL_DOCUMENTS = {
    "signals": "to_tsvector('casework_search', coalesce(t.title, '') || ' ' || "
               "coalesce(t.description, ''))",
    "cases": "to_tsvector('casework_search', coalesce(t.title, '') || ' ' || "
             "coalesce(t.summary, ''))",
}
# Expression indexes Alembic cannot compare with the models: migrations/env.py skips them.
POSTGRESQL_INDEXES = frozenset({"ix_signals_search", "ix_cases_search"})


def words(*texts: str | None) -> list[str]:
    """The searchable words of some texts: lower case, NFKC, three letters or more."""
    text = unicodedata.normalize("NFKC", " ".join(t for t in texts if t)).casefold()
    seen: dict[str, None] = {}
    for word in re.findall(r"\w{3,}", text):
        seen.setdefault(word)
    return list(seen)


def _engine() -> str:
    return db.session.get_bind().dialect.name


def _tsquery(terms: list[str]) -> str:
    # Each term a quoted lexeme: user text can never become tsquery syntax.
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms[:MAX_TERMS])
    return " | ".join(quoted)


def _match(terms: list[str]) -> str:
    # Each term quoted: user text can never become FTS5 query syntax.
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms[:MAX_TERMS])


def ranked_ids(kind: str, terms: list[str], *, where: str, params: dict,
               limit: int) -> list[int] | None:
    """Ids of ``kind`` ("signals" or "cases") matching any of ``terms``, best first, that
    also satisfy ``where`` (SQL on the base table aliased ``t``). None without FTS."""
    engine = _engine()
    if engine not in ("sqlite", "postgresql"):
        return None
    if not terms:
        return []
    table = {"signals": "signals", "cases": "cases"}[kind]
    if engine == "postgresql":
        document = POSTGRESQL_DOCUMENTS[table]
        statement = sa.text(
            f"SELECT t.id FROM {table} AS t, "
            f"to_tsquery('casework_search', :match) AS query "
            f"WHERE {document} @@ query AND ({where}) "
            f"ORDER BY ts_rank({document}, query) DESC, t.id DESC LIMIT :limit"
        )
        rows = db.session.execute(statement, {**params, "match": _tsquery(terms),
                                              "limit": limit})
        return [row[0] for row in rows]
    statement = sa.text(
        f"SELECT t.id FROM {table}_fts JOIN {table} AS t ON t.id = {table}_fts.rowid "
        f"WHERE {table}_fts MATCH :match AND ({where}) "
        f"ORDER BY bm25({table}_fts) LIMIT :limit"
    )
    rows = db.session.execute(statement, {**params, "match": _match(terms), "limit": limit})
    return [row[0] for row in rows]


def matching_ids(kind: str, text: str) -> sa.Select | None:
    """The ids of ``kind`` ("signals" or "cases") whose text has every word of ``text`` as
    a word or the start of one, as a subquery for ``id IN (...)``: SQLite's FTS5 index
    instead of a LIKE that reads every row. None where there is no FTS5 or no word of
    three letters, so that the caller keeps its LIKE."""
    terms = words(text)
    if _engine() != "sqlite" or not terms:
        return None
    table = {"signals": "signals_fts", "cases": "cases_fts"}[kind]
    match = " AND ".join('"' + t.replace('"', '""') + '"*' for t in terms[:MAX_TERMS])
    return (sa.select(sa.column("rowid")).select_from(sa.table(table))
            .where(sa.text(f"{table} MATCH :fts_match").bindparams(fts_match=match)))
