"""Full-text search behind one small interface.

Search reads German the way people type it: every text is normalised here, in Python, the
same way for what is stored and for what is searched (:func:`normalise_word`): case and
accents go (``Österreich``, ``oesterreich`` and ``osterreich`` are one word, ``Straße``
and ``Strasse`` too), and a light stemmer strips inflection endings (``Hassreden`` and
``Hassrede`` are one word). Signals and cases keep the result in ``search_text`` (set on
every INSERT and ORM update of the texts, see the models), so both engines index the same
words and give the same answers:

On SQLite, FTS5 tables over ``search_text`` (``signals_fts``, ``cases_fts``; kept in step
by triggers, see migration 0014) rank candidates with bm25; on PostgreSQL, GIN indexes on
its ``simple`` tsvector (migration 0014) rank them with ts_rank. On other engines the same
functions fall back to the most recent rows in the filter.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import MappedColumn, mapped_column

from casework.extensions import db

# Tables that are not models: Alembic leaves them (and FTS5's shadow tables) alone.
FTS_TABLE = re.compile(r"^(signals|cases)_fts(_.*)?$")
MAX_TERMS = 24
# The texts each table is searched by: its ``search_text`` holds their words, normalised.
SEARCHED = {"signals": ("title", "description"), "cases": ("title", "summary")}
# The document migration 0014 indexes on PostgreSQL; a query must repeat it exactly. The
# ``simple`` configuration only splits and lower-cases: the words are normalised already.
POSTGRESQL_DOCUMENT = "to_tsvector('simple', t.search_text)"
POSTGRESQL_DOCUMENTS = {"signals": POSTGRESQL_DOCUMENT, "cases": POSTGRESQL_DOCUMENT}
# Expression indexes Alembic cannot compare with the models: migrations/env.py skips them.
POSTGRESQL_INDEXES = frozenset({"ix_signals_search", "ix_cases_search"})


# Letters NFKD does not take apart, folded as their base letters.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                          "þ": "th", "\u0131": "i"})
# "ae" and "oe" as typed for ä and ö; "ue" for ü unless it follows a vowel or q ("neue",
# "Quelle", "Steuer" keep theirs). As Lucene's GermanNormalizationFilter does.
_UMLAUT_SPELLED = re.compile(r"(?<=[ao])e|(?<=u)(?<![aeiouyq]u)e")
# Letters after which a final -s is an ending (Savoy's light German stemmer).
_S_ENDING = frozenset("bdfghklmnrt")
_ST_ENDING = frozenset("bdfghklmnt")
_WORD = re.compile(r"[^\W_]+")


def _folded(text: str) -> str:
    """``text`` without case or accents: ß is ss, ä is a, é is e."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c)).translate(_LETTERS)


def _case_ending(word: str) -> int:
    """How many letters at the end of ``word`` are a plural or case ending: -ern, -em,
    -en, -er, -es, -e, -s (after a letter that takes it)."""
    n = len(word)
    if n > 5 and word.endswith("ern"):
        return 3
    if n > 4 and word[-2] == "e" and word[-1] in "mnrs":
        return 2
    if n > 3 and (word[-1] == "e" or (word[-1] == "s" and word[-2] in _S_ENDING)):
        return 1
    return 0


def _other_ending(word: str) -> int:
    """How many letters at the end of ``word`` (its case ending gone) are what is left of
    a comparative or verb form: -est, -er, -en, -st."""
    n = len(word)
    if n > 5 and word.endswith("est"):
        return 3
    if n > 4 and ((word[-2] == "e" and word[-1] in "rn")
                  or (word.endswith("st") and word[-3] in _ST_ENDING)):
        return 2
    return 0


def _stem(word: str) -> str:
    """``word`` without its inflection ending: J. Savoy's light German stemmer (as in
    Lucene's GermanLightStemmer), plus -innen. Never shorter than three letters."""
    if len(word) > 7 and word.endswith("innen"):
        return word[:-3]
    word = word[:len(word) - _case_ending(word)]
    return word[:len(word) - _other_ending(word)]


@functools.lru_cache(maxsize=65536)
def _normalised(word: str) -> str:
    # ``word`` is folded already. Cached: texts repeat their words, and a backfill or a
    # synthetic history normalises millions of them.
    return _stem(_UMLAUT_SPELLED.sub("", word))


def normalise_word(word: str) -> str:
    """One word as search compares it: without case or accents, umlauts spelled out read
    as umlauts (``oe`` is ö is o), and stemmed (``Hassreden`` is ``hassred``)."""
    return _normalised(_folded(word))


def search_text(*texts: str | None) -> str:
    """What is stored and indexed for some texts: each of their words normalised, in
    order (ranking counts repeats)."""
    folded = _folded(" ".join(t for t in texts if t))
    return " ".join(_normalised(word) for word in _WORD.findall(folded))


def words(*texts: str | None) -> list[str]:
    """The search terms of some texts: their words of three letters or more, normalised
    as :func:`search_text` stores them, each once."""
    folded = _folded(" ".join(t for t in texts if t))
    seen: dict[str, None] = {}
    for word in _WORD.findall(folded):
        if len(word) >= 3:
            seen.setdefault(_normalised(word))
    return list(seen)


def search_text_column(table: str) -> MappedColumn:
    """The ``search_text`` column of ``table``: set on every INSERT, bulk ones included,
    from the row's texts (see :data:`SEARCHED`; :func:`keep_search_text` does updates)."""
    columns = SEARCHED[table]

    def on_insert(context) -> str:
        row = context.get_current_parameters()
        return search_text(*(row.get(column) for column in columns))

    return mapped_column(sa.Text, default=on_insert, server_default="")


def keep_search_text(model) -> None:
    """Keep ``model``'s ``search_text`` in step when the ORM updates its texts (in the
    same flush, so in the same transaction)."""
    columns = SEARCHED[model.__tablename__]

    @sa.event.listens_for(model, "before_update")
    def renormalise(mapper, connection, target) -> None:
        state = sa.inspect(target)
        if any(state.attrs[column].history.has_changes() for column in columns):
            target.search_text = search_text(*(getattr(target, c) for c in columns))


def fill_search_text(connection, table: str, *, batch: int = 1000) -> int:
    """Write ``search_text`` of every row of ``table`` from its texts, ``batch`` rows at a
    time so memory stays bounded; returns how many rows. For migrations."""
    first, second = SEARCHED[table]
    select = sa.text(f"SELECT id, {first}, {second} FROM {table} WHERE id > :last "
                     f"ORDER BY id LIMIT :batch")
    update = sa.text(f"UPDATE {table} SET search_text = :text WHERE id = :id")
    last, count = 0, 0
    while rows := connection.execute(select, {"last": last, "batch": batch}).all():
        connection.execute(update, [{"id": id_, "text": search_text(a, b)}
                                    for id_, a, b in rows])
        last, count = rows[-1][0], count + len(rows)
    return count


def _engine() -> str:
    return db.session.get_bind().dialect.name


def _tsquery(terms: list[str], *, joined: str = " | ", prefix: bool = False) -> str:
    # Each term a quoted lexeme: user text can never become tsquery syntax.
    tail = ":*" if prefix else ""
    return joined.join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" + tail
                       for t in terms[:MAX_TERMS])


def _match(terms: list[str], *, joined: str = " OR ", prefix: bool = False) -> str:
    # Each term quoted: user text can never become FTS5 query syntax.
    tail = "*" if prefix else ""
    return joined.join('"' + t.replace('"', '""') + '"' + tail for t in terms[:MAX_TERMS])


def ranked_ids(kind: str, terms: list[str], *, where: str, params: dict,
               limit: int) -> list[int] | None:
    """Ids of ``kind`` ("signals" or "cases") matching any of ``terms`` (from
    :func:`words`), best first, that also satisfy ``where`` (SQL on the base table aliased
    ``t``). None without FTS."""
    engine = _engine()
    if engine not in ("sqlite", "postgresql"):
        return None
    if not terms:
        return []
    table = {"signals": "signals", "cases": "cases"}[kind]
    if engine == "postgresql":
        document = POSTGRESQL_DOCUMENTS[table]
        statement = sa.text(
            f"SELECT t.id FROM {table} AS t, to_tsquery('simple', :match) AS query "
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
    a word or the start of one (both normalised), as a subquery for ``id IN (...)``: the
    full-text index instead of a LIKE that reads every row. None where there is no
    full-text index or no word of three letters, so that the caller keeps its LIKE."""
    terms = words(text)
    engine = _engine()
    if engine not in ("sqlite", "postgresql") or not terms:
        return None
    table = {"signals": "signals", "cases": "cases"}[kind]
    if engine == "postgresql":
        # An alias of its own: the subquery must not correlate with the caller's table.
        found = sa.table(table, sa.column("id")).alias("t")
        match = _tsquery(terms, joined=" & ", prefix=True)
        return sa.select(found.c.id).where(sa.text(
            f"{POSTGRESQL_DOCUMENT} @@ to_tsquery('simple', :ts_match)"
        ).bindparams(ts_match=match))
    match = _match(terms, joined=" AND ", prefix=True)
    return (sa.select(sa.column("rowid")).select_from(sa.table(f"{table}_fts"))
            .where(sa.text(f"{table}_fts MATCH :fts_match").bindparams(fts_match=match)))
