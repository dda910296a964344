"""Hostile text stored through the forms never runs in a real Chromium: no dialog opens, no
injected script sets ``window.__pwned``, no ``javascript:`` link or inline handler appears,
and the text is shown as text."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hostile import HOSTILE, markup_like
from playwright.sync_api import Page, sync_playwright
from test_browser import CHROMIUM_ARGS, TIMEOUT_MS, chromium  # noqa: F401  (a fixture)
from werkzeug.serving import make_server

from casework.extensions import db
from casework.models import Case, MitigationAction, Signal

pytestmark = pytest.mark.browser

# Every markup-like string of the corpus, dealt out over the fields below.
MARKUP = [value for value in HOSTILE.values() if markup_like(value)]

# Elements that carry an inline event handler, and links that run script when followed.
INJECTED_JS = """
() => {
  const found = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith('on')) found.push(element.tagName + ' ' + attribute.name);
    }
  }
  for (const link of document.querySelectorAll('a[href], iframe[src], form[action]')) {
    const target = (link.getAttribute('href') || link.getAttribute('src')
                    || link.getAttribute('action') || '').replace(/[\\s\\x00-\\x1f]/g, '');
    if (/^(javascript|data|vbscript):/i.test(target)) found.push(link.tagName + ' ' + target);
  }
  return found;
}
"""


def _deal(offset: int) -> str:
    return MARKUP[offset % len(MARKUP)]


@pytest.fixture
def hostile_pages(app, client, make, login_as) -> dict:
    """Signals, a case, comments, an action and workflow notes full of hostile text, entered
    through the forms as a program manager would; the pages that show them."""
    pm = login_as(make.pm)

    def post(path, data):
        response = client.post(path, data=data)
        assert response.status_code == 302, (path, response.status_code)

    signal = {"source": "social_media", "market": "AT", "surface": "live",
              "category": "hate_speech", "url": "https://news.example.org/a"}
    for number in range(3):
        post("/signals/new", {**signal, "title": _deal(number), "description": _deal(number + 1),
                              "external_ref": _deal(number + 2)[:200]})
    with app.app_context():
        first, second, waiting = db.session.scalars(sa.select(Signal.id).order_by(Signal.id))
    post(f"/signals/{first}/qualify", {
        "title": HOSTILE["script"], "summary": HOSTILE["img_onerror"], "category": "hate_speech",
        "markets": ["AT"], "surfaces": ["live"], "likelihood": "3", "impact": "4"})
    post(f"/signals/{second}/dismiss", {"reason": HOSTILE["svg_onload"]})
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        key, version = case.key, case.version
    post(f"/cases/{key}/edit", {
        "title": HOSTILE["tag_breakout"], "summary": HOSTILE["attr_breakout"],
        "assessment": HOSTILE["textarea_breakout"], "category": "hate_speech",
        "markets": ["AT"], "surfaces": ["live"], "likelihood": "3", "impact": "4",
        "version": str(version)})
    for offset in range(len(MARKUP)):
        post(f"/cases/{key}/comments", {"body": _deal(offset)})
    post(f"/cases/{key}/do/assign", {"owner": str(make.specialist.id),
                                     "note": HOSTILE["title_breakout"], "version": ""})
    post(f"/cases/{key}/actions/new", {
        "title": HOSTILE["attr_breakout_single"], "team": "legal",
        "owner": HOSTILE["img_onerror"][:120], "status": "planned",
        "outcome": HOSTILE["iframe"]})
    with app.app_context():
        action_id = db.session.scalar(sa.select(MitigationAction.id))
    return {
        "login": pm,
        "pages": [
            "/signals?status=all", "/signals", f"/signals/{first}", f"/signals/{second}",
            f"/signals/{waiting}", f"/signals/{waiting}/qualify", "/cases", f"/cases/{key}",
            f"/cases/{key}/edit", f"/cases/{key}/actions/{action_id}/edit",
            f"/cases/{key}/do/dismiss",
        ],
        "shown_on_case": [HOSTILE["tag_breakout"], HOSTILE["attr_breakout"],
                          HOSTILE["textarea_breakout"], *MARKUP],
        "case": f"/cases/{key}",
    }


@pytest.fixture
def served(app, hostile_pages) -> Iterator[str]:
    """The app, CSRF on as in production, served on a free localhost port in a thread."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="casework-hostile-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def browser_page(chromium, served) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    """A Chromium page that records every dialog (and dismisses it)."""
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             timeout=30_000)
        try:
            context = browser.new_context(base_url=served, locale="en-GB")
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            page = context.new_page()

            def on_dialog(dialog):
                dialogs.append(f"{page.url}: {dialog.type} {dialog.message}")
                dialog.dismiss()

            page.on("dialog", on_dialog)
            try:
                yield page, dialogs
            finally:
                context.close()
        finally:
            browser.close()


def test_hostile_text_never_runs_in_chromium(browser_page, hostile_pages):
    page, dialogs = browser_page
    # The detector itself works here: an unescaped handler does run in this browser.
    page.set_content("<img src=x onerror=\"window.__pwned=1\">")
    page.wait_for_function("window.__pwned === 1")
    page.evaluate("delete window.__pwned")

    user = hostile_pages["login"]
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)

    problems = []
    for path in hostile_pages["pages"]:
        response = page.goto(path)
        assert response is not None and response.status in (200, 409), (path, response.status)
        page.wait_for_load_state("load")
        # Give an injected onerror/onload (a broken image, an svg) the chance to run.
        page.wait_for_timeout(100)
        if page.evaluate("typeof window.__pwned") != "undefined":
            problems.append(f"{path}: an injected script ran")
        injected = page.evaluate(INJECTED_JS)
        if injected:
            problems.append(f"{path}: injected markup {injected}")
    assert dialogs == []
    assert problems == []

    # Shown as text, character for character.
    page.goto(hostile_pages["case"])
    assert page.locator("h1").inner_text() == HOSTILE["tag_breakout"]
    text = page.inner_text("body")
    for value in hostile_pages["shown_on_case"]:
        if "\n" not in value and "\r" not in value:
            assert value in text, value
