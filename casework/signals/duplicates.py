"""Suggesting signals and cases that may describe the same risk as a signal.

Exact matches (the same link or the same reference in a source system) come first, then
open signals and cases in the same market and category whose words overlap most. The
candidates come from the full-text index (``casework.search``: bm25 on SQLite FTS5), at
most a few hundred, so the cost does not grow with the inbox; the word overlap of those
candidates decides what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from casework import search
from casework.cases.queries import case_is_open
from casework.extensions import db
from casework.models import Case, CaseMarket, Signal, User
from casework.visibility import visible_cases, visible_signals
from casework.vocabulary import SignalStatus

CANDIDATES = 300
THRESHOLD = 0.25
# Words too common in this domain (and in German and English) to tell two risks apart,
# normalised as search compares words.
STOPWORDS = frozenset(search.words("""
a an and are as at be by das dem den der des die ein eine einer es for from für im in
ist mit of on or the to und von vor was wird with zu zum zur über auf aus bei nach nicht
sich sie werden this that these new neue neuer neues signal case fall risk risiko
"""))


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "signal" or "case"
    ref: str  # "#12" or "RISK-2026-0042"
    id: int
    title: str
    reason: str  # "same_link", "same_external_ref" or "similar_text"
    score: float

    def as_json(self) -> dict:
        data = {"type": self.kind, "title": self.title, "reason": self.reason,
                "score": round(self.score, 2)}
        data["id" if self.kind == "signal" else "key"] = (
            self.id if self.kind == "signal" else self.ref)
        return data


def _words(*texts: str | None) -> frozenset[str]:
    """Distinctive words, normalised as search compares them (Österreich = oesterreich,
    Straße = Strasse, Hassreden = Hassrede)."""
    return frozenset(search.words(*texts)) - STOPWORDS


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def possible_duplicates(signal: Signal, user: User, *, limit: int = 5) -> list[Suggestion]:
    """Open signals and cases ``user`` may see that may be the same risk, best first."""
    visible = visible_signals(user)
    found: dict[str, Suggestion] = {}

    def offer(suggestion: Suggestion) -> None:
        current = found.get(suggestion.ref)
        if current is None or suggestion.score > current.score:
            found[suggestion.ref] = suggestion

    exact = []
    if signal.url:
        exact.append((Signal.url == signal.url, "same_link"))
    if signal.external_ref:
        exact.append((Signal.external_ref == signal.external_ref, "same_external_ref"))
    for condition, reason in exact:
        for other in db.session.scalars(
            sa.select(Signal).where(condition, Signal.id != signal.id, visible).limit(limit)
        ):
            if other.case is not None and other.case.is_open:
                offer(Suggestion("case", other.case.key, other.case.id, other.case.title,
                                 reason, 1.0))
            else:
                offer(Suggestion("signal", f"#{other.id}", other.id, other.title, reason, 1.0))

    words = _words(signal.title, signal.description)
    terms = [w for w in search.words(signal.title, signal.description) if w not in STOPWORDS]
    signal_query = sa.select(Signal).where(
        Signal.id != signal.id, Signal.status == SignalStatus.NEW,
        Signal.market == signal.market, Signal.category == signal.category, visible,
    )
    ranked = search.ranked_ids(
        "signals", terms, limit=CANDIDATES, params={
            "id": signal.id, "status": SignalStatus.NEW.value,
            "market": signal.market.value, "category": signal.category.value},
        where="t.id != :id AND t.status = :status AND t.market = :market "
              "AND t.category = :category")
    if ranked is not None:
        signal_query = signal_query.where(Signal.id.in_(ranked))
    else:
        signal_query = signal_query.order_by(Signal.created_at.desc()).limit(CANDIDATES)
    for other in db.session.scalars(signal_query):
        score = _overlap(words, _words(other.title, other.description))
        if score >= THRESHOLD:
            offer(Suggestion("signal", f"#{other.id}", other.id, other.title,
                             "similar_text", score))

    case_query = sa.select(Case).where(
        case_is_open(), Case.category == signal.category,
        sa.exists().where(CaseMarket.case_id == Case.id, CaseMarket.market == signal.market),
        Case.id != (signal.case_id or 0), visible_cases(user),
    )
    ranked = search.ranked_ids(
        "cases", terms, limit=CANDIDATES, params={"category": signal.category.value},
        where="t.category = :category")
    if ranked is not None:
        case_query = case_query.where(Case.id.in_(ranked))
    else:
        case_query = case_query.order_by(Case.updated_at.desc()).limit(CANDIDATES)
    for case in db.session.scalars(case_query):
        score = _overlap(words, _words(case.title, case.summary))
        if score >= THRESHOLD:
            offer(Suggestion("case", case.key, case.id, case.title, "similar_text", score))

    return sorted(found.values(), key=lambda s: (-s.score, s.kind, s.ref))[:limit]
