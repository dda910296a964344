"""Domain errors that operations raise, and the pages shown for HTTP errors."""

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


class CaseworkError(Exception):
    """A refusal the user should read; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(CaseworkError):
    """Input that breaks a rule of the domain (a field value, a missing reason)."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message, field)
        # {field: message}; "__all__" for a problem that belongs to no one field.
        self.errors = errors or {field or "__all__": message}


class PermissionDenied(CaseworkError):
    """The user's role or relation to the record does not allow this."""

    status_code = 403


class NotFound(CaseworkError):
    status_code = 404


class Conflict(CaseworkError):
    """Not allowed in the record's current state, or it changed meanwhile."""

    status_code = 409


class StaleVersion(Conflict):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("This case changed since you opened it. "
                                      "Reload it to see the changes, then try again."))


def register_errorhandlers(app: Flask) -> None:
    from casework.api import errors as api_errors

    def render_error(code: int, title: str, message: str):
        if api_errors.wants_json():
            return api_errors.error_response(code, api_errors.HTTP_CODES.get(code, "error"),
                                             message)
        return render_template("errors/error.html", code=code, title=title,
                               message=message), code

    @app.errorhandler(api_errors.ApiError)
    def api_error(error):
        return api_errors.from_api_error(error)

    @app.errorhandler(413)
    def too_large(error):
        return render_error(413, _("Too large"), _("The upload or request is too large."))

    @app.errorhandler(415)
    def unsupported(error):
        return render_error(415, _("Unsupported"), _("This kind of content is not accepted."))

    @app.errorhandler(400)
    def bad_request(error):
        return render_error(400, _("Bad request"),
                            _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_error(400, _("Form expired"),
                            _("The form was missing its security token or it expired. "
                              "Go back, reload the page and try again."))

    @app.errorhandler(403)
    def forbidden(error):
        return render_error(403, _("Not allowed"),
                            _("Your role does not allow this."))

    @app.errorhandler(404)
    def not_found(error):
        return render_error(404, _("Not found"),
                            _("There is nothing at this address."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return render_error(405, _("Not allowed"),
                            _("This address does not accept that kind of request."))

    @app.errorhandler(CaseworkError)
    def domain_error(error: CaseworkError):
        if api_errors.wants_json():
            return api_errors.from_domain_error(error)
        return render_error(error.status_code, _("Not done"), error.message)

    @app.errorhandler(500)
    def server_error(error):
        return render_error(500, _("Something went wrong"),
                            _("Nothing was saved. Please try again; if it keeps happening, "
                              "tell an admin."))
