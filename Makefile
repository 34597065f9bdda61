# `make run` opens the console on the built-in simulated fleet.
# `make test` runs the whole test suite, the layering contract and the type checker first.
# `make test-fast` runs the in-process tests only (not marked `slow`: no subprocesses, no real servers), in under 2 minutes.
# The tests run in two processes at once (pytest-xdist): most of a test's time is spent waiting on a process,
# a server or a clock, so two share the machine's cores well.
# Both create .venv on first use and reinstall only when pyproject.toml or constraints.txt changes.
# constraints.txt pins every package to the versions the tests last passed with; refresh it with
# `.venv/bin/pip freeze --exclude-editable > constraints.txt` after changing a dependency.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast test-postgres lint bench clean

run: $(VENV)/.installed
	$(BIN)/cutover

test: $(VENV)/.installed-dev
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist worksteal

test-fast: $(VENV)/.installed-dev
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist worksteal -m "not slow"

# Every test marked both_stores on SQLite and on every PostgreSQL this machine can start (the system's too,
# an older major version, where installed): `make test` runs them on SQLite and on PostgreSQL from pip.
test-postgres: $(VENV)/.installed-dev
	CUTOVER_TEST_POSTGRES=all $(BIN)/pytest -n 2 --dist worksteal -m both_stores

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check cutover tests benchmarks
	$(BIN)/ruff format --check cutover tests benchmarks

bench: $(VENV)/.installed-dev
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cutover needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.installed: pyproject.toml constraints.txt $(VENV)/.python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[lab]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt $(VENV)/.python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,lab]'
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .import_linter_cache
