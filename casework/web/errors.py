"""One error handler for pages and API: the same refusal as an HTML page or as JSON.

The API's shape is ``{"error": {"code", "message", "fields"}}`` with the HTTP status; a page
shows the title, the message and a way on (back to the case or signal the address names).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from casework.errors import CaseworkError, DatabaseBusy
from casework.extensions import db
from casework.web.edge import database_busy, reading

API_PREFIX = "/api/v1"

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def wants_json() -> bool:
    """Requests to the API always get JSON errors, never an HTML page."""
    return request.path.startswith(API_PREFIX)


def error_response(status: int, code: str, message: str,
                   fields: dict[str, list[str]] | None = None, headers: dict | None = None):
    """The API's JSON error."""
    body = {"error": {"code": code, "message": str(message),
                      "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    response.headers.extend(headers or {})
    return response


def _way_on() -> tuple[str, str] | None:
    """A link back to the case or signal the address names, for a refused page."""
    args = request.view_args or {}
    if "key" in args and request.endpoint and request.endpoint.startswith("cases."):
        return url_for("cases.detail", key=args["key"]), _("Back to %(key)s",
                                                          key=str(args["key"]).upper())
    if "signal_id" in args:
        return (url_for("signals.detail", signal_id=args["signal_id"]),
                _("Back to signal #%(id)d", id=args["signal_id"]))
    return None


def refusal(status: int, title: str, message: str, *, code: str | None = None,
            fields: dict[str, list[str]] | None = None, headers: dict | None = None):
    """The refusal as JSON for the API, or as an error page."""
    headers = dict(headers or {})
    if wants_json():
        return error_response(status, code or HTTP_CODES.get(status, "error"), message,
                              fields, headers)
    way_on = _way_on() if status != 404 else None
    return render_template("errors/error.html", code=status, title=title, message=message,
                           fields=fields or {}, way_on=way_on), status, headers


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CaseworkError)
    def domain_error(error: CaseworkError):
        headers = {}
        # TooManyRequests, and a Conflict that will pass (an Idempotency-Key in progress).
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return refusal(error.status_code, str(error.title), error.message, code=error.code,
                       fields=error.field_messages(), headers=headers)

    @app.errorhandler(DatabaseBusy)
    def busy(error: DatabaseBusy):
        # The page is rendered as a reader: its menu must not queue for the lock again.
        db.session.rollback()
        with reading():
            response = app.make_response(refusal(
                error.status_code, str(error.title), error.message, code=error.code,
                headers={"Retry-After": str(error.retry_after)}))
        return response

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        """A busy database (a lock held too long) is a 503 to retry; anything else stays
        the server error it is."""
        if not database_busy(error):
            raise error
        return busy(DatabaseBusy())

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return refusal(400, _("Form expired"),
                       _("The form was missing its security token or it expired. "
                         "Go back, reload the page and try again."))

    messages = {
        400: (lambda: _("Bad request"), lambda: _("The request could not be understood.")),
        403: (lambda: _("Not allowed"), lambda: _("Your role does not allow this.")),
        404: (lambda: _("Not found"), lambda: _("There is nothing at this address.")),
        405: (lambda: _("Not allowed"),
              lambda: _("This address does not accept that kind of request.")),
        413: (lambda: _("Too large"), lambda: _("The upload or request is too large.")),
        415: (lambda: _("Unsupported"), lambda: _("This kind of content is not accepted.")),
    }

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status < 400:  # a redirect raised as an exception (e.g. RequestRedirect)
            return error
        title, message = messages.get(status, (lambda: error.name,
                                               lambda: error.description or error.name))
        # Allow on 405 (and whatever else werkzeug sets), but never its own Content-Type.
        headers = {name: value for name, value in error.get_headers()
                   if name.lower() != "content-type"}
        return refusal(status, title(), message(), headers=headers)

    @app.errorhandler(500)
    def server_error(error):
        return refusal(500, _("Something went wrong"),
                       _("Nothing was saved. Please try again; if it keeps happening, "
                         "tell an admin."))
