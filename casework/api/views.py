"""The JSON API at /api/v1: everything the UI does, through the same operations.

Every endpoint goes load -> check access -> act, answers JSON, and commits once through
``unit_of_work``; refusals use the one error shape of ``casework.api.errors``.
"""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, make_response, request
from flask_babel import gettext as _

from casework import pagination, permissions
from casework.api import serializers as out
from casework.api.errors import ApiError
from casework.api.inputs import (
    BOOLEAN,
    INTEGER,
    STRING,
    STRINGS,
    json_body,
    parse_date,
    parse_datetime,
    query_choice,
)
from casework.api.tokens import user_for_secret
from casework.cases import operations as cases
from casework.cases.queries import CaseFilters
from casework.extensions import csrf, db
from casework.models import AuditEvent, Case, MitigationAction, Signal
from casework.models.types import utcnow
from casework.signals import importing
from casework.signals import operations as signals
from casework.signals.duplicates import possible_duplicates
from casework.signals.queries import SignalFilters
from casework.users.operations import find_user
from casework.visibility import visible_cases
from casework.vocabulary import (
    Band,
    CaseState,
    Category,
    Market,
    Resolution,
    SignalSource,
    SignalStatus,
    Surface,
    TransitionAction,
)
from casework.web.edge import unit_of_work
from casework.workflow import TransitionInput

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: there is no session to forge

MAX_PER_PAGE = 200


# --- authentication -------------------------------------------------------------------


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs ``Authorization: Bearer <token>``.

    A session cookie is ignored here, so a logged-in browser cannot be made to call the API.
    """
    if request.endpoint == "api.openapi":
        return None
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    found = user_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise ApiError(401, _("Send a valid API token as 'Authorization: Bearer <token>'."))
    token, user = found
    if user.must_change_password:
        # As in the browser: nothing until the temporary password is replaced.
        raise ApiError(403, _("Change your temporary password in Casework first."),
                       code="password_change_required")
    g.api_user, g.api_token = user, token
    now = utcnow()
    # Remember when the token was last used, to the minute (not a write per request).
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with unit_of_work():
            token.last_used_at = now
    return None


def actor():
    return g.api_user


# --- loading with access checks (404 for what the user may not see) ----------------------


def load_signal(signal_id: int) -> Signal:
    signal = db.session.get(Signal, signal_id)
    if signal is None or not permissions.can_view_signal(actor(), signal):
        raise ApiError(404, _("There is no signal #%(id)d.", id=signal_id))
    return signal


def load_case(key: str) -> Case:
    case = db.session.scalar(sa.select(Case).where(Case.key == key.upper()))
    if case is None or not permissions.can_view_case(actor(), case):
        raise ApiError(404, _("There is no case %(key)s.", key=key[:20]))
    return case


def require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise ApiError(403, message or _("Your role does not allow this."))


def paginate(query, count=None):
    return pagination.paginate(query, per_page=20, max_per_page=MAX_PER_PAGE, count=count)


# --- signals ------------------------------------------------------------------------------

SIGNAL_FIELDS = {"title": STRING, "description": STRING, "source": STRING, "market": STRING,
                 "surface": STRING, "category": STRING, "url": STRING,
                 "observed_at": STRING, "external_ref": STRING}


@bp.post("/signals")
def create_signal():
    require(permissions.can_file_signal(actor()), _("Your role does not file signals."))
    data = json_body(SIGNAL_FIELDS, required=("title", "source", "market", "category"))
    observed_at = parse_datetime(data.get("observed_at"), "observed_at")
    source = data["source"]
    existing = None
    if data.get("external_ref") and source in {s.value for s in SignalSource}:
        existing = signals.find_by_external_ref(SignalSource(source),
                                                data["external_ref"].strip())
    if existing is not None and permissions.can_view_signal(actor(), existing):
        # The same item from the same source system: answer the signal we have.
        body = out.signal_json(existing,
                               duplicates=_duplicates(existing))
        return jsonify(body), 200
    with unit_of_work():
        signal = signals.file_signal(actor(), **{**data, "observed_at": observed_at})
    return jsonify(out.signal_json(signal, duplicates=_duplicates(signal))), 201


def _duplicates(signal: Signal) -> list[dict]:
    return [s.as_json() for s in possible_duplicates(signal, actor())]


@bp.get("/signals")
def list_signals():
    filters = SignalFilters(
        status=query_choice("status", SignalStatus),
        source=query_choice("source", SignalSource),
        market=query_choice("market", Market),
        category=query_choice("category", Category),
        q=request.args.get("q", "").strip()[:200],
    )
    page = paginate(filters.select(actor()), partial(filters.count, actor()))
    return jsonify(out.page_json(page, out.signal_json))


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
        raise ApiError(415, _("Send the CSV as a multipart field 'file' or as text/csv."))
    dry_run = (request.values.get("dry_run") or "").lower() in ("1", "true", "yes")
    with unit_of_work():
        report = importing.import_signals(actor(), data, dry_run=dry_run, filename=filename)
    return jsonify(report.as_json()), 200 if dry_run else 201


@bp.get("/signals/<int:signal_id>")
def get_signal(signal_id: int):
    signal = load_signal(signal_id)
    return jsonify(out.signal_json(signal, duplicates=_duplicates(signal)))


CASE_FIELDS = {"title": STRING, "summary": STRING, "category": STRING, "markets": STRINGS,
               "surfaces": STRINGS, "likelihood": INTEGER, "impact": INTEGER}


@bp.post("/signals/<int:signal_id>/qualify")
def qualify_signal(signal_id: int):
    signal = load_signal(signal_id)
    require(permissions.can_triage(actor()), _("Only program managers triage signals."))
    data = json_body({**CASE_FIELDS, "case": STRING})
    if "case" in data:
        if len(data) > 1:
            raise ApiError(422, _("Give either an existing case or a new case's fields."),
                           {"case": [_("Not together with new-case fields.")]})
        target = _case_for_field(data["case"], "case")
        with unit_of_work():
            case = signals.attach_to_case(actor(), signal, target)
        return jsonify(out.case_json(case)), 200
    with unit_of_work():
        case = signals.qualify_into_new_case(actor(), signal, **data)
    return jsonify(out.case_json(case)), 201


def _case_for_field(key: str, field: str) -> Case:
    case = db.session.scalar(sa.select(Case).where(Case.key == key.strip().upper(),
                                                   visible_cases(actor())))
    if case is None:
        raise ApiError(422, _("Some fields are not valid."),
                       {field: [_("There is no case %(key)s.", key=key.strip()[:20])]})
    return case


@bp.post("/signals/<int:signal_id>/dismiss")
def dismiss_signal(signal_id: int):
    signal = load_signal(signal_id)
    require(permissions.can_triage(actor()), _("Only program managers triage signals."))
    data = json_body({"reason": STRING}, required=("reason",))
    with unit_of_work():
        signals.dismiss_signal(actor(), signal, data["reason"])
    return jsonify(out.signal_json(signal))


@bp.post("/signals/<int:signal_id>/duplicate")
def mark_duplicate(signal_id: int):
    signal = load_signal(signal_id)
    require(permissions.can_triage(actor()), _("Only program managers triage signals."))
    data = json_body({"of_signal": INTEGER, "of_case": STRING})
    if ("of_signal" in data) == ("of_case" in data):
        raise ApiError(422, _("Give either of_signal or of_case."),
                       {"of_signal": [_("Give either of_signal or of_case.")]})
    if "of_signal" in data:
        other = db.session.get(Signal, data["of_signal"])
        if other is None or not permissions.can_view_signal(actor(), other):
            raise ApiError(422, _("Some fields are not valid."),
                           {"of_signal": [_("There is no such signal.")]})
        target = {"of_signal": other}
    else:
        target = {"of_case": _case_for_field(data["of_case"], "of_case")}
    with unit_of_work():
        signals.mark_duplicate(actor(), signal, **target)
    return jsonify(out.signal_json(signal))


# --- cases ---------------------------------------------------------------------------------


@bp.get("/cases")
def list_cases():
    owner = request.args.get("owner", "").strip()
    if owner == "me":
        owner = "mine"
    elif owner and owner != "none":
        user = find_user(owner)
        if user is None:
            raise ApiError(422, _("Some query parameters are not valid."),
                           {"owner": [_("Give an e-mail address, 'me' or 'none'.")]})
        owner = str(user.id)
    sort = request.args.get("sort", "severity")
    if sort not in ("severity", "updated", "created"):
        raise ApiError(422, _("Some query parameters are not valid."),
                       {"sort": [_("Use one of: severity, updated, created.")]})
    filters = CaseFilters(
        state=query_choice("state", CaseState), market=query_choice("market", Market),
        surface=query_choice("surface", Surface),
        category=query_choice("category", Category), band=query_choice("band", Band),
        owner=owner, q=request.args.get("q", "").strip()[:200], sort=sort,
    )
    page = paginate(filters.select(actor()), partial(filters.count, actor()))
    return jsonify(out.page_json(page, out.case_summary_json))


@bp.get("/cases/<key>")
def get_case(key: str):
    response = jsonify(out.case_json(load_case(key)))
    return response


def _expected_version(data: dict) -> int:
    """The version the client last read: the body's ``version`` or an If-Match header."""
    if "version" in data:
        return data.pop("version")
    header = request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/")
    if header.strip('"').isdigit():
        return int(header.strip('"'))
    raise ApiError(422, _("Send the version you last read, in the body or If-Match."),
                   {"version": [_("This field is required.")]})


@bp.patch("/cases/<key>")
def update_case(key: str):
    case = load_case(key)
    require(permissions.can_edit_case(actor(), case) or not case.is_open,
            _("Only the case's owner or a program manager may change it."))
    data = json_body({**CASE_FIELDS, "assessment": STRING, "restricted": BOOLEAN,
                      "version": INTEGER})
    version = _expected_version(data)
    with unit_of_work():
        cases.update_case(actor(), case, expected_version=version, **data)
    return jsonify(out.case_json(case))


TRANSITION_FIELDS = {"action": STRING, "owner": STRING, "note": STRING, "resolution": STRING,
                     "residual_likelihood": INTEGER, "residual_impact": INTEGER,
                     "version": INTEGER}


@bp.post("/cases/<key>/transitions")
def transition_case(key: str):
    case = load_case(key)
    data = json_body(TRANSITION_FIELDS, required=("action",))
    try:
        action = TransitionAction(data["action"])
    except ValueError:
        allowed = ", ".join(a.value for a in TransitionAction)
        raise ApiError(422, _("Some fields are not valid."),
                       {"action": [_("Use one of: %(allowed)s.", allowed=allowed)]}) from None
    given = TransitionInput(note=data.get("note") or "",
                            residual_likelihood=data.get("residual_likelihood"),
                            residual_impact=data.get("residual_impact"))
    if data.get("resolution"):
        try:
            given.resolution = Resolution(data["resolution"])
        except ValueError:
            allowed = ", ".join(r.value for r in Resolution)
            raise ApiError(422, _("Some fields are not valid."), {
                "resolution": [_("Use one of: %(allowed)s.", allowed=allowed)]}) from None
    if data.get("owner"):
        given.owner = find_user(data["owner"])
        if given.owner is None:
            raise ApiError(422, _("Some fields are not valid."),
                           {"owner": [_("There is no user with this e-mail address.")]})
    version = data.get("version")
    if version is None and request.headers.get("If-Match"):
        version = _expected_version({})
    with unit_of_work():
        cases.transition_case(actor(), case, action, given, expected_version=version)
    return jsonify(out.case_json(case))


# --- mitigation actions, comments, audit ----------------------------------------------------

ACTION_FIELDS = {"title": STRING, "team": STRING, "owner": STRING, "due": STRING,
                 "status": STRING, "outcome": STRING}


def _action_fields(data: dict) -> dict:
    fields = dict(data)
    if "due" in fields:
        fields["due"] = parse_date(fields["due"], "due")
    if "owner" in fields and fields["owner"] is None:
        fields["owner"] = ""
    for name in ("outcome",):
        if name in fields and fields[name] is None:
            fields[name] = ""
    return fields


@bp.get("/cases/<key>/actions")
def list_actions(key: str):
    case = load_case(key)
    return jsonify({"items": [out.action_json(a) for a in case.actions]})


@bp.post("/cases/<key>/actions")
def add_action(key: str):
    case = load_case(key)
    require(permissions.can_manage_actions(actor(), case) or not case.is_open,
            _("Only the case's owner or a program manager may change it."))
    data = json_body(ACTION_FIELDS, required=("title", "team"))
    with unit_of_work():
        action = cases.add_action(actor(), case, **_action_fields(data))
    return jsonify(out.action_json(action)), 201


@bp.patch("/actions/<int:action_id>")
def update_action(action_id: int):
    action = db.session.get(MitigationAction, action_id)
    if action is None or not permissions.can_view_case(actor(), action.case):
        raise ApiError(404, _("There is no mitigation action %(id)d.", id=action_id))
    require(permissions.can_edit_action(actor(), action) or not action.case.is_open,
            _("Only the case's owner or a program manager may change it."))
    data = json_body(ACTION_FIELDS)
    with unit_of_work():
        cases.update_action(actor(), action, **_action_fields(data))
    return jsonify(out.action_json(action))


@bp.get("/cases/<key>/comments")
def list_comments(key: str):
    case = load_case(key)
    return jsonify({"items": [out.comment_json(c) for c in case.comments]})


@bp.post("/cases/<key>/comments")
def add_comment(key: str):
    case = load_case(key)
    require(permissions.can_comment(actor(), case), _("Your role does not comment on cases."))
    data = json_body({"body": STRING}, required=("body",))
    with unit_of_work():
        comment = cases.add_comment(actor(), case, data["body"])
    return jsonify(out.comment_json(comment)), 201


@bp.get("/cases/<key>/audit")
def case_audit(key: str):
    case = load_case(key)
    query = sa.select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return jsonify(out.page_json(paginate(query), out.audit_json))


@bp.get("/cases/<key>/summary.pdf")
def case_summary_pdf(key: str):
    """The case summary PDF, as on the case page (audience internal or partner)."""
    from casework.reports import documents
    from casework.reports import operations as reports
    from casework.reports.summary import Audience
    from casework.vocabulary import label

    case = load_case(key)
    require(permissions.can_download_summary(actor(), case))
    try:
        audience = Audience(request.args.get("audience", Audience.INTERNAL.value))
    except ValueError:
        raise ApiError(422, _("Some query parameters are not valid."),
                       {"audience": [_("Use one of: internal, partner.")]}) from None
    reader = actor()
    by = label(reader.role) if audience == Audience.PARTNER else reader.name
    pdf, summary = documents.summary_pdf(case, audience, generated_by=by)
    with unit_of_work():
        reports.record_summary_download(reader, case, audience, summary.fingerprint)
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{documents.summary_filename(case, audience)}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    from casework.api.openapi import document

    return jsonify(document())

