"""How fast a 50,000-row signal import runs, and how long other writers wait meanwhile.

    .venv/bin/python bench/bench_import.py [--rows 50000]     (also run by `make bench`)

On a fresh SQLite file: checks and imports a CSV of ``--rows`` rows through the same code
as the page, the API and the command line, while another user comments on a case through
the app every 0.2 s. Prints rows a second, the batches, and the comment's median and
longest answer time. Not a test: it prints, it never fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-only-password-1"


def csv_rows(rows: int) -> bytes:
    lines = ["Titel;Quelle;Markt;Kategorie;Beobachtet am;Referenz\n"]
    lines += [f"Hassrede im Live-Stream {n};Nachrichten;Deutschland;Hassrede;"
              f"24.11.2025 14:30;BENCH-{n}\n" for n in range(1, rows + 1)]
    return "".join(lines).encode("utf-8")


def run(rows: int) -> dict:
    from flask_migrate import upgrade

    from casework import create_app
    from casework.cases.operations import create_case
    from casework.extensions import db
    from casework.signals.importing import check_rows, import_signals
    from casework.users.operations import create_user

    folder = tempfile.mkdtemp(prefix="casework-bench-import-")
    app = create_app({"SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/import.sqlite3",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    data = csv_rows(rows)
    with app.app_context():
        upgrade()
        pm = create_user(None, email="pm@bench.example", name="PM", role="program_manager",
                         password=PASSWORD)
        create_user(None, email="other@bench.example", name="Other",
                    role="program_manager", password=PASSWORD)
        case = create_case(pm, title="Busy case", summary="", category="hate_speech",
                           markets=["DE"], surfaces=[], likelihood=3, impact=3)
        db.session.commit()
        key = case.key
        started = time.perf_counter()
        check_rows(pm, data)
        checked = time.perf_counter() - started

    waits: list[float] = []
    failures: list[int] = []
    done = threading.Event()

    def other_writer():
        client = app.test_client()
        client.post("/login", data={"email": "other@bench.example", "password": PASSWORD})
        while not done.is_set():
            began = time.perf_counter()
            answer = client.post(f"/cases/{key}/comments", data={"body": "Meanwhile"})
            waits.append(time.perf_counter() - began)
            if answer.status_code != 302:
                failures.append(answer.status_code)
            time.sleep(0.2)

    writer = threading.Thread(target=other_writer)
    with app.app_context():
        from casework.users.operations import find_user

        importer = find_user("pm@bench.example")
        writer.start()
        started = time.perf_counter()
        try:
            report = import_signals(importer, data, dry_run=False, filename="bench.csv")
        finally:
            elapsed = time.perf_counter() - started
            done.set()
            writer.join()
    summary = report.as_json()
    return {"rows": rows, "checked": checked, "elapsed": elapsed,
            "created": summary["created"], "batches": len(summary["batches"]),
            "waits": waits, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    result = run(parser.parse_args().rows)
    waits = result["waits"] or [0.0]
    print(f"\nSignal import of {result['rows']:,} rows (SQLite): "
          f"{result['elapsed']:.1f} s, {result['rows'] / result['elapsed']:,.0f} rows/s "
          f"({result['checked']:.1f} s checking), {result['created']:,} created in "
          f"{result['batches']} batches")
    print(f"Another user's comment meanwhile: {len(result['waits'])} posted, median "
          f"{statistics.median(waits) * 1000:.0f} ms, longest {max(waits) * 1000:.0f} ms, "
          f"{len(result['failures'])} failed")


if __name__ == "__main__":
    main()
