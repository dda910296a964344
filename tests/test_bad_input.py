"""Bad input is refused with a message beside the field it concerns, and changes nothing:
not a row, not an audit event. User text is always shown escaped."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import Case, Comment, MitigationAction, Review, Signal

REQUIRED = "This field is required."
NOT_A_CHOICE = "Not a valid choice."
ONE_TO_FIVE = "Choose a value from 1 to 5."
BERLIN = ZoneInfo("Europe/Berlin")


def field_errors(html: str, field_id: str) -> list[str]:
    """The messages shown beside one field (the form macro's ``<p class="error">``)."""
    pattern = rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>'
    return [unescape(text) for text in re.findall(pattern, html, re.S)]


def form_errors(html: str) -> list[str]:
    """The messages shown above a form, for problems of no one field."""
    blocks = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    return [unescape(text) for block in blocks for text in re.findall(r"<p>(.*?)</p>", block)]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token on the page"
    return match.group(1)


@pytest.fixture
def db_state(app):
    """Every row of every table, to show that a refused request changed nothing."""

    def _state() -> dict[str, list]:
        with app.app_context():
            return {table.name: [tuple(row) for row in db.session.execute(table.select())]
                    for table in db.metadata.sorted_tables}

    return _state


@pytest.fixture
def count(query):
    def _count(model) -> int:
        return query(sa.select(sa.func.count()).select_from(model))[0][0]

    return _count


@pytest.fixture
def second_client(app):
    """Another person's browser, logged in as ``user``."""

    def _client(user):
        other = app.test_client()
        response = other.post("/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302
        return other

    return _client


def _local(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def _valid_signal(**changes) -> dict:
    values = {
        "title": "Hate comments under Live streams in AT",
        "description": "Coordinated slurs in comments under two Live streams.",
        "source": "social_media", "market": "AT", "surface": "live",
        "category": "hate_speech", "url": "https://news.example.org/live-hate",
        "observed_at": _local(datetime.now(BERLIN) - timedelta(days=2)),
        "external_ref": "SM-4711",
    }
    values.update(changes)
    return values


# --- Filing a signal ------------------------------------------------------------------------

def test_a_valid_signal_is_filed(client, make, login_as, count):
    login_as(make.pm)
    response = client.post("/signals/new", data=_valid_signal())
    assert response.status_code == 302
    assert count(Signal) == 1


SIGNAL_ERRORS = [
    ("title", "", REQUIRED),
    ("title", "   ", REQUIRED),
    ("title", "x" * 201, "Field cannot be longer than 200 characters."),
    ("source", "carrier_pigeon", NOT_A_CHOICE),
    ("source", "", REQUIRED),
    ("market", "FR", NOT_A_CHOICE),
    ("surface", "hologram", NOT_A_CHOICE),
    ("category", "gossip", NOT_A_CHOICE),
    ("url", "javascript:alert(1)", "Give a link starting with http:// or https://."),
    ("url", "not a url", "Give a link starting with http:// or https://."),
    ("url", "ftp://files.example.org/report.pdf",
     "Give a link starting with http:// or https://."),
    ("observed_at", "yesterday", "Not a valid datetime value."),
    ("observed_at", _local(datetime.now(BERLIN) + timedelta(days=2)),
     "A signal cannot be observed in the future."),
]


@pytest.mark.parametrize(("field", "value", "message"), SIGNAL_ERRORS)
def test_a_bad_signal_is_refused_beside_the_field(client, make, login_as, db_state, field,
                                                  value, message):
    login_as(make.pm)
    before = db_state()
    response = client.post("/signals/new", data=_valid_signal(**{field: value}))
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert db_state() == before


def test_the_same_reference_from_the_same_source_is_refused(client, make, login_as,
                                                            db_state, count):
    first = make.signal(source="social_media", external_ref="SM-4711")
    login_as(make.pm)
    before = db_state()
    response = client.post("/signals/new", data=_valid_signal())
    assert response.status_code == 409
    assert field_errors(response.text, "external_ref") == [
        f"This reference was already filed as signal #{first}."]
    assert db_state() == before
    # The same reference from another source system is another signal.
    response = client.post("/signals/new", data=_valid_signal(source="news"))
    assert response.status_code == 302
    assert count(Signal) == 2


# --- Editing a case -------------------------------------------------------------------------

def _case_form(query, key: str, **changes) -> dict:
    case = query(sa.select(Case).where(Case.key == key))[0][0]
    values = {
        "title": case.title, "summary": case.summary, "assessment": case.assessment,
        "category": case.category.value, "markets": [m.value for m in case.markets],
        "surfaces": [s.value for s in case.surfaces], "likelihood": str(case.likelihood),
        "impact": str(case.impact), "version": str(case.version),
    }
    values.update(changes)
    return values


def test_a_valid_edit_is_saved(client, make, login_as, query):
    case = make.case("assigned")
    login_as(make.specialist)
    response = client.post(f"/cases/{case.key}/edit",
                           data=_case_form(query, case.key, title="Live hate in AT"))
    assert response.status_code == 302
    assert query(sa.select(Case.title).where(Case.id == case.id))[0][0] == "Live hate in AT"


CASE_ERRORS = [
    ("likelihood", "0", ONE_TO_FIVE),
    ("likelihood", "6", ONE_TO_FIVE),
    ("impact", "6", ONE_TO_FIVE),
    ("impact", "x", ONE_TO_FIVE),
    ("markets", [], "Choose at least one market."),
    ("markets", ["FR"], "'FR' is not a valid choice for this field."),
    ("category", "gossip", NOT_A_CHOICE),
    ("title", "", REQUIRED),
    ("title", "x" * 201, "Field cannot be longer than 200 characters."),
]


@pytest.mark.parametrize(("field", "value", "message"), CASE_ERRORS)
def test_a_bad_case_edit_is_refused_beside_the_field(client, make, login_as, query, db_state,
                                                     field, value, message):
    case = make.case("assigned")
    login_as(make.specialist)
    before = db_state()
    response = client.post(f"/cases/{case.key}/edit",
                           data=_case_form(query, case.key, **{field: value}))
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert db_state() == before


def test_a_case_that_does_not_exist(client, make, login_as, db_state):
    make.case("assigned")
    login_as(make.pm)
    before = db_state()
    assert client.get("/cases/RISK-2026-9999").status_code == 404
    response = client.post("/cases/RISK-2026-9999/edit", data={"title": "x"})
    assert response.status_code == 404
    assert "There is no case RISK-2026-9999." in response.text
    assert db_state() == before


# --- Workflow steps -------------------------------------------------------------------------

def _state_of(query, case) -> str:
    return query(sa.select(Case.state).where(Case.id == case.id))[0][0].value


def test_a_step_not_possible_from_the_state_is_a_conflict(client, make, login_as, query,
                                                          db_state):
    case = make.case("closed")
    login_as(make.specialist)  # the owner, who may start mitigation on an assigned case
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/start_mitigation", data={})
    assert response.status_code == 409
    assert form_errors(response.text) == [
        "A case that is closed cannot be moved to mitigation."]
    assert db_state() == before
    assert _state_of(query, case) == "closed"


@pytest.mark.parametrize(("data", "message"), [
    # The page of a step not possible shows no fields, so it says why instead.
    ({}, "A case that is assigned cannot be approved and closed."),
    ({"resolution": "mitigated", "residual_likelihood": "1", "residual_impact": "1",
      "note": "Looks fine"}, "A case that is assigned cannot be approved and closed."),
], ids=["empty form", "complete form"])
def test_approving_a_case_not_in_review_is_a_conflict_with_or_without_the_form(
        client, make, login_as, db_state, data, message):
    case = make.case("assigned")
    login_as(make.reviewer)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/approve", data=data)
    assert response.status_code == 409
    assert form_errors(response.text) == [message]
    assert db_state() == before


def test_opening_a_step_not_possible_says_why(client, make, login_as):
    case = make.case("assigned")
    login_as(make.reviewer)
    response = client.get(f"/cases/{case.key}/do/approve")
    assert response.status_code == 409
    assert "A case that is assigned cannot be approved and closed." in form_errors(
        response.text)


@pytest.mark.parametrize(("who", "state", "action"), [
    ("other_specialist", "assigned", "start_mitigation"),
    ("leadership", "assigned", "start_mitigation"),
    ("owner", "assigned", "dismiss"),
    ("owner", "in_review", "approve"),
    ("owner_pm", "in_review", "approve"),
])
def test_a_step_the_role_may_not_take_is_refused(client, make, login_as, db_state, who,
                                                 state, action):
    users = {"other_specialist": lambda: make.user("policy_specialist"),
             "leadership": lambda: make.user("leadership"),
             "owner": lambda: make.specialist, "owner_pm": lambda: make.pm}
    user = users[who]()
    case = make.case(state, owner=make.pm if who == "owner_pm" else make.specialist)
    login_as(user)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/{action}", data={
        "note": "Done", "resolution": "mitigated", "residual_likelihood": "1",
        "residual_impact": "1"})
    assert response.status_code == 403
    assert db_state() == before


def test_an_edit_on_a_case_changed_meanwhile_is_refused(client, make, login_as, query,
                                                        second_client, db_state):
    case = make.case("assigned")
    login_as(make.specialist)
    opened = _case_form(query, case.key, title="Owner's title")
    pm = second_client(make.pm)
    assert pm.post(f"/cases/{case.key}/edit",
                   data=_case_form(query, case.key, title="PM's title")).status_code == 302
    before = db_state()
    response = client.post(f"/cases/{case.key}/edit", data=opened)
    assert response.status_code == 409
    assert any("changed since you opened it" in m for m in form_errors(response.text))
    assert db_state() == before
    assert query(sa.select(Case.title).where(Case.id == case.id))[0][0] == "PM's title"


def test_a_step_on_a_case_changed_meanwhile_is_refused(client, make, login_as, query,
                                                       second_client, db_state):
    case = make.case("assigned")
    login_as(make.specialist)
    page = client.get(f"/cases/{case.key}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    pm = second_client(make.pm)
    assert pm.post(f"/cases/{case.key}/edit",
                   data=_case_form(query, case.key, impact="5")).status_code == 302
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/start_mitigation",
                           data={"version": version})
    assert response.status_code == 409
    assert any("changed since you opened it" in m for m in form_errors(response.text))
    assert db_state() == before
    assert _state_of(query, case) == "assigned"


@pytest.mark.parametrize(("state", "action", "message"), [
    ("in_review", "request_changes", "Say what needs to change."),
    ("closed", "reopen", "Give the reason for reopening the case."),
    ("qualified", "dismiss", "Give the reason for dismissing the case."),
    ("assigned", "dismiss", "Give the reason for dismissing the case."),
])
def test_a_step_that_needs_a_reason_is_refused_without_one(client, make, login_as, db_state,
                                                           state, action, message):
    case = make.case(state)
    login_as(make.reviewer)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/{action}", data={"note": "  "})
    assert response.status_code == 422
    assert field_errors(response.text, "note") == [message]
    assert db_state() == before


def test_approving_needs_a_resolution_and_a_note(client, make, login_as, query, db_state,
                                                 count):
    case = make.case("in_review")
    login_as(make.reviewer)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/approve", data={
        "resolution": "", "residual_likelihood": "2", "residual_impact": "2", "note": ""})
    assert response.status_code == 422
    assert field_errors(response.text, "resolution") == ["Choose a resolution."]
    assert field_errors(response.text, "note") == ["Write a review note."]
    assert db_state() == before
    assert _state_of(query, case) == "in_review"
    assert count(Review) == 0


def test_approving_needs_residual_ratings_from_1_to_5(client, make, login_as, db_state):
    case = make.case("in_review")
    login_as(make.reviewer)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/approve", data={
        "resolution": "mitigated", "residual_likelihood": "0", "residual_impact": "9",
        "note": "Fine"})
    assert response.status_code == 422
    assert field_errors(response.text, "residual_likelihood") == [ONE_TO_FIVE]
    assert field_errors(response.text, "residual_impact") == [ONE_TO_FIVE]
    assert db_state() == before


@pytest.mark.parametrize(("owner", "message"), [
    ("", "Choose the owner."),  # the empty first option of the list
    ("0", "There is no such user."),
    ("{leadership}", "Leadership {n} cannot own cases."),
])
def test_assigning_needs_someone_who_can_own_the_case(client, make, login_as, db_state,
                                                      owner, message):
    case = make.case("qualified")
    lead = make.user("leadership")
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/assign",
                           data={"owner": owner.format(leadership=lead.id)})
    assert response.status_code == 422
    assert field_errors(response.text, "owner") == [message.format(n=lead.name.split()[-1])]
    assert db_state() == before


def test_submitting_for_review_with_pending_actions_is_refused(client, make, login_as,
                                                               db_state):
    case = make.case("mitigating")
    login_as(make.specialist)
    assert client.post(f"/cases/{case.key}/actions/new", data={
        "title": "Moderator guideline refresh", "team": "operations",
        "status": "in_progress"}).status_code == 302
    before = db_state()
    response = client.post(f"/cases/{case.key}/do/submit_for_review", data={})
    assert response.status_code == 409  # the case as it stands: a state conflict
    assert any("still planned or in progress" in m for m in form_errors(response.text))
    assert db_state() == before


# --- Triage of signals ------------------------------------------------------------------------

QUALIFY = {"title": "Live hate in AT", "summary": "", "category": "hate_speech",
           "markets": ["AT"], "surfaces": ["live"], "likelihood": "3", "impact": "4"}


def test_a_signal_is_qualified_only_once(client, make, login_as, db_state, count):
    signal_id = make.signal()
    login_as(make.pm)
    assert client.post(f"/signals/{signal_id}/qualify", data=QUALIFY).status_code == 302
    before = db_state()
    response = client.post(f"/signals/{signal_id}/qualify", data=QUALIFY)
    assert response.status_code == 409
    assert "This signal was already triaged (qualified)." in response.text
    assert db_state() == before
    assert count(Case) == 1


def test_dismissing_a_signal_needs_a_reason(client, make, login_as, query, db_state):
    signal_id = make.signal()
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/signals/{signal_id}/dismiss", data={"reason": "   "})
    assert response.status_code == 422
    assert field_errors(response.text, "reason") == [REQUIRED]
    assert db_state() == before
    assert query(sa.select(Signal.status).where(Signal.id == signal_id))[0][0].value == "new"


@pytest.mark.parametrize(("target", "message"), [
    ("#{self}", "A signal cannot duplicate itself."),
    ("{self}", "A signal cannot duplicate itself."),
    ("#999999", "There is no signal #999999."),
    ("RISK-2020-9999", "There is no case RISK-2020-9999."),
    ("", REQUIRED),
])
def test_a_duplicate_needs_another_signal_or_a_case_that_exists(client, make, login_as,
                                                                db_state, target, message):
    signal_id = make.signal()
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/signals/{signal_id}/duplicate",
                           data={"of": target.format(self=signal_id)})
    assert response.status_code == 422
    assert field_errors(response.text, "of") == [message]
    assert db_state() == before


def test_attaching_to_a_case_that_does_not_exist(client, make, login_as, db_state):
    signal_id = make.signal()
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/signals/{signal_id}/attach", data={"case_key": "RISK-2020-9999"})
    assert response.status_code == 422
    assert field_errors(response.text, "case_key") == ["There is no case RISK-2020-9999."]
    assert db_state() == before


def test_attaching_to_a_closed_case_is_a_conflict(client, make, login_as, db_state):
    case = make.case("closed")
    signal_id = make.signal()
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/signals/{signal_id}/attach", data={"case_key": case.key})
    assert response.status_code == 409
    assert f"{case.key} is not open; reopen it first or open a new case." in (
        form_errors(response.text) + field_errors(response.text, "case_key"))
    assert db_state() == before


# --- Mitigation actions and comments ----------------------------------------------------------

VALID_ACTION = {"title": "Keyword list update for comments", "team": "content_policy",
                "owner": "Jana Wolf", "due": "2026-12-31", "status": "planned", "outcome": ""}
ACTION_ERRORS = [
    ("due", "31.12.2026", "Not a valid date value."),
    ("due", "2026-02-30", "Not a valid date value."),
    ("team", "marketing", NOT_A_CHOICE),
    ("status", "someday", NOT_A_CHOICE),
    ("title", "", REQUIRED),
]


def test_a_valid_action_is_added(client, make, login_as, count):
    case = make.case("assigned")
    login_as(make.specialist)
    assert client.post(f"/cases/{case.key}/actions/new", data=VALID_ACTION).status_code == 302
    assert count(MitigationAction) == 1


@pytest.mark.parametrize(("field", "value", "message"), ACTION_ERRORS)
def test_a_bad_new_action_is_refused_beside_the_field(client, make, login_as, db_state,
                                                      field, value, message):
    case = make.case("assigned")
    login_as(make.specialist)
    before = db_state()
    response = client.post(f"/cases/{case.key}/actions/new",
                           data={**VALID_ACTION, field: value})
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert db_state() == before


@pytest.mark.parametrize(("field", "value", "message"), ACTION_ERRORS)
def test_a_bad_action_edit_is_refused_beside_the_field(client, make, login_as, query,
                                                       db_state, field, value, message):
    case = make.case("in_review")  # it has one done action
    action_id = query(sa.select(MitigationAction.id).where(
        MitigationAction.case_id == case.id))[0][0]
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/cases/{case.key}/actions/{action_id}/edit",
                           data={**VALID_ACTION, field: value})
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert db_state() == before


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_comment_is_refused_beside_the_field(client, make, login_as, db_state,
                                                      count, body):
    case = make.case("assigned")
    login_as(make.user("policy_specialist"))
    before = db_state()
    response = client.post(f"/cases/{case.key}/comments", data={"body": body})
    assert response.status_code == 422
    assert field_errors(response.text, "body") == [REQUIRED]
    assert db_state() == before
    assert count(Comment) == 0


# --- CSRF -------------------------------------------------------------------------------------

def _login_with_token(client, user):
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", data={"email": user.email, "password": user.password,
                                           "csrf_token": token})
    assert response.status_code == 302
    return response


@pytest.mark.parametrize(("path", "data"), [
    ("/cases/{key}/comments", {"body": "A comment"}),
    ("/cases/{key}/do/start_mitigation", {}),
    ("/cases/{key}/edit", {"title": "Changed"}),
    ("/signals/new", _valid_signal()),
    ("/signals/{signal}/dismiss", {"reason": "Noise"}),
    ("/logout", {}),
])
def test_a_post_without_its_csrf_token_is_refused(csrf_app, client, make, db_state, path,
                                                  data):
    case = make.case("assigned", owner=make.pm)
    signal_id = make.signal()
    _login_with_token(client, make.pm)
    before = db_state()
    response = client.post(path.format(key=case.key, signal=signal_id), data=data)
    assert response.status_code == 400
    assert "missing its security token" in response.text
    assert db_state() == before
    assert client.get("/cases").status_code == 200  # still logged in


def test_a_post_with_a_wrong_csrf_token_is_refused(csrf_app, client, make, db_state):
    case = make.case("assigned")
    _login_with_token(client, make.pm)
    before = db_state()
    response = client.post(f"/cases/{case.key}/comments",
                           data={"body": "A comment", "csrf_token": "forged"})
    assert response.status_code == 400
    assert db_state() == before


def test_a_post_with_its_csrf_token_works(csrf_app, client, make, count):
    case = make.case("assigned")
    _login_with_token(client, make.pm)
    token = csrf_token(client.get(f"/cases/{case.key}").text)
    response = client.post(f"/cases/{case.key}/comments",
                           data={"body": "A comment", "csrf_token": token})
    assert response.status_code == 302
    assert count(Comment) == 1


# --- Escaping ---------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
def hostile(client, make, login_as, query):
    """A signal, a case and a comment whose text is markup, entered through the forms."""
    login_as(make.pm)
    assert client.post("/signals/new", data=_valid_signal(
        title=SCRIPT, description=IMG, external_ref=SCRIPT)).status_code == 302
    assert client.post("/signals/new", data=_valid_signal(
        title=SCRIPT, external_ref="SM-2")).status_code == 302
    qualified, waiting = (row[0] for row in query(sa.select(Signal.id).order_by(Signal.id)))
    assert client.post(f"/signals/{qualified}/qualify",
                       data={**QUALIFY, "title": SCRIPT, "summary": IMG}).status_code == 302
    key = query(sa.select(Case.key))[0][0]
    assert client.post(f"/cases/{key}/comments", data={"body": IMG}).status_code == 302
    return {"key": key, "qualified": qualified, "waiting": waiting}


@pytest.mark.parametrize("page", [
    "/signals?status=all",
    "/signals",
    "/signals/{qualified}",
    "/signals/{waiting}",
    "/signals/{waiting}/qualify",
    "/cases",
    "/cases/{key}",
    "/cases/{key}/edit",
    "/cases/{key}/do/assign",
])
def test_user_text_is_escaped(client, hostile, page):
    response = client.get(page.format(**hostile))
    assert response.status_code == 200
    assert SCRIPT not in response.text
    assert IMG not in response.text
    assert _escaped(SCRIPT) in response.text


def test_the_timeline_escapes_user_text(client, hostile):
    page = client.get(f"/cases/{hostile['key']}").text
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert _escaped(SCRIPT) in timeline  # the case's title, as opened
    assert _escaped(IMG) in timeline  # the comment
    assert SCRIPT not in timeline
    assert IMG not in timeline


def test_the_comment_and_description_are_escaped_where_shown(client, hostile):
    assert _escaped(IMG) in client.get(f"/cases/{hostile['key']}").text
    assert _escaped(IMG) in client.get(f"/signals/{hostile['qualified']}").text


@pytest.mark.parametrize("version", ["abc", "-1", "1.5", "99999999999999999999"])
def test_a_mangled_version_is_refused_as_stale(client, make, login_as, db_state, version):
    case = make.case("assigned")
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/cases/{case.key}/edit", data={
        "title": "Changed", "category": "hate_speech", "markets": ["DE"],
        "likelihood": "3", "impact": "3", "version": version})
    assert response.status_code == 409
    assert "changed since you opened it" in response.text
    response = client.post(f"/cases/{case.key}/do/start_mitigation", data={"version": version})
    assert response.status_code == 409
    assert db_state() == before


@pytest.mark.parametrize("page", ["59505626044224226", "-3", "abc", "0"])
@pytest.mark.parametrize("url", ["/cases", "/signals"])
def test_odd_page_numbers_show_a_page_not_an_error(client, make, login_as, url, page):
    login_as(make.pm)
    response = client.get(f"{url}?page={page}&per_page=99999999999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize("version", [None, "", "   "])
def test_an_edit_without_the_version_it_was_opened_at_is_refused(client, make, login_as,
                                                                 db_state, version):
    """Without a version the form cannot tell whether someone changed the case since it
    was opened: it used to take the case's current version and overwrite their change."""
    case = make.case("assigned")
    login_as(make.pm)
    before = db_state()
    response = client.post(f"/cases/{case.key}/edit", data={
        "title": "Changed", "category": "hate_speech", "markets": ["DE"],
        "likelihood": "3", "impact": "3", **({} if version is None else {"version": version})})
    assert response.status_code == 422
    assert "did not say which version of the case it was opened at" in response.text
    assert db_state() == before
