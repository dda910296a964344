"""The roles, and the two questions every rule starts from: is this user active, and do
they run the team's casework (a manager)? ``permissions`` and ``visibility`` build on
these, so neither needs the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.vocabulary import Role

if TYPE_CHECKING:
    from casework.models import User

MANAGERS = frozenset({Role.ADMIN, Role.PROGRAM_MANAGER})
# Roles that do casework: they may file signals, comment and own cases.
CASEWORKERS = frozenset({Role.ADMIN, Role.PROGRAM_MANAGER, Role.POLICY_SPECIALIST})


def is_active(user) -> bool:
    """A logged-in (or token-bearing) user whose account is active."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def is_manager(user: User) -> bool:
    """Program managers and admins run triage, assignment, review and closure."""
    return is_active(user) and user.role in MANAGERS
