# Two commands on a fresh machine with Python 3.11+ and Node.js:
#   make run    install, migrate, seed demo data and publish the national download (/data) on first
#               run, then serve http://127.0.0.1:5000
#               and run the worker (Procfile, with honcho): Ctrl-C stops both
#   make test   install, lint, and the whole test suite
#   make run-national   the same on a private PostgreSQL and Redis (data in instance/national/), with two
#               web servers (gunicorn, ports 5000 and 5001) and the worker: Ctrl-C stops them all
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app interests
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_PASSWORD ?= demo-password-2026

.PHONY: run run-national test install lint format check-python bench clean

run: install
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty --password "$(DEMO_PASSWORD)"
	$(FLASK) search reindex --if-missing
	$(FLASK) data publish --if-missing
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) $(BIN)/honcho --procfile Procfile start --port $(PORT)

# scripts/run-national starts PostgreSQL and Redis (scripts/services.sh, as .ci/run does), migrates,
# seeds on the first run, then runs Procfile.national with honcho; Ctrl-C stops everything.
run-national: install
	BIN="$(abspath $(BIN))" HOST=$(HOST) PORT=$(PORT) DEMO_PASSWORD="$(DEMO_PASSWORD)" bash scripts/run-national

# In parallel, one process per CPU (at most 4): tests/conftest.py gives each its own PostgreSQL and
# Redis database. PYTEST_ARGS="-n 0" runs it in one process.
test: install lint
	$(BIN)/python -m pytest -W error -n auto --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/bandit -q -r interests --severity-level medium

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

install: $(VENV)/.installed node_modules/.installed static/vendor/.built

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'

$(VENV)/.installed: pyproject.toml | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed for the NHS.UK frontend assets"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.built: node_modules/.installed scripts/build_assets.py $(VENV)/.installed
	$(BIN)/python scripts/build_assets.py
	touch $@

bench: install
	$(BIN)/python bench/seed.py --professionals 10000

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache
