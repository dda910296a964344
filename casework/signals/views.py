"""The signal inbox, filing a signal, and triage."""

from __future__ import annotations

import base64
from datetime import UTC
from functools import partial
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _

from casework import permissions
from casework.cases.forms import CaseFieldsForm
from casework.cases.loaders import case_reference
from casework.cases.queries import find_cases
from casework.models import Case, Signal
from casework.pagination import paginate
from casework.signals import exports, importing, operations
from casework.signals.duplicates import possible_duplicates
from casework.signals.forms import (
    AttachForm,
    ConfirmImportForm,
    DismissForm,
    DuplicateForm,
    ImportForm,
    SignalForm,
)
from casework.signals.loaders import duplicate_target_from_text, load_signal, visible_original
from casework.signals.queries import SignalFilters
from casework.vocabulary import Category, Market, SignalSource, SignalStatus, choices
from casework.web.edge import actor, require
from casework.web.forms import submit

bp = Blueprint("signals", __name__, url_prefix="/signals")


@bp.get("")
def inbox():
    filters = SignalFilters.from_args(request.args)
    page = paginate(filters.select(actor()), per_page=current_app.config["PER_PAGE"],
                    max_per_page=100, count=partial(filters.count, actor()))
    return render_template(
        "signals/inbox.html", page=page,
        selected={"status": request.args.get("status", "new"), "source": filters.source,
                  "market": filters.market, "category": filters.category,
                  "from": filters.received_from, "to": filters.received_to},
        status_choices=[*choices(SignalStatus), ("all", _("All"))],
        source_choices=choices(SignalSource, blank=_("Any source")),
        market_choices=choices(Market, blank=_("Any market")),
        category_choices=choices(Category, blank=_("Any category")),
    )


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The inbox with its current filters, for Excel; audited."""
    filters = SignalFilters.from_args(request.args)
    return exports.signals_export(actor(), filters, fmt, request.args.get("lang"),
                                  for_reader=True)


def _as_utc(local):
    """A naive local time from a form, read in the user's time zone, as UTC."""
    if local is None:
        return None
    zone = ZoneInfo(str(get_timezone()))
    return local.replace(tzinfo=zone).astimezone(UTC)


@bp.route("/new", methods=["GET", "POST"])
def new():
    require(permissions.can_file_signal(actor()))
    form = SignalForm()
    outcome = submit(form, lambda: operations.file_signal(
        actor(), title=form.title.data, description=form.description.data,
        source=form.source.data, market=form.market.data,
        surface=form.surface.data or None, category=form.category.data,
        url=form.url.data, observed_at=_as_utc(form.observed_at.data),
        external_ref=form.external_ref.data,
    ))
    if outcome.done:
        signal = outcome.result
        flash(_("Signal #%(id)d filed.", id=signal.id), "success")
        return redirect(url_for("signals.detail", signal_id=signal.id))
    return render_template("signals/new.html", form=form), outcome.status


def _render_signal(signal: Signal, status: int = 200, **forms):
    forms.setdefault("dismiss_form", DismissForm())
    forms.setdefault("duplicate_form", DuplicateForm())
    forms.setdefault("attach_form", AttachForm())
    # Suggestions help triage; once a signal is triaged they are only noise.
    suggestions = possible_duplicates(signal, actor()) if signal.is_open else []
    return render_template("signals/detail.html", signal=signal, suggestions=suggestions,
                           original=visible_original(actor(), signal), **forms), status


@bp.get("/<int:signal_id>")
def detail(signal_id: int):
    return _render_signal(load_signal(actor(), signal_id))


def _prefill_case_form(form: CaseFieldsForm, signal: Signal) -> None:
    form.title.data = signal.title
    form.summary.data = signal.description
    form.category.data = signal.category.value
    form.markets.data = [signal.market.value]
    form.surfaces.data = [signal.surface.value] if signal.surface else []


@bp.route("/<int:signal_id>/qualify", methods=["GET", "POST"])
def qualify(signal_id: int):
    """Open a new case for the signal, or find an existing case to attach it to."""
    signal = load_signal(actor(), signal_id)
    operations.ensure_may_triage(actor(), signal)
    form = CaseFieldsForm()
    if request.method == "GET":
        _prefill_case_form(form, signal)
    outcome = submit(form, lambda: operations.qualify_into_new_case(actor(), signal,
                                                                    **form.case_fields()))
    if outcome.done:
        case = outcome.result
        flash(_("Signal qualified into new case %(key)s.", key=case.key), "success")
        return redirect(url_for("cases.detail", key=case.key))
    search = (request.args.get("case_q") or "").strip()[:200]
    return render_template(
        "signals/qualify.html", signal=signal, form=form, attach_form=AttachForm(),
        search=search, candidates=find_cases(actor(), search),
    ), outcome.status


def _triage(signal: Signal, form, work, done_message: str, form_name: str):
    """Run one triage step from the signal page; on refusal show the page with the error."""
    operations.ensure_may_triage(actor(), signal)
    outcome = submit(form, work)
    if outcome.done:
        flash(done_message, "success")
        if isinstance(outcome.result, Case):
            return redirect(url_for("cases.detail", key=outcome.result.key))
        return redirect(url_for("signals.detail", signal_id=signal.id))
    return _render_signal(signal, outcome.status, **{form_name: form})


@bp.post("/<int:signal_id>/attach")
def attach(signal_id: int):
    signal = load_signal(actor(), signal_id)
    form = AttachForm()
    return _triage(
        signal, form,
        lambda: operations.attach_to_case(
            actor(), signal, case_reference(actor(), form.case_key.data, "case_key")),
        _("Signal attached to the case."), "attach_form",
    )


@bp.post("/<int:signal_id>/dismiss")
def dismiss(signal_id: int):
    signal = load_signal(actor(), signal_id)
    form = DismissForm()
    return _triage(
        signal, form, lambda: operations.dismiss_signal(actor(), signal, form.reason.data),
        _("Signal dismissed."), "dismiss_form",
    )


@bp.post("/<int:signal_id>/duplicate")
def duplicate(signal_id: int):
    signal = load_signal(actor(), signal_id)
    form = DuplicateForm()
    return _triage(
        signal, form,
        lambda: operations.mark_duplicate(
            actor(), signal, **duplicate_target_from_text(actor(), form.of.data, "of")),
        _("Signal marked as a duplicate."), "duplicate_form",
    )


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    """Upload, preview every row (a dry run), then import the good rows on confirmation,
    batch by batch, and show what landed."""
    require(permissions.can_import_signals(actor()))
    form, confirm = ImportForm(), ConfirmImportForm()
    report, result, status = None, None, 200
    if confirm.payload.data and confirm.validate_on_submit():
        try:
            data = base64.b64decode(confirm.payload.data, validate=True)
        except ValueError:
            abort(400)
        outcome = submit(confirm, lambda: importing.import_signals(
            actor(), data, dry_run=False, filename=confirm.filename.data or "",
            max_rows=importing.online_max_rows()))
        if outcome.done:
            result = outcome.result
        else:
            status = outcome.status
    elif request.method == "POST":
        data = form.file.data.read() if form.validate_on_submit() else b""
        outcome = submit(form, lambda: importing.import_signals(
            actor(), data, dry_run=True, max_rows=importing.online_max_rows()))
        if outcome.done:
            report = outcome.result
            confirm.payload.data = base64.b64encode(data).decode("ascii")
            confirm.filename.data = form.file.data.filename or ""
        else:
            status = outcome.status
    return render_template("signals/import.html", form=form, confirm=confirm,
                           report=report, result=result), status
