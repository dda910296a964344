"""How fast the pages and the API answer at 1,000 and at 100,000 cases: prints one table.

    make bench            (or: .venv/bin/python bench/bench_app.py [--sizes 1000,100000])

Builds the databases it needs with ``flask casework synth`` (cached under
``instance/bench/``), then for each size:

* runs every scenario in this process with Flask's test client (server time, one client):
  the queue with each single filter and each sort, text search, a case page, the signal
  inbox, the dashboard and ``GET /api/v1/cases``;
* serves a copy of the database with gunicorn (2 workers, a free localhost port) and
  drives it from 16 client threads for a while: 80 % reads, 20 % writes (comments), all
  through the API with a token; reports requests/s, p99, errors and a worker's peak RSS.

Targets (issue 6): median < 20 ms and p95 < 50 ms per scenario at 100,000 cases, each
within 1.5x of the same at 1,000; >= 300 requests/s, p99 < 200 ms, no errors under load;
a worker under 150 MB. Not a test: it prints, it never fails on time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
FLASK = str(ROOT / ".venv" / "bin" / "flask")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RUNS = 40
LOAD_SECONDS = 30
CLIENTS = 16
SEED = 6


def _env(path: Path) -> dict:
    # One token drives the load: limits high enough never to refuse, but still counted.
    return {**os.environ, "FLASK_APP": "app.py", "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "bench-only", "PYTHONWARNINGS": "ignore",
            "CASEWORK_API_RATE_PER_TOKEN": "1000000",
            "CASEWORK_API_RATE_PER_ADDRESS": "1000000"}


def dataset(cases: int) -> Path:
    """The database with ``cases`` synthetic cases, built once and kept."""
    path = BENCH_DIR / f"cases-{cases}.sqlite3"
    done = path.with_suffix(".ok")
    if path.exists() and done.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for stale in BENCH_DIR.glob(f"cases-{cases}.sqlite3*"):
        stale.unlink()
    started = time.perf_counter()
    subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=_env(path), check=True,
                   capture_output=True)
    subprocess.run([FLASK, "casework", "synth", "--cases", str(cases), "--seed", str(SEED)],
                   cwd=ROOT, env=_env(path), check=True)
    _checkpoint(path)
    done.write_text(f"built in {time.perf_counter() - started:.0f} s\n")
    print(f"Built {path.name} in {time.perf_counter() - started:.0f} s.", flush=True)
    return path


def _checkpoint(path: Path) -> None:
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
    connection.close()


def working_copy(path: Path) -> Path:
    """A copy to run against (the benchmark writes: a token, comments), migrated to the
    code's newest revision (the cached database may be older) and analysed again."""
    copy = path.with_name(path.stem + "-run.sqlite3")
    for stale in BENCH_DIR.glob(copy.name + "*"):
        stale.unlink()
    shutil.copyfile(path, copy)
    subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=_env(copy), check=True,
                   capture_output=True)
    _checkpoint(copy)
    return copy


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- in process


def in_process(path: Path) -> tuple[list[tuple[str, list[float]]], str]:
    """Each scenario's server times (ms), and an API token of a program manager."""
    import sqlalchemy as sa

    from casework import create_app
    from casework.api.tokens import create_token
    from casework.extensions import db
    from casework.models import Case, User
    from casework.ops.synth import SYNTH_PASSWORD
    from casework.vocabulary import Role

    app = create_app({"SECRET_KEY": "bench-only", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "WTF_CSRF_ENABLED": False})
    rng = random.Random(SEED)
    with app.app_context():
        pm = db.session.scalar(sa.select(User).where(User.role == Role.PROGRAM_MANAGER)
                               .order_by(User.id).limit(1))
        busiest = db.session.scalar(sa.select(Case.owner_id).where(Case.owner_id.is_not(None))
                                    .group_by(Case.owner_id)
                                    .order_by(sa.func.count().desc()).limit(1))
        keys = list(db.session.scalars(sa.select(Case.key).order_by(sa.func.random())
                                       .limit(RUNS)))
        _token, secret = create_token(None, pm, "bench")
        db.session.commit()
        pm_email = pm.email
        db.engine.dispose()

    client = app.test_client()
    login = client.post("/login", data={"email": pm_email, "password": SYNTH_PASSWORD})
    assert login.status_code == 302, login.status_code
    api = {"Authorization": f"Bearer {secret}"}
    word = "Doxxing"
    scenarios = [
        ("queue", lambda: "/cases"),
        ("queue sort=updated", lambda: "/cases?sort=updated"),
        ("queue sort=created", lambda: "/cases?sort=created"),
        ("queue state=mitigating", lambda: "/cases?state=mitigating"),
        ("queue state=open", lambda: "/cases?state=open"),
        ("queue market=CH", lambda: "/cases?market=CH"),
        ("queue category=privacy", lambda: "/cases?category=privacy"),
        ("queue band=critical", lambda: "/cases?band=critical"),
        ("queue owner", lambda: f"/cases?owner={busiest}"),
        ("queue owner=none", lambda: "/cases?owner=none"),
        ("queue page 40", lambda: "/cases?page=40"),
        ("text search q=", lambda: f"/cases?q={word}"),
        ("case page", lambda: f"/cases/{rng.choice(keys)}"),
        ("signal inbox", lambda: "/signals"),
        ("signal inbox all", lambda: "/signals?status=all"),
        ("dashboard", lambda: "/dashboard"),
        ("dashboard, first view after a change", lambda: "/dashboard"),
        ("GET /api/v1/cases", lambda: "/api/v1/cases"),
        ("GET /api/v1/cases?state=closed", lambda: "/api/v1/cases?state=closed&sort=updated"),
    ]
    results = []
    for name, url in scenarios:
        headers = api if url().startswith("/api/") else {}
        for _ in range(3):  # warm: templates compiled, pages cached
            client.get(url(), headers=headers)
        times = []
        for _ in range(RUNS):
            target = url()
            if "after a change" in name:  # as if the audit chain's head had moved
                app.extensions.pop("casework_landscapes", None)
                app.extensions.pop("casework_dashboard_charts", None)
            started = time.perf_counter()
            response = client.get(target, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{target}: {response.status_code}")
        results.append((name, times))
    with app.app_context():
        db.engine.dispose()
    return results, secret


# --------------------------------------------------------------------------- under load


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def load_test(path: Path, secret: str) -> dict:
    """gunicorn as `make serve` runs it (gunicorn.conf.py), but 2 workers (one per core)
    and no request log; 16 client threads, 80 % reads and 20 % writes."""
    port = _free_port()
    server = subprocess.Popen(
        [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "casework:create_app()"],
        cwd=BENCH_DIR, env={**_env(path), "CASEWORK_LOG_FORMAT": ""},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        import sqlite3

        connection = sqlite3.connect(path)
        keys = [row[0] for row in connection.execute(
            "SELECT key FROM cases WHERE state NOT IN ('closed', 'dismissed') "
            "ORDER BY random() LIMIT 200")]
        connection.close()
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        reads = ["/api/v1/cases", "/api/v1/cases?state=mitigating", "/api/v1/cases?market=AT",
                 "/api/v1/cases?sort=updated", "/api/v1/signals?status=new"]
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.time() + LOAD_SECONDS

        def client(number: int) -> None:
            rng = random.Random(number)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine, wrong = [], []
            while time.time() < stop:
                roll = rng.random()
                if roll < 0.2:
                    method, url = "POST", f"/api/v1/cases/{rng.choice(keys)}/comments"
                    body = json.dumps({"body": f"Lastttest {number}: neue Treffer."})
                elif roll < 0.45:
                    method, url, body = "GET", f"/api/v1/cases/{rng.choice(keys)}", None
                else:
                    method, url, body = "GET", rng.choice(reads), None
                started = time.perf_counter()
                try:
                    connection.request(method, url, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status in (200, 201)
                    problem = f"{method} {url}: {response.status}"
                except (OSError, http.client.HTTPException) as error:
                    ok, problem = False, f"{method} {url}: {error!r}"
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                mine.append((time.perf_counter() - started) * 1000)
                if not ok:
                    wrong.append(problem)
            with lock:
                latencies.extend(mine)
                errors.extend(wrong)

        peaks: dict[int, float] = {}

        def watch() -> None:  # every worker's peak, also of one that was replaced meanwhile
            while time.time() < stop:
                for pid in _children(server.pid):
                    peaks[pid] = max(peaks.get(pid, 0.0), _peak_rss_mb(pid))
                time.sleep(0.5)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=watch))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        peak = max(peaks.values(), default=0.0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "median": statistics.median(latencies), "p95": _percentile(latencies, 0.95),
            "p99": _percentile(latencies, 0.99), "errors": errors, "rss": peak}


# --------------------------------------------------------------------------- the table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--no-load", action="store_true", help="Skip the load test.")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    rows, by_size = [], {}
    for size in sizes:
        copy = working_copy(dataset(size))
        try:
            results, secret = in_process(copy)
            by_size[size] = {name: statistics.median(times) for name, times in results}
            for name, times in results:
                rows.append((name, size, statistics.median(times), _percentile(times, 0.95),
                             _percentile(times, 0.99), None, None))
            if not options.no_load:
                load = load_test(copy, secret)
                rows.append((f"load: 16 clients, 80/20 ({load['requests']} req, "
                             f"{len(load['errors'])} errors)", size, load["median"],
                             load["p95"], load["p99"], load["rps"], load["rss"]))
                for problem in sorted(set(load["errors"]))[:5]:
                    print(f"  error under load at {size}: {problem}")
        finally:
            for leftover in BENCH_DIR.glob(copy.name + "*"):
                leftover.unlink()

    print(f"\n{'scenario':<52} {'size':>8} {'median':>8} {'p95':>8} {'p99':>8} "
          f"{'req/s':>7} {'peak RSS':>9}")
    for name, size, median, p95, p99, rps, rss in rows:
        ratio = ""
        small = by_size.get(min(sizes), {}).get(name)
        if size != min(sizes) and small:
            ratio = f"  x{median / small:.2f}"
        print(f"{name:<52} {size:>8,} {median:>6.1f}ms {p95:>6.1f}ms {p99:>6.1f}ms "
              f"{f'{rps:.0f}' if rps else '':>7} {f'{rss:.0f} MB' if rss else '':>9}{ratio}")
    print(f"\nMachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SQLite {__import__('sqlite3').sqlite_version}.")


if __name__ == "__main__":
    main()
