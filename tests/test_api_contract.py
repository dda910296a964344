"""The API keeps the contract its OpenAPI document states, for every role.

Schemathesis reads /api/v1/openapi.json from a live server (a real HTTP server on a free
port, started here, on a database holding the demo data) and runs every check it has
(`--checks all`) through all its phases: the examples, the coverage of every constraint
(and of its violations), random fuzzing, and the stateful phase that follows the
document's links from one answer to the next request. It runs once with a token of each
role; tests/schemathesis.toml says what a schema-valid request may still be refused with,
and why. Beside that, every request is recorded at the server: each operation must have
answered 2xx at least once, so the stateful phase reaches the changes (PATCH of a case,
the workflow's steps, marking a duplicate), not only their refusals.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from casework.extensions import db

ROLES = ("admin", "pm", "specialist", "leadership")
CONFIG = Path(__file__).with_name("schemathesis.toml")


WELL_FORMED_KEY = re.compile(r"^[^\u0000-\u001f\u007f-\u009f]{1,255}$")


class Recorder:
    """WSGI middleware that notes each API request's endpoint and answer.

    It also gives every well-formed ``Idempotency-Key`` a fresh value: schemathesis draws
    keys from a small pool and sends one key with different requests, which the API rightly
    refuses (422 ``idempotency_key_reused``), hiding whether the request itself was
    accepted. Keys are tested on their own in tests/test_api_idempotency.py; malformed
    ones pass unchanged, so their refusal is still checked here.
    """

    def __init__(self, app):
        self.app, self.wsgi = app, app.wsgi_app
        self.answers: dict[str, set[int]] = defaultdict(set)

    def __call__(self, environ, start_response):
        key = environ.get("HTTP_IDEMPOTENCY_KEY")
        if key is not None and WELL_FORMED_KEY.match(key):
            environ["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())

        def noting(status, headers, exc_info=None):
            path = environ.get("PATH_INFO", "")
            if path.startswith("/api/v1/"):
                adapter = self.app.url_map.bind("localhost")
                try:
                    endpoint, _args = adapter.match(path, method=environ["REQUEST_METHOD"])
                except Exception:  # 404/405: no operation to credit
                    endpoint = None
                if endpoint:
                    self.answers[f"{environ['REQUEST_METHOD']} {endpoint}"].add(
                        int(status.split()[0]))
            return start_response(status, headers, exc_info)

        return self.wsgi(environ, noting)


@pytest.fixture
def live_api(app):
    """The app on a real HTTP server with the demo data and a token per role."""
    from casework.api.tokens import create_token
    from casework.models import Case
    from casework.ops import demo
    from casework.users.operations import find_user
    from casework.vocabulary import CaseState

    # Schemathesis sends thousands of requests a minute from one address: no rate limits
    # here (tests/test_api_limits.py tests them).
    app.config.update(API_RATE_PER_TOKEN=0, API_RATE_PER_ADDRESS=0)
    with app.app_context():
        demo.load()
        db.session.commit()
        secrets = {}
        for role in ROLES:
            _token, secrets[role] = create_token(
                None, find_user(f"{role}@casework.example"), "contract")
        db.session.commit()
        # The workflow's steps are taken on one open, unrestricted case of the demo data
        # (tests/schemathesis.toml names it for transitionCase): a generated key finds no
        # case, so whether a step succeeds would otherwise hang on chance.
        walked = db.session.scalars(
            db.select(Case.key).where(Case.state == CaseState.QUALIFIED,
                                      Case.restricted.is_(False))
            .order_by(Case.key)).first()
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", secrets, recorder, walked
    server.shutdown()
    thread.join()


def _schemathesis(base: str, secret: str, walked: str) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run",
        f"{base}/api/v1/openapi.json", "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "-H", f"Authorization: Bearer {secret}",
        "--workers", "1", "--continue-on-failure",
        # The same requests on every run (a failure reproduces); SEED overrides it.
        "--seed", os.environ.get("CASEWORK_CONTRACT_SEED", "2026"),
        "--no-color",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "SCHEMATHESIS_HOOKS": "",
                               "CASEWORK_CONTRACT_CASE": walked})


def test_every_role_gets_what_the_document_promises(app, live_api):
    base, secrets, recorder, walked = live_api
    failed = {}
    for role in ROLES:
        run = _schemathesis(base, secrets[role], walked)
        if run.returncode != 0:
            failed[role] = run.stdout[-6000:] + run.stderr[-2000:]
    assert not failed, "\n\n".join(f"--- as {role} ---\n{text}" for role, text in failed.items())

    operations = {f"{method} {rule.endpoint}" for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    never_done = sorted(op for op in operations
                        if not any(200 <= status < 300 for status in recorder.answers[op]))
    assert not never_done, f"no 2xx answer for: {never_done}"
