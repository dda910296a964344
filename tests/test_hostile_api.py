"""The hostile corpus through the API's text fields: stored verbatim (as JSON, which a
client must escape itself), never a 500, nothing beyond its limit, NUL refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hostile import HOSTILE, MEGABYTE, NUL

from casework.extensions import db
from casework.models import AuditEvent, Comment, Signal


@pytest.fixture
def api(app, make):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    pm = make.pm
    with app.app_context():
        _t, secret = create_token(None, find_user(pm.email))
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    return lambda method, path, body=None: client.open(
        f"/api/v1{path}", method=method, json=body, headers=headers)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_stored_verbatim_through_the_api(api, make, query, name):
    text = HOSTILE[name]
    created = api("POST", "/signals", {
        "title": text[:200], "description": text, "source": "news", "market": "DE",
        "category": "other", "external_ref": text[:200]})
    assert created.status_code in (201, 422), created.get_data(as_text=True)
    if created.status_code == 201:
        signal = created.get_json()
        assert signal["description"] == text.strip()
        assert api("GET", f"/signals/{signal['id']}").get_json()["title"] == text[:200].strip()
    case = make.case("mitigating")
    comment = api("POST", f"/cases/{case.key}/comments", {"body": text})
    assert comment.status_code in (201, 422)
    if comment.status_code == 201:
        assert comment.get_json()["body"] == text.strip()
    listed = api("GET", f"/cases?q={text[:50]}")
    assert listed.status_code in (200, 422)


@pytest.mark.parametrize(("value", "field"), [(MEGABYTE, "description"), (NUL, "title"),
                                              (NUL, "description")])
def test_oversized_or_nul_text_is_refused_and_changes_nothing(api, query, value, field):
    events = query(sa.select(sa.func.count()).select_from(AuditEvent))[0][0]
    body = {"title": "Fine", "source": "news", "market": "DE", "category": "other",
            field: value}
    response = api("POST", "/signals", body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert query(sa.select(sa.func.count()).select_from(Signal))[0][0] == 0
    assert query(sa.select(sa.func.count()).select_from(AuditEvent))[0][0] == events


def test_a_megabyte_comment_is_refused(api, make, query):
    case = make.case("assigned")
    response = api("POST", f"/cases/{case.key}/comments", {"body": MEGABYTE})
    assert response.status_code == 422
    assert query(sa.select(sa.func.count()).select_from(Comment))[0][0] == 0
