"""The case workflow, checked against the rules in domain.md as one explicit table.

The table below is written by hand from the specification, not read from
``casework.workflow.TRANSITIONS``: the point is to catch the code drifting from the rules.
Every transition goes through ``transition_case``, the operation views, CLI and API share.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
import sqlalchemy as sa

from casework.cases.operations import add_action, transition_case
from casework.errors import Conflict, PermissionDenied, ValidationFailed
from casework.extensions import db
from casework.models import AuditEvent, Case, User
from casework.users.operations import deactivate_user
from casework.vocabulary import TransitionAction
from casework.workflow import TransitionInput, available_actions

STATES = ("qualified", "assigned", "mitigating", "in_review", "closed", "dismissed")
ACTIONS = ("assign", "start_mitigation", "submit_for_review", "approve", "request_changes",
           "reopen", "dismiss")
# Who tries: a program manager who does not own the case and one who does; a policy
# specialist who owns it and one who does not.
ACTORS = ("admin", "pm", "pm_owner", "specialist_owner", "specialist", "leadership")

# "ok": allowed; "403": PermissionDenied (the role or relation may never take the step);
# "409": Conflict (the role may, the state does not allow it now); "n/a": no such person
# (a qualified case has no owner yet). 403 comes before 409: leadership is refused for its
# role whatever the state, a specialist for not owning the case.
RULES = {
    # (state, action)                        admin  pm     pm     spec.  spec.  leader-
    #                                               other  owner  owner  other  ship
    ("qualified", "assign"):                ("ok", "ok", "n/a", "n/a", "403", "403"),
    ("qualified", "start_mitigation"):      ("409", "409", "n/a", "n/a", "403", "403"),
    ("qualified", "submit_for_review"):     ("409", "409", "n/a", "n/a", "403", "403"),
    ("qualified", "approve"):               ("409", "409", "n/a", "n/a", "403", "403"),
    ("qualified", "request_changes"):       ("409", "409", "n/a", "n/a", "403", "403"),
    ("qualified", "reopen"):                ("409", "409", "n/a", "n/a", "403", "403"),
    ("qualified", "dismiss"):               ("ok", "ok", "n/a", "n/a", "403", "403"),

    ("assigned", "assign"):                 ("ok", "ok", "ok", "403", "403", "403"),
    ("assigned", "start_mitigation"):       ("ok", "ok", "ok", "ok", "403", "403"),
    ("assigned", "submit_for_review"):      ("409", "409", "409", "409", "403", "403"),
    ("assigned", "approve"):                ("409", "409", "403", "403", "403", "403"),
    ("assigned", "request_changes"):        ("409", "409", "403", "403", "403", "403"),
    ("assigned", "reopen"):                 ("409", "409", "409", "403", "403", "403"),
    ("assigned", "dismiss"):                ("ok", "ok", "ok", "403", "403", "403"),

    ("mitigating", "assign"):               ("ok", "ok", "ok", "403", "403", "403"),
    ("mitigating", "start_mitigation"):     ("409", "409", "409", "409", "403", "403"),
    ("mitigating", "submit_for_review"):    ("ok", "ok", "ok", "ok", "403", "403"),
    ("mitigating", "approve"):              ("409", "409", "403", "403", "403", "403"),
    ("mitigating", "request_changes"):      ("409", "409", "403", "403", "403", "403"),
    ("mitigating", "reopen"):               ("409", "409", "409", "403", "403", "403"),
    ("mitigating", "dismiss"):              ("409", "409", "409", "403", "403", "403"),

    ("in_review", "assign"):                ("409", "409", "409", "403", "403", "403"),
    ("in_review", "start_mitigation"):      ("409", "409", "409", "409", "403", "403"),
    ("in_review", "submit_for_review"):     ("409", "409", "409", "409", "403", "403"),
    ("in_review", "approve"):               ("ok", "ok", "403", "403", "403", "403"),
    ("in_review", "request_changes"):       ("ok", "ok", "403", "403", "403", "403"),
    ("in_review", "reopen"):                ("409", "409", "409", "403", "403", "403"),
    ("in_review", "dismiss"):               ("409", "409", "409", "403", "403", "403"),

    ("closed", "assign"):                   ("409", "409", "409", "403", "403", "403"),
    ("closed", "start_mitigation"):         ("409", "409", "409", "409", "403", "403"),
    ("closed", "submit_for_review"):        ("409", "409", "409", "409", "403", "403"),
    ("closed", "approve"):                  ("409", "409", "403", "403", "403", "403"),
    ("closed", "request_changes"):          ("409", "409", "403", "403", "403", "403"),
    ("closed", "reopen"):                   ("ok", "ok", "ok", "403", "403", "403"),
    ("closed", "dismiss"):                  ("409", "409", "409", "403", "403", "403"),

    ("dismissed", "assign"):                ("409", "409", "409", "403", "403", "403"),
    ("dismissed", "start_mitigation"):      ("409", "409", "409", "409", "403", "403"),
    ("dismissed", "submit_for_review"):     ("409", "409", "409", "409", "403", "403"),
    ("dismissed", "approve"):               ("409", "409", "403", "403", "403", "403"),
    ("dismissed", "request_changes"):       ("409", "409", "403", "403", "403", "403"),
    ("dismissed", "reopen"):                ("409", "409", "409", "403", "403", "403"),
    ("dismissed", "dismiss"):               ("409", "409", "409", "403", "403", "403"),
}

# Where an allowed transition leads. Assigning a case already being worked on is a
# reassignment: the owner changes, the state stays.
TARGET = {
    ("qualified", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("mitigating", "assign"): "mitigating",
    ("assigned", "start_mitigation"): "mitigating",
    ("mitigating", "submit_for_review"): "in_review",
    ("in_review", "approve"): "closed",
    ("in_review", "request_changes"): "mitigating",
    ("closed", "reopen"): "assigned",
    ("qualified", "dismiss"): "dismissed",
    ("assigned", "dismiss"): "dismissed",
}

REFUSALS = {"403": PermissionDenied, "409": Conflict}

# The review decisions also record a review, on the case's trail, before the case event.
WITH_REVIEW = frozenset({"approve", "request_changes"})


def _rule_cases():
    for (state, action), row in RULES.items():
        for actor_kind, expected in zip(ACTORS, row, strict=True):
            if expected != "n/a":
                yield pytest.param(state, action, actor_kind, expected,
                                   id=f"{state}-{action}-{actor_kind}-{expected}")


def _arrange(app, make, state: str, actor_kind: str) -> tuple[int, int]:
    """A case in ``state`` and the person who tries, as (case id, actor id).

    The owner is a program manager or a policy specialist as ``actor_kind`` needs. A
    mitigating case has a finished action, so that only the rules decide a submission.
    """
    owner = make.user("program_manager") if actor_kind == "pm_owner" else make.specialist
    if state == "dismissed":
        # Dismissed from assigned, so that the case has an owner to act as.
        case = make.case("assigned", owner=owner)
    else:
        case = make.case(state, owner=owner)
    with app.app_context():
        record = db.session.get(Case, case.id)
        if state == "dismissed":
            transition_case(_user(make.pm.id), record, TransitionAction.DISMISS,
                            TransitionInput(note="Not a risk after all"))
        if state == "mitigating":
            add_action(_user(owner.id), record, title="Comms line", team="communications",
                       owner="Jana Wolf", due=date(2026, 3, 1), status="done",
                       outcome="Ready")
        db.session.commit()
        assert record.state.value == state
    actor = {
        "admin": lambda: make.user("admin"),
        "pm": lambda: make.reviewer,
        "pm_owner": lambda: owner,
        "specialist_owner": lambda: owner,
        "specialist": lambda: make.user("policy_specialist"),
        "leadership": lambda: make.user("leadership"),
    }[actor_kind]()
    return case.id, actor.id


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _valid_input(action: str, new_owner: User | None = None) -> TransitionInput:
    """What a person would fill in for ``action`` so that every guard holds."""
    if action == "assign":
        return TransitionInput(owner=new_owner)
    if action == "approve":
        return TransitionInput(note="Mitigation verified", resolution="mitigated",
                               residual_likelihood=2, residual_impact=2)
    if action in ("request_changes", "reopen", "dismiss"):
        return TransitionInput(note="Because the evidence says so")
    return TransitionInput()


def _facts(case_id: int) -> dict:
    """What a refusal must leave as it was."""
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    return {
        "state": case.state.value,
        "version": case.version,
        "owner_id": case.owner_id,
        "resolution": case.resolution,
        "reviews": len(case.reviews),
        "audit_events": db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    }


def _events_after(event_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
    ))


def _last_event_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0


def test_the_table_covers_every_state_and_action():
    assert set(RULES) == set(itertools.product(STATES, ACTIONS))
    assert all(len(row) == len(ACTORS) for row in RULES.values())
    allowed_somewhere = {key for key, row in RULES.items() if "ok" in row}
    assert allowed_somewhere == set(TARGET)


@pytest.mark.parametrize(("state", "action", "actor_kind", "expected"), list(_rule_cases()))
def test_transition_rules(app, make, state, action, actor_kind, expected):
    case_id, actor_id = _arrange(app, make, state, actor_kind)
    new_owner = make.user("policy_specialist", name="Nora Neu")
    with app.app_context():
        before = _facts(case_id)
        last_event = _last_event_id()
        case = db.session.get(Case, case_id)
        actor = _user(actor_id)
        given = _valid_input(action, _user(new_owner.id))

        if expected != "ok":
            with pytest.raises(REFUSALS[expected]) as refused:
                transition_case(actor, case, TransitionAction(action), given)
            assert type(refused.value) is REFUSALS[expected]
            db.session.rollback()
            assert _facts(case_id) == before
            return

        transition_case(actor, case, TransitionAction(action), given)
        db.session.commit()
        after = _facts(case_id)
        assert after["state"] == TARGET[(state, action)]
        assert after["version"] == before["version"] + 1
        if action == "assign":
            assert after["owner_id"] == new_owner.id
        else:
            assert after["owner_id"] == before["owner_id"]
        events = _events_after(last_event)
        expected_events = [("review", "created")] if action in WITH_REVIEW else []
        expected_events.append(("case", action))
        assert [(e.entity_type, e.action) for e in events] == expected_events
        case_events = [e for e in events if e.action == action]
        assert len(case_events) == 1
        assert case_events[0].actor_id == actor_id
        assert case_events[0].case_id == case_id
        assert case_events[0].changes.get("state", [None, state])[1] == after["state"]


@pytest.mark.parametrize(("state", "actor_kind"), [
    (state, actor_kind) for state, actor_kind in itertools.product(STATES, ACTORS)
    if RULES[(state, "assign")][ACTORS.index(actor_kind)] != "n/a"
])
def test_available_actions_match_the_table(app, make, state, actor_kind):
    """The buttons on the case page come from ``available_actions``."""
    case_id, actor_id = _arrange(app, make, state, actor_kind)
    expected = {
        action for action in ACTIONS
        if RULES[(state, action)][ACTORS.index(actor_kind)] == "ok"
    }
    with app.app_context():
        offered = available_actions(_user(actor_id), db.session.get(Case, case_id))
    assert {a.value for a in offered} == expected


def test_owner_pm_sees_no_review_buttons_and_is_refused_over_http(app, make, client, auth):
    owner = make.user("program_manager", name="Olga Owner")
    case = make.case("in_review", owner=owner)

    auth.login(owner)
    page = client.get(f"/cases/{case.key}").text
    assert "Approve and close" not in page
    assert "Request changes" not in page
    refused = client.post(f"/cases/{case.key}/do/approve", data={
        "resolution": "mitigated", "residual_likelihood": "1", "residual_impact": "1",
        "note": "Looks fine to me"})
    assert refused.status_code == 403
    auth.logout()

    auth.login(make.reviewer)
    page = client.get(f"/cases/{case.key}").text
    assert "Approve and close" in page
    assert "Request changes" in page


def test_whoever_submitted_for_review_cannot_also_review(app, make):
    """Four eyes hold even for a manager who submits a case they do not own."""
    submitter = make.user("program_manager", name="Sabine Submit")
    case = make.case("mitigating")
    _add_actions(app, case.id, submitter.id, "done")
    assert _allowed(app, case.id, submitter.id, "submit_for_review",
                    TransitionInput()) == "in_review"
    review = TransitionInput(note="Fine", resolution="mitigated",
                             residual_likelihood=1, residual_impact=1)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            transition_case(_user(submitter.id), db.session.get(Case, case.id),
                            TransitionAction.APPROVE, review)
        db.session.rollback()
        assert available_actions(_user(submitter.id), db.session.get(Case, case.id)) == []
    assert _allowed(app, case.id, make.reviewer.id, "approve", review) == "closed"


def test_a_case_in_review_cannot_be_reassigned(app, make):
    """Reassigning in review would let the former owner review their own work."""
    owner = make.user("program_manager", name="Olga Owner")
    case = make.case("in_review", owner=owner)
    specialist = make.specialist  # made before the transaction below (SQLite: one writer)
    with app.app_context(), pytest.raises(Conflict):
        transition_case(_user(make.reviewer.id), db.session.get(Case, case.id),
                        TransitionAction.ASSIGN,
                        TransitionInput(owner=_user(specialist.id)))


# --- guards: a permitted person who leaves out what the step needs is refused ---------


def _refused_by_guard(app, case_id: int, actor_id: int, action: str,
                      given: TransitionInput, *, owner_id: int | None = None,
                      refusal: type = ValidationFailed) -> ValidationFailed:
    """Attempt the transition, expect ``refusal`` (ValidationFailed for what the person
    supplied, Conflict for the case as it stands), and check nothing changed."""
    with app.app_context():
        before = _facts(case_id)
        case = db.session.get(Case, case_id)
        if owner_id is not None:
            given.owner = _user(owner_id)
        with pytest.raises(refusal) as refused:
            transition_case(_user(actor_id), case, TransitionAction(action), given)
        db.session.rollback()
        assert _facts(case_id) == before
    return refused.value


def _allowed(app, case_id: int, actor_id: int, action: str, given: TransitionInput) -> str:
    with app.app_context():
        case = db.session.get(Case, case_id)
        transition_case(_user(actor_id), case, TransitionAction(action), given)
        db.session.commit()
        return case.state.value


def _add_actions(app, case_id: int, owner_id: int, *statuses: str) -> None:
    with app.app_context():
        case = db.session.get(Case, case_id)
        for n, status in enumerate(statuses):
            add_action(_user(owner_id), case, title=f"Action {n}", team="content_policy",
                       owner="Jana Wolf", status=status, outcome="")
        db.session.commit()


def test_submit_for_review_needs_a_mitigation_action(app, make):
    case = make.case("mitigating")
    error = _refused_by_guard(app, case.id, make.specialist.id, "submit_for_review",
                              TransitionInput(), refusal=Conflict)
    assert "at least one mitigation action" in error.message


@pytest.mark.parametrize(("statuses", "allowed"), [
    (("planned",), False),
    (("in_progress",), False),
    (("done", "planned"), False),
    (("cancelled", "in_progress"), False),
    (("done",), True),
    (("cancelled",), True),
    (("done", "cancelled"), True),
])
def test_submit_for_review_waits_for_every_action(app, make, statuses, allowed):
    case = make.case("mitigating")
    _add_actions(app, case.id, make.specialist.id, *statuses)
    if allowed:
        assert _allowed(app, case.id, make.specialist.id, "submit_for_review",
                        TransitionInput()) == "in_review"
    else:
        error = _refused_by_guard(app, case.id, make.specialist.id, "submit_for_review",
                                  TransitionInput(), refusal=Conflict)
        assert "still planned or in progress" in error.message


APPROVAL = dict(note="Mitigation verified", resolution="mitigated",
                residual_likelihood=2, residual_impact=3)


@pytest.mark.parametrize(("change", "field"), [
    ({"resolution": None}, "resolution"),
    ({"note": ""}, "note"),
    ({"note": "   "}, "note"),
    ({"residual_likelihood": 0}, "residual_likelihood"),
    ({"residual_likelihood": 6}, "residual_likelihood"),
    ({"residual_likelihood": None}, "residual_likelihood"),
    ({"residual_impact": 0}, "residual_impact"),
    ({"residual_impact": 6}, "residual_impact"),
    ({"residual_impact": None}, "residual_impact"),
])
def test_approve_needs_a_complete_review(app, make, change, field):
    case = make.case("in_review")
    error = _refused_by_guard(app, case.id, make.reviewer.id, "approve",
                              TransitionInput(**{**APPROVAL, **change}))
    assert field in error.errors


def test_approve_with_a_complete_review_closes_with_the_resolution(app, make):
    case = make.case("in_review")
    assert _allowed(app, case.id, make.reviewer.id, "approve",
                    TransitionInput(**APPROVAL)) == "closed"
    with app.app_context():
        closed = db.session.get(Case, case.id)
        assert closed.resolution.value == "mitigated"
        assert closed.closed_at is not None
        review = closed.latest_review
        assert (review.residual_likelihood, review.residual_impact) == (2, 3)
        assert review.reviewer_id == make.reviewer.id


@pytest.mark.parametrize(("state", "action", "actor"), [
    ("in_review", "request_changes", "reviewer"),
    ("closed", "reopen", "pm"),
    ("qualified", "dismiss", "pm"),
    ("assigned", "dismiss", "pm"),
])
@pytest.mark.parametrize("note", ["", "  \n "])
def test_these_steps_need_a_note(app, make, state, action, actor, note):
    case = make.case(state)
    error = _refused_by_guard(app, case.id, getattr(make, actor).id, action,
                              TransitionInput(note=note))
    assert "note" in error.errors


def _inactive_specialist(app, make):
    user = make.user("policy_specialist", name="Ina Aktiv")
    with app.app_context():
        deactivate_user(None, _user(user.id))
        db.session.commit()
    return user


@pytest.mark.parametrize(("state", "who", "message"), [
    ("qualified", "nobody", "Choose the owner"),
    ("qualified", "leadership", "cannot own cases"),
    ("qualified", "inactive", "cannot own cases"),
    ("assigned", "leadership", "cannot own cases"),
    ("assigned", "inactive", "cannot own cases"),
    ("assigned", "current owner", "already owns this case"),
])
def test_assign_needs_a_new_owner_who_can_own_cases(app, make, state, who, message):
    case = make.case(state)
    owner = {
        "nobody": lambda: None,
        "leadership": lambda: make.user("leadership"),
        "inactive": lambda: _inactive_specialist(app, make),
        "current owner": lambda: make.specialist,
    }[who]()
    error = _refused_by_guard(app, case.id, make.pm.id, "assign", TransitionInput(),
                              owner_id=owner.id if owner else None)
    assert "owner" in error.errors
    assert message in error.message


def test_reopen_clears_the_resolution_and_keeps_the_owner(app, make):
    case = make.case("closed")
    assert _allowed(app, case.id, make.pm.id, "reopen",
                    TransitionInput(note="New reports on Live")) == "assigned"
    with app.app_context():
        reopened = db.session.get(Case, case.id)
        assert reopened.resolution is None
        assert reopened.closed_at is None
        assert reopened.owner_id == make.specialist.id


def test_every_step_is_described_once_and_everything_else_follows(app):
    """A step's form, API schema, timeline words and documentation come from its entry in
    the workflow; none of them lists steps of its own."""
    from casework.api.openapi import document
    from casework.audit.timeline import VERBS
    from casework.cases.forms import transition_form_class
    from casework.vocabulary import label
    from casework.workflow import STEPS, TRANSITIONS, describe

    assert set(STEPS) == set(TransitionAction)
    assert {t.action for t in TRANSITIONS} == set(TransitionAction)
    with app.test_request_context():
        spec = document()
        mapping = spec["components"]["schemas"]["Transition"]["discriminator"]["mapping"]
        for action, step in STEPS.items():
            assert label(action) != action.value  # the vocabulary names it
            form = transition_form_class(step)(meta={"csrf": False})
            assert [name for name in step.input_names if name in form] == list(
                step.input_names)
            schema = spec["components"]["schemas"][mapping[action.value].rsplit("/", 1)[1]]
            assert set(schema["required"]) == {"action", *step.required_inputs}
            assert set(schema["properties"]) == {"action", "version", *step.input_names}
            assert VERBS[("case", action.value)] == step.verb
        assert [row["action"] for row in describe()] == [t.action.value for t in TRANSITIONS]
