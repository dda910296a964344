"""Restricted cases: only the owner and managers see them, anywhere; others get 404."""

import re

import pytest
import sqlalchemy as sa

from casework.models import AuditEvent, Case, Signal


def _restrict(client, key: str, version: int, restricted: bool = True):
    return client.post(f"/cases/{key}/edit", data={
        "title": "Grooming in DMs", "summary": "", "assessment": "", "category": "child_safety",
        "markets": ["DE"], "surfaces": ["messages"], "likelihood": "4", "impact": "5",
        "version": str(version), **({"restricted": "y"} if restricted else {}),
    })


def _api(client, user_id: int) -> dict:
    """Headers for the API with a new token of the user ``user_id``."""
    from casework.api.tokens import create_token
    from casework.extensions import db
    from casework.models import User

    with client.application.app_context():
        _token, secret = create_token(None, db.session.get(User, user_id), "count check")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def restricted_case(make, client, login_as, query):
    """A child-safety case owned by the specialist, restricted by a program manager."""
    case = make.case("assigned", title="Grooming in DMs", category="child_safety")
    login_as(make.pm)
    version = query(sa.select(Case.version).where(Case.id == case.id))[0][0]
    response = _restrict(client, case.key, version)
    assert response.status_code == 302
    client.post("/logout")
    assert query(sa.select(Case.restricted).where(Case.id == case.id))[0][0] is True
    return case


def test_restricting_is_audited(restricted_case, query):
    changes = query(sa.select(AuditEvent.changes).where(
        AuditEvent.case_id == restricted_case.id, AuditEvent.action == "updated"))
    assert any(c[0].get("restricted") == [False, True] for c in changes)


@pytest.mark.parametrize("role", ["policy_specialist", "leadership"])
def test_others_do_not_see_a_restricted_case_anywhere(restricted_case, make, client,
                                                      login_as, query, role):
    login_as(role)
    assert client.get(f"/cases/{restricted_case.key}").status_code == 404
    assert client.get(f"/cases/{restricted_case.key}/edit").status_code == 404
    queue = client.get("/cases").text
    assert restricted_case.key not in queue
    assert "0 cases" in queue
    search = client.get(f"/cases?q={restricted_case.key}").text
    assert f"/cases/{restricted_case.key}\"" not in search
    signal_id = query(sa.select(Signal.id).where(Signal.case_id == restricted_case.id))[0][0]
    assert client.get(f"/signals/{signal_id}").status_code == 404
    assert f"/signals/{signal_id}\"" not in client.get("/signals?status=all").text


@pytest.mark.parametrize("who", ["owner", "program_manager", "admin"])
def test_owner_and_managers_see_it(restricted_case, make, client, login_as, who):
    login_as(make.specialist if who == "owner" else who)
    page = client.get(f"/cases/{restricted_case.key}")
    assert page.status_code == 200
    assert "Restricted" in page.text
    assert restricted_case.key in client.get("/cases").text


def test_only_managers_may_restrict(make, client, login_as, query):
    case = make.case("assigned")
    login_as(make.specialist)  # the owner may edit the case, but not restrict it
    edit_page = client.get(f"/cases/{case.key}/edit").text
    assert 'name="restricted"' not in edit_page
    version = query(sa.select(Case.version).where(Case.id == case.id))[0][0]
    assert _restrict(client, case.key, version).status_code == 302
    assert query(sa.select(Case.restricted).where(Case.id == case.id))[0][0] is False


def test_the_operation_refuses_a_specialist(app, make):
    from casework.cases.operations import update_case
    from casework.errors import PermissionDenied
    from casework.extensions import db
    from casework.users.operations import find_user

    case = make.case("assigned")
    with app.app_context():
        owner = find_user(make.specialist.email)
        with pytest.raises(PermissionDenied):
            update_case(owner, db.session.get(Case, case.id), expected_version=None,
                        restricted=True)


@pytest.mark.parametrize("who", ["owner", "other_specialist", "leadership", "program_manager"])
@pytest.mark.parametrize("args", ["market=DE", "market=AT", "surface=messages",
                                  "surface=live", "market=DE&state=assigned"])
def test_queue_counts_by_market_and_surface_leave_out_what_the_reader_may_not_see(
        restricted_case, make, client, login_as, who, args):
    """With one market or surface filter the queue counts from the index of that link table;
    the number must still be the cases the reader sees, in the page and in the API."""
    make.case("mitigating", markets=["DE", "AT"], surfaces=["live", "messages"])
    make.case("qualified", markets=["AT"], surfaces=["live"])
    user = login_as({"owner": make.specialist, "program_manager": make.pm}.get(
        who, "policy_specialist" if who == "other_specialist" else who))
    page = client.get(f"/cases?{args}&per_page=100").text
    listed = len(set(re.findall(r'href="/cases/(RISK-\d{4}-\d+)"', page)))
    sees_restricted = who in ("owner", "program_manager")
    in_filter = {"market=DE": 2, "market=AT": 2, "surface=messages": 2, "surface=live": 2,
                 "market=DE&state=assigned": 1}[args]
    restricted_matches = args != "market=AT" and args != "surface=live"
    expected = in_filter - (1 if restricted_matches and not sees_restricted else 0)
    assert listed == expected
    assert f"{expected} case" in page
    # The API's list counts the same way.
    answer = client.get(f"/api/v1/cases?{args}", headers=_api(client, user.id)).get_json()
    assert answer["total"] == expected


@pytest.mark.parametrize("who", ["owner", "other_specialist", "leadership", "program_manager"])
@pytest.mark.parametrize("args", ["status=all", "status=qualified", "status=all&market=DE",
                                  "status=new"])
def test_inbox_counts_leave_out_signals_of_restricted_cases(
        restricted_case, make, client, login_as, who, args):
    """The inbox counts what a manager sees less the signals of hidden restricted cases;
    the number must be what this reader is shown, in the page and in the API."""
    make.signal(market="DE")
    make.signal(market="AT")
    make.case("assigned", markets=["DE"])  # qualified from a signal of its own
    user = login_as({"owner": make.specialist, "program_manager": make.pm}.get(
        who, "policy_specialist" if who == "other_specialist" else who))
    sees_restricted = who in ("owner", "program_manager")
    # The restricted case's signal is qualified, in DE; so is the other case's.
    expected = {"status=all": 4, "status=qualified": 2, "status=all&market=DE": 3,
                "status=new": 2}[args]
    if not sees_restricted and args != "status=new":
        expected -= 1
    page = client.get(f"/signals?{args}&per_page=100").text
    assert len(set(re.findall(r'href="/signals/(\d+)"', page))) == expected
    assert f"{expected} signal" in page
    answer = client.get(f"/api/v1/signals?{args.replace('status=all', '')}",
                        headers=_api(client, user.id)).get_json()
    assert answer["total"] == expected


def test_counting_stops_a_fixed_distance_past_the_page(make, client, login_as, monkeypatch):
    """Counts for pagination stop COUNT_AHEAD rows past the page shown (here 5, so that a
    few cases show it): the total is then 'more than', and grows as the reader pages on;
    near the end it is exact again. Restricted cases the reader may not see stay out."""
    from casework import pagination

    monkeypatch.setattr(pagination, "COUNT_AHEAD", 5)
    for number in range(8):
        make.case("qualified", restricted=number == 0)
    login_as(make.pm)
    first = client.get("/cases?per_page=2").text
    assert "More than 5 cases" in first and "Page 1 of more than 3" in first
    third = client.get("/cases?per_page=2&page=3").text
    assert "8 cases" in third and "Page 3 of 4" in third
    assert "More than 5 signals" in client.get("/signals?status=all&per_page=2").text

    client.post("/logout")
    login_as("leadership")  # sees 7: counted to 5 of a manager's, less the 1 hidden
    assert "More than 4 cases" in client.get("/cases?per_page=2").text
    assert "7 cases" in client.get("/cases?per_page=2&page=3").text

    api = _api(client, make.pm.id)
    early = client.get("/api/v1/cases?per_page=2", headers=api).get_json()
    assert (early["total"], early["total_is_exact"]) == (5, False)
    late = client.get("/api/v1/cases?per_page=2&page=4", headers=api).get_json()
    assert (late["total"], late["total_is_exact"], len(late["items"])) == (8, True, 2)
