# Millbook — the user's entry points. `make up` runs the whole stack, `make test` the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := .millbook/tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help up down status logs reset test test-fast test-security test-idempotency test-faults lint typecheck bench contracts sync

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-17s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	@command -v python3 >/dev/null || { echo "Python 3.11+ is needed: install python3 and python3-venv." >&2; exit 1; }
	@python3 -m venv $(TOOLS) || { echo "Cannot create a virtualenv: install python3-venv (apt-get install python3-venv)." >&2; exit 1; }
	@$(TOOLS)/bin/pip install -q uv

sync: $(if $(shell command -v uv 2>/dev/null),,$(TOOLS)/bin/uv)
	@$(UV) sync --frozen --quiet

up: sync ## Run the whole stack in the background (PostgreSQL, Kafka, services, gateway)
	@$(RUN) millbook up

down: sync ## Stop everything `make up` started (state is kept)
	@$(RUN) millbook down

status: sync ## Show each process of the stack
	@$(RUN) millbook status

logs: sync ## Tail a process's log: make logs s=identity
	@$(RUN) millbook logs $(or $(s),supervisor)

reset: sync ## Stop and wipe the stack's state (asks first)
	@$(RUN) millbook reset

lint: sync ## Ruff and mypy
	@$(RUN) ruff check .
	@$(RUN) ruff format --check .
	@$(RUN) mypy

# The TypeScript client's tools (openapi-typescript, openapi-fetch, tsc), pinned by its lock file.
clients/typescript/node_modules/.package-lock.json: clients/typescript/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed: apt-get install nodejs npm." >&2; exit 1; }
	@cd clients/typescript && npm ci --no-audit --no-fund --silent

test: sync lint clients/typescript/node_modules/.package-lock.json ## The whole suite against real PostgreSQL and Kafka (started if not running)
	@$(RUN) python -m millbook_testing.suite

test-faults: sync ## The fault suite (~10 min): kill -9 every process under a write load, then check the books
	@$(RUN) pytest -s tests/faults

test-fast: sync ## Unit tests only, no PostgreSQL or Kafka
	@$(RUN) pytest -m "not e2e and not slow" contracts libs/platform/tests/unit deploy/tests/test_units.py services/*/tests/unit gateway/tests

test-security: sync ## The whole security suite (tenant, scope, JWT, mass-assignment, input sweeps); `make test` runs a sample
	@MILLBOOK_SECURITY_FULL=1 $(RUN) pytest -s tests/security

test-idempotency: sync ## 1,000 concurrent POSTs with one Idempotency-Key on every create route
	@MILLBOOK_IDEMPOTENCY_REQUESTS=1000 $(RUN) pytest -s tests/e2e/test_idempotency_concurrency.py -k every_create_route

bench: sync ## Benchmarks (needs `make up` first); prints ratios against the machine's own limits
	@$(RUN) python bench/outbox.py
	@$(RUN) python bench/gateway.py
	@$(RUN) python bench/sales.py
	@$(RUN) python bench/billing.py
	@$(RUN) python bench/load.py

contracts: sync ## Write the AsyncAPI document and JSON Schemas to contracts/generated
	@$(RUN) millbook-contracts export contracts/generated
