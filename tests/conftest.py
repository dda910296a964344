"""Fixtures: a fresh app on a fresh, migrated database for every test, a client, a CLI
runner, a login helper and factories that build users, signals and cases through the
same operations the app uses.

The databases are SQLite files, or, when ``CASEWORK_TEST_DATABASE_URL`` names a PostgreSQL
server (``postgresql://user@host:port/postgres``), databases on that server: the
migrations run once into a template database and each test gets ``CREATE DATABASE ...
TEMPLATE`` of it (``make test-postgres`` starts a throwaway server and sets it).
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.extensions import db

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)
POSTGRES_SERVER = os.environ.get("CASEWORK_TEST_DATABASE_URL", "").strip()
# Commands speak the shell's language (casework/languages.py): the tests expect English
# whatever the machine's locale; tests of German set it themselves.
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"
ON_POSTGRES = bool(POSTGRES_SERVER)
only_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="SQLite internals (file, PRAGMAs, FTS5)")


class Databases:
    """Where the tests' databases live: SQLite files in a temporary folder, or databases
    on a PostgreSQL server. A database is named by a handle: a file path or a name."""

    def __init__(self, server_url: str, folder):
        self.folder = folder
        self.server = None
        if server_url:
            from casework.config import database_url

            self.server = sa.make_url(database_url(server_url))
            self.admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT",
                                          poolclass=sa.pool.NullPool)
            self.prefix = f"cw_test_{os.getpid()}_"
            self.made: list[str] = []

    def new(self):
        """An empty database."""
        n = next(_counter)
        if self.server is None:
            return self.folder / f"db{n}.sqlite3"
        name = f"{self.prefix}{n}"
        self._create(name)
        return name

    def url(self, handle) -> str:
        if self.server is None:
            return f"sqlite:///{handle}"
        return self.server.set(database=handle).render_as_string(hide_password=False)

    def copy(self, source, target=None):
        """A new database holding what ``source`` holds (nobody may be connected to it)."""
        if self.server is None:
            target = target or self.folder / f"db{next(_counter)}.sqlite3"
            shutil.copy(source, target)
            return target
        name = f"{self.prefix}{next(_counter)}"
        self._create(name, template=source)
        return name

    def drop(self, handle) -> None:
        if self.server is None:
            return
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{handle}" WITH (FORCE)')
        self.made.remove(handle)

    def _create(self, name: str, template=None) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)

    def close(self) -> None:
        if self.server is None:
            return
        for name in list(self.made):
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    store = Databases(POSTGRES_SERVER, tmp_path_factory.mktemp("databases"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def migrated_template(databases):
    """One database built by running every migration; each test gets a copy."""
    template = databases.new()
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": databases.url(template)})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return template


@pytest.fixture
def database_path(tmp_path, databases, migrated_template):
    """This test's database: a file on SQLite, a database name on PostgreSQL."""
    copy = databases.copy(migrated_template, tmp_path / "casework.sqlite3")
    yield copy
    databases.drop(copy)


@pytest.fixture
def database_url(databases, database_path) -> str:
    return databases.url(database_path)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # scrypt costs ~0.2 s a user; one test (test_auth) checks the real default.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    name: str
    role: str
    password: str = PASSWORD


@dataclass(frozen=True)
class CaseRecord:
    id: int
    key: str
    owner_email: str | None


class Factory:
    """Builds data through the domain operations, committing like a request would."""

    def __init__(self, app):
        self.app = app
        self._admin: UserRecord | None = None
        self._pm: UserRecord | None = None
        self._reviewer: UserRecord | None = None
        self._specialist: UserRecord | None = None

    def _user(self, email):
        from casework.users.operations import find_user

        return find_user(email)

    def user(self, role: str = "policy_specialist", *, email: str | None = None,
             name: str | None = None, password: str = PASSWORD) -> UserRecord:
        from casework.users.operations import create_user

        n = next(_counter)
        email = email or f"{role.replace('_', '-')}-{n}@casework.example"
        name = name or f"{role.replace('_', ' ').title()} {n}"
        with self.app.app_context():
            user = create_user(None, email=email, name=name, role=role, password=password)
            db.session.commit()
            return UserRecord(user.id, user.email, user.name, user.role.value, password)

    @property
    def pm(self) -> UserRecord:
        if self._pm is None:
            self._pm = self.user("program_manager", name="Paula Programm")
        return self._pm

    @property
    def reviewer(self) -> UserRecord:
        if self._reviewer is None:
            self._reviewer = self.user("program_manager", name="Rita Review")
        return self._reviewer

    @property
    def specialist(self) -> UserRecord:
        if self._specialist is None:
            self._specialist = self.user("policy_specialist", name="Sven Spezialist")
        return self._specialist

    def signal(self, *, by: UserRecord | None = None, **fields) -> int:
        from casework.signals.operations import file_signal

        values = dict(title=f"Signal {next(_counter)}", description="Observed on Live",
                      source="news", market="DE", surface="live", category="hate_speech",
                      url="https://news.example.org/a", external_ref=None)
        values.update(fields)
        with self.app.app_context():
            signal = file_signal(self._user((by or self.pm).email), **values)
            db.session.commit()
            return signal.id

    def case(self, state: str = "qualified", *, owner: UserRecord | None = None,
             **fields) -> CaseRecord:
        """A case driven through the real workflow into ``state``."""
        from casework.cases import operations as cases
        from casework.models import Case, Signal
        from casework.signals.operations import qualify_into_new_case
        from casework.vocabulary import TransitionAction as A
        from casework.workflow import TransitionInput

        owner = owner or self.specialist
        pm, reviewer = self.pm, self.reviewer
        values = dict(title=f"Case {next(_counter)}", summary="A risk", category="hate_speech",
                      markets=["DE"], surfaces=["live"], likelihood=3, impact=4)
        values.update(fields)
        signal_id = self.signal()
        with self.app.app_context():
            pm_user, owner_user = self._user(pm.email), self._user(owner.email)
            case = qualify_into_new_case(pm_user, db.session.get(Signal, signal_id), **values)
            if state == "dismissed":
                cases.transition_case(pm_user, case, A.DISMISS, TransitionInput(note="Noise"))
            if state in ("assigned", "mitigating", "in_review", "closed"):
                cases.transition_case(pm_user, case, A.ASSIGN, TransitionInput(owner=owner_user))
            if state in ("mitigating", "in_review", "closed"):
                cases.transition_case(owner_user, case, A.START_MITIGATION)
            if state in ("in_review", "closed"):
                cases.add_action(owner_user, case, title="Keyword list update",
                                 team="content_policy", owner="Jana Wolf", due=date.today(),
                                 status="done", outcome="Shipped")
                cases.transition_case(owner_user, case, A.SUBMIT_FOR_REVIEW)
            if state == "closed":
                cases.transition_case(
                    self._user(reviewer.email), case, A.APPROVE,
                    TransitionInput(note="Mitigated well", resolution="mitigated",
                                    residual_likelihood=1, residual_impact=2))
            db.session.commit()
            case = db.session.scalar(sa.select(Case).where(Case.id == case.id))
            assert case.state.value == state, (case.state, state)
            return CaseRecord(case.id, case.key, case.owner.email if case.owner else None)


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user: UserRecord | str, password: str = PASSWORD):
        email = user if isinstance(user, str) else user.email
        if not isinstance(user, str):
            password = user.password
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def login_as(make, auth):
    """Log the client in as a new user of ``role`` (or as a given user) and return it."""

    def _login(role_or_user: str | UserRecord) -> UserRecord:
        user = make.user(role_or_user) if isinstance(role_or_user, str) else role_or_user
        response = auth.login(user)
        assert response.status_code == 302, response.status_code
        return user

    return _login


@pytest.fixture
def query(app):
    """Run a SELECT in a fresh app context and return model objects' plain values."""

    def _query(statement):
        with app.app_context():
            return db.session.execute(statement).all()

    return _query
