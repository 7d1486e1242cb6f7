# Every target bootstraps .venv on first use, so a fresh machine needs only `make run` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench clean lock

# Installs exactly the versions of requirements.lock (hashes checked), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Re-resolve requirements.lock from pyproject.toml (after changing a dependency).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv>=0.9,<1'
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --generate-hashes -o requirements.lock

## Run the platform on its embedded default (SQLite) with simulated demo stations.
run: $(STAMP)
	$(BIN)/ecosentinel demo

## Lint (ruff + mypy --strict), then the whole test suite on SQLite and PostgreSQL.
test: $(STAMP) lint
	. scripts/ensure-postgres.sh && $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src tests
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP)
	. scripts/ensure-postgres.sh && $(BIN)/ecosentinel bench ingest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
