"""Every API endpoint x every role, with a token: the expected status, never a 500.

Built from the URL map like tests/test_routes.py, so a new API endpoint without a row
here fails until someone decides who may use it.
"""

from __future__ import annotations

import pytest

from casework.extensions import db

ROLES = ("admin", "program_manager", "owner", "specialist", "leadership")
CASE_FIELDS = {"title": "T", "category": "other", "markets": ["CH"], "likelihood": 1,
               "impact": 1}

# (method, rule) -> (body, expected status per role in the order of ROLES).
# The case is assigned and owned by "owner"; the signal is new.
ACCESS = {
    ("GET", "/api/v1/openapi.json"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/signals"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/signals"): ({"title": "S", "source": "news", "market": "DE",
                                   "category": "other"}, (201, 201, 201, 201, 403)),
    ("POST", "/api/v1/signals/import"): (None, (415, 415, 403, 403, 403)),
    ("GET", "/api/v1/signals/<int:signal_id>"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/signals/<int:signal_id>/qualify"): (
        CASE_FIELDS, (201, 201, 403, 403, 403)),
    ("POST", "/api/v1/signals/<int:signal_id>/dismiss"): (
        {"reason": "Noise"}, (200, 200, 403, 403, 403)),
    ("POST", "/api/v1/signals/<int:signal_id>/duplicate"): (
        {"of_case": "{key}"}, (200, 200, 403, 403, 403)),
    ("GET", "/api/v1/cases"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/cases/<case_key:key>"): (None, (200, 200, 200, 200, 200)),
    ("PATCH", "/api/v1/cases/<case_key:key>"): ({"title": "New", "version": "{version}"},
                                       (200, 200, 200, 403, 403)),
    ("POST", "/api/v1/cases/<case_key:key>/transitions"): ({"action": "start_mitigation"},
                                                  (200, 200, 200, 403, 403)),
    ("GET", "/api/v1/cases/<case_key:key>/actions"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/cases/<case_key:key>/actions"): ({"title": "A", "team": "legal"},
                                              (201, 201, 201, 403, 403)),
    ("PATCH", "/api/v1/actions/<int:action_id>"): ({"status": "in_progress"},
                                                   (200, 200, 200, 403, 403)),
    ("GET", "/api/v1/cases/<case_key:key>/comments"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/v1/cases/<case_key:key>/comments"): ({"body": "Hi"}, (201, 201, 201, 201, 403)),
    ("GET", "/api/v1/cases/<case_key:key>/audit"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/cases/<case_key:key>/summary.pdf"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/actions/<int:action_id>"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/cases/<case_key:key>/comments/<int:comment_id>"): (None, (200,) * 5),
    ("GET", "/api/v1/me"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/owners"): (None, (200, 200, 200, 200, 200)),
    # The Lagebericht: leadership and managers, as on the dashboard.
    ("GET", "/api/v1/landscape.pdf"): (None, (200, 200, 403, 403, 200)),
    ("GET", "/api/v1/dashboard"): (None, (200, 200, 403, 403, 200)),
    # The exports: everyone, of what they may see (as the queue and the inbox).
    ("GET", "/api/v1/cases/export.csv"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/cases/export.xlsx"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/signals/export.csv"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/signals/export.xlsx"): (None, (200, 200, 200, 200, 200)),
}


# What an API answer may be besides JSON: the PDFs and the exports.
FILES = ("application/pdf", "text/csv",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def test_every_api_endpoint_has_a_row(app):
    missing = [key for key in _api_rules(app) if key not in ACCESS]
    assert not missing, f"API endpoints without an access row in test_api_access: {missing}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "rule"), sorted(ACCESS))
def test_api_access(app, make, method, rule, role):
    from casework.api.tokens import create_token
    from casework.cases.operations import add_action, add_comment
    from casework.models import Case, User
    from casework.users.operations import find_user

    case = make.case("assigned", owner=make.specialist)
    signal_id = make.signal()
    user = make.specialist if role == "owner" else (
        make.pm if role == "program_manager" else make.user(
            "policy_specialist" if role == "specialist" else role))
    with app.app_context():
        owner = db.session.get(User, make.specialist.id)
        action = add_action(owner, db.session.get(Case, case.id), title="A", team="legal")
        comment = add_comment(owner, db.session.get(Case, case.id), "Noted")
        _t, secret = create_token(None, find_user(user.email))
        db.session.commit()
        version = db.session.get(Case, case.id).version
        action_id, comment_id = action.id, comment.id
    path = (rule.replace("<case_key:key>", case.key).replace("<int:signal_id>", str(signal_id))
            .replace("<int:action_id>", str(action_id))
            .replace("<int:comment_id>", str(comment_id)))
    body, expected = ACCESS[(method, rule)]
    if body is not None:
        body = {k: (case.key if v == "{key}" else version if v == "{version}" else v)
                for k, v in body.items()}
    response = app.test_client().open(path, method=method, json=body,
                                      headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == expected[ROLES.index(role)], response.get_data(as_text=True)
    assert response.is_json or response.mimetype in FILES
