"""The dashboard's figures and the exports of the queue and the inbox through the API: the
pages' own numbers and files, each count linking to the API list that counts it, strict
input, audited exports, and no restricted case for those who may not see it."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casework.extensions import db
from casework.models import AuditEvent, Case, Signal, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METRIC = re.compile(r'<a class="metric[^"]*" href="[^"]+"[^>]*>\s*'
                    r'<span class="metric-value">([^<]+)</span>'
                    r'<span class="metric-what">([^<]+)</span>')
RESTRICTED_TITLE = "Grooming in DMs"


def berlin_today() -> date:
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


@pytest.fixture
def token_for(app):
    def _token(user) -> str:
        from casework.api.tokens import create_token
        from casework.users.operations import find_user

        with app.app_context():
            _t, secret = create_token(None, find_user(user.email), "reports")
            db.session.commit()
            return secret

    return _token


class Api:
    def __init__(self, client, secret: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str):
        """``path`` under /api/v1, or a full path as the API's own links give it."""
        full = path if path.startswith("/api/v1/") else f"/api/v1{path}"
        return self.client.get(full, headers=self.headers)


@pytest.fixture
def api_as(app, token_for):
    def _api(user) -> Api:
        return Api(app.test_client(), token_for(user))

    return _api


@pytest.fixture
def page_as(app, make):
    """A browser logged in as ``user``, for the pages to compare with."""

    def _page(user):
        browser = app.test_client()
        response = browser.post("/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302
        return browser

    return _page


def _age(app, model, ids, days: int):
    with app.app_context():
        for row_id in ids:
            row = db.session.get(model, row_id)
            row.created_at = row.created_at - timedelta(days=days)
        db.session.commit()


@pytest.fixture
def world(app, make):
    """Signals and cases across the markets; one case restricted (owned by the factory's
    specialist), with an overdue action, as is one case everyone sees."""
    from casework.cases.operations import add_action

    signals = [make.signal(market="AT", source="news", category="misinformation")
               for _ in range(3)]
    signals += [make.signal(market="DE", source="social_media", category="hate_speech")
                for _ in range(2)]
    earlier = [make.signal(market="CH", source="authority", category="privacy")
               for _ in range(2)]
    _age(app, Signal, earlier, days=9)  # the week before: the previous period's
    cases = {
        "critical": make.case("assigned", title="Live-Mutproben in Wien", markets=["AT"],
                              category="youth_safety", likelihood=5, impact=5),
        "high": make.case("mitigating", title="Hasskommentare Bundesliga",
                          markets=["AT", "DE"], surfaces=["comments"], likelihood=3,
                          impact=4),
        "closed": make.case("closed", title="Betrugsanzeigen Krypto", markets=["DE"],
                            category="scams_fraud"),
        "low": make.case("qualified", title="Falschmeldung Abstimmung", markets=["CH"],
                         category="misinformation", likelihood=1, impact=2),
        "restricted": make.case("assigned", title=RESTRICTED_TITLE, markets=["AT"],
                                category="child_safety", likelihood=4, impact=5,
                                restricted=True),
        "dismissed": make.case("dismissed", title="Kein Risiko", markets=["AT"]),
    }
    with app.app_context():
        owner = db.session.get(User, make.specialist.id)
        for name in ("high", "restricted"):
            add_action(owner, db.session.get(Case, cases[name].id), title="Overdue",
                       team="operations", owner="Jana Wolf",
                       due=berlin_today() - timedelta(days=2), status="planned", outcome="")
        db.session.commit()
    return cases


def _figures(app, user, query_string: str = ""):
    """The dashboard's figures for ``user``, computed as the page computes them."""
    from flask import request

    from casework.reports.figures import Period, landscape

    with app.test_request_context(f"/dashboard?{query_string}"):
        args = request.args
        period = Period.from_values(args.get("from"), args.get("to"), args.get("market"))
        figures = landscape(db.session.get(User, user.id), period)
        return {
            "flows": vars(figures.flows), "previous": vars(figures.previous),
            "open_by_band": {band.value: n for band, n in figures.open_by_band.items()},
            "open_total": figures.open_total, "overdue_actions": figures.overdue_actions,
            "overdue_cases": figures.overdue_cases,
            "signals_by_day": {source.value: counts
                               for source, counts in figures.signals_by_day},
            "open_by_category_market": {(c.value, m.value): n for (c, m), n
                                        in figures.open_by_category_market.items() if n},
            "open_by_surface": {s.value: n for s, n in figures.open_by_surface},
            "emerging": [(e.category.value, e.count, e.average) for e in figures.emerging],
            "top_open": [c.key for c in figures.top_open],
            "closed": [c.key for c in figures.closed], "closed_total": figures.closed_total,
            "period": (period.first.isoformat(), period.last.isoformat()),
        }


def _page_numbers(browser, query_string: str) -> dict[str, str]:
    """{what: value} of the dashboard page's headline numbers."""
    response = browser.get(f"/dashboard?{query_string}")
    assert response.status_code == 200
    return {html.unescape(what): value for value, what in METRIC.findall(response.text)}


def _links(figures: dict):
    """Every (count, list) pair in the dashboard's JSON."""
    if isinstance(figures, dict):
        if "list" in figures and "count" in figures:
            yield figures["count"], figures["list"]
        for value in figures.values():
            yield from _links(value)
    elif isinstance(figures, list):
        for value in figures:
            yield from _links(value)


# --- The dashboard ---------------------------------------------------------------------------

@pytest.mark.parametrize("query_string", ["", "market=AT", "market=DE",
                                          "from={week_ago}&to={today}&market=CH"])
@pytest.mark.parametrize("role", ["leadership", "program_manager"])
def test_the_dashboard_json_has_the_pages_figures(app, make, world, api_as, page_as, role,
                                                  query_string):
    today = berlin_today()
    query_string = query_string.format(week_ago=today - timedelta(days=6), today=today)
    reader = make.pm if role == "program_manager" else make.user("leadership")
    response = api_as(reader).get(f"/dashboard?{query_string}")
    assert response.status_code == 200 and response.is_json
    got = response.get_json()
    expected = _figures(app, reader, query_string)

    assert (got["period"]["from"], got["period"]["to"]) == expected["period"]
    assert got["today"] == today.isoformat()
    for name in ("signals_in", "cases_opened", "cases_closed"):
        assert got[name]["count"] == expected["flows"][name], name
        assert got[name]["previous"] == expected["previous"][name], name
    for name in ("median_days_to_assign", "median_days_to_close"):
        assert got[name]["days"] == expected["flows"][name], name
        assert got[name]["previous"] == expected["previous"][name], name
    assert got["open_cases"]["count"] == expected["open_total"]
    assert {b["band"]: b["count"] for b in got["open_cases"]["by_band"]} == expected[
        "open_by_band"]
    assert (got["overdue_actions"]["count"], got["overdue_actions"]["cases"]) == (
        expected["overdue_actions"], expected["overdue_cases"])
    assert {s["source"]: [d["count"] for d in s["days"]]
            for s in got["signals_by_day"]} == expected["signals_by_day"]
    assert {(c["category"], c["market"]): c["count"]
            for c in got["open_by_category_market"] if c["count"]} == expected[
        "open_by_category_market"]
    assert {s["surface"]: s["count"] for s in got["open_by_surface"]} == expected[
        "open_by_surface"]
    assert [(e["category"], e["count"], e["average"])
            for e in got["emerging_categories"]] == expected["emerging"]
    assert [c["key"] for c in got["top_open_risks"]["items"]] == expected["top_open"]
    assert [c["key"] for c in got["closed_cases"]["items"]] == expected["closed"]
    assert got["closed_cases"]["count"] == expected["closed_total"]

    # The same numbers the page shows.
    shown = _page_numbers(page_as(reader), query_string)
    assert shown["Signals in"] == str(got["signals_in"]["count"])
    assert shown["Cases opened"] == str(got["cases_opened"]["count"])
    assert shown["Cases closed"] == str(got["cases_closed"]["count"])
    assert shown["Open cases (now)"] == str(got["open_cases"]["count"])
    assert shown["Overdue mitigation actions (now)"] == str(got["overdue_actions"]["count"])
    for band in got["open_cases"]["by_band"]:
        assert shown[f"Open now: {band['band'].title()}"] == str(band["count"])
    for name, what in (("median_days_to_assign", "Median days to assign"),
                       ("median_days_to_close", "Median days to close")):
        value = got[name]["days"]
        assert shown[what] == ("—" if value is None else f"{value:.1f}"), what


def test_every_count_links_to_the_api_list_that_counts_it(make, world, api_as):
    api = api_as(make.pm)
    figures = api.get("/dashboard?market=AT").get_json()
    links = list(_links(figures))
    assert len(links) > 50
    for count, link in links:
        assert link.startswith("/api/v1/"), link
        listed = api.get(link)
        assert listed.status_code == 200, (link, listed.get_json())
        assert listed.get_json()["total"] == count, link
    # Those that are not a count of the list's items.
    overdue = api.get(figures["overdue_actions"]["list"]).get_json()
    assert overdue["total"] == figures["overdue_actions"]["cases"] == 2
    assert {c["title"] for c in overdue["items"]} == {"Hasskommentare Bundesliga",
                                                     RESTRICTED_TITLE}
    assert api.get(figures["median_days_to_close"]["list"]).get_json()["total"] == figures[
        "cases_closed"]["count"]
    assert api.get(figures["top_open_risks"]["list"]).get_json()["total"] == figures[
        "open_cases"]["count"]
    assert figures["links"]["report"].startswith("/api/v1/landscape.pdf?")
    assert api.get(figures["links"]["self"]).get_json() == figures


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("program_manager", 200),
                                              ("leadership", 200), ("policy_specialist", 403)])
def test_leadership_and_managers_read_the_dashboard(make, api_as, role, status):
    response = api_as(make.user(role)).get("/dashboard")
    assert response.status_code == status and response.is_json
    if status == 403:
        assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("query_string", "field"), [
    ("from=2026-13-01", "from"), ("to=yesterday", "from"), ("market=FR", "market"),
    ("from=2026-02-01&to=2026-01-01", "from"), ("from=2020-01-01&to=2026-01-01", "from"),
    ("from=9999-12-31&to=9999-12-31", "from"), ("from=0001-01-01&to=0001-01-02", "from"),
    ("to=0001-01-01", "from"), ("from=2999-12-31", "from"),
])
def test_a_bad_period_or_market_is_refused_as_on_the_page(make, api_as, page_as, query_string,
                                                          field):
    leader = make.user("leadership")
    response = api_as(leader).get(f"/dashboard?{query_string}")
    assert response.status_code == 422, query_string
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and list(error["fields"]) == [field]
    page = page_as(leader).get(f"/dashboard?{query_string}")
    assert page.status_code == 422
    assert html.escape(error["message"], quote=True) in page.text


def test_a_specialist_is_refused_before_the_period_is_read(make, api_as):
    response = api_as(make.user("policy_specialist")).get("/dashboard?market=FR")
    assert response.status_code == 403


def test_restricted_cases_count_only_for_those_who_may_see_them(app, make, world, api_as):
    leader = api_as(make.user("leadership")).get("/dashboard?market=AT")
    manager = api_as(make.pm).get("/dashboard?market=AT")
    assert RESTRICTED_TITLE not in leader.text and RESTRICTED_TITLE in manager.text
    seen_by_leader, seen_by_manager = leader.get_json(), manager.get_json()
    # One restricted open case, critical, with an overdue action: one more for a manager.
    assert seen_by_manager["open_cases"]["count"] == seen_by_leader["open_cases"]["count"] + 1
    critical = {
        name: next(b["count"] for b in figures["open_cases"]["by_band"]
                   if b["band"] == "critical")
        for name, figures in (("leader", seen_by_leader), ("manager", seen_by_manager))}
    assert critical == {"leader": 1, "manager": 2}
    assert (seen_by_leader["overdue_actions"]["count"],
            seen_by_manager["overdue_actions"]["count"]) == (1, 2)
    assert world["restricted"].key not in {
        c["key"] for c in seen_by_leader["top_open_risks"]["items"]}
    # And the links keep to the reader's view: leadership's list leaves it out too.
    leader_api = api_as(make.user("leadership"))
    listed = leader_api.get(seen_by_leader["open_cases"]["list"]).get_json()
    assert listed["total"] == seen_by_leader["open_cases"]["count"]
    assert RESTRICTED_TITLE not in {c["title"] for c in listed["items"]}


# --- The exports --------------------------------------------------------------------------

def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _xlsx_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# (what, the page's query, the API's query): the same filters, as each reads them. The
# inbox page shows new signals when no status is given, the API every status: the page
# says "all" for that.
SAME_FILTERS = [
    ("cases", "", ""),
    ("cases", "market=AT&state=assigned", "market=AT&state=assigned"),
    ("cases", "state=open&sort=created", "state=open&sort=created"),
    ("cases", "band=critical&surface=live&overdue=1", "band=critical&surface=live&overdue=1"),
    ("cases", "opened_from={today}&opened_to={today}&q=Bundesliga",
     "opened_from={today}&opened_to={today}&q=Bundesliga"),
    ("cases", "closed_from={today}&closed_to={today}", "closed_from={today}&closed_to={today}"),
    ("cases", "owner=mine", "owner=me"),
    ("signals", "", "status=new"),
    ("signals", "status=all", ""),
    ("signals", "status=qualified&market=AT", "status=qualified&market=AT"),
    ("signals", "status=all&source=news&from={today}&to={today}",
     "source=news&from={today}&to={today}"),
]


@pytest.mark.parametrize(("what", "page_query", "api_query"), SAME_FILTERS)
def test_the_api_exports_the_pages_files(app, make, world, api_as, page_as, query, what,
                                         page_query, api_query):
    today = berlin_today().isoformat()
    page_query, api_query = page_query.format(today=today), api_query.format(today=today)
    reader = make.specialist  # the restricted case's owner: it is in the files
    page, api = page_as(reader), api_as(reader)

    from_page = page.get(f"/{what}/export.csv?{page_query}")
    from_api = api.get(f"/{what}/export.csv?{api_query}")
    assert from_api.status_code == 200 and from_api.mimetype == "text/csv"
    # The same rows; the API's file in canonical names and values, the page's for a reader.
    api_rows, page_rows = _csv_rows(from_api.get_data()), _csv_rows(from_page.get_data())
    assert [row[0] for row in api_rows[1:]] == [row[0] for row in page_rows[1:]]
    assert api_rows[0][0] == {"cases": "key", "signals": "id"}[what]
    assert page_rows[0][0] == {"cases": "Case", "signals": "ID"}[what]
    assert from_api.headers["Content-Disposition"] == from_page.headers["Content-Disposition"]

    xlsx_page = page.get(f"/{what}/export.xlsx?{page_query}")
    xlsx_api = api.get(f"/{what}/export.xlsx?{api_query}")
    assert xlsx_api.status_code == 200 and xlsx_api.mimetype == XLSX
    assert ([row[0] for row in _xlsx_rows(xlsx_api.get_data())[1:]]
            == [row[0] for row in _xlsx_rows(xlsx_page.get_data())[1:]])
    # The workbook holds the CSV's rows (its times as dates, its numbers as numbers).
    rows = _csv_rows(from_api.get_data())
    assert [[str(v) if v is not None else "" for v in row][:2]
            for row in _xlsx_rows(xlsx_api.get_data())] == [row[:2] for row in rows]

    # Each export is audited alike, with the same filters and the reader.
    events = query(sa.select(AuditEvent.actor_id, AuditEvent.action, AuditEvent.changes)
                   .where(AuditEvent.entity_type == "export").order_by(AuditEvent.id))
    assert [(actor, action, changes["format"]) for actor, action, changes in events] == [
        (reader.id, f"{what}_exported", fmt) for fmt in ("csv", "csv", "xlsx", "xlsx")]
    assert events[0][2] == events[1][2] and events[2][2] == events[3][2]


def test_the_exports_hold_what_the_filters_say(make, world, api_as):
    api = api_as(make.pm)
    rows = _csv_rows(api.get("/cases/export.csv?state=open&market=AT").get_data())
    header, body = rows[0], rows[1:]
    assert {row[header.index("title")] for row in body} == {
        "Live-Mutproben in Wien", "Hasskommentare Bundesliga", RESTRICTED_TITLE}
    overdue = _csv_rows(api.get("/cases/export.csv?overdue=1").get_data())[1:]
    assert len(overdue) == 2
    signals = _csv_rows(api.get("/signals/export.csv?market=AT&source=news").get_data())
    assert len(signals) == 1 + 3
    sheet = _xlsx_rows(api.get("/cases/export.xlsx?state=open&market=AT").get_data())
    assert sheet[0] == header and len(sheet) == 4
    assert isinstance(sheet[1][header.index("score")], int)


@pytest.mark.parametrize(("path", "field"), [
    ("/cases/export.csv?state=bogus", "state"), ("/cases/export.xlsx?market=FR", "market"),
    ("/cases/export.csv?band=extreme", "band"), ("/cases/export.csv?sort=title", "sort"),
    ("/cases/export.csv?owner=nobody@casework.example", "owner"),
    ("/cases/export.csv?opened_from=2026-02-30", "opened_from"),
    ("/cases/export.xlsx?closed_to=soon", "closed_to"),
    ("/cases/export.csv?opened_to=9999-12-31", "opened_to"),
    ("/cases/export.csv?overdue=maybe", "overdue"),
    ("/signals/export.csv?status=all", "status"), ("/signals/export.xlsx?source=fax", "source"),
    ("/signals/export.csv?from=2026-1-1x", "from"), ("/signals/export.csv?to=0001-01-01", "to"),
    ("/cases?state=closing", "state"), ("/cases?overdue=yes", "overdue"),
    ("/signals?from=tomorrow", "from"),
])
def test_bad_filters_are_refused_and_nothing_is_exported(make, api_as, query, path, field):
    response = api_as(make.pm).get(path)
    assert response.status_code == 422, path
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert query(sa.select(AuditEvent.id).where(AuditEvent.entity_type == "export")) == []


def test_restricted_cases_stay_out_of_a_specialists_exports(make, world, api_as):
    other = api_as(make.user("policy_specialist"))
    owner, manager = api_as(make.specialist), api_as(make.pm)
    for path in ("/cases/export.csv", "/signals/export.csv"):
        assert RESTRICTED_TITLE not in other.get(path).get_data(as_text=True), path
    assert RESTRICTED_TITLE not in str(_xlsx_rows(other.get("/cases/export.xlsx").get_data()))
    for api in (owner, manager):
        assert RESTRICTED_TITLE in api.get("/cases/export.csv").get_data(as_text=True)
    # The restricted case's signal goes with it.
    key = world["restricted"].key
    assert key not in other.get("/signals/export.csv").get_data(as_text=True)
    assert key in manager.get("/signals/export.csv").get_data(as_text=True)


def test_the_new_list_filters_match_the_queues(make, world, api_as, page_as):
    """The filters the dashboard links with: the API's list counts what the page lists."""
    today = berlin_today().isoformat()
    api, page = api_as(make.pm), page_as(make.pm)
    count = re.compile(r'<p class="count">(\d+) (?:case|signal)s?</p>')
    for list_path, args in (
            ("/cases", "state=open"), ("/cases", "state=open&surface=comments"),
            ("/cases", f"opened_from={today}&opened_to={today}"),
            ("/cases", f"closed_from={today}&closed_to={today}"), ("/cases", "overdue=1"),
            ("/signals", f"from={today}&to={today}")):
        total = api.get(f"{list_path}?{args}").get_json()["total"]
        page_args = args + ("&status=all" if list_path == "/signals" else "")
        shown = int(count.search(page.get(f"{list_path}?{page_args}").text).group(1))
        assert total == shown, (list_path, args)


def test_control_characters_do_not_break_a_workbook(make, api_as, page_as):
    """Text from outside may hold control characters, which XLSX cannot: they show as the
    replacement character (the CSV keeps them), in the page's export as in the API's."""
    make.signal(title="Bell\x07 and escape\x1b[31m", description="Tab\tand\nline")
    api, page = api_as(make.pm), page_as(make.pm)
    for response, names in ((api.get("/signals/export.xlsx"), ("title", "description")),
                            (page.get("/signals/export.xlsx?status=all"),
                             ("Title", "Description"))):
        assert response.status_code == 200
        header, row = _xlsx_rows(response.get_data())
        assert row[header.index(names[0])] == "Bell\ufffd and escape\ufffd[31m"
        assert row[header.index(names[1])] == "Tab\tand\nline"
    rows = _csv_rows(api.get("/signals/export.csv").get_data())
    assert rows[1][rows[0].index("title")] == "Bell\x07 and escape\x1b[31m"
