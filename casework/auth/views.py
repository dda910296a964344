"""Logging in and out; every other page requires a logged-in user."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from casework.auth.forms import LoginForm
from casework.edge import actor, unit_of_work
from casework.extensions import login_manager
from casework.forms import EmptyForm
from casework.models.types import utcnow
from casework.users.operations import find_user, record_login, record_logout
from casework.vocabulary import Role

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})


@bp.before_app_request
def require_login():
    """Every page but the login page needs a logged-in, active user."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def _safe_next(target: str | None) -> str | None:
    """Only a path inside this application, never another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_for(user) -> str:
    """Where a user lands after login."""
    if user.role in (Role.ADMIN, Role.PROGRAM_MANAGER):
        return url_for("signals.inbox")
    if user.role == Role.POLICY_SPECIALIST:
        return url_for("cases.queue", owner="mine", sort="updated")
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
        user = find_user(form.email.data)
        valid = user is not None and user.active and user.check_password(form.password.data)
        with unit_of_work():
            record_login(user, form.email.data, succeeded=valid)
            if valid:
                user.last_login_at = utcnow()
        if valid:
            session.clear()  # a fresh session at login, nothing carried over
            login_user(user)
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
            record_logout(user)
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)
