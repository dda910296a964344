"""``flask casework ...``: administration from the command line.

Each command runs one unit of work; a refusal prints one line to stderr and exits 1.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from casework.audit.cli import audit_cli
from casework.cli_support import fail
from casework.errors import CaseworkError, DatabaseBusy
from casework.languages import command_language, environment_language
from casework.ops.backup import backup_command, restore_command
from casework.ops.copy_database import copy_db_command
from casework.reports.cli import landscape_command, summary_command
from casework.users import operations as users
from casework.vocabulary import Role
from casework.web.edge import database_busy, unit_of_work


class CommandGroup(AppGroup):
    """The ``casework`` commands: they speak the shell's language (LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG: German for de_*, else English); a busy database ends any of them
    with one line."""

    def invoke(self, ctx):
        with command_language(environment_language()):
            try:
                return super().invoke(ctx)
            except DatabaseBusy as busy:
                fail(busy.message)
            except OperationalError as error:
                if not database_busy(error):
                    raise
                fail(DatabaseBusy().message)


casework_cli = CommandGroup("casework", help="Manage Casework users and data.")
casework_cli.add_command(audit_cli)
casework_cli.add_command(summary_command)
casework_cli.add_command(landscape_command)
casework_cli.add_command(backup_command)
casework_cli.add_command(restore_command)
casework_cli.add_command(copy_db_command)


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user_or_fail(email: str):
    user = users.find_user(email)
    if user is None:
        fail(_("no user with the e-mail %(email)s", email=email))
    return user


ROLE_CHOICE = click.Choice([r.value for r in Role])


@casework_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=ROLE_CHOICE)
def create_user_command(email: str, name: str, role: str) -> None:
    """Add a user; the password comes from standard input or a prompt."""
    password = _read_password()
    try:
        with unit_of_work():
            user = users.create_user(None, email=email, name=name, role=role, password=password)
    except CaseworkError as error:
        fail(error.message)
    click.echo(_("Created %(email)s (%(role)s).", email=user.email, role=user.role.value))


@casework_cli.command("set-role")
@click.option("--email", required=True)
@click.option("--role", required=True, type=ROLE_CHOICE)
def set_role_command(email: str, role: str) -> None:
    """Change a user's role; their sessions end."""
    user = _user_or_fail(email)
    try:
        with unit_of_work():
            users.set_role(None, user, role)
    except CaseworkError as error:
        fail(error.message)
    click.echo(_("%(email)s is now %(role)s.", email=user.email, role=user.role.value))


@casework_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email: str) -> None:
    """Stop a user from logging in; their sessions end and their API tokens are revoked."""
    user = _user_or_fail(email)
    try:
        with unit_of_work():
            revoked = users.deactivate_user(None, user)
    except CaseworkError as error:
        fail(error.message)
    click.echo(_("%(email)s is deactivated; every session ended.", email=user.email))
    for token in revoked:
        click.echo(_("Revoked the API token %(name)s (%(hint)s…).", name=token.name,
                      hint=token.hint))


@casework_cli.command("unlock")
@click.option("--email", required=True, help="The account whose failed logins to forget.")
@click.option("--address", default=None,
              help="Also forget the failed logins from this IP address.")
def unlock_command(email: str, address: str | None) -> None:
    """Let a user locked out by too many failed logins log in again at once."""
    from casework.auth import throttle

    user = _user_or_fail(email)
    with unit_of_work():
        forgotten = throttle.unlock(user.email, address)
    click.echo(_("%(email)s may log in again (%(num)d failed logins forgotten).",
                  email=user.email, num=forgotten))


@casework_cli.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="", help="What the token is for, e.g. 'monitoring import'.")
@click.option("--expires-in-days", type=int, default=None,
              help="Days until the token stops working (1-365); without it, it has no end.")
def create_token_command(email: str, name: str, expires_in_days: int | None) -> None:
    """Create an API token for a user and print it (shown only this once)."""
    from casework.api.tokens import create_token

    user = _user_or_fail(email)
    try:
        with unit_of_work():
            _token, secret = create_token(None, user, name, expires_in_days=expires_in_days)
    except CaseworkError as error:
        fail(error.message)
    click.echo(secret)


@casework_cli.command("import-signals")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "as_email", default="", help="Who imports (a program manager's e-mail); "
              "defaults to the only active admin.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_signals_command(file: str, as_email: str, dry_run: bool) -> None:
    """Import signals from a CSV file (German or English Excel exports work as they are),
    committed in batches; prints what landed, per batch and in total, as JSON."""
    import json

    from casework.signals.importing import import_signals

    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        fail(_("cannot read %(file)s: %(reason)s", file=file, reason=error.strerror))
    importer = _user_or_fail(as_email) if as_email else _only_admin()
    try:
        # Commits batch by batch; a re-run of a file that stopped half-way adds the rest.
        report = import_signals(importer, data, dry_run=dry_run, filename=file)
    except CaseworkError as error:
        fail(error.message)
    click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))


def _only_admin():
    import sqlalchemy as sa

    from casework.extensions import db
    from casework.models import User

    admins = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN,
                                                      User.active.is_(True))).all()
    if len(admins) != 1:
        fail(_("say who imports with --as EMAIL"))
    return admins[0]


@casework_cli.command("demo")
@click.option("--force", is_flag=True, help="Add the demo data even if the database has data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) on a non-empty database.")
def demo_command(force: bool, if_empty: bool) -> None:
    """Load realistic DACH demo data: users, signals and cases in every state."""
    from casework.ops import demo

    if not demo.database_is_empty():
        if if_empty:
            click.echo(_("The database has data already; no demo data loaded."))
            demo.print_logins(click.echo)
            return
        if not force:
            fail(_("the database is not empty; use --force to add the demo data anyway"))
    try:
        with unit_of_work():
            summary = demo.load()
    except CaseworkError as error:
        fail(error.message)
    click.echo(summary)
    demo.print_logins(click.echo)


@casework_cli.command("synth")
@click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases.")
@click.option("--signals", type=click.IntRange(min=0), default=None,
              help="How many signals (default: 1.5 per case).")
@click.option("--seed", type=int, default=1, help="The same seed gives the same data.")
def synth_command(cases: int, signals: int | None, seed: int) -> None:
    """Fill an EMPTY database with synthetic cases, signals and their audit trail."""
    import time

    from casework.ops import synth

    if not synth.database_is_empty():
        fail("the database is not empty; synth fills only an empty database")
    started = time.perf_counter()
    with unit_of_work():
        counts = synth.synthesize(cases, signals, seed)
    click.echo(f"{counts.describe()} ({time.perf_counter() - started:.0f} s; every user's "
               f"password is {synth.SYNTH_PASSWORD})")
