"""A risk's whole life through the web pages, as the team works it: signals filed and
triaged, a case assigned, mitigated, reviewed with four eyes, closed and reopened, and
every step on the audit trail."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casework.models import AuditEvent, Case, MitigationAction, Signal

# --- helpers -----------------------------------------------------------------------------


def _login(app, user):
    """A browser of its own, logged in as ``user``."""
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302, response.status_code
    return browser


def _text(html: str) -> str:
    """The page with runs of whitespace collapsed, for matching phrases."""
    return " ".join(html.split())


def _problems(html: str) -> list[str]:
    """The error messages a page shows, to explain a failed assertion."""
    return re.findall(r'class="(?:error|form-errors)"[^>]*>(.*?)</', html, re.S)


def _submit(browser, url: str, data: dict | None = None, *, status: int = 200):
    """POST a form as the browser does, following the redirect to the page it shows."""
    response = browser.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == status, (response.status_code, _problems(response.text))
    return response


def _shown_state(html: str) -> str:
    """The state label at the top of a case page or a transition page."""
    found = re.search(r'class="status state-[a-z_]+">([^<]+)<', html)
    assert found, "no case state on the page"
    return found.group(1)


def _signal_id(response) -> int:
    return int(response.request.path.rsplit("/", 1)[1])


def _case(query, key: str) -> Case:
    return query(sa.select(Case.state, Case.version, Case.owner_id, Case.title,
                           Case.assessment, Case.id).where(Case.key == key))[0]


def _file_signal(browser, title: str, **fields) -> int:
    data = dict(title=title, description="Seen in the DACH comment feeds", source="news",
                market="DE", surface="comments", category="hate_speech",
                url="https://news.example.org/story", observed_at="2025-11-03T09:30",
                external_ref="")
    data.update(fields)
    response = _submit(browser, "/signals/new", data)
    assert f"Signal #{_signal_id(response)} filed." in response.text
    return _signal_id(response)


CASE_FORM = dict(title="Coordinated hate comments under Live streams in DE",
                 summary="Raids on Live streams of creators from minority groups.",
                 category="hate_speech", markets=["DE", "AT"], surfaces=["live", "comments"],
                 likelihood="4", impact="4")


# --- the whole life of a case ----------------------------------------------------------------


def test_a_risk_from_signal_to_closure_and_reopening(app, make, query):
    pm, reviewer, specialist = make.pm, make.reviewer, make.specialist
    paula, rita, sven = _login(app, pm), _login(app, reviewer), _login(app, specialist)
    seen = [0]  # the case's versions, one per change

    def changed():
        """The case after a step that changed it: a new, higher version."""
        row = _case(query, key)
        assert row.version > seen[-1], (row.version, seen)
        seen.append(row.version)
        return row

    def unchanged():
        row = _case(query, key)
        assert row.version == seen[-1], (row.version, seen)
        return row

    # Triage: one signal opens a case, one joins it, one is noise, two are duplicates.
    first = _file_signal(paula, "Hate raid on Live, Berlin creator")
    response = _submit(paula, f"/signals/{first}/qualify", CASE_FORM)
    key = response.request.path.rsplit("/", 1)[1]
    assert re.fullmatch(r"RISK-\d{4}-\d{4}", key)
    assert _shown_state(response.text) == "Qualified"
    assert f"Signal qualified into new case {key}." in response.text
    assert changed().state == "qualified"

    second = _file_signal(paula, "Same raid pattern, Vienna creator", market="AT")
    response = _submit(paula, f"/signals/{second}/attach", {"case_key": key.lower()})
    assert response.request.path == f"/cases/{key}"
    assert "Same raid pattern, Vienna creator" in response.text
    changed()

    noise = _file_signal(paula, "Satire account mistaken for a raid")
    response = _submit(paula, f"/signals/{noise}/dismiss", {"reason": "Satire, not a raid"})
    assert "Signal dismissed." in response.text
    assert "Satire, not a raid" in response.text

    copy_of_signal = _file_signal(paula, "Raid on Live, Berlin (second report)")
    response = _submit(paula, f"/signals/{copy_of_signal}/duplicate", {"of": f"#{first}"})
    assert "Signal marked as a duplicate." in response.text
    copy_of_case = _file_signal(paula, "Live raids, press enquiry")
    _submit(paula, f"/signals/{copy_of_case}/duplicate", {"of": key})
    changed()  # a duplicate of the case joins its signals: the case changed
    statuses = dict(query(sa.select(Signal.id, Signal.status).where(
        Signal.id.in_([first, second, noise, copy_of_signal, copy_of_case]))))
    assert statuses == {first: "qualified", second: "qualified", noise: "dismissed",
                        copy_of_signal: "duplicate", copy_of_case: "duplicate"}
    case_page = paula.get(f"/cases/{key}").text
    for title in ("Hate raid on Live, Berlin creator", "Same raid pattern, Vienna creator",
                  "Raid on Live, Berlin (second report)", "Live raids, press enquiry"):
        assert title in case_page
    assert "Satire account mistaken for a raid" not in case_page

    # The program manager assigns the case to the specialist.
    response = _submit(paula, f"/cases/{key}/do/assign",
                       {"owner": specialist.id, "version": seen[-1]})
    assert _shown_state(response.text) == "Assigned"
    assert "case assigned" in response.text
    assert changed().owner_id == specialist.id

    # The specialist starts mitigation and plans an action.
    response = _submit(sven, f"/cases/{key}/do/start_mitigation", {"version": seen[-1]})
    assert _shown_state(response.text) == "Mitigating"
    changed()
    response = _submit(sven, f"/cases/{key}/actions/new", {
        "title": "Keyword list update for Live comments", "team": "content_policy",
        "owner": "Jana Wolf", "due": "2026-03-15", "status": "planned", "outcome": ""})
    assert "Mitigation action added." in response.text
    assert "Keyword list update for Live comments" in response.text
    assert _shown_state(response.text) == "Mitigating"
    changed()

    # Submitting while the action is still planned is refused, on the page: the case as it
    # stands does not allow it (409), whatever anyone fills in.
    response = _submit(sven, f"/cases/{key}/do/submit_for_review", {"version": seen[-1]},
                       status=409)
    assert "still planned or in progress" in response.text
    assert _shown_state(response.text) == "Mitigating"
    assert unchanged().state == "mitigating"

    action_id = query(sa.select(MitigationAction.id)
                      .where(MitigationAction.title.like("Keyword list%")))[0].id
    response = _submit(sven, f"/cases/{key}/actions/{action_id}/edit", {
        "title": "Keyword list update for Live comments", "team": "content_policy",
        "owner": "Jana Wolf", "due": "2026-03-15", "status": "done",
        "outcome": "Keyword list live since Monday"})
    assert "Mitigation action saved." in response.text
    assert "Keyword list live since Monday" in response.text
    changed()

    response = _submit(sven, f"/cases/{key}/comments",
                       {"body": "Raids dropped by half after the keyword update."})
    assert "Raids dropped by half after the keyword update." in response.text

    response = _submit(sven, f"/cases/{key}/do/submit_for_review", {"version": seen[-1]})
    assert _shown_state(response.text) == "In review"
    changed()

    # A second program manager reviews: changes need a note, then go back to the owner.
    response = _submit(rita, f"/cases/{key}/do/request_changes",
                       {"note": "", "version": seen[-1]}, status=422)
    assert "Say what needs to change." in response.text
    assert unchanged().state == "in_review"
    response = _submit(rita, f"/cases/{key}/do/request_changes",
                       {"note": "Add the AT numbers before we close.", "version": seen[-1]})
    assert _shown_state(response.text) == "Mitigating"
    changed()

    response = _submit(sven, f"/cases/{key}/do/submit_for_review", {"version": seen[-1]})
    assert _shown_state(response.text) == "In review"
    changed()

    # The first program manager approves and closes with the residual risk.
    response = _submit(paula, f"/cases/{key}/do/approve", {
        "resolution": "mitigated", "residual_likelihood": "2", "residual_impact": "3",
        "note": "AT numbers added; residual risk acceptable.", "version": seen[-1]})
    page = _text(response.text)
    assert _shown_state(response.text) == "Closed"
    assert "Resolution: Mitigated" in page
    assert "Residual risk: 2 \N{MULTIPLICATION SIGN} 3 = 6 · Medium" in page
    changed()

    # ...and reopens it when the raids come back.
    response = _submit(paula, f"/cases/{key}/do/reopen",
                       {"note": "Raids are back since the weekend.", "version": seen[-1]})
    assert _shown_state(response.text) == "Assigned"
    final = changed()
    assert final.owner_id == specialist.id

    # The audit trail in the database: who did what, in order.
    events = query(
        sa.select(AuditEvent.entity_type, AuditEvent.action, AuditEvent.actor_id,
                  AuditEvent.entity_id, AuditEvent.changes, AuditEvent.note)
        .where(AuditEvent.case_id == final.id).order_by(AuditEvent.id))
    assert [(e.entity_type, e.action, e.actor_id) for e in events] == [
        ("case", "created", pm.id),
        ("signal", "qualified", pm.id),
        ("signal", "qualified", pm.id),
        ("signal", "marked_duplicate", pm.id),
        ("signal", "marked_duplicate", pm.id),
        ("case", "assign", pm.id),
        ("case", "start_mitigation", specialist.id),
        ("action", "created", specialist.id),
        ("action", "updated", specialist.id),
        ("comment", "created", specialist.id),
        ("case", "submit_for_review", specialist.id),
        ("review", "created", reviewer.id),
        ("case", "request_changes", reviewer.id),
        ("case", "submit_for_review", specialist.id),
        ("review", "created", pm.id),
        ("case", "approve", pm.id),
        ("case", "reopen", pm.id),
    ]
    by_step = {(e.entity_type, e.action): e for e in events}  # the last of each kind
    assert [e.entity_id for e in events if e.entity_type == "signal"] == [
        first, second, copy_of_signal, copy_of_case]
    assert events[1].changes["status"] == ["new", "qualified"]
    assert events[1].changes["case"] == [None, key]
    assert by_step["case", "assign"].changes == {
        "state": ["qualified", "assigned"], "owner": [None, specialist.email]}
    assert by_step["case", "start_mitigation"].changes == {
        "state": ["assigned", "mitigating"]}
    assert by_step["action", "updated"].changes == {
        "status": ["planned", "done"], "outcome": ["", "Keyword list live since Monday"]}
    assert by_step["case", "request_changes"].changes == {
        "state": ["in_review", "mitigating"]}
    assert by_step["case", "request_changes"].note == "Add the AT numbers before we close."
    assert by_step["case", "submit_for_review"].changes == {
        "state": ["mitigating", "in_review"]}
    assert by_step["case", "approve"].changes == {
        "state": ["in_review", "closed"], "resolution": [None, "mitigated"]}
    assert by_step["review", "created"].changes["residual_likelihood"] == 2
    assert by_step["review", "created"].changes["residual_impact"] == 3
    assert by_step["case", "reopen"].changes == {
        "state": ["closed", "assigned"], "resolution": ["mitigated", None]}
    assert by_step["case", "reopen"].note == "Raids are back since the weekend."

    # The dismissed signal has its own trail, outside the case.
    dismissed = query(sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.note,
                                AuditEvent.case_id)
                      .where(AuditEvent.entity_type == "signal",
                             AuditEvent.entity_id == noise, AuditEvent.action != "created"))
    assert [tuple(e) for e in dismissed] == [("dismissed", pm.id, "Satire, not a raid", None)]

    # The case page tells the trail in words.
    page = _text(paula.get(f"/cases/{key}").text)
    trail = page[page.index('id="audit"'):]
    for phrase in (
        "Paula Programm</strong> opened the case",
        "Paula Programm</strong> qualified a signal into the case",
        "Paula Programm</strong> linked a duplicate signal",
        "Paula Programm</strong> assigned the case",
        "<del>—</del> → <ins>Sven Spezialist</ins>",
        "Sven Spezialist</strong> started mitigation",
        "<del>Assigned</del> → <ins>Mitigating</ins>",
        "Sven Spezialist</strong> added a mitigation action",
        "Sven Spezialist</strong> updated a mitigation action",
        "<del>Planned</del> → <ins>Done</ins>",
        "Sven Spezialist</strong> commented",
        "Sven Spezialist</strong> submitted the case for review",
        "Rita Review</strong> requested changes",
        "Add the AT numbers before we close.",
        "Paula Programm</strong> approved and closed the case",
        "<del>—</del> → <ins>Mitigated</ins>",
        "Paula Programm</strong> reopened the case",
        "Raids are back since the weekend.",
    ):
        assert phrase in trail, phrase
    # Newest first: the reopening is told before the assignment.
    assert trail.index("reopened the case") < trail.index("assigned the case")


# --- concurrent edits ------------------------------------------------------------------------


def _version_in_form(html: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)
    assert found, "no version in the form"
    return found.group(1) or found.group(2)


def _edit_form(version: str, **changes) -> dict:
    return {**CASE_FORM, "assessment": "", "version": version, **changes}


def test_a_stale_edit_is_refused_and_overwrites_nothing(app, make, query):
    case = make.case("assigned")
    paula, sven = _login(app, make.pm), _login(app, make.specialist)

    # Both open the edit form on the same version.
    opened = _version_in_form(paula.get(f"/cases/{case.key}/edit").text)
    assert _version_in_form(sven.get(f"/cases/{case.key}/edit").text) == opened

    _submit(sven, f"/cases/{case.key}/edit",
            _edit_form(opened, assessment="Organised raids, several accounts."))
    saved = _case(query, case.key)
    assert saved.version > int(opened)

    response = paula.post(f"/cases/{case.key}/edit", data=_edit_form(
        opened, title="Paula's stale title", assessment="Probably nothing."))
    assert response.status_code == 409
    assert "changed since you opened it" in response.text
    assert _case(query, case.key) == saved
    updates = query(sa.select(AuditEvent.actor_id).where(
        AuditEvent.case_id == saved.id, AuditEvent.action == "updated"))
    assert [u.actor_id for u in updates] == [make.specialist.id]

    # With the current version the same edit goes through.
    current = _version_in_form(paula.get(f"/cases/{case.key}/edit").text)
    _submit(paula, f"/cases/{case.key}/edit",
            _edit_form(current, title="Paula's fresh title",
                       assessment="Organised raids, several accounts."))
    assert _case(query, case.key).title == "Paula's fresh title"


def test_a_stale_transition_is_refused(app, make, query):
    case = make.case("assigned")
    paula, sven = _login(app, make.pm), _login(app, make.specialist)
    opened = _case(query, case.key).version  # Paula opens the dismiss form

    # Meanwhile the owner plans an action: dismissing still possible, but on old facts.
    _submit(sven, f"/cases/{case.key}/actions/new", {
        "title": "Moderator guideline refresh", "team": "operations", "status": "planned"})
    response = paula.post(f"/cases/{case.key}/do/dismiss",
                          data={"note": "Not a risk", "version": opened})
    assert response.status_code == 409
    assert "changed since you opened it" in response.text
    assert _case(query, case.key).state == "assigned"

    # Meanwhile the owner starts mitigation: dismissing is no longer possible at all.
    opened = _case(query, case.key).version
    _submit(sven, f"/cases/{case.key}/do/start_mitigation", {"version": opened})
    response = paula.post(f"/cases/{case.key}/do/dismiss",
                          data={"note": "Not a risk", "version": opened})
    assert response.status_code == 409
    assert _case(query, case.key).state == "mitigating"


# --- logging in and out ------------------------------------------------------------------------


def test_login_and_logout_are_audited(client, auth, make, query):
    user = make.specialist

    def user_events():
        return [tuple(e) for e in query(
            sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.entity_id)
            .where(AuditEvent.entity_type == "user", AuditEvent.action != "created")
            .order_by(AuditEvent.id))]

    assert auth.login(user.email, "not-the-password").status_code == 401
    assert auth.login(user).status_code == 302
    assert client.get("/cases").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/cases").status_code == 302  # back to the login page
    assert user_events() == [
        ("login_failed", None, user.id),
        ("login", user.id, user.id),
        ("logout", user.id, user.id),
    ]
