"""Schema-driven fuzzing of the API from its own OpenAPI document: no input, however odd,
gets a 500. Schemathesis generates the requests from /api/v1/openapi.json; a program
manager's token (who may do almost everything) sends them against a database holding a
case in mitigation and a new signal."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from casework.extensions import db

EXAMPLES_PER_OPERATION = 30


def test_no_generated_request_gets_a_server_error(app, make):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    make.case("mitigating")
    make.signal()
    # ~850 requests in a minute with one token: fuzzing, not the rate limits.
    app.config.update(API_RATE_PER_TOKEN=0, API_RATE_PER_ADDRESS=0)
    with app.app_context():
        _t, secret = create_token(None, find_user(make.pm.email), "fuzz")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}")

        no_server_error()
    assert len(tried) >= 15, tried
