"""Creating, finding and revoking API tokens. Functions flush and audit; never commit."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from casework import audit
from casework.errors import Conflict, PermissionDenied
from casework.extensions import db
from casework.models import User
from casework.models.api_token import ApiToken, hash_token, new_token_secret
from casework.models.types import utcnow
from casework.permissions import can_manage_tokens
from casework.validation import NAME_MAX, clean_text
from casework.vocabulary import AuditAction, AuditEntity


def create_token(actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; the secret is returned once and never stored.

    :raise PermissionDenied: the actor may not create tokens for this user.
    """
    if actor is not None and not can_manage_tokens(actor, user):
        raise PermissionDenied(_("You may only manage your own tokens."))
    if not user.active:
        raise Conflict(_("%(email)s is deactivated.", email=user.email))
    label = clean_text(name, "name", max_length=NAME_MAX) or _("API token")
    secret = new_token_secret()
    token = ApiToken(user=user, name=label, token_hash=hash_token(secret),
                     hint=secret[:8], created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    audit.record(AuditEntity.API_TOKEN, AuditAction.CREATED, entity_id=token.id, actor=actor,
                 changes={"user": user.email, "name": label, "hint": token.hint})
    return token, secret


def revoke_token(actor: User | None, token: ApiToken) -> ApiToken:
    """Stop a token from working, at once.

    :raise PermissionDenied: the actor may not revoke this token.
    """
    if actor is not None and not can_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may only manage your own tokens."))
    if token.revoked_at is not None:
        return token
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(AuditEntity.API_TOKEN, AuditAction.REVOKED, entity_id=token.id, actor=actor,
                 changes={"user": token.user.email, "name": token.name, "hint": token.hint})
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ))


def user_for_secret(secret: str) -> tuple[ApiToken, User] | None:
    """The token and its user for a presented secret, when it may be used."""
    if not secret.startswith("cw_") or len(secret) > 200:
        return None
    # Every API request asks: the token and its user in one query.
    token = db.session.scalar(sa.select(ApiToken).options(sa.orm.joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.is_usable:
        return None
    return token, token.user
