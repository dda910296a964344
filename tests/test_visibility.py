"""Who sees which cases and signals: the Python predicate and the SQL conditions of
``casework.visibility`` agree, reader by reader and case by case, and so do the counts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from casework import permissions
from casework.cases.queries import CaseFilters
from casework.extensions import db
from casework.models import Case, Signal, User
from casework.pagination import Count
from casework.signals.queries import SignalFilters
from casework.visibility import (
    hidden_from,
    sees_case,
    sees_signal,
    sight_key,
    visible_cases,
    visible_signals,
)

EVERY_CASE = {"open", "open_owned", "restricted_owned", "restricted_unowned",
              "restricted_of_inactive"}
# Who sees which of the cases above (a signal is seen with its case; "no_case", a signal
# not in any case, by every active user).
SEES = {
    "admin": EVERY_CASE,
    "program_manager": EVERY_CASE,
    "owner": {"open", "open_owned", "restricted_owned"},
    "other_specialist": {"open", "open_owned"},
    "leadership": {"open", "open_owned"},
    "inactive": set(),  # owns restricted_of_inactive, but may no longer read anything
    "anonymous": set(),
}


@dataclass
class World:
    users: dict[str, int]
    cases: dict[int, str]  # case id -> name
    signals: dict[int, str]  # signal id -> its case's name, or "no_case"

    def user(self, reader: str):
        if reader == "anonymous":
            return AnonymousUserMixin()
        return db.session.get(User, self.users[reader])


@pytest.fixture
def world(app, make) -> World:
    """One case of each kind, each with the signal it was qualified from, one signal in no
    case, and a reader of each kind; the inactive one owns a restricted case."""
    from casework.users.operations import deactivate_user

    owner, inactive = make.specialist, make.user("policy_specialist")
    users = {"admin": make.user("admin").id, "program_manager": make.pm.id,
             "owner": owner.id, "other_specialist": make.user("policy_specialist").id,
             "leadership": make.user("leadership").id, "inactive": inactive.id}
    made = {
        "open": make.case("qualified"),
        "open_owned": make.case("assigned", owner=owner),
        "restricted_owned": make.case("mitigating", owner=owner, restricted=True),
        "restricted_unowned": make.case("qualified", restricted=True),
        "restricted_of_inactive": make.case("assigned", owner=inactive, restricted=True),
    }
    lone_signal = make.signal()
    with app.app_context():
        deactivate_user(None, db.session.get(User, inactive.id))
        db.session.commit()
        cases = {record.id: name for name, record in made.items()}
        signals = {signal_id: cases.get(case_id, "no_case") for signal_id, case_id
                   in db.session.execute(sa.select(Signal.id, Signal.case_id))}
    assert signals[lone_signal] == "no_case"
    return World(users, cases, signals)


@pytest.mark.parametrize("reader", list(SEES))
def test_cases_seen_are_the_same_in_python_and_in_sql(app, world, reader):
    with app.app_context():
        user = world.user(reader)
        every = db.session.scalars(sa.select(Case)).all()
        assert {world.cases[case.id] for case in every} == EVERY_CASE

        in_python = {world.cases[case.id] for case in every if sees_case(user, case)}
        assert in_python == SEES[reader]
        assert {world.cases[case.id] for case in every
                if permissions.can_view_case(user, case)} == in_python
        in_sql = {world.cases[case_id] for case_id
                  in db.session.scalars(sa.select(Case.id).where(visible_cases(user)))}
        assert in_sql == in_python
        hidden = {world.cases[case_id] for case_id
                  in db.session.scalars(sa.select(Case.id).where(hidden_from(user)))}
        assert hidden == EVERY_CASE - in_python
        # The queue counts a manager's cases less the hidden ones: the same number.
        assert CaseFilters().count(user) == Count(len(in_python))


@pytest.mark.parametrize("reader", list(SEES))
def test_signals_seen_are_the_same_in_python_and_in_sql(app, world, reader):
    expected = SEES[reader] | ({"no_case"} if reader not in ("inactive", "anonymous")
                               else set())
    with app.app_context():
        user = world.user(reader)
        every = db.session.scalars(sa.select(Signal)).all()

        in_python = {signal.id for signal in every if sees_signal(user, signal)}
        assert {world.signals[signal_id] for signal_id in in_python} == expected
        assert {signal.id for signal in every
                if permissions.can_view_signal(user, signal)} == in_python
        in_sql = set(db.session.scalars(sa.select(Signal.id).where(visible_signals(user))))
        assert in_sql == in_python
        assert SignalFilters().count(user) == Count(len(in_python))


def test_readers_who_see_the_same_share_remembered_figures(app, world):
    with app.app_context():
        key = {reader: sight_key(world.user(reader)) for reader in SEES}
    assert key["admin"] == key["program_manager"]
    assert key["inactive"] == key["anonymous"]
    assert len({key[r] for r in ("admin", "owner", "other_specialist", "leadership",
                                 "inactive")}) == 5
