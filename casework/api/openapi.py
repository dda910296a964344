"""The OpenAPI 3.1 document of /api/v1, built from the same enums the code uses."""

from __future__ import annotations

from casework.api.contract import describe as describe_contract
from casework.signals.importing import BATCH_SIZE
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
# A day every input may name: 1900-01-01 to 2999-12-31 (casework.validation.check_day).
CALENDAR_DATE = {"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
RATING = {"type": "integer", "minimum": 1, "maximum": 5}
NRATING = {"type": ["integer", "null"], "minimum": 1, "maximum": 5}
# What the server checks of free text: no NUL character (nothing can store one), at most
# ``maximum`` characters; required text has a character that is not a space (it is stripped).
NO_NUL = "^[^\\u0000]*$"
SOME_TEXT = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"


def text(maximum: int, *, required: bool = False, nullable: bool = False) -> dict:
    """A free-text field as the server checks it (``validation.clean_text``)."""
    schema = {"type": ["string", "null"] if nullable else "string", "maxLength": maximum,
              "pattern": SOME_TEXT if required else NO_NUL}
    if required:
        schema["minLength"] = 1
    return schema


KEY_PATTERN = "^[Rr][Ii][Ss][Kk]-[0-9]{4}-[0-9]{4,}$"
URL = {"anyOf": [
    {"type": "string", "maxLength": 2000,
     "pattern": "^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000]*$"},
    {"type": "string", "maxLength": 0}, {"type": "null"}],
    "description": "A link starting with http:// or https://"}


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
    429: "Too many at once: the caller already has as many PDFs and exports under way as "
         "a user may (`too_many_requests`, with `Retry-After`)",
}


def _errors(*codes: int) -> dict:
    return {str(c): {"description": ERROR_TEXTS[c], **_json(_ref("Error"))} for c in codes}


LOCATION = {"Location": {"description": "Where the new record is", "schema": STR}}
ETAG = {"ETag": {"description": "The case's version, for If-Match", "schema": STR}}


def _op(operation_id: str, summary: str, who: str, ok: dict, *errors: int,
        body: dict | None = None, params: list | None = None, ok_code: str = "200",
        tag: str = "cases", also: dict | None = None, headers: dict | None = None,
        links: dict | None = None) -> dict:
    """One operation: who may call it, its answer and every refusal it can give; ``links``
    say which operations take what the answer names (OpenAPI links)."""
    answer = {"description": "Created" if ok_code == "201" else "OK", **_json(ok)}
    if links:
        answer["links"] = links
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


def _filter(enum_cls) -> dict:
    """A list filter from the query string: a canonical value, or empty for any."""
    return {"type": "string", "enum": [*(m.value for m in enum_cls), ""]}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PATH_ID = {"name": "signal_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
PATH_KEY = {"name": "key", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": KEY_PATTERN}}
PATH_ACTION = {"name": "action_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
PAGING = [_query("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200})]


VERSION = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
           "description": "The case's version as last read"}
TEXT_NEEDED = {**text(20000, required=True),
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
                                    else text(20000, nullable=True))
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
        "title": text(200, required=True),
        "description": text(20000, nullable=True),
        "source": _enum(SignalSource), "market": _enum(Market),
        "surface": _enum(Surface, nullable=True), "category": _enum(Category),
        "url": URL,
        "observed_at": {"anyOf": [TIME, {"type": "string", "maxLength": 0}, {"type": "null"}],
                        "description": "When it was observed (not in the future)"},
        "external_ref": text(200, nullable=True),
    }
    case_fields = {
        "title": text(200, required=True),
        "summary": text(20000, nullable=True),
        "category": _enum(Category),
        "markets": {"type": "array", "items": _enum(Market), "minItems": 1},
        "surfaces": {"type": ["array", "null"], "items": _enum(Surface)},
        "likelihood": RATING, "impact": RATING,
    }
    action_fields = {
        "title": text(200, required=True),
        "team": _enum(ActionTeam),
        "owner": {**text(120, nullable=True),
                  "description": "A Casework user's e-mail, or a partner's name"},
        "due": {"anyOf": [CALENDAR_DATE, {"type": "string", "maxLength": 0}, {"type": "null"}],
                "description": "A day from 1900-01-01 to 2999-12-31"},
        "status": _enum(ActionStatus),
        "outcome": text(20000, nullable=True),
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
        "comments": {"type": "array", "items": _ref("Comment"), "maxItems": 50,
                     "description": "The latest 50 comments, oldest first; "
                                    "`links.comments` (`GET /cases/{key}/comments`) pages "
                                    "them all"},
        "comments_total": {"type": "integer", "minimum": 0,
                           "description": "How many comments the case has"},
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
            "refused": {"type": "integer", "description": "Rows with errors, left out"},
            "dry_run": {"type": "boolean"},
            "errors": {"type": "array", "items": _obj(
                {"row": {"type": "integer"}, "column": STR, "message": STR}, closed=False)},
            "batches": {"type": "array", "description": "Each committed batch of the file's "
                        "rows, in order (none in a dry run)", "items": _obj({
                            "batch": {"type": "integer"}, "first_row": {"type": "integer"},
                            "last_row": {"type": "integer"}, "created": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                            "refused": {"type": "integer"}}, closed=False)},
        }, ["created", "duplicates", "refused", "errors", "batches"], closed=False),
        "PossibleDuplicate": duplicate,
        "Signal": signal, "SignalCreate": _obj(
            signal_fields, ["title", "source", "market", "category"]),
        "CaseFields": _obj(case_fields),
        "CaseCreate": _obj(case_fields, ["title", "category", "markets", "likelihood",
                                         "impact"]),
        "Qualify": {"oneOf": [_obj({"case": {"type": "string", "pattern": KEY_PATTERN}},
                                   ["case"]), _ref("CaseCreate")]},
        # `version` or an If-Match header: one of the two is required (422 without).
        "CaseUpdate": _obj({**case_fields, "assessment": text(20000, nullable=True),
                            "restricted": {"type": "boolean"},
                            "version": {**VERSION, "description": "The version you read; "
                                        "required unless sent as If-Match"}}),
        **transition_schemas(),
        "MitigationActionCreate": _obj(action_fields, ["title", "team"]),
        "MitigationActionUpdate": _obj(action_fields),
        "MitigationAction": action, "Comment": comment, "Review": review,
        "CommentCreate": _obj({"body": text(20000, required=True)}, ["body"]),
        "Dismiss": _obj({"reason": text(20000, required=True)}, ["reason"]),
        "Duplicate": {"oneOf": [
            _obj({"of_signal": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                 ["of_signal"]),
            _obj({"of_case": {"type": "string", "pattern": KEY_PATTERN}}, ["of_case"])]},
        "CaseSummary": case_summary, "Case": case, "AuditEvent": event,
        "SignalPage": _page("Signal"), "CasePage": _page("CaseSummary"),
        "AuditPage": _page("AuditEvent"),
        "ActionPage": _page("MitigationAction"), "CommentPage": _page("Comment"),
        "Me": _obj({"email": STR, "name": STR, "role": _enum(Role), "token": _obj(
            {"name": STR, "hint": STR, "created_at": TIME, "last_used_at": NTIME,
             "expires_at": NTIME},
            closed=False)}, ["email", "name", "role", "token"], closed=False),
        "UserList": _obj({"items": {"type": "array", "items": _ref("User")}}, ["items"],
                         closed=False),
        **dashboard_schemas(),
    }


def dashboard_schemas() -> dict:
    """The dashboard's figures: every count with ``list``, the API list of what it counts
    (the list's ``total`` is the count)."""
    day = {"type": "string", "format": "date"}
    count = {"type": "integer", "minimum": 0}
    days = {"type": ["number", "null"], "minimum": 0,
            "description": "Median in days, one decimal; null when there is nothing to measure"}
    link = {"type": "string", "description": "The API list of what the number counts"}

    def counted(properties: dict) -> dict:
        return _obj({**properties, "count": count, "list": link},
                    [*properties, "count", "list"], closed=False)

    def many(schema: dict) -> dict:
        return {"type": "array", "items": schema}

    cases = many(_ref("CaseSummary"))
    figures = {
        "period": _obj({"from": day, "to": day, "market": _enum(Market, nullable=True),
                        "days": count}, ["from", "to", "market", "days"], closed=False),
        "previous_period": _obj({"from": day, "to": day}, ["from", "to"], closed=False),
        "today": day,
        "signals_in": _ref("DashboardFlow"), "cases_opened": _ref("DashboardFlow"),
        "cases_closed": _ref("DashboardFlow"),
        "median_days_to_assign": _ref("DashboardMedian"),
        "median_days_to_close": _ref("DashboardMedian"),
        "overdue_actions": counted({"cases": {**count, "description": "In how many cases "
                                              "(the list's total)"}}),
        "open_cases": counted({"by_band": many(counted({"band": _enum(Band)}))}),
        "signals_by_day": many(counted({"source": _enum(SignalSource),
                                        "days": many(counted({"day": day}))})),
        "open_by_category_market": many(counted({"category": _enum(Category),
                                                 "market": _enum(Market)})),
        "open_by_surface": many(counted({"surface": _enum(Surface)})),
        "emerging_categories": many(counted({
            "category": _enum(Category),
            "average": {"type": "number", "minimum": 0,
                        "description": "Signals per period in the four periods before"}})),
        "top_open_risks": _obj({"items": cases, "list": link}, ["items", "list"],
                               closed=False),
        "closed_cases": counted({"items": {**cases, "description": "The latest 50"}}),
        "links": _obj({"self": STR, "report": STR, "html": STR},
                      ["self", "report", "html"], closed=False),
    }
    return {
        "DashboardFlow": counted({"previous": {**count, "description": "In the previous "
                                               "period of the same length"}}),
        "DashboardMedian": _obj({"days": days, "previous": days, "list": link},
                                ["days", "previous", "list"], closed=False),
        "Dashboard": _obj(figures, list(figures), closed=False),
    }


EVERYONE = "every role"
CASEWORKERS = "admins, program managers and policy specialists (not leadership)"
MANAGERS = "admins and program managers"
CHANGERS = "admins, program managers and the case's owner; while the case is open"
REPORT_READERS = "admins, program managers and leadership"
PATH_COMMENT = {"name": "comment_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
# A day a filter, the dashboard or a report may name: 1900-01-01 to 2999-12-31
# (casework.localtime), or empty.
DAY = {"anyOf": [CALENDAR_DATE, {"type": "string", "maxLength": 0}],
       "description": "A day from 1900-01-01 to 2999-12-31, or empty"}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": STR,
            "description": "The version you read (the case's ETag); another answers 412"}
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
PDF_LANG = _query("lang", {"type": "string", "enum": ["de", "en", ""]},
                  "The language the PDF is written in: `de` (German) or `en` (English). "
                  "Empty: the caller's language as chosen on their account page, else the "
                  "request's `Accept-Language`, else English. Anything else: 422")
EXPORT_LANG = _query("lang", {"type": "string", "enum": ["de", "en", ""]},
                     "The language of a refusal's message: `de` or `en` (empty: as "
                     "`Accept-Language`). The file itself holds canonical values and field "
                     "names in every language. Anything else: 422")


def _pdf_op(operation_id: str, summary: str, who: str, params: list, *errors: int) -> dict:
    return {"operationId": operation_id, "summary": summary, "tags": ["reports"],
            "description": f"**Who:** {who}.", "parameters": params,
            "responses": {"200": {"description": "The PDF", "content": PDF},
                          **_errors(401, *errors)}}


CSV = {"text/csv": {"schema": {"type": "string"}}}
XLSX = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    "schema": {"type": "string", "format": "binary"}}}
# (extension, what it is, media type, how it is written)
EXPORT_FORMS = (
    ("csv", "CSV", CSV, "UTF-8 with a BOM, `;` between fields, CRLF line ends (as German "
                        "Excel reads them); times in UTC."),
    ("xlsx", "an Excel workbook", XLSX, "Numbers as numbers, times as dates in UTC."),
)
EXPORTED_LISTS = {  # list path -> (operation name, what the file holds, tag)
    "/cases": ("Cases", "The case queue under the filters of `GET /cases`", "cases"),
    "/signals": ("Signals", "The signals under the filters of `GET /signals` (no status: "
                 "every status; the columns read back through the import)", "signals"),
}


def export_paths(paths: dict) -> dict:
    """``<list>/export.csv`` and ``.xlsx`` for the queue and the inbox, taking the filters
    their lists take (not the paging); every export is audited."""
    exports = {}
    for path, (name, what, tag) in EXPORTED_LISTS.items():
        filters = [p for p in paths[path]["get"]["parameters"] if p not in PAGING]
        for form, kind, content, written in EXPORT_FORMS:
            exports[f"{path}/export.{form}"] = {"get": {
                "operationId": f"export{name}{form.title()}",
                "summary": f"{what}, as {kind} (as the page exports it)", "tags": [tag],
                "description": f"**Who:** {EVERYONE}; the file holds only what the caller "
                               f"may see. {written} Cells that Excel would run as "
                               "formulas are neutralised. Each export is recorded in the "
                               "audit trail. An export holds at most 50,000 rows (the "
                               "server's `CASEWORK_EXPORT_MAX_ROWS`): filters that find "
                               "more are refused with 422 `export_too_large`; narrow them.",
                "parameters": [*filters, EXPORT_LANG],
                "responses": {"200": {"description": "The file, as an attachment",
                                      "content": content}, **_errors(401, 422, 429)}}}
    return exports


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
    "casework create-token`). A token stops working (401) when it expires, is revoked, or "
    "its user changes their password, has it reset or is deactivated. Errors are always "
    "`{\"error\": {\"code\", \"message\", "
    "\"fields\"}}`; codes, field names and values are always the canonical English ones, "
    "and the `message` is in the language of `Accept-Language` (German or English; "
    "English when it names neither). Times are UTC ISO 8601.\n\n"
    "A refusal has one class, decided in this order: 404 (not there or not visible to you), "
    "403 (your role may never), 409 (the record's state does not allow it now, or your "
    "version is stale), 412 (If-Match names another version), 422 (the input is not "
    "valid). 405 answers carry `Allow`. Lists take `page` (from 1) and `per_page` (1 to "
    "200); other values are refused with 422. Every list answer has `links` to the next "
    "and previous page.\n\n## The case workflow\n\n")


def _links(parameter: str, expression: str, *operation_ids: str) -> dict:
    """Links from an answer to the operations that take ``parameter`` from it."""
    return {operation_id: {"operationId": operation_id, "parameters": {parameter: expression}}
            for operation_id in operation_ids}


SIGNAL_LINKS = _links("signal_id", "$response.body#/id", "getSignal", "qualifySignal",
                      "dismissSignal", "markDuplicate")
CASE_LINKS = _links("key", "$response.body#/key", "getCase", "transitionCase", "listActions",
                    "addAction", "listComments", "addComment", "listCaseAudit",
                    "getCaseSummaryPdf")
# A change needs the version just read.
CASE_LINKS["updateCase"] = {"operationId": "updateCase",
                            "parameters": {"key": "$response.body#/key"},
                            "requestBody": {"version": "$response.body#/version"}}
# The workflow's next steps where they need nothing the answer cannot say: from a new
# case, dismissing it; from a case being worked on, starting mitigation.
CASE_LINKS["dismissCase"] = {
    "operationId": "transitionCase", "parameters": {"key": "$response.body#/key"},
    "requestBody": {"action": "dismiss", "note": "Not a risk after all",
                    "version": "$response.body#/version"}}
CASE_LINKS["startMitigation"] = {
    "operationId": "transitionCase", "parameters": {"key": "$response.body#/key"},
    "requestBody": {"action": "start_mitigation", "version": "$response.body#/version"}}
ACTION_LINKS = _links("action_id", "$response.body#/id", "getAction", "updateAction")
CSV_EXAMPLE = ("title;source;market;category;external_ref\n"
               "Raid wave on Live in Vienna;social_media;AT;hate_speech;sm-2026-0001\n")


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
                       params=[_query("status", _filter(SignalStatus)),
                               _query("source", _filter(SignalSource)),
                               _query("market", _filter(Market)),
                               _query("category", _filter(Category)),
                               _query("q", {"type": "string", "pattern": NO_NUL},
                                      "Text in the title or external reference"),
                               _query("from", DAY, "Received on this day or later"),
                               _query("to", DAY, "Received on this day or earlier"),
                               *PAGING]),
            "post": _op("createSignal", "File a signal", CASEWORKERS, _ref("Signal"), 400,
                        403, 409, 413, 415, 422, body=_ref("SignalCreate"), ok_code="201",
                        tag=sig, links=SIGNAL_LINKS, also={"200": {
                            "description": "The same source and external_ref were filed "
                                           "before: the existing signal, nothing created",
                            **_json(_ref("Signal"))}}),
        },
        "/signals/import": {"post": {
            "operationId": "importSignals",
            "summary": "Import signals from a CSV file (UTF-8 or Windows-1252, `,` or `;`, "
                       "German or English headers and values); dry_run=1 writes nothing",
            "description": f"**Who:** {MANAGERS}.\n\nEvery row is checked before anything "
                           "is written; a file that cannot be read is refused (422) and "
                           "changes nothing, rows with errors are listed and left out. The "
                           f"good rows are then written in batches of {BATCH_SIZE} rows of "
                           "the file, "
                           "each saved with its audit event as it is done (`batches`). If "
                           "the import stops half-way (503 `database_busy`, a lost "
                           "connection), the batches before stay: send the same file again "
                           "(with a new Idempotency-Key) and what is there is counted as "
                           "`duplicates`, the rest is imported.",
            "tags": [sig],
            "parameters": [_query("dry_run", {"type": "string",
                                              "enum": ["1", "true", "0", "false", ""]},
                                  "1 or true to check every row and write nothing")],
            "requestBody": {"required": True, "content": {
                # Other form fields are ignored.
                "multipart/form-data": {"schema": _obj(
                    {"file": {"type": "string", "format": "binary"}}, ["file"], closed=False),
                    "example": {"file": CSV_EXAMPLE}},
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
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
                                            params=[PATH_ID], tag=sig,
                                            links=SIGNAL_LINKS)},
        "/signals/{signal_id}/qualify": {"post": _op(
            "qualifySignal", "Qualify into a new case (201) or attach to an existing, open "
            "one named by `case` (200)", f"{MANAGERS}; while the signal is new", _ref("Case"),
            400, 403, 404, 409, 415, 422, body=_ref("Qualify"), params=[PATH_ID], tag=sig,
            ok_code="201", headers=ETAG, links=CASE_LINKS, also={"200": {
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
            _query("state", {"type": "string", "enum": [*(s.value for s in CaseState),
                                                        "open", ""]},
                   "One state, or 'open' for every open state (empty: any)"),
            _query("market", _filter(Market)),
            _query("surface", _filter(Surface)),
            _query("category", _filter(Category)), _query("band", _filter(Band)),
            _query("owner", {"anyOf": [{"type": "string", "format": "email"},
                                       {"type": "string", "enum": ["me", "none", ""]}]},
                   "An owner's e-mail address, 'me' or 'none' (empty: anyone)"),
            _query("q", {"type": "string", "pattern": NO_NUL}, "Text in the key or title"),
            _query("sort", {"type": "string", "enum": ["severity", "updated", "created"]}),
            _query("opened_from", DAY, "Opened on this local day or later"),
            _query("opened_to", DAY, "Opened on this local day or earlier"),
            _query("closed_from", DAY, "Closed on this day or later (closed only)"),
            _query("closed_to", DAY, "Closed on this day or earlier (closed only)"),
            _query("overdue", {"type": "string", "enum": ["1", "0", "true", "false", ""]},
                   "1: only cases with a planned or running mitigation action past its due "
                   "day"),
            *PAGING])},
        "/cases/{key}": {
            "get": _op("getCase", "Everything on a case, with its version (also the ETag)",
                       EVERYONE + " who may see the case", _ref("Case"), 404,
                       params=[PATH_KEY], headers=ETAG, links=CASE_LINKS),
            "patch": _op("updateCase", "Change a case's fields; send the version you read "
                         "(`version` in the body, or If-Match)", CHANGERS +
                         "; restricting: admins and program managers", _ref("Case"), 400,
                         403, 404, 409, 412, 415, 422, body=_ref("CaseUpdate"),
                         params=[PATH_KEY, IF_MATCH], headers=ETAG, links=CASE_LINKS),
        },
        "/cases/{key}/transitions": {"post": _op(
            "transitionCase", "Take a step of the workflow (the table in the API's "
            "description says who, from where and what each step requires)",
            "by step: see the workflow table", _ref("Case"), 400, 403, 404, 409, 412,
            415, 422, body=_ref("Transition"), params=[PATH_KEY, IF_MATCH], headers=ETAG,
            links=CASE_LINKS)},
        "/cases/{key}/actions": {
            "get": _op("listActions", "Mitigation actions of a case", EVERYONE +
                       " who may see the case", _ref("ActionPage"), 404, 422,
                       params=[PATH_KEY, *PAGING]),
            "post": _op("addAction", "Plan a mitigation action", CHANGERS,
                        _ref("MitigationAction"), 400, 403, 404, 409, 415, 422,
                        body=_ref("MitigationActionCreate"), params=[PATH_KEY],
                        ok_code="201", links=ACTION_LINKS),
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
                        body=_ref("CommentCreate"), params=[PATH_KEY], ok_code="201",
                        links={"getComment": {"operationId": "getComment", "parameters": {
                            "key": "$request.path.key",
                            "comment_id": "$response.body#/id"}}}),
        },
        "/cases/{key}/comments/{comment_id}": {"get": _op(
            "getComment", "One comment on a case", EVERYONE + " who may see the case",
            _ref("Comment"), 404, params=[PATH_KEY, PATH_COMMENT])},
        "/cases/{key}/summary.pdf": {"get": _pdf_op(
            "getCaseSummaryPdf", "The case summary as a PDF (partner: no comments, "
            "e-mails or links)", EVERYONE + " who may see the case",
            [PATH_KEY, _query("audience", {"type": "string",
                                           "enum": ["internal", "partner", ""]},
                              "Who the PDF is for (empty: internal)"), PDF_LANG],
            403, 404, 422, 429)},
        "/landscape.pdf": {"get": _pdf_op(
            "getLandscapePdf", "The risk landscape report (Lagebericht) for a period and "
            "market, as on the dashboard", REPORT_READERS,
            [_query("from", DAY, "The first day (empty: a week before `to`)"),
             _query("to", DAY, "The last day (empty: today)"),
             _query("market", _filter(Market)), PDF_LANG], 403, 422, 429)},
        "/dashboard": {"get": _op(
            "getDashboard", "Every figure of the dashboard for a period and market, as the "
            "caller may see them; each count links (`list`) to the API list of what it "
            "counts", REPORT_READERS, _ref("Dashboard"), 403, 422, tag="reports", params=[
                _query("from", DAY, "The first day (empty: a week before `to`); "
                       "a period is at most 400 days"),
                _query("to", DAY, "The last day (empty: today)"),
                _query("market", _filter(Market), "One market (empty: all of DACH)")])},
        "/cases/{key}/audit": {"get": _op("listCaseAudit", "The case's audit trail, oldest "
                                          "first", EVERYONE + " who may see the case",
                                          _ref("AuditPage"), 404, 422,
                                          params=[PATH_KEY, *PAGING])},
    }
    paths.update(export_paths(paths))
    return describe_contract({
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
    })
