"""Search reads German as people type it: without umlauts (``oesterreich``), without ß
(``strasse``) and in any simple inflection (``Hassreden``), in the queue, the inbox and
the duplicate suggestions, on SQLite and PostgreSQL alike (``casework.search``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import ON_POSTGRES
from werkzeug.datastructures import MultiDict

from casework import search
from casework.cases.queries import CaseFilters
from casework.extensions import db
from casework.models import Case, Signal, User
from casework.signals.duplicates import possible_duplicates
from casework.signals.queries import SignalFilters


@pytest.mark.parametrize(("typed", "stored"), [
    ("oesterreich", "Österreich"), ("österreich", "Oesterreich"), ("osterreich", "Österreich"),
    ("OESTERREICH", "österreich"), ("strasse", "Straße"), ("STRASSE", "Straßen"),
    ("Hassreden", "Hassrede"), ("Hassrede", "Hassreden"), ("Kinder", "Kindern"),
    ("Beleidigung", "Beleidigungen"), ("Hauses", "Haus"), ("Häuser", "Haus"),
    ("Nutzerinnen", "Nutzerin"), ("Mueller", "Müller"), ("cafe", "Café"),
    ("Livestreams", "Livestream"), ("ﬁlm", "film"),
])
def test_the_forms_people_type_are_one_word(typed, stored):
    assert search.normalise_word(typed) == search.normalise_word(stored)


@pytest.mark.parametrize(("one", "other"), [
    ("Hass", "Hast"), ("Rede", "Rad"), ("Steuer", "Stau"), ("Quelle", "Qualle"),
])
def test_different_words_stay_apart(one, other):
    assert search.words(one) != search.words(other)


def test_vowels_that_are_not_umlauts_stay():
    assert search.words("neue Quelle Steuer Dauer") == ["neu", "quell", "steu", "dau"]


def test_the_stored_text_and_the_terms_agree():
    text = "Hassreden in Österreich, auf der Straße!"
    assert search.search_text(text) == "hassred in osterreich auf der strass"
    assert search.words(text) == ["hassred", "osterreich", "auf", "der", "strass"]


@pytest.fixture
def reader(app):
    """Run ``work(user)`` in an app context as the user of ``who`` (a record or an id)."""

    def run(who, work):
        with app.app_context():
            return work(db.session.get(User, getattr(who, "id", who)))

    return run


def _queue(reader, record, q: str) -> list[str]:
    return reader(record, lambda user: [case.title for case in db.session.scalars(
        CaseFilters.from_args(MultiDict({"q": q})).select(user)).unique()])


def _inbox(reader, record, q: str) -> list[str]:
    return reader(record, lambda user: [signal.title for signal in db.session.scalars(
        SignalFilters.from_args(MultiDict({"q": q, "status": "all"})).select(user))])


@pytest.mark.parametrize(("q", "found"), [
    ("oesterreich", "Hassrede in Österreich"), ("Österreich", "Hetze in Oesterreich"),
    ("strasse", "Angriffe auf der Straße"), ("Hassreden", "Hassrede in Österreich"),
    ("hassrede", "Hassreden im Livestream"), ("Hassreden oesterreich", "Hassrede in Österreich"),
])
def test_the_queue_finds_what_german_speakers_type(make, reader, q, found):
    for title in ("Hassrede in Österreich", "Hetze in Oesterreich", "Angriffe auf der Straße",
                  "Hassreden im Livestream", "Betrug mit Gewinnspielen"):
        make.case(title=title)
    titles = _queue(reader, make.pm, q)
    assert found in titles
    assert "Betrug mit Gewinnspielen" not in titles


def test_the_queue_searches_the_summary_too(make, reader):
    make.case(title="Kommentare unter Videos", summary="Beleidigungen gegen Schülerinnen")
    assert _queue(reader, make.pm, "schuelerin beleidigung") == ["Kommentare unter Videos"]


def test_the_queue_finds_a_word_as_it_is_being_typed(make, reader):
    make.case(title="Hassrede in Österreich")
    assert _queue(reader, make.pm, "oesterr") == ["Hassrede in Österreich"]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite's plans: tests/test_query_plans.py")
def test_the_queue_search_reads_the_gin_index(make, reader):
    def plan(user):
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        statement = CaseFilters.from_args(MultiDict({"q": "Hassreden oest"})).select(user)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        return "\n".join(db.session.scalars(sa.text(f"EXPLAIN {compiled}")))

    explained = reader(make.pm, plan)
    assert "ix_cases_search" in explained, explained


def test_the_queue_page_finds_it(make, client, login_as):
    case = make.case(title="Hassrede auf der Straße")
    login_as(make.pm)
    page = client.get("/cases?q=Hassreden+strasse").text
    assert f"/cases/{case.key}\"" in page


def test_a_renamed_case_is_found_by_its_new_title(make, reader, client, login_as):
    case = make.case(title="Gewinnspiel", category="hate_speech")
    login_as(make.pm)
    version = reader(make.pm, lambda user: db.session.get(Case, case.id).version)
    response = client.post(f"/cases/{case.key}/edit", data={
        "title": "Hetze gegen Österreicher", "summary": "", "assessment": "",
        "category": "hate_speech", "markets": ["DE"], "surfaces": ["live"],
        "likelihood": "3", "impact": "4", "version": str(version)})
    assert response.status_code == 302
    assert _queue(reader, make.pm, "oesterreicher") == ["Hetze gegen Österreicher"]
    assert _queue(reader, make.pm, "Gewinnspiel") == []


@pytest.mark.parametrize(("q", "found"), [
    ("oesterreich", "Hassrede in Österreich"), ("Österreich", "Hetze in Oesterreich"),
    ("strasse", "Angriffe auf der Straße"), ("Hassreden", "Hassrede in Österreich"),
    ("hassrede", "Hassreden im Livestream"),
])
def test_the_inbox_finds_what_german_speakers_type(make, reader, q, found):
    for title in ("Hassrede in Österreich", "Hetze in Oesterreich", "Angriffe auf der Straße",
                  "Hassreden im Livestream", "Betrug mit Gewinnspielen"):
        make.signal(title=title)
    titles = _inbox(reader, make.pm, q)
    assert found in titles
    assert "Betrug mit Gewinnspielen" not in titles


def test_the_inbox_still_finds_part_of_a_title_or_a_reference(make, reader):
    make.signal(title="Hasskommentare Bundesliga", external_ref="ZD-48213")
    assert _inbox(reader, make.pm, "kommentar") == ["Hasskommentare Bundesliga"]
    assert _inbox(reader, make.pm, "48213") == ["Hasskommentare Bundesliga"]


def test_the_inbox_page_finds_it(make, client, login_as):
    make.signal(title="Hassrede auf der Straße")
    login_as(make.pm)
    assert "Hassrede auf der Straße" in client.get("/signals?q=hassreden+strasse").text


def test_a_duplicate_is_suggested_whatever_the_spelling(make, reader):
    case = make.case(title="Hassrede Strasse", category="hate_speech", markets=["DE"])
    other = make.signal(title="Hassreden an der Strasse", market="DE", category="hate_speech")
    new = make.signal(title="Hassreden auf der Straße", market="DE", category="hate_speech",
                      description="")

    refs = reader(make.pm, lambda user: [s.ref for s in possible_duplicates(
        db.session.get(Signal, new), user)])
    assert case.key in refs
    assert f"#{other}" in refs


@pytest.fixture
def restricted(app, make):
    """A restricted case "Hassrede in Österreich", owned by a specialist, qualified from
    the signal "Hassreden in Österreich"; returns the owner and the case's key."""
    from casework.cases.operations import transition_case
    from casework.signals.operations import qualify_into_new_case
    from casework.vocabulary import TransitionAction
    from casework.workflow import TransitionInput

    owner = make.user("policy_specialist")
    signal_id = make.signal(title="Hassreden in Österreich")
    with app.app_context():
        pm = db.session.get(User, make.pm.id)
        case = qualify_into_new_case(
            pm, db.session.get(Signal, signal_id), title="Hassrede in Österreich",
            summary="", category="hate_speech", markets=["DE"], surfaces=["live"],
            likelihood=3, impact=4, restricted=True)
        transition_case(pm, case, TransitionAction.ASSIGN,
                        TransitionInput(owner=db.session.get(User, owner.id)))
        db.session.commit()
        return owner, case.key


def test_a_restricted_case_is_found_only_by_those_who_see_it(make, reader, restricted):
    owner, _key = restricted
    other = make.user("policy_specialist")
    assert _queue(reader, owner, "oesterreich") == ["Hassrede in Österreich"]
    assert _queue(reader, make.pm, "oesterreich") == ["Hassrede in Österreich"]
    assert _queue(reader, other, "oesterreich") == []
    assert reader(other, lambda user: CaseFilters.from_args(
        MultiDict({"q": "oesterreich"})).count(user).number) == 0


def test_a_restricted_cases_signal_is_found_only_by_those_who_see_it(make, reader,
                                                                      restricted):
    owner, _key = restricted
    make.signal(title="Hetze in Oesterreich")  # no case: everyone sees it
    other = make.user("policy_specialist")
    assert _inbox(reader, owner, "oesterreich") == [
        "Hetze in Oesterreich", "Hassreden in Österreich"]
    assert _inbox(reader, other, "oesterreich") == ["Hetze in Oesterreich"]
    assert reader(other, lambda user: SignalFilters.from_args(
        MultiDict({"q": "oesterreich", "status": "all"})).count(user).number) == 1


def test_a_restricted_case_is_suggested_only_to_those_who_see_it(make, reader, restricted):
    owner, key = restricted
    other = make.user("policy_specialist")
    new = make.signal(title="Hassreden in Oesterreich", market="DE", category="hate_speech")

    def suggested(user):
        return [s.ref for s in possible_duplicates(db.session.get(Signal, new), user)]

    assert key in reader(owner, suggested)
    assert key not in reader(other, suggested)


def test_rows_written_before_the_upgrade_are_found_after_it(app, make, reader):
    """Migration 0014 fills search_text of existing rows, in batches."""
    make.case(title="Hassrede in Österreich")
    make.case(title="Betrug mit Gewinnspielen")
    make.signal(title="Angriffe auf der Straße")
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE cases SET search_text = ''"))
            connection.execute(sa.text("UPDATE signals SET search_text = ''"))
        assert _queue(reader, make.pm, "oesterreich") == []
        with db.engine.begin() as connection:
            assert search.fill_search_text(connection, "cases", batch=1) == 2
            assert search.fill_search_text(connection, "signals", batch=1) == 3
    assert _queue(reader, make.pm, "oesterreich") == ["Hassrede in Österreich"]
    assert "Angriffe auf der Straße" in _inbox(reader, make.pm, "strasse")


def test_the_migration_goes_down_and_up_with_rows_in_place(app, make, reader):
    from flask_migrate import downgrade, upgrade

    make.case(title="Hassrede in Österreich")
    with app.app_context():
        db.engine.dispose()
        downgrade(revision="0013_user_language")
        assert "search_text" not in {c["name"] for c in sa.inspect(db.engine).get_columns("cases")}
        upgrade()
        db.engine.dispose()
    assert _queue(reader, make.pm, "oesterreich") == ["Hassrede in Österreich"]
    assert _queue(reader, make.pm, "hassreden") == ["Hassrede in Österreich"]


def test_synthetic_rows_are_searchable(runner, app, reader, make):
    result = runner.invoke(args=["casework", "synth", "--cases", "20", "--seed", "5"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(sa.select(Case.title, Case.summary, Case.search_text)).all()
        signals = db.session.execute(
            sa.select(Signal.title, Signal.description, Signal.search_text)).all()
        manager = db.session.scalar(sa.select(User.id).where(User.role == "program_manager"))
    assert rows and signals
    assert all(stored == search.search_text(a, b) for a, b, stored in rows + signals)
    title = rows[0][0]
    assert title in _queue(reader, manager, max(title.split(), key=len))
