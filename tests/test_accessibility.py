"""WCAG 2.2 AA in a real Chromium: axe-core finds nothing on any page, for any role, in
German or English; the whole lifecycle works by keyboard alone with a visible focus; a
phone-sized screen hides no control and scrolls no page sideways.

axe-core is the npm package pinned in tests/package-lock.json (``make axe``, part of
``make test``, installs it into tests/node_modules). Without it, or without Chromium,
these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _under_ci
from werkzeug.serving import make_server

from casework import create_app
from casework.extensions import db
from casework.models import Case, MitigationAction, Signal, User
from casework.ops import demo
from casework.vocabulary import CaseState, SignalStatus

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe's tags for them).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = ("admin", "program_manager", "policy_specialist", "leadership")
EMAILS = {"admin": "admin@casework.example", "program_manager": "pm@casework.example",
          "policy_specialist": "specialist@casework.example",
          "leadership": "leadership@casework.example"}
REVIEWER = "pm2@casework.example"  # a second program manager, for four eyes
LANGUAGES = {"en": "en-GB", "de": "de-DE"}


def _required(path: Path | str, message: str) -> str:
    if not os.path.exists(path):
        if _under_ci():
            pytest.fail(message)
        pytest.skip(message)
    return str(path)


# --- One demo site, one browser, a logged-in session per role and language ---------------


@dataclass
class Site:
    url: str
    # The pages to visit: rule -> the paths that open it.
    paths: dict[str, list[str]] = field(default_factory=dict)
    case_with_actions: str = ""  # an open case of the specialist's, with mitigation actions
    get_rules: set[str] = field(default_factory=set)  # every GET rule of the URL map


def _demo_paths(app) -> tuple[dict[str, list[str]], str]:
    """Paths for every page rule, on the demo data: a case in each state (the
    specialist's where there is one), a new and a qualified signal, an action, a user."""
    with app.app_context():
        specialist = db.session.scalar(sa.select(User).where(
            User.email == EMAILS["policy_specialist"]))
        cases = {}
        for state in CaseState:
            cases[state] = db.session.scalar(
                sa.select(Case.key).where(Case.state == state)
                .order_by((Case.owner_id == specialist.id).desc(), Case.id))
            assert cases[state], f"the demo data has no {state.value} case"
        action = db.session.execute(
            sa.select(Case.key, MitigationAction.id).join(MitigationAction.case)
            .where(Case.owner_id == specialist.id,
                   Case.state.in_([CaseState.ASSIGNED, CaseState.MITIGATING]))
            .order_by(Case.id)).first()
        assert action, "the demo data has no open case of the specialist's with actions"
        signals = {status: db.session.scalar(
            sa.select(Signal.id).where(Signal.status == status).order_by(Signal.id))
            for status in (SignalStatus.NEW, SignalStatus.QUALIFIED, SignalStatus.DISMISSED)}
        user_id = specialist.id
    q, a, m, r, c = (cases[s] for s in (CaseState.QUALIFIED, CaseState.ASSIGNED,
                                        CaseState.MITIGATING, CaseState.IN_REVIEW,
                                        CaseState.CLOSED))
    key, action_id = action
    paths = {
        "/login": ["/login"],
        "/logout": ["/logout"],
        "/account": ["/account"],
        "/account/tokens": ["/account/tokens"],
        "/api/docs": ["/api/docs"],
        "/cases": ["/cases", "/cases?state=all&sort=updated"],
        "/cases/<case_key:key>": [f"/cases/{cases[s]}" for s in CaseState],
        "/cases/<case_key:key>/actions/<int:action_id>/edit": [
            f"/cases/{key}/actions/{action_id}/edit"],
        "/cases/<case_key:key>/actions/new": [f"/cases/{key}/actions/new"],
        "/cases/<case_key:key>/audit": [f"/cases/{c}/audit"],
        "/cases/<case_key:key>/comments": [f"/cases/{m}/comments"],
        "/cases/<case_key:key>/do/<action>": [
            f"/cases/{q}/do/assign", f"/cases/{a}/do/dismiss",
            f"/cases/{a}/do/start_mitigation", f"/cases/{r}/do/approve",
            f"/cases/{r}/do/request_changes", f"/cases/{c}/do/reopen"],
        "/cases/<case_key:key>/edit": [f"/cases/{m}/edit"],
        "/dashboard": ["/dashboard", "/dashboard?from=2000-01-01&to=1999-01-01"],
        "/signals": ["/signals", "/signals?status=all"],
        "/signals/<int:signal_id>": [f"/signals/{signal}" for signal in signals.values()],
        "/signals/<int:signal_id>/qualify": [f"/signals/{signals[SignalStatus.NEW]}/qualify"],
        "/signals/import": ["/signals/import"],
        "/signals/new": ["/signals/new"],
        "/users": ["/users"],
        "/users/<int:user_id>/password": [f"/users/{user_id}/password"],
        "/users/new": ["/users/new"],
    }
    return paths, key


# GET routes that are not pages: files, JSON, redirects (the JSON API, /api/v1/, is left
# out as a whole).
NOT_PAGES = {"/", "/healthz", "/static/<path:filename>", "/cases/export.<any(csv, xlsx):fmt>",
             "/signals/export.<any(csv, xlsx):fmt>", "/cases/<case_key:key>/summary.pdf",
             "/dashboard/landscape.pdf"}
# Pages a role may not open (403; tests/test_routes.py holds the whole table). The rest it
# must open on at least one of the paths above.
CLOSED_TO = {
    "admin": set(),
    "program_manager": {"/users", "/users/new", "/users/<int:user_id>/password"},
    "policy_specialist": {"/users", "/users/new", "/users/<int:user_id>/password",
                          "/dashboard", "/signals/import", "/signals/<int:signal_id>/qualify"},
    "leadership": {"/users", "/users/new", "/users/<int:user_id>/password",
                   "/signals/import", "/signals/<int:signal_id>/qualify", "/signals/new",
                   "/cases/<case_key:key>/edit", "/cases/<case_key:key>/actions/new",
                   "/cases/<case_key:key>/actions/<int:action_id>/edit",
                   "/cases/<case_key:key>/do/<action>"},
}
ANONYMOUS_ONLY = {"/login"}


@pytest.fixture(scope="module")
def site(databases, migrated_template, tmp_path_factory) -> Iterator[Site]:
    """The demo data (and a second program manager) on a live server in a thread."""
    _required(CHROMIUM, f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    _required(AXE, f"{AXE} is missing: run make axe (needs npm)")
    path = databases.copy(migrated_template, tmp_path_factory.mktemp("a11y") / "demo.sqlite3")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": databases.url(path),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        from casework.users.operations import create_user

        demo.load()
        create_user(None, email=REVIEWER, name="Rita Review", role="program_manager",
                    password=demo.DEMO_PASSWORD)
        db.session.commit()
    paths, case_with_actions = _demo_paths(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="casework-a11y-server",
                              daemon=True)
    thread.start()
    try:
        get_rules = {rule.rule for rule in app.url_map.iter_rules()
                     if "GET" in rule.methods and not rule.rule.startswith("/api/v1/")}
        yield Site(f"http://127.0.0.1:{server.server_port}", paths, case_with_actions,
                   get_rules)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        databases.drop(path)


@pytest.fixture(scope="module")
def browser(site) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, site: Site, language: str = "en", **options) -> BrowserContext:
    """A browser whose Accept-Language asks for ``language``, with axe-core in every page
    (an init script runs before the page's own and is not subject to its CSP)."""
    context = browser.new_context(base_url=site.url, locale=LANGUAGES[language], **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    # Static files straight from the folder: the threaded test server, when a page is left
    # while it sends one, leaves the file open (a ResourceWarning, an error here).
    context.route("**/static/**", _static_file)
    return context


STATIC = Path(__file__).parent.parent / "static"
CONTENT_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".ttf": "font/ttf"}


def _static_file(route) -> None:
    name = route.request.url.split("/static/", 1)[1].split("?")[0]
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        route.fulfill(status=404)
        return
    route.fulfill(status=200, body=path.read_bytes(),
                  content_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"))


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(demo.DEMO_PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator(".who-name")).to_be_visible()


# --- axe-core ------------------------------------------------------------------------------

AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.slice(0, 4)
    .map(n => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ')}`).join('\\n'));
}
"""


def axe_violations(page: Page) -> list[str]:
    return page.evaluate(AXE_RUN, WCAG_AA)


def _check(page: Page, path: str, language: str, found: dict[str, list[str]],
           refused: tuple[int, ...] = (403, 404, 409)) -> int:
    """Open ``path``, run axe-core and note what it finds (unless the role is refused the
    page); the HTTP status."""
    response = page.goto(path)
    status = response.status if response else 0
    if status in refused:
        return status
    shown = page.evaluate("document.documentElement.lang")
    assert shown.split("-")[0] == language, (path, shown)
    violations = axe_violations(page)
    if violations:
        found[f"{path} [{language}]"] = violations
    return status


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}\n  " + "\n  ".join(v) for where, v in found.items())


def test_every_page_of_the_url_map_is_checked(site):
    """A page added to the app fails here until it has a path above (or is not a page)."""
    unchecked = site.get_rules - set(site.paths) - NOT_PAGES
    assert not unchecked, f"GET routes with no path in _demo_paths: {sorted(unchecked)}"
    assert not (set(site.paths) | NOT_PAGES) - site.get_rules, "no such routes"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_opens_has_no_axe_violations(browser, site, role):
    found: dict[str, list[str]] = {}
    opened: set[str] = set()
    for language in LANGUAGES:
        context = new_context(browser, site, language)
        try:
            page = context.new_page()
            log_in(page, EMAILS[role])
            for rule, paths in site.paths.items():
                if rule in ANONYMOUS_ONLY:
                    continue
                for path in paths:
                    status = _check(page, path, language, found)
                    if status in (200, 422):
                        opened.add(rule)
            # A page that is not there (404) is a page too.
            assert _check(page, "/cases/RISK-1999-9999", language, found, refused=()) == 404
        finally:
            context.close()
    expected = set(site.paths) - ANONYMOUS_ONLY - CLOSED_TO[role]
    assert opened >= expected, f"{role} could not open {sorted(expected - opened)}"
    assert not found, _report(found)


def test_pages_before_login_and_form_errors_have_no_axe_violations(browser, site):
    found: dict[str, list[str]] = {}
    for language in LANGUAGES:
        context = new_context(browser, site, language)
        try:
            page = context.new_page()
            _check(page, "/login", language, found)
            page.locator("input[name=email]").fill("nobody@casework.example")
            page.locator("form:has(input[name=password]) button[type=submit]").click()
            assert page.locator("[aria-invalid=true]").count() >= 1
            violations = axe_violations(page)
            if violations:
                found[f"/login with errors [{language}]"] = violations
            log_in(page, EMAILS["program_manager"])
            # Forms sent empty: their errors on the page.
            for path in ("/signals/new", f"/cases/{site.case_with_actions}/actions/new",
                         site.paths["/cases/<case_key:key>/do/<action>"][0]):
                page.goto(path)
                page.locator("main form.card button[type=submit]").click()
                expect(page.locator("[aria-invalid=true]").first).to_be_visible()
                violations = axe_violations(page)
                if violations:
                    found[f"{path} sent empty [{language}]"] = violations
        finally:
            context.close()
    assert not found, _report(found)


def test_the_language_switch_changes_the_lang_attribute(browser, site):
    context = new_context(browser, site, "en")
    try:
        page = context.new_page()
        page.goto("/login")
        assert page.evaluate("document.documentElement.lang") == "en-GB"
        page.get_by_role("button", name="Deutsch").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Bei Casework anmelden")
        assert page.evaluate("document.documentElement.lang") == "de"
        violations = axe_violations(page)
        assert not violations, "\n".join(violations)
    finally:
        context.close()


# --- The lifecycle by keyboard alone -------------------------------------------------------

# What the focused element shows: a focus ring (outline or box-shadow) while :focus-visible.
FOCUS_JS = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {
    what: e.tagName.toLowerCase() + ' ' + (e.innerText || e.value || e.name || '').slice(0, 40),
    dateField: /^(date|datetime-local|time)$/.test(e.type),
    focus: e.matches(':focus'),
    focusVisible: e.matches(':focus-visible'),
    ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
          || (s.boxShadow !== 'none' && s.boxShadow !== ''),
  };
}
"""


def assert_focus_visible(page: Page) -> dict:
    focused = page.evaluate(FOCUS_JS)
    assert focused is not None, f"nothing has the focus on {page.url}"
    # Headless Chromium sometimes leaves a date field, tabbed into, the active element with
    # its focus on inner parts that match no selector; the stylesheet rings it on :focus.
    if focused["dateField"] and not focused["focus"]:
        return focused
    assert focused["focusVisible"] and focused["ring"], f"no visible focus: {focused}, {page.url}"
    return focused


def tab_to(page: Page, target, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, checking at every stop on
    the way that the focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(FOCUS_JS) is not None:
            assert_focus_visible(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target} on {page.url}")


def choose(page: Page, select, wanted: str) -> None:
    """Pick the option whose text contains ``wanted`` with the arrow keys (the select has
    the focus)."""
    for _ in range(30):
        if wanted in select.evaluate("s => s.selectedOptions[0] ? s.selectedOptions[0].text : ''"):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {wanted!r} in {select}")


def keyboard_log_in(page: Page, email: str) -> None:
    page.goto("/login")
    tab_to(page, page.locator("input[name=email]"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(demo.DEMO_PASSWORD)
    press(page)
    expect(page.locator(".who-name")).to_be_visible()


def keyboard_log_out(page: Page) -> None:
    tab_to(page, page.locator(".who button[type=submit]"))
    press(page)
    expect(page.locator("input[name=email]")).to_be_visible()


def press(page: Page, key: str = "Enter") -> None:
    """Press a key that follows a link or sends a form, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def follow(page: Page, link, **tab) -> None:
    tab_to(page, link, **tab)
    press(page)


def open_case(page: Page, key: str) -> None:
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases"))
    tab_to(page, page.locator("#filter-q"))
    page.keyboard.type(key)
    press(page)
    follow(page, page.get_by_role("link", name=key, exact=True))
    expect(page.locator("h1")).to_be_visible()
    assert page.url.endswith(f"/cases/{key}")


def test_the_whole_lifecycle_works_by_keyboard_with_a_visible_focus(browser, site):
    title = "Keyboard-only: Live raids flood DE comments"
    context = new_context(browser, site, "en")
    try:
        page = context.new_page()
        # A policy specialist files the signal.
        keyboard_log_in(page, EMAILS["policy_specialist"])
        specialist = page.locator(".who-name").inner_text().strip()
        follow(page, page.get_by_role("navigation", name="Main").get_by_role("link",
                                                                             name="Signals"))
        follow(page, page.get_by_role("link", name="File a signal"))
        tab_to(page, page.get_by_label("Title", exact=True))
        page.keyboard.type(title)
        for name, option in (("Source", "Social media"), ("Market", "Germany"),
                             ("Risk category", "Hate speech")):
            select = page.get_by_label(name, exact=True)
            tab_to(page, select)
            choose(page, select, option)
        tab_to(page, page.get_by_role("button", name="File signal"))
        press(page, "Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        keyboard_log_out(page)

        # A program manager qualifies it into a case and assigns the specialist.
        keyboard_log_in(page, EMAILS["program_manager"])
        follow(page, page.get_by_role("navigation", name="Main").get_by_role("link",
                                                                             name="Signals"))
        follow(page, page.get_by_role("link", name=title))
        follow(page, page.get_by_role("link", name="Qualify", exact=True))
        tab_to(page, page.get_by_role("button", name="Open case"))
        press(page, "Enter")
        expect(page).to_have_url(re.compile(r"/cases/RISK-\d{4}-\d{4}$"))
        key = page.url.rsplit("/", 1)[1]
        follow(page, page.get_by_role("group", name="Case actions").get_by_role(
            "link", name="Assign", exact=True))
        owner = page.get_by_label("Owner")
        tab_to(page, owner)
        choose(page, owner, f"{specialist} (Policy specialist)")
        tab_to(page, page.get_by_role("button", name="Assign", exact=True))
        press(page, "Space")
        expect(page.locator(".eyebrow .status")).to_have_text("Assigned")
        keyboard_log_out(page)

        # The specialist starts mitigation, adds a finished action, submits for review.
        keyboard_log_in(page, EMAILS["policy_specialist"])
        open_case(page, key)
        tab_to(page, page.get_by_role("button", name="Start mitigation"))
        press(page, "Enter")
        expect(page.locator(".eyebrow .status")).to_have_text("Mitigating")
        follow(page, page.get_by_role("link", name="Add action"))
        tab_to(page, page.get_by_label("Action", exact=True))
        page.keyboard.type("Keyword list update for DE comments")
        team = page.get_by_label("Partner team")
        tab_to(page, team)
        choose(page, team, "Content Policy")
        status = page.get_by_label("Status")
        tab_to(page, status)
        choose(page, status, "Done")
        tab_to(page, page.get_by_role("button", name="Save action"))
        press(page, "Enter")
        expect(page.locator("#actions")).to_contain_text("Keyword list update for DE comments")
        # Back up the page with Shift+Tab to the case's buttons.
        tab_to(page, page.get_by_role("button", name="Submit for review"), backwards=True)
        press(page, "Enter")
        expect(page.locator(".eyebrow .status")).to_have_text("In review")
        keyboard_log_out(page)

        # Another program manager (four eyes) approves and closes it.
        keyboard_log_in(page, REVIEWER)
        open_case(page, key)
        follow(page, page.get_by_role("link", name="Approve and close"))
        for name, option in (("Resolution", "Mitigated"), ("Residual likelihood", "1"),
                             ("Residual impact", "2")):
            select = page.get_by_label(name, exact=True)
            tab_to(page, select)
            choose(page, select, option)
        tab_to(page, page.get_by_role("button", name="Approve and close"))
        press(page, "Enter")
        # Sent without the review note: the error summary has the focus and is announced;
        # its link leads to the field, which says what is wrong.
        summary = page.locator(".error-summary")
        expect(summary).to_have_attribute("role", "alert")
        assert summary.evaluate("element => element === document.activeElement")
        note = page.get_by_label("Review note")
        expect(note).to_have_attribute("aria-invalid", "true")
        expect(note).to_have_accessible_description(re.compile("Write a review note"))
        tab_to(page, summary.get_by_role("link", name=re.compile("Review note")))
        page.keyboard.press("Enter")
        expect(note).to_be_focused()
        page.keyboard.type("Mitigation held for a week; residual risk is low.")
        tab_to(page, page.get_by_role("button", name="Approve and close"))
        press(page, "Enter")
        expect(page.locator(".eyebrow .status")).to_have_text("Closed")
    finally:
        context.close()


# --- A phone's screen ----------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
OVERFLOW_JS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
# The elements that reach past the screen's right edge, deepest first (for the message).
WIDEST_JS = """
() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && !e.parentElement.closest('.table-wrap, table, pre'))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ': '
                        + (e.textContent || '').trim().slice(0, 30))
"""


def assert_within_screen(page: Page, locator) -> None:
    """``locator`` is shown, and all of it lies across the screen's width as the page
    opens: no scrolling sideways, of the page or of a box in it, brings it into view."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (locator, box)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phone_sized_screen_hides_no_control_and_never_scrolls_sideways(browser, site,
                                                                          language):
    # Not Playwright's is_mobile: a page too wide would then widen the layout viewport
    # (innerWidth) to fit, and the overflow below could never show.
    context = new_context(browser, site, language, viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, EMAILS["policy_specialist"])
        assert page.evaluate("window.innerWidth") == PHONE["width"]
        # The case page's mitigation actions: every column, Status and Edit included, on
        # the screen and reachable by keyboard.
        page.goto(f"/cases/{site.case_with_actions}")
        rows = page.locator("#actions table tbody tr")
        assert rows.count() >= 1
        first = rows.first
        status_label = page.locator("#actions thead th").nth(4).inner_text().strip()
        status = first.locator("td").nth(4)
        assert_within_screen(page, status)
        expect(status).to_have_attribute("data-label", re.compile(re.escape(status_label), re.I))
        edit = first.locator("td").last.get_by_role("link")
        assert_within_screen(page, edit)
        tab_to(page, edit, limit=200)
        overflowing, found = {}, {}
        for path in ("/cases", "/signals", f"/cases/{site.case_with_actions}", "/signals/new",
                     f"/cases/{site.case_with_actions}/actions/new",
                     f"/cases/{site.case_with_actions}/edit", "/account", "/account/tokens",
                     "/api/docs", f"/cases/{site.case_with_actions}/audit"):
            page.goto(path)
            if (extra := page.evaluate(OVERFLOW_JS)) > 1:
                overflowing[path] = (extra, page.evaluate(WIDEST_JS))
            if violations := axe_violations(page):
                found[path] = violations
        # The header as a program manager (more links) too: every link and button on screen.
        page.context.clear_cookies()
        log_in(page, EMAILS["admin"])
        for path in ("/signals", "/dashboard", f"/signals/{_new_signal(site)}/qualify",
                     site.paths["/cases/<case_key:key>/do/<action>"][0], "/users"):
            page.goto(path)
            if (extra := page.evaluate(OVERFLOW_JS)) > 1:
                overflowing[path] = (extra, page.evaluate(WIDEST_JS))
            if violations := axe_violations(page):
                found[path] = violations
        assert not overflowing, f"pages wider than the screen (px too wide): {overflowing}"
        assert not found, _report(found)
        header = page.locator("header.site-header")
        for control in header.locator("a, button").all():
            assert_within_screen(page, control)
        follow(page, page.get_by_role("navigation").get_by_role("link").nth(2))
        expect(page.locator("h1")).to_be_visible()
    finally:
        context.close()


def _new_signal(site: Site) -> str:
    qualify = site.paths["/signals/<int:signal_id>/qualify"][0]
    return qualify.split("/")[2]


# --- Without a browser: what the form macro writes -----------------------------------------


def test_a_field_with_an_error_is_marked_invalid_and_described_by_it(client, make, login_as):
    login_as(make.pm)
    page = client.post("/signals/new", data={}).get_data(as_text=True)
    title = re.search(r'<input[^>]*\bid="title"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in title
    assert 'aria-describedby="title-error"' in title
    assert re.search(r'<p class="error" id="title-error">[^<]+</p>', page)
    # Each id once, however many messages a field has.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1" autofocus>'
                        r'(.*?)</div>', page, re.S).group(1)
    assert '<a href="#title">' in summary


def test_a_field_with_a_hint_and_an_error_is_described_by_both(client, make, login_as):
    login_as(make.pm)
    page = client.post("/signals/new", data={"observed_at": "not a time"}).get_data(
        as_text=True)
    field = re.search(r'<input[^>]*\bid="observed_at"[^>]*>', page).group(0)
    assert 'aria-describedby="observed_at-error observed_at-hint"' in field
