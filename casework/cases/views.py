"""Pages for the case queue, a case, and everything done to it."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from casework import permissions
from casework.audit.timeline import case_events, describe_events, latest_timeline
from casework.cases import exports, operations
from casework.cases.forms import (
    ActionForm,
    CommentForm,
    EditCaseForm,
    TransitionForm,
    transition_form_class,
)
from casework.cases.inputs import plain_int, transition_input
from casework.cases.loaders import load_action, load_case
from casework.cases.queries import CaseFilters
from casework.errors import Conflict, NotFound
from casework.extensions import db
from casework.models import Case, Comment
from casework.pagination import lean_count, paginate
from casework.vocabulary import (
    ActionStatus,
    Band,
    CaseState,
    Category,
    Market,
    TransitionAction,
    choices,
    label,
)
from casework.web.edge import actor, require
from casework.web.forms import EmptyForm, show_error, submit
from casework.workflow import STEPS, Step, check_allowed, step_for

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("")
def queue():
    filters = CaseFilters.from_args(request.args)
    page = paginate(filters.select(actor()), per_page=current_app.config["PER_PAGE"],
                    max_per_page=100, count=partial(filters.count, actor()))
    return render_template(
        "cases/queue.html", page=page, filters=filters,
        owner_choices=[("", _("Anyone")), ("mine", _("Mine")), ("none", _("Nobody yet"))]
        + [(str(user.id), user.name) for user in operations.owner_candidates()],
        state_choices=_state_choices(),
        market_choices=choices(Market, blank=_("Any market")),
        category_choices=choices(Category, blank=_("Any category")),
        band_choices=choices(Band, blank=_("Any severity")),
    )


def _state_choices() -> list:
    """Every state, plus "open" for the four open ones (the dashboard links to it)."""
    pairs = choices(CaseState, blank=_("Any state"))
    pairs.insert(1, ("open", _("Any open state")))
    return pairs


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The queue with its current filters, for Excel; audited."""
    return exports.cases_export(actor(), CaseFilters.from_args(request.args), fmt,
                                request.args.get("lang"), for_reader=True)


# A case page shows the latest comments and audit events, so that it stays quick however
# long the case's history; older ones are on pages of their own, this many a page.
LATEST_SHOWN = 50


def _comments(case: Case) -> sa.Select:
    """The case's comments, newest first, with their authors."""
    return (sa.select(Comment).where(Comment.case_id == case.id)
            .options(sa.orm.joinedload(Comment.author))
            .order_by(Comment.created_at.desc(), Comment.id.desc()))


def _render_case(case: Case, status: int = 200, comment_form: CommentForm | None = None):
    latest_comments = list(db.session.scalars(_comments(case).limit(LATEST_SHOWN)))
    return render_template(
        "cases/detail.html", case=case,
        timeline=latest_timeline(case, LATEST_SHOWN),
        events=lean_count(case_events(case)).number,
        comments=latest_comments[::-1],  # oldest first: read as a conversation
        comment_count=lean_count(_comments(case)).number,
        comment_form=comment_form or CommentForm(), button_form=EmptyForm(),
        one_click={action for action, step in STEPS.items() if step.one_click},
        primary={action for action, step in STEPS.items() if step.primary},
    ), status


@bp.get("/<case_key:key>")
def detail(key: str):
    return _render_case(load_case(actor(), key))


@bp.get("/<case_key:key>/comments")
def comments(key: str):
    """Every comment on a case, newest first, a page at a time (the case page shows the
    latest ones; its "older comments" link is this list's second page)."""
    case = load_case(actor(), key)
    page = paginate(_comments(case), per_page=LATEST_SHOWN, max_per_page=200)
    return render_template("cases/comments.html", case=case, page=page)


@bp.get("/<case_key:key>/audit")
def audit_trail(key: str):
    """A case's whole audit trail, newest first, a page at a time."""
    case = load_case(actor(), key)
    page = paginate(case_events(case), per_page=LATEST_SHOWN, max_per_page=200)
    return render_template("cases/audit.html", case=case, page=page,
                           timeline=describe_events(page.items))


@bp.route("/<case_key:key>/edit", methods=["GET", "POST"])
def edit(key: str):
    case = load_case(actor(), key)
    operations.ensure_may_change(actor(), case)
    form = EditCaseForm(obj=case)
    if not permissions.can_restrict_case(actor(), case):
        del form.restricted
    if request.method == "GET":
        form.markets.data = [m.value for m in case.markets]
        form.surfaces.data = [s.value for s in case.surfaces]
        form.likelihood.data = str(case.likelihood)
        form.impact.data = str(case.impact)
        form.category.data = case.category.value
        form.version.data = str(case.version)
    outcome = submit(form, lambda: operations.update_case(
        actor(), case, expected_version=_version(form), **form.case_fields()))
    if outcome.done:
        flash(_("Saved %(key)s.", key=case.key), "success")
        return redirect(url_for("cases.detail", key=case.key))
    return render_template("cases/edit.html", case=case, form=form), outcome.status


def _transition_form(step: Step, case: Case) -> TransitionForm:
    form = transition_form_class(step)()
    if "owner" in step.input_names:
        form.owner.choices = [SelectChoice("", _("Choose…"))] + [
            SelectChoice(str(user.id), f"{user.name} ({label(user.role)})")
            for user in operations.owner_candidates() if user.id != case.owner_id
        ]
    if request.method == "GET":
        form.version.data = str(case.version)
    return form


def _version(form) -> int | None:
    """The case version the form was opened at; a mangled one counts as stale (-1)."""
    text = str(form.version.data or "").strip()
    if not text:
        return None
    number = plain_int(text)
    return -1 if number is None else number


@bp.route("/<case_key:key>/do/<action>", methods=["GET", "POST"])
def transition(key: str, action: str):
    """One step of the workflow; the page shows the form the step needs."""
    case = load_case(actor(), key)
    try:
        step = step_for(TransitionAction(action))
    except ValueError:
        raise NotFound(_("There is no such step.")) from None
    form = _transition_form(step, case)
    try:
        check_allowed(actor(), case, step.action)
    except Conflict as refusal:
        # Not now: the page says why, with the case's state above and the way back.
        show_error(form, refusal)
        return render_template("cases/transition.html", case=case, form=form,
                               action=step.action, step=step, possible=False), 409
    outcome = submit(form, lambda: operations.transition_case(
        actor(), case, step.action, transition_input(step.action, form.given()),
        expected_version=_version(form)))
    if outcome.done:
        flash(_("%(key)s: %(what)s.", key=case.key, what=_("case %(what)s", what=step.done)),
              "success")
        return redirect(url_for("cases.detail", key=case.key))
    return render_template("cases/transition.html", case=case, form=form, action=step.action,
                           step=step, possible=True), outcome.status


@bp.route("/<case_key:key>/actions/new", methods=["GET", "POST"])
def new_action(key: str):
    case = load_case(actor(), key)
    operations.ensure_may_change(actor(), case)
    form = ActionForm()
    if request.method == "GET":
        form.status.data = ActionStatus.PLANNED.value
    outcome = submit(form, lambda: operations.add_action(actor(), case, **form.action_fields()))
    if outcome.done:
        flash(_("Mitigation action added."), "success")
        return redirect(url_for("cases.detail", key=case.key, _anchor="actions"))
    return render_template("cases/action_form.html", case=case, form=form,
                           action=None), outcome.status


@bp.route("/<case_key:key>/actions/<int:action_id>/edit", methods=["GET", "POST"])
def edit_action(key: str, action_id: int):
    case = load_case(actor(), key)
    action = load_action(actor(), action_id, case)
    operations.ensure_may_change(actor(), case)
    form = ActionForm(obj=action)
    if request.method == "GET":
        form.owner.data = action.owner_user.email if action.owner_user else action.owner_name
        form.team.data = action.team.value
        form.status.data = action.status.value
    outcome = submit(form, lambda: operations.update_action(actor(), action,
                                                            **form.action_fields()))
    if outcome.done:
        flash(_("Mitigation action saved."), "success")
        return redirect(url_for("cases.detail", key=case.key, _anchor="actions"))
    return render_template("cases/action_form.html", case=case, form=form,
                           action=action), outcome.status


@bp.post("/<case_key:key>/comments")
def comment(key: str):
    case = load_case(actor(), key)
    require(permissions.can_comment(actor(), case))
    form = CommentForm()
    outcome = submit(form, lambda: operations.add_comment(actor(), case, form.body.data))
    if outcome.done:
        flash(_("Comment added."), "success")
        return redirect(url_for("cases.detail", key=case.key, _anchor="comments"))
    return _render_case(case, outcome.status, comment_form=form)
