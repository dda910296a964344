"""No page of the queue or the inbox reads a whole table: every filter and sort has an index.

``EXPLAIN QUERY PLAN`` (SQLite) of the queue's and the inbox's queries, for each single
filter and each sort, must not contain a plain ``SCAN`` of cases, signals or audit_events
(``SCAN ... USING INDEX`` walks an index in order and stops after a page; ``SEARCH`` is a
lookup).
"""

from __future__ import annotations

import re

import pytest
from conftest import only_sqlite
from werkzeug.datastructures import MultiDict

from casework.cases.queries import SORTS, CaseFilters
from casework.extensions import db
from casework.models import User
from casework.signals.queries import SignalFilters

# SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans need EXPLAIN (FORMAT JSON) (not written yet).
pytestmark = only_sqlite

BIG_TABLES = ("cases", "signals", "audit_events")
FULL_SCAN = re.compile(r"^SCAN (\w+)(?! USING (COVERING )?INDEX)")

CASE_FILTERS = [
    {}, {"state": "mitigating"}, {"state": "open"}, {"market": "AT"},
    {"category": "privacy"}, {"band": "critical"}, {"owner": "mine"}, {"owner": "none"},
    {"owner": "1"}, {"surface": "live"}, {"q": "hassrede"}, {"q": "RISK-2026-0001"},
]
SIGNAL_FILTERS = [
    {}, {"status": "all"}, {"status": "dismissed"}, {"status": "all", "source": "news"},
    {"status": "all", "market": "CH"}, {"status": "all", "category": "privacy"},
]


def full_scans(statement) -> list[str]:
    """The plan's lines that read a whole big table."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return [row[3] for row in rows
            if (found := FULL_SCAN.match(row[3])) and found.group(1) in BIG_TABLES]


@pytest.fixture
def reader(app, make):
    """A policy specialist (restricted cases add their condition) and a program manager."""
    specialist = make.user("policy_specialist")
    manager = make.user("program_manager")
    with app.app_context():
        yield lambda which: db.session.get(User, specialist.id if which == "specialist"
                                           else manager.id)


@pytest.mark.parametrize("who", ["specialist", "manager"])
@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("args", CASE_FILTERS, ids=lambda a: "&".join(f"{k}={v}"
                                                                      for k, v in a.items()))
def test_queue_reads_no_whole_table(reader, who, sort, args):
    filters = CaseFilters.from_args(MultiDict({**args, "sort": sort}))
    assert full_scans(filters.select(reader(who))) == []


@pytest.mark.parametrize("who", ["specialist", "manager"])
@pytest.mark.parametrize("args", SIGNAL_FILTERS, ids=lambda a: "&".join(f"{k}={v}"
                                                                        for k, v in a.items()))
def test_inbox_reads_no_whole_table(reader, who, args):
    filters = SignalFilters.from_args(MultiDict(args))
    assert full_scans(filters.select(reader(who))) == []
