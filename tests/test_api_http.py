"""The API's HTTP contract, one rule at a time: Location, ETag and If-Match, Allow, strict
paging with links, input checked only after authentication, and a step's own fields."""

from __future__ import annotations

import pytest

from casework.extensions import db


@pytest.fixture
def token(app, make):
    def _token(user) -> dict:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "http")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return _token


def test_a_created_record_says_where_it_is(client, make, token):
    headers = token(make.pm)
    response = client.post("/api/v1/signals", headers=headers, json={
        "title": "Raid on Live", "source": "news", "market": "DE", "category": "hate_speech"})
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location == f"/api/v1/signals/{response.get_json()['id']}"
    assert client.get(location, headers=headers).status_code == 200

    qualified = client.post(f"{location}/qualify", headers=headers, json={
        "title": "Raids on Live", "category": "hate_speech", "markets": ["DE"],
        "likelihood": 3, "impact": 4})
    assert qualified.status_code == 201
    assert qualified.headers["Location"] == f"/api/v1/cases/{qualified.get_json()['key']}"
    comment = client.post(f"{qualified.headers['Location']}/comments", headers=headers,
                          json={"body": "Watching"})
    assert comment.status_code == 201
    assert client.get(comment.headers["Location"], headers=headers).get_json()["body"] == \
        "Watching"


def test_a_case_carries_its_version_as_etag_and_if_match_guards_a_change(client, make, token):
    case = make.case("assigned")
    headers = token(make.pm)
    read = client.get(f"/api/v1/cases/{case.key}", headers=headers)
    version = read.get_json()["version"]
    assert read.headers["ETag"] == f'"{version}"'

    stale = client.patch(f"/api/v1/cases/{case.key}", json={"title": "Other"},
                         headers={**headers, "If-Match": f'"{version + 1}"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "precondition_failed"

    changed = client.patch(f"/api/v1/cases/{case.key}", json={"title": "Other"},
                           headers={**headers, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] == f'"{version + 1}"'
    # The version in the body is the other way to say it; a stale one is a conflict.
    again = client.patch(f"/api/v1/cases/{case.key}", headers=headers,
                         json={"title": "Third", "version": version})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "stale_version"
    missing = client.patch(f"/api/v1/cases/{case.key}", headers=headers, json={"title": "x"})
    assert missing.status_code == 422
    assert "version" in missing.get_json()["error"]["fields"]


def test_a_method_not_allowed_says_which_are(client, make, token):
    response = client.put("/api/v1/signals", headers=token(make.pm), json={})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("query", ["page=0", "page=-1", "per_page=0", "per_page=201",
                                   "page=abc", "page=²", "per_page=1.5",
                                   "page=99999999999999999999"])
def test_paging_outside_its_range_is_refused(client, make, token, query):
    response = client.get(f"/api/v1/cases?{query}", headers=token(make.pm))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) <= {"page", "per_page"}


def test_lists_link_to_the_next_and_previous_page(client, make, token):
    for _ in range(3):
        make.signal()
    headers = token(make.pm)
    first = client.get("/api/v1/signals?status=new&per_page=2", headers=headers).get_json()
    assert first["links"]["prev"] is None
    second = client.get(first["links"]["next"], headers=headers).get_json()
    assert second["page"] == 2
    assert second["links"]["prev"].endswith("page=1") or "page=1" in second["links"]["prev"]
    assert "status=new" in second["links"]["next" if second["links"]["next"] else "prev"]
    assert {s["id"] for s in first["items"]}.isdisjoint({s["id"] for s in second["items"]})


def test_actions_and_comments_are_paged_like_every_list(app, client, make, token):
    from casework.cases.operations import add_comment
    from casework.models import Case, User

    case = make.case("assigned")
    with app.app_context():
        for n in range(3):
            add_comment(db.session.get(User, make.pm.id), db.session.get(Case, case.id),
                        f"Note {n}")
        db.session.commit()
    page = client.get(f"/api/v1/cases/{case.key}/comments?per_page=2",
                      headers=token(make.pm)).get_json()
    assert [c["body"] for c in page["items"]] == ["Note 0", "Note 1"]
    assert page["total"] == 3 and page["links"]["next"]


def test_input_is_looked_at_only_after_the_caller_is_known(client, make, token):
    assert client.get("/api/v1/cases?q=a%00b").status_code == 401
    assert client.get("/api/v1/cases?q=a%00b", headers=token(make.pm)).status_code == 422


def test_a_step_takes_only_its_own_fields(client, make, token):
    case = make.case("assigned")
    response = client.post(f"/api/v1/cases/{case.key}/transitions", headers=token(make.pm),
                           json={"action": "start_mitigation", "resolution": "mitigated"})
    assert response.status_code == 422
    assert "resolution" in response.get_json()["error"]["fields"]


def test_leadership_is_refused_for_its_role_whatever_the_state(client, make, token):
    headers = token(make.user("leadership"))
    for state in ("assigned", "closed"):
        case = make.case(state)
        for action in ("reopen", "assign", "approve"):
            response = client.post(f"/api/v1/cases/{case.key}/transitions", headers=headers,
                                   json={"action": action})
            assert response.status_code == 403, (state, action)
        edit = client.patch(f"/api/v1/cases/{case.key}", headers=headers,
                            json={"title": "x", "version": 1})
        assert edit.status_code == 403, state


def test_who_can_own_a_case_and_who_am_i(client, make, token):
    lead = make.user("leadership")
    headers = token(make.specialist)
    owners = {u["email"] for u in client.get("/api/v1/owners", headers=headers)
              .get_json()["items"]}
    assert make.specialist.email in owners and lead.email not in owners
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == make.specialist.email and me["token"]["name"] == "http"
    assert "secret" not in str(me)
