# Casework: `make run` serves the app, `make test` runs the whole suite.
# Both set everything up from a fresh clone: the virtualenv, the packages, the database.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app.py

.PHONY: run test install install-test migrate demo lint browser clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/flask db upgrade

# Demo data only into an empty database: a second `make run` keeps what is there.
demo: migrate
	$(BIN)/flask casework demo --if-empty

run: demo
	@echo "Casework on http://$(HOST):$(PORT)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests; skipped quietly where it cannot be installed
# (the tests then skip, except under CI=true, where they fail).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium; browser tests will skip."; \
	  else echo "chromium is not installed; browser tests will skip."; fi; }

lint: install-test
	$(BIN)/ruff check .

test: install-test browser
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Extract every string marked for translation into translations/messages.pot.
messages: install
	mkdir -p translations
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
