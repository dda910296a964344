"""The user's own API tokens, managed from their account: create, list, revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import Length, Optional

from casework.api import tokens
from casework.extensions import db
from casework.models import ApiToken
from casework.permissions import can_manage_tokens
from casework.validation import NAME_MAX
from casework.web.edge import actor
from casework.web.forms import CaseworkForm, EmptyForm, submit

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class NewTokenForm(CaseworkForm):
    name = StringField(_l("What is it for?"), validators=[Length(max=NAME_MAX)],
                       description=_l("For example: social-media monitoring import."))
    # The range is the operation's rule (tokens.MAX_DAYS); the form only reads a number.
    expires_in_days = IntegerField(
        _l("Expires after (days)"), default=90, validators=[Optional()],
        description=_l("From 1 to %(max)d days. Leave it empty for a token without end.",
                       max=tokens.MAX_DAYS))


@bp.route("", methods=["GET", "POST"])
def index():
    form = NewTokenForm()
    outcome = submit(form, lambda: tokens.create_token(
        actor(), actor(), form.name.data, expires_in_days=form.expires_in_days.data))
    secret = None
    if outcome.done:
        _token, secret = outcome.result
        form = NewTokenForm(formdata=None)
    return render_template("api/tokens.html", form=form, secret=secret,
                           tokens=tokens.tokens_of(actor()), button_form=EmptyForm(),
                           ), outcome.status


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not can_manage_tokens(actor(), token.user):
        abort(404)
    outcome = submit(EmptyForm(), lambda: tokens.revoke_token(actor(), token))
    if outcome.done:
        flash(_("Revoked the token %(name)s. It no longer works.", name=token.name), "success")
    return redirect(url_for("tokens.index"))
