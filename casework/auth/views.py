"""Logging in and out, the user's own account; every other page requires a logged-in
user whose session is still current."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.urls import iri_to_uri

from casework import permissions
from casework.api.tokens import token_names
from casework.auth import sessions, throttle
from casework.auth.forms import BROWSER, ChangePasswordForm, LanguageForm, LoginForm
from casework.errors import CaseworkError, ValidationFailed
from casework.extensions import login_manager
from casework.languages import SESSION_KEY
from casework.models.types import utcnow
from casework.users.operations import (
    change_password,
    choose_language,
    find_user,
    record_login,
    record_logout,
)
from casework.users.passwords import password_matches
from casework.vocabulary import Language, Role
from casework.web.edge import actor, require, unit_of_work
from casework.web.forms import EmptyForm, show_error

bp = Blueprint("auth", __name__)

# The load balancer's health check (casework.web.serving) needs no login either.
# The language switch is in every page's header, the login page's too.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.choose_language", "static",
                              "serving.healthz"})
# Reachable while a password change is due.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.account", "auth.logout", "auth.choose_language",
                                       "static", "serving.healthz"})


@bp.before_app_request
def end_expired_session():
    """A session idle too long, or older than its lifetime, ends here."""
    if request.endpoint == "static" or request.blueprint == "api":
        return None
    if current_user.is_authenticated and sessions.expired():
        sessions.end()
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        flash(_("Your session has expired. Please log in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")
                                if request.method == "GET" else None))
    return None


@bp.before_app_request
def require_login():
    """Every page but the login page needs a logged-in, active user."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.blueprint == "api":
        return None  # the API authenticates every request with its own bearer token
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.before_app_request
def require_password_change():
    """After an admin's reset, every page leads to the password form until it is changed."""
    if (request.endpoint in PASSWORD_CHANGE_ENDPOINTS or request.endpoint is None
            or request.blueprint == "api" or not current_user.is_authenticated):
        return None
    if current_user.must_change_password:
        flash(_("Choose a new password to continue."), "info")
        return redirect(url_for("auth.account"))
    return None


def _safe_next(target: str | None) -> str | None:
    """Only a path inside this application: never another host, and nothing that is not
    a plain printable character (a line break would end the Location header, a NUL or a
    tab browsers drop, turning "/<tab>/evil.example" into "//evil.example")."""
    if not target or len(target) > 2000:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    # Non-ASCII (an IRI) percent-encoded, so the header is plain ASCII.
    return iri_to_uri(target)


def home_for(user) -> str:
    """Where a user lands after login."""
    if user.role in (Role.ADMIN, Role.PROGRAM_MANAGER):
        return url_for("signals.inbox")
    if user.role == Role.POLICY_SPECIALIST:
        return url_for("cases.queue", owner="mine", sort="updated")
    if user.role == Role.LEADERSHIP:
        return url_for("reports.dashboard")
    return url_for("cases.queue")


@bp.get("/")
def index():
    return redirect(home_for(actor()))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(actor()))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data, request.remote_addr
        wait = throttle.seconds_to_wait(email, address)
        if wait is not None:
            # Refused before the password is even looked at.
            minutes = -(-wait // 60)
            form.form_errors.append(ngettext(
                "Too many failed logins. Try again in %(num)d minute.",
                "Too many failed logins. Try again in %(num)d minutes.", minutes))
            return (render_template("auth/login.html", form=form), 429,
                    {"Retry-After": str(wait)})
        user = find_user(email)
        valid = password_matches(user, form.password.data)
        with unit_of_work():
            record_login(user, email, succeeded=valid)
            if valid:
                user.last_login_at = utcnow()
                throttle.forget_failures(email)
            else:
                throttle.record_failure(email, address)
        if valid:
            sessions.start(user)  # a fresh session, nothing carried over
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        # One message for every failure: it must not reveal which part was wrong.
        form.form_errors.append(_("The e-mail address or password is not right."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        user = actor()
        with unit_of_work():
            record_logout(user)  # ends this and every other session of the user
        sessions.end()
        flash(_("You have logged out."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
def account():
    """The user's own account: who they are, and changing their password."""
    user = actor()
    require(permissions.can_change_own_password(user))
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                revoked = change_password(user, current=form.current_password.data,
                                          new=form.new_password.data)
        except CaseworkError as error:
            show_error(form, error)
            status = error.status_code
        else:
            sessions.renew(user)  # this browser stays logged in; every other session ended
            if revoked:
                flash(ngettext("Your password is changed. Your other sessions and %(num)d API "
                               "token (%(names)s) were ended.",
                               "Your password is changed. Your other sessions and %(num)d API "
                               "tokens (%(names)s) were ended.",
                               len(revoked), names=token_names(revoked)), "success")
            else:
                flash(_("Your password is changed. Other sessions have been logged out."),
                      "success")
            return redirect(url_for("auth.account"))
    elif request.method == "POST":
        status = 422
    language_form = LanguageForm(formdata=None, next=url_for("auth.account"),
                                 language=user.language.value if user.language else BROWSER)
    return render_template("auth/account.html", form=form, user=user,
                           language_form=language_form,
                           session_started=sessions.started_at()), status


@bp.post("/language", endpoint="choose_language")
def choose_language_view():
    """The language switch: saved on a logged-in user (audited), kept in a visitor's
    session; then back to the page it was chosen on.

    :raise 422: not one of the languages offered.
    """
    form = LanguageForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("Choose one of the languages offered."), "language")
    language = None if form.language.data == BROWSER else Language(form.language.data)
    if current_user.is_authenticated:
        with unit_of_work():
            choose_language(actor(), language)
    # A user's saved choice stands alone: a visitor's from before the login goes.
    if language is None or current_user.is_authenticated:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = language.value
    return redirect(_safe_next(form.next.data) or url_for("auth.index"))
