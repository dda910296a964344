"""The JSON API: the lifecycle through the API alone, auth, errors, and the rules."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.models import ApiToken, AuditEvent, Case, Signal


@pytest.fixture
def token_for(app):
    """A fresh API token for a user record, made through the operation."""

    def _token(user) -> str:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "test")
            db.session.commit()
            return secret

    return _token


class Api:
    def __init__(self, client, secret: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path, body=None, **kw):
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers, **kw)

    def patch(self, path, body=None, headers=None, **kw):
        return self.client.patch(f"/api/v1{path}", json=body,
                                 headers={**self.headers, **(headers or {})}, **kw)


@pytest.fixture
def api_as(app, token_for):
    def _api(user) -> Api:
        return Api(app.test_client(), token_for(user))

    return _api


SIGNAL = {"title": "Hate raid on Live, Berlin creator", "description": "Coordinated raid",
          "source": "social_media", "market": "DE", "surface": "live",
          "category": "hate_speech", "url": "https://social.example.org/raid/1",
          "observed_at": "2026-11-20T09:30:00Z", "external_ref": "SM-1001"}


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()["error"]
    assert body["code"] == code
    assert body["message"]
    assert isinstance(body["fields"], dict)
    return body


def test_the_whole_lifecycle_through_the_api(api_as, make, query):
    pm, reviewer, specialist = api_as(make.pm), api_as(make.reviewer), api_as(make.specialist)

    created = pm.post("/signals", SIGNAL)
    assert created.status_code == 201
    signal = created.get_json()
    assert signal["status"] == "new" and signal["case"] is None
    assert signal["observed_at"] == "2026-11-20T09:30:00Z"
    assert signal["possible_duplicates"] == []

    again = pm.post("/signals", SIGNAL)  # the same source + external_ref: the same signal
    assert again.status_code == 200 and again.get_json()["id"] == signal["id"]

    qualified = pm.post(f"/signals/{signal['id']}/qualify", {
        "title": "Hate raids on Live", "summary": "Raids on DE creators",
        "category": "hate_speech", "markets": ["DE", "AT"], "surfaces": ["live"],
        "likelihood": 4, "impact": 4})
    assert qualified.status_code == 201
    case = qualified.get_json()
    key = case["key"]
    assert case["state"] == "qualified" and case["score"] == 16 and case["band"] == "high"
    assert [s["id"] for s in case["signals"]] == [signal["id"]]

    second = pm.post("/signals", {**SIGNAL, "external_ref": "SM-1002",
                                  "url": "https://social.example.org/raid/2"}).get_json()
    attached = pm.post(f"/signals/{second['id']}/qualify", {"case": key.lower()})
    assert attached.status_code == 200 and len(attached.get_json()["signals"]) == 2

    noise = pm.post("/signals", {**SIGNAL, "title": "Satire", "external_ref": "SM-9"}).get_json()
    assert pm.post(f"/signals/{noise['id']}/dismiss",
                   {"reason": "Satire account"}).get_json()["status"] == "dismissed"
    dup = pm.post("/signals", {**SIGNAL, "external_ref": "SM-10"}).get_json()
    assert dup["possible_duplicates"], "same link as signal #1 should be suggested"
    marked = pm.post(f"/signals/{dup['id']}/duplicate", {"of_case": key}).get_json()
    assert marked["status"] == "duplicate" and marked["case"] == key

    assigned = pm.post(f"/cases/{key}/transitions",
                       {"action": "assign", "owner": make.specialist.email})
    assert assigned.status_code == 200
    assert assigned.get_json()["owner"]["email"] == make.specialist.email

    version = specialist.get(f"/cases/{key}").get_json()["version"]
    assert specialist.post(f"/cases/{key}/transitions", {
        "action": "start_mitigation", "version": version}).get_json()["state"] == "mitigating"

    action = specialist.post(f"/cases/{key}/actions", {
        "title": "Keyword list update", "team": "content_policy", "owner": "Jana Wolf",
        "due": "2026-12-01"})
    assert action.status_code == 201 and action.get_json()["status"] == "planned"
    # The case as it stands (an action still planned) does not allow it: a state conflict.
    refused = specialist.post(f"/cases/{key}/transitions", {"action": "submit_for_review"})
    _error(refused, 409, "conflict")
    assert action.headers["Location"] == f"/api/v1/actions/{action.get_json()['id']}"
    done = specialist.patch(f"/actions/{action.get_json()['id']}",
                            {"status": "done", "outcome": "Shipped"})
    assert done.get_json()["status"] == "done"
    assert specialist.post(f"/cases/{key}/comments", {"body": "Ready"}).status_code == 201

    version = specialist.get(f"/cases/{key}").get_json()["version"]
    edited = specialist.patch(f"/cases/{key}", {"assessment": "Contained"},
                              headers={"If-Match": str(version)})
    assert edited.status_code == 200 and edited.get_json()["assessment"] == "Contained"
    stale = specialist.patch(f"/cases/{key}", {"assessment": "Old view", "version": version})
    _error(stale, 409, "stale_version")

    assert specialist.post(f"/cases/{key}/transitions",
                           {"action": "submit_for_review"}).get_json()["state"] == "in_review"
    _error(specialist.post(f"/cases/{key}/transitions", {
        "action": "approve", "resolution": "mitigated", "note": "Mine",
        "residual_likelihood": 1, "residual_impact": 1}), 403, "forbidden")
    closed = reviewer.post(f"/cases/{key}/transitions", {
        "action": "approve", "resolution": "mitigated", "note": "Well done",
        "residual_likelihood": 1, "residual_impact": 2})
    assert closed.get_json()["state"] == "closed"
    assert closed.get_json()["reviews"][0]["residual_score"] == 2
    _error(reviewer.post(f"/cases/{key}/transitions", {"action": "dismiss", "note": "x"}),
           409, "conflict")

    trail = pm.get(f"/cases/{key}/audit").get_json()
    actions = [(e["entity_type"], e["action"]) for e in trail["items"]]
    assert actions[:2] == [("case", "created"), ("signal", "qualified")]
    assert ("case", "approve") in actions and ("review", "created") in actions
    assert trail["total"] == len(actions)
    # Every change left one audit event in the database, made by the token's user.
    rows = query(sa.select(AuditEvent.action, AuditEvent.actor_id)
                 .join(Case, Case.id == AuditEvent.case_id).where(Case.key == key))
    assert len(rows) == len(actions)
    assert all(actor is not None for _a, actor in rows)

    listed = pm.get("/cases?state=closed&owner=" + make.specialist.email).get_json()
    assert [c["key"] for c in listed["items"]] == [key]
    assert listed["total"] == 1 and listed["page"] == 1


def test_no_token_no_api(client, make, login_as, api_as):
    _error(client.get("/api/v1/cases"), 401, "unauthorized")
    _error(client.get("/api/v1/cases", headers={"Authorization": "Bearer cw_nope"}),
           401, "unauthorized")
    _error(client.get("/api/v1/cases", headers={"Authorization": "Basic eDp5"}),
           401, "unauthorized")
    login_as(make.pm)  # a session cookie does not open the API
    _error(client.get("/api/v1/cases"), 401, "unauthorized")


def test_a_token_does_not_open_the_html_pages(app, make, token_for):
    secret = token_for(make.pm)
    response = app.test_client().get("/cases", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 302 and "/login" in response.location


def test_revoked_tokens_and_deactivated_users_are_refused(app, make, token_for):
    from casework.api.tokens import revoke_token
    from casework.users.operations import deactivate_user, find_user

    secret = token_for(make.specialist)
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.last_used_at is not None
        assert token.token_hash != secret and secret not in token.token_hash
        revoke_token(None, token)
        db.session.commit()
    _error(client.get("/api/v1/cases", headers=headers), 401, "unauthorized")

    other = token_for(make.pm)
    with app.app_context():
        deactivate_user(None, find_user(make.pm.email))
        db.session.commit()
    _error(client.get("/api/v1/cases", headers={"Authorization": f"Bearer {other}"}),
           401, "unauthorized")


def test_create_token_on_the_command_line(runner, make, app):
    result = runner.invoke(args=["casework", "create-token", "--email", make.pm.email,
                                 "--name", "monitoring"])
    assert result.exit_code == 0
    secret = result.output.strip()
    assert secret.startswith("cw_")
    assert app.test_client().get("/api/v1/cases", headers={
        "Authorization": f"Bearer {secret}"}).status_code == 200
    bad = runner.invoke(args=["casework", "create-token", "--email", "nobody@x.example"])
    assert bad.exit_code == 1
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.entity_type == "api_token")).all()
        assert [e.action for e in events] == ["created"]


@pytest.mark.parametrize(("send", "status", "code"), [
    ({"data": "{not json", "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "[1, 2]", "content_type": "application/json"}, 400, "bad_request"),
    ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ({"json": {**SIGNAL, "colour": "red"}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "title": 42}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "market": "FR"}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "title": "x" * 100_000}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "observed_at": "yesterday"}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "observed_at": "2026-11-20T09:30:00"}}, 422, "validation_failed"),
    ({"json": {**SIGNAL, "url": "javascript:alert(1)"}}, 422, "validation_failed"),
    ({"json": {"title": "no source"}}, 422, "validation_failed"),
])
def test_bad_signal_bodies_get_the_documented_error_and_change_nothing(
        api_as, make, query, send, status, code):
    api = api_as(make.pm)
    response = api.client.post("/api/v1/signals", headers=api.headers, **send)
    _error(response, status, code)
    assert query(sa.select(sa.func.count()).select_from(Signal))[0][0] == 0


def test_a_huge_body_is_refused_with_413(api_as, make, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    api = api_as(make.pm)
    response = api.client.post("/api/v1/signals", headers=api.headers,
                               data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    _error(response, 413, "payload_too_large")


def test_unknown_things_and_wrong_methods(api_as, make):
    api = api_as(make.pm)
    _error(api.get("/cases/RISK-2026-9999"), 404, "not_found")
    _error(api.get("/signals/999"), 404, "not_found")
    _error(api.get("/nothing-here"), 404, "not_found")
    _error(api.client.delete("/api/v1/cases", headers=api.headers), 405,
           "method_not_allowed")
    _error(api.get("/cases?state=shiny"), 422, "validation_failed")
    _error(api.get("/cases?owner=ghost@x.example"), 422, "validation_failed")
    _error(api.get("/cases?sort=random"), 422, "validation_failed")
    _error(api.get("/cases?surface=moon"), 422, "validation_failed")


def test_qualifying_twice_and_transition_errors(api_as, make):
    api = api_as(make.pm)
    signal = api.post("/signals", SIGNAL).get_json()
    case_fields = {"title": "Raids", "category": "hate_speech", "markets": ["DE"],
                   "likelihood": 3, "impact": 3}
    assert api.post(f"/signals/{signal['id']}/qualify", case_fields).status_code == 201
    _error(api.post(f"/signals/{signal['id']}/qualify", case_fields), 409, "conflict")
    key = api.get(f"/signals/{signal['id']}").get_json()["case"]
    _error(api.post(f"/cases/{key}/transitions", {"action": "fly"}), 422, "validation_failed")
    _error(api.post(f"/cases/{key}/transitions", {"action": "approve"}), 409, "conflict")
    body = _error(api.post(f"/cases/{key}/transitions", {"action": "dismiss"}),
                  422, "validation_failed")
    assert "note" in body["fields"]
    _error(api.post(f"/cases/{key}/transitions", {"action": "assign",
                                                  "owner": "ghost@x.example"}),
           422, "validation_failed")
    _error(api.patch(f"/cases/{key}", {"likelihood": 6, "version": 1}),
           422, "validation_failed")
    _error(api.patch(f"/cases/{key}", {"likelihood": 2}), 422, "validation_failed")


@pytest.mark.parametrize(("role", "file", "triage", "edit_other", "comment"), [
    ("admin", 201, 201, 200, 201),
    ("program_manager", 201, 201, 200, 201),
    ("policy_specialist", 201, 403, 403, 201),
    ("leadership", 403, 403, 403, 403),
])
def test_what_each_role_may_do(api_as, make, role, file, triage, edit_other, comment):
    case = make.case("assigned")  # owned by make.specialist, not by the caller
    signal_id = make.signal()
    api = api_as(make.user(role))
    assert api.get("/cases").status_code == 200
    assert api.get(f"/cases/{case.key}").status_code == 200
    assert api.get(f"/signals/{signal_id}").status_code == 200
    assert api.post("/signals", {**SIGNAL, "external_ref": role}).status_code == file
    assert api.post(f"/signals/{signal_id}/qualify", {
        "title": "T", "category": "other", "markets": ["CH"], "likelihood": 1,
        "impact": 1}).status_code == triage
    version = api.get(f"/cases/{case.key}").get_json()["version"]
    assert api.patch(f"/cases/{case.key}", {"title": "New title",
                                            "version": version}).status_code == edit_other
    assert api.post(f"/cases/{case.key}/comments", {"body": "Hi"}).status_code == comment


def test_restricted_cases_are_404_for_others(api_as, make, app):
    case = make.case("assigned", category="child_safety")
    with app.app_context():
        db.session.get(Case, case.id).restricted = True
        db.session.commit()
    other = api_as(make.user("policy_specialist"))
    _error(other.get(f"/cases/{case.key}"), 404, "not_found")
    assert case.key not in [c["key"] for c in other.get("/cases").get_json()["items"]]
    assert api_as(make.specialist).get(f"/cases/{case.key}").status_code == 200
    assert api_as(make.pm).get(f"/cases/{case.key}").status_code == 200


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_openapi_document_describes_every_endpoint(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.removeprefix("/api/v1")
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    schemas = document["components"]["schemas"]
    for path_item in document["paths"].values():
        for op in path_item.values():
            for status, response in op["responses"].items():
                content = response["content"]
                if "application/json" not in content:  # a PDF, or an export for Excel
                    assert set(content) & {"application/pdf", "text/csv", XLSX}, (status,
                                                                                content)
                    continue
                ref = content["application/json"]["schema"].get("$ref", "")
                assert ref.removeprefix("#/components/schemas/") in schemas, (status, ref)


def test_tokens_are_managed_on_the_account_page(client, make, login_as, app, query):
    login_as(make.specialist)
    created = client.post("/account/tokens", data={"name": "monitoring import"})
    assert created.status_code == 200
    secret = created.text.split('<pre class="code">')[1].split("</pre>")[0].strip()
    assert secret.startswith("cw_")
    assert "shown only this once" in created.text
    listing = client.get("/account/tokens").text
    assert "monitoring import" in listing and secret not in listing and "Never" in listing
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/cases", headers=headers).status_code == 200
    assert "Never" not in client.get("/account/tokens").text  # last use is shown

    token_id = query(sa.select(ApiToken.id))[0][0]
    other = app.test_client()
    other.post("/login", data={"email": make.pm.email, "password": make.pm.password})
    assert other.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert api.get("/api/v1/cases", headers=headers).status_code == 200

    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/cases", headers=headers).status_code == 401
    assert "Revoked" in client.get("/account/tokens").text
    events = [a for (a,) in query(sa.select(AuditEvent.action)
                                  .where(AuditEvent.entity_type == "api_token"))]
    assert events == ["created", "revoked"]


def test_the_summary_pdf_through_the_api(api_as, make, query):
    import io

    from pypdf import PdfReader

    case = make.case("mitigating", title="Hassrede in Live-Kommentaren (AT)")
    api = api_as(make.user("leadership"))
    response = api.get(f"/cases/{case.key}/summary.pdf?audience=partner")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert case.key in text and "Hassrede in Live-Kommentaren (AT)" in text
    assert "@" not in text
    _error(api.get(f"/cases/{case.key}/summary.pdf?audience=everyone"), 422,
           "validation_failed")
    events = query(sa.select(AuditEvent.action).where(AuditEvent.action == "pdf_downloaded"))
    assert len(events) == 1


def test_a_user_who_must_change_the_password_cannot_use_the_api(app, make, token_for):
    from casework.users.operations import find_user

    secret = token_for(make.specialist)
    with app.app_context():
        find_user(make.specialist.email).must_change_password = True
        db.session.commit()
    response = app.test_client().get("/api/v1/cases",
                                     headers={"Authorization": f"Bearer {secret}"})
    _error(response, 403, "password_change_required")
