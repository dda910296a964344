"""What can be done to a case. Each function changes data, flushes and records the audit
event; none commits: the request, the CLI command or the test does that once."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from casework import audit
from casework.errors import PermissionDenied, StaleVersion, ValidationFailed
from casework.extensions import db
from casework.models import Case, CaseKeySequence, Comment, MitigationAction, User
from casework.models.types import utcnow
from casework.permissions import can_comment, can_edit_case, can_restrict_case
from casework.validation import (
    NAME_MAX,
    TITLE_MAX,
    clean_enum,
    clean_enum_list,
    clean_rating,
    clean_text,
    parse_day,
)
from casework.vocabulary import (
    ActionStatus,
    ActionTeam,
    AuditAction,
    AuditEntity,
    CaseState,
    Category,
    Market,
    Surface,
    TransitionAction,
)
from casework.workflow import (
    TransitionInput,
    check_allowed,
    check_transition,
    ensure_changeable,
)

CASE_FIELDS = ("title", "summary", "assessment", "category", "markets", "surfaces",
               "likelihood", "impact", "restricted")


def next_case_key(year: int) -> tuple[int, str]:
    """The next number in ``year`` and its key, e.g. ``(42, "RISK-2026-0042")``."""
    # One atomic UPDATE ... RETURNING, so two writers never get the same number.
    bumped = db.session.execute(
        sa.update(CaseKeySequence)
        .where(CaseKeySequence.year == year)
        .values(last_number=CaseKeySequence.last_number + 1)
        .returning(CaseKeySequence.last_number)
    ).scalar()
    if bumped is None:
        db.session.add(CaseKeySequence(year=year, last_number=1))
        db.session.flush()
        bumped = 1
    return bumped, f"RISK-{year}-{bumped:04d}"


def _clean_case_fields(fields: dict) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = clean_text(fields["title"], "title", required=True,
                                      max_length=TITLE_MAX)
    for name in ("summary", "assessment"):
        if name in fields:
            cleaned[name] = clean_text(fields[name], name)
    if "category" in fields:
        cleaned["category"] = clean_enum(Category, fields["category"], "category")
    if "markets" in fields:
        cleaned["markets"] = clean_enum_list(Market, fields["markets"], "markets", required=True)
    if "surfaces" in fields:
        cleaned["surfaces"] = clean_enum_list(Surface, fields["surfaces"], "surfaces",
                                              required=False)
    for name in ("likelihood", "impact"):
        if name in fields:
            cleaned[name] = clean_rating(fields[name], name)
    if "restricted" in fields:
        if not isinstance(fields["restricted"], bool):
            raise ValidationFailed(_("Give true or false."), "restricted")
        cleaned["restricted"] = fields["restricted"]
    return cleaned


def _apply_case_fields(case: Case, cleaned: dict) -> None:
    for name in ("title", "summary", "assessment", "category", "restricted"):
        if name in cleaned:
            setattr(case, name, cleaned[name])
    if "markets" in cleaned:
        case.set_markets(cleaned["markets"])
    if "surfaces" in cleaned:
        case.set_surfaces(cleaned["surfaces"])
    if "likelihood" in cleaned or "impact" in cleaned:
        case.rate(cleaned.get("likelihood", case.likelihood),
                  cleaned.get("impact", case.impact))


def create_case(actor: User, **fields) -> Case:
    """Open a case in state *qualified*.

    :raise ValidationFailed: a field is missing or invalid.
    """
    missing = [n for n in ("title", "category", "markets", "likelihood", "impact")
               if n not in fields]
    if missing:
        raise ValidationFailed(_("This field is required."), missing[0])
    cleaned = _clean_case_fields(fields)
    now = utcnow()
    number, key = next_case_key(now.year)
    case = Case(key=key, year=now.year, number=number, created_by=actor,
                state=CaseState.QUALIFIED, created_at=now, updated_at=now)
    case.summary = ""
    case.assessment = ""
    _apply_case_fields(case, cleaned)
    db.session.add(case)
    db.session.flush()
    audit.record_created(AuditEntity.CASE, case, case_id=case.id, actor=actor)
    return case


def ensure_may_change(actor: User, case: Case) -> None:
    """Refuse changes to a case's fields and actions unless the actor may and the case is
    open, in that order (403 before 409).

    :raise PermissionDenied: the actor is neither a manager nor the case's owner.
    :raise Conflict: the case is closed or dismissed.
    """
    if not can_edit_case(actor, case):
        raise PermissionDenied(_("Only the case's owner or a program manager may change it."))
    ensure_changeable(case)


def ensure_version(case: Case, expected_version: int | None) -> None:
    """Refuse to act on a case someone else changed since it was read.

    :raise StaleVersion: the case's version is not ``expected_version``.
    """
    if expected_version is not None and case.version != int(expected_version):
        raise StaleVersion()


def update_case(actor: User, case: Case, *, expected_version: int | None, **fields) -> Case:
    """Change the case's own fields; audits what changed.

    :raise PermissionDenied: the actor may not edit this case, or restrict it.
    :raise Conflict: the case is closed or dismissed.
    :raise StaleVersion: the case changed since the user read it.
    :raise ValidationFailed: a field is invalid.
    """
    ensure_may_change(actor, case)
    if "restricted" in fields and fields["restricted"] != case.restricted \
            and not can_restrict_case(actor, case):
        raise PermissionDenied(_("Only program managers restrict cases."), "restricted")
    ensure_version(case, expected_version)
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown field."), sorted(unknown)[0])
    cleaned = _clean_case_fields(fields)
    before = audit.snapshot(case)
    _apply_case_fields(case, cleaned)
    if audit.diff(before, audit.snapshot(case)):
        case.updated_at = utcnow()
    audit.record_changed(AuditEntity.CASE, case, before, case_id=case.id, actor=actor)
    return case


def transition_case(
    actor: User,
    case: Case,
    action: TransitionAction,
    given: TransitionInput | None = None,
    *,
    expected_version: int | None = None,
) -> Case:
    """Take one step of the workflow, with what the step needs; the step's own effect
    (``workflow.STEPS``) says what changes beside the state.

    :raise PermissionDenied: the actor may not take this step.
    :raise Conflict: not possible from the case's state (or it changed meanwhile).
    :raise ValidationFailed: something the step needs is missing or invalid.
    """
    given = given or TransitionInput()
    check_allowed(actor, case, action)
    ensure_version(case, expected_version)
    given.note = clean_text(given.note, "note")
    transition = check_transition(actor, case, action, given)
    before = audit.snapshot(case)
    now = utcnow()
    if transition.target is not None:
        case.state = transition.target
    case.updated_at = now
    review = transition.step.effect(case, actor, given, now)
    if review is not None:
        db.session.add(review)
    db.session.flush()
    if review is not None:
        audit.record_created(AuditEntity.REVIEW, review, case_id=case.id, actor=actor)
    audit.record(
        AuditEntity.CASE, AuditAction(action.value), entity_id=case.id, case_id=case.id,
        actor=actor, changes=audit.diff(before, audit.snapshot(case)), note=given.note or None,
    )
    return case


def _clean_action_fields(fields: dict, *, creating: bool) -> dict:
    cleaned = {}
    if creating or "title" in fields:
        cleaned["title"] = clean_text(fields.get("title"), "title", required=True,
                                      max_length=TITLE_MAX)
    if creating or "team" in fields:
        cleaned["team"] = clean_enum(ActionTeam, fields.get("team"), "team")
    if "status" in fields:
        cleaned["status"] = clean_enum(ActionStatus, fields["status"], "status")
    if "owner" in fields:
        # An e-mail of a Casework user links the user; anything else is a partner's name.
        who = clean_text(fields["owner"], "owner", max_length=NAME_MAX)
        user = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == who.lower())
        ) if "@" in who else None
        cleaned["owner_user"] = user
        cleaned["owner_name"] = user.name if user else who
    if "outcome" in fields:
        cleaned["outcome"] = clean_text(fields["outcome"], "outcome")
    if "due" in fields:
        cleaned["due"] = parse_day(fields["due"], "due")
    return cleaned


def _apply_action_fields(action: MitigationAction, cleaned: dict) -> None:
    for name, value in cleaned.items():
        setattr(action, name, value)


def _touch(case: Case) -> None:
    """Mark the case changed: its version and updated time follow its actions."""
    case.updated_at = utcnow()


def add_action(actor: User, case: Case, **fields) -> MitigationAction:
    """Plan a mitigation action on a case.

    :raise PermissionDenied: the actor may not change this case.
    :raise Conflict: the case is closed or dismissed.
    :raise ValidationFailed: a field is missing or invalid.
    """
    ensure_may_change(actor, case)
    cleaned = _clean_action_fields(fields, creating=True)
    action = MitigationAction(created_by=actor, status=ActionStatus.PLANNED,
                              owner_name="", outcome="")
    _apply_action_fields(action, cleaned)
    action.case = case
    db.session.add(action)
    _touch(case)
    audit.record_created(AuditEntity.ACTION, action, case_id=case.id, actor=actor)
    return action


def update_action(actor: User, action: MitigationAction, **fields) -> MitigationAction:
    """Change a mitigation action (status, outcome, due date...); audits what changed.

    :raise PermissionDenied: the actor may not change this case.
    :raise Conflict: the case is closed or dismissed.
    :raise ValidationFailed: a field is invalid.
    """
    ensure_may_change(actor, action.case)
    cleaned = _clean_action_fields(fields, creating=False)
    before = audit.snapshot(action)
    _apply_action_fields(action, cleaned)
    if audit.diff(before, audit.snapshot(action)):
        _touch(action.case)
    audit.record_changed(AuditEntity.ACTION, action, before, case_id=action.case_id, actor=actor)
    return action


def add_comment(actor: User, case: Case, body: str) -> Comment:
    """Comment on a case.

    :raise PermissionDenied: the actor's role does not comment.
    :raise ValidationFailed: the comment is empty or too long.
    """
    if not can_comment(actor, case):
        raise PermissionDenied(_("Your role does not comment on cases."))
    text = clean_text(body, "body", required=True)
    comment = Comment(case=case, author=actor, body=text)
    db.session.add(comment)
    audit.record_created(AuditEntity.COMMENT, comment, case_id=case.id, actor=actor)
    return comment


def owner_candidates() -> list[User]:
    """Active users who can own a case, by name."""
    from casework.permissions import CASEWORKERS

    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True), User.role.in_(CASEWORKERS))
        .order_by(User.name)
    ))
