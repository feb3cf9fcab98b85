# Sedā's commands. The two that matter, as the README says:
#   make run    set everything up, migrate, load demo data, serve on http://127.0.0.1:8000/
#   make test   set everything up (Chromium included) and run the whole suite
SHELL := /bin/bash
BIN := .venv/bin
STAMP := .venv/.installed-dev
BROWSER_STAMP := .venv/.installed-browser
WEB_SOURCES := $(shell find web/protocol web/app web/console -name '*.mjs') web/build.mjs web/package-lock.json \
	web/tools/export_routing_tables.py routing/bodies.py routing/taxonomy.py routing/vocabulary.py routing/reasons.py routing/tables.py

.PHONY: run test setup lint typecheck imports security pytest jstest bench lock clean

$(STAMP): requirements/dev.lock requirements/bootstrap.lock pyproject.toml scripts/bootstrap $(WEB_SOURCES)
	scripts/bootstrap requirements/dev.lock
	touch $(STAMP)

# The test suite also needs Debian's chromium for the browser tests.
$(BROWSER_STAMP): $(STAMP) scripts/install-debian-packages
	scripts/install-debian-packages
	touch $(BROWSER_STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/seda db upgrade
	$(BIN)/seda demo
	$(BIN)/seda serve

test: lint typecheck imports security jstest pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Locks current, bandit, pip-audit and npm audit (scripts/security-checks says what each means).
security: $(STAMP)
	$(BIN)/python scripts/security-checks

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

jstest: $(STAMP)
	cd web && node --test test/

pytest: $(BROWSER_STAMP)
	$(BIN)/pytest

bench: $(BROWSER_STAMP)
	$(BIN)/python -m benchmarks.storage
	$(BIN)/python -m benchmarks.argon2_params
	$(BIN)/python -m benchmarks.intake
	$(BIN)/python -m benchmarks.console_inbox
	$(BIN)/python -m benchmarks.summaries

# Re-resolve the locks after changing dependencies in pyproject.toml (needs the network).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --group build --python-version 3.11 --generate-hashes --no-header -q -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes --no-header -q -o requirements/dev.lock

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache web/node_modules \
		web/generated server/static/js server/static/fonts kiosk_client/screen/static/fonts
