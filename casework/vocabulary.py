"""The canonical values of the domain and their translated labels.

One spelling everywhere (database, forms, URLs, CLI); templates show ``label(value)``.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


class Role(StrEnum):
    ADMIN = "admin"
    PROGRAM_MANAGER = "program_manager"
    POLICY_SPECIALIST = "policy_specialist"
    LEADERSHIP = "leadership"


class Language(StrEnum):
    """The languages Casework is shown and written in."""

    GERMAN = "de"
    ENGLISH = "en"


class Market(StrEnum):
    DE = "DE"
    AT = "AT"
    CH = "CH"


class SignalSource(StrEnum):
    NEWS = "news"
    SOCIAL_MEDIA = "social_media"
    ESCALATION = "escalation"
    MARKET_DATA = "market_data"
    USER_REPORT = "user_report"
    TRUSTED_FLAGGER = "trusted_flagger"
    AUTHORITY = "authority"
    INTERNAL_DETECTION = "internal_detection"


class SignalStatus(StrEnum):
    NEW = "new"
    QUALIFIED = "qualified"
    DISMISSED = "dismissed"
    DUPLICATE = "duplicate"


class Surface(StrEnum):
    VIDEO = "video"
    LIVE = "live"
    COMMENTS = "comments"
    MESSAGES = "messages"
    ACCOUNTS = "accounts"
    FOLLOW_LIKE = "follow_like"
    SEARCH = "search"
    ADS = "ads"
    OTHER = "other"


class Category(StrEnum):
    YOUTH_SAFETY = "youth_safety"
    HATE_SPEECH = "hate_speech"
    CYBERBULLYING = "cyberbullying"
    SELF_HARM = "self_harm"
    VIOLENT_EXTREMISM = "violent_extremism"
    CHILD_SAFETY = "child_safety"
    MISINFORMATION = "misinformation"
    SCAMS_FRAUD = "scams_fraud"
    PRIVACY = "privacy"
    ILLEGAL_GOODS = "illegal_goods"
    VIOLENT_GRAPHIC = "violent_graphic"
    OTHER = "other"


class CaseState(StrEnum):
    QUALIFIED = "qualified"
    ASSIGNED = "assigned"
    MITIGATING = "mitigating"
    IN_REVIEW = "in_review"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class TransitionAction(StrEnum):
    ASSIGN = "assign"
    START_MITIGATION = "start_mitigation"
    SUBMIT_FOR_REVIEW = "submit_for_review"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REOPEN = "reopen"
    DISMISS = "dismiss"


class Band(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ActionTeam(StrEnum):
    CONTENT_POLICY = "content_policy"
    PRODUCT = "product"
    DATA_ANALYTICS = "data_analytics"
    OPERATIONS = "operations"
    PUBLIC_POLICY = "public_policy"
    COMMUNICATIONS = "communications"
    LEGAL = "legal"
    OTHER = "other"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Resolution(StrEnum):
    MITIGATED = "mitigated"
    RISK_ACCEPTED = "risk_accepted"
    TRANSFERRED = "transferred"
    NO_ACTION_NEEDED = "no_action_needed"


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class AuditEntity(StrEnum):
    """What an audit event is about."""

    CASE = "case"
    SIGNAL = "signal"
    ACTION = "action"
    COMMENT = "comment"
    REVIEW = "review"
    USER = "user"
    API_TOKEN = "api_token"
    EXPORT = "export"
    IMPORT = "import"
    REPORT = "report"


class AuditAction(StrEnum):
    """What happened, as the audit trail records it: a change or a workflow step."""

    CREATED = "created"
    UPDATED = "updated"
    # The case workflow's steps (TransitionAction) are recorded under their own names.
    ASSIGN = "assign"
    START_MITIGATION = "start_mitigation"
    SUBMIT_FOR_REVIEW = "submit_for_review"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REOPEN = "reopen"
    DISMISS = "dismiss"
    # Signals.
    QUALIFIED = "qualified"
    DISMISSED = "dismissed"
    MARKED_DUPLICATE = "marked_duplicate"
    # Users, sessions and tokens.
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGIN_UNLOCKED = "login_unlocked"
    LOGOUT = "logout"
    LANGUAGE_CHANGED = "language_changed"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    REVOKED = "revoked"
    # What left Casework or came in.
    PDF_DOWNLOADED = "pdf_downloaded"
    LANDSCAPE_DOWNLOADED = "landscape_downloaded"
    CASES_EXPORTED = "cases_exported"
    SIGNALS_EXPORTED = "signals_exported"
    SIGNALS_IMPORTED = "signals_imported"


# Score bands from the domain brief: likelihood x impact, 1-25.
BAND_LIMITS = (
    (Band.LOW, 1, 4),
    (Band.MEDIUM, 5, 9),
    (Band.HIGH, 10, 16),
    (Band.CRITICAL, 17, 25),
)


def band_for(score: int) -> Band:
    """The severity band a score of 1-25 falls into."""
    for band, low, high in BAND_LIMITS:
        if low <= score <= high:
            return band
    raise ValueError(f"score out of range: {score}")


def score_range(band: Band) -> tuple[int, int]:
    """The lowest and highest score of a band."""
    for candidate, low, high in BAND_LIMITS:
        if candidate == band:
            return low, high
    raise ValueError(f"unknown band: {band}")


# Labels per enum: StrEnum members compare equal to their strings, so values shared by
# two enums ("other", "qualified") must not share one dict.
LABELS: dict[type, dict[str, object]] = {
    # Each language by its own name, in every language: whoever cannot read the page
    # can still find theirs.
    Language: {
        Language.GERMAN: "Deutsch",
        Language.ENGLISH: "English",
    },
    Role: {
        Role.ADMIN: _l("Admin"),
        Role.PROGRAM_MANAGER: _l("Program manager"),
        Role.POLICY_SPECIALIST: _l("Policy specialist"),
        Role.LEADERSHIP: _l("Leadership"),
    },
    Market: {
        Market.DE: _l("Germany"),
        Market.AT: _l("Austria"),
        Market.CH: _l("Switzerland"),
    },
    SignalSource: {
        SignalSource.NEWS: _l("News report"),
        SignalSource.SOCIAL_MEDIA: _l("Social media"),
        SignalSource.ESCALATION: _l("Cross-functional escalation"),
        SignalSource.MARKET_DATA: _l("Market-health data"),
        SignalSource.USER_REPORT: _l("User report"),
        SignalSource.TRUSTED_FLAGGER: _l("Trusted flagger"),
        SignalSource.AUTHORITY: _l("Authority request"),
        SignalSource.INTERNAL_DETECTION: _l("Internal detection"),
    },
    SignalStatus: {
        SignalStatus.NEW: _l("New"),
        SignalStatus.QUALIFIED: _l("Qualified"),
        SignalStatus.DISMISSED: _l("Dismissed"),
        SignalStatus.DUPLICATE: _l("Duplicate"),
    },
    Surface: {
        Surface.VIDEO: _l("Video"),
        Surface.LIVE: _l("Live"),
        Surface.COMMENTS: _l("Comments"),
        Surface.MESSAGES: _l("Messages"),
        Surface.ACCOUNTS: _l("Accounts"),
        Surface.FOLLOW_LIKE: _l("Follow/like"),
        # The product surface, not the button ("Suche", not "Suchen").
        Surface.SEARCH: lazy_pgettext("product surface", "Search"),
        Surface.ADS: _l("Ads"),
        Surface.OTHER: _l("Other"),
    },
    Category: {
        Category.YOUTH_SAFETY: _l("Youth safety"),
        Category.HATE_SPEECH: _l("Hate speech"),
        Category.CYBERBULLYING: _l("Cyberbullying"),
        Category.SELF_HARM: _l("Self-harm and suicide"),
        Category.VIOLENT_EXTREMISM: _l("Violent extremism"),
        Category.CHILD_SAFETY: _l("Child safety"),
        Category.MISINFORMATION: _l("Misinformation"),
        Category.SCAMS_FRAUD: _l("Scams and fraud"),
        Category.PRIVACY: _l("Privacy"),
        Category.ILLEGAL_GOODS: _l("Illegal goods"),
        Category.VIOLENT_GRAPHIC: _l("Violent and graphic content"),
        Category.OTHER: _l("Other"),
    },
    CaseState: {
        CaseState.QUALIFIED: _l("Qualified"),
        CaseState.ASSIGNED: _l("Assigned"),
        CaseState.MITIGATING: _l("Mitigating"),
        CaseState.IN_REVIEW: _l("In review"),
        CaseState.CLOSED: _l("Closed"),
        CaseState.DISMISSED: _l("Dismissed"),
    },
    TransitionAction: {
        TransitionAction.ASSIGN: _l("Assign"),
        TransitionAction.START_MITIGATION: _l("Start mitigation"),
        TransitionAction.SUBMIT_FOR_REVIEW: _l("Submit for review"),
        TransitionAction.APPROVE: _l("Approve and close"),
        TransitionAction.REQUEST_CHANGES: _l("Request changes"),
        TransitionAction.REOPEN: _l("Reopen"),
        TransitionAction.DISMISS: _l("Dismiss"),
    },
    Band: {
        Band.LOW: _l("Low"),
        Band.MEDIUM: _l("Medium"),
        Band.HIGH: _l("High"),
        Band.CRITICAL: _l("Critical"),
    },
    ActionTeam: {
        ActionTeam.CONTENT_POLICY: _l("Content Policy"),
        ActionTeam.PRODUCT: _l("Product Management"),
        ActionTeam.DATA_ANALYTICS: _l("Data Analytics"),
        ActionTeam.OPERATIONS: _l("Operations"),
        ActionTeam.PUBLIC_POLICY: _l("Public Policy"),
        ActionTeam.COMMUNICATIONS: _l("Communications"),
        ActionTeam.LEGAL: _l("Legal"),
        ActionTeam.OTHER: _l("Other"),
    },
    ActionStatus: {
        ActionStatus.PLANNED: _l("Planned"),
        ActionStatus.IN_PROGRESS: _l("In progress"),
        ActionStatus.DONE: _l("Done"),
        ActionStatus.CANCELLED: _l("Cancelled"),
    },
    Resolution: {
        Resolution.MITIGATED: _l("Mitigated"),
        Resolution.RISK_ACCEPTED: _l("Risk accepted"),
        Resolution.TRANSFERRED: _l("Transferred"),
        Resolution.NO_ACTION_NEEDED: _l("No action needed"),
    },
    ReviewDecision: {
        ReviewDecision.APPROVED: _l("Approved"),
        ReviewDecision.CHANGES_REQUESTED: _l("Changes requested"),
    },
}

def label_in_sentence(value, enum_cls: type | None = None) -> str:
    """A label inside a sentence: lower-case in English ("in review"), as it is in German,
    where nouns keep their capital ("In Prüfung", "Duplikat")."""
    from flask_babel import get_locale

    text = label(value, enum_cls)
    locale = get_locale()
    return text if locale is not None and locale.language == "de" else text.lower()


def label(value, enum_cls: type | None = None) -> str:
    """The translated label of a canonical value; unknown values are shown as they are."""
    if value is None or value == "":
        return ""
    enum_cls = enum_cls or type(value)
    return str(LABELS.get(enum_cls, {}).get(value, value))


def choices(enum_cls, *, blank: str | None = None) -> list[tuple[str, object]]:
    """``(value, label)`` pairs for a form select; an optional blank first entry."""
    pairs: list[tuple[str, object]] = [
        (member.value, LABELS[enum_cls][member]) for member in enum_cls
    ]
    if blank is not None:
        pairs.insert(0, ("", blank))
    return pairs
