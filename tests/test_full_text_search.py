"""Full-text search behind one interface (``casework.search``): FTS5 on SQLite, tsvector with
GIN indexes on PostgreSQL; the same answers on both."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import ON_POSTGRES

from casework import search
from casework.extensions import db


def _ranked(kind: str, *texts: str) -> list[int]:
    return search.ranked_ids(kind, search.words(*texts), where="1 = 1", params={}, limit=50)


def test_matching_signals_come_best_first_and_others_not_at_all(app, make):
    both = make.signal(title="Scam ring sells fake tickets", description="tickets on Live")
    one = make.signal(title="Fake giveaway", description="a giveaway on Live")
    make.signal(title="Unrelated harassment", description="comments")
    with app.app_context():
        ranked = _ranked("signals", "fake tickets")
    assert ranked[0] == both
    assert set(ranked) == {both, one}


def test_search_ignores_case_and_accents(app, make):
    signal = make.signal(title="Betrug in Österreich", description="Überweisungen")
    with app.app_context():
        assert _ranked("signals", "osterreich") == [signal]
        assert _ranked("signals", "ÜBERWEISUNGEN") == [signal]


def test_cases_are_searched_by_title_and_summary(app, make):
    case = make.case(title="Livestream challenge", summary="Dangerous dares spreading")
    with app.app_context():
        found = _ranked("cases", "dares")
        from casework.models import Case

        assert db.session.get(Case, found[0]).key == case.key


def test_search_text_is_never_query_syntax(app, make):
    make.signal(title="Quotes and 'apostrophes' \\ backslashes", description="")
    with app.app_context():
        for text in ["it's", "a\\b", "\"x\" OR y", "a & b | !c", "'); DROP TABLE signals; --"]:
            assert isinstance(_ranked("signals", text), list)
        assert _ranked("signals", "") == []


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's GIN indexes (migration 0008)")
@pytest.mark.parametrize("kind", ["signals", "cases"])
def test_the_query_can_use_the_gin_index(app, kind):
    """The query repeats the indexed expression exactly, or PostgreSQL scans the table."""
    document = search.POSTGRESQL_DOCUMENTS[kind]
    with app.app_context():
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.scalars(sa.text(
            f"EXPLAIN SELECT t.id FROM {kind} AS t "
            f"WHERE {document} @@ to_tsquery('casework_search', 'scam')")))
        db.session.rollback()
    assert f"ix_{kind}_search" in plan, plan
