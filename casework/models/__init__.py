"""The domain models, one aggregate per module."""

from casework.models.action import MitigationAction
from casework.models.api_rate_counter import ApiRateCounter
from casework.models.api_token import ApiToken
from casework.models.audit import AuditEvent, AuditHead
from casework.models.case import Case, CaseKeySequence, CaseMarket, CaseSurface
from casework.models.comment import Comment
from casework.models.health_probe import HealthProbe
from casework.models.idempotency_key import IdempotencyKey
from casework.models.login_failure import LoginFailure
from casework.models.review import Review
from casework.models.signal import Signal
from casework.models.user import User

__all__ = [
    "ApiRateCounter",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Case",
    "CaseKeySequence",
    "CaseMarket",
    "CaseSurface",
    "Comment",
    "HealthProbe",
    "IdempotencyKey",
    "LoginFailure",
    "MitigationAction",
    "Review",
    "Signal",
    "User",
]
