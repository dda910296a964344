"""Synthetic data at scale: a team's history of signals, cases and their audit trail.

``flask casework synth --cases N`` fills an empty database for load tests and benchmarks.
The team works at a steady pace (``CASES_PER_DAY``), so a bigger database is a longer
history, not a busier week: the open queue and the last week look alike at 1,000 and at
100,000 cases, as they would for a real team.

Each case is simulated from its signals to its close; whatever would happen after now is
cut off, so old cases are closed or dismissed and recent ones are still open. Rows go in
with bulk INSERTs (SQLAlchemy Core, executemany) with ids given here, and the audit events
are chained in time order with ``casework.audit.chain.compute_hash``, ending at the
``audit_head`` row, so ``flask casework audit verify`` passes. Nothing commits here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from casework.audit.chain import GENESIS, HEAD_ID, compute_hash
from casework.extensions import db
from casework.models import (
    AuditEvent,
    AuditHead,
    Case,
    CaseKeySequence,
    CaseMarket,
    CaseSurface,
    Comment,
    MitigationAction,
    Review,
    Signal,
    User,
)
from casework.vocabulary import (
    ActionStatus,
    ActionTeam,
    CaseState,
    Category,
    Market,
    Resolution,
    ReviewDecision,
    Role,
    SignalSource,
    SignalStatus,
    Surface,
)

SYNTH_PASSWORD = "casework-synth-2026"
CASES_PER_DAY = 140
BATCH = 20_000

FIRST_NAMES = ["Anna", "Lukas", "Sophie", "Jonas", "Mehmet", "Katharina", "Felix", "Nina",
               "Sebastian", "Laura", "Anja", "Thomas", "Julia", "Maximilian", "Lea", "Elias",
               "Hannah", "Paul", "Marie", "David", "Sarah", "Tobias", "Lena", "Simon", "Emma",
               "Fabian", "Selin", "Matteo", "Clara", "Noah", "Ayşe", "Luca"]
LAST_NAMES = ["Becker", "Gruber", "Meier", "Hofer", "Aydin", "Vogel", "Brandt", "Koch",
              "Roth", "Fischer", "Krüger", "Keller", "Huber", "Wagner", "Steiner", "Moser",
              "Schmid", "Bauer", "Weber", "Müller", "Brunner", "Frei", "Lang", "Berger",
              "Schneider", "Wolf", "Graf", "Baumann", "Kaya", "Yilmaz", "Zimmermann", "Hartmann"]
# (role, how many) of a Trust & Safety team with one casework desk.
TEAM = [(Role.ADMIN, 2), (Role.PROGRAM_MANAGER, 6), (Role.POLICY_SPECIALIST, 24),
        (Role.LEADERSHIP, 4)]

# Relative weights: what a DACH team sees most.
CATEGORY_WEIGHTS = {
    Category.HATE_SPEECH: 18, Category.SCAMS_FRAUD: 16, Category.MISINFORMATION: 14,
    Category.CYBERBULLYING: 10, Category.YOUTH_SAFETY: 9, Category.PRIVACY: 7,
    Category.VIOLENT_EXTREMISM: 6, Category.ILLEGAL_GOODS: 6, Category.SELF_HARM: 5,
    Category.CHILD_SAFETY: 4, Category.VIOLENT_GRAPHIC: 3, Category.OTHER: 2,
}
MARKET_WEIGHTS = {Market.DE: 70, Market.AT: 18, Market.CH: 12}
SURFACE_WEIGHTS = {
    Surface.VIDEO: 25, Surface.COMMENTS: 20, Surface.LIVE: 14, Surface.MESSAGES: 10,
    Surface.ACCOUNTS: 9, Surface.SEARCH: 7, Surface.ADS: 7, Surface.FOLLOW_LIKE: 4,
    Surface.OTHER: 4,
}
SOURCE_WEIGHTS = {
    SignalSource.USER_REPORT: 26, SignalSource.INTERNAL_DETECTION: 20,
    SignalSource.TRUSTED_FLAGGER: 14, SignalSource.SOCIAL_MEDIA: 12, SignalSource.NEWS: 10,
    SignalSource.ESCALATION: 8, SignalSource.AUTHORITY: 5, SignalSource.MARKET_DATA: 5,
}
TEAM_WEIGHTS = {
    ActionTeam.CONTENT_POLICY: 30, ActionTeam.PRODUCT: 20, ActionTeam.OPERATIONS: 18,
    ActionTeam.DATA_ANALYTICS: 10, ActionTeam.LEGAL: 8, ActionTeam.COMMUNICATIONS: 6,
    ActionTeam.PUBLIC_POLICY: 5, ActionTeam.OTHER: 3,
}
PHENOMENA = {
    Category.HATE_SPEECH: ["Koordinierte Hassrede", "Antisemitische Codes", "Rassistische Memes",
                           "Hetze gegen Geflüchtete"],
    Category.SCAMS_FRAUD: ["Krypto-Betrug mit Promi-Deepfakes", "Fake-Gewinnspiele",
                           "Phishing über Direktnachrichten", "Investment-Scam"],
    Category.MISINFORMATION: ["Wahl-Desinformation", "Gesundheitsmythen", "Gefälschte Zitate",
                              "Manipulierte Videos"],
    Category.CYBERBULLYING: ["Mobbing unter Schülern", "Bloßstellung per Duett",
                             "Beleidigungswellen"],
    Category.YOUTH_SAFETY: ["Gefährliche Challenge", "Altersverifikation umgangen",
                            "Werbung an Minderjährige"],
    Category.PRIVACY: ["Doxxing", "Heimliche Aufnahmen", "Weitergabe privater Adressen"],
    Category.VIOLENT_EXTREMISM: ["Extremistische Rekrutierung", "Terror-Propaganda",
                                 "Verherrlichung von Anschlägen"],
    Category.ILLEGAL_GOODS: ["Waffenhandel", "Drogenverkauf", "Gefälschte Medikamente"],
    Category.SELF_HARM: ["Selbstverletzung verherrlicht", "Essstörungs-Inhalte"],
    Category.CHILD_SAFETY: ["Grooming-Versuche", "Sexualisierung Minderjähriger"],
    Category.VIOLENT_GRAPHIC: ["Gewaltvideos", "Tierquälerei"],
    Category.OTHER: ["Spam-Netzwerk", "Markenmissbrauch"],
}
PLACES = {Surface.VIDEO: "in Kurzvideos", Surface.COMMENTS: "in Kommentaren",
          Surface.LIVE: "in Live-Streams", Surface.MESSAGES: "in Direktnachrichten",
          Surface.ACCOUNTS: "über Fake-Accounts", Surface.SEARCH: "in der Suche",
          Surface.ADS: "in Anzeigen", Surface.FOLLOW_LIKE: "über Follow-Netzwerke",
          Surface.OTHER: "plattformweit"}
ACTION_TITLES = ["Schlüsselwortliste aktualisieren", "Klassifikator nachtrainieren",
                 "Accounts sperren", "Moderationsleitfaden ergänzen", "Partner informieren",
                 "Suchbegriffe blockieren", "Anzeigen entfernen", "Meldeweg vereinfachen",
                 "Behörde kontaktieren", "Trend-Monitoring einrichten"]
COMMENTS = ["Neue Treffer seit gestern, Tendenz steigend.",
            "Rücksprache mit Product Live gehalten, Fix ist geplant.",
            "Trusted Flagger bestätigt das Muster auch in AT.",
            "Volumen deutlich zurückgegangen.",
            "Bitte Priorität prüfen, Presseanfrage liegt vor.",
            "Legal hat die Einschätzung freigegeben."]
DISMISSALS = ["Kein Verstoß gegen Richtlinien.", "Einzelfall, bereits entfernt.",
              "Außerhalb unseres Marktes.", "Bereits in einem anderen Fall erfasst."]


@dataclass
class Counts:
    users: int = 0
    cases: int = 0
    signals: int = 0
    actions: int = 0
    comments: int = 0
    reviews: int = 0
    events: int = 0
    by_state: dict = field(default_factory=dict)

    def describe(self) -> str:
        states = ", ".join(f"{n:,} {s}" for s, n in sorted(self.by_state.items()))
        return (f"Synthesised {self.users} users, {self.cases:,} cases ({states}), "
                f"{self.signals:,} signals, {self.actions:,} mitigation actions, "
                f"{self.comments:,} comments, {self.reviews:,} reviews and "
                f"{self.events:,} audit events.")


def _chooser(rng: random.Random, weights: dict):
    population, cumulative = list(weights), []
    total = 0
    for value in weights.values():
        total += value
        cumulative.append(total)

    def choose():
        return rng.choices(population, cum_weights=cumulative, k=1)[0]

    return choose


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime | date) else value


class _History:
    """Rows and audit events as the simulation produces them."""

    def __init__(self):
        self.cases: list[dict] = []
        self.markets: list[dict] = []
        self.surfaces: list[dict] = []
        self.signals: list[dict] = []
        self.actions: list[dict] = []
        self.comments: list[dict] = []
        self.reviews: list[dict] = []
        # (occurred_at, tie-breaker, actor_id, entity_type, entity_id, case_id, action,
        #  changes, note)
        self.events: list[tuple] = []

    def event(self, when, actor_id, entity_type, entity_id, case_id, action, changes,
              note=None):
        self.events.append((when, len(self.events), actor_id, entity_type, entity_id, case_id,
                            action, changes, note))


def _users(rng: random.Random) -> list[dict]:
    """A realistic team: admins, program managers, policy specialists, leadership."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = generate_password_hash(SYNTH_PASSWORD, method=method)
    names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    created = datetime.now(UTC) - timedelta(days=3 * 365)
    rows = []
    for role, count in TEAM:
        for _ in range(count):
            first, last = names.pop()
            email = (f"{first}.{last}@casework.example".lower()
                     .replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
                     .replace("ş", "s"))
            rows.append(dict(id=len(rows) + 1, email=email, name=f"{first} {last}", role=role,
                             password_hash=password_hash, active=True, session_epoch=0,
                             must_change_password=False, created_at=created,
                             updated_at=created))
    return rows


def _signals_per_case(rng: random.Random, cases: int, signals: int) -> list[int]:
    """How many signals each case has: one each when there are enough, a few have more."""
    attached = min(signals, max(cases, round(signals * 0.65)))
    counts = [1 if n < attached else 0 for n in range(cases)]
    for _ in range(max(0, attached - cases)):
        counts[min(int(rng.expovariate(1 / (cases / 8))), cases - 1)] += 1
    rng.shuffle(counts)
    return counts


def simulate(cases: int, signals: int, seed: int, now: datetime):
    """Users, every row of the history with its events (not yet chained), and the last
    case number of each year."""
    rng = random.Random(seed)
    users = _users(rng)
    by_role: dict[Role, list[int]] = {}
    for user in users:
        by_role.setdefault(user["role"], []).append(user["id"])
    managers, specialists = by_role[Role.PROGRAM_MANAGER], by_role[Role.POLICY_SPECIALIST]
    # A few specialists carry much of the work, as in any team.
    specialist_weights = [1 / (rank + 2) for rank in range(len(specialists))]

    category, market = _chooser(rng, CATEGORY_WEIGHTS), _chooser(rng, MARKET_WEIGHTS)
    surface, source = _chooser(rng, SURFACE_WEIGHTS), _chooser(rng, SOURCE_WEIGHTS)
    team = _chooser(rng, TEAM_WEIGHTS)
    days = max(14.0, cases / CASES_PER_DAY)
    start = now - timedelta(days=days)
    history = _History()
    signal_counts = _signals_per_case(rng, cases, signals)
    created_times = sorted(start + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
                           for _ in range(cases))
    numbers: dict[int, int] = {}
    emails = {user["id"]: user["email"] for user in users}

    def add_signal(created, *, cat, mkt, case_id=None, case_key=None, status=SignalStatus.NEW,
                   triaged=None, triager=None, duplicate_of=None, reason=None):
        signal_id = len(history.signals) + 1
        src, surf = source(), surface() if rng.random() < 0.85 else None
        has_ref = src in (SignalSource.TRUSTED_FLAGGER, SignalSource.AUTHORITY,
                          SignalSource.INTERNAL_DETECTION, SignalSource.USER_REPORT)
        title = f"{rng.choice(PHENOMENA[cat])} {PLACES[surf or Surface.OTHER]} ({mkt.value})"
        row = dict(
            id=signal_id, title=title,
            description=f"Gemeldet über {src.value.replace('_', ' ')}: {title}. "
                        f"{rng.choice(COMMENTS)}",
            source=src, market=mkt, surface=surf, category=cat,
            url=f"https://example.org/{src.value}/{signal_id}" if rng.random() < 0.6 else None,
            observed_at=created - timedelta(hours=rng.uniform(1, 48)),
            external_ref=f"{src.value[:3].upper()}-{signal_id:07d}" if has_ref else None,
            status=status, case_id=case_id, duplicate_of_signal_id=duplicate_of,
            dismissal_reason=reason, reported_by_id=rng.choice(managers + specialists),
            triaged_by_id=triager, triaged_at=triaged, created_at=created,
            updated_at=triaged or created,
        )
        history.signals.append(row)
        history.event(created, row["reported_by_id"], "signal", signal_id, None, "created", {
            "title": title, "description": row["description"], "source": src.value,
            "market": mkt.value, "surface": surf.value if surf else None,
            "category": cat.value, "url": row["url"], "observed_at": _iso(row["observed_at"]),
            "external_ref": row["external_ref"], "status": "new", "case": None,
            "duplicate_of_signal": None, "dismissal_reason": None})
        if triaged is not None:
            history.event(triaged, triager, "signal", signal_id, case_id, {
                SignalStatus.QUALIFIED: "qualified", SignalStatus.DISMISSED: "dismissed",
                SignalStatus.DUPLICATE: "marked_duplicate"}[status],
                {"status": ["new", status.value], "case": [None, case_key],
                 "duplicate_of_signal": [None, duplicate_of],
                 "dismissal_reason": [None, reason]} if status != SignalStatus.QUALIFIED
                else {"status": ["new", "qualified"], "case": [None, case_key]},
                reason)
        return signal_id

    for n, created in enumerate(created_times):
        case_id = n + 1
        year = created.year
        numbers[year] = numbers.get(year, 0) + 1
        key = f"RISK-{year}-{numbers[year]:04d}"
        cat = category()
        mkts = sorted({market() for _ in range(1 if rng.random() < 0.8 else 2)})
        surfs = sorted({surface() for _ in range(1 if rng.random() < 0.7 else 2)})
        likelihood = min(5, max(1, round(rng.gauss(3, 1.1))))
        impact = min(5, max(1, round(rng.gauss(3 if cat != Category.CHILD_SAFETY else 4, 1))))
        pm = rng.choice(managers)
        title = f"{rng.choice(PHENOMENA[cat])} {PLACES[surfs[0]]} ({'/'.join(mkts)})"
        summary = (f"{title}: {rng.choice(COMMENTS)} Betroffen: "
                   f"{', '.join(s.value for s in surfs)}.")
        restricted = (cat == Category.CHILD_SAFETY and rng.random() < 0.5) or rng.random() < 0.01

        # Signals first: filed before the case, qualified into it when it is opened.
        first_signal = None
        for k in range(signal_counts[n]):
            filed = created - timedelta(hours=rng.uniform(0.2, 30)) if k == 0 \
                else created + timedelta(hours=rng.uniform(1, 24 * 20))
            if filed >= now:
                continue
            triaged = created if k == 0 else filed + timedelta(hours=rng.uniform(0.5, 24))
            if triaged >= now:
                add_signal(filed, cat=cat, mkt=mkts[0])
                continue
            duplicate = k > 0 and rng.random() < 0.3
            signal_id = add_signal(
                filed, cat=cat, mkt=rng.choice(mkts), case_id=case_id, case_key=key,
                status=SignalStatus.DUPLICATE if duplicate else SignalStatus.QUALIFIED,
                triaged=triaged, triager=pm, duplicate_of=first_signal if duplicate else None)
            first_signal = first_signal or signal_id

        # The case's life; each step happens only if its time has come.
        owner, state, resolution, closed_at, submitted_by = None, CaseState.QUALIFIED, None, \
            None, None
        dismissal = None
        snapshot = {"title": title, "summary": summary, "assessment": "",
                    "category": cat.value, "likelihood": likelihood, "impact": impact,
                    "score": likelihood * impact, "state": "qualified", "resolution": None,
                    "dismissal_reason": None, "owner": None,
                    "markets": [m.value for m in mkts], "surfaces": [s.value for s in surfs],
                    "restricted": restricted}
        history.event(created, pm, "case", case_id, case_id, "created", snapshot)
        version, updated = 1, created

        def step(when, actor, action, changes, note=None, case_id=case_id):
            nonlocal version, updated
            history.event(when, actor, "case", case_id, case_id, action, changes, note)
            version, updated = version + 1, when

        when = created + timedelta(hours=rng.uniform(1, 48))
        if rng.random() < 0.08:
            if when < now:
                dismissal = rng.choice(DISMISSALS)
                state, closed_at = CaseState.DISMISSED, None
                step(when, pm, "dismiss", {"state": ["qualified", "dismissed"],
                                           "dismissal_reason": [None, dismissal]}, dismissal)
        elif when < now:
            owner = rng.choices(specialists, weights=specialist_weights, k=1)[0]
            state = CaseState.ASSIGNED
            step(when, pm, "assign", {"state": ["qualified", "assigned"],
                                      "owner": [None, emails[owner]]})
            when += timedelta(hours=rng.uniform(1, 72))
            if when < now:
                state = CaseState.MITIGATING
                step(when, owner, "start_mitigation", {"state": ["assigned", "mitigating"]})
                action_ids = []
                for _ in range(rng.choice((1, 1, 1, 1, 2, 2))):
                    at = when + timedelta(hours=rng.uniform(0.5, 48))
                    if at >= now:
                        break
                    action_id = len(history.actions) + 1
                    action_team, action_title = team(), rng.choice(ACTION_TITLES)
                    partner = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                    due = (at + timedelta(days=rng.uniform(3, 21))).date()
                    history.actions.append(dict(
                        id=action_id, case_id=case_id, title=action_title, team=action_team,
                        owner_user_id=None, owner_name=partner, due=due,
                        status=ActionStatus.IN_PROGRESS if rng.random() < 0.5
                        else ActionStatus.PLANNED, outcome="", created_by_id=owner,
                        created_at=at, updated_at=at))
                    history.event(at, owner, "action", action_id, case_id, "created", {
                        "title": action_title, "team": action_team.value,
                        "owner_name": partner, "owner_user": None, "due": due.isoformat(),
                        "status": history.actions[-1]["status"].value, "outcome": ""})
                    action_ids.append(action_id)
                for _ in range(rng.choice((0, 0, 1, 1, 2))):
                    at = when + timedelta(hours=rng.uniform(1, 24 * 14))
                    if at < now:
                        comment_id = len(history.comments) + 1
                        body = rng.choice(COMMENTS)
                        history.comments.append(dict(id=comment_id, case_id=case_id,
                                                     author_id=owner, body=body,
                                                     created_at=at))
                        history.event(at, owner, "comment", comment_id, case_id, "created",
                                      {"body": body})
                when += timedelta(days=rng.uniform(2, 21))
                if when < now and action_ids:
                    for action_id in action_ids:
                        action = history.actions[action_id - 1]
                        done = when - timedelta(hours=rng.uniform(0.1, 12))
                        before = action["status"].value
                        action.update(status=ActionStatus.DONE, outcome="Umgesetzt.",
                                      updated_at=done)
                        history.event(done, owner, "action", action_id, case_id, "updated",
                                      {"status": [before, "done"],
                                       "outcome": ["", "Umgesetzt."]})
                    state, submitted_by = CaseState.IN_REVIEW, owner
                    step(when, owner, "submit_for_review", {"state": ["mitigating",
                                                                       "in_review"]})
                    when += timedelta(hours=rng.uniform(2, 96))
                    if when < now:
                        reviewer = rng.choice([m for m in managers if m != owner])
                        resolution = rng.choices(list(Resolution), weights=(70, 15, 5, 10))[0]
                        residual = (rng.randint(1, max(1, likelihood - 1)),
                                    rng.randint(1, impact))
                        review_id = len(history.reviews) + 1
                        note = "Maßnahmen wirken, Restrisiko vertretbar."
                        history.reviews.append(dict(
                            id=review_id, case_id=case_id, reviewer_id=reviewer,
                            decision=ReviewDecision.APPROVED, resolution=resolution,
                            residual_likelihood=residual[0], residual_impact=residual[1],
                            note=note, created_at=when))
                        history.event(when, reviewer, "review", review_id, case_id, "created",
                                      {"decision": "approved", "resolution": resolution.value,
                                       "residual_likelihood": residual[0],
                                       "residual_impact": residual[1], "note": note})
                        state, closed_at = CaseState.CLOSED, when
                        step(when, reviewer, "approve", {"state": ["in_review", "closed"],
                                                          "resolution": [None,
                                                                         resolution.value]},
                             note)

        history.cases.append(dict(
            id=case_id, key=key, year=year, number=numbers[year], title=title, summary=summary,
            assessment="", category=cat, likelihood=likelihood, impact=impact,
            score=likelihood * impact, state=state, resolution=resolution,
            dismissal_reason=dismissal, owner_id=owner, created_by_id=pm,
            submitted_by_id=submitted_by, created_at=created, updated_at=updated,
            closed_at=closed_at, version=version, restricted=restricted))
        history.markets.extend(dict(case_id=case_id, market=m) for m in mkts)
        history.surfaces.extend(dict(case_id=case_id, surface=s) for s in surfs)

    # The rest of the signals: never became a case (dismissed, duplicates, or still new).
    remaining = max(0, signals - len(history.signals))
    for _ in range(remaining):
        filed = start + timedelta(seconds=rng.uniform(0, days * 86400 - 60))
        triaged = filed + timedelta(hours=rng.uniform(0.5, 72))
        cat, mkt = category(), market()
        if triaged >= now:
            add_signal(filed, cat=cat, mkt=mkt)
        elif rng.random() < 0.8 or not history.signals:
            add_signal(filed, cat=cat, mkt=mkt, status=SignalStatus.DISMISSED,
                       triaged=triaged, triager=rng.choice(managers),
                       reason=rng.choice(DISMISSALS))
        else:
            original = rng.randint(1, len(history.signals))
            add_signal(filed, cat=cat, mkt=mkt, status=SignalStatus.DUPLICATE,
                       triaged=triaged, triager=rng.choice(managers), duplicate_of=original)
    return users, history, numbers


def _chained(events: list[tuple]) -> Iterator[dict]:
    """The events in time order with seq, prev_hash and hash."""
    prev_hash = GENESIS
    for seq, event in enumerate(sorted(events), start=1):
        when, _tie, actor_id, entity_type, entity_id, case_id, action, changes, note = event
        row = dict(id=seq, seq=seq, occurred_at=when, actor_id=actor_id,
                   entity_type=entity_type, entity_id=entity_id, case_id=case_id,
                   action=action, changes=changes, note=note, remote_addr=None)
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = compute_hash(row, prev_hash)
        yield row


def _insert(model, rows) -> int:
    """INSERT the rows in batches (executemany); returns how many."""
    table = model.__table__
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(sa.insert(table), batch)
            count, batch = count + len(batch), []
    if batch:
        db.session.execute(sa.insert(table), batch)
        count += len(batch)
    return count


def database_is_empty() -> bool:
    """No users, signals, cases or audit events yet."""
    return all(db.session.scalar(sa.select(model.id).limit(1)) is None
               for model in (User, Signal, Case, AuditEvent))


def synthesize(cases: int, signals: int | None = None, seed: int = 1) -> Counts:
    """Fill an empty database with ``cases`` cases and their history; nothing commits."""
    if signals is None:
        signals = cases * 3 // 2
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    users, history, numbers = simulate(cases, signals, seed, now)
    if db.session.get_bind().dialect.name == "sqlite":
        # A bigger page cache for this connection: the indexes grow by a million entries.
        db.session.execute(sa.text("PRAGMA cache_size=-262144"))
    counts = Counts()
    counts.users = _insert(User, users)
    counts.cases = _insert(Case, history.cases)
    _insert(CaseMarket, history.markets)
    _insert(CaseSurface, history.surfaces)
    counts.signals = _insert(Signal, history.signals)
    counts.actions = _insert(MitigationAction, history.actions)
    counts.comments = _insert(Comment, history.comments)
    counts.reviews = _insert(Review, history.reviews)
    _insert(CaseKeySequence, [dict(year=y, last_number=n) for y, n in sorted(numbers.items())])
    last = {"seq": 0, "hash": GENESIS}

    def tracked(rows):
        for row in rows:
            last.update(seq=row["seq"], hash=row["hash"])
            yield row

    counts.events = _insert(AuditEvent, tracked(_chained(history.events)))
    head = db.session.get(AuditHead, HEAD_ID)
    if head is None:
        db.session.add(AuditHead(id=HEAD_ID, seq=last["seq"], hash=last["hash"]))
    else:
        head.seq, head.hash = last["seq"], last["hash"]
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # The ids were given here: move each table's sequence past them.
        for model in (User, Case, Signal, MitigationAction, Comment, Review, AuditEvent):
            table = model.__tablename__
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    for row in history.cases:
        counts.by_state[row["state"].value] = counts.by_state.get(row["state"].value, 0) + 1
    return counts
