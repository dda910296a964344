"""The case workflow: states, the transitions between them, who may make them, and guards.

This module is the single source of the rules. The UI, the CLI and the API all call
``check_transition`` (through ``casework.cases.operations.transition_case``) and show
buttons from ``available_actions``; none of them compares states on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework.errors import Conflict, PermissionDenied, ValidationFailed
from casework.models.action import PENDING_ACTION_STATUSES
from casework.permissions import can_be_owner, is_manager, is_owner
from casework.vocabulary import CaseState, Resolution, TransitionAction, label

if TYPE_CHECKING:
    from casework.models import Case, User

S = CaseState
A = TransitionAction


@dataclass
class TransitionInput:
    """What a person supplies with a transition; each action reads what it needs."""

    owner: User | None = None
    note: str = ""
    resolution: Resolution | None = None
    residual_likelihood: int | None = None
    residual_impact: int | None = None


Guard = Callable[["Case", TransitionInput], dict[str, str]]


def _managers(user: User, case: Case) -> bool:
    return is_manager(user)


def _owner_or_managers(user: User, case: Case) -> bool:
    return is_owner(user, case) or is_manager(user)


def _reviewers(user: User, case: Case) -> bool:
    """Four eyes: a manager who neither owns the case nor submitted it for review."""
    return (is_manager(user) and not is_owner(user, case)
            and case.submitted_by_id != user.id)


def _needs_owner(case: Case, given: TransitionInput) -> dict[str, str]:
    owner = given.owner
    if owner is None:
        return {"owner": _("Choose the owner.")}
    if not can_be_owner(owner):
        return {"owner": _("%(name)s cannot own cases.", name=owner.name)}
    if owner.id == case.owner_id:
        return {"owner": _("%(name)s already owns this case.", name=owner.name)}
    return {}


def _needs_note(message: str) -> Guard:
    def guard(case: Case, given: TransitionInput) -> dict[str, str]:
        return {} if given.note.strip() else {"note": message}

    return guard


def _mitigation_finished(case: Case, given: TransitionInput) -> dict[str, str]:
    if not case.actions:
        return {"__all__": _("Add at least one mitigation action before submitting for review.")}
    pending = [a for a in case.actions if a.status in PENDING_ACTION_STATUSES]
    if pending:
        return {"__all__": _(
            "%(count)d mitigation action(s) are still planned or in progress: "
            "finish or cancel them before submitting for review.", count=len(pending))}
    return {}


def _closing_review(case: Case, given: TransitionInput) -> dict[str, str]:
    errors = {}
    if given.resolution is None:
        errors["resolution"] = _("Choose a resolution.")
    if not given.note.strip():
        errors["note"] = _("Write a review note.")
    for name in ("residual_likelihood", "residual_impact"):
        value = getattr(given, name)
        if value is None or not 1 <= value <= 5:
            errors[name] = _("Choose a value from 1 to 5.")
    return errors


@dataclass(frozen=True)
class Transition:
    action: TransitionAction
    source: CaseState
    # None keeps the state, as when a manager reassigns a case being worked on.
    target: CaseState | None
    may: Callable[[User, Case], bool]
    who: object  # a readable description, for the refusal message and the docs
    guards: tuple[Guard, ...] = field(default_factory=tuple)


_ASSIGN = dict(may=_managers, who=_l("program managers"), guards=(_needs_owner,))
_DISMISS = dict(
    may=_managers, who=_l("program managers"),
    guards=(_needs_note(_l("Give the reason for dismissing the case.")),),
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.ASSIGN, S.QUALIFIED, S.ASSIGNED, **_ASSIGN),
    Transition(A.ASSIGN, S.ASSIGNED, None, **_ASSIGN),
    Transition(A.ASSIGN, S.MITIGATING, None, **_ASSIGN),
    Transition(A.START_MITIGATION, S.ASSIGNED, S.MITIGATING,
               may=_owner_or_managers, who=_l("the owner or a program manager")),
    Transition(A.SUBMIT_FOR_REVIEW, S.MITIGATING, S.IN_REVIEW,
               may=_owner_or_managers, who=_l("the owner or a program manager"),
               guards=(_mitigation_finished,)),
    Transition(A.APPROVE, S.IN_REVIEW, S.CLOSED,
               may=_reviewers, who=_l("a program manager who neither owns nor submitted the case"),
               guards=(_closing_review,)),
    Transition(A.REQUEST_CHANGES, S.IN_REVIEW, S.MITIGATING,
               may=_reviewers, who=_l("a program manager who neither owns nor submitted the case"),
               guards=(_needs_note(_l("Say what needs to change.")),)),
    Transition(A.REOPEN, S.CLOSED, S.ASSIGNED,
               may=_managers, who=_l("program managers"),
               guards=(_needs_note(_l("Give the reason for reopening the case.")),)),
    Transition(A.DISMISS, S.QUALIFIED, S.DISMISSED, **_DISMISS),
    Transition(A.DISMISS, S.ASSIGNED, S.DISMISSED, **_DISMISS),
)

_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}


def find_transition(state: CaseState, action: TransitionAction) -> Transition | None:
    return _BY_KEY.get((state, action))


def may_attempt(user: User, case: Case, action: TransitionAction) -> bool:
    """Whether the user's role and relation to the case allow this action at all.

    From the case's current state when the table has that row; otherwise from any row of
    the action, so that a role that never may gets 403 and a wrong state gets 409.
    """
    transition = find_transition(case.state, action)
    if transition is not None:
        return transition.may(user, case)
    return any(t.may(user, case) for t in TRANSITIONS if t.action == action)


def available_actions(user: User, case: Case) -> list[TransitionAction]:
    """The transitions this user may start on this case now, in table order."""
    return [
        t.action for t in TRANSITIONS
        if t.source == case.state and t.may(user, case)
    ]


def check_transition(
    user: User, case: Case, action: TransitionAction, given: TransitionInput
) -> Transition:
    """The transition to apply, or an error saying why not.

    :raise Conflict: the action is not possible from the case's state.
    :raise PermissionDenied: the user may not make it.
    :raise ValidationFailed: a guard does not hold (``field`` names the input).
    """
    transition = find_transition(case.state, action)
    if transition is None:
        raise Conflict(_("A case that is %(state)s cannot be %(action)s.",
                         state=_state_word(case.state), action=action_word(action)))
    if not transition.may(user, case):
        raise PermissionDenied(_("Only %(who)s may do this.", who=transition.who))
    for guard in transition.guards:
        errors = guard(case, given)
        if errors:
            raise ValidationFailed(" ".join(str(m) for m in errors.values()), errors=errors)
    return transition


def _state_word(state: CaseState) -> str:
    return label(state).lower()


_ACTION_WORDS = {
    A.ASSIGN: _l("assigned"),
    A.START_MITIGATION: _l("moved to mitigation"),
    A.SUBMIT_FOR_REVIEW: _l("submitted for review"),
    A.APPROVE: _l("approved and closed"),
    A.REQUEST_CHANGES: _l("sent back with changes requested"),
    A.REOPEN: _l("reopened"),
    A.DISMISS: _l("dismissed"),
}


def action_word(action: TransitionAction) -> str:
    """The past participle of an action, for messages ("approved and closed")."""
    return str(_ACTION_WORDS[action])
