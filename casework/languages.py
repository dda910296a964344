"""Which language Casework speaks to whom.

Pages: the language the user chose on Account, else the one a visitor chose in the header
(kept in the session), else the browser's Accept-Language, else English. The API keeps
canonical codes and English field names; its messages follow Accept-Language only. PDFs
and exports are written in the language asked for (``?lang=``, ``--lang``), else the
reader's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from casework.errors import ValidationFailed
from casework.vocabulary import Language

# English as written in Europe: 24-hour clock, day before month ("30 Nov 2026").
LOCALES = {Language.GERMAN: "de", Language.ENGLISH: "en_GB"}
SESSION_KEY = "language"
API_PREFIX = "/api/v1"


def locale_of(language: Language) -> str:
    return LOCALES[language]


def browser_language() -> Language:
    """The browser's preferred language among ours (Accept-Language), else English.

    By the language alone, in the browser's order: "de-AT, en;q=0.5" is German and
    "en-US, de;q=0.9" English (werkzeug's ``best_match`` prefers any exact match, and so
    answered English and German there).
    """
    offered = current_app.config["CASEWORK_LANGUAGES"]
    for tag, quality in request.accept_languages:  # best first
        primary = tag.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in offered:
            return Language(primary)
    return Language.ENGLISH


def chosen_language() -> Language | None:
    """The logged-in user's saved choice, else the one kept in this browser's session.

    The user as this request has loaded them (every page does, first thing), never
    loaded here: choosing the words of an error page (a busy database, say) must not
    need the database.
    """
    user = g.get("_login_user") if has_request_context() else None
    if user is not None and user.is_authenticated and user.language:
        return Language(user.language)
    kept = session.get(SESSION_KEY)
    return Language(kept) if kept in set(Language) else None


def shown_language() -> Language:
    """The language of the current request (English outside one)."""
    locale = get_locale()
    return Language.GERMAN if locale is not None and locale.language == "de" else (
        Language.ENGLISH)


# The language of a command line run (``flask casework ...``), set for its duration.
_command_language: ContextVar[Language | None] = ContextVar("command_language", default=None)


def environment_language(environ=None) -> Language:
    """The language a shell asks for, as POSIX tools read it: the first of LANGUAGE,
    LC_ALL, LC_MESSAGES and LANG that is set ("de_AT.UTF-8" is German; "C" English)."""
    environ = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            first = value.split(":")[0].replace("-", "_").split("_")[0].split(".")[0].lower()
            return Language.GERMAN if first == "de" else Language.ENGLISH
    return Language.ENGLISH


@contextmanager
def command_language(language: Language) -> Iterator[None]:
    """A command's messages in ``language`` (its refusals, what it prints)."""
    token = _command_language.set(language)
    try:
        yield
    finally:
        _command_language.reset(token)


def select_locale() -> str | None:
    """Flask-Babel's locale selector; outside a request, a command's language, else None
    (the default, English)."""
    if not has_request_context():
        command = _command_language.get()
        return locale_of(command) if command is not None else None
    # The API is called by scripts with a token, not a session: Accept-Language decides.
    if not request.path.startswith(API_PREFIX):
        chosen = chosen_language()
        if chosen is not None:
            return locale_of(chosen)
    return locale_of(browser_language())


def language_from(value: str | None, field: str = "lang") -> Language | None:
    """The language named by ``?lang=`` or ``--lang`` (None when absent or empty).

    :raise ValidationFailed: not one of de, en.
    """
    if value is None or value == "":
        return None
    try:
        return Language(value)
    except ValueError:
        allowed = ", ".join(member.value for member in Language)
        raise ValidationFailed(_("Use one of: %(allowed)s.", allowed=allowed), field) from None


def reader_language(reader, requested: Language | None = None) -> Language:
    """What a PDF or export for ``reader`` is written in: the language asked for, else the
    reader's own choice, else the language of the request (English outside one)."""
    if requested is not None:
        return requested
    own = getattr(reader, "language", None)
    if own:
        return Language(own)
    return shown_language()


@contextmanager
def written_in(language: Language | None) -> Iterator[None]:
    """Translate, and format dates and numbers, in ``language`` inside the block (None:
    in the request's language)."""
    if language is None:
        yield
        return
    with force_locale(locale_of(language)):
        yield
