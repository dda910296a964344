"""Idempotency-Key on the API's POSTs (casework/api/idempotency.py): a retry answers the
first answer and changes nothing again, even when the first answer was lost."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from casework.api import idempotency
from casework.extensions import db
from casework.models import AuditEvent, Comment, IdempotencyKey, Signal
from casework.models.types import frozen_time

SIGNAL = {"title": "Raid on Live", "source": "social_media", "market": "DE",
          "category": "hate_speech"}
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def token_for(app):
    def _token(user) -> str:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "idempotency")
            db.session.commit()
            return secret

    return _token


@pytest.fixture
def post(app, make, token_for):
    """POST as a program manager, with an Idempotency-Key when one is given."""
    secret = token_for(make.pm)

    def _post(path: str, body=None, key: str | None = None, secret: str = secret, **kw):
        headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        if body is not None:
            kw["json"] = body
        return app.test_client().post(f"/api/v1{path}", headers=headers, **kw)

    return _post


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _signal_events(app) -> int:
    return _count(app, AuditEvent, AuditEvent.entity_type == "signal",
                  AuditEvent.action == "created")


def _error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    return response


def test_a_retry_answers_the_first_answer_and_creates_nothing(app, post):
    first = post("/signals", SIGNAL, key="9b2f0d6e-retry")
    retry = post("/signals", SIGNAL, key="9b2f0d6e-retry")
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Content-Type"] == "application/json"
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert "RateLimit-Remaining" in retry.headers  # the retry's own
    assert _count(app, Signal) == 1
    assert _signal_events(app) == 1
    # Without a key, or with another, the same body is a new request.
    assert post("/signals", SIGNAL).status_code == 201
    assert post("/signals", SIGNAL, key="another").status_code == 201
    assert _count(app, Signal) == 3


def test_other_posts_repeat_their_location_and_etag(app, post, make):
    case = make.case("mitigating")
    comment = post(f"/cases/{case.key}/comments", {"body": "Seen again"}, key="c-1")
    again = post(f"/cases/{case.key}/comments", {"body": "Seen again"}, key="c-1")
    assert comment.status_code == again.status_code == 201
    assert again.headers["Location"] == comment.headers["Location"]
    assert _count(app, Comment) == 1

    step = {"action": "submit_for_review"}
    post(f"/cases/{case.key}/actions", {"title": "Block list", "team": "content_policy",
                                         "status": "done", "outcome": "Shipped"})
    moved = post(f"/cases/{case.key}/transitions", step, key="t-1")
    moved_again = post(f"/cases/{case.key}/transitions", step, key="t-1")
    assert moved.status_code == moved_again.status_code == 200
    assert moved_again.headers["ETag"] == moved.headers["ETag"]
    assert moved_again.get_json()["state"] == "in_review"
    assert post(f"/cases/{case.key}/transitions", step).status_code == 409  # not a retry


def test_a_multipart_retry_may_choose_another_boundary(app, post):
    csv = b"Titel;Quelle;Markt;Kategorie\nRaid;Soziale Medien;DE;Hassrede\n"

    def upload(key):
        from io import BytesIO

        return post("/signals/import", key=key, data={"file": (BytesIO(csv), "s.csv")},
                    content_type="multipart/form-data")

    first, retry = upload("import-1"), upload("import-1")
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert _count(app, Signal) == 1


def test_the_same_key_with_another_body_or_path_is_refused(app, post, make):
    case = make.case("assigned")
    assert post("/signals", SIGNAL, key="k").status_code == 201
    _error(post("/signals", {**SIGNAL, "title": "Another raid"}, key="k"), 422,
           "idempotency_key_reused")
    _error(post(f"/cases/{case.key}/comments", {"body": "Hi"}, key="k"), 422,
           "idempotency_key_reused")
    _error(post("/signals?dry_run=1", SIGNAL, key="k"), 422, "idempotency_key_reused")
    _error(post("/signals", SIGNAL, key="k", headers={"If-Match": '"1"'}), 422,
           "idempotency_key_reused")
    raw = json.dumps({**SIGNAL, "title": "Raw"})
    assert post("/signals", key="raw", data=raw, content_type="application/json").status_code \
        == 201
    _error(post("/signals", key="raw", data=raw, content_type="text/plain"), 422,
           "idempotency_key_reused")
    assert _count(app, Signal) == 3  # the two above, and make.case's
    assert _count(app, Comment) == 0


def test_keys_belong_to_their_token(app, post, make, token_for):
    other = token_for(make.specialist)
    assert post("/signals", SIGNAL, key="shared").status_code == 201
    theirs = post("/signals", SIGNAL, key="shared", secret=other)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert _count(app, Signal) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "bell\x07", "del\x7f",
                                 "c1\x85"])
def test_malformed_keys_are_refused(app, post, key):
    refused = _error(post("/signals", SIGNAL, key=key), 422, "idempotency_key_invalid")
    assert "Idempotency-Key" in refused.get_json()["error"]["fields"]
    assert _count(app, Signal) == 0


def test_the_longest_key_is_fine(app, post):
    assert post("/signals", SIGNAL, key="k" * 255).status_code == 201
    assert post("/signals", SIGNAL, key="k" * 255).headers["Idempotent-Replayed"] == "true"


def _claimed(app, path: str, body: dict, key: str) -> None:
    """Record ``key`` as a request that has no answer yet, as the first request does the
    moment its change commits."""
    from casework.models import ApiToken

    with app.test_request_context(f"/api/v1{path}", method="POST", json=body):
        fingerprint = idempotency.request_hash()
        token_id = db.session.scalar(sa.select(ApiToken.id).order_by(ApiToken.id.desc()))
        db.session.add(IdempotencyKey(token_id=token_id, key=key, request_hash=fingerprint,
                                      expires_at=MONDAY + timedelta(days=1000)))
        db.session.commit()


def test_a_retry_while_the_first_is_running_gets_409(app, post):
    _claimed(app, "/signals", SIGNAL, "running")
    refused = _error(post("/signals", SIGNAL, key="running"), 409, "idempotency_in_progress")
    assert refused.headers["Retry-After"] == "1"
    assert _count(app, Signal) == 0
    # Another body with that key is still another request.
    _error(post("/signals", {**SIGNAL, "title": "x"}, key="running"), 422,
           "idempotency_key_reused")


@contextmanager
def _answers_get_lost(monkeypatch):
    """The answer's own transaction fails (the process dies, the database goes away)."""

    @contextmanager
    def failing():
        raise OperationalError("UPDATE api_idempotency_keys", {}, Exception("gone"))
        yield

    monkeypatch.setattr(idempotency, "unit_of_work", failing)
    yield
    monkeypatch.undo()


def test_a_change_whose_answer_was_lost_is_not_done_again(app, post, monkeypatch):
    with _answers_get_lost(monkeypatch):
        first = post("/signals", SIGNAL, key="lost")
    assert first.status_code == 201  # the client never got it
    with app.app_context():
        [key] = db.session.scalars(sa.select(IdempotencyKey)).all()
        assert key.status_code is None  # committed with the signal, without an answer
    retry = _error(post("/signals", SIGNAL, key="lost"), 409, "idempotency_in_progress")
    assert retry.headers["Retry-After"] == "1"
    assert _count(app, Signal) == 1
    assert _signal_events(app) == 1


def test_a_refusal_is_answered_again(app, post):
    first = _error(post("/signals", {**SIGNAL, "market": "XX"}, key="bad"), 422,
                   "validation_failed")
    again = post("/signals", {**SIGNAL, "market": "XX"}, key="bad")
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    _error(post("/signals", SIGNAL, key="bad"), 422, "idempotency_key_reused")
    assert post("/signals", SIGNAL, key="good").status_code == 201


def test_a_server_error_is_not_kept(app, post, monkeypatch):
    from casework.signals import operations

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(operations, "file_signal",
                        lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("boom")))
    assert post("/signals", SIGNAL, key="flaky").status_code == 500
    monkeypatch.undo()
    assert _count(app, IdempotencyKey) == 0
    retry = post("/signals", SIGNAL, key="flaky")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert _count(app, Signal) == 1


def test_keys_expire(app, post):
    app.config["API_IDEMPOTENCY_TTL"] = timedelta(hours=24)
    with frozen_time(MONDAY):
        assert post("/signals", SIGNAL, key="daily").status_code == 201
        assert post("/signals", {**SIGNAL, "title": "A"}, key="reused").status_code == 201
    with frozen_time(MONDAY + timedelta(hours=23, minutes=59)):
        assert post("/signals", SIGNAL, key="daily").headers["Idempotent-Replayed"] == "true"
    with frozen_time(MONDAY + timedelta(hours=24, seconds=1)):
        later = post("/signals", SIGNAL, key="daily")
        assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
        # An expired key names a new request, whatever its body.
        assert post("/signals", {**SIGNAL, "title": "B"}, key="reused").status_code == 201
    assert _count(app, Signal) == 4
    with app.app_context():
        keys = db.session.scalars(sa.select(IdempotencyKey)).all()
        assert sorted(k.key for k in keys) == ["daily", "reused"]
        assert all(k.expires_at > MONDAY + timedelta(hours=24) for k in keys)


def test_expired_keys_are_deleted(app, post):
    with frozen_time(MONDAY):
        for n in range(3):
            post("/signals", {**SIGNAL, "title": f"Raid {n}"}, key=f"old-{n}")
    with frozen_time(MONDAY + timedelta(days=2)):
        post("/signals", {**SIGNAL, "title": "Raid 4"}, key="new")
    with app.app_context():
        assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["new"]


def test_concurrent_retries_make_one_change(app, post):
    answers, start = [], threading.Barrier(6)

    def retry():
        start.wait()
        answers.append(post("/signals", SIGNAL, key="burst"))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    created = [a for a in answers if a.status_code == 201]
    assert len({a.headers["Location"] for a in created}) == 1
    assert sum("Idempotent-Replayed" not in a.headers for a in created) == 1
    assert _count(app, Signal) == 1
    assert _signal_events(app) == 1


def test_other_methods_ignore_the_key(app, post, make, token_for):
    case = make.case("assigned")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(make.pm)}", "Idempotency-Key": "x" * 300}
    assert client.get(f"/api/v1/cases/{case.key}", headers=headers).status_code == 200


def test_the_openapi_document_describes_limits_and_keys(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert set(document["components"]["headers"]) == {
        "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"}
    assert "## Rate limits" in document["info"]["description"]
    operations = [(method, op) for item in document["paths"].values()
                  for method, op in item.items()]
    assert len(operations) >= 20
    for method, op in operations:
        responses = op["responses"]
        assert responses["429"]["headers"]["Retry-After"]["required"], op["operationId"]
        for answer in responses.values():
            assert "RateLimit-Remaining" in answer["headers"], op["operationId"]
        keys = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert len(keys) == (method == "post"), op["operationId"]
        if keys:
            assert (keys[0]["in"], keys[0]["schema"]["maxLength"]) == ("header", 255)
            assert "idempotency_in_progress" in responses["409"]["description"]
            assert "idempotency_key_reused" in responses["422"]["description"]
