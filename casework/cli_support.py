"""What every ``flask casework`` command shares: how a refusal ends the command.

The command modules (``casework.cli``, ``casework.ops``, ``casework.reports.cli``) import
this, never each other, so the group that collects the commands is imported by no one.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask_babel import gettext as _


def fail(message: str) -> NoReturn:
    """Print one readable line and exit with status 1."""
    click.echo(_("Error: %(message)s", message=message), err=True)
    sys.exit(1)
