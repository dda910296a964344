"""Recording that a PDF left Casework; the request edge or the CLI commits."""

from __future__ import annotations

from casework import audit
from casework.models import AuditEvent, Case, User
from casework.reports.figures import Period
from casework.reports.summary import DOWNLOAD_ACTION, Audience
from casework.vocabulary import AuditAction, AuditEntity


def record_summary_download(actor: User | None, case: Case, audience: Audience,
                            fingerprint: str) -> AuditEvent:
    """Audit a case summary handed out: to whom (the audience) and which copy."""
    return audit.record(AuditEntity.CASE, DOWNLOAD_ACTION, entity_id=case.id, case_id=case.id,
                        actor=actor, changes={"audience": audience.value,
                                              "fingerprint": fingerprint})


def record_landscape_download(actor: User | None, period: Period) -> AuditEvent:
    """Audit a risk landscape report handed out, with its period and market."""
    return audit.record(AuditEntity.REPORT, AuditAction.LANDSCAPE_DOWNLOADED, actor=actor, changes={
        "from": period.first.isoformat(), "to": period.last.isoformat(),
        "market": period.market.value if period.market else None,
    })
