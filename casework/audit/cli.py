"""``flask casework audit ...``: check the audit chain and export it for an outside auditor."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from casework.audit import chain

audit_cli = AppGroup("audit", help="Verify and export the tamper-evident audit trail.")

DAY_OR_MOMENT = click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"])


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the whole chain; exit 1 naming the first event that does not fit."""
    result = chain.verify()
    if not result.ok:
        click.echo(_("Error: %(message)s", message=result.describe()), err=True)
        sys.exit(1)
    click.echo(_("OK: %(num)d audit events, head hash %(hash)s", num=result.count,
                 hash=result.head))


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


@audit_cli.command("export")
@click.option("--from", "since", type=DAY_OR_MOMENT,
              help="First day (UTC) to include, e.g. 2026-01-01.")
@click.option("--to", "until", type=DAY_OR_MOMENT,
              help="Last day (UTC) to include; a time of day marks the end instead.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The JSON Lines file to write ('-' for standard output).")
def export_command(since: datetime | None, until: datetime | None, output: str) -> None:
    """Write the chain (or the unbroken stretch covering --from/--to) as JSON Lines."""
    end = _utc(until)
    if until is not None and until.time() == datetime.min.time():
        end = end + timedelta(days=1)  # a day given: the whole of it
    count = 0
    with click.open_file(output, "w", encoding="utf-8") as handle:
        for line in chain.export_events(since=_utc(since), until=end):
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    head = chain.current_head()
    click.echo(_("Exported %(num)d audit events to %(file)s; the chain's head hash is "
                 "%(hash)s (seq %(seq)d).", num=count, file=output, hash=head.hash,
                 seq=head.count), err=output == "-")
