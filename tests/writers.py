"""Writer processes for the concurrency, crash and backup tests.

Each builds the app with ``create_app`` on a shared SQLite file and makes changes through
its own logged-in Flask test client, exactly as a worker process of a deployment would:

    python tests/writers.py changes  DATABASE EMAIL PASSWORD CASES_JSON COUNT NAME
    python tests/writers.py comments DATABASE EMAIL PASSWORD CASE_KEY COUNT NAME

``changes`` mixes comments, case edits (with the version just read) and action updates and
prints one JSON summary line at the end. ``comments`` prints ``ack MARKER`` (flushed) after
each comment the app acknowledged, for a test that kills the process mid-burst; COUNT 0
means until killed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

from casework import create_app

VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


def spawn(*arguments) -> subprocess.Popen:
    """Start this script in a process of its own (for the tests)."""
    return subprocess.Popen(
        [sys.executable, __file__, *map(str, arguments)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).parent.parent,
    )


def read_acks(process: subprocess.Popen, count: int, timeout_s: float = 60) -> list[str]:
    """The markers of the next ``count`` acknowledged comments of a ``comments`` writer.

    :raise AssertionError: the writer reported a problem, died, or was too slow.
    """
    acks, deadline = [], time.monotonic() + timeout_s
    while len(acks) < count:
        assert time.monotonic() < deadline, f"only {len(acks)} acknowledged in time"
        line = process.stdout.readline()
        assert line, f"the writer stopped: {process.stderr.read()[-2000:]}"
        assert not line.startswith("problem"), line
        if line.startswith("ack "):
            acks.append(line.removeprefix("ack ").strip())
    return acks


def build_app(database: str):
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def logged_in_client(app, email: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"login as {email} answered {response.status_code}")
    return client


def _problem(what: str, response) -> str:
    text = response.get_data(as_text=True)
    locked = " (database is locked)" if "database is locked" in text else ""
    return f"{what}: {response.status_code}{locked}"


def make_changes(database, email, password, cases_json, count, name) -> dict:
    """COUNT changes spread over the cases; what the app acknowledged, refused, or broke."""
    app = build_app(database)
    client = logged_in_client(app, email, password)
    cases = json.loads(cases_json)  # [{"key": ..., "action_id": ...}, ...]
    done = {"comments": [], "edits": [], "actions": [], "stale": 0, "problems": [],
            "slowest": 0.0}
    for number in range(int(count)):
        case = cases[number % len(cases)]
        key, marker = case["key"], f"{name}-{number}"
        kind = ("comment", "edit", "action")[number % 3]
        started = time.monotonic()
        try:
            if kind == "comment":
                response = client.post(f"/cases/{key}/comments", data={"body": marker})
                if response.status_code == 302:
                    done["comments"].append([key, marker])
                else:
                    done["problems"].append(_problem(f"comment {marker}", response))
            elif kind == "edit":
                page = client.get(f"/cases/{key}/edit")
                match = VERSION.search(page.get_data(as_text=True))
                if page.status_code != 200 or match is None:
                    done["problems"].append(_problem(f"edit page {marker}", page))
                    continue
                response = client.post(f"/cases/{key}/edit", data={
                    "title": marker, "summary": "Raced", "assessment": "", "category": "other",
                    "markets": ["DE"], "surfaces": ["live"], "likelihood": "3", "impact": "4",
                    "version": match.group(1)})
                if response.status_code == 302:
                    done["edits"].append([key, marker])
                elif response.status_code == 409:
                    done["stale"] += 1
                else:
                    done["problems"].append(_problem(f"edit {marker}", response))
            else:
                response = client.post(f"/cases/{key}/actions/{case['action_id']}/edit", data={
                    "title": "Keyword list update", "team": "content_policy",
                    "owner": "Jana Wolf", "due": "", "status": "in_progress",
                    "outcome": marker})
                if response.status_code == 302:
                    done["actions"].append([key, marker])
                else:
                    done["problems"].append(_problem(f"action {marker}", response))
        except Exception as error:  # the app raised: TESTING propagates it to the client
            waited = time.monotonic() - started
            done["problems"].append(f"{kind} {marker} after {waited:.1f} s: {error!r}"[:300])
        done["slowest"] = max(done["slowest"], time.monotonic() - started)
    return done


def burst_of_comments(database, email, password, key, count, name) -> None:
    """Comment until COUNT (or killed), printing each acknowledged marker at once."""
    app = build_app(database)
    client = logged_in_client(app, email, password)
    print("ready", flush=True)
    number = 0
    while int(count) == 0 or number < int(count):
        marker = f"{name}-{number}"
        response = client.post(f"/cases/{key}/comments", data={"body": marker})
        if response.status_code == 302:
            print(f"ack {marker}", flush=True)
        else:
            print(f"problem {_problem(marker, response)}", flush=True)
        number += 1


def main(argv: list[str]) -> int:
    command, *arguments = argv
    try:
        if command == "changes":
            print(json.dumps(make_changes(*arguments)), flush=True)
        elif command == "comments":
            burst_of_comments(*arguments)
        else:
            raise SystemExit(f"unknown command {command}")
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
