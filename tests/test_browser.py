"""End to end in a real Chromium: a program manager turns a new signal into a case and
assigns it to a policy specialist."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from casework.extensions import db
from casework.models import User
from casework.ops import demo

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; missing, the test skips, except under CI where it fails."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
        if _under_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def live_server(csrf_app) -> Iterator[str]:
    """The app with the demo data, served on a free localhost port in a thread."""
    with csrf_app.app_context():
        demo.load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, csrf_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="casework-live-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def page(chromium, live_server) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                             timeout=30_000)
        try:
            context = browser.new_context(base_url=live_server, locale="en-GB")
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            try:
                yield context.new_page()
            finally:
                context.close()
        finally:
            browser.close()


# Ids that aria-describedby points at but that are not on the page: a screen reader then
# reads no hint or error for the field.
MISSING_DESCRIPTIONS_JS = """
() => [...document.querySelectorAll('[aria-describedby]')]
  .flatMap(element => element.getAttribute('aria-describedby').split(/\\s+/))
  .filter(id => id && !document.getElementById(id))
"""


def assert_fields_are_described(page: Page) -> None:
    assert page.evaluate(MISSING_DESCRIPTIONS_JS) == [], page.url


def test_a_program_manager_qualifies_a_new_signal_and_assigns_the_case(page, csrf_app):
    with csrf_app.app_context():
        specialist = db.session.scalar(
            sa.select(User).where(User.email == "specialist@casework.example"))
        owner_name = specialist.name

    page.goto("/login")
    assert_fields_are_described(page)
    page.get_by_label("E-mail").fill("pm@casework.example")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who-role")).to_have_text("Program manager")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Signals").click()
    expect(page.get_by_role("heading", name="Signal inbox")).to_be_visible()
    new_signal = page.locator("table.list tbody tr").filter(has_text="New").first
    signal_link = new_signal.get_by_role("link").first
    signal_title = signal_link.inner_text().strip()
    signal_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(signal_title)

    page.get_by_role("link", name="Qualify", exact=True).click()
    expect(page.get_by_label("Title", exact=True)).to_have_value(signal_title)
    assert_fields_are_described(page)
    page.get_by_role("button", name="Open case").click()
    expect(page).to_have_url(re.compile(r"/cases/RISK-\d{4}-\d{4}$"))
    key = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("status")).to_contain_text(key)

    page.get_by_role("group", name="Case actions").get_by_role(
        "link", name="Assign", exact=True).click()
    assert_fields_are_described(page)
    page.get_by_label("Owner").select_option(label=f"{owner_name} (Policy specialist)")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/cases/{key}$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_label("Search key or title").fill(key)
    page.get_by_role("button", name="Apply").click()
    row = page.locator("table.list tbody tr").filter(has_text=key)
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text(key)
    expect(cells.nth(3)).to_have_text("Assigned")
    expect(cells.nth(6)).to_have_text(owner_name)
