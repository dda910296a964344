"""Admin pages for the people who use Casework."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from casework import permissions
from casework.api import tokens
from casework.audit import chain
from casework.errors import CaseworkError
from casework.extensions import db
from casework.models import ApiToken, User
from casework.users import operations
from casework.users.forms import NewUserForm, ResetPasswordForm, RoleForm
from casework.vocabulary import Role, choices
from casework.web.edge import actor, require, unit_of_work
from casework.web.forms import EmptyForm, show_error, submit

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.before_request
def only_admins():
    require(permissions.can_manage_users(actor()))


def load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _render_list(status: int = 200, **forms):
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name))
    return render_template("users/list.html", users=list(users), button_form=EmptyForm(),
                           role_choices=choices(Role), audit_head=chain.current_head(),
                           tokens=tokens.every_token(), **forms), status


@bp.get("")
def index():
    return _render_list()


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewUserForm()
    outcome = submit(form, lambda: operations.create_user(
        actor(), email=form.email.data, name=form.name.data, role=form.role.data,
        password=form.password.data))
    if outcome.done:
        flash(_("%(name)s can now log in.", name=outcome.result.name), "success")
        return redirect(url_for("users.index"))
    return render_template("users/new.html", form=form), outcome.status


def _ended(user: User, revoked: list[ApiToken]) -> str:
    """What a password reset or deactivation ended, for the admin who did it."""
    if not revoked:
        return _("Every session of %(name)s has ended.", name=user.name)
    return ngettext("Every session of %(name)s and %(num)d API token (%(names)s) were ended.",
                    "Every session of %(name)s and %(num)d API tokens (%(names)s) were ended.",
                    len(revoked), name=user.name, names=tokens.token_names(revoked))


def _change(user_id: int, form, work, messages):
    """Load the user, check the form, do ``work`` and flash ``messages(user, result)``."""
    user = load_user(user_id)
    if not form.validate_on_submit():
        flash(_("That change was not valid; nothing was saved."), "error")
        return redirect(url_for("users.index"))
    try:
        with unit_of_work():
            result = work(user)
    except CaseworkError as error:
        flash(error.message, "error")
        return redirect(url_for("users.index"))
    for message in messages(user, result):
        flash(message, "success")
    return redirect(url_for("users.index"))


@bp.post("/<int:user_id>/role")
def set_role(user_id: int):
    form = RoleForm()
    return _change(user_id, form, lambda user: operations.set_role(actor(), user, form.role.data),
                   lambda user, _result: [_("Changed the role of %(name)s.", name=user.name)])


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int):
    return _change(user_id, EmptyForm(), lambda user: operations.deactivate_user(actor(), user),
                   lambda user, revoked: [_("Deactivated %(name)s.", name=user.name),
                                          _ended(user, revoked)])


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int):
    return _change(user_id, EmptyForm(), lambda user: operations.reactivate_user(actor(), user),
                   lambda user, _result: [_("Reactivated %(name)s.", name=user.name),
                                          _("Their old sessions and API tokens stay ended.")])


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    """Set a temporary password that the user must change at their next login.

    :raise 403: the admin's own password (changed on the account page instead).
    """
    user = load_user(user_id)
    require(permissions.can_reset_password(actor(), user))
    form = ResetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                revoked = operations.reset_password(actor(), user, form.password.data)
        except CaseworkError as error:
            show_error(form, error)
            status = error.status_code
        else:
            flash(_("%(name)s must choose a new password at their next login.",
                    name=user.name), "success")
            flash(_ended(user, revoked), "success")
            return redirect(url_for("users.index"))
    elif request.method == "POST":
        status = 422
    return render_template("users/password.html", form=form, user=user), status


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke any user's API token.

    :raise 404: there is no such token.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    require(permissions.can_manage_tokens(actor(), token.user))
    outcome = submit(EmptyForm(), lambda: tokens.revoke_token(actor(), token))
    if outcome.done:
        flash(_("Revoked the token %(token)s of %(name)s. It no longer works.",
                token=token.name, name=token.user.name), "success")
    else:
        flash(_("That change was not valid; nothing was saved."), "error")
    return redirect(url_for("users.index", _anchor="api-tokens"))
