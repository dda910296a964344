"""Filters and globals that every template can use."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from casework import permissions, workflow
from casework.languages import shown_language
from casework.vocabulary import Band, Language, band_for, choices, label
from casework.web.links import carried_args, this_page, url_with_args


def _when(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC timestamp in the user's time zone (Europe/Berlin by default)."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def _day(value: date | None) -> str:
    return format_date(value, "medium") if value else ""


def _url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (``None`` drops one)."""
    args = carried_args()
    for name, value in changes.items():
        if value is None or value == "":
            args.pop(name, None)
        else:
            args[name] = [value]
    query = urlencode(args, doseq=True)
    return request.path + ("?" + query if query else "")


def register(app: Flask) -> None:
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["day"] = _day
    app.jinja_env.filters["number"] = format_decimal  # 10,000 in English, 10.000 in German
    app.jinja_env.globals.update(
        can=permissions,
        available_actions=workflow.available_actions,
        band_for=band_for,
        Band=Band,
        url_with=_url_with,
        url_with_args=url_with_args,
        this_page=this_page,
        get_locale=get_locale,
        shown_language=shown_language,
        language_choices=lambda: choices(Language),
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
