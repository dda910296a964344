"""The JSON API at /api/v1: everything the pages do, through the same loaders, checks,
input adapters and operations, and the same error handler (``casework.web.errors``).

Every endpoint goes load (404) -> check access (403, then 409) -> read input (422) -> act,
answers JSON, and commits once through ``unit_of_work``.
"""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from casework import pagination, permissions
from casework.api import serializers as out
from casework.api.blueprint import bp
from casework.api.filters import case_filters, signal_filters
from casework.api.inputs import (
    BOOLEAN,
    INTEGER,
    STRING,
    STRINGS,
    json_body,
    parse_date,
    parse_datetime,
)
from casework.cases import operations as cases
from casework.cases.inputs import transition_input
from casework.cases.loaders import case_reference, load_action, load_case
from casework.errors import (
    NotFound,
    PreconditionFailed,
    UnsupportedMediaType,
    invalid_fields,
)
from casework.extensions import db
from casework.models import AuditEvent, Case, Comment, MitigationAction
from casework.reports import downloads
from casework.signals import importing
from casework.signals import operations as signals
from casework.signals.duplicates import possible_duplicates
from casework.signals.loaders import duplicate_target, load_signal
from casework.vocabulary import TransitionAction
from casework.web.edge import actor, require, unit_of_work
from casework.workflow import INPUT_NAMES, check_allowed

PER_PAGE = 20
MAX_PER_PAGE = 200


# --- answers --------------------------------------------------------------------------------


def paginate(query, count=None):
    return pagination.paginate(query, per_page=PER_PAGE, max_per_page=MAX_PER_PAGE,
                               count=count, strict=True)


def page_of(query, serialize, count=None):
    return jsonify(out.page_json(paginate(query, count), serialize))


def created(body: dict, location: str):
    """201 with the new record and where to find it."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def case_answer(case: Case, status: int = 200):
    """A case with its version as ETag, for If-Match on the next change."""
    response = jsonify(out.case_json(case))
    response.status_code = status
    response.set_etag(str(case.version))
    if status == 201:
        response.headers["Location"] = url_for("api.get_case", key=case.key)
    return response


def expected_version(case: Case, data: dict, *, required: bool) -> int | None:
    """The version the client last read: the body's ``version`` or an If-Match header.

    :raise PreconditionFailed: If-Match names another version (412).
    :raise ValidationFailed: neither given where one is required (422).
    """
    if "version" in data:
        return data.pop("version")
    header = request.headers.get("If-Match")
    if header is not None:
        if header.strip() == "*":
            return None
        tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
        if str(case.version) not in tags:
            raise PreconditionFailed(_("This case changed since you read it (version %(v)d "
                                       "now). Read it again, then retry.", v=case.version))
        return case.version
    if required:
        raise invalid_fields({"version": _("This field is required.")},
                             _("Send the version you last read, in the body or If-Match."))
    return None


# --- who am I, and who can own a case ---------------------------------------------------------


@bp.get("/me")
def me():
    """The token's own user and the token itself (never its secret)."""
    token = g.api_token
    return jsonify({**out.user_ref(actor()), "token": {
        "name": token.name, "hint": token.hint,
        "created_at": out.time_json(token.created_at),
        "last_used_at": out.time_json(token.last_used_at),
        "expires_at": out.time_json(token.expires_at)}})


@bp.get("/owners")
def owners():
    """Active users who can own a case: the choices for ``assign``."""
    return jsonify({"items": [out.user_ref(u) for u in cases.owner_candidates()]})


# --- signals ------------------------------------------------------------------------------

SIGNAL_FIELDS = {"title": STRING, "description": STRING, "source": STRING, "market": STRING,
                 "surface": STRING, "category": STRING, "url": STRING,
                 "observed_at": STRING, "external_ref": STRING}


def _duplicates(signal) -> list[dict]:
    return [s.as_json() for s in possible_duplicates(signal, actor())]


def _signal_location(signal) -> str:
    return url_for("api.get_signal", signal_id=signal.id)


@bp.post("/signals")
def create_signal():
    require(permissions.can_file_signal(actor()), _("Your role does not file signals."))
    data = json_body(SIGNAL_FIELDS, required=("title", "source", "market", "category"))
    observed_at = parse_datetime(data.get("observed_at"), "observed_at")
    try:
        with unit_of_work():
            signal = signals.file_signal(actor(), **{**data, "observed_at": observed_at})
    except signals.AlreadyFiled as repeat:
        if not repeat.visible:
            raise
        # The same item from the same source system (a retry, or a client racing
        # another): answer the signal we have.
        existing = repeat.existing
        return jsonify(out.signal_json(existing, duplicates=_duplicates(existing))), 200
    return created(out.signal_json(signal, duplicates=_duplicates(signal)),
                   _signal_location(signal))


@bp.get("/signals")
def list_signals():
    filters = signal_filters()
    return page_of(filters.select(actor()), out.signal_json, partial(filters.count, actor()))


# What ``dry_run`` may say (empty or absent: a real import).
DRY_RUN = {"1": True, "true": True, "0": False, "false": False, "": False}


@bp.post("/signals/import")
def import_signals():
    """A CSV file as multipart form field ``file`` or as a text/csv body."""
    require(permissions.can_import_signals(actor()), _("Only program managers import signals."))
    upload = request.files.get("file")
    if upload is not None:
        data, filename = upload.read(), upload.filename or ""
    elif request.mimetype in ("text/csv", "text/plain", "application/octet-stream"):
        data, filename = request.get_data(), ""
    else:
        raise UnsupportedMediaType(
            _("Send the CSV as a multipart field 'file' or as text/csv."))
    dry_run = DRY_RUN.get(request.values.get("dry_run", ""))
    if dry_run is None:
        raise invalid_fields({"dry_run": _("Use one of: 1, true, 0, false.")},
                             _("Some query parameters are not valid."))
    # The import commits batch by batch itself (casework/signals/importing.py).
    report = importing.import_signals(actor(), data, dry_run=dry_run, filename=filename,
                                      max_rows=importing.online_max_rows())
    return jsonify(report.as_json()), 200 if dry_run else 201


@bp.get("/signals/<int:signal_id>")
def get_signal(signal_id: int):
    signal = load_signal(actor(), signal_id)
    return jsonify(out.signal_json(signal, duplicates=_duplicates(signal)))


CASE_FIELDS = {"title": STRING, "summary": STRING, "category": STRING, "markets": STRINGS,
               "surfaces": STRINGS, "likelihood": INTEGER, "impact": INTEGER}


@bp.post("/signals/<int:signal_id>/qualify")
def qualify_signal(signal_id: int):
    """Into a new case (201), or onto an existing one named by ``case`` (200)."""
    signal = load_signal(actor(), signal_id)
    signals.ensure_may_triage(actor(), signal)
    data = json_body({**CASE_FIELDS, "case": STRING})
    if "case" in data:
        if len(data) > 1:
            raise invalid_fields({"case": _("Not together with new-case fields.")},
                                 _("Give either an existing case or a new case's fields."))
        target = case_reference(actor(), data["case"], "case")
        with unit_of_work():
            case = signals.attach_to_case(actor(), signal, target)
        return case_answer(case)
    with unit_of_work():
        case = signals.qualify_into_new_case(actor(), signal, **data)
    return case_answer(case, 201)


@bp.post("/signals/<int:signal_id>/dismiss")
def dismiss_signal(signal_id: int):
    signal = load_signal(actor(), signal_id)
    signals.ensure_may_triage(actor(), signal)
    data = json_body({"reason": STRING}, required=("reason",))
    with unit_of_work():
        signals.dismiss_signal(actor(), signal, data["reason"])
    return jsonify(out.signal_json(signal))


@bp.post("/signals/<int:signal_id>/duplicate")
def mark_duplicate(signal_id: int):
    signal = load_signal(actor(), signal_id)
    signals.ensure_may_triage(actor(), signal)
    data = json_body({"of_signal": INTEGER, "of_case": STRING})
    target = duplicate_target(actor(), of_signal=data.get("of_signal"),
                              of_case=data.get("of_case"))
    with unit_of_work():
        signals.mark_duplicate(actor(), signal, **target)
    return jsonify(out.signal_json(signal))


# --- cases ---------------------------------------------------------------------------------

@bp.get("/cases")
def list_cases():
    filters = case_filters()
    return page_of(filters.select(actor()), out.case_summary_json,
                   partial(filters.count, actor()))


@bp.get("/cases/<case_key:key>")
def get_case(key: str):
    return case_answer(load_case(actor(), key))


@bp.patch("/cases/<case_key:key>")
def update_case(key: str):
    case = load_case(actor(), key)
    cases.ensure_may_change(actor(), case)
    data = json_body({**CASE_FIELDS, "assessment": STRING, "restricted": BOOLEAN,
                      "version": INTEGER})
    version = expected_version(case, data, required=True)
    with unit_of_work():
        cases.update_case(actor(), case, expected_version=version, **data)
    return case_answer(case)


TRANSITION_FIELDS = {"action": STRING, "owner": STRING, "note": STRING, "resolution": STRING,
                     "residual_likelihood": INTEGER, "residual_impact": INTEGER,
                     "version": INTEGER}


@bp.post("/cases/<case_key:key>/transitions")
def transition_case(key: str):
    """One step of the workflow; the step decides which other fields it takes."""
    case = load_case(actor(), key)
    data = json_body(TRANSITION_FIELDS, required=("action",))
    try:
        action = TransitionAction(data.pop("action"))
    except ValueError:
        allowed = ", ".join(a.value for a in TransitionAction)
        raise invalid_fields({"action": _("Use one of: %(allowed)s.", allowed=allowed)}) from None
    check_allowed(actor(), case, action)
    version = expected_version(case, data, required=False)
    given = transition_input(action, {name: data.get(name) for name in INPUT_NAMES})
    with unit_of_work():
        cases.transition_case(actor(), case, action, given, expected_version=version)
    return case_answer(case)


# --- mitigation actions, comments, audit ----------------------------------------------------

ACTION_FIELDS = {"title": STRING, "team": STRING, "owner": STRING, "due": STRING,
                 "status": STRING, "outcome": STRING}


def _action_fields(data: dict) -> dict:
    fields = dict(data)
    if "due" in fields:
        fields["due"] = parse_date(fields["due"], "due")
    for name in ("owner", "outcome"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields


@bp.get("/cases/<case_key:key>/actions")
def list_actions(key: str):
    case = load_case(actor(), key)
    query = (sa.select(MitigationAction).where(MitigationAction.case_id == case.id)
             .order_by(MitigationAction.id))
    return page_of(query, out.action_json)


@bp.post("/cases/<case_key:key>/actions")
def add_action(key: str):
    case = load_case(actor(), key)
    cases.ensure_may_change(actor(), case)
    data = json_body(ACTION_FIELDS, required=("title", "team"))
    with unit_of_work():
        action = cases.add_action(actor(), case, **_action_fields(data))
    return created(out.action_json(action), url_for("api.get_action", action_id=action.id))


@bp.get("/actions/<int:action_id>")
def get_action(action_id: int):
    return jsonify(out.action_json(load_action(actor(), action_id)))


@bp.patch("/actions/<int:action_id>")
def update_action(action_id: int):
    action = load_action(actor(), action_id)
    cases.ensure_may_change(actor(), action.case)
    data = json_body(ACTION_FIELDS)
    with unit_of_work():
        cases.update_action(actor(), action, **_action_fields(data))
    return jsonify(out.action_json(action))


@bp.get("/cases/<case_key:key>/comments")
def list_comments(key: str):
    case = load_case(actor(), key)
    query = sa.select(Comment).where(Comment.case_id == case.id).order_by(Comment.id)
    return page_of(query, out.comment_json)


@bp.post("/cases/<case_key:key>/comments")
def add_comment(key: str):
    case = load_case(actor(), key)
    require(permissions.can_comment(actor(), case), _("Your role does not comment on cases."))
    data = json_body({"body": STRING}, required=("body",))
    with unit_of_work():
        comment = cases.add_comment(actor(), case, data["body"])
    return created(out.comment_json(comment),
                   url_for("api.get_comment", key=case.key, comment_id=comment.id))


@bp.get("/cases/<case_key:key>/comments/<int:comment_id>")
def get_comment(key: str, comment_id: int):
    case = load_case(actor(), key)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.case_id != case.id:
        raise NotFound(_("There is no comment %(id)d on %(key)s.", id=comment_id, key=case.key))
    return jsonify(out.comment_json(comment))


@bp.get("/cases/<case_key:key>/audit")
def case_audit(key: str):
    case = load_case(actor(), key)
    query = sa.select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return page_of(query, out.audit_json)


@bp.get("/cases/<case_key:key>/summary.pdf")
def case_summary_pdf(key: str):
    """The case summary PDF, as on the case page (audience internal or partner)."""
    return downloads.summary_download(actor(), load_case(actor(), key),
                                      request.args.get("audience"), request.args.get("lang"))


@bp.get("/landscape.pdf")
def landscape_pdf():
    """The risk landscape report (Lagebericht), as on the dashboard."""
    return downloads.landscape_download(actor(), request.args)


@bp.get("/openapi.json")
def openapi():
    from casework.api.openapi import document

    return jsonify(document())

