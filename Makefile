# Casework: `make run` serves the app, `make test` runs the whole suite.
# Both set everything up from a fresh clone: the virtualenv, the packages, the database.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app.py

.PHONY: run test install install-test migrate demo lint browser clean messages system-deps bench-pdf \
	serve test-postgres test-on-postgres bench soak axe

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

install: system-deps $(VENV)/.installed

install-test: system-deps $(VENV)/.installed-test

# WeasyPrint (the PDFs) needs Pango and HarfBuzz from Debian. Installed as root when the
# libraries cannot be found; otherwise a hint says what is missing.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
system-deps:
	@if ! $(PYTHON) -c "import ctypes.util, sys; sys.exit(0 if all(ctypes.util.find_library(n) for n in ('pango-1.0', 'pangoft2-1.0', 'harfbuzz-subset')) else 1)"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) >/dev/null; \
	  else echo "WeasyPrint needs $(PDF_LIBS): install them with apt-get (as root)."; exit 1; fi; \
	fi

migrate: install
	$(BIN)/flask db upgrade

# Demo data only into an empty database: a second `make run` keeps what is there.
demo: migrate
	$(BIN)/flask casework demo --if-empty

run: demo
	@echo "Casework on http://$(HOST):$(PORT)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production: gunicorn with gunicorn.conf.py (workers from WEB_CONCURRENCY, bind from HOST and
# PORT, JSON log lines on stdout). Needs SECRET_KEY and DATABASE_URL in the environment; see
# docs/deploy.md. Migrate first (`flask db upgrade`) where several servers share a database.
$(VENV)/.installed-postgres: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

serve: install $(VENV)/.installed-postgres
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py app:app

# Debian's Chromium for the browser tests; skipped quietly where it cannot be installed
# (the tests then skip, except under CI=true, where they fail).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium; browser tests will skip."; \
	  else echo "chromium is not installed; browser tests will skip."; fi; }

# axe-core (the accessibility rules tests/test_accessibility.py runs in each page), at the
# version pinned in tests/package-lock.json, into tests/node_modules. Debian's npm is
# installed as root when missing; elsewhere a hint (the tests then skip, except under
# CI=true, where they fail).
AXE := tests/node_modules/axe-core/axe.min.js
$(AXE): tests/package.json tests/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null) \
	      || echo "Could not install npm; accessibility tests will skip."; fi; }
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: install Debian's npm for the accessibility tests."; fi

axe: $(AXE)

lint: install-test
	$(BIN)/ruff check .

test: install-test browser axe
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

# The whole suite on a throwaway PostgreSQL server (scripts/with-postgres starts and stops it;
# it installs Debian's postgresql package when missing).
test-postgres: install-test browser axe
	scripts/with-postgres $(MAKE) --no-print-directory test-on-postgres

# The suite on the server in CASEWORK_TEST_POSTGRES_URL (set by scripts/with-postgres).
test-on-postgres:
	@test -n "$$CASEWORK_TEST_POSTGRES_URL" || { echo "CASEWORK_TEST_POSTGRES_URL is not set: use make test-postgres"; exit 1; }
	CASEWORK_TEST_DATABASE_URL="$$CASEWORK_TEST_POSTGRES_URL" $(BIN)/pytest $(PYTEST_ARGS)

# Prints how long the PDFs take and how much memory rendering needs (not a timed test).
bench-pdf: install
	$(BIN)/python bench/bench_pdf.py

# Pages, API and a load test (gunicorn, 16 clients) at 1,000 and 100,000 synthetic cases;
# the databases are built once and kept in instance/bench/. Prints one table. Then a
# 50,000-row signal import: rows a second, and how long another user's comment waits.
bench: migrate
	$(BIN)/python bench/bench_app.py
	$(BIN)/python bench/bench_import.py

# Soak test, not part of `make test`: gunicorn (gunicorn.conf.py, 3 workers) under a hot case's
# traffic for SOAK_MINUTES on SQLite, then on PostgreSQL (CASEWORK_SOAK_POSTGRES, or a
# throwaway server from scripts/with-postgres). Fails on a crashed worker or any 5xx; see
# docs/soak.md.
SOAK_MINUTES ?= 30
soak: install $(VENV)/.installed-postgres
	@if [ -n "$$CASEWORK_SOAK_POSTGRES" ]; then \
	  $(BIN)/python bench/soak.py --minutes $(SOAK_MINUTES); \
	else scripts/with-postgres $(BIN)/python bench/soak.py --minutes $(SOAK_MINUTES); fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The German catalogue (see casework/translations/glossary.md). `make messages` extracts every
# string marked for translation into casework/translations/messages.pot, merges new and changed
# ones into de/LC_MESSAGES/messages.po (untranslated, never guessed from similar ones: translate
# them there) and compiles messages.mo, which is committed so that `make run` needs no step.
# tests/test_catalogue.py fails on a missing, fuzzy or stale translation.
TRANSLATIONS := casework/translations
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
messages: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs='.*' --add-comments=TRANSLATORS: \
	  --add-location=file --sort-output --project=Casework -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l de \
	  --init-missing --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -l de --statistics
