"""How strong a password must be, and checking one in the same time whoever logs in.

Strength is estimated with zxcvbn (Dropbox's estimator, in its maintained Python port):
it knows some 30,000 of the most common passwords and the most frequent names, surnames
and English words, and sees through l33t spellings, keyboard walks, sequences, repeats and
dates. German words our users reach for first are added to its dictionaries. A password
must be long (``PASSWORD_MIN_LENGTH``) and estimated at score 3 of 4 or better ("safely
unguessable: moderate protection from an offline attack"); the reason for a refusal is
ours, in both languages, from what the estimator found.
"""

from __future__ import annotations

from functools import cache

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

PASSWORD_MIN_LENGTH = 12
# zxcvbn's scale: 0 too guessable ... 4 very unguessable.
MIN_SCORE = 3
# zxcvbn estimates the first characters only (it refuses more than 72): past them a
# password is long enough anyway, and the estimate's cost grows with the length.
ESTIMATED_LENGTH = 72

# What German speakers (and this product's users) pick first, beside zxcvbn's lists.
LOCAL_WORDS = (
    "passwort", "kennwort", "geheim", "hallo", "willkommen", "schatz", "sommer", "winter",
    "fruehling", "frühling", "herbst", "sonne", "liebe", "ichliebedich", "fussball",
    "fußball", "bayern", "dortmund", "schalke", "deutschland", "oesterreich", "österreich",
    "schweiz", "berlin", "hamburg", "muenchen", "münchen", "koeln", "köln", "wien", "zuerich",
    "zürich", "mausi", "hase", "schnecke", "engel", "prinzessin", "qwertz", "qwertzuiop",
    "asdfgh", "yxcvbnm", "casework", "trust", "safety", "admin", "administrator",
)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is too weak, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _("The password needs at least %(n)d characters.", n=PASSWORD_MIN_LENGTH)
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if (local_part and len(local_part) >= 4 and local_part in lowered) or (
        name and name.lower().replace(" ", "") in lowered.replace(" ", "")
    ):
        return _("The password must not contain your name or e-mail address.")
    personal = [word for word in (local_part, *name.lower().split()) if len(word) >= 3]
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[*LOCAL_WORDS, *personal])
    if estimate["score"] >= MIN_SCORE:
        return None
    return _reason(estimate["sequence"])


def _reason(sequence: list[dict]) -> str:
    """Our words for the weakest part the estimator found."""
    patterns = {match["pattern"] for match in sequence}
    if "dictionary" in patterns and len(sequence) == 1:
        return _("This password is one of the most common ones. Choose another.")
    if "spatial" in patterns:
        return _("This password follows a keyboard pattern. Choose something less "
                 "predictable.")
    if "sequence" in patterns:
        return _("This password contains an easy sequence (like abc or 1234).")
    if "repeat" in patterns:
        return _("This password repeats itself. Choose something less predictable.")
    if "date" in patterns or "regex" in patterns:
        return _("This password contains a date or a year, which is easy to guess.")
    if "dictionary" in patterns:
        return _("This password is built from common words or passwords that are easy to "
                 "guess. Add words of your own, or make it longer.")
    return _("This password is too easy to guess. Make it longer or less predictable.")


# --- checking a password at login -------------------------------------------------------


@cache
def _unused_hash(method: str) -> str:
    """A hash of no one's password, made as real ones are (``PASSWORD_HASH_METHOD``)."""
    return generate_password_hash("no one's password", method=method)


def password_matches(user, password: str) -> bool:
    """Whether ``user`` exists, is active and has this password, with the same work
    either way: an unknown or inactive account costs one hash comparison too, so the
    time a login takes does not tell which e-mail addresses have an account.
    """
    if user is None:
        check_password_hash(_unused_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return user.check_password(password) and user.active
