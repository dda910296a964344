"""Turning a template of ``templates/pdf/`` into PDF bytes, fetching nothing from outside.

One small function renders; a URL fetcher serves only files under ``static/`` and image
``data:`` URLs, so user text that slipped through as markup still could not reach a file
or a host. User text is escaped in the templates exactly as in HTML pages.
"""

from __future__ import annotations

import base64
import gc
import mimetypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import unquote, unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from flask_babel import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from casework.errors import CaseworkError

# Images that may come inline; anything else in a data: URL is refused.
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                              "image/svg+xml"})


class RenderFailed(CaseworkError):
    """The PDF renderer failed; nothing was recorded."""

    status_code = 500


class StaticOnlyFetcher(URLFetcher):
    """Serves files under the static folder and inline images; refuses every other URL."""

    def __init__(self, static_folder: str):
        super().__init__(timeout=1, allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = os.path.realpath(static_folder)
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            mime, body = _decode_data_url(url)
            if mime in DATA_IMAGE_TYPES:
                return URLFetcherResponse(url, body, {"Content-Type": mime})
        elif scheme == "file" and parts.netloc in ("", "localhost"):
            path = os.path.realpath(url2pathname(unquote(parts.path)))
            if path.startswith(self.root + os.sep) and os.path.isfile(path):
                mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, _read_static(path, os.path.getmtime(path)),
                                          {"Content-Type": mime})
        # WeasyPrint catches this, logs it and renders on without the resource.
        self.refused.append(url)
        raise ValueError(f"Casework's PDF renderer does not fetch {url[:80]}")


@lru_cache(maxsize=16)
def _read_static(path: str, mtime: float) -> bytes:
    """A static file's bytes (the fonts are read once per process, not once per PDF)."""
    with open(path, "rb") as handle:
        return handle.read()


def _decode_data_url(url: str) -> tuple[str, bytes]:
    header, _comma, payload = url[5:].partition(",")
    fields = header.split(";")
    mime = fields[0].strip().lower() or "text/plain"
    if "base64" in (field.strip().lower() for field in fields[1:]):
        return mime, base64.b64decode(payload, validate=False)
    return mime, unquote_to_bytes(payload)


_per_thread = threading.local()


def _font_configuration() -> FontConfiguration:
    """One font configuration per thread, kept: building one loads every system font and
    writes our @font-face files out again; Pango's objects are not shared across threads."""
    if getattr(_per_thread, "fonts", None) is None:
        _per_thread.fonts = FontConfiguration()
    return _per_thread.fonts


def _stylesheet(static: str, fetcher) -> CSS:
    """pdf.css, parsed once per thread with its fonts (parsing it is a fifth of a render)."""
    cached = getattr(_per_thread, "stylesheet", None)
    if cached is None or cached[0] != static:
        css = CSS(filename=os.path.join(static, "css", "pdf.css"), url_fetcher=fetcher,
                  font_config=_font_configuration())
        cached = _per_thread.stylesheet = (static, css)
    return cached[1]


_paused = 0  # renders under way with the collector held off (threads of one worker)
_paused_lock = threading.Lock()
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a PDF is put together.

    A case summary allocates some hundred thousand short-lived objects (rows, boxes,
    styles, lines of text): enough to set off several full collections, each walking the
    worker's whole heap, together a fifth of the summary's time and all for nothing, as
    reference counting frees those objects when the PDF is done. The collector resumes
    when the last PDF under way in the worker is done. Nests, and is thread-safe.
    """
    global _paused, _resume
    with _paused_lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()


def render_pdf(template: str, **context) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes.

    :raise RenderFailed: the renderer failed.
    """
    from casework.audit.chain import current_head

    # Every PDF carries the audit trail's head, so an outside copy anchors the chain.
    html = render_template(template, audit_head=current_head(), **context)
    static = current_app.static_folder
    fetcher = StaticOnlyFetcher(static)
    # Nothing interrupts a render: an exception thrown into WeasyPrint midway (a SIGALRM time
    # limit did that) corrupts the heap through Pango's half-made objects, and the worker
    # died of SIGSEGV requests later. A render that hangs ends with its worker, at gunicorn's
    # timeout (GUNICORN_TIMEOUT).
    try:
        with collector_paused():
            document = HTML(string=html, base_url=path2url(static + os.sep),
                            url_fetcher=fetcher)
            return document.write_pdf(stylesheets=[_stylesheet(static, fetcher)],
                                      font_config=_font_configuration())
    except Exception as error:
        current_app.logger.exception("PDF rendering of %s failed", template)
        raise RenderFailed(_("The PDF could not be produced (%(error)s). Nothing was "
                             "recorded; try again, and tell an admin if it keeps happening.",
                             error=type(error).__name__)) from None
