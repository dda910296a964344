"""Realistic DACH demo data: users, signals and cases in every state of the workflow.

``flask casework demo`` calls :func:`load` inside one unit of work. Everything goes through
the domain operations, so the audit trail is as real as the data: signals are filed and
triaged, cases are assigned, mitigated, reviewed (four eyes), closed, reopened and
dismissed. The story is told on a timeline over the last month; each step runs with the
clock frozen at its moment on that timeline (``frozen_time``), so its rows and its audit
events are written with that time and the audit chain is never rewritten afterwards.

The story itself is data, in ``demo_data/`` beside this module; this module only walks it.
Times are in days before now (``days``, ``opened``), due dates in days from today (``due``);
people are named by e-mail, signals by ``key``, cases by ``slug``.

- ``users.json``: the people who log in (``joined_days_ago``: when they were created).
- ``signals.json``: signals in story groups; each was observed ``days`` ago, filed ``by``
  someone a few hours later.
- ``triage.json``: signals dismissed as noise (``note``) or merged as duplicates (``of`` a
  signal or a case), ``by`` a program manager.
- ``cases.json``: each case opens by qualifying ``signal`` ``opened`` days ago, by ``pm``;
  then its ``steps`` run in order, each ``{"days": ..., "do": VERB, ...}``:

  ==================  ======================================================================
  assign              ``owner`` (e-mail)
  attach              ``signal``
  start, submit
  assess              ``assessment``
  update              the case fields to change (``likelihood``, ...)
  action              ``title``, ``team``, ``owner`` (a name), ``due``, optional ``status``
  progress            ``action``: the case's Nth action, from 0
  done, cancel        ``action`` (N), ``outcome``
  comment             ``by`` (e-mail), ``text``
  request_changes     ``note``
  approve             ``resolution``, ``residual_likelihood``, ``residual_impact``, ``note``
  reopen, dismiss     ``note``
  ==================  ======================================================================

  The owner does the owner's work; ``pm`` assigns, reopens and dismisses; ``reviewer``
  (never the owner) decides the review.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib import resources

import sqlalchemy as sa
from flask_babel import gettext

from casework.cases import operations as cases
from casework.errors import CaseworkError, Conflict
from casework.extensions import db
from casework.models import Case, MitigationAction, Signal, User
from casework.models.types import frozen_time, utcnow
from casework.signals import operations as signals
from casework.users import operations as users
from casework.vocabulary import ActionStatus, Resolution, Role, TransitionAction
from casework.workflow import TransitionInput

DEMO_PASSWORD = "casework-demo-2026"

# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class DemoUser:
    """Someone who logs in to the demo, with the shared password."""

    email: str
    name: str
    role: Role


@dataclass(frozen=True)
class Story:
    """The demo data, as read from ``demo_data/``."""

    users: list[DemoUser]
    users_joined_days_ago: float
    signals: list[dict]
    triage: list[dict]
    cases: list[dict]


def _read(name: str):
    data = resources.files(__package__) / "demo_data" / name
    return json.loads(data.read_text(encoding="utf-8"))


def read_story() -> Story:
    """The demo story from the package's data files."""
    people = _read("users.json")
    return Story(
        users=[DemoUser(u["email"], u["name"], Role(u["role"])) for u in people["users"]],
        users_joined_days_ago=people["joined_days_ago"],
        signals=[signal for group in _read("signals.json") for signal in group["signals"]],
        triage=_read("triage.json"),
        cases=_read("cases.json"),
    )


CASE_FIELDS = ("title", "summary", "category", "markets", "surfaces", "likelihood", "impact")


# --------------------------------------------------------------------------- public API


def database_is_empty() -> bool:
    """True when there are no users, signals or cases yet."""
    return all(
        db.session.scalar(sa.select(model.id).limit(1)) is None
        for model in (User, Signal, Case)
    )


def print_logins(echo: Callable[[str], object]) -> None:
    """Print the demo logins, all with the shared demo password."""
    people = read_story().users
    width = max(len(user.email) for user in people)
    echo(gettext("Demo logins (password for all: %(password)s):", password=DEMO_PASSWORD))
    for user in people:
        echo(f"  {user.email:<{width}}  {user.role.value:<18}  {user.name}")


def load() -> str:
    """Add the demo data in the caller's transaction (which commits); a one-line summary."""
    loader = _Loader(read_story())
    loader.run()
    return loader.summary()


# --------------------------------------------------------------------------- the loader


def _filed_ago(observed_ago: float) -> float:
    """A signal is filed about three hours after it was observed."""
    return max(observed_ago - 0.125, observed_ago / 2)


def _arguments(step: dict) -> dict:
    """A step's own fields: everything but when (``days``) and what (``do``)."""
    return {name: value for name, value in step.items() if name not in ("days", "do")}


@dataclass
class _CaseRun:
    spec: dict
    case: Case | None = None
    actions: list[MitigationAction] = field(default_factory=list)


class _Loader:
    def __init__(self, story: Story) -> None:
        self.story = story
        self.now = utcnow()
        self.today = self.now.date()
        self.year_start = datetime(self.now.year, 1, 1, tzinfo=UTC)
        self.users: dict[str, User] = {}
        self.signals: dict[str, Signal] = {}
        self.runs: dict[str, _CaseRun] = {}
        self.users_created = 0

    # -- time

    def at(self, days_ago: float) -> datetime:
        # Case keys carry the current year; keep the story inside it.
        return max(self.now - timedelta(days=days_ago), self.year_start)

    def due(self, days_from_today: int) -> date:
        return self.today + timedelta(days=days_from_today)

    # -- the run

    def run(self) -> None:
        self.ensure_users()
        timeline: list[tuple[float, int, Callable[[datetime], None], str]] = []

        def add(days_ago: float, step: Callable[[datetime], None], what: str) -> None:
            timeline.append((days_ago, len(timeline), step, what))

        for spec in self.story.signals:
            add(_filed_ago(spec["days"]), partial(self.file_signal, spec),
                f"signal {spec['key']}")
        for entry in self.story.triage:
            add(entry["days"], partial(self.triage, entry), f"triage of {entry['signal']}")
        for spec in self.story.cases:
            run = self.runs[spec["slug"]] = _CaseRun(spec)
            add(spec["opened"], partial(self.open_case, run), f"case {spec['slug']}")
            for step in spec["steps"]:
                add(step["days"], partial(self.case_step, run, step),
                    f"case {spec['slug']}, {step['do']}")

        for days_ago, _, step, what in sorted(timeline, key=lambda e: (-e[0], e[1])):
            when = self.at(days_ago)
            try:
                with frozen_time(when):
                    step(when=when)
                    db.session.flush()  # timestamps (and onupdate) under the frozen clock
            except CaseworkError as error:
                error.add_note(f"demo data: {what}")
                raise

    def summary(self) -> str:
        total = len(self.story.users)
        existing = total - self.users_created
        if existing:
            return gettext("Loaded %(users)d users (%(existing)d existing), %(signals)d "
                           "signals, %(cases)d cases.", users=total, existing=existing,
                           signals=len(self.signals), cases=len(self.runs))
        return gettext("Loaded %(users)d users, %(signals)d signals, %(cases)d cases.",
                       users=total, signals=len(self.signals), cases=len(self.runs))

    # -- people

    def ensure_users(self) -> None:
        admin: User | None = None
        for person in self.story.users:
            user = users.find_user(person.email)
            if user is None:
                with frozen_time(self.at(self.story.users_joined_days_ago)):
                    user = users.create_user(admin, email=person.email, name=person.name,
                                             role=person.role, password=DEMO_PASSWORD)
                    db.session.flush()
                self.users_created += 1
            elif user.role != person.role or not user.active:
                raise Conflict(
                    f"The demo user {person.email} exists but is not an active "
                    f"{person.role.value}; fix the user or load the demo into an empty database."
                )
            if person.role == Role.ADMIN and admin is None:
                admin = user
            self.users[person.email] = user

    # -- signals

    def free_ref(self, source: str, ref: str | None) -> str | None:
        """The reference, suffixed when the demo was loaded before (``ESC-4711-2``)."""
        if not ref:
            return None
        candidate, n = ref, 1
        while signals.find_by_external_ref(source, candidate) is not None:
            n += 1
            candidate = f"{ref}-{n}"
        return candidate

    def file_signal(self, spec: dict, when: datetime) -> None:
        signal = signals.file_signal(
            self.users[spec["by"]],
            title=spec["title"], description=spec["description"], source=spec["source"],
            market=spec["market"], surface=spec["surface"], category=spec["category"],
            url=spec["url"], observed_at=self.at(spec["days"]),
            external_ref=self.free_ref(spec["source"], spec["ref"]),
        )
        signal.created_at = signal.updated_at = when
        self.signals[spec["key"]] = signal

    def triaged(self, signal: Signal, when: datetime) -> None:
        signal.triaged_at = signal.updated_at = when

    def triage(self, entry: dict, when: datetime) -> None:
        signal, user, verb = self.signals[entry["signal"]], self.users[entry["by"]], entry["do"]
        if verb == "dismiss":
            signals.dismiss_signal(user, signal, entry["note"])
        elif verb == "duplicate_of_signal":
            signals.mark_duplicate(user, signal, of_signal=self.signals[entry["of"]])
        elif verb == "duplicate_of_case":
            signals.mark_duplicate(user, signal, of_case=self.runs[entry["of"]].case)
        else:
            raise ValueError(f"unknown triage verb: {verb}")
        self.triaged(signal, when)

    # -- cases

    def open_case(self, run: _CaseRun, when: datetime) -> None:
        spec = run.spec
        signal = self.signals[spec["signal"]]
        fields = {name: spec[name] for name in CASE_FIELDS}
        run.case = signals.qualify_into_new_case(self.users[spec["pm"]], signal, **fields)
        run.case.created_at = run.case.updated_at = when
        self.triaged(signal, when)

    def case_step(self, run: _CaseRun, step: dict, when: datetime) -> None:
        case, spec, verb = run.case, run.spec, step["do"]
        assert case is not None
        pm = self.users[spec["pm"]]
        owner = case.owner or pm
        A = TransitionAction

        if verb == "assign":
            cases.transition_case(pm, case, A.ASSIGN,
                                  TransitionInput(owner=self.users[step["owner"]]))
        elif verb == "attach":
            signal = self.signals[step["signal"]]
            signals.attach_to_case(pm, signal, case)
            self.triaged(signal, when)
        elif verb == "start":
            cases.transition_case(owner, case, A.START_MITIGATION)
        elif verb == "submit":
            cases.transition_case(owner, case, A.SUBMIT_FOR_REVIEW)
        elif verb == "assess":
            cases.update_case(owner, case, expected_version=None, assessment=step["assessment"])
        elif verb == "update":
            cases.update_case(owner, case, expected_version=None, **_arguments(step))
        elif verb == "action":
            fields = _arguments(step)
            fields["due"] = self.due(fields["due"])
            action = cases.add_action(owner, case, **fields)
            action.created_at = action.updated_at = when
            run.actions.append(action)
        elif verb in ("progress", "done", "cancel"):
            status = {"progress": ActionStatus.IN_PROGRESS, "done": ActionStatus.DONE,
                      "cancel": ActionStatus.CANCELLED}[verb]
            action = run.actions[step["action"]]
            outcome = {"outcome": step["outcome"]} if "outcome" in step else {}
            cases.update_action(owner, action, status=status, **outcome)
            action.updated_at = when
        elif verb == "comment":
            comment = cases.add_comment(self.users[step["by"]], case, step["text"])
            comment.created_at = when
            return  # a comment does not change the case itself
        elif verb == "request_changes":
            cases.transition_case(self.users[spec["reviewer"]], case, A.REQUEST_CHANGES,
                                  TransitionInput(note=step["note"]))
            case.reviews[-1].created_at = when
        elif verb == "approve":
            review = _arguments(step)
            review["resolution"] = Resolution(review["resolution"])
            cases.transition_case(self.users[spec["reviewer"]], case, A.APPROVE,
                                  TransitionInput(**review))
            case.reviews[-1].created_at = when
            case.closed_at = when
        elif verb == "reopen":
            cases.transition_case(pm, case, A.REOPEN, TransitionInput(note=step["note"]))
        elif verb == "dismiss":
            cases.transition_case(pm, case, A.DISMISS, TransitionInput(note=step["note"]))
        else:
            raise ValueError(f"unknown case step: {verb}")
        case.updated_at = when
