"""What every API answer promises beyond its endpoint: rate limits on every request, a 503
to retry when the database is busy, and ``Idempotency-Key`` on every POST. Their hooks on
the API blueprint, in the order they run, and their part of the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app

from casework.api import idempotency, limits


def register(bp: Blueprint) -> None:
    """The hooks around ``authenticate``: the address's limit before it (an app-level hook:
    Flask runs those before a blueprint's), then the token's limit, then the key."""
    bp.before_app_request(limits.count_request)
    bp.before_request(limits.refuse_token_over_limit)
    bp.before_request(idempotency.replay_or_claim)
    bp.after_request(idempotency.store_answer)
    bp.after_request(limits.add_headers)


# --- the OpenAPI document -----------------------------------------------------------------

_INTEGER = {"type": "integer", "minimum": 0}
HEADERS = {
    "RateLimit-Limit": {"description": "Requests allowed in the current window, of the "
                        "quota (per token or per address) nearest its end", "schema": _INTEGER},
    "RateLimit-Remaining": {"description": "Requests left in the current window of that "
                            "quota", "schema": _INTEGER},
    "RateLimit-Reset": {"description": "Seconds until that quota's window ends",
                        "schema": _INTEGER},
    "RateLimit-Policy": {"description": "Every quota that applies, as `limit;w=seconds`, "
                         "e.g. `600;w=60;comment=\"per token\", 1200;w=60;comment=\"per "
                         "address\"`", "schema": {"type": "string"}},
}
RETRY_AFTER = {"description": "Seconds to wait before trying again", "required": True,
               "schema": {"type": "integer", "minimum": 1}}
REPLAYED = {"description": "`true` when this is the stored answer to an earlier request "
            "with the same Idempotency-Key (nothing was done again)",
            "schema": {"type": "string", "enum": ["true"]}}
IDEMPOTENCY_KEY = {
    "name": idempotency.HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"},
    "description": "A name you choose for this request (a UUID, say). A retry with the same "
                   "key, path, body, Content-Type and If-Match answers the first answer "
                   "again (status, body, Location; header `Idempotent-Replayed: true`) and "
                   "creates nothing new. The same key with another request: 422 "
                   "`idempotency_key_reused`; while the first is still running: 409 "
                   "`idempotency_in_progress` with Retry-After. Keys are per token; how long "
                   "they are kept, the API's description says.",
}


def text(per_token: int, per_address: int, window: int, hours: int) -> str:
    """The API description's sections on rate limits and Idempotency-Key."""
    quotas = " and ".join(filter(None, [
        f"its token's ({per_token:,})" if per_token else "",
        f"its client address's ({per_address:,}, counted before the token is checked)"
        if per_address else ""])) or "none (this server has them off)"
    return (
        "\n\n## Rate limits\n\n"
        f"Every request counts against quotas per window of {window} seconds: {quotas}. "
        "Every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` "
        "(of the quota nearest its end) and `RateLimit-Policy` (every quota that applies). "
        "Beyond a quota the answer is 429 `too_many_requests` with `Retry-After` (seconds). "
        "Every server counts in the same place.\n\n"
        "## Retrying a POST: Idempotency-Key\n\n"
        "Send `Idempotency-Key: <a new UUID>` with a POST, and the same key again when you "
        "retry it (after a timeout, a dropped connection): if the first request was done, "
        "the retry answers its answer (with `Idempotent-Replayed: true`) and nothing is "
        "created twice. The key is recorded in the same transaction as the change, so this "
        "holds even when the first answer never reached you. Refusals (4xx) are answered "
        "again too; server errors (5xx) are not kept. The same key with another path, "
        "body, Content-Type or If-Match is refused (422 `idempotency_key_reused`); while "
        "the first request is still running, or when its answer was lost after its change "
        "was made, 409 `idempotency_in_progress` with `Retry-After`. A key is 1 to 255 "
        "characters without control characters (else 422 `idempotency_key_invalid`), "
        f"belongs to the token that sent it and is kept {hours} hours.\n\n"
        "## A busy database\n\n"
        "When the database cannot take a request in time (another writer held the lock "
        "too long; on PostgreSQL a lock timeout, a serialization failure or a deadlock), the "
        "answer is 503 `database_busy` with `Retry-After`, and nothing of the request was "
        "saved (an import keeps the batches it committed before; see its description). "
        "Retry after that many seconds.\n")


def _configured_text() -> str:
    config = current_app.config
    return text(config["API_RATE_PER_TOKEN"], config["API_RATE_PER_ADDRESS"],
                int(config["API_RATE_WINDOW"].total_seconds()),
                round(config["API_IDEMPOTENCY_TTL"].total_seconds() / 3600))


_REF_HEADERS = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_IN_PROGRESS = ("the Idempotency-Key's first request is still running, or its answer was "
                "lost after its change was made (`idempotency_in_progress`, with Retry-After)")
_KEY_REFUSED = ("the Idempotency-Key is malformed (`idempotency_key_invalid`) or was sent "
                "with another request (`idempotency_key_reused`)")
METHODS = ("get", "put", "post", "patch", "delete")


def _also(responses: dict, status: str, text: str, headers: dict | None = None) -> None:
    """Add ``text`` as a reason for the refusal ``status``, or the refusal itself."""
    answer = responses.setdefault(status, {"description": "", **_ERROR})
    answer["description"] = "; or ".join(filter(None, [answer["description"], text]))
    answer["description"] = answer["description"][0].upper() + answer["description"][1:]
    answer.setdefault("headers", {}).update(headers or {})


def describe(document: dict) -> dict:
    """``document`` with the rate limits on every operation (their headers on every answer,
    429), a busy database on every operation (503) and the Idempotency-Key on every POST
    (the parameter, its 409 and 422)."""
    components = document.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    document["info"]["description"] += _configured_text()
    for item in document["paths"].values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            responses["429"] = {"description": "Too many requests from this token or "
                                "address in this window; Retry-After says when to try again",
                                "headers": {"Retry-After": RETRY_AFTER}, **_ERROR}
            responses["503"] = {"description": "The database is busy (a lock held by other "
                                "work for too long): nothing was saved; "
                                "`database_busy`, Retry-After says when to try again",
                                "headers": {"Retry-After": RETRY_AFTER}, **_ERROR}
            if method == "post":
                operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY]
                _also(responses, "409", _IN_PROGRESS,
                      {"Retry-After": {**RETRY_AFTER, "required": False}})
                _also(responses, "422", _KEY_REFUSED)
            for answer in responses.values():
                headers = answer.setdefault("headers", {})
                headers.update(_REF_HEADERS)
                if method == "post":
                    headers["Idempotent-Replayed"] = REPLAYED
    return document
