"""What a person supplies with a workflow step, read the same way from a form or a JSON
body: the adapter between request input and ``workflow.TransitionInput``."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import gettext as _

from casework.errors import ValidationFailed
from casework.extensions import db
from casework.models import User
from casework.validation import whole_number
from casework.vocabulary import Resolution
from casework.workflow import TransitionInput, step_for


def plain_int(value) -> int | None:
    """A database id or version from a JSON number or a form's ASCII digits; None for
    anything else (see ``validation.whole_number``)."""
    return whole_number(value)


def _owner(value) -> User | None:
    """A user named by e-mail address (the API) or by id (the form's select)."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and "@" in value:
        user = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == value.strip().lower()))
    else:
        number = plain_int(value)
        user = db.session.get(User, number) if number is not None else None
    if user is None:
        raise ValidationFailed(_("There is no such user."), "owner")
    return user


def _rating(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    number = plain_int(value)  # 1 to 5 is the step's rule, checked with the others
    if number is None:
        raise ValidationFailed(_("Choose a value from 1 to 5."), name)
    return number


def _resolution(value) -> Resolution | None:
    if value in (None, ""):
        return None
    try:
        return Resolution(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Resolution)
        raise ValidationFailed(_("Use one of: %(allowed)s.", allowed=allowed),
                               "resolution") from None


def transition_input(action, given: Mapping) -> TransitionInput:
    """The input of a step from a form's or a body's values; values a step does not take
    are refused (the page's form never has them, so the API alone can send them).

    :raise ValidationFailed: a value that is not what the step takes.
    """
    step = step_for(action)
    unused = sorted(name for name, value in given.items()
                    if name not in step.input_names and value not in (None, ""))
    if unused:
        raise ValidationFailed(_("This step does not take %(field)s.", field=unused[0]),
                               errors={name: _("Not used by this step.") for name in unused})
    note = given.get("note")
    if note is not None and not isinstance(note, str):
        raise ValidationFailed(_("Write the note as text."), "note")
    return TransitionInput(
        owner=_owner(given.get("owner")),
        note=note or "",
        resolution=_resolution(given.get("resolution")),
        residual_likelihood=_rating(given.get("residual_likelihood"), "residual_likelihood"),
        residual_impact=_rating(given.get("residual_impact"), "residual_impact"),
    )
