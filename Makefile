# Project Ledger: `make demo` runs a demo night, `make test` runs the tests.
# Both create .venv/ on first use (uv installs the locked dependencies into it).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat uv.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench bench-quick bench-store lint airflow db-start db-stop clean

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install --quiet uv
	$(BIN)/uv sync --frozen --inexact --extra dev --compile-bytecode --python $(BIN)/python
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/projledger demo

test: $(STAMP)
	AIRFLOW__COSMOS__ENABLE_TELEMETRY=False $(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/uv sync --frozen --inexact --extra dev --extra bench --compile-bytecode --python $(BIN)/python
	$(BIN)/projledger bench
	$(BIN)/projledger bench --store --rows 1000000 --preload-files 9
	$(BIN)/projledger bench --alerts

bench-quick: $(STAMP)
	$(BIN)/projledger bench --quick

# The event store's write path at 1M rows: empty store, a store of 10M events, a re-send.
bench-store: $(STAMP)
	$(BIN)/projledger bench --store --rows 1000000 --preload-files 9

lint: $(STAMP)
	$(BIN)/ruff check projledger ingest expectations alerts reports dags tests
	cd dbt_project && ../$(BIN)/sqlfluff lint models

airflow: $(STAMP)
	$(BIN)/projledger airflow

db-start: $(STAMP)
	$(BIN)/projledger db start

db-stop: $(STAMP)
	$(BIN)/projledger db stop

clean:
	-$(BIN)/projledger db stop
	rm -rf .projledger dbt_project/target dbt_project/logs
