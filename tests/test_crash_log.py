"""A worker that dies of a fatal signal leaves a Python traceback in gunicorn's log, and
gunicorn replaces it and serves on (gunicorn.conf.py, casework.web.serving)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or not GUNICORN.exists(),
                                reason="needs gunicorn and Linux's /proc")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _workers(master: int) -> list[int]:
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


def _answer(port: int) -> int | None:
    """The status of GET /healthz (503 on this unmigrated database), None without one."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


def _wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("gave up waiting")


@pytest.fixture
def server(tmp_path):
    """gunicorn with gunicorn.conf.py, one worker, on a fresh SQLite file; the path of the
    stream gunicorn logs to (stdout, see its logconfig_dict)."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'casework.sqlite3'}",
           "SECRET_KEY": "crash-log-test"}
    env.pop("PYTHONFAULTHANDLER", None)  # the worker must set faulthandler up itself
    with log.open("wb") as out, (tmp_path / "stderr.log").open("wb") as err:
        process = subprocess.Popen(
            [str(GUNICORN), "--config", str(ROOT / "gunicorn.conf.py"), "app:app"],
            cwd=ROOT, env=env, stdout=out, stderr=err)
    try:
        _wait_for(lambda: _answer(port) is not None)
        yield process, port, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_crashed_worker_leaves_a_traceback_and_is_replaced(server):
    process, port, log = server
    (crashed,) = _workers(process.pid)

    os.kill(crashed, signal.SIGSEGV)  # as a crash in C code would
    _wait_for(lambda: b"was sent SIGSEGV" in log.read_bytes())
    (replacement,) = _wait_for(lambda: [p for p in _workers(process.pid) if p != crashed])
    assert _wait_for(lambda: _answer(port) is not None)

    # The traceback is in the same stream as gunicorn's own lines about the worker.
    text = log.read_text(errors="replace")
    assert "Fatal Python error: Segmentation fault" in text
    traceback = text[text.index("Fatal Python error"):]
    # Where the worker was: gunicorn's worker loop, as Python frames.
    assert "most recent call first" in traceback
    assert 'File "' in traceback and "gunicorn" in traceback
    assert f"Worker (pid:{crashed}) was sent SIGSEGV!" in text
    assert replacement != crashed and process.poll() is None
