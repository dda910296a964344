"""The leadership dashboard and the risk landscape report (Lagebericht): every number
matches a count made independently here, links to the queue behind it, and leaves out
restricted cases for those who may not see them."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from casework.extensions import db
from casework.models import AuditEvent, Case, Signal, User

METRIC = re.compile(r'<a class="metric[^"]*" href="([^"]+)"[^>]*>\s*'
                    r'<span class="metric-value">([^<]+)</span>'
                    r'<span class="metric-what">([^<]+)</span>')
COUNT = re.compile(r'<p class="count">(\d+) (?:case|signal)s?</p>')


def berlin_today() -> date:
    """The day the app reports in (its time zone), not the test machine's."""
    return datetime.now(ZoneInfo("Europe/Berlin")).date()


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def metrics(page: str) -> dict[str, tuple[str, str]]:
    """{what: (value, link)} of the dashboard's headline numbers."""
    return {html.unescape(what): (value, html.unescape(href))
            for href, value, what in METRIC.findall(page)}


@pytest.fixture
def landscape_world(app, make):
    """Signals and cases across the three markets, one of them restricted."""
    from casework.cases.operations import add_action

    for _ in range(3):
        make.signal(market="AT", source="news", category="misinformation")
    for _ in range(2):
        make.signal(market="DE", source="social_media", category="hate_speech")
    make.signal(market="CH", source="authority", category="privacy")
    cases = {
        "critical_at": make.case("assigned", title="Live-Mutproben in Wien", markets=["AT"],
                                 category="youth_safety", likelihood=5, impact=5),
        "high_at_de": make.case("mitigating", title="Hasskommentare Bundesliga",
                                markets=["AT", "DE"], surfaces=["comments"], likelihood=3,
                                impact=4),
        "closed_de": make.case("closed", title="Betrugsanzeigen Krypto", markets=["DE"],
                               category="scams_fraud"),
        "low_ch": make.case("qualified", title="Falschmeldung Abstimmung", markets=["CH"],
                            category="misinformation", likelihood=1, impact=2),
        "restricted_at": make.case("assigned", title="Grooming in DMs", markets=["AT"],
                                   category="child_safety", likelihood=4, impact=5,
                                   restricted=True),
        "dismissed_at": make.case("dismissed", title="Kein Risiko", markets=["AT"]),
    }
    with app.app_context():
        owner = db.session.get(User, make.specialist.id)
        for name, due in (("high_at_de", berlin_today() - timedelta(days=3)),
                          ("restricted_at", berlin_today() - timedelta(days=1))):
            add_action(owner, db.session.get(Case, cases[name].id), title="Overdue",
                       team="operations", owner="Jana Wolf", due=due, status="planned",
                       outcome="")
        db.session.commit()
    return cases


def expected_counts(query, *, market: str | None, sees_restricted: bool) -> dict[str, int]:
    """The headline numbers counted straight from the tables, without the app's queries."""
    hidden_cases = "" if sees_restricted else " AND NOT c.restricted"
    in_market = (f" AND EXISTS (SELECT 1 FROM case_markets m WHERE m.case_id = c.id"
                 f" AND m.market = '{market}')") if market else ""
    cases = f"FROM cases c WHERE 1=1{hidden_cases}{in_market}"
    open_states = "('qualified', 'assigned', 'mitigating', 'in_review')"

    def one(sql: str) -> int:
        return query(sa.text(sql))[0][0]

    signal_market = f" AND s.market = '{market}'" if market else ""
    signal_hidden = ("" if sees_restricted else
                     " AND (s.case_id IS NULL OR s.case_id NOT IN"
                     " (SELECT id FROM cases WHERE restricted))")
    bands = {"Low": (1, 4), "Medium": (5, 9), "High": (10, 16), "Critical": (17, 25)}
    counts = {
        "Signals in": one(f"SELECT count(*) FROM signals s WHERE 1=1{signal_market}"
                          f"{signal_hidden}"),
        "Cases opened": one(f"SELECT count(*) {cases}"),
        "Cases closed": one(f"SELECT count(*) {cases} AND c.state = 'closed'"),
        "Open cases (now)": one(f"SELECT count(*) {cases} AND c.state IN {open_states}"),
        "Overdue mitigation actions (now)": one(
            f"SELECT count(*) FROM mitigation_actions a WHERE a.status IN "
            f"('planned', 'in_progress') AND a.due < '{berlin_today().isoformat()}' AND a.case_id "
            f"IN (SELECT c.id {cases})"),
    }
    for band, (low, high) in bands.items():
        counts[f"Open now: {band}"] = one(
            f"SELECT count(*) {cases} AND c.state IN {open_states} "
            f"AND c.score BETWEEN {low} AND {high}")
    return counts


@pytest.mark.parametrize("market", [None, "AT", "DE"])
@pytest.mark.parametrize("role", ["leadership", "program_manager"])
def test_every_number_matches_an_independent_count_and_links_to_it(
        client, login_as, make, landscape_world, query, role, market):
    login_as(make.pm if role == "program_manager" else "leadership")
    response = client.get("/dashboard" + (f"?market={market}" if market else ""))
    assert response.status_code == 200
    shown = metrics(response.text)
    expected = expected_counts(query, market=market, sees_restricted=role != "leadership")
    assert {what: int(shown[what][0]) for what in expected} == expected
    assert {"Median days to assign", "Median days to close"} <= set(shown)
    # Each number links to the queue or inbox that lists what it counts.
    for what, (value, link) in shown.items():
        if what.startswith("Median") or what.startswith("Overdue"):
            continue
        listed = client.get(link)
        assert listed.status_code == 200, link
        assert int(COUNT.search(listed.text).group(1)) == int(value), (what, link)
    overdue_cases = client.get(shown["Overdue mitigation actions (now)"][1]).text
    assert "Hasskommentare Bundesliga" in overdue_cases
    assert ("Grooming in DMs" in overdue_cases) == (role != "leadership" and market != "DE")


def test_restricted_cases_stay_out_of_leaderships_dashboard_and_report(
        client, login_as, make, landscape_world):
    login_as("leadership")
    page = client.get("/dashboard?market=AT").text
    assert "Live-Mutproben in Wien" in page
    assert "Grooming in DMs" not in page
    text = pdf_text(client.get("/dashboard/landscape.pdf?market=AT").data)
    assert "Live-Mutproben in Wien" in text
    assert "Grooming in DMs" not in text


def test_a_program_manager_sees_restricted_cases_in_the_numbers(client, login_as, make,
                                                                landscape_world):
    login_as(make.pm)
    assert "Grooming in DMs" in client.get("/dashboard?market=AT").text
    assert "Grooming in DMs" in pdf_text(client.get("/dashboard/landscape.pdf?market=AT").data)


def test_the_landscape_pdf_has_the_dashboards_numbers(client, login_as, make, landscape_world,
                                                      query):
    leader = login_as("leadership")
    today = berlin_today()
    first = today - timedelta(days=6)
    response = client.get(f"/dashboard/landscape.pdf?from={first}&to={today}&market=AT")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"lagebericht-AT-{first}-{today}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    expected = expected_counts(query, market="AT", sees_restricted=False)
    assert "Risk landscape: Austria" in text
    for what in ("Signals in", "Cases opened", "Cases closed"):
        assert f"{expected[what]} {what}" in text, what
    assert f"{expected['Open cases (now)']} Open cases (now)" in text
    assert f"Critical {expected['Open now: Critical']}" in text
    for heading in ("Signals per day by source", "Open cases by category and market",
                    "Open cases by product surface", "Top open risks",
                    "Cases closed in the period", "Emerging categories"):
        assert heading in text
    assert "Page 1 of" in text and "Confidential" in text
    rows = query(sa.select(AuditEvent.entity_type, AuditEvent.actor_id, AuditEvent.changes)
                 .where(AuditEvent.action == "landscape_downloaded"))
    assert rows == [("report", leader.id, {"from": first.isoformat(), "to": today.isoformat(),
                                           "market": "AT"})]


def test_the_dashboard_and_the_pdf_draw_the_same_charts(app, client, login_as, make,
                                                        landscape_world):
    login_as("leadership")
    page = client.get("/dashboard").text
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "<script" not in page
    # A chart's bars link to the inbox of that source and day.
    assert "/signals?status=all&amp;source=news&amp;from=" in page


def test_a_bad_period_is_refused_with_a_message(client, login_as, make):
    login_as("leadership")
    response = client.get("/dashboard?from=2026-13-01")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.text and "Showing the last 7 days instead" in response.text
    for query_string in ("from=2026-02-01&to=2026-01-01", "market=FR",
                         "from=2020-01-01&to=2026-01-01"):
        response = client.get(f"/dashboard/landscape.pdf?{query_string}")
        assert response.status_code == 422, query_string
        assert response.mimetype == "text/html"


def test_leadership_lands_on_the_dashboard_and_sees_it_in_the_nav(client, make, auth):
    user = make.user("leadership")
    assert auth.login(user).location == "/dashboard"
    assert 'href="/dashboard"' in client.get("/cases").text


def test_specialists_have_no_dashboard_link(client, login_as):
    login_as("policy_specialist")
    assert 'href="/dashboard"' not in client.get("/cases").text
    assert client.get("/dashboard").status_code == 403


# --- The figures themselves -----------------------------------------------------------------

def _age(app, model, ids, days: int, column: str = "created_at"):
    with app.app_context():
        for row_id in ids:
            row = db.session.get(model, row_id)
            setattr(row, column, getattr(row, column) - timedelta(days=days))
        db.session.commit()


def test_emerging_categories_rise_above_their_own_average(app, make):
    from casework.reports.figures import Period, landscape

    now = [make.signal(category="misinformation", source="news") for _ in range(3)]
    now += [make.signal(category="privacy", source="user_report") for _ in range(2)]
    before = [make.signal(category="misinformation", source="escalation") for _ in range(4)]
    steady = [make.signal(category="scams_fraud", source="escalation") for _ in range(4)]
    _age(app, Signal, before + steady[:3], days=10)
    with app.test_request_context():
        reader = db.session.get(User, make.pm.id)
        figures = landscape(reader, Period.default())
    # misinformation: 3 now against 4 over the 4 periods before (1 each): +2;
    # privacy: 2 against 0: +2 (fewer signals, so second); scams: 1 against 0.75.
    assert [(e.category.value, e.count, e.average) for e in figures.emerging] == [
        ("misinformation", 3, 1.0), ("privacy", 2, 0.0), ("scams_fraud", 1, 0.75)]
    by_source = dict(figures.signals_by_day)
    assert by_source["news"][-1] == 3 and by_source["user_report"][-1] == 2
    assert sum(sum(counts) for counts in by_source.values()) == len(now) + 1
    assert figures.flows.signals_in == len(now) + 1
    assert figures.previous.signals_in == 7  # aged 10 days: within the week before


def test_median_days_to_close_and_the_previous_period(app, make):
    from casework.reports.figures import Period, landscape

    four = make.case("closed")
    two = make.case("closed")
    _age(app, Case, [four.id], days=4)
    _age(app, Case, [two.id], days=2)
    with app.test_request_context():
        figures = landscape(db.session.get(User, make.pm.id), Period.default())
    assert figures.flows.cases_closed == 2
    assert figures.flows.median_days_to_close == pytest.approx(3.0, abs=0.05)
    # Both were opened (now 4 and 2 days ago) in the period and assigned just now.
    assert figures.flows.median_days_to_assign == pytest.approx(3.0, abs=0.05)
    assert figures.flows.cases_opened == 2
    assert figures.previous.cases_closed == 0


def test_the_queue_and_inbox_filters_behind_the_numbers(client, login_as, make, app):
    old = make.case("assigned", markets=["AT"], surfaces=["live"])
    new = make.case("qualified", markets=["AT"], surfaces=["search"])
    closed = make.case("closed", markets=["DE"])
    _age(app, Case, [old.id], days=10)
    login_as(make.pm)
    today, week_ago = berlin_today(), berlin_today() - timedelta(days=6)

    def keys(url):
        page = client.get(url).text
        return {key for key in (old.key, new.key, closed.key) if key in page}

    assert keys("/cases?state=open") == {old.key, new.key}
    assert keys("/cases?state=open&surface=search") == {new.key}
    assert keys(f"/cases?opened_from={week_ago}&opened_to={today}") == {new.key, closed.key}
    assert keys(f"/cases?closed_from={week_ago}&closed_to={today}") == {closed.key}
    assert keys("/cases?closed_from=2000-01-01&closed_to=2000-01-02") == set()
    assert keys("/cases?opened_from=not-a-date") == {old.key, new.key, closed.key}
    page = client.get(f"/cases?state=open&surface=search&opened_from={week_ago}").text
    assert 'name="surface" value="search"' in page  # kept when the form is used
    assert 'value="open" selected' in page
    inbox = client.get(f"/signals?status=all&from={today}&to={today}").text
    assert f'name="from" value="{today}"' in inbox
    assert int(COUNT.search(inbox).group(1)) == 3
    assert int(COUNT.search(client.get("/signals?status=all&to=2000-01-01").text).group(1)) == 0


# --- The command line -----------------------------------------------------------------------

def test_the_landscape_command_writes_the_report(runner, make, landscape_world, tmp_path, query):
    target = tmp_path / "lagebericht.pdf"
    today = berlin_today()
    result = runner.invoke(args=["casework", "landscape", "--from",
                                 (today - timedelta(days=6)).isoformat(), "--to",
                                 today.isoformat(), "--market", "AT", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = pdf_text(target.read_bytes())
    assert "Risk landscape: Austria" in text and "Live-Mutproben in Wien" in text
    assert "Grooming in DMs" not in text  # the command line sees no restricted case
    assert query(sa.select(AuditEvent.actor_id, AuditEvent.changes)
                 .where(AuditEvent.action == "landscape_downloaded"))[0][1]["market"] == "AT"
    result = runner.invoke(args=["casework", "landscape", "--market", "AT", "-o", str(target),
                                 "--as", make.pm.email])
    assert result.exit_code == 0, result.output
    assert "Grooming in DMs" in pdf_text(target.read_bytes())


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-02-30"], "YYYY-MM-DD"),
    (["--from", "2026-03-01", "--to", "2026-02-01"], "start before it ends"),
    (["--market", "FR"], "Unknown market"),
    (["--as", "nobody@casework.example"], "no active user"),
    (["--as", "SPECIALIST"], "may not read the risk landscape"),
])
def test_the_landscape_command_refuses_cleanly(runner, make, tmp_path, args, message):
    args = [make.specialist.email if a == "SPECIALIST" else a for a in args]
    result = runner.invoke(args=["casework", "landscape", *args, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert not (tmp_path / "x.pdf").exists()


def test_the_overdue_number_says_in_how_many_cases_and_links_to_them(
        app, client, login_as, make, landscape_world):
    from casework.cases.operations import add_action

    with app.app_context():  # a second overdue action on a case that has one already
        add_action(db.session.get(User, make.specialist.id),
                   db.session.get(Case, landscape_world["high_at_de"].id), title="Also late",
                   team="operations", owner="Jana Wolf",
                   due=berlin_today() - timedelta(days=2), status="in_progress", outcome="")
        db.session.commit()
    login_as(make.pm)
    page = client.get("/dashboard").text
    value, link = metrics(page)["Overdue mitigation actions (now)"]
    assert value == "3"  # two on one case, one on the restricted case
    assert "in 2 cases" in page
    assert int(COUNT.search(client.get(link).text).group(1)) == 2


def test_a_change_shows_on_the_next_view(client, login_as, make, landscape_world):
    """The counts are kept between views, but never past a change: any change to a case
    or signal moves the audit chain's head, and with it what the counts are kept under."""
    login_as(make.pm)
    before = metrics(client.get("/dashboard").text)
    assert metrics(client.get("/dashboard").text) == before  # kept: the same numbers
    make.case("qualified", markets=["CH"], likelihood=5, impact=5)
    make.signal(market="CH")
    after = metrics(client.get("/dashboard").text)
    assert int(after["Open now: Critical"][0]) == int(before["Open now: Critical"][0]) + 1
    # The case was qualified from a signal of its own; and one more signal came in.
    assert int(after["Signals in"][0]) == int(before["Signals in"][0]) + 2
    assert int(after["Cases opened"][0]) == int(before["Cases opened"][0]) + 1


def test_what_one_reader_may_see_is_not_shown_to_the_next(client, make, auth,
                                                          landscape_world, query):
    """The kept counts are per view: a program manager's (with the restricted case) are
    never handed to leadership in the same process."""
    auth.login(make.pm)
    pm_open = int(metrics(client.get("/dashboard").text)["Open cases (now)"][0])
    auth.logout()
    auth.login(make.user("leadership"))
    leadership_open = int(metrics(client.get("/dashboard").text)["Open cases (now)"][0])
    assert leadership_open == pm_open - 1
    assert leadership_open == expected_counts(query, market=None, sees_restricted=False)[
        "Open cases (now)"]


@pytest.mark.parametrize("first, last, stamps", [
    # Summer time ends on 25 October 2026 (03:00 CEST -> 02:00 CET).
    (date(2026, 10, 24), date(2026, 10, 27), [
        "2026-10-23T21:59:00", "2026-10-23T22:00:00", "2026-10-24T21:59:59",
        "2026-10-24T22:00:00", "2026-10-25T00:30:00", "2026-10-25T01:30:00",
        "2026-10-25T22:59:00", "2026-10-25T23:00:00", "2026-10-27T22:59:59"]),
    # Summer time begins on 29 March 2026 (02:00 CET -> 03:00 CEST).
    (date(2026, 3, 28), date(2026, 3, 30), [
        "2026-03-27T22:59:59", "2026-03-27T23:00:00", "2026-03-28T22:59:00", "2026-03-28T23:00:00",
        "2026-03-29T00:59:00", "2026-03-29T01:00:00", "2026-03-29T21:59:00",
        "2026-03-29T22:00:00", "2026-03-30T21:59:59", "2026-03-30T22:00:00"]),
])
def test_signals_count_on_their_local_day_across_a_clock_change(app, make, first, last,
                                                                 stamps):
    """The database buckets signals by day in Berlin time, also on the days the clocks
    change; the expectation is computed here with Python's own time zone data."""
    from casework.models.types import frozen_time
    from casework.reports.figures import Period, landscape

    berlin = ZoneInfo("Europe/Berlin")
    moments = [datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo("UTC"))
               for stamp in stamps]
    for moment in moments:
        with frozen_time(moment):
            make.signal(source="news")
    period = Period(first, last)
    expected = [sum(1 for moment in moments if moment.astimezone(berlin).date() == day)
                for day in period.each_day()]
    with app.test_request_context():
        figures = landscape(db.session.get(User, make.pm.id), period, today=last)
    assert dict(figures.signals_by_day)["news"] == expected
    assert sum(expected) < len(moments)  # some fall outside the period, on either side
