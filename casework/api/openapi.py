"""The OpenAPI 3.1 document of /api/v1, built from the same enums the code uses."""

from __future__ import annotations

from casework.vocabulary import (
    ActionStatus,
    ActionTeam,
    Band,
    CaseState,
    Category,
    Market,
    Resolution,
    ReviewDecision,
    Role,
    SignalSource,
    SignalStatus,
    Surface,
)
from casework.workflow import STEPS, describe


def _enum(enum_cls, *, nullable: bool = False) -> dict:
    values = [m.value for m in enum_cls]
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
RATING = {"type": "integer", "minimum": 1, "maximum": 5}
NRATING = {"type": ["integer", "null"], "minimum": 1, "maximum": 5}


def _obj(properties: dict, required: list[str] | None = None, *, closed: bool = True) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _page(item: str) -> dict:
    return _obj({"items": {"type": "array", "items": _ref(item)},
                 "page": {"type": "integer"}, "per_page": {"type": "integer"},
                 "total": {"type": "integer", "description":
                           "How many items the list has; a lower bound when "
                           "total_is_exact is false (counting stops 10,000 items past "
                           "the page asked for)"},
                 "total_is_exact": {"type": "boolean"},
                 "links": _obj({"self": STR, "next": NSTR, "prev": NSTR},
                               ["self", "next", "prev"], closed=False)},
                ["items", "page", "per_page", "total", "total_is_exact", "links"],
                closed=False)


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


ERROR_TEXTS = {
    400: "Malformed JSON or not a JSON object",
    401: "No valid API token",
    403: "The caller's role (or relation to the case) never allows this",
    404: "Not there, or not visible to the caller",
    409: "Not possible in the record's current state, or the version sent is stale",
    412: "If-Match names another version than the current one",
    413: "Body too large",
    415: "Not sent as application/json",
    422: "Input not valid; `fields` says which",
}


def _errors(*codes: int) -> dict:
    return {str(c): {"description": ERROR_TEXTS[c], **_json(_ref("Error"))} for c in codes}


LOCATION = {"Location": {"description": "Where the new record is", "schema": STR}}
ETAG = {"ETag": {"description": "The case's version, for If-Match", "schema": STR}}


def _op(operation_id: str, summary: str, who: str, ok: dict, *errors: int,
        body: dict | None = None, params: list | None = None, ok_code: str = "200",
        tag: str = "cases", also: dict | None = None, headers: dict | None = None) -> dict:
    """One operation: who may call it, its answer and every refusal it can give."""
    answer = {"description": "Created" if ok_code == "201" else "OK", **_json(ok)}
    if ok_code == "201" or headers:
        answer["headers"] = {**(LOCATION if ok_code == "201" else {}), **(headers or {})}
    op = {"operationId": operation_id, "summary": summary, "tags": [tag],
          "description": f"**Who:** {who}.",
          "responses": {ok_code: answer, **(also or {}), **_errors(401, *errors)}}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    return op


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PATH_ID = {"name": "signal_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
PATH_KEY = {"name": "key", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^RISK-[0-9]{4}-[0-9]{4,}$"}}
PATH_ACTION = {"name": "action_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
PAGING = [_query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200})]


VERSION = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
           "description": "The case's version as last read"}
TEXT_NEEDED = {"type": "string", "minLength": 1, "maxLength": 20000, "pattern": "\\S",
               "description": "Required: at least one character that is not a space"}
STEP_INPUTS = {
    "owner": {"type": "string", "format": "email", "maxLength": 254,
              "description": "The new owner's e-mail address (see GET /owners)"},
    "resolution": _enum(Resolution),
    "residual_likelihood": RATING,
    "residual_impact": RATING,
}


def _step_name(action) -> str:
    return "Transition" + action.value.title().replace("_", "")


def transition_schemas() -> dict:
    """One request schema per workflow step (what it requires and accepts), from the
    workflow's own table, and ``Transition``: one of them, chosen by ``action``."""
    schemas = {}
    for action, step in STEPS.items():
        properties = {"action": {"type": "string", "const": action.value}}
        for name in step.input_names:
            if name == "note":
                properties[name] = (TEXT_NEEDED if name in step.required_inputs
                                    else {"type": ["string", "null"], "maxLength": 20000})
            else:
                properties[name] = STEP_INPUTS[name]
        properties["version"] = VERSION
        schemas[_step_name(action)] = _obj(properties, ["action", *step.required_inputs])
    schemas["Transition"] = {
        "oneOf": [_ref(name) for name in schemas],
        "discriminator": {"propertyName": "action", "mapping": {
            action.value: f"#/components/schemas/{_step_name(action)}" for action in STEPS}},
    }
    return schemas


def schemas() -> dict:
    user = _obj({"email": STR, "name": STR, "role": _enum(Role)}, closed=False)
    nuser = {"anyOf": [_ref("User"), {"type": "null"}]}
    signal_fields = {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": ["string", "null"], "maxLength": 20000},
        "source": _enum(SignalSource), "market": _enum(Market),
        "surface": _enum(Surface, nullable=True), "category": _enum(Category),
        "url": {"type": ["string", "null"], "maxLength": 2000, "format": "uri"},
        "observed_at": NTIME,
        "external_ref": {"type": ["string", "null"], "maxLength": 200},
    }
    case_fields = {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "summary": {"type": ["string", "null"], "maxLength": 20000},
        "category": _enum(Category),
        "markets": {"type": "array", "items": _enum(Market), "minItems": 1},
        "surfaces": {"type": ["array", "null"], "items": _enum(Surface)},
        "likelihood": RATING, "impact": RATING,
    }
    action_fields = {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "team": _enum(ActionTeam),
        "owner": {"type": ["string", "null"], "maxLength": 120,
                  "description": "A Casework user's e-mail, or a partner's name"},
        "due": {"type": ["string", "null"], "format": "date"},
        "status": _enum(ActionStatus),
        "outcome": {"type": ["string", "null"], "maxLength": 20000},
    }
    duplicate = _obj({"type": {"type": "string", "enum": ["signal", "case"]},
                      "id": {"type": "integer"}, "key": STR, "title": STR,
                      "reason": {"type": "string",
                                 "enum": ["same_link", "same_external_ref", "similar_text"]},
                      "score": {"type": "number"}}, closed=False)
    signal = _obj({
        "id": {"type": "integer"}, **signal_fields, "status": _enum(SignalStatus),
        "case": NSTR, "duplicate_of_signal": {"type": ["integer", "null"]},
        "dismissal_reason": NSTR, "reported_by": nuser, "triaged_by": nuser,
        "triaged_at": NTIME, "created_at": TIME, "updated_at": TIME,
        "possible_duplicates": {"type": "array", "items": _ref("PossibleDuplicate")},
    }, ["id", "title", "source", "market", "category", "status", "case"], closed=False)
    action = _obj({"id": {"type": "integer"}, "case": STR, **action_fields,
                   "owner_name": NSTR, "created_at": TIME, "updated_at": TIME}, closed=False)
    comment = _obj({"id": {"type": "integer"}, "author": _ref("User"), "body": STR,
                    "created_at": TIME}, closed=False)
    review = _obj({"id": {"type": "integer"}, "reviewer": _ref("User"),
                   "decision": _enum(ReviewDecision),
                   "resolution": _enum(Resolution, nullable=True),
                   "residual_likelihood": NRATING, "residual_impact": NRATING,
                   "residual_score": {"type": ["integer", "null"]}, "note": STR,
                   "created_at": TIME}, closed=False)
    case_summary = _obj({
        "key": STR, "title": STR, "state": _enum(CaseState),
        "markets": {"type": "array", "items": _enum(Market)},
        "surfaces": {"type": "array", "items": _enum(Surface)},
        "category": _enum(Category), "likelihood": RATING, "impact": RATING,
        "score": {"type": "integer", "minimum": 1, "maximum": 25}, "band": _enum(Band),
        "owner": nuser, "restricted": {"type": "boolean"},
        "resolution": _enum(Resolution, nullable=True), "version": {"type": "integer"},
        "created_at": TIME, "updated_at": TIME, "closed_at": NTIME,
    }, ["key", "title", "state", "score", "band", "version"], closed=False)
    case = {"allOf": [_ref("CaseSummary"), _obj({
        "summary": STR, "assessment": STR, "dismissal_reason": NSTR,
        "signals": {"type": "array", "items": _ref("Signal")},
        "actions": {"type": "array", "items": _ref("MitigationAction")},
        "comments": {"type": "array", "items": _ref("Comment")},
        "reviews": {"type": "array", "items": _ref("Review")},
    }, closed=False)]}
    event = _obj({"id": {"type": "integer"}, "occurred_at": TIME, "actor": nuser,
                  "entity_type": STR, "entity_id": {"type": ["integer", "null"]},
                  "action": STR, "changes": {"type": "object"}, "note": NSTR}, closed=False)
    error = _obj({"error": _obj({
        "code": STR, "message": STR,
        "fields": {"type": "object",
                   "additionalProperties": {"type": "array", "items": STR}},
    }, ["code", "message", "fields"], closed=False)}, ["error"], closed=False)
    return {
        "User": user, "Error": error,
        "ImportReport": _obj({
            "created": {"type": "integer"}, "duplicates": {"type": "integer"},
            "dry_run": {"type": "boolean"},
            "errors": {"type": "array", "items": _obj(
                {"row": {"type": "integer"}, "column": STR, "message": STR}, closed=False)},
        }, ["created", "duplicates", "errors"], closed=False), "PossibleDuplicate": duplicate,
        "Signal": signal, "SignalCreate": _obj(
            signal_fields, ["title", "source", "market", "category"]),
        "CaseFields": _obj(case_fields),
        "CaseCreate": _obj(case_fields, ["title", "category", "markets", "likelihood",
                                         "impact"]),
        "Qualify": {"oneOf": [_obj({"case": STR}, ["case"]), _ref("CaseCreate")]},
        "CaseUpdate": _obj({**case_fields, "assessment": {"type": "string",
                                                         "maxLength": 20000},
                            "restricted": {"type": "boolean"}, "version": VERSION}),
        **transition_schemas(),
        "MitigationActionCreate": _obj(action_fields, ["title", "team"]),
        "MitigationActionUpdate": _obj(action_fields),
        "MitigationAction": action, "Comment": comment, "Review": review,
        "CommentCreate": _obj({"body": {"type": "string", "minLength": 1,
                                        "maxLength": 20000}}, ["body"]),
        "Dismiss": _obj({"reason": {"type": "string", "minLength": 1}}, ["reason"]),
        "Duplicate": {"oneOf": [_obj({"of_signal": {"type": "integer"}}, ["of_signal"]),
                                _obj({"of_case": STR}, ["of_case"])]},
        "CaseSummary": case_summary, "Case": case, "AuditEvent": event,
        "SignalPage": _page("Signal"), "CasePage": _page("CaseSummary"),
        "AuditPage": _page("AuditEvent"),
        "ActionPage": _page("MitigationAction"), "CommentPage": _page("Comment"),
        "Me": _obj({"email": STR, "name": STR, "role": _enum(Role), "token": _obj(
            {"name": STR, "hint": STR, "created_at": TIME, "last_used_at": NTIME},
            closed=False)}, ["email", "name", "role", "token"], closed=False),
        "UserList": _obj({"items": {"type": "array", "items": _ref("User")}}, ["items"],
                         closed=False),
    }


EVERYONE = "every role"
CASEWORKERS = "admins, program managers and policy specialists (not leadership)"
MANAGERS = "admins and program managers"
CHANGERS = "admins, program managers and the case's owner; while the case is open"
REPORT_READERS = "admins, program managers and leadership"
PATH_COMMENT = {"name": "comment_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": STR,
            "description": "The version you read (the case's ETag); another answers 412"}
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def _pdf_op(operation_id: str, summary: str, who: str, params: list, *errors: int) -> dict:
    return {"operationId": operation_id, "summary": summary, "tags": ["reports"],
            "description": f"**Who:** {who}.", "parameters": params,
            "responses": {"200": {"description": "The PDF", "content": PDF},
                          **_errors(401, *errors)}}


def workflow_text() -> str:
    """The case workflow in words, from the transition table itself."""
    lines = ["| action | from | to | who | requires | condition |", "|---|---|---|---|---|---|"]
    for row in describe():
        lines.append(f"| `{row['action']}` | {row['from']} | {row['to']} | {row['who']} | "
                     f"{', '.join(row['requires']) or '—'} | "
                     f"{'; '.join(row['conditions']) or '—'} |")
    return "\n".join(lines)


DESCRIPTION = (
    "Signals, cases, mitigation actions, comments and the audit trail. Authenticate with "
    "`Authorization: Bearer <token>` (create one on your account page or with `flask "
    "casework create-token`). Errors are always `{\"error\": {\"code\", \"message\", "
    "\"fields\"}}`. Times are UTC ISO 8601.\n\n"
    "A refusal has one class, decided in this order: 404 (not there or not visible to you), "
    "403 (your role may never), 409 (the record's state does not allow it now, or your "
    "version is stale), 412 (If-Match names another version), 422 (the input is not "
    "valid). 405 answers carry `Allow`. Lists take `page` (from 1) and `per_page` (1 to "
    "200); other values are refused with 422. Every list answer has `links` to the next "
    "and previous page.\n\n## The case workflow\n\n")


def document() -> dict:
    sig = "signals"
    paths = {
        "/me": {"get": _op("getMe", "The token's own user and the token (never its secret)",
                           EVERYONE, _ref("Me"), tag="account")},
        "/owners": {"get": _op("listOwners", "Users who can own a case: the choices for "
                               "the `assign` step", EVERYONE, _ref("UserList"), tag="account")},
        "/signals": {
            "get": _op("listSignals", "List signals, newest first", EVERYONE,
                       _ref("SignalPage"), 422, tag=sig,
                       params=[_query("status", _enum(SignalStatus)),
                               _query("source", _enum(SignalSource)),
                               _query("market", _enum(Market)),
                               _query("category", _enum(Category)),
                               _query("q", STR, "Text in the title or external reference"),
                               *PAGING]),
            "post": _op("createSignal", "File a signal", CASEWORKERS, _ref("Signal"), 400,
                        403, 409, 413, 415, 422, body=_ref("SignalCreate"), ok_code="201",
                        tag=sig, also={"200": {
                            "description": "The same source and external_ref were filed "
                                           "before: the existing signal, nothing created",
                            **_json(_ref("Signal"))}}),
        },
        "/signals/import": {"post": {
            "operationId": "importSignals",
            "summary": "Import signals from a CSV file (UTF-8 or Windows-1252, `,` or `;`, "
                       "German or English headers and values); dry_run=1 writes nothing",
            "description": f"**Who:** {MANAGERS}.",
            "tags": [sig],
            "parameters": [_query("dry_run", {"type": "string", "enum": ["0", "1"]},
                                  "1 to check every row and write nothing")],
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": _obj(
                    {"file": {"type": "string", "format": "binary"}}, ["file"])},
                "text/csv": {"schema": {"type": "string"}},
            }},
            "responses": {
                "200": {"description": "Dry run: what would happen",
                        **_json(_ref("ImportReport"))},
                "201": {"description": "Imported", **_json(_ref("ImportReport"))},
                **_errors(401, 403, 413, 415, 422),
            },
        }},
        "/signals/{signal_id}": {"get": _op("getSignal", "One signal, with possible "
                                            "duplicates", EVERYONE, _ref("Signal"), 404,
                                            params=[PATH_ID], tag=sig)},
        "/signals/{signal_id}/qualify": {"post": _op(
            "qualifySignal", "Qualify into a new case (201) or attach to an existing, open "
            "one named by `case` (200)", f"{MANAGERS}; while the signal is new", _ref("Case"),
            400, 403, 404, 409, 415, 422, body=_ref("Qualify"), params=[PATH_ID], tag=sig,
            ok_code="201", headers=ETAG, also={"200": {
                "description": "Attached to the existing case", **_json(_ref("Case"))}})},
        "/signals/{signal_id}/dismiss": {"post": _op(
            "dismissSignal", "Dismiss with a reason", f"{MANAGERS}; while the signal is new",
            _ref("Signal"), 400, 403, 404, 409, 415, 422, body=_ref("Dismiss"),
            params=[PATH_ID], tag=sig)},
        "/signals/{signal_id}/duplicate": {"post": _op(
            "markDuplicate", "Mark as a duplicate of a signal or a case",
            f"{MANAGERS}; while the signal is new", _ref("Signal"), 400, 403, 404, 409,
            415, 422, body=_ref("Duplicate"), params=[PATH_ID], tag=sig)},
        "/cases": {"get": _op("listCases", "The case queue", EVERYONE, _ref("CasePage"),
                              422, params=[
            _query("state", _enum(CaseState)), _query("market", _enum(Market)),
            _query("surface", _enum(Surface)),
            _query("category", _enum(Category)), _query("band", _enum(Band)),
            _query("owner", {"type": "string", "anyOf": [
                {"format": "email"}, {"enum": ["me", "none"]}]},
                   "An owner's e-mail address, 'me' or 'none'"),
            _query("q", STR, "Text in the key or title"),
            _query("sort", {"type": "string", "enum": ["severity", "updated", "created"]}),
            *PAGING])},
        "/cases/{key}": {
            "get": _op("getCase", "Everything on a case, with its version (also the ETag)",
                       EVERYONE + " who may see the case", _ref("Case"), 404,
                       params=[PATH_KEY], headers=ETAG),
            "patch": _op("updateCase", "Change a case's fields; send the version you read "
                         "(`version` in the body, or If-Match)", CHANGERS +
                         "; restricting: admins and program managers", _ref("Case"), 400,
                         403, 404, 409, 412, 415, 422, body=_ref("CaseUpdate"),
                         params=[PATH_KEY, IF_MATCH], headers=ETAG),
        },
        "/cases/{key}/transitions": {"post": _op(
            "transitionCase", "Take a step of the workflow (the table in the API's "
            "description says who, from where and what each step requires)",
            "by step: see the workflow table", _ref("Case"), 400, 403, 404, 409, 412,
            415, 422, body=_ref("Transition"), params=[PATH_KEY, IF_MATCH], headers=ETAG)},
        "/cases/{key}/actions": {
            "get": _op("listActions", "Mitigation actions of a case", EVERYONE +
                       " who may see the case", _ref("ActionPage"), 404, 422,
                       params=[PATH_KEY, *PAGING]),
            "post": _op("addAction", "Plan a mitigation action", CHANGERS,
                        _ref("MitigationAction"), 400, 403, 404, 409, 415, 422,
                        body=_ref("MitigationActionCreate"), params=[PATH_KEY],
                        ok_code="201"),
        },
        "/actions/{action_id}": {
            "get": _op("getAction", "One mitigation action", EVERYONE +
                       " who may see its case", _ref("MitigationAction"), 404,
                       params=[PATH_ACTION]),
            "patch": _op("updateAction", "Update a mitigation action", CHANGERS,
                         _ref("MitigationAction"), 400, 403, 404, 409, 415, 422,
                         body=_ref("MitigationActionUpdate"), params=[PATH_ACTION]),
        },
        "/cases/{key}/comments": {
            "get": _op("listComments", "Comments on a case, oldest first", EVERYONE +
                       " who may see the case", _ref("CommentPage"), 404, 422,
                       params=[PATH_KEY, *PAGING]),
            "post": _op("addComment", "Comment on a case", CASEWORKERS + " who may see the "
                        "case", _ref("Comment"), 400, 403, 404, 415, 422,
                        body=_ref("CommentCreate"), params=[PATH_KEY], ok_code="201"),
        },
        "/cases/{key}/comments/{comment_id}": {"get": _op(
            "getComment", "One comment on a case", EVERYONE + " who may see the case",
            _ref("Comment"), 404, params=[PATH_KEY, PATH_COMMENT])},
        "/cases/{key}/summary.pdf": {"get": _pdf_op(
            "getCaseSummaryPdf", "The case summary as a PDF (partner: no comments, "
            "e-mails or links)", EVERYONE + " who may see the case",
            [PATH_KEY, _query("audience", {"type": "string",
                                           "enum": ["internal", "partner"]})], 403, 404, 422)},
        "/landscape.pdf": {"get": _pdf_op(
            "getLandscapePdf", "The risk landscape report (Lagebericht) for a period and "
            "market, as on the dashboard", REPORT_READERS,
            [_query("from", {"type": "string", "format": "date"}),
             _query("to", {"type": "string", "format": "date"}),
             _query("market", _enum(Market))], 403, 422)},
        "/cases/{key}/audit": {"get": _op("listCaseAudit", "The case's audit trail, oldest "
                                          "first", EVERYONE + " who may see the case",
                                          _ref("AuditPage"), 404, 422,
                                          params=[PATH_KEY, *PAGING])},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Casework API", "version": "1",
                 "description": DESCRIPTION + workflow_text()},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
        "paths": paths,
    }
