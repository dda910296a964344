"""Hooks for the schemathesis run of tests/test_api_contract.py.

Schemathesis draws ``Idempotency-Key`` values from a small pool and sends the same key with
different requests; the API then rightly answers 422 ``idempotency_key_reused``, which
would hide whether the request itself was accepted. A well-formed key is replaced by a
fresh one on each call (keys are tested on their own in tests/test_api_idempotency.py);
a malformed one is kept, so its refusal is still checked.
"""

from __future__ import annotations

import re
import uuid

import schemathesis

HEADER = "idempotency-key"
WELL_FORMED = re.compile(r"^[^\u0000-\u001f\u007f-\u009f]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    for name, value in list((case.headers or {}).items()):
        if name.lower() == HEADER and isinstance(value, str) and WELL_FORMED.match(value):
            case.headers[name] = str(uuid.uuid4())
