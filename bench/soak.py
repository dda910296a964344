"""Soak test: gunicorn under a hot case's traffic for a long while; fails on a crashed worker
or any 5xx. Not part of `make test` or CI (it takes an hour).

    make soak SOAK_MINUTES=30          (SQLite, then PostgreSQL through scripts/with-postgres)
    .venv/bin/python bench/soak.py [--engine auto|sqlite|postgres] [--minutes N] ...

For each database engine (``auto``: SQLite, and PostgreSQL too when CASEWORK_SOAK_POSTGRES or
CASEWORK_TEST_POSTGRES_URL names a server; scripts/with-postgres sets the latter):

* builds a fresh database: migrations, synthetic data (``flask casework synth``), and a hot
  case with 5,000 comments;
* serves it with gunicorn as `make serve` does (gunicorn.conf.py, several workers, a free
  localhost port), its log kept in a file;
* drives it from several clients for SOAK_MINUTES (default 30): the hot case's page and API
  JSON (the case, its comments and audit trail, page by page), comments posted through the
  API and the page's form, the queue in both, now and then a summary PDF;
* prints requests, errors by status, worker crashes (from gunicorn's log: "Fatal Python
  error", "Worker (pid:...) was sent SIG...", exits with a code, timeouts) and each
  worker's resident memory after warming up and at the end. gunicorn's log stays in
  instance/soak/.

Exits 1 when a worker crashed, a request got a 5xx or no answer. Extra environment
(PYTHONMALLOC=debug, PYTHONDEVMODE=1) passes on to gunicorn's workers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / "instance" / "soak"
SECRET_KEY = "soak-only"
HOT_COMMENTS = 5000
PER_PAGE = 200  # the API's largest page

# (weight, what): the hot case's traffic; see Client.act.
MIX = [
    (22, "case page"), (18, "case json"), (10, "comments json"), (8, "audit json"),
    (12, "post comment api"), (4, "post comment form"), (8, "queue page"),
    (8, "queue json"), (4, "other case page"), (1, "summary pdf"),
]
# The answers that are right; anything else counts as an error. A PDF may also be refused
# with 429 while the same user has other downloads under way (every client is one user).
EXPECTED = {"post comment api": {201}, "post comment form": {302}, "summary pdf": {200, 429}}
TEXTS = [
    "Neue Treffer im Marktplatz, bitte prüfen: Händler {n} wieder aktiv.",
    "Partner confirmed the takedown for batch {n}; 3 listings remain <b>live</b> & visible.",
    "Escalated to legal ({n}). Quote: \"we'll respond within 24h\" — follow up Friday.",
    "Zählung {n}: 17 Konten, 4 davon mit gleicher IBAN; Muster wie im März. 🚩",
]


def comment_text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(TEXTS).format(n=n) for _ in range(rng.randint(1, 4)))


# --------------------------------------------------------------------------- the database


def _env(url: str) -> dict:
    # Limits off: the soak drives one token and one address far past any real quota.
    return {**os.environ, "FLASK_APP": "app.py", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
            "CASEWORK_API_RATE_PER_TOKEN": "0", "CASEWORK_API_RATE_PER_ADDRESS": "0",
            "PYTHONWARNINGS": "ignore"}


@contextlib.contextmanager
def database(engine: str, workdir: Path):
    """A fresh, empty database's URL; dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'soak.sqlite3'}"
        return
    import psycopg

    server = postgres_url()
    name = f"casework_soak_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def postgres_url() -> str | None:
    return (os.environ.get("CASEWORK_SOAK_POSTGRES")
            or os.environ.get("CASEWORK_TEST_POSTGRES_URL"))


def fill(url: str, cases: int) -> dict:
    """Migrations, synthetic data and the hot case; what the clients need to know."""
    for command in (["db", "upgrade"], ["casework", "synth", "--cases", str(cases)]):
        subprocess.run([str(BIN / "flask"), *command], cwd=ROOT, env=_env(url), check=True,
                       capture_output=True)
    import sqlalchemy as sa

    from casework import create_app
    from casework.api.tokens import create_token
    from casework.cases import operations
    from casework.extensions import db
    from casework.models import Case, User
    from casework.ops.synth import SYNTH_PASSWORD
    from casework.vocabulary import CaseState, Role

    app = create_app({"SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": url})
    rng = random.Random(5000)
    with app.app_context():
        pm = db.session.scalar(sa.select(User).where(
            User.role == Role.PROGRAM_MANAGER, User.active.is_(True)).order_by(User.id).limit(1))
        open_cases = (sa.select(Case).where(
            Case.restricted.is_(False),
            Case.state.not_in([CaseState.CLOSED, CaseState.DISMISSED])).order_by(Case.id))
        hot = db.session.scalar(open_cases.limit(1))
        others = [case.key for case in db.session.scalars(open_cases.offset(1).limit(100))]
        for n in range(HOT_COMMENTS):
            operations.add_comment(pm, hot, comment_text(rng, n))
            if n % 500 == 499:
                db.session.commit()
        _token, secret = create_token(None, pm, "soak")
        db.session.commit()
        facts = {"key": hot.key, "others": others, "email": pm.email,
                 "password": SYNTH_PASSWORD, "secret": secret}
        db.engine.dispose()
    return facts


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@contextlib.contextmanager
def gunicorn(url: str, workers: int, log: Path):
    """gunicorn as `make serve` runs it, with ``workers`` workers; (process, base URL)."""
    port = _free_port()
    env = {**_env(url), "HOST": "127.0.0.1", "PORT": str(port),
           "WEB_CONCURRENCY": str(workers)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "app:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while len(workers_of(process.pid)) < workers or not _answers(base):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"gunicorn did not start; see {log}")
            time.sleep(0.5)
        yield process, base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


# --------------------------------------------------------------------------- the clients


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to count, not a page to fetch


class Client:
    """One user in a browser (session cookie, CSRF token) and with an API token."""

    def __init__(self, base: str, facts: dict, number: int):
        self.base, self.facts = base, facts
        self.rng = random.Random(number)
        self.number = number
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
        self.api = {"Authorization": f"Bearer {facts['secret']}"}
        self.csrf = ""
        self.comment_pages = HOT_COMMENTS // PER_PAGE + 1

    def request(self, method: str, path: str, data: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        call = urllib.request.Request(self.base + path, data=data, method=method,
                                      headers=headers or {})
        try:
            with self.opener.open(call, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read()

    def log_in(self) -> None:
        _status, page = self.request("GET", "/login")
        form = {"email": self.facts["email"], "password": self.facts["password"],
                "csrf_token": _csrf(page)}
        status, _page = self.request("POST", "/login", urllib.parse.urlencode(form).encode())
        if status != 302:
            raise SystemExit(f"login failed: {status}")
        _status, page = self.request("GET", f"/cases/{self.facts['key']}")
        self.csrf = _csrf(page)

    def act(self, what: str) -> int:
        key, rng = self.facts["key"], self.rng
        api = f"/api/v1/cases/{key}"
        if what == "case page":
            return self.request("GET", f"/cases/{key}")[0]
        if what == "case json":
            return self.request("GET", api, headers=self.api)[0]
        if what == "comments json":
            page = rng.randint(1, self.comment_pages)
            return self.request("GET", f"{api}/comments?per_page={PER_PAGE}&page={page}",
                                headers=self.api)[0]
        if what == "audit json":
            page = rng.randint(1, self.comment_pages)
            return self.request("GET", f"{api}/audit?per_page={PER_PAGE}&page={page}",
                                headers=self.api)[0]
        if what == "post comment api":
            body = json.dumps({"body": comment_text(rng, self.number)}).encode()
            return self.request("POST", f"{api}/comments", body,
                                {**self.api, "Content-Type": "application/json"})[0]
        if what == "post comment form":
            form = {"body": comment_text(rng, self.number), "csrf_token": self.csrf}
            return self.request("POST", f"/cases/{key}/comments",
                                urllib.parse.urlencode(form).encode())[0]
        if what == "queue page":
            return self.request("GET", rng.choice(["/cases", "/cases?state=open",
                                                   "/cases?sort=updated"]))[0]
        if what == "queue json":
            return self.request("GET", rng.choice(["/api/v1/cases", "/api/v1/cases?state=open"]),
                                headers=self.api)[0]
        if what == "other case page":
            return self.request("GET", f"/cases/{rng.choice(self.facts['others'])}")[0]
        if what == "summary pdf":
            return self.request("GET", f"{api}/summary.pdf", headers=self.api)[0]
        raise ValueError(what)


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return found.group(1).decode() if found else ""


# --------------------------------------------------------------------------- one soak


def soak(engine: str, options, workdir: Path) -> bool:
    """One engine's soak; prints its report and returns whether it passed."""
    print(f"\n== {engine}: building the database ({options.cases} cases, a hot case with "
          f"{HOT_COMMENTS:,} comments)", flush=True)
    with database(engine, workdir) as url:
        started = time.monotonic()
        facts = fill(url, options.cases)
        print(f"   built in {time.monotonic() - started:.0f} s; hot case {facts['key']}",
              flush=True)
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"gunicorn-{engine}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        with gunicorn(url, options.workers, log) as (process, base):
            report = drive(process, base, facts, options)
        report["log"] = read_log(log)
    return print_report(engine, report, log)


def drive(process, base: str, facts: dict, options) -> dict:
    seconds = options.minutes * 60
    warm_up = min(60.0, seconds / 5)
    statuses: Counter = Counter()  # (what, status)
    failures: Counter = Counter()  # (what, status or error)
    lock = threading.Lock()
    begun = time.monotonic()
    stop = begun + seconds
    kinds = [what for _weight, what in MIX]
    weights = [weight for weight, _what in MIX]

    def client(number: int) -> None:
        user = Client(base, facts, number)
        user.log_in()
        while time.monotonic() < stop:
            what = user.rng.choices(kinds, weights)[0]
            try:
                status = user.act(what)
            except OSError as error:  # no answer: refused, reset, timed out
                status = f"no answer ({type(error).__name__})"
            with lock:
                statuses[(what, status)] += 1
                if status not in EXPECTED.get(what, {200}):
                    failures[(what, status)] += 1
            time.sleep(options.pause)

    rss_start: dict[int, float] = {}
    rss_end: dict[int, float] = {}
    seen_at: dict[int, float] = {}

    def watch() -> None:
        while time.monotonic() < stop:
            now = time.monotonic()
            for pid in workers_of(process.pid):
                seen_at.setdefault(pid, now)
                rss = rss_mb(pid)
                if rss is None:
                    continue
                # A worker's start: after the warm-up (or its own first minute, if it is a
                # replacement), when it has loaded and cached what it needs.
                if pid not in rss_start and now >= max(begun + warm_up, seen_at[pid] + 30):
                    rss_start[pid] = rss
                rss_end[pid] = rss
            time.sleep(2)

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(options.clients)]
    threads.append(threading.Thread(target=watch, daemon=True))
    for thread in threads:
        thread.start()
    last = begun
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
        if time.monotonic() - last >= 60:
            last = time.monotonic()
            with lock:
                done, bad = sum(statuses.values()), sum(failures.values())
            print(f"   {(last - begun) / 60:4.0f} min: {done:,} requests, {bad} errors, "
                  f"workers {sorted(workers_of(process.pid))}", flush=True)
    alive = set(workers_of(process.pid))
    return {"statuses": statuses, "failures": failures, "seconds": time.monotonic() - begun,
            "rss": {pid: (rss_start.get(pid), rss_end.get(pid), pid in alive)
                    for pid in sorted(seen_at)}}


def read_log(log: Path) -> dict:
    text = log.read_text(errors="replace")
    deaths = {}
    for pid, how in re.findall(r"Worker \(pid:(\d+)\) was sent (SIG\w+)", text):
        if how != "SIGTERM":
            deaths[pid] = f"sent {how}"
    for pid, code in re.findall(r"Worker \(pid:(\d+)\) exited with code (\d+)", text):
        deaths.setdefault(pid, f"exited with code {code}")
    for pid in re.findall(r"WORKER TIMEOUT \(pid:(\d+)\)", text):
        deaths[pid] = "timed out"
    fatal = text.count("Fatal Python error")
    first = text.find("Fatal Python error")
    return {"fatal": fatal, "deaths": deaths,
            "restarts": text.count("Autorestarting worker"),
            "first_fatal": text[first:first + 4000] if first >= 0 else ""}


def print_report(engine: str, report: dict, log: Path) -> bool:
    statuses, failures, logged = report["statuses"], report["failures"], report["log"]
    total = sum(statuses.values())
    print(f"\n== {engine}: {total:,} requests in {report['seconds'] / 60:.1f} min "
          f"({total / report['seconds']:.1f}/s)")
    by_kind: Counter = Counter()
    for (what, _status), count in statuses.items():
        by_kind[what] += count
    for what, count in by_kind.most_common():
        print(f"   {what:<20} {count:>8,}")
    by_status: Counter = Counter()
    for (_what, status), count in failures.items():
        by_status[status] += count
    print(f"   errors: {sum(failures.values())}")
    for status, count in sorted(by_status.items(), key=str):
        where = ", ".join(sorted(what for (what, s) in failures if s == status))
        print(f"     {status}: {count} ({where})")
    print(f"   worker crashes: {len(logged['deaths'])}"
          f" ('Fatal Python error' {logged['fatal']} times in the log)"
          + "".join(f"\n     pid {pid}: {how}" for pid, how in logged["deaths"].items()))
    print(f"   restarts after max_requests: {logged['restarts']}")
    print("   worker RSS (MB): pid, after warm-up -> end, growth")
    for pid, (start, end, alive) in report["rss"].items():
        if start is None or end is None:
            print(f"     {pid}: too short-lived to measure{'' if alive else ' (gone)'}")
            continue
        print(f"     {pid}: {start:6.1f} -> {end:6.1f}  {end - start:+6.1f}"
              f"{'' if alive else '  (gone before the end)'}")
    if logged["first_fatal"]:
        print("   the first crash in the log:\n" + logged["first_fatal"])
    server_errors = sum(count for (_what, status), count in failures.items()
                        if not isinstance(status, int) or status >= 500)
    passed = not logged["deaths"] and not logged["fatal"] and not server_errors
    print(f"   {'PASSED' if passed else 'FAILED'} (gunicorn's log: {log})")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["auto", "sqlite", "postgres"], default="auto")
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("SOAK_MINUTES") or 30))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--pause", type=float, default=0.05,
                        help="Seconds each client waits between requests.")
    parser.add_argument("--cases", type=int, default=500)
    options = parser.parse_args()
    engines = [options.engine]
    if options.engine == "auto":
        engines = ["sqlite"] + (["postgres"] if postgres_url() else [])
    if "postgres" in engines and not postgres_url():
        raise SystemExit("Set CASEWORK_SOAK_POSTGRES (or run under scripts/with-postgres).")
    workdir = Path(tempfile.mkdtemp(prefix="casework-soak-"))
    try:
        results = [soak(engine, options, workdir) for engine in engines]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
