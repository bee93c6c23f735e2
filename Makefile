# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: demo run test test-fast test-reliability lint eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Create the venv, migrate the default SQLite database and check the example messages.
demo: $(STAMP)
	$(BIN)/saring db upgrade
	@for f in examples/*.txt; do \
		echo "=================================================================="; \
		echo "$$f"; \
		echo "------------------------------------------------------------------"; \
		$(BIN)/saring check < "$$f" || exit 1; \
	done

## Run the bot locally in polling mode (needs SARING_TELEGRAM_TOKEN).
run: $(STAMP)
	$(BIN)/saring run --polling

## Install dev dependencies, make sure PostgreSQL is up, run the whole suite on SQLite and PostgreSQL.
test: $(STAMP)
	scripts/ensure_postgres.sh
	$(BIN)/ruff check .
	SARING_TEST_POSTGRES_URL=$(PG_URL) SARING_REQUIRE_POSTGRES=1 $(BIN)/pytest -q -p no:cacheprovider

## The long reliability promises (P1, P7, P8, P10): real bot processes killed, stopped, restarted.
test-reliability: $(STAMP)
	scripts/ensure_postgres.sh
	SARING_RELIABILITY=1 SARING_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -s -p no:cacheprovider tests/reliability -rxX

## Unit tests only (no database server needed).
test-fast: $(STAMP)
	$(BIN)/pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Precision/recall on the outside labeled data in ../shared/data (report split).
eval: $(STAMP)
	$(BIN)/python eval/evaluate.py --split report

## Benchmarks with in-run baselines: engine (B1), hoax index, ingestion (B2), end to end (B3),
## outbox under 429s (B4). Each prints a markdown table; JSON goes to benchmarks/results/.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	scripts/ensure_postgres.sh
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/hoax_index.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/outbox.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
