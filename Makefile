# Two commands do everything: `make demo` and `make test` (see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MIS := $(VENV)/bin/mis
UV_VERSION := 0.13.9
export MIS_HOME ?= $(CURDIR)/.mis
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
SCALE ?= small

.PHONY: setup demo refresh app test test-fast lint bench docs clean lock

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	@# Bytecode compiled once here: PYTHONDONTWRITEBYTECODE (below) would otherwise make every
	@# dbt child, CLI call and test worker compile dbt, Streamlit and Prefect from source again.
	@$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -r requirements.lock
	@$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	@touch $@
	@echo "environment ready in $(VENV)"

setup: $(VENV)/.installed ## virtual environment with the locked dependencies

demo: setup ## demo data, refresh, dashboards on http://127.0.0.1:8501
	@$(MIS) seed --scale $(SCALE) --if-empty
	@$(MIS) refresh
	@$(MIS) kpi
	@$(MIS) app

refresh: setup
	@$(MIS) refresh

app: setup
	@$(MIS) app

test: setup ## the whole test suite (PostgreSQL and browser tests included)
	@bash scripts/ensure-system.sh
	@$(VENV)/bin/pytest -n 2 --dist loadfile -q --durations=20

test-fast: setup
	@$(VENV)/bin/pytest -q -m "not browser and not slow" -x

lint: setup
	@$(VENV)/bin/ruff check operational ingestion flows serving dashboards mis_cli tests
	@$(VENV)/bin/mypy operational ingestion flows serving

bench: setup ## benchmarks (not part of make test); SIZES=small,medium,large
	@$(PY) -m bench.run --sizes $${SIZES:-small,medium}

docs: setup ## dbt docs site on http://127.0.0.1:8080 (from a copy of the published warehouse)
	@test -f $(MIS_HOME)/warehouse/published.duckdb || $(MIS) refresh --no-prefect
	@mkdir -p $(MIS_HOME)/docs && cp $(MIS_HOME)/warehouse/published.duckdb $(MIS_HOME)/docs/docs.duckdb
	@MIS_DBT_DUCKDB_PATH=$(MIS_HOME)/docs/docs.duckdb DBT_PROFILES_DIR=$(CURDIR) \
		$(VENV)/bin/dbt docs generate --quiet --target-path $(MIS_HOME)/docs/target
	@echo "dbt docs: http://127.0.0.1:8080 (Ctrl+C to stop)"
	@$(abspath $(PY)) -m http.server 8080 --bind 127.0.0.1 --directory $(MIS_HOME)/docs/target

lock: ## re-resolve requirements.lock from pyproject.toml
	@uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(MIS_HOME) target test-artifacts
