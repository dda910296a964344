"""The dashboard's figures and the exports of the queue and the inbox, in the API.

The same figures (``casework.reports.figures.landscape``) and the same export functions
as the pages, so the numbers and the files are the pages' own; only the input is read
strictly (422 for a bad value). Routes are registered on ``casework.api.views.bp``.
"""

from __future__ import annotations

from flask import jsonify, request, url_for

from casework import permissions
from casework.api import serializers as out
from casework.api.blueprint import bp
from casework.api.filters import OPEN, case_filters, signal_filters
from casework.cases.exports import cases_export
from casework.reports.figures import Landscape, Period, landscape
from casework.signals.exports import signals_export
from casework.vocabulary import Category
from casework.web.edge import actor, require


@bp.get("/dashboard")
def dashboard():
    """Every figure of the dashboard for a period and market, as the caller may see them.

    :raise 403: the caller's role does not read the dashboard.
    :raise 422: the period or market is not valid.
    """
    require(permissions.can_view_dashboard(actor()))
    period = Period.from_values(request.args.get("from"), request.args.get("to"),
                                request.args.get("market"))
    return jsonify(landscape_json(landscape(actor(), period)))


def landscape_json(figures: Landscape) -> dict:
    """The figures with canonical values and ISO days; each count has ``list``: the API
    list of what it counts (its ``total`` is the count)."""
    period, now, before = figures.period, figures.flows, figures.previous
    market = period.market.value if period.market else None
    days = {"from": period.first.isoformat(), "to": period.last.isoformat()}

    def cases(**args) -> str:
        return url_for("api.list_cases", market=market, **args)

    def signals(first: str, last: str, **args) -> str:
        return url_for("api.list_signals", market=market, **args, **{"from": first, "to": last})

    opened = cases(opened_from=days["from"], opened_to=days["to"], sort="created")
    closed = cases(closed_from=days["from"], closed_to=days["to"], sort="updated")
    previous = period.shifted(1)
    return {
        "period": {**days, "market": market, "days": period.days},
        "previous_period": {"from": previous.first.isoformat(),
                            "to": previous.last.isoformat()},
        "today": figures.today.isoformat(),
        "signals_in": {"count": now.signals_in, "previous": before.signals_in,
                       "list": signals(days["from"], days["to"])},
        "cases_opened": {"count": now.cases_opened, "previous": before.cases_opened,
                         "list": opened},
        "cases_closed": {"count": now.cases_closed, "previous": before.cases_closed,
                         "list": closed},
        # Of the cases opened in the period: from opening to the first owner.
        "median_days_to_assign": {"days": now.median_days_to_assign,
                                  "previous": before.median_days_to_assign, "list": opened},
        # Of the cases closed in the period: from opening to closure.
        "median_days_to_close": {"days": now.median_days_to_close,
                                 "previous": before.median_days_to_close, "list": closed},
        # Now, not in the period: the list is of the cases that have them.
        "overdue_actions": {"count": figures.overdue_actions, "cases": figures.overdue_cases,
                            "list": cases(overdue="1")},
        "open_cases": {
            "count": figures.open_total, "list": cases(state=OPEN),
            "by_band": [{"band": band.value, "count": count,
                         "list": cases(state=OPEN, band=band.value)}
                        for band, count in figures.open_by_band.items()],
        },
        "signals_by_day": [
            {"source": source.value, "count": sum(counts),
             "list": signals(days["from"], days["to"], source=source.value),
             "days": [{"day": day.isoformat(), "count": count,
                       "list": signals(day.isoformat(), day.isoformat(), source=source.value)}
                      for day, count in zip(period.each_day(), counts, strict=True)]}
            for source, counts in figures.signals_by_day],
        "open_by_category_market": [
            {"category": category.value, "market": case_market.value,
             "count": figures.open_by_category_market.get((category, case_market), 0),
             "list": url_for("api.list_cases", state=OPEN, category=category.value,
                             market=case_market.value)}
            for category in Category for case_market in figures.markets],
        "open_by_surface": [
            {"surface": surface.value, "count": count,
             "list": cases(state=OPEN, surface=surface.value)}
            for surface, count in figures.open_by_surface],
        "emerging_categories": [
            {"category": item.category.value, "count": item.count, "average": item.average,
             "list": signals(days["from"], days["to"], category=item.category.value)}
            for item in figures.emerging],
        "top_open_risks": {"items": [out.case_summary_json(c) for c in figures.top_open],
                           "list": cases(state=OPEN)},
        "closed_cases": {"count": figures.closed_total,
                         "items": [out.case_summary_json(c) for c in figures.closed],
                         "list": closed},
        "links": {"self": url_for("api.dashboard", **period.args()),
                  "report": url_for("api.landscape_pdf", **period.args()),
                  "html": url_for("reports.dashboard", **period.args())},
    }


@bp.get("/cases/export.csv", defaults={"fmt": "csv"})
@bp.get("/cases/export.xlsx", defaults={"fmt": "xlsx"})
def export_cases(fmt: str):
    """The queue under the filters of ``GET /cases``, as the queue page exports it; audited.

    :raise 422: a filter value that is not one.
    """
    return cases_export(actor(), case_filters(), fmt, request.args.get("lang"))


@bp.get("/signals/export.csv", defaults={"fmt": "csv"})
@bp.get("/signals/export.xlsx", defaults={"fmt": "xlsx"})
def export_signals(fmt: str):
    """The inbox under the filters of ``GET /signals``, as the inbox page exports it;
    audited.

    :raise 422: a filter value that is not one.
    """
    return signals_export(actor(), signal_filters(), fmt, request.args.get("lang"))
