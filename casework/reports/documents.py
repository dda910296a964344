"""The two PDFs: a case summary and the risk landscape report (Lagebericht)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup

from casework.models import Case, User
from casework.models.types import utcnow
from casework.reports import charts
from casework.reports.figures import Landscape, Period, landscape
from casework.reports.rendering import collector_paused, render_pdf
from casework.reports.summary import Audience, CaseSummary, build_summary
from casework.vocabulary import Category, label


def summary_pdf(case: Case, audience: Audience, *, generated_by: str) -> tuple[bytes,
                                                                               CaseSummary]:
    """The PDF summary of a case the reader may see, and what it shows.

    :raise RenderFailed: the renderer failed.
    """
    with collector_paused():
        summary = build_summary(case, audience, generated_by=generated_by, now=utcnow())
        heatmap = charts.severity_heatmap(case.likelihood, case.impact)
        pdf = render_pdf("pdf/summary.html", summary=summary, case=case,
                         heatmap=svg_image(heatmap, _("Severity heat map")))
    return pdf, summary


def svg_image(svg: Markup, alt: str) -> Markup:
    """An SVG as an <img> of a data: URL: drawn the same, but its shapes are not elements
    of the document that every style rule is matched against."""
    data = base64.b64encode(str(svg).encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="{}">').format(data, alt)


def summary_filename(case: Case, audience: Audience) -> str:
    return f"{case.key}-summary-{audience.value}.pdf"


def landscape_charts(figures: Landscape, links: dict | None = None) -> dict:
    """The landscape's charts; ``links`` maps a chart's name to a function giving URLs."""
    links = links or {}
    return {
        "signals": charts.stacked_days(
            figures.period.each_day(), figures.signals_by_day,
            _("Signals per day by source"), links.get("signals")),
        "categories": charts.matrix(
            list(Category), figures.markets,
            figures.open_by_category_market, _("Open cases by category and market"),
            links.get("categories")),
        "surfaces": charts.bars(figures.open_by_surface, _("Open cases by product surface"),
                                links.get("surfaces")),
    }


@dataclass(frozen=True)
class FiguresTable:
    """A chart's figures as rows: ``rows`` is ``[(row heading, [(count, URL or None)])]``."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[tuple[int, str | None]]]]


def landscape_tables(figures: Landscape, links: dict) -> dict[str, FiguresTable]:
    """The landscape charts' figures as tables, with the charts' links (the dashboard)."""
    days = figures.period.each_day()
    sources = figures.signals_by_day
    signals = FiguresTable(
        _("Signals per day by source"), [_("Day")] + [label(s) for s, _counts in sources],
        [(format_date(day, "medium"),
          [(counts[i], links["signals"](source, day)) for source, counts in sources])
         for i, day in enumerate(days)])
    by_cell = figures.open_by_category_market
    categories = FiguresTable(
        _("Open cases by category and market"),
        [_("Risk category")] + [m.value for m in figures.markets],
        [(label(category), [(by_cell.get((category, market), 0),
                             links["categories"](category, market))
                            for market in figures.markets])
         for category in Category
         if any(by_cell.get((category, market)) for market in figures.markets)])
    surfaces = FiguresTable(
        _("Open cases by product surface"), [_("Product surface"), _("Open cases")],
        [(label(surface), [(count, links["surfaces"](surface))])
         for surface, count in figures.open_by_surface])
    return {"signals": signals, "categories": categories, "surfaces": surfaces}


def landscape_pdf(reader: User, period: Period, *, generated_by: str) -> tuple[bytes,
                                                                               Landscape]:
    """The risk landscape report for ``period`` as ``reader`` may see it.

    :raise RenderFailed: the renderer failed.
    """
    figures = landscape(reader, period)
    pdf = render_pdf("pdf/landscape.html", figures=figures, charts=landscape_charts(figures),
                     generated_at=utcnow(), generated_by=generated_by)
    return pdf, figures


def landscape_filename(period: Period) -> str:
    where = period.market.value if period.market else "DACH"
    return f"lagebericht-{where}-{period.first.isoformat()}-{period.last.isoformat()}.pdf"

