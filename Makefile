# SIGAP - the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
AREA ?= 3374

.PHONY: demo test test-postgres bench lint format install serve clean lock

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "SIGAP needs Python >= 3.12 (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## Build everything, load the Semarang demo and serve it on http://127.0.0.1:8000
## (the demo's partner agencies listen on loopback http: allowed for the demo only)
demo: $(STAMP)
	SIGAP_WEBHOOK_ALLOW_LOOPBACK=1 $(BIN)/sigap demo --area $(AREA) --serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	SIGAP_WEBHOOK_ALLOW_LOOPBACK=1 $(BIN)/sigap serve --demo --host $(HOST) --port $(PORT)

## The whole test suite (SQLite; DATABASE_URL=postgres://... runs it on PostgreSQL), one
## worker per core (pytest-xdist; each worker has its own test database)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto

bench: $(STAMP)
	$(BIN)/sigap bench all

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-pin the dependencies (needs network to PyPI)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.12 \
		--universal -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
