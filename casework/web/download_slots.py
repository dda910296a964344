"""At most a few PDFs and exports per user at once, across every worker and app server.

A PDF or an export keeps a worker busy for a while; unbounded, one user (or a script with
their token) could start many at once and hold every worker. Each of these downloads takes
one of the user's ``DOWNLOADS_PER_USER`` slots for as long as it works (a CSV export: until
its last row is sent); when every slot is taken the request is refused at once with 429
and ``Retry-After``, on the pages and in the API alike.

A slot is a lock that the database server or the operating system drops by itself when its
holder dies, so a crashed worker never leaves a user locked out, and no table is needed:

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) held on a connection of
  its own, so every app server on the database shares the count;
- SQLite (one machine by nature): ``flock`` on a small file beside the database file.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from casework.errors import TooManyRequests
from casework.extensions import db

# The advisory locks' first key: "CW" and a slot number; the second key is the user's id.
LOCK_SPACE = 0x4357_0000


class DownloadSlot:
    """One of a user's slots, held until :meth:`release` (which may be called many times;
    the slot is also given back when the object is garbage collected)."""

    def __init__(self, release: Callable[[], None] | None):
        self._finalizer = weakref.finalize(self, release) if release else None

    def release(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> DownloadSlot:
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def take_download_slot(user) -> DownloadSlot:
    """A free slot of ``user``'s for one PDF or export.

    :raise TooManyRequests: every slot of the user's is taken by a download still under way.
    """
    slots = current_app.config["DOWNLOADS_PER_USER"]
    if not slots:
        return DownloadSlot(None)
    take = _advisory_lock if db.engine.dialect.name == "postgresql" else _file_lock
    for number in range(slots):
        release = take(user.id, number)
        if release is not None:
            return DownloadSlot(release)
    raise TooManyRequests(
        _("You already have %(num)d PDFs or exports under way. Wait until one has finished "
          "downloading, then try again.", num=slots),
        retry_after=current_app.config["DOWNLOAD_RETRY_SECONDS"])


def _advisory_lock(user_id: int, number: int) -> Callable[[], None] | None:
    """Take PostgreSQL's advisory lock of slot ``number``; how to give it back, or None."""
    keys = {"space": LOCK_SPACE + number, "user": user_id}
    connection = db.engine.connect()
    try:
        taken = connection.execute(sa.text(
            "SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:user AS integer))"),
            keys).scalar_one()
        connection.commit()  # the lock belongs to the session and outlives the transaction
    except BaseException:
        connection.invalidate()
        connection.close()
        raise
    if not taken:
        connection.close()
        return None

    def release() -> None:
        try:
            connection.execute(sa.text(
                "SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:user AS integer))"),
                keys)
            connection.commit()
        except Exception:
            # The server drops the lock with the session: never hand this one on.
            connection.invalidate()
        finally:
            connection.close()

    return release


def _file_lock(user_id: int, number: int) -> Callable[[], None] | None:
    """Take the file lock of slot ``number``; how to give it back, or None when taken."""
    path = os.path.join(_lock_folder(), f"user-{user_id}-{number}.lock")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    except BaseException:
        os.close(descriptor)
        raise
    return lambda: os.close(descriptor)  # closing the file drops the lock


def _lock_folder() -> str:
    """Beside the SQLite database (``casework.sqlite3-downloads/``), so that every worker
    on that database, and only those, share the locks."""
    database = db.engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = os.path.abspath(database) + "-downloads"
    else:
        folder = os.path.join(current_app.instance_path, "downloads")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder
