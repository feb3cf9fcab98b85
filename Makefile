# Sedā's commands. The two that matter, as the README says:
#   make run    set everything up, migrate, load demo data, serve on http://127.0.0.1:8000/
#   make test   set everything up and run the whole suite (lint, types, imports, pytest)
SHELL := /bin/bash
BIN := .venv/bin
STAMP := .venv/.installed-dev

.PHONY: run test setup lint typecheck imports pytest bench lock clean

$(STAMP): requirements/dev.lock pyproject.toml scripts/bootstrap
	scripts/bootstrap requirements/dev.lock
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/seda db upgrade
	$(BIN)/seda demo
	$(BIN)/seda serve

test: lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.storage

# Re-resolve the locks after changing dependencies in pyproject.toml (needs the network).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --group build --python-version 3.11 --generate-hashes --no-header -q -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes --no-header -q -o requirements/dev.lock
	$(BIN)/python -m pip uninstall --quiet --yes uv

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
