# Residency Scheduler: `make run` serves the demo, `make test` runs the whole suite.
# Both bootstrap everything they need from the lock file (uv.lock) on a fresh machine.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_SIZE ?= medium

.PHONY: run install test check lint typecheck format bench docs clean test-deps stack stack-down stack-status

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The virtual environment, exactly as locked (uv.lock); re-syncs when the lock changes.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --all-groups
	@touch $@

install: $(VENV)/.synced

# What a user's run needs: runtime dependencies only (no linters, type checker or benchmark
# peers); --inexact keeps a development environment that is already there.
$(VENV)/.synced-runtime: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --no-dev --inexact
	@touch $@

run: $(VENV)/.synced-runtime
	$(BIN)/residency-scheduler migrate
	$(BIN)/residency-scheduler seed --demo $(DEMO_SIZE)
	$(BIN)/residency-scheduler serve

test-deps:
	bash scripts/install-test-deps.sh

# Prometheus, Alertmanager and Pushgateway (Debian packages) on loopback, scraping the app on
# 127.0.0.1:8000; generated files, pid files and data under data/stack. STACK_ARGS passes
# options, e.g. make stack STACK_ARGS="--target 127.0.0.1:8001".
stack: $(VENV)/.synced-runtime
	$(BIN)/residency-scheduler stack up $(STACK_ARGS)

stack-status: $(VENV)/.synced-runtime
	$(BIN)/residency-scheduler stack status

stack-down: $(VENV)/.synced-runtime
	$(BIN)/residency-scheduler stack down

test: install test-deps
	$(BIN)/pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/ruff format --check app tests benchmarks

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

format: install
	$(BIN)/ruff format app tests benchmarks
	$(BIN)/ruff check --fix app tests benchmarks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
