"""``flask casework summary`` and ``flask casework landscape``: the PDFs for scripts and cron.

Without ``--as`` the command line reads like leadership that owns nothing: every case but
the restricted ones. With ``--as EMAIL`` it reads exactly what that user may see. The PDF is
written in ``--lang``, else the ``--as`` user's language, else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import gettext as _

from casework import permissions
from casework.cli_support import fail as _fail
from casework.errors import CaseworkError
from casework.extensions import db
from casework.languages import language_from, reader_language, written_in
from casework.models import Case
from casework.reports import documents, operations
from casework.reports.figures import Period
from casework.reports.summary import Audience
from casework.users.operations import find_user
from casework.vocabulary import Role
from casework.web.edge import unit_of_work


@dataclass(frozen=True)
class CommandLineReader:
    """Who the command line reads as without ``--as``: sees no restricted case."""

    id: int = 0  # no user has id 0, so it owns no case
    role: Role = Role.LEADERSHIP
    active: bool = True
    is_authenticated: bool = True

    @property
    def name(self) -> str:
        return _("Casework (command line)")


def _reader(email: str | None):
    """The user to read as, and the one the audit trail names (None: the system)."""
    if not email:
        return CommandLineReader(), None
    user = find_user(email)
    if user is None or not user.active:
        _fail(_("no active user with the e-mail %(email)s", email=email))
    return user, user


def _language(reader, lang: str | None):
    """The language to write the PDF in: ``--lang``, else the reader's own, else English."""
    try:
        return reader_language(reader, language_from(lang, "--lang"))
    except CaseworkError:
        _fail(_("the language is de or en, not %(lang)s", lang=lang))


LANG_HELP = "de or en (default: the --as user's language, else English)."


def _write(path: str, pdf: bytes) -> None:
    try:
        Path(path).write_bytes(pdf)
    except OSError as error:
        _fail(_("cannot write %(file)s: %(reason)s", file=path, reason=error.strerror or error))


@click.command("summary")
@with_appcontext
@click.argument("key")
@click.option("-o", "--output", required=True, help="The PDF file to write.")
@click.option("--audience", default=Audience.INTERNAL.value, show_default=True,
              help="internal or partner.")
@click.option("--as", "as_email", metavar="EMAIL", help="Read as this user.")
@click.option("--lang", help=LANG_HELP)
def summary_command(key: str, output: str, audience: str, as_email: str | None,
                    lang: str | None) -> None:
    """Write the PDF summary of case KEY."""
    reader, audit_actor = _reader(as_email)
    language = _language(reader, lang)
    case = db.session.scalar(sa.select(Case).where(Case.key == key.strip().upper()))
    if case is None or not permissions.can_download_summary(reader, case):
        _fail(_("no case %(key)s that you may read", key=key) if as_email else
              _("no case %(key)s that you may read (a restricted case needs --as with a "
                "user who may see it)", key=key))
    try:
        chosen = Audience(audience)
    except ValueError:
        _fail(_("the audience is internal or partner, not %(audience)s", audience=audience))
    try:
        with written_in(language):
            pdf, summary = documents.summary_pdf(case, chosen, generated_by=reader.name)
        _write(output, pdf)
        with unit_of_work():
            operations.record_summary_download(audit_actor, case, chosen, summary.fingerprint)
    except CaseworkError as error:
        _fail(error.message)
    click.echo(_("Wrote %(file)s (%(audience)s summary of %(key)s, fingerprint %(fingerprint)s).",
                 file=output, audience=chosen.value, key=case.key,
                 fingerprint=summary.fingerprint))


@click.command("landscape")
@with_appcontext
@click.option("--from", "first", metavar="YYYY-MM-DD", help="First day (default: a week ago).")
@click.option("--to", "last", metavar="YYYY-MM-DD", help="Last day (default: today).")
@click.option("--market", help="DE, AT or CH (default: all of DACH).")
@click.option("-o", "--output", required=True, help="The PDF file to write.")
@click.option("--as", "as_email", metavar="EMAIL", help="Read as this user.")
@click.option("--lang", help=LANG_HELP)
def landscape_command(first: str | None, last: str | None, market: str | None, output: str,
                      as_email: str | None, lang: str | None) -> None:
    """Write the risk landscape report (Lagebericht) for a period, e.g. weekly from cron."""
    reader, audit_actor = _reader(as_email)
    language = _language(reader, lang)
    if as_email and not permissions.can_view_dashboard(reader):
        _fail(_("%(email)s may not read the risk landscape", email=as_email))
    try:
        period = Period.from_values(first, last, market)
        with written_in(language):
            pdf, _figures = documents.landscape_pdf(reader, period, generated_by=reader.name)
        _write(output, pdf)
        with unit_of_work():
            operations.record_landscape_download(audit_actor, period)
    except CaseworkError as error:
        _fail(error.message)
    click.echo(_("Wrote %(file)s (risk landscape %(first)s to %(last)s, %(market)s).",
                 file=output, first=period.first, last=period.last,
                 market=period.market.value if period.market else "DACH"))
