"""Template helpers of the reports: numbers, changes, and safe strings for PDF CSS."""

from __future__ import annotations

import re

from flask_babel import format_decimal
from markupsafe import Markup

_PLAIN = re.compile(r"[A-Za-z0-9 ]")
_COUNTERS = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}


def css_string(value) -> Markup:
    """A quoted CSS string of ``value``: every character but letters, digits and spaces
    as a CSS escape, so no text can end the string or the style element."""
    # The space after each escape ends it (and is not part of the text).
    text = "".join(c if _PLAIN.fullmatch(c) else f"\\{ord(c):06x} " for c in str(value))
    # Safe: only letters, digits, spaces and backslash-hex escapes remain.
    return Markup(f'"{text}"')


def page_counter(pattern: str) -> Markup:
    """CSS ``content`` for a translated "Page %(page)s of %(pages)s"."""
    pieces = re.split(r"(%\(pages?\)s)", str(pattern))
    parts = [_COUNTERS.get(piece) or str(css_string(piece)) for piece in pieces if piece]
    # Safe: css_string output and the two counter() functions only.
    return Markup(" ".join(parts))


def days(value: float | None) -> str:
    """A number of days with one decimal, as the locale writes it."""
    return "—" if value is None else format_decimal(value, format="#,##0.0")


def change(now: float | None, before: float | None) -> str:
    """The change from ``before`` to ``now``: +3, a minus sign and 2, ±0, or a dash."""
    if now is None or before is None:
        return "—"
    difference = round(now - before, 1)
    if difference == 0:
        return "±0"
    text = format_decimal(abs(difference), format="#,##0.#")
    return ("+" if difference > 0 else "−") + text  # noqa: RUF001 (a real minus sign)
