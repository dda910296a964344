"""The hostile corpus through the API's text fields: stored verbatim (as JSON, which a
client must escape itself), never a 500, nothing beyond its limit, NUL refused."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hostile import (
    EDGE_VALUES,
    HOSTILE,
    JSON_DEPTH,
    JSON_NUMBERS,
    MEGABYTE,
    NUL,
    RESERVED_URL_KEYS,
    deeply_nested_json,
)

from casework.extensions import db
from casework.models import AuditEvent, Comment, MitigationAction, Signal, User


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


# --- Every parameter of every operation gets every value class --------------------------------
#
# Driven by the API's own OpenAPI document: each operation's path, query and header
# parameters and each field of its JSON body (or each column of the CSV it imports) gets
# every value of ``hostile.EDGE_VALUES``; JSON fields also get numbers past 64 bits and
# arrays 100,000 deep, and every JSON body is sent 100,000 deep. The answer is never a
# 5xx, and every refusal is the documented JSON error with a documented status.

def _document(app) -> dict:
    from casework.api.openapi import document

    with app.test_request_context():
        return document()


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_fields(document: dict, schema: dict) -> set[str]:
    """Every property a body schema names, through $ref, oneOf, anyOf and allOf."""
    schema = _resolve(document, schema)
    names = set(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for part in schema.get(key, []):
            names |= body_fields(document, part)
    return names


def _operations():
    from test_routes import _COLLECTION_APP

    document = _document(_COLLECTION_APP)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield pytest.param(path, method.upper(), operation["operationId"],
                                   id=operation["operationId"])


@dataclass
class Variant:
    """A representative state of an operation: what its path names and a body that works
    there (``None``: the operation takes none)."""

    path: Callable[[], dict]
    body: Callable[[dict], dict] | None = None


def _variants(operation_id: str, make, app, people) -> list[Variant]:
    from casework.cases.operations import add_comment
    from casework.models import Case

    def case(state="mitigating"):
        return lambda: {"key": make.case(state, owner=people["owner"]).key}

    def with_comment():
        made = make.case("mitigating", owner=people["owner"])
        with app.app_context():
            comment = add_comment(db.session.get(User, people["pm"].id),
                                  db.session.get(Case, made.id), "A comment")
            db.session.commit()
            return {"key": made.key, "comment_id": comment.id}

    def with_action():
        made = make.case("in_review", owner=people["owner"])  # with one done action
        with app.app_context():
            action_id = db.session.scalar(sa.select(MitigationAction.id).where(
                MitigationAction.case_id == made.id))
        return {"key": made.key, "action_id": action_id}

    def version(values):
        with app.app_context():
            return db.session.scalar(sa.select(Case.version).where(Case.key == values["key"]))

    signal = lambda: {"signal_id": make.signal()}  # noqa: E731
    table = {
        "createSignal": [Variant(dict, lambda v: {
            "title": "Live hate", "source": "news", "market": "DE", "category": "other",
            "observed_at": "2025-11-24T14:30:00Z"})],
        "qualifySignal": [
            Variant(signal, lambda v: {"title": "Live hate", "category": "hate_speech",
                                       "markets": ["DE"], "surfaces": ["live"],
                                       "likelihood": 3, "impact": 4}),
            Variant(signal, lambda v: {"case": make.case("assigned").key})],
        "dismissSignal": [Variant(signal, lambda v: {"reason": "Noise"})],
        "markDuplicate": [Variant(signal, lambda v: {"of_signal": make.signal()}),
                          Variant(signal, lambda v: {"of_case": make.case("assigned").key})],
        "updateCase": [Variant(case(), lambda v: {"title": "Live hate",
                                                  "version": version(v)}),
                       Variant(case(), lambda v: {"title": "Live hate"})],  # with If-Match
        "transitionCase": [
            Variant(case("qualified"), lambda v: {"action": "assign",
                                                  "owner": people["other"].email}),
            Variant(case("in_review"), lambda v: {
                "action": "approve", "resolution": "mitigated", "residual_likelihood": 1,
                "residual_impact": 2, "note": "Fine", "version": version(v)})],
        "addAction": [Variant(case(), lambda v: {"title": "Keyword list", "team": "legal",
                                                 "due": "2026-12-31", "status": "planned"})],
        "updateAction": [Variant(with_action, lambda v: {"title": "Keyword list",
                                                         "due": "2026-12-31"})],
        "addComment": [Variant(case(), lambda v: {"body": "A comment"})],
        "getComment": [Variant(with_comment)],
        "getAction": [Variant(with_action)],
    }
    if operation_id in table:
        return table[operation_id]
    return [Variant(case() if operation_id in _CASE_OPERATIONS else signal)]


_CASE_OPERATIONS = {"getCase", "listActions", "listComments", "listCaseAudit",
                    "getCaseSummaryPdf"}
IMPORT_COLUMNS = {"Title": "Hate comments under Live", "Source": "news", "Market": "DE",
                  "Category": "hate_speech", "Surface": "live", "URL": "https://e.example/a",
                  "Observed at": "24.11.2025 14:30", "External ref": "N-1",
                  "Description": "x"}


def _import_csv(**changes) -> bytes:
    row = {**IMPORT_COLUMNS, **changes}
    quoted = ['"' + value.replace('"', '""') + '"' for value in row.values()]
    return (",".join(row) + "\n" + ",".join(quoted) + "\n").encode()


def _latin1(value: str) -> str:
    """A header as a WSGI server hands it over: its UTF-8 bytes read as Latin-1."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


@pytest.mark.parametrize(("path", "method", "operation_id"), list(_operations()))
def test_every_parameter_of_every_operation_gets_every_value_class(
        app, make, path, method, operation_id):
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    # No rate limits; a crash is a 500 to report, not a raise.
    app.config.update(API_RATE_PER_TOKEN=0, API_RATE_PER_ADDRESS=0, PROPAGATE_EXCEPTIONS=False)
    people = {"pm": make.pm, "owner": make.specialist,
              "other": make.user("policy_specialist")}
    with app.app_context():
        _t, secret = create_token(None, find_user(make.pm.email), "probe")
        db.session.commit()
    document = _document(app)
    operation = document["paths"][path][method.lower()]
    documented = {int(code) for code in operation["responses"]}
    parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
    content = operation.get("requestBody", {}).get("content", {})
    json_fields = (body_fields(document, content["application/json"]["schema"])
                   if "application/json" in content else set())
    client = app.test_client()
    problems: list[str] = []

    def call(values: dict, *, query=None, headers=None, body=None, raw: bytes | None = None,
             raw_path: str | None = None, files: bytes | None = None):
        url = "/api/v1" + (raw_path or path.format(**{
            name: quote(str(value), safe="") for name, value in values.items()}))
        environ = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        environ.update({"HTTP_" + name.upper().replace("-", "_"): _latin1(value)
                        for name, value in (headers or {}).items()})
        kwargs: dict = {}
        if files is not None:
            kwargs["data"] = {"file": (io.BytesIO(files), "signals.csv")}
        elif raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = client.open(url, method=method, query_string=query or {},
                               environ_overrides=environ, **kwargs)
        response.get_data()  # a streamed export holds its request until read
        response.close()
        return response

    variants = _variants(operation_id, make, app, people)
    states = [variant.path() for variant in variants]

    def check(where: str, response, variant_index: int) -> None:
        status = response.status_code
        if status >= 500:
            problems.append(f"{where}: {status} {response.get_data(as_text=True)[:120]}")
            return
        if status >= 400:
            error = (response.get_json(silent=True) or {}).get("error")
            if not response.is_json or set(error or {}) != {"code", "message", "fields"}:
                problems.append(f"{where}: {status} without the JSON error")
            elif status not in documented:
                problems.append(f"{where}: {status} ({error['code']}) is not documented")
        elif method != "GET":
            states[variant_index] = variants[variant_index].path()  # it happened: anew

    def body_of(index: int) -> dict | None:
        body = variants[index].body
        return body(states[index]) if body else None

    def variant_with(field: str) -> int:
        for index, variant in enumerate(variants):
            if variant.body and field in variant.body(states[index]):
                return index
        return 0

    values = dict(EDGE_VALUES)
    for parameter in parameters:
        name, where = parameter["name"], parameter["in"]
        for label, value in values.items():
            index = variant_with(name)
            state, body = states[index], body_of(index)
            if name == "If-Match" and body:
                body.pop("version", None)
            if where == "query":
                response = call(state, query={name: value}, body=body)
            elif where == "header":
                response = call(state, headers={name: value}, body=body)
            else:
                response = call(state, body=body, raw_path=path.format(**{
                    **{k: quote(str(v), safe="") for k, v in state.items()},
                    name: quote(value, safe="")}))
                if label.startswith("unicode_digits") and response.status_code != 404:
                    problems.append(f"<{name}>={label}: {response.status_code}, not 404")
            check(f"{where} {name}={label}", response, index)
    hostile_json = {**values, **JSON_NUMBERS}
    for field in sorted(json_fields):
        index = variant_with(field)
        for label, value in hostile_json.items():
            body = {**(body_of(index) or {}), field: value}
            check(f"JSON {field}={label}", call(states[index], body=body), index)
        raw = json.dumps({**(body_of(index) or {}), field: None}).encode().replace(
            b"null", deeply_nested_json(), 1)
        check(f"JSON {field}=nested {JSON_DEPTH} deep", call(states[index], raw=raw), index)
    if json_fields:
        for name, raw in (("array", deeply_nested_json()),
                          ("object", b'{"a":' * JSON_DEPTH + b"1" + b"}" * JSON_DEPTH)):
            response = call(states[0], raw=raw)
            check(f"JSON body: {name} {JSON_DEPTH} deep", response, 0)
            if response.status_code not in (400, 422):
                problems.append(f"JSON body {JSON_DEPTH} deep: {response.status_code}")
    if "multipart/form-data" in content:
        for column in IMPORT_COLUMNS:
            for label, value in values.items():
                check(f"CSV column {column}={label}",
                      call(states[0], files=_import_csv(**{column: value}),
                           query={"dry_run": "1"}), 0)
    if method == "GET":
        for name, value in RESERVED_URL_KEYS.items():
            response = call(states[0], query={name: value})
            check(f"?{name}={value}", response, 0)
            if response.is_json and name in ("_anchor", "_scheme", "_external"):
                text = response.get_data(as_text=True)
                steered = "http://localhost" if name == "_external" else value
                if steered in text:
                    problems.append(f"?{name}=: the value steered a link")
        # A path argument's name in the query string must not collide with the path's.
        for name in states[0]:
            check(f"?{name}= (a path argument's name)",
                  call(states[0], query={name: "x"}), 0)
    assert not problems, "\n".join(problems[:60])
