"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from casework.errors import CaseworkError, Conflict, PermissionDenied, StaleVersion

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


class ApiError(Exception):
    """A refusal at the API's edge (bad JSON, wrong type, unknown field, no token)."""

    def __init__(self, status: int, message: str, fields: dict | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code or HTTP_CODES.get(status, "error")


def wants_json() -> bool:
    """Requests to the API always get JSON errors, never an HTML page."""
    return request.path.startswith("/api/v1")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message),
                      "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return response


def from_api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.fields)


def from_domain_error(error: CaseworkError):
    code = HTTP_CODES.get(error.status_code, "error")
    if isinstance(error, StaleVersion):
        code = "stale_version"
    elif isinstance(error, Conflict):
        code = "conflict"
    elif isinstance(error, PermissionDenied):
        code = "forbidden"
    fields = {}
    for name, message in (getattr(error, "errors", None) or {}).items():
        fields[name] = [message]
    if not fields and error.field:
        fields[error.field] = [error.message]
    return error_response(error.status_code, code, error.message, fields)


def from_http_error(error: HTTPException):
    status = error.code or 500
    return error_response(status, HTTP_CODES.get(status, "error"),
                          error.description or error.name)
