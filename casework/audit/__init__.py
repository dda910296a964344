"""Recording audit events beside the change they describe."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from flask import has_request_context, request
from flask_login import current_user

from casework.audit import chain
from casework.extensions import db
from casework.models import AuditEvent, User
from casework.models.types import utcnow
from casework.vocabulary import AuditAction, AuditEntity


def _plain(value):
    """A JSON-safe form of a field value."""
    if hasattr(value, "audit_ref"):
        return value.audit_ref
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set) or type(value).__name__.endswith("List"):
        return [_plain(item) for item in value]
    return value


def snapshot(entity) -> dict:
    """The audited fields of an entity, as plain JSON values."""
    return {name: _plain(getattr(entity, name)) for name in entity.__audit_fields__}


def diff(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` for every field that changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _current_actor() -> User | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _event(entity_type: AuditEntity, action: AuditAction, *, entity_id: int | None = None,
           case_id: int | None = None, changes: dict | None = None, note: str | None = None,
           actor: User | None = None) -> AuditEvent:
    return AuditEvent(
        occurred_at=utcnow(),
        actor=actor if actor is not None else _current_actor(),
        # Canonical values only: an unknown kind or action is a programming error.
        entity_type=AuditEntity(entity_type).value,
        entity_id=entity_id,
        case_id=case_id,
        action=AuditAction(action).value,
        changes=changes or {},
        note=note,
        remote_addr=request.remote_addr if has_request_context() else None,
    )


def record(
    entity_type: AuditEntity,
    action: AuditAction,
    *,
    entity_id: int | None = None,
    case_id: int | None = None,
    changes: dict | None = None,
    note: str | None = None,
    actor: User | None = None,
) -> AuditEvent:
    """Add an audit event to the session, chained to the one before; it commits with the
    change it records."""
    return chain.append(_event(entity_type, action, entity_id=entity_id, case_id=case_id,
                               changes=changes, note=note, actor=actor))


def record_many(entries: list[dict]) -> list[AuditEvent]:
    """Several events at once (``record``'s keyword arguments each), chained in order."""
    return chain.append_many([_event(**entry) for entry in entries])


def record_created(entity_type: AuditEntity, entity, *, case_id=None, actor=None, note=None):
    """Audit the creation of an entity: every audited field as it now is."""
    db.session.flush()
    return record(
        entity_type, AuditAction.CREATED, entity_id=entity.id, case_id=case_id,
        changes=snapshot(entity), actor=actor, note=note,
    )


def record_changed(entity_type: AuditEntity, entity, before: dict,
                   action: AuditAction = AuditAction.UPDATED, *, case_id=None,
                   actor=None, note=None) -> AuditEvent | None:
    """Audit the fields that changed since ``before``; nothing when nothing changed."""
    db.session.flush()
    changes = diff(before, snapshot(entity))
    if not changes and note is None:
        return None
    return record(
        entity_type, action, entity_id=entity.id, case_id=case_id,
        changes=changes, actor=actor, note=note,
    )
