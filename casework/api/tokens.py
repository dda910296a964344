"""Creating, finding and revoking API tokens. Functions flush and audit; never commit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from casework import audit
from casework.errors import Conflict, PermissionDenied, ValidationFailed
from casework.extensions import db
from casework.models import User
from casework.models.api_token import ApiToken, hash_token, new_token_secret
from casework.models.types import utcnow
from casework.permissions import can_manage_tokens
from casework.validation import NAME_MAX, clean_text
from casework.vocabulary import AuditAction, AuditEntity

# The longest a token may live: a key to the API is renewed at least once a year.
MAX_DAYS = 365


def _expiry(days) -> timedelta | None:
    """How long a new token lives, or None for one without end.

    :raise ValidationFailed: not a whole number of days from 1 to ``MAX_DAYS``.
    """
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(_("Give a number of days from 1 to %(max)d.", max=MAX_DAYS),
                               "expires_in_days")
    return timedelta(days=days)


def create_token(actor: User | None, user: User, name: str = "", *,
                 expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; the secret is returned once and never stored.

    :raise PermissionDenied: the actor may not create tokens for this user.
    :raise Conflict: the user is deactivated.
    :raise ValidationFailed: the name is too long or the days out of range.
    """
    if actor is not None and not can_manage_tokens(actor, user):
        raise PermissionDenied(_("You may only manage your own tokens."))
    if not user.active:
        raise Conflict(_("%(email)s is deactivated.", email=user.email))
    label = clean_text(name, "name", max_length=NAME_MAX) or _("API token")
    lifetime = _expiry(expires_in_days)
    now = utcnow()
    secret = new_token_secret()
    token = ApiToken(user=user, name=label, token_hash=hash_token(secret),
                     hint=secret[:8], created_at=now,
                     expires_at=now + lifetime if lifetime else None)
    db.session.add(token)
    db.session.flush()
    changes = {"user": user.email, "name": label, "hint": token.hint}
    if token.expires_at is not None:
        changes["expires_at"] = token.expires_at.isoformat()
    audit.record(AuditEntity.API_TOKEN, AuditAction.CREATED, entity_id=token.id, actor=actor,
                 changes=changes)
    return token, secret


def _revoke(actor: User | None, token: ApiToken, reason: AuditAction | None) -> None:
    token.revoked_at = utcnow()
    changes = {"user": token.user.email, "name": token.name, "hint": token.hint}
    if reason is not None:
        changes["reason"] = reason.value
    audit.record(AuditEntity.API_TOKEN, AuditAction.REVOKED, entity_id=token.id, actor=actor,
                 changes=changes)


def revoke_token(actor: User | None, token: ApiToken) -> ApiToken:
    """Stop a token from working, at once.

    :raise PermissionDenied: the actor may not revoke this token.
    """
    if actor is not None and not can_manage_tokens(actor, token.user):
        raise PermissionDenied(_("You may only manage your own tokens."))
    if token.revoked_at is not None:
        return token
    _revoke(actor, token, None)
    db.session.flush()
    return token


def revoke_all_tokens(actor: User | None, user: User, reason: AuditAction) -> list[ApiToken]:
    """Revoke every token of ``user`` that still works, each with an audit event naming
    ``reason`` (the password change, reset or deactivation that ends them).

    Expired tokens stay as they are: they no longer work and can never work again.
    """
    revoked = [token for token in tokens_of(user) if token.revoked_at is None
               and not token.is_expired]
    for token in revoked:
        _revoke(actor, token, reason)
    db.session.flush()
    return revoked


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ))


def every_token() -> list[ApiToken]:
    """Every user's tokens, for admins: tokens not yet revoked first, newest first."""
    return list(db.session.scalars(
        sa.select(ApiToken).options(sa.orm.joinedload(ApiToken.user))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                  ApiToken.id.desc())
    ))


def token_names(tokens: list[ApiToken]) -> str:
    """The tokens' names as one list for a message: "monitoring import", "dashboard"."""
    return ", ".join(f"“{token.name}”" for token in tokens)


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
