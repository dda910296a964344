"""Finding what a request names, with the reader's visibility: pages, API and CLI alike.

A loader answers the record or refuses with ``NotFound``: a restricted case the reader may
not see does not exist for them. A *reference* (a case named in a form field or a JSON
body) is input, so a missing one is a ``ValidationFailed`` beside that field.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from casework.errors import NotFound, ValidationFailed
from casework.extensions import db
from casework.models import Case, MitigationAction, User
from casework.permissions import can_view_case

KEY_MAX = 40  # far longer than RISK-2026-0042; longer text is no key


def _by_key(key: str) -> Case | None:
    key = (key or "").strip().upper()
    if not key or len(key) > KEY_MAX or "\x00" in key:
        return None
    return db.session.scalar(sa.select(Case).where(Case.key == key))


def load_case(reader: User, key: str) -> Case:
    """The case with this key, as ``reader`` may see it.

    :raise NotFound: no such case, or a restricted one the reader may not see.
    """
    case = _by_key(key)
    if case is None or not can_view_case(reader, case):
        raise NotFound(_("There is no case %(key)s.", key=str(key)[:KEY_MAX]))
    return case


def load_action(reader: User, action_id: int, case: Case | None = None) -> MitigationAction:
    """A mitigation action of a case the reader may see (of ``case``, when given).

    :raise NotFound: no such action, not of that case, or of a case the reader may not see.
    """
    action = db.session.get(MitigationAction, action_id)
    if (action is None or (case is not None and action.case_id != case.id)
            or not can_view_case(reader, action.case)):
        raise NotFound(_("There is no mitigation action %(id)d.", id=action_id))
    return action


def case_reference(reader: User, key: str, field: str) -> Case:
    """A case named in ``field`` of a form or body.

    :raise ValidationFailed: no such case the reader may see (beside ``field``).
    """
    case = _by_key(key if isinstance(key, str) else "")
    if case is None or not can_view_case(reader, case):
        raise ValidationFailed(_("There is no case %(key)s.", key=str(key).strip()[:KEY_MAX]),
                               field)
    return case
