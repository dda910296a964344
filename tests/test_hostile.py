"""Hostile input through every text field of every form: never a 500, nothing stored beyond
its documented limit, NUL bytes refused beside the field, invalid UTF-8 never a crash, and
what is stored is shown escaped."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from hostile import (
    EDGE_VALUES,
    HOSTILE,
    HOSTILE_NEXT,
    INVALID_UTF8,
    MEGABYTE,
    NUL,
    RESERVED_URL_KEYS,
    markup_like,
)
from markupsafe import escape
from werkzeug.datastructures import ImmutableMultiDict

from casework.extensions import db
from casework.models import AuditEvent, Case, Comment, MitigationAction, Signal, User
from casework.validation import NAME_MAX, REF_MAX, TEXT_MAX, TITLE_MAX, URL_MAX

NUL_MESSAGE = "This text contains a NUL character"
# Statuses a refusal may have; anything else (500 above all) fails.
REFUSED = {409, 422}


@dataclass(frozen=True)
class Probe:
    name: str
    value: str


def probes(limit: int | None, *, prefix: str = "") -> list[Probe]:
    """The corpus, plus values at and beyond the field's limit, a megabyte and a NUL;
    ``prefix`` makes the long values and the NUL pass a field's format check (a link)."""
    values = [Probe(name, value) for name, value in HOSTILE.items()]
    if limit is not None:
        values += [Probe("at_limit", prefix + "L" * (limit - len(prefix))),
                   Probe("over_limit", prefix + "L" * (limit + 1 - len(prefix)))]
    return [*values, Probe("megabyte", prefix + MEGABYTE), Probe("nul", prefix + NUL)]


class Report:
    """Collects every unexpected answer, so that one test shows all failing probes."""

    def __init__(self):
        self.problems: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(what)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems[:40])


def expect_stored_or_refused(report: Report, probe: Probe, response, *, stored: str | None,
                             limit: int | None, field: str) -> None:
    """A 302 stored exactly the stripped value within the limit; a refusal stored nothing
    and said why beside the field (NUL: with the NUL message)."""
    where = f"{field} <- {probe.name}"
    status = response.status_code
    report.check(status == 302 or status in REFUSED, f"{where}: status {status}")
    if status == 302:
        report.check(stored == probe.value.strip(), f"{where}: stored {stored!r:.80}")
        report.check(limit is None or len(stored or "") <= limit, f"{where}: over the limit")
        report.check(probe.name not in ("over_limit", "megabyte", "nul"),
                     f"{where}: accepted")
    else:
        report.check(stored is None, f"{where}: refused but stored {stored!r:.80}")
        if probe.name == "nul":
            report.check(NUL_MESSAGE in response.text, f"{where}: no NUL message")
        if probe.name == "at_limit":
            report.check(False, f"{where}: a value at the limit was refused")


def assert_shown_escaped(html: str, values: list[str], where: str) -> None:
    """Every markup-like stored value is on the page escaped, never raw."""
    for value in values:
        if not markup_like(value):
            continue
        assert value not in html, f"{where}: raw {value!r}"
        assert str(escape(value)) in html, f"{where}: {value!r} not shown escaped"


@pytest.fixture
def scalar(app):
    def _scalar(statement):
        with app.app_context():
            return db.session.scalar(statement)

    return _scalar


@pytest.fixture
def scalar_list(app):
    def _scalars(statement) -> list:
        with app.app_context():
            return list(db.session.scalars(statement))

    return _scalars


@pytest.fixture
def other_client(app):
    """A second browser, logged in as ``user``."""

    def _client(user):
        other = app.test_client()
        assert other.post("/login", data={"email": user.email,
                                          "password": user.password}).status_code == 302
        return other

    return _client


def _newest(model):
    return sa.select(model).order_by(model.id.desc()).limit(1)


def _stored_after(scalar, statement, count_before: int, model) -> str | None:
    """The newest row's value when a row was added, else None."""
    count = scalar(sa.select(sa.func.count()).select_from(model))
    if count == count_before:
        return None
    return scalar(statement)


def _count(scalar, model) -> int:
    return scalar(sa.select(sa.func.count()).select_from(model))


# --- Signals ---------------------------------------------------------------------------------

SIGNAL = {"title": "Hate comments under Live streams", "description": "Slurs.",
          "source": "social_media", "market": "AT", "surface": "live",
          "category": "hate_speech", "url": "https://news.example.org/a",
          "observed_at": "", "external_ref": ""}
SIGNAL_FIELDS = {"title": TITLE_MAX, "description": TEXT_MAX, "url": URL_MAX,
                 "external_ref": REF_MAX}


@pytest.mark.parametrize("field", SIGNAL_FIELDS)
def test_filing_a_signal(client, make, login_as, scalar, scalar_list, field):
    login_as(make.pm)
    report, shown = Report(), []
    prefix = "https://news.example.org/" if field == "url" else ""
    for probe in probes(SIGNAL_FIELDS[field], prefix=prefix):
        before = _count(scalar, Signal)
        response = client.post("/signals/new", data={**SIGNAL, field: probe.value})
        column = getattr(Signal, field)
        stored = _stored_after(scalar, sa.select(column).order_by(Signal.id.desc()).limit(1),
                               before, Signal)
        expect_stored_or_refused(report, probe, response, stored=stored,
                                 limit=SIGNAL_FIELDS[field], field=field)
        if stored is not None:
            shown.append(stored)
    report.assert_clean()
    for signal_id in scalar_list(sa.select(Signal.id)):
        html = client.get(f"/signals/{signal_id}").text
        value = scalar(sa.select(getattr(Signal, field)).where(Signal.id == signal_id))
        assert_shown_escaped(html, [value], f"/signals/{signal_id}")
    inbox = "".join(client.get(f"/signals?status=all&page={page}").text for page in (1, 2))
    assert_shown_escaped(inbox, shown if field == "title" else [], "inbox")


def test_a_javascript_link_is_never_stored(client, make, login_as, scalar):
    login_as(make.pm)
    for value in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x",
                  "vbscript:msgbox(1)", "http://x\" onmouseover=\"alert(1)"):
        response = client.post("/signals/new", data={**SIGNAL, "url": value})
        assert response.status_code == 422, value
    assert _count(scalar, Signal) == 0


# --- Triage: qualify, dismiss, attach, duplicate ----------------------------------------------

QUALIFY = {"title": "Live hate in AT", "summary": "", "category": "hate_speech",
           "markets": ["AT"], "surfaces": ["live"], "likelihood": "3", "impact": "4"}


@pytest.mark.parametrize(("field", "limit"), [("title", TITLE_MAX), ("summary", TEXT_MAX)])
def test_qualifying_a_signal_into_a_new_case(client, make, login_as, scalar, field, limit):
    login_as(make.pm)
    report, keys = Report(), []
    signal_id = make.signal()
    for probe in probes(limit):
        before = _count(scalar, Case)
        response = client.post(f"/signals/{signal_id}/qualify",
                               data={**QUALIFY, field: probe.value})
        stored = _stored_after(scalar, sa.select(getattr(Case, field)).order_by(
            Case.id.desc()).limit(1), before, Case)
        expect_stored_or_refused(report, probe, response, stored=stored, limit=limit,
                                 field=field)
        if stored is not None:
            keys.append(scalar(sa.select(Case.key).order_by(Case.id.desc()).limit(1)))
            signal_id = make.signal()  # that one is triaged now
    report.assert_clean()
    for key in keys:
        value = scalar(sa.select(getattr(Case, field)).where(Case.key == key))
        assert_shown_escaped(client.get(f"/cases/{key}").text, [value], key)
        assert_shown_escaped(client.get(f"/cases/{key}/edit").text, [value], f"{key}/edit")


def test_dismissing_a_signal(client, make, login_as, scalar):
    login_as(make.pm)
    report = Report()
    signal_id = make.signal()
    for probe in probes(TEXT_MAX):
        response = client.post(f"/signals/{signal_id}/dismiss", data={"reason": probe.value})
        stored = scalar(sa.select(Signal.dismissal_reason).where(Signal.id == signal_id))
        expect_stored_or_refused(report, probe, response, stored=stored, limit=TEXT_MAX,
                                 field="reason")
        if stored is not None:
            assert_shown_escaped(client.get(f"/signals/{signal_id}").text, [stored],
                                 f"/signals/{signal_id}")
            signal_id = make.signal()
    report.assert_clean()


@pytest.mark.parametrize(("path", "field"), [("attach", "case_key"), ("duplicate", "of")])
def test_finding_the_case_or_signal_to_link(client, make, login_as, scalar, path, field):
    """These fields only look a record up: every hostile value is refused, nothing changes."""
    make.case("assigned")
    signal_id = make.signal()
    login_as(make.pm)
    events = _count(scalar, AuditEvent)
    for probe in probes(20):
        response = client.post(f"/signals/{signal_id}/{path}", data={field: probe.value})
        assert response.status_code == 422, (probe.name, response.status_code)
        assert not markup_like(probe.value) or probe.value not in response.text, probe.name
    assert scalar(sa.select(Signal.status).where(Signal.id == signal_id)).value == "new"
    assert _count(scalar, AuditEvent) == events


# --- Cases: edit, comments, mitigation actions -------------------------------------------------

CASE_FIELDS = {"title": TITLE_MAX, "summary": TEXT_MAX, "assessment": TEXT_MAX}


def _case_form(scalar, case_id: int) -> dict:
    case = scalar(sa.select(Case).where(Case.id == case_id))
    return {"title": case.title, "summary": case.summary, "assessment": case.assessment,
            "category": case.category.value, "markets": [m.value for m in case.markets],
            "surfaces": [s.value for s in case.surfaces], "likelihood": str(case.likelihood),
            "impact": str(case.impact), "version": str(case.version)}


def _whole_audit_trail(client, scalar, case) -> str:
    """Every page of the case's audit trail, as one text."""
    events = scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.case_id == case.id))
    return "".join(client.get(f"/cases/{case.key}/audit?page={page}&per_page=200").text
                   for page in range(1, events // 200 + 2))


@pytest.mark.parametrize("field", CASE_FIELDS)
def test_editing_a_case(client, make, login_as, scalar, field):
    case = make.case("assigned")
    login_as(make.pm)
    report, shown = Report(), []
    limit = CASE_FIELDS[field]
    for probe in probes(limit):
        form = _case_form(scalar, case.id)
        # Start each probe from a value no probe has, so that "unchanged" means refused.
        form[field] = "Before the probe"
        assert client.post(f"/cases/{case.key}/edit", data=form).status_code == 302
        form = _case_form(scalar, case.id)
        response = client.post(f"/cases/{case.key}/edit", data={**form, field: probe.value})
        value = scalar(sa.select(getattr(Case, field)).where(Case.id == case.id))
        stored = None if value == "Before the probe" else value
        expect_stored_or_refused(report, probe, response, stored=stored, limit=limit,
                                 field=field)
        if stored is not None and len(stored) < 150:
            shown.append(stored)
    report.assert_clean()
    # Each stored value is in the audit trail (as a before or after of an edit), which
    # the case page shows the latest of and the trail's pages show all of.
    assert_shown_escaped(client.get(f"/cases/{case.key}").text, shown[-10:], case.key)
    assert_shown_escaped(_whole_audit_trail(client, scalar, case), shown, case.key)
    if field == "title":
        form = {**_case_form(scalar, case.id), "title": HOSTILE["tag_breakout"]}
        assert client.post(f"/cases/{case.key}/edit", data=form).status_code == 302
        assert_shown_escaped(client.get("/cases").text, [HOSTILE["tag_breakout"]], "queue")


def test_commenting(client, make, login_as, scalar):
    case = make.case("assigned")
    login_as(make.pm)
    report, shown = Report(), []
    for probe in probes(TEXT_MAX):
        before = _count(scalar, Comment)
        response = client.post(f"/cases/{case.key}/comments", data={"body": probe.value})
        stored = _stored_after(scalar, sa.select(Comment.body).order_by(
            Comment.id.desc()).limit(1), before, Comment)
        expect_stored_or_refused(report, probe, response, stored=stored, limit=TEXT_MAX,
                                 field="body")
        if stored is not None and len(stored) < 150:
            shown.append(stored)
    report.assert_clean()
    assert_shown_escaped(client.get(f"/cases/{case.key}").text, shown, case.key)


ACTION = {"title": "Keyword list update", "team": "content_policy", "owner": "Jana Wolf",
          "due": "2026-12-31", "status": "planned", "outcome": ""}
ACTION_FIELDS = {"title": TITLE_MAX, "owner": NAME_MAX, "outcome": TEXT_MAX}
ACTION_COLUMNS = {"title": MitigationAction.title, "owner": MitigationAction.owner_name,
                  "outcome": MitigationAction.outcome}


@pytest.mark.parametrize("field", ACTION_FIELDS)
def test_adding_a_mitigation_action(client, make, login_as, scalar, field):
    case = make.case("mitigating")
    login_as(make.specialist)
    report, shown = Report(), []
    for probe in probes(ACTION_FIELDS[field]):
        before = _count(scalar, MitigationAction)
        response = client.post(f"/cases/{case.key}/actions/new",
                               data={**ACTION, field: probe.value})
        stored = _stored_after(scalar, sa.select(ACTION_COLUMNS[field]).order_by(
            MitigationAction.id.desc()).limit(1), before, MitigationAction)
        expect_stored_or_refused(report, probe, response, stored=stored,
                                 limit=ACTION_FIELDS[field], field=field)
        if stored is not None and len(stored) < 150:
            shown.append(stored)
    report.assert_clean()
    assert_shown_escaped(client.get(f"/cases/{case.key}").text, shown, case.key)


@pytest.mark.parametrize("field", ACTION_FIELDS)
def test_editing_a_mitigation_action(client, make, login_as, scalar, field):
    case = make.case("in_review")  # with one done action
    action_id = scalar(sa.select(MitigationAction.id).where(MitigationAction.case_id == case.id))
    login_as(make.pm)
    path = f"/cases/{case.key}/actions/{action_id}/edit"
    report = Report()
    column = ACTION_COLUMNS[field]
    for probe in probes(ACTION_FIELDS[field]):
        reset = {**ACTION, "status": "done", field: "Before the probe"}
        assert client.post(path, data=reset).status_code == 302
        response = client.post(path, data={**ACTION, "status": "done", field: probe.value})
        value = scalar(sa.select(column).where(MitigationAction.id == action_id))
        stored = None if value == "Before the probe" else value
        expect_stored_or_refused(report, probe, response, stored=stored,
                                 limit=ACTION_FIELDS[field], field=field)
        if stored is not None and len(stored) < 150:
            assert_shown_escaped(client.get(path).text, [stored], path)
    report.assert_clean()


# --- Workflow steps with a note ---------------------------------------------------------------

# (action, who takes it, source state, target state, extra form data)
STEPS = [
    ("dismiss", "reviewer", "qualified", "dismissed", {}),
    ("assign", "reviewer", "qualified", "assigned", {}),
    ("start_mitigation", "owner", "assigned", "mitigating", {}),
    ("submit_for_review", "owner", "mitigating", "in_review", {}),
    ("request_changes", "reviewer", "in_review", "mitigating", {}),
    ("submit_for_review", "owner", "mitigating", "in_review", {}),
    ("approve", "reviewer", "in_review", "closed",
     {"resolution": "mitigated", "residual_likelihood": "1", "residual_impact": "2"}),
    ("reopen", "reviewer", "closed", "assigned", {}),
]


def test_workflow_notes(client, make, login_as, scalar, other_client):
    """Each note-taking step gets every probe; a pool of cases keeps the states at hand."""
    owner = make.specialist
    login_as(make.reviewer)
    clients = {"reviewer": client, "owner": other_client(owner)}
    pool: dict[str, list[str]] = {}
    report, shown = Report(), {}
    for probe in probes(TEXT_MAX):
        for action, who, source, target, extra in STEPS:
            if not pool.get(source):
                pool.setdefault(source, []).append(make.case(source, owner=owner).key)
            key = pool[source][-1]
            if action == "submit_for_review" and not scalar(
                    sa.select(sa.func.count(MitigationAction.id)).join(Case)
                    .where(Case.key == key)):
                # Submitting needs a finished action.
                assert clients["owner"].post(f"/cases/{key}/actions/new", data={
                    **ACTION, "status": "done"}).status_code == 302
            data = {"note": probe.value, **extra}
            if action == "assign":
                data["owner"] = str(owner.id)
            events = _count(scalar, AuditEvent)
            response = clients[who].post(f"/cases/{key}/do/{action}", data=data)
            stored = None
            if _count(scalar, AuditEvent) != events:
                stored = scalar(sa.select(AuditEvent.note).where(
                    AuditEvent.entity_type == "case", AuditEvent.action == action)
                    .order_by(AuditEvent.id.desc()).limit(1))
                pool[source].pop()
                pool.setdefault(target, []).append(key)
                if stored and len(stored) < 150:
                    shown.setdefault(key, []).append(stored)
            expect_stored_or_refused(report, probe, response, stored=stored,
                                     limit=TEXT_MAX, field=f"{action}.note")
    report.assert_clean()
    for key, values in shown.items():
        assert_shown_escaped(client.get(f"/cases/{key}").text, values, key)


# --- Users and login --------------------------------------------------------------------------

USER_FIELDS = {"email": 254, "name": NAME_MAX, "password": 200}


@pytest.mark.parametrize("field", USER_FIELDS)
def test_adding_a_user(client, make, login_as, scalar, field):
    login_as("admin")
    report, shown = Report(), []
    for number, probe in enumerate(probes(USER_FIELDS[field])):
        data = {"email": f"new-{number}@casework.example", "name": f"New Person {number}",
                "role": "policy_specialist", "password": "a-long-enough-secret-9",
                field: probe.value}
        if field == "password":
            data["confirm"] = probe.value
        else:
            data["confirm"] = data["password"]
        before = _count(scalar, User)
        response = client.post("/users/new", data=data)
        status = response.status_code
        report.check(status == 302 or status in REFUSED, f"{field} <- {probe.name}: {status}")
        added = _count(scalar, User) != before
        report.check(added == (status == 302), f"{field} <- {probe.name}: added={added}")
        if not added:
            continue
        user = scalar(_newest(User))
        report.check(len(user.email) <= 254 and len(user.name) <= NAME_MAX,
                     f"{field} <- {probe.name}: over the limit")
        report.check(probe.name not in ("over_limit", "megabyte")
                     and (probe.name != "nul" or field == "password"),
                     f"{field} <- {probe.name}: accepted")
        if field == "password":
            report.check(probe.value not in user.password_hash, "password stored in clear")
        if field == "name":
            report.check(user.name == probe.value.strip(), f"name <- {probe.name}: changed")
            shown.append(user.name)
    report.assert_clean()
    assert_shown_escaped(client.get("/users").text, shown, "/users")


@pytest.mark.parametrize("field", ["email", "password"])
def test_logging_in(app, make, scalar, field):
    user = make.user("program_manager")
    report = Report()
    for probe in probes(254 if field == "email" else 200):
        client = app.test_client()
        data = {"email": user.email, "password": "not the password", field: probe.value}
        response = client.post("/login", data=data)
        # 429: the throttle may refuse a run of failed logins.
        report.check(response.status_code in (401, 422, 429),
                     f"{field} <- {probe.name}: {response.status_code}")
        report.check(client.get("/cases").status_code == 302, f"{probe.name}: logged in")
        if markup_like(probe.value):
            report.check(probe.value not in response.text, f"{probe.name}: shown raw")
    report.assert_clean()


def test_a_failed_login_records_the_address_within_its_limit(app, make, query):
    make.user("program_manager")
    client = app.test_client()
    client.post("/login", data={"email": "x" * 254, "password": "wrong"})
    rows = query(sa.select(AuditEvent.changes).where(AuditEvent.action == "login_failed"))
    assert rows and all(len(changes.get("email", "")) <= 254 for (changes,) in rows)


# --- Query strings ----------------------------------------------------------------------------

PAGES_WITH_ARGUMENTS = [
    "/cases?q={v}", "/cases?state={v}&owner={v}&market={v}&category={v}&band={v}&sort={v}",
    "/cases?page={v}", "/signals?status={v}&source={v}&market={v}&category={v}",
    "/signals?page={v}", "/signals/{signal}/qualify?case_q={v}", "/login?next={v}",
]


@pytest.mark.parametrize("page", PAGES_WITH_ARGUMENTS)
def test_search_and_filter_arguments(client, make, login_as, page):
    signal_id = make.signal()
    login_as(make.pm)
    report = Report()
    for probe in probes(None):
        if probe.name == "megabyte":
            continue  # a URL is not a megabyte long; covered by the forms
        path, arguments = page.replace("{signal}", str(signal_id)).split("?")
        response = client.get(path, query_string={
            argument.split("=")[0]: probe.value for argument in arguments.split("&")})
        report.check(response.status_code in (200, 302, 404)
                     or (probe.name == "nul" and response.status_code == 422),
                     f"{page} <- {probe.name}: {response.status_code}")
        if markup_like(probe.value):
            report.check(probe.value not in response.text, f"{page} <- {probe.name}: raw")
    report.assert_clean()


# --- Bytes that are not text ------------------------------------------------------------------

def _form_bytes(**fields: bytes) -> bytes:
    from urllib.parse import quote_from_bytes

    return b"&".join(name.encode() + b"=" + quote_from_bytes(value).encode()
                     for name, value in fields.items())


def _multipart(**fields: bytes) -> tuple[bytes, str]:
    boundary = b"hostileboundary"
    body = b"".join(b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\""
                    + name.encode() + b"\"\r\n\r\n" + value + b"\r\n"
                    for name, value in fields.items())
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def _valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


POSTS: list[tuple[str, Callable[..., dict]]] = [
    ("/cases/{key}/comments", lambda key, raw: {"body": raw}),
    ("/signals/new", lambda key, raw: {
        "title": raw, "description": raw, "source": b"news", "market": b"DE",
        "category": b"hate_speech", "external_ref": raw}),
    ("/cases/{key}/actions/new", lambda key, raw: {
        "title": raw, "team": b"legal", "status": b"planned", "owner": raw, "outcome": raw}),
]


@pytest.mark.parametrize("encoding", ["urlencoded", "urlencoded-raw", "multipart"])
@pytest.mark.parametrize(("path", "fields"), POSTS, ids=[path for path, _ in POSTS])
def test_invalid_utf8_never_crashes_and_never_stores_broken_text(
        client, make, login_as, scalar_list, encoding, path, fields):
    case = make.case("assigned", owner=make.pm)
    login_as(make.pm)
    for raw in (INVALID_UTF8, b"ok \x00 nul", b"\xc3\x28", b"\xf4\x90\x80\x80 too high"):
        data = fields(case.key, raw)
        if encoding == "multipart":
            body, content_type = _multipart(**data)
        else:
            content_type = "application/x-www-form-urlencoded"
            body = _form_bytes(**data) if encoding == "urlencoded" else b"&".join(
                name.encode() + b"=" + value for name, value in data.items())
        response = client.post(path.format(key=case.key), data=body,
                               content_type=content_type)
        assert response.status_code in (302, 400, 422), (raw, response.status_code)
    texts = [value for column in (Comment.body, Signal.title, Signal.description,
                                  Signal.external_ref, MitigationAction.title,
                                  MitigationAction.owner_name, MitigationAction.outcome)
             for value in scalar_list(sa.select(column))]
    assert texts, "nothing was stored at all"
    assert all(_valid_text(value or "") for value in texts), texts


def test_text_that_cannot_be_stored_is_refused_by_every_operation(app):
    """The one rule behind the forms, the API and the CLI: no NUL, no lone surrogate (JSON
    can carry one: "\\ud800"); everything else, bidi and zero-width characters included, is
    kept as typed."""
    from casework.errors import ValidationFailed
    from casework.validation import clean_text

    with app.test_request_context():
        with pytest.raises(ValidationFailed, match="NUL") as refused:
            clean_text(NUL, "title")
        assert refused.value.field == "title"
        with pytest.raises(ValidationFailed, match="not valid Unicode"):
            clean_text("lone \ud800 surrogate", "summary")
        for value in (HOSTILE["bidi_override"], HOSTILE["zero_width"], HOSTILE["emoji"]):
            assert clean_text(f"  {value}\n", "title") == value


@pytest.mark.parametrize("size", [1_000_000, 25 * 1024 * 1024])
def test_a_huge_multipart_post_is_refused_with_a_page_not_a_crash(client, make, login_as,
                                                                  scalar, size):
    case = make.case("assigned")
    login_as(make.pm)
    body, content_type = _multipart(body=b"A" * size)
    response = client.post(f"/cases/{case.key}/comments", data=body,
                           content_type=content_type)
    assert response.status_code in (413, 422)
    assert "<html" in response.text
    assert _count(scalar, Comment) == 0


# --- Every parameter of every page gets every value class -------------------------------------
#
# The parameters of a page are found, not listed: a baseline request (the representative
# state below) runs with query strings and forms that record every name the code asks
# for, so a filter or field added later is probed without anyone remembering to. Path
# arguments come from the URL map, reserved url_for keys go into every GET page's query
# string, and the CSV import's columns count as parameters of the import.

class _RecordingArgs(ImmutableMultiDict):
    """Query string or form data that remembers which names were looked up."""

    asked: list[str] = []

    def get(self, key, default=None, type=None):
        self.asked.append(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self.asked.append(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self.asked.append(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.append(key)
        return super().__contains__(key)


def _recording(app):
    """Make ``app`` record the names its requests look up; returns the list they go to."""
    _RecordingArgs.asked = []
    app.request_class = type("RecordingRequest", (app.request_class,),
                             {"parameter_storage_class": _RecordingArgs})
    return _RecordingArgs.asked


@dataclass
class PageState:
    """The URL values of one representative state and the valid form that goes with it."""

    values: dict
    form: Callable[[], dict] | None = None
    query: dict | None = None


CSV_COLUMNS = {"Title": "Hate comments under Live", "Source": "news", "Market": "DE",
               "Category": "hate_speech", "Surface": "live", "URL": "https://e.example/a",
               "Observed at": "24.11.2025 14:30", "External ref": "N-1", "Description": "x"}


def _csv(**changes) -> bytes:
    row = {**CSV_COLUMNS, **changes}
    quoted = ['"' + value.replace('"', '""') + '"' for value in row.values()]
    return (",".join(row) + "\r\n" + ",".join(quoted) + "\r\n").encode()


# (endpoint, method, variant) -> how to build the state; "admin" is logged in, "owner" owns.
def _page_state(endpoint: str, method: str, variant: str, make, scalar, people) -> PageState:
    from casework.api.tokens import create_token
    from casework.users.operations import find_user

    values: dict = {"fmt": "csv"}
    needs = endpoint.split(".")[0]
    if endpoint == "cases.transition":
        state = {"assign": "qualified", "approve": "in_review"}[variant]
        values.update(key=make.case(state, owner=people["owner"]).key, action=variant)
        extra = ({"owner": str(people["other"].id)} if variant == "assign" else
                 {"resolution": "mitigated", "residual_likelihood": "1", "residual_impact": "2"})
        return PageState(values, lambda: {"note": "Looks fine", **extra, "version": ""})
    if needs == "cases" or endpoint == "reports.case_summary":
        case = make.case("mitigating", owner=people["owner"])
        values.update(key=case.key, action_id=scalar(sa.select(MitigationAction.id).where(
            MitigationAction.case_id == case.id)) or 0)
        if endpoint in ("cases.new_action", "cases.edit_action"):
            if endpoint == "cases.edit_action":
                with make.app.app_context():
                    from casework.cases.operations import add_action
                    from casework.models import Case as CaseModel

                    action = add_action(db.session.get(User, people["owner"].id),
                                        db.session.get(CaseModel, case.id), **{
                                            **ACTION, "due": None})
                    db.session.commit()
                    values["action_id"] = action.id
            return PageState(values, lambda: dict(ACTION))
        if endpoint == "cases.edit":
            return PageState(values, lambda: _case_form(scalar, case.id))
        if endpoint == "cases.comment":
            return PageState(values, lambda: {"body": "A comment"})
        return PageState(values)
    if needs == "signals":
        values["signal_id"] = make.signal()
        forms = {
            "signals.new": lambda: {**SIGNAL, "observed_at": "2025-11-24T14:30"},
            "signals.qualify": lambda: dict(QUALIFY),
            "signals.attach": lambda: {"case_key": make.case("assigned").key},
            "signals.dismiss": lambda: {"reason": "Noise"},
            "signals.duplicate": lambda: {"of": f"#{make.signal()}"},
            "signals.import_csv": (lambda: {"file": (io.BytesIO(_csv()), "signals.csv")})
            if variant == "upload" else (lambda: {
                "payload": base64.b64encode(_csv()).decode(), "filename": "signals.csv"}),
        }
        return PageState(values, forms.get(endpoint))
    if needs in ("users", "tokens"):
        # A token to revoke: the admin's own on their account page, another's on /users
        # (someone new each time: a probe may have deactivated the last one).
        holder = people["admin"] if needs == "tokens" else make.user("policy_specialist")
        with make.app.app_context():
            token, _secret = create_token(None, find_user(holder.email), "probe")
            db.session.commit()
            values["token_id"] = token.id
    if needs == "users":
        values["user_id"] = holder.id
        forms = {
            "users.new": lambda: {"email": f"new-{next(_NUMBERS)}@casework.example",
                                  "name": "New Person", "role": "leadership",
                                  "password": "a-long-enough-secret-9",
                                  "confirm": "a-long-enough-secret-9"},
            "users.set_role": lambda: {"role": "leadership"},
            "users.reset_password": lambda: {"password": "a-long-enough-secret-9",
                                             "confirm": "a-long-enough-secret-9"},
        }
        return PageState(values, forms.get(endpoint, dict))
    if needs == "tokens":
        return PageState(values, lambda: {"name": "Spreadsheet"})
    if endpoint == "auth.login":
        admin = people["admin"]
        return PageState(values, lambda: {"email": admin.email, "password": admin.password},
                         query={"next": "/cases"})
    if endpoint == "auth.choose_language":
        return PageState(values, lambda: {"language": "de", "next": "/cases"})
    if endpoint == "auth.account":
        return PageState(values, lambda: {"current_password": "not the password",
                                          "new_password": "a-long-enough-secret-9",
                                          "confirm": "a-long-enough-secret-9"})
    return PageState(values, dict)


_NUMBERS = iter(range(1, 10**9))
# Pages whose baseline ends the session or needs none: sent from a fresh browser.
ANONYMOUS_ENDPOINTS = frozenset({"auth.login"})
SESSION_ENDING = frozenset({"auth.logout"})
# Two states of the workflow page: one step choosing an owner, one taking ratings.
VARIANTS = {"cases.transition": ("assign", "approve"), "signals.import_csv": ("upload",
                                                                              "confirm")}


def _page_routes():
    from test_routes import _COLLECTION_APP, _rules_of

    for rule in _rules_of(_COLLECTION_APP):
        if rule.endpoint.startswith("api."):
            continue
        for method in ("GET", "POST"):
            if method in rule.methods:
                for variant in VARIANTS.get(rule.endpoint, ("",)):
                    yield pytest.param(rule.rule, rule.endpoint, method, variant,
                                       id=f"{method} {rule.rule} {variant}".strip())


# Names the code looks up that are no one's input (Flask-WTF's own, werkzeug internals).
NOT_INPUT = frozenset({"csrf_token"})


@pytest.mark.parametrize(("rule_text", "endpoint", "method", "variant"), list(_page_routes()))
def test_every_parameter_of_every_page_gets_every_value_class(
        app, make, auth, scalar, rule_text, endpoint, method, variant):
    from flask import url_for
    from test_routes import _rule

    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 to report, not a raise
    people = {"admin": make.user("admin"), "owner": make.specialist,
              "other": make.user("policy_specialist")}
    rule = _rule(app, rule_text)
    clients: dict[str, object] = {}

    def client_for():
        if endpoint in ANONYMOUS_ENDPOINTS:
            return app.test_client()  # logged out, and no login carries over
        if "admin" not in clients or endpoint in SESSION_ENDING:
            clients["admin"] = app.test_client()
            assert clients["admin"].post("/login", data={
                "email": people["admin"].email,
                "password": people["admin"].password}).status_code == 302
        return clients["admin"]

    def url(values: dict, **path) -> str:
        with app.test_request_context():
            return url_for(endpoint, **{name: values[name] for name in rule.arguments})

    def send(state: PageState, *, query=None, form=None, path: str | None = None):
        data = None
        if method == "POST":
            data = state.form() if state.form else {}
            data.update(form or {})
        target = path or url(state.values)
        response = client_for().open(target, method=method, data=data,
                                     query_string={**(state.query or {}), **(query or {})})
        response.get_data()  # a streamed export holds its request until read
        response.close()
        return response

    fresh = lambda: _page_state(endpoint, method, variant, make, scalar, people)  # noqa: E731
    state = fresh()
    asked = _recording(app)
    baseline = send(state)
    assert baseline.status_code < 400 or endpoint == "auth.account", (
        f"the baseline of {endpoint} is refused: {baseline.status_code}")
    names = {name for name in asked if isinstance(name, str)} - NOT_INPUT
    form_fields = set(state.form() if (state.form and method == "POST") else {})
    query_names = (names - form_fields) | set(state.query or {})
    report = Report()

    def probe(where: str, response, *, location_check: bool = False) -> None:
        nonlocal state
        report.check(response.status_code < 500, f"{where}: {response.status_code}")
        if location_check and response.status_code in (301, 302, 303):
            target = response.headers.get("Location", "")
            report.check(not any(ord(c) < 32 or ord(c) == 127 for c in target),
                         f"{where}: control character in Location {target!r}")
            report.check(urlsplit(target).netloc in ("", "localhost"),
                         f"{where}: sent off the site to {target!r}")
        if method == "POST" and response.status_code in (302, 303):
            state = fresh()  # the step happened: the next probe starts from the state again

    values = dict(EDGE_VALUES)
    for name in sorted(query_names):
        probe_values = {**values, **({f"next.{k}": v for k, v in HOSTILE_NEXT.items()}
                                     if name == "next" else {})}
        for label, value in probe_values.items():
            probe(f"?{name}={label}", send(state, query={name: value}),
                  location_check=name == "next")
    for name in sorted(form_fields | (names & form_fields)):
        if name == "file":
            continue  # the upload: its columns are probed below
        for label, value in values.items():
            probe(f"form {name}={label}", send(state, form={name: value}))
    if endpoint == "signals.import_csv":
        for column in CSV_COLUMNS:
            for label, value in values.items():
                data = _csv(**{column: value})
                form = ({"file": (io.BytesIO(data), "signals.csv")} if variant == "upload"
                        else {"payload": base64.b64encode(data).decode()})
                probe(f"CSV column {column}={label}", send(state, form=form))
    if method == "GET":
        # All at once everywhere; one by one where a page is cheap (not a PDF to render).
        one_by_one = [] if rule.rule.endswith(".pdf") else list(RESERVED_URL_KEYS.items())
        for name, value in [("all reserved keys", None), *one_by_one]:
            query = RESERVED_URL_KEYS if value is None else {name: value}
            response = send(state, query=query)
            probe(f"?{name}=", response)
            for steering in ("_anchor", "_scheme"):
                if steering in query:
                    report.check(query[steering].encode() not in response.get_data(),
                                 f"?{name}=: the value steered a link")
    for argument in sorted(rule.arguments - {"fmt"}):
        for label, value in values.items():
            path = url(state.values).replace(
                quote(str(state.values[argument]), safe=""), quote(value, safe=""), 1)
            response = send(state, path=path)
            probe(f"<{argument}>={label}", response)
            if label.startswith("unicode_digits"):
                report.check(response.status_code == 404,
                             f"<{argument}>={label}: {response.status_code}, not 404")
    report.assert_clean()


def test_the_page_walk_finds_the_parameters_the_code_reads(app, make, login_as):
    """The recording sees filters and form fields; if it ever stopped, the walk above would
    probe nothing and pass."""
    login_as(make.user("admin"))
    asked = _recording(app)
    client = app.test_client()
    client.post("/login", data={"email": make.pm.email, "password": make.pm.password})
    client.get("/cases")
    assert {"state", "owner", "opened_from", "overdue", "page", "per_page"} <= set(asked)
    asked.clear()
    client.post("/signals/new", data=SIGNAL)
    assert {"title", "observed_at", "external_ref"} <= set(asked)
