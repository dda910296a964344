"""Need-to-know at the edges: a page or answer that names another record (a duplicate's
original, the signal a reference was filed as) names it only to a reader who may see it;
and a client repeating a filing, calmly or racing others, gets the same answer."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from casework.extensions import db
from casework.models import AuditEvent, Case, Signal

SIGNAL = {"title": "Hate raid on Live, Berlin creator", "description": "Coordinated raid",
          "source": "social_media", "market": "DE", "surface": "live",
          "category": "hate_speech", "url": "https://social.example.org/raid/1",
          "observed_at": "2026-11-20T09:30:00Z", "external_ref": "SM-4711"}
SECRET_TITLE = "Grooming ring in DMs, Vienna"


@pytest.fixture
def token_for(app):
    def _token(user) -> dict:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "need-to-know")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return _token


def _restrict(app, case_id: int, manager_email: str) -> None:
    from casework.cases import operations as cases
    from casework.users.operations import find_user

    with app.app_context():
        case = db.session.get(Case, case_id)
        cases.update_case(find_user(manager_email), case, expected_version=case.version,
                          restricted=True)
        db.session.commit()


@pytest.fixture
def hidden_original(app, make, client, login_as):
    """Signal ``copy`` (visible to everyone) marked as a duplicate of ``original``, which
    afterwards went into a case that was then restricted (owned by another specialist)."""
    original = make.signal(title=SECRET_TITLE, source="social_media", external_ref="SM-4711")
    copy = make.signal(title="Same grooming report, forwarded")
    login_as(make.pm)
    assert client.post(f"/signals/{copy}/duplicate",
                       data={"of": f"#{original}"}).status_code == 302
    from casework.signals.operations import qualify_into_new_case
    from casework.users.operations import find_user

    with app.app_context():
        case = qualify_into_new_case(
            find_user(make.pm.email), db.session.get(Signal, original), title=SECRET_TITLE,
            summary="", category="child_safety", markets=["AT"], surfaces=["messages"],
            likelihood=4, impact=5)
        db.session.commit()
        case_id = case.id
    _restrict(app, case_id, make.pm.email)
    client.post("/logout")
    return original, copy


def test_a_duplicate_does_not_name_an_original_the_reader_may_not_see(
        app, make, client, login_as, token_for, hidden_original):
    original, copy = hidden_original
    outsider = make.user("policy_specialist")
    login_as(outsider)
    assert client.get(f"/signals/{original}").status_code == 404
    page = client.get(f"/signals/{copy}")
    assert page.status_code == 200
    assert SECRET_TITLE not in page.text
    assert f"/signals/{original}\"" not in page.text
    assert f"#{original}" not in page.text
    assert "a signal you do not have access to" in page.text
    answer = app.test_client().get(f"/api/v1/signals/{copy}", headers=token_for(outsider))
    assert answer.status_code == 200
    assert answer.get_json()["duplicate_of_signal"] is None
    assert answer.get_json()["status"] == "duplicate"
    listed = app.test_client().get("/api/v1/signals?status=duplicate",
                                   headers=token_for(outsider)).get_json()
    assert [s["duplicate_of_signal"] for s in listed["items"] if s["id"] == copy] == [None]


def test_a_manager_still_sees_which_signal_a_duplicate_copies(app, make, client, login_as,
                                                              token_for, hidden_original):
    original, copy = hidden_original
    login_as(make.pm)
    page = client.get(f"/signals/{copy}")
    assert SECRET_TITLE in page.text and f"/signals/{original}\"" in page.text
    answer = app.test_client().get(f"/api/v1/signals/{copy}", headers=token_for(make.pm))
    assert answer.get_json()["duplicate_of_signal"] == original


def test_filing_a_taken_reference_does_not_reveal_a_hidden_signal(
        app, make, client, login_as, token_for, hidden_original, query):
    original, _copy = hidden_original
    outsider = make.user("policy_specialist")
    login_as(outsider)
    form = {**{k: v for k, v in SIGNAL.items() if k != "observed_at"}, "observed_at": ""}
    before = query(sa.select(sa.func.count(Signal.id)))[0][0]
    page = client.post("/signals/new", data=form)
    assert page.status_code == 409
    assert "This reference was already filed." in page.text
    assert f"#{original}" not in page.text and SECRET_TITLE not in page.text

    answer = app.test_client().post("/api/v1/signals", json=SIGNAL, headers=token_for(outsider))
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "already_filed"
    assert str(original) not in json.dumps(error)
    assert query(sa.select(sa.func.count(Signal.id)))[0][0] == before

    # Who may see the signal gets it back, as on any repeat.
    again = app.test_client().post("/api/v1/signals", json=SIGNAL, headers=token_for(make.pm))
    assert again.status_code == 200 and again.get_json()["id"] == original


# --- ten clients filing the same reference at the same moment ---------------------------


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _post(url: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_ten_clients_filing_the_same_reference_at_once_all_get_that_signal(
        app, make, token_for, live_server, query):
    headers = [token_for(make.pm) for _ in range(10)]
    start = threading.Barrier(10)
    answers: list[tuple[int, dict]] = [None] * 10

    def file(number: int) -> None:
        start.wait()
        answers[number] = _post(f"{live_server}/api/v1/signals",
                                {**SIGNAL, "external_ref": "RACE-1"}, headers[number])

    threads = [threading.Thread(target=file, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] * 9 + [201], answers
    assert len({body["id"] for _status, body in answers}) == 1
    filed = query(sa.select(Signal.id).where(Signal.external_ref == "RACE-1"))
    assert len(filed) == 1
    created = query(sa.select(AuditEvent.id).where(
        AuditEvent.entity_type == "signal", AuditEvent.action == "created",
        AuditEvent.entity_id == filed[0][0]))
    assert len(created) == 1
