"""Who may do what: one place that views, templates, the CLI and later the API ask.

Every predicate takes the acting user first. Anonymous users may do nothing.
Permissions decide who; the workflow (``casework.workflow``) decides when: no predicate
here looks at a case's state. Transitions of a case are decided by the workflow, which
builds on these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casework.roles import CASEWORKERS, MANAGERS, is_manager
from casework.roles import is_active as _active
from casework.visibility import sees_case, sees_signal
from casework.vocabulary import Role

if TYPE_CHECKING:
    from casework.models import Case, MitigationAction, Signal, User

__all__ = ["CASEWORKERS", "MANAGERS", "is_manager"]


def is_owner(user: User, case: Case) -> bool:
    return _active(user) and case.owner_id is not None and case.owner_id == user.id


def can_view(user: User) -> bool:
    """Every active user reads the signal inbox and the case queue."""
    return _active(user)


def can_view_case(user: User, case: Case) -> bool:
    """A restricted case is seen only by its owner and managers (``casework.visibility``)."""
    return sees_case(user, case)


def can_view_signal(user: User, signal: Signal) -> bool:
    """A signal is hidden wherever its case is hidden (``casework.visibility``)."""
    return sees_signal(user, signal)


def can_restrict_case(user: User, case: Case) -> bool:
    """Mark a case restricted or lift the restriction: managers only."""
    return is_manager(user)


def can_file_signal(user: User) -> bool:
    return _active(user) and user.role in CASEWORKERS


def can_import_signals(user: User) -> bool:
    """Bulk imports of signals: program managers and admins."""
    return is_manager(user)


def can_triage(user: User) -> bool:
    """Qualify, dismiss or mark signals as duplicates: managers."""
    return is_manager(user)


def can_edit_case(user: User, case: Case) -> bool:
    """Change the case's fields: managers on any case, owners on their own (while the
    workflow lets the case be changed: ``workflow.ensure_changeable``)."""
    return is_manager(user) or is_owner(user, case)


def can_manage_actions(user: User, case: Case) -> bool:
    """Add and update mitigation actions: as for editing the case."""
    return can_edit_case(user, case)


def can_edit_action(user: User, action: MitigationAction) -> bool:
    return can_manage_actions(user, action.case)


def can_comment(user: User, case: Case) -> bool:
    """Everyone but leadership comments on any case."""
    return _active(user) and user.role in CASEWORKERS


def can_be_owner(user: User) -> bool:
    """Leadership reads only, so it cannot own a case."""
    return _active(user) and user.role in CASEWORKERS


def can_manage_tokens(user: User, owner: User) -> bool:
    """API tokens: everyone manages their own; admins may revoke anyone's."""
    return _active(user) and (user.id == owner.id or user.role == Role.ADMIN)


def can_manage_users(user: User) -> bool:
    return _active(user) and user.role == Role.ADMIN


def can_change_own_password(user: User) -> bool:
    """Everyone who is logged in changes their own password on their account page."""
    return _active(user)


def can_reset_password(user: User, target: User) -> bool:
    """Admins reset other people's passwords; their own they change like everyone."""
    return can_manage_users(user) and user.id != target.id


def can_see_audit_head(user: User) -> bool:
    """The audit chain's head hash, to anchor an outside copy: admins."""
    return can_manage_users(user)


# The regional risk picture (dashboard, Lagebericht): leadership and those who run triage.
REPORT_READERS = frozenset({Role.ADMIN, Role.PROGRAM_MANAGER, Role.LEADERSHIP})


def can_download_summary(user: User, case: Case) -> bool:
    """A case's PDF summary, for either audience: everyone who may read the case."""
    return can_view_case(user, case)


def can_view_dashboard(user: User) -> bool:
    """The dashboard and the landscape report: leadership and managers."""
    return _active(user) and user.role in REPORT_READERS
