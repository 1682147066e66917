# Vizorch: `make run` sets up and starts the product on its embedded defaults;
# `make test` sets up and runs every check and test. Both are idempotent.

PORT ?= 8000
HOST ?= 127.0.0.1
# Connections the kernel holds for daphne until it accepts them. Twisted's default, 50, drops a
# burst's connections beyond it (their clients retry a second later).
LISTEN_BACKLOG ?= 1024
# daphne, in one process, or with REDIS_URL in VIZORCH_WEB_PROCESSES processes (vizorch_site/serve.py).
SERVE = $(UV_RUN) python -m vizorch_site.serve --host '$(HOST)' --port $(PORT) \
	--backlog $(LISTEN_BACKLOG) vizorch_site.asgi:application
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
UV_RUN := $(UV) run --frozen --all-extras
MANAGE := $(UV_RUN) python manage.py
NPM := npm --prefix frontend
# The sandbox ships the offline analyst's components (analyst/charts) precompiled.
FRONTEND_SOURCES := $(shell find frontend/src frontend/vite.config.ts frontend/tsconfig*.json \
	analyst/charts -type f 2>/dev/null)

.PHONY: run test setup setup-python setup-frontend lint typecheck pytest frontend-test types \
	types-check bench eval worker clean

setup: setup-python setup-frontend

setup-python: .venv/.synced
setup-frontend: frontend/node_modules/.installed frontend/dist/manifest.json

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --all-extras
	@touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

frontend/dist/manifest.json: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	$(NPM) run build

run: setup
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	@echo ""
	@echo "  Vizorch is starting at http://$(HOST):$(PORT)/  (sign in as analyst, curator or viewer)"
	@echo ""
	@# With Redis the runs go to a separate worker; started here alongside daphne and stopped
	@# with it. Without REDIS_URL the worker runs inside daphne.
	@if [ -n "$$REDIS_URL" ]; then \
		$(MANAGE) runworker $${VIZORCH_RUNS_CHANNEL:-vizorch.runs} & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(SERVE); \
	else \
		exec $(SERVE); \
	fi

# A separate run worker, for deployments with REDIS_URL set.
worker: setup-python
	$(MANAGE) runworker $${VIZORCH_RUNS_CHANNEL:-vizorch.runs}

test: setup lint typecheck types-check frontend-test pytest

lint:
	$(UV_RUN) ruff check .
	$(UV_RUN) ruff format --check .
	$(UV_RUN) lint-imports
	$(NPM) run lint

typecheck:
	$(UV_RUN) mypy .
	$(NPM) run typecheck

frontend-test:
	$(NPM) test

pytest:
	VIZORCH_VAR_DIR=$(CURDIR)/var/test $(UV_RUN) pytest

# Regenerate the front end's TypeScript types and Zod schemas from the backend's Pydantic models.
types: setup-python frontend/node_modules/.installed
	$(MANAGE) export_schemas frontend/src/lib/generated/schemas.json
	$(NPM) run gen:types

# Fails when the committed generated types differ from what the models say now.
types-check: types
	git diff --exit-code -- frontend/src/lib/generated || \
		(echo "Generated types are stale: run 'make types' and commit the result." && exit 1)

bench: setup
	$(UV_RUN) python -m bench

# Score the configured model (VIZORCH_LLM, offline by default) on every evaluation set of evals/
# (the demo, TPC-H SF0.1, vega_datasets; built under var/eval/) and write docs/EVALUATION.md.
eval: setup-python
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	$(MANAGE) eval_agent --dataset all --report docs/EVALUATION.md

clean:
	rm -rf .venv frontend/node_modules frontend/dist var/test
