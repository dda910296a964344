"""Pages and API refuse alike: every (route, role, state) gives the same class of answer.

One edge serves both, so a refusal has one class everywhere, decided in one order: not
there or not visible (404), the role may never (403), the state does not allow it now
(409), the input is not valid (422). Each pair below does the same thing once through a
page (a form post, as a browser sends it) and once through the API (JSON with a token), on
twin cases in the same state, with valid input and with invalid input, and compares.
A form page opened with GET answers as the API would to valid input, but never 422.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from casework.extensions import db

ROLES = ("admin", "program_manager", "owner", "specialist", "leadership")
STATES = ("qualified", "assigned", "mitigating", "in_review", "closed", "dismissed",
          "restricted")
STEPS = ("assign", "start_mitigation", "submit_for_review", "approve", "request_changes",
         "reopen", "dismiss")


def answer_class(status: int) -> str:
    """What a user notices: done, or which refusal."""
    return "ok" if status < 400 else str(status)


@dataclass
class Twin:
    """A case and what the routes need to name in it."""

    key: str
    version: int
    action_id: int


class World:
    """The people, each with a logged-in browser and an API token, and a case maker."""

    def __init__(self, app, make):
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        self.app, self.make = app, make
        self.people = {"admin": make.user("admin"), "program_manager": make.reviewer,
                       "owner": make.specialist, "specialist": make.user("policy_specialist"),
                       "leadership": make.user("leadership")}
        self.new_owner = make.user("policy_specialist", name="Nora Neu")
        self.browsers, self.tokens = {}, {}
        with app.app_context():
            for role, person in self.people.items():
                _token, secret = create_token(None, find_user(person.email))
                self.tokens[role] = secret
            db.session.commit()
        for role, person in self.people.items():
            browser = app.test_client()
            assert browser.post("/login", data={"email": person.email,
                                                "password": person.password}).status_code == 302
            self.browsers[role] = browser

    def case(self, state: str) -> Twin:
        """A case in ``state`` owned by the owner, with one finished mitigation action."""
        from casework.cases import operations as cases
        from casework.models import Case, MitigationAction, User
        from casework.vocabulary import TransitionAction
        from casework.workflow import TransitionInput

        make = self.make
        built = {"dismissed": "qualified", "restricted": "assigned"}.get(state, state)
        record = make.case(built, owner=make.specialist)
        with self.app.app_context():
            case = db.session.get(Case, record.id)
            pm = db.session.get(User, make.pm.id)
            if not case.actions:
                cases.add_action(pm, case, title="Comms line", team="communications",
                                 status="done", outcome="Ready")
            if state == "dismissed":
                cases.transition_case(pm, case, TransitionAction.DISMISS,
                                      TransitionInput(note="Noise"))
            if state == "restricted":
                cases.update_case(pm, case, expected_version=None, restricted=True)
            db.session.commit()
            action_id = db.session.scalar(sa.select(MitigationAction.id)
                                          .where(MitigationAction.case_id == case.id))
            return Twin(case.key, case.version, action_id)

    def page(self, role, method, url, data=None) -> str:
        response = self.browsers[role].open(url, method=method, data=data)
        return answer_class(response.status_code)

    def api(self, role, method, url, body=None) -> str:
        response = self.app.test_client().open(
            url, method=method, json=body,
            headers={"Authorization": f"Bearer {self.tokens[role]}"})
        assert response.is_json or response.mimetype == "application/pdf", response.data[:200]
        return answer_class(response.status_code)


@pytest.fixture
def world(app, make) -> World:
    return World(app, make)


CASE_FORM = {"title": "Raid wave on Live", "summary": "S", "category": "hate_speech",
             "markets": ["DE", "AT"], "likelihood": "3", "impact": "4", "assessment": "A"}
CASE_JSON = {"title": "Raid wave on Live", "summary": "S", "category": "hate_speech",
             "markets": ["DE", "AT"], "likelihood": 3, "impact": 4, "assessment": "A"}
ACTION_FORM = {"title": "Keyword list", "team": "content_policy", "owner": "Jana Wolf",
               "due": "2026-12-01", "status": "in_progress", "outcome": ""}
ACTION_JSON = {"title": "Keyword list", "team": "content_policy", "owner": "Jana Wolf",
               "due": "2026-12-01", "status": "in_progress", "outcome": ""}


def _step_input(world: World, step: str, valid: bool) -> tuple[dict, dict]:
    """(form data, JSON) for a workflow step: what a person fills in, or nothing."""
    if not valid:
        return {}, {}
    if step == "assign":
        return {"owner": str(world.new_owner.id)}, {"owner": world.new_owner.email}
    if step == "approve":
        review = {"resolution": "mitigated", "residual_likelihood": 2, "residual_impact": 2,
                  "note": "Verified"}
        return {k: str(v) for k, v in review.items()}, review
    if step in ("request_changes", "reopen", "dismiss"):
        return {"note": "Because"}, {"note": "Because"}
    return {}, {}


def _pair(world: World, route: str, twin: Twin, valid: bool):
    """(page method, page URL, form data, API method, API URL, JSON) for one route."""
    key, version = twin.key, twin.version
    if route == "view":
        return ("GET", f"/cases/{key}", None, "GET", f"/api/v1/cases/{key}", None)
    if route == "edit":
        form = {**CASE_FORM, "version": str(version)}
        body = {**CASE_JSON, "version": version}
        if not valid:
            form["title"], body["title"] = "", ""
        return ("POST", f"/cases/{key}/edit", form, "PATCH", f"/api/v1/cases/{key}", body)
    if route == "add_action":
        form, body = dict(ACTION_FORM), dict(ACTION_JSON)
        if not valid:
            form["title"], body["title"] = "", ""
        return ("POST", f"/cases/{key}/actions/new", form,
                "POST", f"/api/v1/cases/{key}/actions", body)
    if route == "edit_action":
        form, body = dict(ACTION_FORM), dict(ACTION_JSON)
        if not valid:
            form["title"], body["title"] = "", ""
        return ("POST", f"/cases/{key}/actions/{twin.action_id}/edit", form,
                "PATCH", f"/api/v1/actions/{twin.action_id}", body)
    if route == "summary":
        audience = "partner" if valid else "press"
        return ("GET", f"/cases/{key}/summary.pdf?audience={audience}", None,
                "GET", f"/api/v1/cases/{key}/summary.pdf?audience={audience}", None)
    if route == "comment":
        text = "Looks coordinated" if valid else ""
        return ("POST", f"/cases/{key}/comments", {"body": text},
                "POST", f"/api/v1/cases/{key}/comments", {"body": text})
    step = route.removeprefix("step:")
    form, body = _step_input(world, step, valid)
    return ("POST", f"/cases/{key}/do/{step}", {**form, "version": str(version)},
            "POST", f"/api/v1/cases/{key}/transitions",
            {**body, "action": step, "version": version})


def _form_page(route: str, twin: Twin) -> str | None:
    """The page with the form for ``route``, if it has one of its own."""
    if route == "edit":
        return f"/cases/{twin.key}/edit"
    if route == "add_action":
        return f"/cases/{twin.key}/actions/new"
    if route == "edit_action":
        return f"/cases/{twin.key}/actions/{twin.action_id}/edit"
    if route.startswith("step:"):
        return f"/cases/{twin.key}/do/{route.removeprefix('step:')}"
    return None


ROUTES = ("view", "summary", "edit", "add_action", "edit_action", "comment",
          *(f"step:{step}" for step in STEPS))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("route", ROUTES)
def test_pages_and_api_give_the_same_class(world, route, state):
    mismatches = []
    for role in ROLES:
        for valid in (True, False):
            page_twin, api_twin = world.case(state), world.case(state)
            p_method, p_url, form, a_method, a_url, body = _pair(world, route, page_twin, valid)
            page = world.page(role, p_method, p_url, form)
            _m, _u, _f, a_method, a_url, body = _pair(world, route, api_twin, valid)
            api = world.api(role, a_method, a_url, body)
            if page != api:
                mismatches.append((role, "valid" if valid else "invalid", page, api))
            if valid and _form_page(route, page_twin):
                # The form itself: opened, it answers as the API does to valid input.
                fresh = world.case(state)
                shown = world.page(role, "GET", _form_page(route, fresh))
                *_first, a_method, a_url, body = _pair(world, route, fresh, True)
                done = world.api(role, a_method, a_url, body)
                expected = done if done in ("403", "404", "409") else "ok"
                if shown != expected:
                    mismatches.append((role, "form page", shown, expected))
    assert not mismatches, f"{route} on a {state} case: (role, input, page, API) {mismatches}"


SIGNAL_STATES = ("new", "qualified", "dismissed", "restricted")
SIGNAL_ROUTES = ("qualify", "attach", "dismiss", "duplicate", "view")


def _signal(world: World, state: str) -> tuple[int, str]:
    """A signal in ``state`` and the key of an open case to attach it to."""
    from casework.models import Case, Signal, User
    from casework.signals import operations as signals

    make = world.make
    target = world.case("assigned")
    restricted = world.case("restricted") if state == "restricted" else None
    signal_id = make.signal()
    with world.app.app_context():
        pm = db.session.get(User, make.pm.id)
        signal = db.session.get(Signal, signal_id)
        if state == "qualified":
            signals.attach_to_case(pm, signal, db.session.scalar(
                sa.select(Case).where(Case.key == target.key)))
        elif state == "dismissed":
            signals.dismiss_signal(pm, signal, "Noise")
        elif restricted is not None:
            signals.attach_to_case(pm, signal, db.session.scalar(
                sa.select(Case).where(Case.key == restricted.key)))
        db.session.commit()
    return signal_id, target.key


def _signal_pair(route: str, signal_id: int, key: str, valid: bool):
    base, api = f"/signals/{signal_id}", f"/api/v1/signals/{signal_id}"
    if route == "view":
        return ("GET", base, None, "GET", api, None)
    if route == "qualify":
        form = {**CASE_FORM} if valid else {**CASE_FORM, "title": ""}
        body = {k: v for k, v in CASE_JSON.items() if k != "assessment"}
        if not valid:
            body["title"] = ""
        form.pop("assessment")
        return ("POST", f"{base}/qualify", form, "POST", f"{api}/qualify", body)
    if route == "attach":
        target = key if valid else "RISK-1999-9999"
        return ("POST", f"{base}/attach", {"case_key": target},
                "POST", f"{api}/qualify", {"case": target})
    if route == "dismiss":
        reason = "Satire" if valid else ""
        return ("POST", f"{base}/dismiss", {"reason": reason},
                "POST", f"{api}/dismiss", {"reason": reason})
    target = key if valid else "RISK-1999-9999"
    return ("POST", f"{base}/duplicate", {"of": target},
            "POST", f"{api}/duplicate", {"of_case": target})


@pytest.mark.parametrize("state", SIGNAL_STATES)
@pytest.mark.parametrize("route", SIGNAL_ROUTES)
def test_signal_pages_and_api_give_the_same_class(world, route, state):
    mismatches = []
    for role in ROLES:
        for valid in (True, False):
            first, key = _signal(world, state)
            second, other_key = _signal(world, state)
            p_method, p_url, form, _m, _u, _b = _signal_pair(route, first, key, valid)
            page = world.page(role, p_method, p_url, form)
            _m, _u, _f, a_method, a_url, body = _signal_pair(route, second, other_key, valid)
            api = world.api(role, a_method, a_url, body)
            if page != api:
                mismatches.append((role, "valid" if valid else "invalid", page, api))
    assert not mismatches, f"{route} on a {state} signal: (role, input, page, API) {mismatches}"


def test_a_closed_case_refuses_changes_with_409_on_page_and_api(world):
    """The examples the trouble began with: a manager editing a closed case, or adding an
    action to it, and leadership on a closed case."""
    for route, role, expected in (("edit", "program_manager", "409"),
                                  ("add_action", "program_manager", "409"),
                                  ("edit", "leadership", "403"),
                                  ("step:reopen", "leadership", "403")):
        page_twin, api_twin = world.case("closed"), world.case("closed")
        p_method, p_url, form, *_rest = _pair(world, route, page_twin, True)
        *_first, a_method, a_url, body = _pair(world, route, api_twin, True)
        assert world.page(role, p_method, p_url, form) == expected, (route, role)
        assert world.api(role, a_method, a_url, body) == expected, (route, role)


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_filing_a_signal_answers_alike(world, valid):
    """Filing a signal: leadership may not (403), everyone else may, with valid input."""
    signal = {"title": "Raid wave on Live" if valid else "", "description": "",
              "source": "news", "market": "AT", "category": "hate_speech"}
    for role in ROLES:
        page = world.page(role, "POST", "/signals/new", signal)
        api = world.api(role, "POST", "/api/v1/signals", signal)
        assert page == api, (role, page, api)
