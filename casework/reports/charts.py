"""Charts as SVG drawn on the server: the same markup on the dashboard and in the PDFs.

Every piece of text or URL that goes into an SVG here passes through ``escape`` first,
so the finished markup holds no unescaped text and may be marked safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from casework.vocabulary import Band, band_for, label

FONT = "Casework Sans, DejaVu Sans, Verdana, sans-serif"
INK = "#1b1f24"
MUTED = "#5b6470"
GRID = "#d8dde3"
BAND_FILL = {Band.LOW: "#d9f2e3", Band.MEDIUM: "#fff1c2", Band.HIGH: "#ffd6b0",
             Band.CRITICAL: "#f8b4b4"}
# Okabe-Ito: told apart by people with the common colour-vision deficiencies.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#D55E00",
                  "#F0E442", "#999999")

Link = Callable[..., str | None]



def _day_and_month(day: date) -> str:
    """"24 Nov" in English, "24. Nov." in German: the locale's own short pattern."""
    return format_skeleton("dMMM", day, locale=get_locale())

def _e(value) -> str:
    return str(escape(str(value)))


def _finish(width: int, height: int, title: str, parts: list[str],
            linked: bool = False) -> Markup:
    # A chart with links is hidden from screen readers and its links kept out of the tab
    # order: the dashboard shows the same figures, with the same links, in a table under it
    # (reports/_macros.html). Without links it is one image named by its title.
    role = 'aria-hidden="true"' if linked else 'role="img"'
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" {role} '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="{_e(FONT)}" font-size="11" fill="{INK}">'
            f"<title>{_e(title)}</title>")
    # Safe: every text and URL above went through _e (markupsafe.escape); the rest are
    # numbers and constants of this module.
    return Markup(head + "".join(parts) + "</svg>")


def _linked(href: str | None, inner: str, title: str = "") -> str:
    tip = f"<title>{_e(title)}</title>" if title else ""
    if not href:
        return f"<g>{tip}{inner}</g>" if tip else inner
    return f'<a href="{_e(href)}" tabindex="-1">{tip}{inner}</a>'


def _nice_max(value: int) -> int:
    """A round upper end for an axis that holds ``value``."""
    if value <= 5:
        return max(value, 1)
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        top = int(step * factor)
        if top >= value:
            return top
    return value


def severity_heatmap(likelihood: int, impact: int) -> Markup:
    """The 5x5 matrix, likelihood across and impact up, with the case's cell marked."""
    cell, left, top = 34, 40, 8
    parts = []
    for imp in range(5, 0, -1):
        y = top + (5 - imp) * cell
        parts.append(f'<text x="{left - 8}" y="{y + cell / 2 + 4}" text-anchor="end">{imp}</text>')
        for lik in range(1, 6):
            x = left + (lik - 1) * cell
            score = lik * imp
            here = lik == likelihood and imp == impact
            stroke = f'stroke="{INK}" stroke-width="3"' if here else 'stroke="#ffffff"'
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                         f'fill="{BAND_FILL[band_for(score)]}" {stroke}/>')
            text = "●" if here else str(score)
            weight = ' font-weight="bold" font-size="14"' if here else ""
            parts.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" '
                         f'text-anchor="middle"{weight}>{text}</text>')
    base = top + 5 * cell
    for lik in range(1, 6):
        parts.append(f'<text x="{left + (lik - 0.5) * cell}" y="{base + 14}" '
                     f'text-anchor="middle">{lik}</text>')
    # Marked outside the f-strings: pybabel does not look inside them.
    likelihood_axis, impact_axis = _e(_("Likelihood →")), _e(_("Impact →"))
    parts.append(f'<text x="{left + 2.5 * cell}" y="{base + 30}" text-anchor="middle" '
                 f'fill="{MUTED}">{likelihood_axis}</text>')
    parts.append(f'<text x="12" y="{top + 2.5 * cell}" text-anchor="middle" fill="{MUTED}" '
                 f'transform="rotate(-90 12 {top + 2.5 * cell})">{impact_axis}</text>')
    title = _("Severity: likelihood %(l)d × impact %(i)d = %(s)d",  # noqa: RUF001
              l=likelihood, i=impact, s=likelihood * impact)
    return _finish(left + 5 * cell + 6, base + 38, title, parts)


def stacked_days(days: Sequence[date], series: Sequence[tuple[object, Sequence[int]]],
                 title: str, link: Link | None = None) -> Markup:
    """Bars per day, stacked by series (e.g. signals per day by source), with a legend.

    ``series`` is ``[(value, counts per day)]``; ``link(value, day)`` gives a bar's URL.
    """
    width, left, right, top, plot_h = 680, 34, 8, 10, 170
    plot_w = width - left - right
    totals = [sum(counts[i] for _value, counts in series) for i in range(len(days))]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(days), 1)
    bar = max(min(slot * 0.75, 40), 1)
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h - plot_h * fraction
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'fill="{MUTED}">{round(top_value * fraction)}</text>')
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for n, (value, counts) in enumerate(series):
            if not counts[i]:
                continue
            height = plot_h * counts[i] / top_value
            y -= height
            rect = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                    f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"/>')
            tip = f"{format_date(day, 'medium')}: {label(value)} {counts[i]}"
            parts.append(_linked(link(value, day) if link else None, rect, tip))
    every = max(1, round(len(days) / 12))
    for i, day in enumerate(days):
        if i % every == 0:
            parts.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{top + plot_h + 14}" '
                         f'text-anchor="middle" fill="{MUTED}">'
                         f"{_e(_day_and_month(day))}</text>")
    legend_top = top + plot_h + 30
    for n, (value, counts) in enumerate(series):
        x = left + (n % 3) * (plot_w / 3)
        y = legend_top + (n // 3) * 16
        swatch = (f'<rect x="{x:.1f}" y="{y}" width="10" height="10" '
                  f'fill="{SERIES_COLOURS[n % len(SERIES_COLOURS)]}"/>'
                  f'<text x="{x + 14:.1f}" y="{y + 9}">{_e(label(value))} ({sum(counts)})</text>')
        parts.append(_linked(link(value, None) if link else None, swatch))
    rows = (len(series) + 2) // 3
    return _finish(width, legend_top + rows * 16 + 4, title, parts, link is not None)


def _shade(value: int, top_value: int) -> tuple[str, str]:
    """Fill and text colour of a heat-map cell: pale for few, dark red for the most."""
    if not value:
        return "#f5f6f8", MUTED
    share = value / max(top_value, 1)
    low, high = (253, 224, 197), (180, 35, 24)
    fill = "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high,
                                                                              strict=True))
    return fill, ("#ffffff" if share > 0.55 else INK)


def matrix(rows: Sequence[object], columns: Sequence[object], values: dict, title: str,
           link: Link | None = None) -> Markup:
    """A heat map of counts, ``values[(row, column)]`` (e.g. open cases by category x market)."""
    label_w, cell_w, cell_h, top = 200, 78, 22, 22
    top_value = max(values.values(), default=0)
    parts = []
    for c, column in enumerate(columns):
        parts.append(f'<text x="{label_w + (c + 0.5) * cell_w}" y="{top - 8}" '
                     f'text-anchor="middle" font-weight="bold">{_e(column)}</text>')
    for r, row in enumerate(rows):
        y = top + r * cell_h
        parts.append(f'<text x="{label_w - 8}" y="{y + cell_h / 2 + 4}" '
                     f'text-anchor="end">{_e(label(row))}</text>')
        for c, column in enumerate(columns):
            count = values.get((row, column), 0)
            fill, ink = _shade(count, top_value)
            x = label_w + c * cell_w
            cell = (f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{fill}" '
                    f'stroke="#ffffff"/><text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" '
                    f'text-anchor="middle" fill="{ink}">{count}</text>')
            tip = f"{label(row)} · {column}: {count}"
            parts.append(_linked(link(row, column) if link and count else None, cell, tip))
    return _finish(label_w + len(columns) * cell_w + 4, top + len(rows) * cell_h + 4, title,
                   parts, link is not None)


def bars(items: Sequence[tuple[object, int]], title: str, link: Link | None = None) -> Markup:
    """Horizontal bars with their counts (e.g. open cases by product surface)."""
    label_w, bar_w, row_h = 130, 420, 22
    top_value = max((count for _value, count in items), default=0) or 1
    parts = []
    for r, (value, count) in enumerate(items):
        y = r * row_h
        length = bar_w * count / top_value
        row = (f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(label(value))}</text>'
               f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}" '
               f'fill="{SERIES_COLOURS[0]}"/>'
               f'<text x="{label_w + length + 6:.1f}" y="{y + 15}">{count}</text>')
        parts.append(_linked(link(value) if link and count else None, row))
    return _finish(label_w + bar_w + 40, len(items) * row_h + 4, title, parts, link is not None)
