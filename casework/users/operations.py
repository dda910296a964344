"""Managing the people who use Casework. Functions flush and audit; they never commit."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _

from casework import audit
from casework.api.tokens import revoke_all_tokens
from casework.errors import Conflict, ValidationFailed
from casework.extensions import db
from casework.models import ApiToken, User
from casework.users.passwords import password_problem
from casework.validation import NAME_MAX, clean_enum, clean_text
from casework.vocabulary import AuditAction, AuditEntity, Language, Role


def normalise_email(value: str) -> str:
    """The e-mail address in canonical form.

    :raise ValidationFailed: it is not a valid address.
    """
    text = clean_text(value, "email", required=True, max_length=254)
    try:
        # Deliverability needs DNS, which an offline installation does not have.
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed(_("Give a valid e-mail address."), "email") from None


def find_user(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    )


def create_user(actor: User | None, *, email: str, name: str, role, password: str) -> User:
    """Add a user who can log in.

    :raise ValidationFailed: a field is invalid or the password too weak.
    :raise Conflict: the e-mail address is taken.
    """
    address = normalise_email(email)
    display_name = clean_text(name, "name", required=True, max_length=NAME_MAX)
    member = clean_enum(Role, role, "role")
    if find_user(address) is not None:
        raise Conflict(_("A user with the e-mail %(email)s exists already.", email=address),
                       "email")
    problem = password_problem(password, email=address, name=display_name)
    if problem:
        raise ValidationFailed(problem, "password")
    user = User(email=address, name=display_name, role=member, active=True, session_epoch=0)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    audit.record_created(AuditEntity.USER, user, actor=actor)
    return user


def set_role(actor: User | None, user: User, role) -> User:
    """Change a user's role; their sessions end so the new rights apply at once."""
    member = clean_enum(Role, role, "role")
    if member == user.role:
        return user
    before = audit.snapshot(user)
    user.role = member
    user.end_sessions()
    audit.record_changed(AuditEntity.USER, user, before, AuditAction.ROLE_CHANGED, actor=actor)
    return user


def end_credentials(actor: User | None, user: User, reason: AuditAction) -> list[ApiToken]:
    """End every session and revoke every working API token of ``user``, because of
    ``reason``; returns the tokens revoked. The caller audits ``reason`` itself."""
    user.end_sessions()
    return revoke_all_tokens(actor, user, reason)


def deactivate_user(actor: User | None, user: User) -> list[ApiToken]:
    """Stop a user from logging in; every session ends and every API token is revoked
    (a reactivation brings neither back). Returns the tokens revoked.

    :raise Conflict: an admin tries to deactivate themselves.
    """
    if actor is not None and actor.id == user.id:
        raise Conflict(_("You cannot deactivate yourself."))
    if not user.active:
        return []
    before = audit.snapshot(user)
    user.active = False
    audit.record_changed(AuditEntity.USER, user, before, AuditAction.DEACTIVATED, actor=actor)
    return end_credentials(actor, user, AuditAction.DEACTIVATED)


def reactivate_user(actor: User | None, user: User) -> User:
    """Let a user log in again; their old sessions and tokens stay ended."""
    if user.active:
        return user
    before = audit.snapshot(user)
    user.active = True
    audit.record_changed(AuditEntity.USER, user, before, AuditAction.REACTIVATED, actor=actor)
    return user


def choose_language(user: User, language: Language | None) -> User:
    """Save the language ``user`` sees Casework in; None follows their browser."""
    if language == user.language:
        return user
    before = user.language.value if user.language else None
    user.language = language
    db.session.flush()
    audit.record(AuditEntity.USER, AuditAction.LANGUAGE_CHANGED, entity_id=user.id,
                 actor=user, changes={"language": [before, language.value if language else None]})
    return user


def record_login(user: User | None, email: str, *, succeeded: bool) -> None:
    """Audit a login attempt; a failure records the address tried, not the password."""
    if succeeded:
        audit.record(AuditEntity.USER, AuditAction.LOGIN, entity_id=user.id, actor=user)
    else:
        audit.record(AuditEntity.USER, AuditAction.LOGIN_FAILED,
                     entity_id=user.id if user else None, changes={"email": email[:254]})


def record_logout(user: User) -> None:
    """Audit a logout and end every session of the user, copies of the cookie included."""
    user.end_sessions()
    audit.record(AuditEntity.USER, AuditAction.LOGOUT, entity_id=user.id, actor=user)


def _set_password(user: User, password: str) -> None:
    """Check the password against the rules and store its hash.

    :raise ValidationFailed: the password is too weak.
    """
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise ValidationFailed(problem, "password")
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])


def change_password(user: User, *, current: str, new: str) -> list[ApiToken]:
    """The user changes their own password; every session of theirs ends (the request
    edge renews the one they changed it in) and every API token is revoked. Returns the
    tokens revoked.

    :raise ValidationFailed: the current password is wrong, or the new one too weak or
        the same as before.
    """
    if not user.check_password(current):
        raise ValidationFailed(_("This is not your current password."), "current_password")
    if new == current:
        raise ValidationFailed(_("Choose a password different from the current one."),
                               "new_password")
    try:
        _set_password(user, new)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, "new_password") from None
    forced = user.must_change_password
    user.must_change_password = False
    # Never the password or its hash: only that it changed.
    audit.record(AuditEntity.USER, AuditAction.PASSWORD_CHANGED, entity_id=user.id, actor=user,
                 changes={"must_change_password": [True, False]} if forced else {})
    return end_credentials(user, user, AuditAction.PASSWORD_CHANGED)


def reset_password(actor: User | None, user: User, temporary: str) -> list[ApiToken]:
    """An admin sets a temporary password; the user must change it at their next login.
    Every session of the user ends and every API token is revoked; returns those tokens.

    :raise Conflict: an admin tries to reset their own password (they change it instead).
    :raise ValidationFailed: the temporary password is too weak.
    """
    if actor is not None and actor.id == user.id:
        raise Conflict(_("Change your own password on your account page."))
    _set_password(user, temporary)
    before = user.must_change_password
    user.must_change_password = True
    audit.record(AuditEntity.USER, AuditAction.PASSWORD_RESET, entity_id=user.id, actor=actor,
                 changes={"must_change_password": [before, True]} if not before else {})
    return end_credentials(actor, user, AuditAction.PASSWORD_RESET)
