"""The leadership dashboard and the PDF downloads."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from casework import permissions
from casework.cases.loaders import load_case
from casework.errors import ValidationFailed
from casework.localtime import local_today
from casework.reports import documents, downloads, formatting
from casework.reports.figures import Period, landscape, remember
from casework.vocabulary import Market, choices
from casework.web.edge import actor, require

bp = Blueprint("reports", __name__)
bp.add_app_template_filter(formatting.css_string, "css_string")
bp.add_app_template_filter(formatting.days, "days")
bp.add_app_template_global(formatting.page_counter, "page_counter")
bp.add_app_template_global(formatting.change, "change")


@bp.get("/cases/<case_key:key>/summary.pdf")
def case_summary(key: str):
    """A case's summary as a PDF, for the internal team or for partners."""
    return downloads.summary_download(actor(), load_case(actor(), key),
                                      request.args.get("audience"), request.args.get("lang"))


def _period_or_error() -> tuple[Period, str | None]:
    try:
        return Period.from_values(request.args.get("from"), request.args.get("to"),
                                  request.args.get("market")), None
    except ValidationFailed as error:
        return Period.default(), error.message


def _links(period: Period) -> dict:
    """Where each chart's marks lead: the queue or inbox filtered to what they count."""
    market = period.market.value if period.market else None

    def signals(source, day):
        first, last = (day, day) if day else (period.first, period.last)
        return url_for("signals.inbox", status="all", source=source.value, market=market,
                       **{"from": first.isoformat(), "to": last.isoformat()})

    def categories(category, case_market):
        return url_for("cases.queue", state="open", category=category.value,
                       market=case_market.value)

    def surfaces(surface):
        return url_for("cases.queue", state="open", surface=surface.value, market=market)

    return {"signals": signals, "categories": categories, "surfaces": surfaces}


@bp.get("/dashboard")
def dashboard():
    """The risk landscape on screen, each number a link to what it counts.

    :raise 403: the user's role does not read the dashboard.
    """
    require(permissions.can_view_dashboard(actor()))
    period, error = _period_or_error()
    figures = landscape(actor(), period)
    # The charts are drawn once per state of the counts and language, like the counts.
    charts = remember("dashboard_charts", (figures.key, str(get_locale())),
                      lambda: documents.landscape_charts(figures, _links(period)))
    return render_template(
        "reports/dashboard.html", figures=figures, period=period, error=error,
        charts=charts, tables=documents.landscape_tables(figures, _links(period)),
        market_choices=choices(Market, blank=_("All markets (DACH)")),
        presets=_presets(period),
    ), (422 if error else 200)


def _presets(period: Period) -> list[tuple[str, Period]]:
    """Periods a reader picks often, in the market chosen now."""
    today = local_today()
    end_of_last_month = today.replace(day=1) - timedelta(days=1)
    market = period.market
    return [
        (_("Last 7 days"), Period(today - timedelta(days=6), today, market)),
        (_("Last 30 days"), Period(today - timedelta(days=29), today, market)),
        (_("This month"), Period(today.replace(day=1), today, market)),
        (_("Last month"), Period(end_of_last_month.replace(day=1), end_of_last_month, market)),
    ]


@bp.get("/dashboard/landscape.pdf")
def landscape_pdf():
    """The risk landscape report (Lagebericht) for a period and market, as a PDF."""
    return downloads.landscape_download(actor(), request.args)
