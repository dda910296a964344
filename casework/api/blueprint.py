"""The API's blueprint at /api/v1, and who is calling: every API module adds its routes
to this one blueprint, behind the same authentication and the same hooks.

In the order they run: the client address's rate limit (an app-level hook), the bearer
token (``authenticate``), the token's rate limit, then Idempotency-Key
(``casework/api/contract.py``).
"""

from __future__ import annotations

from flask import Blueprint, g, request
from flask_babel import gettext as _

from casework.api.contract import register as register_contract
from casework.api.tokens import user_for_secret
from casework.errors import PermissionDenied, Unauthorized
from casework.extensions import csrf
from casework.models.types import utcnow
from casework.web.edge import refuse_nul_characters, unit_of_work

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: there is no session to forge

# --- authentication -------------------------------------------------------------------


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs ``Authorization: Bearer <token>``.

    A session cookie is ignored here, so a logged-in browser cannot be made to call the API.
    Input is looked at only after the caller is known (401 before 422).
    """
    if request.endpoint == "api.openapi":
        return None
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    found = user_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        raise Unauthorized(_("Send a valid API token as 'Authorization: Bearer <token>'."))
    token, user = found
    if user.must_change_password:
        # As in the browser: nothing until the temporary password is replaced.
        raise PermissionDenied(_("Change your temporary password in Casework first."),
                               code="password_change_required")
    g.api_user, g.api_token = user, token
    refuse_nul_characters()
    now = utcnow()
    # Remember when the token was last used, to the minute (not a write per request).
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with unit_of_work():
            token.last_used_at = now
    return None


register_contract(bp)
