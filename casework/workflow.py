"""The case workflow: states, the steps between them, who may take them, and guards.

This module is the single source of the rules. Each step (:class:`Step`) says what it
does to the case, what a person supplies with it (which makes the page's form and the
API's request schema) and the words the pages and the timeline use; the transition table
(:data:`TRANSITIONS`) says from which state each step leads where, and who may take it.
Adding a step means a value in ``vocabulary.TransitionAction``, a :class:`Step`, its rows
in the table and a test; nothing else.

Permissions decide who, the workflow decides when. Every refusal comes in one order:
the role may never take the step (403), the case's state does not allow it now (409),
what the person supplied is not enough (422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework.errors import Conflict, PermissionDenied, ValidationFailed
from casework.models.action import PENDING_ACTION_STATUSES
from casework.models.review import Review
from casework.permissions import can_be_owner, is_manager, is_owner
from casework.vocabulary import (
    CaseState,
    Resolution,
    ReviewDecision,
    TransitionAction,
    label_in_sentence,
)

if TYPE_CHECKING:
    from casework.models import Case, User

S = CaseState
A = TransitionAction

RATING = range(1, 6)


@dataclass
class TransitionInput:
    """What a person supplies with a step; each step reads what it needs."""

    owner: User | None = None
    note: str = ""
    resolution: Resolution | None = None
    residual_likelihood: int | None = None
    residual_impact: int | None = None


@dataclass(frozen=True)
class Input:
    """One thing a step takes from the person: ``required`` is the message shown when it
    is missing (None: optional)."""

    name: str
    required: object = None


# What each input is, for the API's schema and the adapter that reads it.
INPUT_NAMES = ("owner", "resolution", "residual_likelihood", "residual_impact", "note")

Guard = Callable[["Case", TransitionInput], dict[str, str]]
Effect = Callable[["Case", "User", TransitionInput, datetime], "Review | None"]


def _no_effect(case: Case, actor: User, given: TransitionInput, now: datetime) -> None:
    return None


@dataclass(frozen=True)
class Step:
    """One kind of step in the workflow, wherever in the table it appears."""

    action: TransitionAction
    done: object  # past participle for messages: "approved and closed"
    verb: object  # the timeline: "approved and closed the case"
    inputs: tuple[Input, ...] = (Input("note"),)
    effect: Effect = _no_effect
    # Rules about the case as it stands (409) and about what was supplied (422).
    state_guards: tuple[Guard, ...] = ()
    input_guards: tuple[Guard, ...] = ()
    note_label: object = _l("Note")
    note_hint: object = None
    # Shown as the case page's main button (the step the case usually waits for).
    primary: bool = False

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    @property
    def required_inputs(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.required is not None)

    @property
    def one_click(self) -> bool:
        """Nothing to choose or write: a button on the case page does it."""
        return not self.required_inputs and self.input_names == ("note",)


# --- who ----------------------------------------------------------------------------------


def _managers(user: User, case: Case) -> bool:
    return is_manager(user)


def _owner_or_managers(user: User, case: Case) -> bool:
    return is_owner(user, case) or is_manager(user)


def _reviewers(user: User, case: Case) -> bool:
    """Four eyes: a manager who neither owns the case nor submitted it for review."""
    return (is_manager(user) and not is_owner(user, case)
            and case.submitted_by_id != user.id)


# --- guards -------------------------------------------------------------------------------


def _owner_can_own(case: Case, given: TransitionInput) -> dict[str, str]:
    owner = given.owner
    if owner is None:
        return {}
    if not can_be_owner(owner):
        return {"owner": _("%(name)s cannot own cases.", name=owner.name)}
    if owner.id == case.owner_id:
        return {"owner": _("%(name)s already owns this case.", name=owner.name)}
    return {}


def _ratings_in_range(case: Case, given: TransitionInput) -> dict[str, str]:
    return {name: _("Choose a value from 1 to 5.")
            for name in ("residual_likelihood", "residual_impact")
            if getattr(given, name) is not None and getattr(given, name) not in RATING}


def _mitigation_finished(case: Case, given: TransitionInput) -> dict[str, str]:
    """At least one mitigation action, and none still planned or in progress."""
    if not case.actions:
        return {"__all__": _("Add at least one mitigation action before submitting for review.")}
    pending = [a for a in case.actions if a.status in PENDING_ACTION_STATUSES]
    if pending:
        return {"__all__": _(
            "%(count)d mitigation action(s) are still planned or in progress: "
            "finish or cancel them before submitting for review.", count=len(pending))}
    return {}


# --- effects ------------------------------------------------------------------------------


def _assign(case: Case, actor: User, given: TransitionInput, now: datetime) -> None:
    case.owner = given.owner


def _submit(case: Case, actor: User, given: TransitionInput, now: datetime) -> None:
    case.submitted_by = actor


def _approve(case: Case, actor: User, given: TransitionInput, now: datetime) -> Review:
    case.resolution = given.resolution
    case.closed_at = now
    return Review(case=case, reviewer=actor, note=given.note or None,
                  decision=ReviewDecision.APPROVED, resolution=given.resolution,
                  residual_likelihood=given.residual_likelihood,
                  residual_impact=given.residual_impact)


def _request_changes(case: Case, actor: User, given: TransitionInput, now: datetime) -> Review:
    return Review(case=case, reviewer=actor, note=given.note or None,
                  decision=ReviewDecision.CHANGES_REQUESTED)


def _reopen(case: Case, actor: User, given: TransitionInput, now: datetime) -> None:
    case.resolution = None
    case.closed_at = None


def _dismiss(case: Case, actor: User, given: TransitionInput, now: datetime) -> None:
    case.dismissal_reason = given.note or None


STEPS: dict[TransitionAction, Step] = {step.action: step for step in (
    Step(A.ASSIGN, _l("assigned"), _l("assigned the case"),
         inputs=(Input("owner", _l("Choose the owner.")), Input("note")),
         effect=_assign, input_guards=(_owner_can_own,), note_label=_l("Note (optional)"),
         primary=True),
    Step(A.START_MITIGATION, _l("moved to mitigation"), _l("started mitigation")),
    Step(A.SUBMIT_FOR_REVIEW, _l("submitted for review"), _l("submitted the case for review"),
         effect=_submit, state_guards=(_mitigation_finished,)),
    Step(A.APPROVE, _l("approved and closed"), _l("approved and closed the case"),
         inputs=(Input("resolution", _l("Choose a resolution.")),
                 Input("residual_likelihood", _l("Choose a value from 1 to 5.")),
                 Input("residual_impact", _l("Choose a value from 1 to 5.")),
                 Input("note", _l("Write a review note."))),
         effect=_approve, input_guards=(_ratings_in_range,), note_label=_l("Review note"),
         primary=True),
    Step(A.REQUEST_CHANGES, _l("sent back with changes requested"), _l("requested changes"),
         inputs=(Input("note", _l("Say what needs to change.")),),
         effect=_request_changes, note_hint=_l("Required: say what needs to change.")),
    Step(A.REOPEN, _l("reopened"), _l("reopened the case"),
         inputs=(Input("note", _l("Give the reason for reopening the case.")),),
         effect=_reopen,
         note_hint=_l("Required: the reason is kept on the audit trail.")),
    Step(A.DISMISS, _l("dismissed"), _l("dismissed the case"),
         inputs=(Input("note", _l("Give the reason for dismissing the case.")),),
         effect=_dismiss,
         note_hint=_l("Required: the reason is kept on the audit trail.")),
)}


@dataclass(frozen=True)
class Transition:
    action: TransitionAction
    source: CaseState
    # None keeps the state, as when a manager reassigns a case being worked on.
    target: CaseState | None
    may: Callable[[User, Case], bool]
    who: object  # a readable description, for the refusal message and the docs

    @property
    def step(self) -> Step:
        return STEPS[self.action]


_MANAGERS = dict(may=_managers, who=_l("program managers"))
_OWNER_OR_MANAGERS = dict(may=_owner_or_managers, who=_l("the owner or a program manager"))
_REVIEWERS = dict(may=_reviewers,
                  who=_l("a program manager who neither owns nor submitted the case"))

TRANSITIONS: tuple[Transition, ...] = (
    Transition(A.ASSIGN, S.QUALIFIED, S.ASSIGNED, **_MANAGERS),
    Transition(A.ASSIGN, S.ASSIGNED, None, **_MANAGERS),
    Transition(A.ASSIGN, S.MITIGATING, None, **_MANAGERS),
    Transition(A.START_MITIGATION, S.ASSIGNED, S.MITIGATING, **_OWNER_OR_MANAGERS),
    Transition(A.SUBMIT_FOR_REVIEW, S.MITIGATING, S.IN_REVIEW, **_OWNER_OR_MANAGERS),
    Transition(A.APPROVE, S.IN_REVIEW, S.CLOSED, **_REVIEWERS),
    Transition(A.REQUEST_CHANGES, S.IN_REVIEW, S.MITIGATING, **_REVIEWERS),
    Transition(A.REOPEN, S.CLOSED, S.ASSIGNED, **_MANAGERS),
    Transition(A.DISMISS, S.QUALIFIED, S.DISMISSED, **_MANAGERS),
    Transition(A.DISMISS, S.ASSIGNED, S.DISMISSED, **_MANAGERS),
)

_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}


def find_transition(state: CaseState, action: TransitionAction) -> Transition | None:
    return _BY_KEY.get((state, action))


def step_for(action: TransitionAction) -> Step:
    return STEPS[action]


def may_attempt(user: User, case: Case, action: TransitionAction) -> bool:
    """Whether the user's role and relation to the case allow this step at all.

    From the case's current state when the table has that row; otherwise from any row of
    the step, so that a role that never may gets 403 and a wrong state gets 409.
    """
    transition = find_transition(case.state, action)
    if transition is not None:
        return transition.may(user, case)
    return any(t.may(user, case) for t in TRANSITIONS if t.action == action)


def available_actions(user: User, case: Case) -> list[TransitionAction]:
    """The steps this user may start on this case now, in table order."""
    return [t.action for t in TRANSITIONS if t.source == case.state and t.may(user, case)]


def _who(case: Case, action: TransitionAction) -> object:
    transition = find_transition(case.state, action)
    if transition is None:
        transition = next(t for t in TRANSITIONS if t.action == action)
    return transition.who


def check_allowed(user: User, case: Case, action: TransitionAction) -> Transition:
    """The transition this step would take now, before anything is supplied.

    :raise PermissionDenied: the user may not take this step (403).
    :raise Conflict: not possible from the case's state, or the case as it stands does
        not allow it (409).
    """
    if not may_attempt(user, case, action):
        raise PermissionDenied(_("Only %(who)s may do this.", who=_who(case, action)))
    transition = find_transition(case.state, action)
    if transition is None:
        raise Conflict(_("A case that is %(state)s cannot be %(action)s.",
                         state=label_in_sentence(case.state), action=action_word(action)))
    for guard in transition.step.state_guards:
        errors = guard(case, TransitionInput())
        if errors:
            raise Conflict(" ".join(str(m) for m in errors.values()), errors=errors)
    return transition


def check_transition(
    user: User, case: Case, action: TransitionAction, given: TransitionInput
) -> Transition:
    """The transition to apply, or an error saying why not, in the order of the module's
    docstring.

    :raise PermissionDenied: the user may not take this step.
    :raise Conflict: not possible from the case's state as it stands.
    :raise ValidationFailed: something the step needs is missing or invalid.
    """
    transition = check_allowed(user, case, action)
    step = transition.step
    errors: dict[str, str] = {}
    for needed in step.inputs:
        value = getattr(given, needed.name)
        if needed.required is not None and (value is None or (isinstance(value, str)
                                                              and not value.strip())):
            errors[needed.name] = str(needed.required)
    for guard in step.input_guards:
        for name, message in guard(case, given).items():
            errors.setdefault(name, message)
    if errors:
        raise ValidationFailed(" ".join(str(m) for m in errors.values()), errors=errors)
    return transition


def action_word(action: TransitionAction) -> str:
    """The past participle of a step, for messages ("approved and closed")."""
    return str(STEPS[action].done)


def timeline_verbs() -> dict[TransitionAction, object]:
    """What the timeline says of each step ("approved and closed the case")."""
    return {action: step.verb for action, step in STEPS.items()}


def describe() -> list[dict]:
    """The workflow in words, for the API's documentation: each row of the table."""
    return [
        {"action": t.action.value, "from": t.source.value,
         "to": t.target.value if t.target else t.source.value, "who": str(t.who),
         "requires": list(t.step.required_inputs),
         "accepts": list(t.step.input_names),
         "conditions": [(g.__doc__ or g.__name__).strip() for g in t.step.state_guards]}
        for t in TRANSITIONS
    ]


def ensure_changeable(case: Case) -> None:
    """A case's fields and mitigation actions change only while it is open.

    :raise Conflict: the case is closed or dismissed (reopen it first).
    """
    if not case.is_open:
        raise Conflict(_("%(key)s is %(state)s; reopen it before changing it.",
                         key=case.key, state=label_in_sentence(case.state)))
