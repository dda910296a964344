"""Who sees which cases and signals: the one place this rule is written.

A restricted case (child safety, for example) is seen only by its owner and by managers
(admins and program managers); every other case by every active user. A signal is seen
wherever its case is seen, one without a case by every active user. Inactive and
anonymous users see nothing.

The rule has two forms, built from the same two parts: :func:`sight` (whether a user sees
every case, all but the restricted cases of others, or nothing) and :func:`_owns` (the
owner sees their own):

- :func:`sees_case` and :func:`sees_signal` decide for one loaded case or signal (what
  ``permissions.can_view_case`` and ``permissions.can_view_signal`` answer);
- :func:`visible_cases`, :func:`hidden_from` and :func:`visible_signals` are the SQL
  conditions every list, count, search, export, PDF and figure adds to its WHERE clause,
  and :func:`visible_count` counts the quick way with them.

``tests/test_visibility.py`` checks, user by user and case by case, that the forms agree.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casework.models import Case, Signal
from casework.pagination import Count, lean_count
from casework.planner import rare
from casework.roles import is_active as can_view
from casework.roles import is_manager

if TYPE_CHECKING:
    from casework.models import User


class Sight(Enum):
    """How much of the cases (and so of their signals) a user sees."""

    ALL = "all"  # managers: every case, restricted or not
    OWN_RESTRICTED = "own"  # other active users: every case but others' restricted ones
    NOTHING = "nothing"  # inactive and anonymous users: no case and no signal


def sight(user: User) -> Sight:
    """Managers see every case; other active users all but the restricted cases of others."""
    if not can_view(user):
        return Sight.NOTHING
    return Sight.ALL if is_manager(user) else Sight.OWN_RESTRICTED


def _owns(user: User, case):
    """``case`` is ``user``'s: a bool for a loaded case, the SQL condition for the class
    ``Case`` (compared on the class, a mapped attribute builds SQL)."""
    return case.owner_id == user.id


def _constant(value: bool) -> sa.ColumnElement[bool]:
    return sa.true() if value else sa.false()


def sees_case(user: User, case: Case) -> bool:
    """``user`` may see ``case``: the Python form of :func:`visible_cases`."""
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        return not case.restricted or _owns(user, case)
    return seen is Sight.ALL


def sees_signal(user: User, signal: Signal) -> bool:
    """``user`` may see ``signal``: the Python form of :func:`visible_signals`."""
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        return signal.case is None or sees_case(user, signal.case)
    return seen is Sight.ALL


def visible_cases(user: User) -> sa.ColumnElement[bool]:
    """The cases ``user`` may see, as a condition on ``Case``."""
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        return sa.or_(Case.restricted.is_(False), _owns(user, Case))
    return _constant(seen is Sight.ALL)


def hidden_from(user: User) -> sa.ColumnElement[bool]:
    """The cases ``user`` may not see (the opposite of :func:`visible_cases`, written so
    that the index on restricted cases finds them: they are few)."""
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        return sa.and_(rare(Case.restricted.is_(True)),
                       sa.or_(Case.owner_id.is_(None), sa.not_(_owns(user, Case))))
    return _constant(seen is Sight.NOTHING)


def visible_signals(user: User) -> sa.ColumnElement[bool]:
    """The signals ``user`` may see, as a condition on ``Signal``: those without a case
    and those of cases the user sees."""
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        hidden = sa.select(Case.id).where(hidden_from(user))
        return sa.or_(Signal.case_id.is_(None), Signal.case_id.not_in(hidden))
    return _constant(seen is Sight.ALL)


def visible_count(user: User, total: Count, hidden: Callable[[], sa.Select]) -> Count:
    """How many of the rows a manager sees (``total``) ``user`` sees: ``total`` less the
    rows of ``hidden()`` (those among them in cases :func:`hidden_from` ``user``).

    Both counts fit an index, where "visible to this user" as one condition does not;
    for a manager the second is not taken at all.
    """
    seen = sight(user)
    if seen is Sight.OWN_RESTRICTED:
        return total.less(lean_count(hidden()))
    return total if seen is Sight.ALL else Count(0)


def sight_key(user: User) -> str:
    """What ``user`` sees, for keys of results kept between requests: the same for
    everyone who sees the same cases."""
    seen = sight(user)
    return f"user:{user.id}" if seen is Sight.OWN_RESTRICTED else seen.value
