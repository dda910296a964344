"""The JSON shapes of the API: canonical enum values, UTC ISO 8601 times."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import sqlalchemy as sa
from flask import request, url_for

from casework.extensions import db
from casework.models import AuditEvent, Case, Comment, MitigationAction, Review, Signal, User
from casework.pagination import lean_count
from casework.signals.loaders import visible_original
from casework.web.edge import actor
from casework.web.links import url_with_args


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _enum(value: Enum | None) -> str | None:
    return value.value if value is not None else None


def user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"email": user.email, "name": user.name, "role": user.role.value}


def signal_json(signal: Signal, *, duplicates: list[dict] | None = None) -> dict:
    data = {
        "id": signal.id,
        "title": signal.title,
        "description": signal.description,
        "source": _enum(signal.source),
        "market": _enum(signal.market),
        "surface": _enum(signal.surface),
        "category": _enum(signal.category),
        "url": signal.url,
        "observed_at": _time(signal.observed_at),
        "external_ref": signal.external_ref,
        "status": _enum(signal.status),
        "case": signal.case.key if signal.case else None,
        # The original only where the reader may see it (need-to-know).
        "duplicate_of_signal": getattr(visible_original(actor(), signal), "id", None),
        "dismissal_reason": signal.dismissal_reason,
        "reported_by": user_ref(signal.reported_by),
        "triaged_by": user_ref(signal.triaged_by),
        "triaged_at": _time(signal.triaged_at),
        "created_at": _time(signal.created_at),
        "updated_at": _time(signal.updated_at),
        "links": {"self": url_for("api.get_signal", signal_id=signal.id),
                  "html": url_for("signals.detail", signal_id=signal.id)},
    }
    if duplicates is not None:
        data["possible_duplicates"] = duplicates
    return data


def action_json(action: MitigationAction) -> dict:
    return {
        "id": action.id,
        "case": action.case.key,
        "title": action.title,
        "team": _enum(action.team),
        "owner": action.owner_user.email if action.owner_user else action.owner_name,
        "owner_name": action.owner_display,
        "due": _day(action.due),
        "status": _enum(action.status),
        "outcome": action.outcome,
        "created_at": _time(action.created_at),
        "updated_at": _time(action.updated_at),
    }


def comment_json(comment: Comment) -> dict:
    return {"id": comment.id, "author": user_ref(comment.author), "body": comment.body,
            "created_at": _time(comment.created_at)}


def review_json(review: Review) -> dict:
    return {
        "id": review.id,
        "reviewer": user_ref(review.reviewer),
        "decision": _enum(review.decision),
        "resolution": _enum(review.resolution),
        "residual_likelihood": review.residual_likelihood,
        "residual_impact": review.residual_impact,
        "residual_score": review.residual_score,
        "note": review.note,
        "created_at": _time(review.created_at),
    }


def case_summary_json(case: Case) -> dict:
    """A case as listed in the queue."""
    return {
        "key": case.key,
        "title": case.title,
        "state": _enum(case.state),
        "markets": [m.value for m in case.markets],
        "surfaces": [s.value for s in case.surfaces],
        "category": _enum(case.category),
        "likelihood": case.likelihood,
        "impact": case.impact,
        "score": case.score,
        "band": case.band.value,
        "owner": user_ref(case.owner),
        "restricted": case.restricted,
        "resolution": _enum(case.resolution),
        "version": case.version,
        "created_at": _time(case.created_at),
        "updated_at": _time(case.updated_at),
        "closed_at": _time(case.closed_at),
        "links": {"self": url_for("api.get_case", key=case.key),
                  "html": url_for("cases.detail", key=case.key)},
    }


# A case answers with its latest comments only, as the case page shows them, so that its
# answer stays small however long the discussion; GET /cases/{key}/comments pages them all.
COMMENTS_EMBEDDED = 50


def case_json(case: Case) -> dict:
    """Everything on the case page."""
    summary = case_summary_json(case)
    latest = db.session.scalars(
        sa.select(Comment).where(Comment.case_id == case.id)
        .options(sa.orm.joinedload(Comment.author))
        .order_by(Comment.id.desc()).limit(COMMENTS_EMBEDDED)).all()
    return {
        **summary,
        "summary": case.summary,
        "assessment": case.assessment,
        "dismissal_reason": case.dismissal_reason,
        "created_by": user_ref(case.created_by),
        "signals": [signal_json(s) for s in case.signals],
        "actions": [action_json(a) for a in case.actions],
        "comments": [comment_json(c) for c in reversed(latest)],
        "comments_total": lean_count(sa.select(Comment.id).where(
            Comment.case_id == case.id)).number,
        "reviews": [review_json(r) for r in case.reviews],
        "links": {**summary["links"],
                  "comments": url_for("api.list_comments", key=case.key)},
    }


def audit_json(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "occurred_at": _time(event.occurred_at),
        "actor": user_ref(event.actor),
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "action": event.action,
        "changes": event.changes,
        "note": event.note,
    }


def time_json(value: datetime | None) -> str | None:
    return _time(value)


def _page_link(number: int) -> str:
    """This list's URL with ``page`` set to ``number`` (its other arguments kept)."""
    return url_with_args(request.endpoint, **(request.view_args or {}), page=str(number))


def page_json(page, serialize) -> dict:
    """One page of a list, with links to the pages before and after it."""
    links = {"self": _page_link(page.page),
             "next": _page_link(page.page + 1) if page.has_next else None,
             "prev": _page_link(page.page - 1) if page.has_prev else None}
    return {"items": [serialize(item) for item in page.items], "page": page.page,
            "per_page": page.per_page, "total": page.total,
            "total_is_exact": page.total_is_exact, "links": links}
