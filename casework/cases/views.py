"""Pages for the case queue, a case, and everything done to it."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from casework import permissions
from casework.audit.timeline import timeline_for
from casework.cases import exports, operations
from casework.cases.forms import (
    ActionForm,
    ApproveForm,
    AssignForm,
    CommentForm,
    EditCaseForm,
    NoteForm,
)
from casework.cases.queries import CaseFilters
from casework.errors import CaseworkError
from casework.extensions import db
from casework.models import Case, MitigationAction, User
from casework.pagination import paginate
from casework.vocabulary import (
    ActionStatus,
    Band,
    CaseState,
    Category,
    Market,
    Resolution,
    TransitionAction,
    choices,
    label,
)
from casework.web.edge import actor, require, unit_of_work
from casework.web.forms import EmptyForm, show_error, submit
from casework.workflow import TransitionInput, action_word, find_transition, may_attempt

bp = Blueprint("cases", __name__, url_prefix="/cases")

# Transitions that need more than a click get a page of their own with a form.
FORM_FOR_ACTION = {
    TransitionAction.ASSIGN: AssignForm,
    TransitionAction.APPROVE: ApproveForm,
    TransitionAction.REQUEST_CHANGES: NoteForm,
    TransitionAction.REOPEN: NoteForm,
    TransitionAction.DISMISS: NoteForm,
    TransitionAction.START_MITIGATION: NoteForm,
    TransitionAction.SUBMIT_FOR_REVIEW: NoteForm,
}
ONE_CLICK_ACTIONS = frozenset({TransitionAction.START_MITIGATION,
                               TransitionAction.SUBMIT_FOR_REVIEW})


def load_case(key: str) -> Case:
    """The case with this key, readable by the current user.

    :raise 404: no such case, or a restricted one the user may not see.
    """
    case = db.session.scalar(sa.select(Case).where(Case.key == key.upper()))
    # A restricted case the user may not see does not exist for them: 404, not 403.
    if case is None or not permissions.can_view_case(actor(), case):
        abort(404)
    return case


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
    return exports.cases_export(actor(), CaseFilters.from_args(request.args), fmt)


def _render_case(case: Case, status: int = 200, comment_form: CommentForm | None = None):
    return render_template(
        "cases/detail.html", case=case, timeline=timeline_for(case),
        comment_form=comment_form or CommentForm(), button_form=EmptyForm(),
        one_click=ONE_CLICK_ACTIONS,
    ), status


@bp.get("/<key>")
def detail(key: str):
    return _render_case(load_case(key))


@bp.route("/<key>/edit", methods=["GET", "POST"])
def edit(key: str):
    case = load_case(key)
    require(permissions.can_edit_case(actor(), case))
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


def _transition_form(action: TransitionAction, case: Case):
    form = FORM_FOR_ACTION[action]()
    if isinstance(form, AssignForm):
        form.owner.choices = [SelectChoice(0, "")] + [
            SelectChoice(user.id, f"{user.name} ({label(user.role)})")
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
    return int(text) if text.isdigit() else -1


def _rating(value) -> int | None:
    """A 1-5 rating from a form, or None for the workflow's guard to refuse."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _transition_input(form) -> TransitionInput:
    given = TransitionInput(note=(form.note.data or "") if hasattr(form, "note") else "")
    if isinstance(form, AssignForm):
        given.owner = db.session.get(User, form.owner.data) if form.owner.data else None
    if isinstance(form, ApproveForm):
        given.resolution = Resolution(form.resolution.data) if form.resolution.data else None
        given.residual_likelihood = _rating(form.residual_likelihood.data)
        given.residual_impact = _rating(form.residual_impact.data)
    return given


@bp.route("/<key>/do/<action>", methods=["GET", "POST"])
def transition(key: str, action: str):
    """One step of the workflow; the page shows the form the step needs."""
    case = load_case(key)
    try:
        step = TransitionAction(action)
    except ValueError:
        abort(404)
    require(may_attempt(actor(), case, step))
    form = _transition_form(step, case)
    possible = find_transition(case.state, step) is not None
    status = 200
    if request.method == "POST" and form.validate():
        try:
            with unit_of_work():
                operations.transition_case(actor(), case, step, _transition_input(form),
                                           expected_version=_version(form))
        except CaseworkError as error:
            show_error(form, error)
            status = error.status_code
        else:
            flash(_("%(key)s: %(what)s.", key=case.key, what=_done_message(step)), "success")
            return redirect(url_for("cases.detail", key=case.key))
    elif not possible:
        # Also for an incomplete form: the page shows no fields then, so their errors
        # would be invisible.
        status = 409
        form.form_errors.append(_("This step is not possible while the case is %(state)s.",
                                  state=label(case.state)))
    elif request.method == "POST":
        status = 422
    return render_template("cases/transition.html", case=case, form=form, action=step,
                           possible=possible), status


def _done_message(step: TransitionAction) -> str:
    return _("case %(what)s", what=action_word(step))


@bp.route("/<key>/actions/new", methods=["GET", "POST"])
def new_action(key: str):
    case = load_case(key)
    require(permissions.can_manage_actions(actor(), case))
    form = ActionForm()
    if request.method == "GET":
        form.status.data = ActionStatus.PLANNED.value
    outcome = submit(form, lambda: operations.add_action(actor(), case, **form.action_fields()))
    if outcome.done:
        flash(_("Mitigation action added."), "success")
        return redirect(url_for("cases.detail", key=case.key, _anchor="actions"))
    return render_template("cases/action_form.html", case=case, form=form,
                           action=None), outcome.status


@bp.route("/<key>/actions/<int:action_id>/edit", methods=["GET", "POST"])
def edit_action(key: str, action_id: int):
    case = load_case(key)
    action = db.session.get(MitigationAction, action_id)
    if action is None or action.case_id != case.id:
        abort(404)
    require(permissions.can_edit_action(actor(), action))
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


@bp.post("/<key>/comments")
def comment(key: str):
    case = load_case(key)
    require(permissions.can_comment(actor(), case))
    form = CommentForm()
    outcome = submit(form, lambda: operations.add_comment(actor(), case, form.body.data))
    if outcome.done:
        flash(_("Comment added."), "success")
        return redirect(url_for("cases.detail", key=case.key, _anchor="comments"))
    return _render_case(case, outcome.status, comment_form=form)
