"""The domain models, one aggregate per module."""

from casework.models.action import MitigationAction
from casework.models.audit import AuditEvent
from casework.models.case import Case, CaseKeySequence, CaseMarket, CaseSurface
from casework.models.comment import Comment
from casework.models.review import Review
from casework.models.signal import Signal
from casework.models.user import User

__all__ = [
    "AuditEvent",
    "Case",
    "CaseKeySequence",
    "CaseMarket",
    "CaseSurface",
    "Comment",
    "MitigationAction",
    "Review",
    "Signal",
    "User",
]
