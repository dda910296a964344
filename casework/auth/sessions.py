"""Loading the logged-in user for each request, and ending sessions on the server.

A session is a signed cookie holding ``"user id:session epoch"`` plus when it began and when
it was last used. It ends when the user's epoch moves on (logout, deactivation, a role or
password change: every session of that user at once), after ``SESSION_IDLE_TIMEOUT`` without
a request, and ``SESSION_MAX_AGE`` after login, whatever happens in between.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from casework.extensions import db
from casework.languages import SESSION_KEY, chosen_language
from casework.models import User
from casework.models.types import utcnow

STARTED = "_casework_started"
SEEN = "_casework_seen"
# The last-seen stamp is rewritten at most this often (seconds), not on every request.
SEEN_RESOLUTION = 30


def configure(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # The session holds "id:epoch"; a deactivated user or a bumped epoch
        # (logout, deactivation, role or password change) ends the session on this request.
        user_id, _sep, epoch = session_id.partition(":")
        if not user_id.isdigit() or not epoch.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None
        return user


def _now() -> int:
    return int(utcnow().timestamp())


def _cleared(language: str | None) -> None:
    """Empty the session but for the language shown (a visitor's choice, harmless to keep)."""
    session.clear()
    if language:
        session[SESSION_KEY] = language


def start(user: User) -> None:
    """A fresh session for ``user``: nothing carried over from before the login but the
    language the visitor chose."""
    _cleared(session.get(SESSION_KEY))
    login_user(user)
    session[STARTED] = session[SEEN] = _now()


def renew(user: User) -> None:
    """Keep this browser's session after the user's epoch moved on (their own password
    change), without extending its lifetime; every other session of theirs has ended."""
    started = session.get(STARTED, _now())
    start(user)
    session[STARTED] = started


def end() -> None:
    """Log out; the login page stays in the language the user saw."""
    language = chosen_language()
    logout_user()
    _cleared(language.value if language else None)


def expired() -> bool:
    """True when the logged-in session is too old or was idle too long (and note its use)."""
    started, seen, now = session.get(STARTED), session.get(SEEN), _now()
    if not isinstance(started, int) or not isinstance(seen, int):
        return True  # not made by ``start``: refuse rather than guess
    config = current_app.config
    if now - started > config["SESSION_MAX_AGE"].total_seconds():
        return True
    if now - seen > config["SESSION_IDLE_TIMEOUT"].total_seconds():
        return True
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN] = now
    return False


def started_at() -> datetime | None:
    started = session.get(STARTED)
    return datetime.fromtimestamp(started, UTC) if isinstance(started, int) else None
