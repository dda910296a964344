"""Serving behind a load balancer: /healthz, one JSON object per log line, and settings that
several app servers share through the environment."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from casework import create_app
from casework.config import build_config, database_url
from casework.extensions import db
from casework.web import serving


def test_healthz_answers_ok_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["status"] == "unavailable"
    finally:
        with app.app_context():
            db.engine.dispose()


def test_healthz_is_reachable_while_a_password_change_is_due(app, make, client, auth):
    from casework.models import User

    user = make.pm
    with app.app_context():
        db.session.get(User, user.id).must_change_password = True
        db.session.commit()
    auth.login(user)
    assert client.get("/healthz").status_code == 200


def test_every_request_is_logged_with_method_path_status_and_duration(client, caplog):
    with caplog.at_level(logging.INFO, logger="casework.requests"):
        client.get("/healthz")
        client.get("/cases")
    records = [r for r in caplog.records if r.name == "casework.requests"]
    lines = [json.loads(serving.JsonFormatter().format(r)) for r in records]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/healthz", 200), ("GET", "/cases", 302)]
    assert all(line["duration_ms"] >= 0 and line["level"] == "INFO" for line in lines)
    assert all(line["time"].endswith("Z") for line in lines)


def test_a_log_record_is_one_line_of_json_even_with_an_exception():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = logging.LogRecord("casework", logging.ERROR, __file__, 1, "failed: %s",
                                   ("x",), exc_info=sys.exc_info())
    text = serving.JsonFormatter().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "failed: x"
    assert "ValueError" in entry["exception"]


def test_json_logging_goes_to_stdout_when_asked(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CASEWORK_LOG_FORMAT", "json")
    root = logging.getLogger()
    level = root.level
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    try:
        # A second app in the same process replaces the handler instead of adding one.
        create_app({"TESTING": True, "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
        installed = [h for h in root.handlers if isinstance(h, serving._JsonHandler)]
        assert len(installed) == 1
        # (An empty database: the health check cannot write its probe and answers 503.)
        status = app.test_client().get("/healthz").status_code
        out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert {"path": "/healthz", "status": status}.items() <= out[-1].items()
    finally:
        for handler in [h for h in root.handlers if isinstance(h, serving._JsonHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("given, expected", [
    ("postgresql://u:p@db/casework", "postgresql+psycopg://u:p@db/casework"),
    ("postgres://u:p@db/casework", "postgresql+psycopg://u:p@db/casework"),
    ("postgresql+psycopg://u@db/c", "postgresql+psycopg://u@db/c"),
    ("sqlite:////srv/casework.sqlite3", "sqlite:////srv/casework.sqlite3"),
])
def test_postgresql_urls_use_psycopg_3(given, expected):
    assert database_url(given) == expected


def test_a_shared_database_needs_the_secret_key_from_the_environment(monkeypatch, tmp_path):
    """A key generated into one server's instance folder would not sign the others' sessions."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://casework@db.example/casework")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        build_config(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    config = build_config(str(tmp_path))
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert not (tmp_path / "secret_key").exists()
