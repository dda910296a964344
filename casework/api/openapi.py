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
    TransitionAction,
)


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
                 "total_is_exact": {"type": "boolean"}},
                ["items", "page", "per_page", "total", "total_is_exact"], closed=False)


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    texts = {400: "Malformed JSON or not a JSON object", 401: "No valid API token",
             403: "The user's role may not do this", 404: "Not found (or not visible)",
             409: "Illegal transition, stale version or duplicate",
             413: "Body too large", 415: "Not sent as application/json",
             422: "Validation failed; `fields` says which"}
    return {str(c): {"description": texts[c], **_json(_ref("Error"))} for c in codes}


def _op(summary: str, ok: dict, *errors: int, body: dict | None = None,
        params: list | None = None, ok_code: str = "200", tag: str = "cases") -> dict:
    op = {"summary": summary, "tags": [tag],
          "responses": {ok_code: {"description": "OK", **_json(ok)}, **_errors(401, *errors)}}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    return op


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PATH_ID = {"name": "signal_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}}
PATH_KEY = {"name": "key", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^RISK-[0-9]{4}-[0-9]{4,}$"}}
PATH_ACTION = {"name": "action_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1}}
PAGING = [_query("page", {"type": "integer", "minimum": 1}),
          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200})]


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
                            "restricted": {"type": "boolean"},
                            "version": {"type": "integer"}}),
        "Transition": _obj({
            "action": _enum(TransitionAction), "owner": NSTR, "note": NSTR,
            "resolution": _enum(Resolution, nullable=True),
            "residual_likelihood": NRATING, "residual_impact": NRATING,
            "version": {"type": "integer"}}, ["action"]),
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
        "ActionList": _obj({"items": {"type": "array", "items": _ref("MitigationAction")}},
                           ["items"], closed=False),
        "CommentList": _obj({"items": {"type": "array", "items": _ref("Comment")}},
                            ["items"], closed=False),
    }


def document() -> dict:
    sig = "signals"
    paths = {
        "/signals": {
            "get": _op("List signals, newest first", _ref("SignalPage"), 422, tag=sig,
                       params=[_query("status", _enum(SignalStatus)),
                               _query("source", _enum(SignalSource)),
                               _query("market", _enum(Market)),
                               _query("category", _enum(Category)),
                               _query("q", STR, "Text in the title or external reference"),
                               *PAGING]),
            "post": _op("File a signal (the same source and external_ref again answers the "
                        "existing signal with 200)", _ref("Signal"), 400, 403, 409, 413,
                        415, 422, body=_ref("SignalCreate"), ok_code="201", tag=sig),
        },
        "/signals/import": {"post": {
            "summary": "Import signals from a CSV file (UTF-8 or Windows-1252, `,` or `;`, "
                       "German or English headers and values); dry_run=1 writes nothing",
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
        "/signals/{signal_id}": {"get": _op("One signal, with possible duplicates",
                                            _ref("Signal"), 404, params=[PATH_ID], tag=sig)},
        "/signals/{signal_id}/qualify": {"post": _op(
            "Qualify into a new case (201) or attach to an existing one (200)", _ref("Case"),
            400, 403, 404, 409, 415, 422, body=_ref("Qualify"), params=[PATH_ID], tag=sig)},
        "/signals/{signal_id}/dismiss": {"post": _op(
            "Dismiss with a reason", _ref("Signal"), 400, 403, 404, 409, 415, 422,
            body=_ref("Dismiss"), params=[PATH_ID], tag=sig)},
        "/signals/{signal_id}/duplicate": {"post": _op(
            "Mark as a duplicate of a signal or a case", _ref("Signal"), 400, 403, 404,
            409, 415, 422, body=_ref("Duplicate"), params=[PATH_ID], tag=sig)},
        "/cases": {"get": _op("The case queue", _ref("CasePage"), 422, params=[
            _query("state", _enum(CaseState)), _query("market", _enum(Market)),
            _query("surface", _enum(Surface)),
            _query("category", _enum(Category)), _query("band", _enum(Band)),
            _query("owner", STR, "An e-mail address, 'me' or 'none'"),
            _query("q", STR, "Text in the key or title"),
            _query("sort", {"type": "string", "enum": ["severity", "updated", "created"]}),
            *PAGING])},
        "/cases/{key}": {
            "get": _op("Everything on a case, with its version", _ref("Case"), 404,
                       params=[PATH_KEY]),
            "patch": _op("Change a case's fields; send the version you read (body or "
                         "If-Match)", _ref("Case"), 400, 403, 404, 409, 415, 422,
                         body=_ref("CaseUpdate"), params=[
                             PATH_KEY, {"name": "If-Match", "in": "header",
                                        "required": False, "schema": STR}]),
        },
        "/cases/{key}/transitions": {"post": _op(
            "Move the case along the workflow", _ref("Case"), 400, 403, 404, 409, 415,
            422, body=_ref("Transition"), params=[PATH_KEY])},
        "/cases/{key}/actions": {
            "get": _op("Mitigation actions of a case", _ref("ActionList"), 404,
                       params=[PATH_KEY]),
            "post": _op("Plan a mitigation action", _ref("MitigationAction"), 400, 403, 404,
                        409, 415, 422, body=_ref("MitigationActionCreate"),
                        params=[PATH_KEY], ok_code="201"),
        },
        "/actions/{action_id}": {"patch": _op(
            "Update a mitigation action", _ref("MitigationAction"), 400, 403, 404, 409,
            415, 422, body=_ref("MitigationActionUpdate"), params=[PATH_ACTION])},
        "/cases/{key}/comments": {
            "get": _op("Comments on a case", _ref("CommentList"), 404, params=[PATH_KEY]),
            "post": _op("Comment on a case", _ref("Comment"), 400, 403, 404, 415, 422,
                        body=_ref("CommentCreate"), params=[PATH_KEY], ok_code="201"),
        },
        "/cases/{key}/summary.pdf": {"get": {
            "summary": "The case summary as a PDF (partner: no comments, e-mails or links)",
            "tags": ["cases"],
            "parameters": [PATH_KEY, _query("audience", {"type": "string",
                                                         "enum": ["internal", "partner"]})],
            "responses": {
                "200": {"description": "The PDF", "content": {
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                **_errors(401, 403, 404, 422),
            },
        }},
        "/cases/{key}/audit": {"get": _op("The case's audit trail, oldest first",
                                          _ref("AuditPage"), 404,
                                          params=[PATH_KEY, *PAGING])},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Casework API", "version": "1",
                 "description": "Signals, cases, mitigation actions, comments and the audit "
                                "trail. Authenticate with `Authorization: Bearer <token>` "
                                "(create one on your account page or with `flask casework "
                                "create-token`). Errors are always `{\"error\": {\"code\", "
                                "\"message\", \"fields\"}}`. Times are UTC ISO 8601."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
        "paths": paths,
    }
