"""PDF case summaries: read back with pypdf, for both audiences, safe against hostile text."""

from __future__ import annotations

import io
import re
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from casework.extensions import db
from casework.models import AuditEvent, Case, User

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
COMMENT_TEXT = "Zeuge Quokka-7731 meldete sich intern"


def pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text with runs of whitespace made one space, and its page count."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)


def add_comment(app, case, author, body):
    from casework.cases.operations import add_comment as add

    with app.app_context():
        add(db.session.get(User, author.id), db.session.get(Case, case.id), body)
        db.session.commit()


def add_action(app, case, actor, **fields):
    from casework.cases.operations import add_action as add

    values = dict(title="Moderator guideline refresh", team="operations", owner="Jana Wolf",
                  due=date.today(), status="planned", outcome="")
    values.update(fields)
    with app.app_context():
        add(db.session.get(User, actor.id), db.session.get(Case, case.id), **values)
        db.session.commit()


@pytest.fixture
def closed_case(app, make):
    """A closed case with an action, a review and a comment whose text is unique."""
    case = make.case("closed", title="Hassrede unter Live-Streams: Größe ändert sich",
                     summary="Koordinierte Kommentare gegen Streamerinnen in Österreich.",
                     markets=["AT", "DE"])
    add_comment(app, case, make.specialist, COMMENT_TEXT)
    return case


def test_the_internal_summary_holds_the_whole_case(client, login_as, make, closed_case, query):
    login_as(make.pm)
    response = client.get(f"/cases/{closed_case.key}/summary.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    text, pages = pdf_text(response.data)
    assert closed_case.key in text
    assert "Hassrede unter Live-Streams: Größe ändert sich" in text
    assert "Österreich" in text
    assert "Sven Spezialist" in text  # the owner
    assert "Keyword list update" in text and "Jana Wolf" in text and "Shipped" in text
    assert "Content Policy" in text
    assert "Rita Review" in text and "Mitigated well" in text  # the review and its note
    assert "Residual risk: 1 × 2 = 2" in text  # noqa: RUF001
    assert COMMENT_TEXT in text
    assert "opened the case" in text and "approved and closed the case" in text
    assert "Internal edition" in text
    assert "Page 1 of" in text and f"Page {pages} of {pages}" in text
    assert text.count("Confidential") >= pages
    fingerprint = query(sa.select(AuditEvent.changes).where(
        AuditEvent.action == "pdf_downloaded"))[0][0]["fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert fingerprint in text


def test_the_partner_summary_leaves_out_comments_names_emails_and_evidence(
        client, login_as, make, closed_case, query):
    leader = login_as("leadership")
    response = client.get(f"/cases/{closed_case.key}/summary.pdf?audience=partner")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text, _pages = pdf_text(response.data)
    assert closed_case.key in text and "Partner edition" in text
    assert "leaves out comments" in text  # says so on the cover
    assert COMMENT_TEXT not in text and "Zeuge" not in text
    assert not EMAIL.search(text), EMAIL.search(text)
    for name in ("Sven Spezialist", "Rita Review", "Paula Programm", leader.name):
        assert name not in text
    assert "Policy specialist" in text  # the owner's role
    assert "news.example.org" not in text  # the signal's link: evidence
    assert "Mitigated well" not in text  # an internal note
    assert "Keyword list update" in text and "Jana Wolf" in text  # the partner's own action
    assert "Page 1 of" in text


def test_partner_free_text_loses_email_addresses(client, login_as, make):
    case = make.case("assigned", summary="Ask anna.berger@partner.example for the list.")
    login_as(make.pm)
    text, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf?audience=partner").data)
    assert "anna.berger" not in text and "[e-mail removed]" in text
    internal, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    assert "anna.berger@partner.example" in internal


def test_partner_text_names_team_members_only_by_role(app, client, login_as, make):
    case = make.case("mitigating", summary="Sven Spezialist spoke to Rita Review about it.")
    add_action(app, case, make.specialist, owner=make.reviewer.email,
               outcome="Paula Programm signed off.")
    login_as("leadership")
    text, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf?audience=partner").data)
    for name in ("Sven Spezialist", "Rita Review", "Paula Programm"):
        assert name not in text
    assert "Policy specialist spoke to Program manager about it." in text
    assert "Program manager signed off." in text


def test_a_download_is_audited_with_its_audience_and_fingerprint(client, login_as, make,
                                                                 closed_case, query):
    leader = login_as("leadership")
    client.get(f"/cases/{closed_case.key}/summary.pdf?audience=partner")
    client.get(f"/cases/{closed_case.key}/summary.pdf")
    rows = query(sa.select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.case_id,
                           AuditEvent.actor_id, AuditEvent.changes)
                 .where(AuditEvent.action == "pdf_downloaded").order_by(AuditEvent.id))
    assert [(r[0], r[1], r[2], r[3], r[4]["audience"]) for r in rows] == [
        ("case", closed_case.id, closed_case.id, leader.id, "partner"),
        ("case", closed_case.id, closed_case.id, leader.id, "internal"),
    ]
    # Both copies show the same data, so they carry the same fingerprint: downloading is
    # not a change of the case.
    assert rows[0][4]["fingerprint"] == rows[1][4]["fingerprint"]


def test_the_fingerprint_changes_with_the_case(app, client, login_as, make, closed_case, query):
    login_as(make.pm)
    client.get(f"/cases/{closed_case.key}/summary.pdf")
    add_comment(app, closed_case, make.pm, "One more thought")
    client.get(f"/cases/{closed_case.key}/summary.pdf")
    first, second = (row[0]["fingerprint"] for row in query(
        sa.select(AuditEvent.changes).where(AuditEvent.action == "pdf_downloaded")
        .order_by(AuditEvent.id)))
    assert first != second


def test_the_fingerprint_is_sha256_of_the_canonical_case_data(app, make, closed_case):
    import hashlib
    import json

    from casework.reports.summary import Audience, build_summary, case_data
    from casework.reports.summary import _events as events_of

    with app.test_request_context():
        case = db.session.get(Case, closed_case.id)
        data = case_data(case, events_of(case))
        expected = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"),
                                             ensure_ascii=False).encode()).hexdigest()
        summary = build_summary(case, Audience.INTERNAL, generated_by="x",
                                now=case.updated_at)
        later = build_summary(case, Audience.PARTNER, generated_by="y",
                              now=case.updated_at + timedelta(days=1))
    assert summary.fingerprint == expected == later.fingerprint
    assert data["case"]["key"] == closed_case.key
    assert COMMENT_TEXT in json.dumps(data, ensure_ascii=False)


def test_a_long_case_breaks_across_pages_with_footers(app, client, login_as, make):
    case = make.case("mitigating")
    for n in range(25):
        add_action(app, case, make.specialist, title=f"Maßnahme Nummer {n:02d}",
                   outcome="Ergebnis " * 20)
    login_as(make.pm)
    text, pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    assert pages >= 3
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text
    assert all(f"Maßnahme Nummer {n:02d}" in text for n in range(25))
    # The actions table's header is repeated on the pages it continues on.
    assert text.count("Team Who Due Status Outcome") >= 2


def test_the_shipped_font_is_embedded(client, login_as, make):
    case = make.case("assigned", title="Jugendschutz: Äußerungen über Mädchen")
    login_as(make.pm)
    reader = PdfReader(io.BytesIO(client.get(f"/cases/{case.key}/summary.pdf").data))
    fonts = {str(font.get_object()["/BaseFont"])
             for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    # Only the @font-face of pdf.css (static/fonts), never a font of the system.
    assert fonts and all("Casework-Sans" in font for font in fonts), fonts
    assert "Jugendschutz: Äußerungen über Mädchen" in pdf_text(
        client.get(f"/cases/{case.key}/summary.pdf").data)[0]


# --- Who may download ----------------------------------------------------------------------

@pytest.mark.parametrize("audience", ["internal", "partner"])
@pytest.mark.parametrize("role", ["admin", "program_manager", "policy_specialist",
                                  "leadership"])
def test_every_role_that_reads_a_case_gets_its_pdf(client, login_as, make, role, audience):
    case = make.case("assigned")
    login_as(role)
    response = client.get(f"/cases/{case.key}/summary.pdf?audience={audience}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


@pytest.mark.parametrize(("who", "status"), [
    ("owner", 200), ("program_manager", 200), ("admin", 200),
    ("other_specialist", 404), ("leadership", 404),
])
def test_a_restricted_case_is_only_for_those_who_see_it(client, login_as, make, query,
                                                        who, status):
    case = make.case("assigned", title="Grooming in DMs", category="child_safety",
                     restricted=True)
    user = {"owner": make.specialist, "program_manager": make.pm}.get(who) or make.user(
        {"other_specialist": "policy_specialist"}.get(who, who))
    login_as(user)
    response = client.get(f"/cases/{case.key}/summary.pdf")
    assert response.status_code == status
    if status == 404:
        assert response.mimetype == "text/html"
        assert not query(sa.select(AuditEvent.id).where(AuditEvent.action == "pdf_downloaded"))


def test_an_unknown_audience_is_invalid_input(client, login_as, make):
    case = make.case("assigned")
    login_as(make.pm)
    response = client.get(f"/cases/{case.key}/summary.pdf?audience=press")
    assert response.status_code == 422
    assert "Use one of: internal, partner." in response.text
    assert client.get("/cases/RISK-1999-0001/summary.pdf").status_code == 404


def test_the_case_page_offers_both_pdfs(client, login_as, make):
    case = make.case("assigned")
    login_as("leadership")
    page = client.get(f"/cases/{case.key}").text
    assert f'href="/cases/{case.key}/summary.pdf"' in page
    assert f'href="/cases/{case.key}/summary.pdf?audience=partner"' in page


# --- Hostile text ---------------------------------------------------------------------------

class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # the name http.server calls
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    _Recorder.requests = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join()


def hostile_texts(base: str) -> dict[str, str]:
    return {
        "title": '<img src="file:///etc/passwd"><link rel="stylesheet" href="' + base + '/t">',
        "summary": (f'<link rel="stylesheet" href="{base}/s.css">'
                    f'<style>@import url({base}/i.css); body {{ background: url({base}/b) }}'
                    f'</style><iframe src="{base}/f"></iframe><object data="file:///etc/passwd">'),
        "assessment": (f'"; }} </style><img src="{base}/a.png">'
                       f'<svg><image href="{base}/svg.png"/></svg>'
                       f'<p style="background: url({base}/p)">x</p>'),
    }


@pytest.mark.parametrize("audience", ["internal", "partner"])
def test_hostile_text_prints_as_text_and_fetches_nothing(app, client, login_as, make, listener,
                                                         audience):
    base, requests = listener
    texts = hostile_texts(base)
    case = make.case("mitigating", **texts)
    add_action(app, case, make.specialist, title=f'<img src="{base}/action.png">',
               owner=f'<link href="{base}/owner">', outcome=f"url({base}/outcome)")
    add_comment(app, case, make.specialist, f'<img src="{base}/comment.png">')
    make.signal(title=f'<img src="{base}/signal.png">', url=f"{base}/evidence")
    login_as(make.pm)
    response = client.get(f"/cases/{case.key}/summary.pdf?audience={audience}")
    assert response.status_code == 200
    text, _pages = pdf_text(response.data)
    assert requests == []
    assert "file:///etc/passwd" in text  # printed, not fetched
    assert f'<link rel="stylesheet" href="{base}/s.css">' in text
    assert "@import url(" in text
    assert b"root:x:0:0" not in response.data


def test_the_fetcher_refuses_everything_outside_static(app, listener):
    from weasyprint import HTML

    from casework.reports.rendering import StaticOnlyFetcher

    base, requests = listener
    html = (f'<link rel="stylesheet" href="{base}/x.css"><img src="file:///etc/passwd">'
            f'<img src="../../../../etc/passwd"><img src="data:text/html,<b>x</b>">'
            f'<style>@import url("{base}/y.css"); @import url("fonts/../../casework/__init__.py");'
            f'</style><p>x</p>')
    with app.app_context():
        fetcher = StaticOnlyFetcher(app.static_folder)
        HTML(string=html, base_url=app.static_folder + "/", url_fetcher=fetcher).write_pdf()
    assert requests == []
    refused = " ".join(fetcher.refused)
    assert f"{base}/x.css" in refused and "file:///etc/passwd" in refused
    assert "data:text/html" in refused and "casework/__init__.py" in refused


def test_the_fetcher_serves_static_files_and_inline_images(app):
    from casework.reports.rendering import StaticOnlyFetcher

    fetcher = StaticOnlyFetcher(app.static_folder)
    font = fetcher.fetch(f"file://{app.static_folder}/fonts/DejaVuSans.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"
    png = fetcher.fetch("data:image/png;base64,iVBORw0KGgo=")
    assert png.read() == b"\x89PNG\r\n\x1a\n"
    for url in ("file:///etc/passwd", "http://169.254.169.254/", "https://example.org/x",
                "data:text/css,body{}", f"file://{app.static_folder}/../casework/__init__.py",
                f"file://evil.example{app.static_folder}/css/pdf.css", "ftp://x/y"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_css_strings_cannot_break_out():
    from casework.reports.formatting import css_string, page_counter

    value = str(css_string('RISK"; } body { background: url(http://x) } </style>'))
    assert value.startswith('"') and value.endswith('"')
    assert not set(value[1:-1]) & set("\"'{}();<>:/")
    assert str(page_counter("Seite %(page)s von %(pages)s")) == (
        '"Seite " counter(page) " von " counter(pages)')


def test_chart_labels_are_escaped():
    from casework.reports import charts

    svg = str(charts.bars([('<script>alert(1)</script>', 2)], "</title><script>"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


# --- A renderer fault -----------------------------------------------------------------------

def test_a_renderer_fault_answers_a_clear_error_and_records_nothing(client, login_as, make,
                                                                    monkeypatch, query):
    import weasyprint

    def broken(self, *args, **kwargs):
        raise RuntimeError("cairo exploded")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    case = make.case("assigned")
    login_as(make.pm)
    response = client.get(f"/cases/{case.key}/summary.pdf")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "The PDF could not be produced" in response.text
    assert not query(sa.select(AuditEvent.id).where(AuditEvent.action == "pdf_downloaded"))


def test_nothing_interrupts_a_render(app, client, login_as, make, monkeypatch):
    """An exception thrown into WeasyPrint midway (by a SIGALRM time limit) corrupted the
    heap, and the worker died of SIGSEGV requests later: no timer is armed while a PDF is
    drawn. gunicorn's worker timeout ends a render that hangs."""
    import signal

    import weasyprint

    seen = []
    draw = weasyprint.HTML.write_pdf

    def watched(self, *args, **kwargs):
        seen.append((signal.getitimer(signal.ITIMER_REAL)[0],
                     callable(signal.getsignal(signal.SIGALRM))))
        return draw(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", watched)
    app.config["CASEWORK_PDF_TIMEOUT"] = 0.3  # the former setting arms nothing either
    case = make.case("assigned")
    login_as(make.pm)
    response = client.get(f"/cases/{case.key}/summary.pdf")
    assert response.status_code == 200
    assert seen == [(0.0, False)]


# --- The command line -----------------------------------------------------------------------

def test_the_summary_command_writes_the_pdf(runner, make, closed_case, tmp_path, query):
    target = tmp_path / "summary.pdf"
    result = runner.invoke(args=["casework", "summary", closed_case.key.lower(), "-o",
                                 str(target), "--audience", "partner"])
    assert result.exit_code == 0, result.output
    text, _pages = pdf_text(target.read_bytes())
    assert closed_case.key in text and "Partner edition" in text
    assert COMMENT_TEXT not in text
    rows = query(sa.select(AuditEvent.actor_id, AuditEvent.changes)
                 .where(AuditEvent.action == "pdf_downloaded"))
    assert rows[0][0] is None and rows[0][1]["audience"] == "partner"
    assert rows[0][1]["fingerprint"] in result.output


def test_the_summary_command_refuses_cleanly(runner, make, tmp_path):
    restricted = make.case("assigned", restricted=True)
    normal = make.case("assigned")
    cases = [
        (["RISK-1999-0001"], "no case RISK-1999-0001"),
        ([restricted.key], "restricted case needs --as"),
        ([restricted.key, "--as", "nobody@casework.example"], "no active user"),
        ([normal.key, "-o", str(tmp_path / "no" / "such" / "dir.pdf")], "cannot write"),
    ]
    for args, message in cases:
        if "-o" not in args:
            args = [*args, "-o", str(tmp_path / "x.pdf")]
        result = runner.invoke(args=["casework", "summary", *args])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    result = runner.invoke(args=["casework", "summary", restricted.key, "-o",
                                 str(tmp_path / "ok.pdf"), "--as", make.pm.email])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ok.pdf").read_bytes().startswith(b"%PDF-")


def test_the_summary_command_reports_a_renderer_fault(runner, make, tmp_path, monkeypatch):
    import weasyprint

    def broken(self, *args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    case = make.case("assigned")
    result = runner.invoke(args=["casework", "summary", case.key, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: The PDF could not be produced")
    assert not (tmp_path / "x.pdf").exists()


def test_a_long_trail_prints_every_milestone_and_the_latest_events(app, client, login_as,
                                                                    make):
    from casework.reports.summary import TIMELINE_LIMIT

    case = make.case("mitigating", title="Lange Geschichte")
    owner = make.specialist
    for n in range(TIMELINE_LIMIT + 15):
        add_comment(app, case, owner, f"Kommentar Nummer {n}")
    login_as(make.pm)
    text, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    flat = " ".join(text.split())
    assert "opened the case" in flat and "assigned the case" in flat
    assert "started mitigation" in flat
    assert "further events are on the case's audit trail" in flat
    assert f"Kommentar Nummer {TIMELINE_LIMIT + 14}" in flat  # the latest are printed


def test_every_pdf_carries_the_audit_head(app, client, login_as, make):
    from casework.audit.chain import current_head

    case = make.case("assigned")
    login_as(make.pm)
    with app.app_context():
        head = current_head()
    text, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    assert f"head hash {head.hash}" in text.replace("\n", "")
    landscape, _pages = pdf_text(client.get("/dashboard/landscape.pdf").data)
    assert "Audit trail at generation" in landscape


# --- A compact summary (it must render fast: issue 4) ---------------------------------------

def test_a_signal_prints_a_line_of_its_description_and_its_link(app, client, login_as, make):
    from casework.models import Signal
    from casework.signals.operations import attach_to_case

    case = make.case("mitigating")
    description = "Anfang der Beschreibung. " + "Mittelteil " * 40 + "Schlusswort-Quokka"
    signal_id = make.signal(title="Koordinierte Clips", description=description,
                            url="https://evidence.example.org/clip/17")
    with app.app_context():
        attach_to_case(db.session.get(User, make.pm.id), db.session.get(Signal, signal_id),
                       db.session.get(Case, case.id))
        db.session.commit()
    login_as(make.pm)
    internal, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    assert f"#{signal_id} · Koordinierte Clips" in internal
    assert "Anfang der Beschreibung. Mittelteil" in internal and "…" in internal
    assert "Schlusswort-Quokka" not in internal  # the rest is in Casework
    assert "Link: https://evidence.example.org/clip/17" in internal
    partner, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf?audience=partner").data)
    assert "Koordinierte Clips" in partner
    assert "Anfang der Beschreibung" not in partner and "evidence.example.org" not in partner


def test_evidence_is_a_line_of_the_description_then_the_link():
    from casework.reports.summary import EXCERPT_LENGTH, evidence

    text = evidence("Erster Satz.\n\nZweiter   Satz " + "lang " * 40, "https://x.example/1\n2")
    excerpt, link = text.split("\n")
    assert excerpt.startswith("Erster Satz. Zweiter Satz lang") and excerpt.endswith("lang…")
    assert len(excerpt) <= EXCERPT_LENGTH
    assert link == "Link: https://x.example/1 2"
    assert evidence("Kurz.", None) == "Kurz."
    assert evidence(None, None) == ""


def test_a_timeline_line_reads_as_one_line():
    from casework.reports.summary import TimelineLine

    line = TimelineLine(when=None, who="Paula Programm", verb="assigned the case",
                        changes=[("State", "Qualified", "Assigned"), ("Owner", "", "Sven")],
                        note="Sven knows the market")
    assert line.details == "Sven knows the market; State: Qualified → Assigned; Owner: Sven"
    assert TimelineLine(when=None, who="x", verb="commented", changes=[]).details == ""


def test_the_summary_prints_the_timeline_as_who_did_what(client, login_as, make, closed_case):
    login_as(make.pm)
    text, _pages = pdf_text(client.get(f"/cases/{closed_case.key}/summary.pdf").data)
    assert "Paula Programm opened the case" in text
    assert "Paula Programm assigned the case · State: Qualified → Assigned" in text


def test_the_heat_map_is_drawn_as_an_svg(app):
    import base64

    from casework.reports import charts
    from casework.reports.documents import svg_image

    svg = charts.severity_heatmap(4, 2)
    image = str(svg_image(svg, 'Heat "map" <b>'))
    prefix = '<img src="data:image/svg+xml;base64,'
    assert image.startswith(prefix)
    data = image[len(prefix):image.index('"', len(prefix))]
    assert base64.b64decode(data).decode() == str(svg)
    assert 'alt="Heat &#34;map&#34; &lt;b&gt;"' in image


def test_the_heat_map_is_in_the_pdf(client, login_as, make):
    case = make.case("assigned")
    login_as(make.pm)
    text, _pages = pdf_text(client.get(f"/cases/{case.key}/summary.pdf").data)
    assert "Likelihood →" in text and "Impact →" in text  # the SVG's own labels


def test_the_collector_is_held_off_only_while_a_pdf_is_made():
    import gc

    from casework.reports.rendering import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer PDF is still being made
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("renderer fault")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # off before, so off after
    finally:
        gc.enable()
