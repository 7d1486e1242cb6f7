# Every target bootstraps .venv on first use, so a fresh machine needs only `make run` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

bench: $(STAMP)
	. scripts/ensure-postgres.sh && $(BIN)/ecosentinel bench ingest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
