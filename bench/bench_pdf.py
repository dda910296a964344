"""How fast the PDFs render and how much memory a worker needs: prints figures.

Builds a throwaway database (every migration) holding one case with 30 signals, 20
mitigation actions and 200 audit events, plus 10,000 further cases (bulk inserted), then
measures in a fresh process, as a worker would be:

    make bench-pdf            (or: .venv/bin/python bench/bench_pdf.py)

Targets from issue 4: a warm summary under 0.5 s, the landscape over 10,000 cases under
3 s, a worker under 300 MB while rendering. Not a test: it prints, it does not fail.

Then the bounds (docs/limits.md), on a second database: the summary of a case with 60
comments of 20,000 characters and of one with 5,000 comments (well under a second each),
that case's page, and an XLSX export of 63,000 signals with its peak memory (Python's
allocations by tracemalloc, and the process's peak RSS).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from casework import create_app
from casework.extensions import db

CASES = 10_000
SIGNALS_PER_CASE = 2
BIG_SIGNALS, BIG_ACTIONS, BIG_EVENTS = 30, 20, 200


def _app(path: Path):
    return create_app({"TESTING": True, "SECRET_KEY": "bench-only",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def build(path: Path) -> str:
    """Fill a new database; returns the key of the big case."""
    from flask_migrate import upgrade

    from casework import audit
    from casework.cases.operations import add_action, transition_case
    from casework.models import Case, CaseMarket, CaseSurface, MitigationAction, Signal
    from casework.signals.operations import attach_to_case, file_signal, qualify_into_new_case
    from casework.users.operations import create_user
    from casework.vocabulary import (
        ActionStatus,
        ActionTeam,
        CaseState,
        Category,
        Market,
        Resolution,
        SignalSource,
        SignalStatus,
        Surface,
        TransitionAction,
    )
    from casework.workflow import TransitionInput

    app = _app(path)
    with app.app_context():
        upgrade()
        pm = create_user(None, email="pm@bench.example", name="Paula Programm",
                         role="program_manager", password="bench-password-1")
        owner = create_user(None, email="owner@bench.example", name="Sven Spezialist",
                            role="policy_specialist", password="bench-password-1")
        create_user(None, email="lead@bench.example", name="Lea Leitung", role="leadership",
                    password="bench-password-1")
        db.session.commit()

        def signal(n: int):
            return file_signal(pm, title=f"Signal {n}: Hassrede unter Live-Streams in Österreich",
                               description="Beobachtet im Live-Bereich. " * 8, source="news",
                               market="AT", surface="live", category="hate_speech",
                               url=f"https://news.example.org/{n}", external_ref=f"big-{n}")

        big = qualify_into_new_case(
            pm, signal(0), title="Koordinierte Hassrede gegen Streamerinnen (AT/DE)",
            summary="Koordinierte Kampagnen. " * 40, category="hate_speech",
            markets=["AT", "DE"], surfaces=["live", "comments"], likelihood=4, impact=4)
        transition_case(pm, big, TransitionAction.ASSIGN, TransitionInput(owner=owner))
        transition_case(owner, big, TransitionAction.START_MITIGATION)
        for n in range(1, BIG_SIGNALS):
            attach_to_case(pm, signal(n), big)
        for n in range(BIG_ACTIONS):
            add_action(owner, big, title=f"Maßnahme {n}: Schlüsselwortliste aktualisieren",
                       team="content_policy", owner="Jana Wolf",
                       due=date.today() + timedelta(days=n), status="in_progress",
                       outcome="Zwischenergebnis: " + "weniger Treffer. " * 6)
        db.session.flush()
        events = db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(audit.AuditEvent.id).where(audit.AuditEvent.case_id == big.id).subquery()))
        for n in range(BIG_EVENTS - events):
            audit.record("case", "updated", entity_id=big.id, case_id=big.id, actor=owner,
                         changes={"assessment": [f"Stand {n}", f"Stand {n + 1}"]})
        db.session.commit()
        big_key = big.key

        # 10,000 cases (and their signals and actions) inserted in bulk.
        rng = random.Random(4)
        now = datetime.now(UTC)
        states = [CaseState.QUALIFIED, CaseState.ASSIGNED, CaseState.MITIGATING,
                  CaseState.IN_REVIEW, CaseState.CLOSED, CaseState.CLOSED, CaseState.DISMISSED]
        cases, markets, surfaces, signals, actions = [], [], [], [], []
        first_id = db.session.scalar(sa.select(sa.func.max(Case.id))) + 1
        for n in range(CASES):
            case_id = first_id + n
            created = now - timedelta(days=rng.uniform(0, 120))
            state = rng.choice(states)
            likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
            closed = state == CaseState.CLOSED
            cases.append(dict(
                id=case_id, key=f"RISK-2025-{n + 1:05d}", year=2025, number=n + 1,
                title=f"Bulk-Fall {n}: {rng.choice(list(Category)).value}", summary="",
                assessment="", category=rng.choice(list(Category)), likelihood=likelihood,
                impact=impact, score=likelihood * impact, state=state,
                resolution=Resolution.MITIGATED if closed else None,
                owner_id=None if state == CaseState.QUALIFIED else owner.id,
                created_by_id=pm.id, created_at=created, updated_at=created,
                closed_at=created + timedelta(days=rng.uniform(1, 20)) if closed else None,
                version=1, restricted=n % 50 == 0))
            for market in rng.sample(list(Market), rng.randint(1, 2)):
                markets.append(dict(case_id=case_id, market=market))
            surfaces.append(dict(case_id=case_id, surface=rng.choice(list(Surface))))
            for k in range(SIGNALS_PER_CASE):
                signals.append(dict(
                    title=f"Bulk-Signal {n}-{k}", description="", source=rng.choice(
                        list(SignalSource)), market=rng.choice(list(Market)), surface=None,
                    category=rng.choice(list(Category)), status=SignalStatus.QUALIFIED,
                    case_id=case_id, reported_by_id=pm.id,
                    created_at=created - timedelta(hours=k), updated_at=created))
            if state in (CaseState.MITIGATING, CaseState.ASSIGNED):
                actions.append(dict(
                    case_id=case_id, title="Bulk-Maßnahme", team=ActionTeam.OPERATIONS,
                    owner_name="Jana Wolf", due=(created + timedelta(days=14)).date(),
                    status=ActionStatus.PLANNED, outcome="", created_by_id=owner.id,
                    created_at=created, updated_at=created))
        for model, rows in ((Case, cases), (CaseMarket, markets), (CaseSurface, surfaces),
                            (Signal, signals), (MitigationAction, actions)):
            db.session.execute(sa.insert(model), rows)
        db.session.commit()
        db.engine.dispose()
    return big_key


def _timed(function, runs: int) -> list[float]:
    """Wall-clock seconds per run (CPU seconds are kept in CPU_TIMES)."""
    times = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - started)
        CPU_TIMES.append(time.process_time() - cpu)
    return times


CPU_TIMES: list[float] = []


def _cpu(runs: int) -> str:
    """The median CPU time of the last ``runs`` runs: less swayed by a busy machine."""
    return f"{statistics.median(CPU_TIMES[-runs:]):.3f} s CPU"


def _rss_now() -> float:
    """This process's resident memory now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path, big_key: str) -> None:
    """Render in this (fresh) process and print the figures."""
    from casework.models import Case, User
    from casework.reports import documents
    from casework.reports.figures import Period
    from casework.reports.summary import Audience, build_summary

    app = _app(path)
    rss_start = _rss_now()
    with app.test_request_context():
        case = db.session.scalar(sa.select(Case).where(Case.key == big_key))
        pm = db.session.scalar(sa.select(User).where(User.email == "pm@bench.example"))
        total = db.session.scalar(sa.select(sa.func.count(Case.id)))

        def summary():
            db.session.expire_all()  # as a fresh request would: nothing cached in the session
            fresh = db.session.scalar(sa.select(Case).where(Case.key == big_key))
            return documents.summary_pdf(fresh, Audience.INTERNAL, generated_by="bench")[0]

        cold = _timed(summary, 1)[0]
        warm = _timed(summary, 5)
        warm_cpu = _cpu(5)
        pdf = summary()
        partner = _timed(lambda: documents.summary_pdf(case, Audience.PARTNER,
                                                       generated_by="bench"), 3)
        partner_cpu = _cpu(3)
        small = db.session.scalar(sa.select(Case).where(Case.key == "RISK-2025-00001"))
        typical = _timed(lambda: documents.summary_pdf(small, Audience.INTERNAL,
                                                       generated_by="bench"), 3)
        typical_cpu = _cpu(3)
        period = Period.from_values((date.today() - timedelta(days=90)).isoformat(),
                                    date.today().isoformat(), None)

        def landscape():
            db.session.expire_all()
            return documents.landscape_pdf(pm, period, generated_by="bench")[0]

        landscape_cold = _timed(landscape, 1)[0]
        landscape_warm = _timed(landscape, 3)
        landscape_cpu = _cpu(3)
        report = landscape()
        db.session.expire_all()
        case = db.session.scalar(sa.select(Case).where(Case.key == big_key))
        shown = build_summary(case, Audience.INTERNAL, generated_by="", now=case.updated_at)
        contents = (f"{len(case.signals)} signals, {len(case.actions)} actions, "
                    f"{len(shown.timeline) + shown.earlier_events} audit events "
                    f"({len(shown.timeline)} of them printed)")

    rss_end = _rss_now()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Database: {total:,} cases; the big case {big_key} has {contents}.")
    print(f"Summary PDF (internal, {len(pdf) // 1024} KB): cold {cold:.2f} s; warm median "
          f"{statistics.median(warm):.3f} s, best {min(warm):.3f} s, {warm_cpu}  "
          f"(target < 0.5 s)")
    print(f"Summary PDF (partner): warm median {statistics.median(partner):.3f} s, "
          f"{partner_cpu}")
    print(f"Summary PDF of a small case (2 signals, no audit trail): warm median "
          f"{statistics.median(typical):.3f} s, {typical_cpu}")
    print(f"Landscape PDF, 90 days over all {total:,} cases ({len(report) // 1024} KB): cold "
          f"{landscape_cold:.2f} s; warm median {statistics.median(landscape_warm):.3f} s, "
          f"{landscape_cpu}  (target < 3 s)")
    print(f"Worker memory: {rss_start:.0f} MB before rendering, {rss_end:.0f} MB after "
          f"{len(CPU_TIMES)} PDFs, peak RSS {rss_peak:.0f} MB  (target < 300 MB)")


LONG_COMMENTS, LONG_COMMENT_CHARS = 60, 20_000
MANY_COMMENTS = 5_000
EXPORT_SIGNALS = 63_000


def build_bounds(path: Path) -> str:
    """A database for the bounds: two hot cases and 63,000 signals; returns their keys."""
    from flask_migrate import upgrade

    from casework.cases.operations import add_comment
    from casework.models import Signal
    from casework.signals.operations import file_signal, qualify_into_new_case
    from casework.users.operations import create_user
    from casework.vocabulary import Category, Market, SignalSource, SignalStatus

    app = _app(path)
    with app.app_context():
        upgrade()
        pm = create_user(None, email="pm@bench.example", name="Paula Programm",
                         role="program_manager", password="bench-password-1")
        db.session.commit()
        keys = []
        for n, (count, length) in enumerate(((LONG_COMMENTS, LONG_COMMENT_CHARS),
                                             (MANY_COMMENTS, 300))):
            signal = file_signal(pm, title=f"Hot case {n}", description="", source="news",
                                 market="DE", surface="live", category="hate_speech",
                                 url=None, external_ref=f"hot-{n}")
            case = qualify_into_new_case(
                pm, signal, title=f"Hot case {n}", summary="Lange Diskussion. " * 1_000,
                category="hate_speech", markets=["DE"], surfaces=["live"], likelihood=3,
                impact=4)
            words = " ".join(f"Wort{k}" for k in range(length))[:length]
            for _ in range(count):
                add_comment(pm, case, words)
            db.session.commit()
            keys.append(case.key)
        now = datetime.now(UTC)
        for first in range(0, EXPORT_SIGNALS, 10_000):
            db.session.execute(sa.insert(Signal), [dict(
                title=f"Export signal {n}: Hassrede unter Live-Streams",
                description="Beobachtet im Live-Bereich. " * 4, source=SignalSource.NEWS,
                market=Market.AT, category=Category.HATE_SPEECH, status=SignalStatus.NEW,
                url=f"https://news.example.org/{n}", external_ref=f"export-{n}",
                reported_by_id=pm.id, created_at=now, updated_at=now)
                for n in range(first, min(first + 10_000, EXPORT_SIGNALS))])
        db.session.commit()
        db.engine.dispose()
    return ",".join(keys)


def measure_bounds(path: Path, keys: str) -> None:
    """Time the bounded PDFs, the case page and the big export in this (fresh) process."""
    import tracemalloc

    from casework.models import Case
    from casework.reports import documents
    from casework.reports.summary import Audience

    long_key, many_key = keys.split(",")
    app = _app(path)
    app.config["EXPORT_MAX_ROWS"] = 100_000  # past the default, to measure 63,000 rows
    app.config["WTF_CSRF_ENABLED"] = False  # the bench logs in with a plain POST
    with app.test_request_context():
        def summary(key):
            db.session.expire_all()
            case = db.session.scalar(sa.select(Case).where(Case.key == key))
            return documents.summary_pdf(case, Audience.INTERNAL, generated_by="bench")[0]

        _timed(lambda: summary(long_key), 1)
        long_pdf = _timed(lambda: summary(long_key), 5)
        long_cpu = _cpu(5)
        _timed(lambda: summary(many_key), 1)
        many_pdf = _timed(lambda: summary(many_key), 5)
        many_cpu = _cpu(5)
    client = app.test_client()
    client.post("/login", data={"email": "pm@bench.example", "password": "bench-password-1"})
    client.get(f"/cases/{many_key}")
    page = _timed(lambda: client.get(f"/cases/{many_key}").data, 10)
    older = _timed(lambda: client.get(f"/cases/{many_key}/comments?page=40").data, 10)

    rss_before = _rss_now()
    started = time.perf_counter()
    response = client.get("/signals/export.xlsx?status=all")
    size = len(response.get_data())
    export_seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    client.get("/signals/export.xlsx?status=all").get_data()
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Summary PDF, {LONG_COMMENTS} comments of {LONG_COMMENT_CHARS:,} characters: warm "
          f"median {statistics.median(long_pdf):.3f} s, {long_cpu}  (target well under 1 s)")
    print(f"Summary PDF, {MANY_COMMENTS:,} comments: warm median "
          f"{statistics.median(many_pdf):.3f} s, {many_cpu}  (target well under 1 s)")
    print(f"Case page with {MANY_COMMENTS:,} comments: median {statistics.median(page) * 1000:.0f}"
          f" ms; its comments' page 40: {statistics.median(older) * 1000:.0f} ms")
    print(f"XLSX export of {EXPORT_SIGNALS:,} signals ({size // 1024:,} KB): "
          f"{export_seconds:.1f} s; Python's peak allocations {traced_peak / 2**20:.0f} MB; "
          f"process RSS {rss_before:.0f} MB before, peak {rss_peak:.0f} MB")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        measure(Path(sys.argv[2]), sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--measure-bounds":
        measure_bounds(Path(sys.argv[2]), sys.argv[3])
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        big_key = build(path)
        print(f"Built the bench database in {time.perf_counter() - started:.1f} s.")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        subprocess.run([sys.executable, __file__, "--measure", str(path), big_key],
                       check=True, env=env)
        bounds = Path(folder) / "bounds.sqlite3"
        started = time.perf_counter()
        keys = build_bounds(bounds)
        print(f"Built the bounds database in {time.perf_counter() - started:.1f} s.")
        subprocess.run([sys.executable, __file__, "--measure-bounds", str(bounds), keys],
                       check=True, env=env)


if __name__ == "__main__":
    main()
