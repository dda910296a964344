"""CSV import of signals: the files people really have, previewed, then imported once."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casework.models import AuditEvent, Signal

GERMAN_EXCEL = (
    "Titel;Beschreibung;Quelle;Markt;Produktbereich;Kategorie;Link;Beobachtet am;Referenz\r\n"
    "Hassrede in Live-Kommentaren;\"Nach dem Derby:\r\nviele Meldungen\";Nachrichten;"
    "Österreich;Kommentare;Hassrede;https://news.example.at/derby;24.11.2026 14:30;AT-1\r\n"
    "Betrugsanzeigen mit Bankenlogos;Phishing;Vertrauenswürdiger Hinweisgeber;Schweiz;"
    "Werbung;Betrug;;01.11.2026;TF-7\r\n"
    "Mobbing unter Schülern;;Nutzermeldung;Deutschland;;Cybermobbing;;;\r\n"
)
ENGLISH_UTF8 = (
    "title,description,source,market,surface,category,url,observed_at,external_ref\n"
    "Live raids on DE creators,\"quoted, with comma\",social_media,DE,live,hate_speech,"
    "https://x.example.org/1,2026-11-20T09:30:00Z,SM-1\n"
    "Scam ads,,Trusted flagger,Switzerland,Ads,Scams and fraud,,2026-11-21 10:00,TF-8\n"
)
WITH_ERRORS = (
    "Titel;Quelle;Markt;Kategorie;Beobachtet am\n"
    "Gute Zeile;Nachrichten;Deutschland;Hassrede;\n"
    "Falscher Markt;Nachrichten;Frankreich;Hassrede;\n"
    ";Nachrichten;Deutschland;Hassrede;\n"
    "Aus der Zukunft;Nachrichten;Deutschland;Hassrede;01.01.2099 10:00\n"
    "Kaputtes Datum;Nachrichten;Deutschland;Hassrede;gestern\n"
)


def _import(app, make, data: bytes, *, dry_run=False):
    from casework.extensions import db
    from casework.signals.importing import import_signals
    from casework.users.operations import find_user

    with app.app_context():
        report = import_signals(find_user(make.pm.email), data, dry_run=dry_run)
        db.session.commit()
        return report.as_json()


def _count(query, model=Signal):
    return query(sa.select(sa.func.count()).select_from(model))[0][0]


def test_a_german_excel_export_imports_as_it_is(app, make, query):
    result = _import(app, make, GERMAN_EXCEL.encode("cp1252"))
    assert result == {"created": 3, "duplicates": 0, "refused": 0, "errors": [],
                      "dry_run": False, "batches": [
                          {"batch": 1, "first_row": 3, "last_row": 5, "created": 3,
                           "duplicates": 0, "refused": 0}]}
    rows = {r.external_ref: r for r in query(sa.select(
        Signal.external_ref, Signal.source, Signal.market, Signal.surface, Signal.category,
        Signal.observed_at, Signal.description, Signal.title))}
    derby = rows["AT-1"]
    assert (derby.source, derby.market, derby.surface, derby.category) == (
        "news", "AT", "comments", "hate_speech")
    assert derby.description == "Nach dem Derby:\nviele Meldungen"
    # 14:30 in Vienna/Berlin in November is 13:30 UTC.
    assert derby.observed_at.replace(tzinfo=UTC) == datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    assert rows["TF-7"].source == "trusted_flagger" and rows["TF-7"].surface == "ads"
    assert rows[None].category == "cyberbullying" and rows[None].surface is None


def test_utf8_with_bom_and_english_labels(app, make, query):
    result = _import(app, make, b"\xef\xbb\xbf" + ENGLISH_UTF8.encode("utf-8"))
    assert result["created"] == 2 and result["errors"] == []
    sources = dict(query(sa.select(Signal.external_ref, Signal.source)))
    assert sources == {"SM-1": "social_media", "TF-8": "trusted_flagger"}


def test_importing_twice_creates_nothing_new(app, make, query):
    data = GERMAN_EXCEL.encode("cp1252")
    _import(app, make, data)
    again = _import(app, make, data)
    assert again["created"] == 0 and again["duplicates"] == 3
    assert _count(query) == 3


def test_a_dry_run_writes_nothing(app, make, query):
    make.pm  # noqa: B018  (the importing user exists before counting)
    events = _count(query, AuditEvent)
    result = _import(app, make, GERMAN_EXCEL.encode("cp1252"), dry_run=True)
    assert result["created"] == 3 and result["dry_run"] is True
    assert _count(query) == 0
    assert _count(query, AuditEvent) == events


def test_rows_with_errors_are_reported_and_left_out(app, make, query):
    result = _import(app, make, WITH_ERRORS.encode("utf-8"))
    assert result["created"] == 1
    errors = {(e["row"], e["column"]) for e in result["errors"]}
    assert errors == {(3, "market"), (4, "title"), (5, "observed_at"), (6, "observed_at")}
    assert all(e["message"] for e in result["errors"])
    assert [t for (t,) in query(sa.select(Signal.title))] == ["Gute Zeile"]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"just,some,words\nand,more,words\n", "missing"),
])
def test_files_that_are_not_signal_csvs_are_refused(app, make, query, data, message):
    from casework.signals.importing import ImportRefused

    with pytest.raises(ImportRefused) as refused:
        _import(app, make, data)
    assert message in refused.value.message
    assert _count(query) == 0


def test_the_api_imports_and_dry_runs(app, make, query):
    from casework.api.tokens import create_token
    from casework.extensions import db
    from casework.users.operations import find_user

    pm, specialist = make.pm, make.specialist  # made before the app context below
    with app.app_context():
        _t, pm_secret = create_token(None, find_user(pm.email))
        _t, sp_secret = create_token(None, find_user(specialist.email))
        db.session.commit()
    client = app.test_client()
    data = GERMAN_EXCEL.encode("cp1252")
    dry = client.post("/api/v1/signals/import?dry_run=1", data=data,
                      headers={"Authorization": f"Bearer {pm_secret}",
                               "Content-Type": "text/csv"})
    assert dry.status_code == 200
    assert dry.get_json() == {"created": 3, "duplicates": 0, "refused": 0, "errors": [],
                              "dry_run": True, "batches": []}
    assert _count(query) == 0
    real = client.post("/api/v1/signals/import",
                       data={"file": (io.BytesIO(data), "export.csv")},
                       headers={"Authorization": f"Bearer {pm_secret}"})
    assert real.status_code == 201 and real.get_json()["created"] == 3
    assert _count(query) == 3
    refused = client.post("/api/v1/signals/import", data=data,
                          headers={"Authorization": f"Bearer {sp_secret}",
                                   "Content-Type": "text/csv"})
    assert refused.status_code == 403
    binary = client.post("/api/v1/signals/import", data=b"\x00\x01\x02",
                         headers={"Authorization": f"Bearer {pm_secret}",
                                  "Content-Type": "text/csv"})
    assert binary.status_code == 422 and binary.get_json()["error"]["fields"]["file"]


def test_the_command_line_import(runner, make, query, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(GERMAN_EXCEL.encode("cp1252"))
    dry = runner.invoke(args=["casework", "import-signals", str(path), "--as", make.pm.email,
                              "--dry-run"])
    assert dry.exit_code == 0 and '"created": 3' in dry.output
    assert _count(query) == 0
    real = runner.invoke(args=["casework", "import-signals", str(path), "--as", make.pm.email])
    assert real.exit_code == 0 and _count(query) == 3
    missing = runner.invoke(args=["casework", "import-signals", str(tmp_path / "nope.csv"),
                                  "--as", make.pm.email])
    assert missing.exit_code == 1
    assert len(missing.output.strip().splitlines()) == 1
    path.write_bytes(b"\x00binary")
    binary = runner.invoke(args=["casework", "import-signals", str(path), "--as",
                                 make.pm.email])
    assert binary.exit_code == 1 and "Error:" in binary.output


def test_preview_then_confirm_in_the_browser_forms(client, make, login_as, query):
    login_as(make.pm)
    data = WITH_ERRORS.encode("utf-8")
    preview = client.post("/signals/import", data={"file": (io.BytesIO(data), "w.csv")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "Will be imported" in preview.text and "Already there" not in preview.text
    assert "is not a valid choice" in preview.text
    assert _count(query) == 0
    payload = preview.text.split('name="payload" type="hidden" value="')[1].split('"')[0]
    done = client.post("/signals/import", data={"payload": payload, "filename": "w.csv"})
    # What landed is shown to who imported: totals, each batch, and the rows left out.
    assert done.status_code == 200
    assert "New signals: 1. Already in the inbox: 0. Rows with errors, left out: 4." \
        in done.text
    assert "Written in 1 batch," in done.text and "Falscher Markt" in done.text
    assert _count(query) == 1
    assert query(sa.select(AuditEvent.action).where(
        AuditEvent.entity_type == "import"))[0][0] == "signals_imported"


def test_only_program_managers_import(client, make, login_as):
    login_as(make.specialist)
    assert client.get("/signals/import").status_code == 403


def test_the_signal_page_suggests_duplicates_with_one_click_merge(client, make, login_as,
                                                                   query):
    first = make.signal(title="Hassrede Welle in Live Kommentaren nach Derby", market="AT",
                        url="https://news.example.at/derby")
    same_link = make.signal(title="Something else entirely", market="DE",
                            url="https://news.example.at/derby")
    similar = make.signal(title="Derby: Hassrede Welle in Live Kommentaren", market="AT",
                          url=None)
    unrelated = make.signal(title="Scam ads in search", market="AT", category="scams_fraud",
                            url=None)
    login_as(make.pm)
    page = client.get(f"/signals/{similar}").text
    assert "Possible duplicates" in page and f"#{first}" in page
    assert "Similar text" in page and f"#{unrelated}<" not in page
    assert "Same link" in client.get(f"/signals/{same_link}").text
    merged = client.post(f"/signals/{similar}/duplicate", data={"of": f"#{first}"})
    assert merged.status_code == 302
    status = query(sa.select(Signal.status, Signal.duplicate_of_signal_id)
                   .where(Signal.id == similar))[0]
    assert tuple(status) == ("duplicate", first)


def test_duplicates_are_found_across_accents_and_word_order(app, make):
    from casework.extensions import db
    from casework.models import Signal as SignalModel
    from casework.signals.duplicates import possible_duplicates
    from casework.users.operations import find_user

    first = make.signal(title="Hassrede gegen Österreicher im Livestream", market="AT",
                        url=None, description="Welle nach dem Länderspiel")
    second = make.signal(title="Livestream: hassrede gegen OSTERREICHER", market="AT",
                         url=None, description="welle nach dem landerspiel")
    other_market = make.signal(title="Hassrede gegen Österreicher im Livestream",
                               market="CH", url=None)
    pm = make.pm
    with app.app_context():
        found = possible_duplicates(db.session.get(SignalModel, second), find_user(pm.email))
        refs = [s.ref for s in found]
        assert refs[0] == f"#{first}" and f"#{other_market}" not in refs
