# coopledger — every command the README gives. Each target installs what it needs first (`setup`),
# and `setup` does only what is missing, so a second run reuses the first run's installs.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
SOLC_VERSION := $(shell sed -n 's/^ *version: *\([0-9][0-9.]*\) *$$/\1/p' brownie-config.yaml | head -n 1)
CHAIN_PORT := 8545

# py-solc-x (Brownie's compiler driver) finds the offline solc bridge here; Brownie finds anvil and
# ganache-cli on PATH.
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)

VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SOLC_BRIDGE := .solcx/solc-v$(SOLC_VERSION)
# make follows the bridge's symlink to a file older than node_modules; a stamp records the install instead.
SOLC_STAMP := .solcx/.installed-$(SOLC_VERSION)

BROWNIE := $(BIN)/brownie
PYTEST := $(BIN)/pytest -p no:pytest-brownie

.PHONY: help setup compile demo stop check test test-contracts test-ganache test-fuzz test-python test-browser browser postgres fuzz slither lint format bench bench-gas bench-indexer bench-metrics bench-live bench-scale bench-recommendations lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------------------------- setup

VENDOR_STAMP := api/static/vendor/.copied
# Schemathesis (the API's fuzz test) needs a newer Hypothesis than Brownie pins: it gets its own venv.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_LOCK := scripts/toolchain/schemathesis.lock
SCHEMATHESIS_STAMP := .venv-schemathesis/.installed

setup: $(VENV_STAMP) $(NODE_STAMP) $(SOLC_STAMP) $(VENDOR_STAMP) $(SCHEMATHESIS_STAMP) ## install .venv, node_modules, the offline compiler and schemathesis (only what is missing)

$(VENV_STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coopledger needs Python 3.11+, found " + sys.version.split()[0] + "; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(SCHEMATHESIS_STAMP): $(SCHEMATHESIS_LOCK) | $(VENV_STAMP)
	@test -x .venv-schemathesis/bin/python || $(PYTHON) -m venv .venv-schemathesis
	.venv-schemathesis/bin/python -m pip install --quiet --disable-pip-version-check -r $(SCHEMATHESIS_LOCK)
	@touch $@

# Installs exactly what package-lock.json pins. `npm install --no-save` rather than `npm ci`: the registry
# mirrors this project is built against carry only the linux-x64 build of anvil's per-platform packages,
# and `npm ci` refuses a lock file without the other platforms' entries.
# --ignore-scripts: nothing we use needs an install script (anvil's binary comes in its platform package;
# ganache's native add-ons are optional accelerators), and install scripts may try to download.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "coopledger needs Node.js 18+ and npm on PATH" >&2; exit 1; }
	npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# The dashboard's libraries, copied from node_modules into the api package (the wheel ships them).
$(VENDOR_STAMP): $(NODE_STAMP) $(VENV_STAMP) api/routes/dashboard.py
	$(BIN)/python -c 'from pathlib import Path; from api.routes.dashboard import copy_vendor; copy_vendor(Path("node_modules"))'
	@touch $@

$(SOLC_STAMP): $(NODE_STAMP) brownie-config.yaml scripts/toolchain/solc scripts/toolchain/solc-bridge.cjs
	@scripts/toolchain/install-solc-bridge.sh
	@touch $@

compile: ## compile the contracts (checks the toolchain; run `make setup` first)
	@scripts/toolchain/check.sh
	$(BROWNIE) compile

# ----------------------------------------------------------------------------------------------- demo

API_PORT := 8000

demo: setup ## start a chain, deploy, seed a demo consortium, index and serve it (Ctrl-C stops; CHAIN_PORT=, API_PORT= to move it)
	$(BIN)/python scripts/demo.py --chain-port $(CHAIN_PORT) --api-port $(API_PORT)

stop: ## stop a demo left running (its chain, indexer and API)
	@$(BIN)/python scripts/demo.py stop

# ----------------------------------------------------------------------------------------------- test

test: setup ## run the whole suite: check, Slither, contracts on anvil and ganache, the invariant campaign, Python, the browser
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory slither
	@$(MAKE) --no-print-directory test-contracts
	@$(MAKE) --no-print-directory test-ganache
	@$(MAKE) --no-print-directory test-fuzz
	@$(MAKE) --no-print-directory test-python
	@$(MAKE) --no-print-directory test-browser

# The fast loop: no chain, no database server, no browser. Unit tests are those tests/conftest.py does not
# mark `chain`, `postgres` or `browser`; the facts tests read the compiler's output, so the contracts are
# compiled first (a no-op when nothing changed).
check: setup ## lint, formatting, types, the dependency rule, doctests and the unit tests (no chain, no server, no browser)
	@$(MAKE) --no-print-directory lint
	@$(BROWNIE) compile >/dev/null
	$(PYTEST) -q --doctest-modules ledger api tests/ledger tests/api --ignore=ledger/store/migrations \
	  -m "not chain and not postgres and not browser"

# Brownie attaches to whatever already listens on the chain port, so a left-over chain would silently
# take the place of the one a test run asks for; refuse instead.
define require_free_chain_port
	@if (exec 3<>/dev/tcp/127.0.0.1/$(CHAIN_PORT)) 2>/dev/null; then \
	  echo "port $(CHAIN_PORT) is in use (a demo chain? run \`make stop\`); the contract tests need it free" >&2; exit 1; fi
endef

test-contracts: setup ## contract tests on anvil (Brownie's default network)
	$(require_free_chain_port)
	$(BROWNIE) test tests/contracts --network development

test-ganache: setup ## fast pass of the contract tests on ganache (same bytecode; slow property tests left out)
	$(require_free_chain_port)
	$(BROWNIE) test tests/contracts --network ganache-cli -m "not slow"

# The deep invariant campaign: Foundry's forge (npm @foundry-rs/forge, compiling through the offline solc
# bridge) drives every action of the three contracts from tests/invariant/Handler.sol and checks the
# invariants of tests/invariant/Invariants.t.sol after every call. `make test` runs 50 000 calls per
# invariant; `make fuzz` runs 200 000 per invariant (over a million in all) and then the planted mutants.
FUZZ := $(BIN)/python scripts/toolchain/fuzz.py

test-fuzz: setup ## the bounded invariant campaign (forge): 500 runs x 100 calls per invariant
	$(FUZZ) campaign --runs 500 --depth 100

fuzz: setup ## the deep invariant campaign (1 000 runs x 200 calls per invariant) and the planted mutants
	$(FUZZ) campaign --runs 1000 --depth 200
	$(FUZZ) mutants --runs 100 --depth 100

# The ledger tests deploy the contracts from Brownie's build folder with web3, so compile first. The store,
# indexer and API tests run on SQLite and on a throwaway PostgreSQL cluster (scripts/toolchain/postgres.py).
# They run in TEST_WORKERS processes (pytest-xdist): each test starts its own nodes and servers on free ports,
# and each worker its own PostgreSQL cluster; on two cores, two workers take 264 s where one takes 414 s.
TEST_WORKERS ?= 2
# The unit tests are `make check`'s, which `make test` runs first: they are not run twice.
test-python: setup postgres ## ledger, API and end-to-end tests on local chains, on SQLite and PostgreSQL (the browser test apart)
	@$(BROWNIE) compile >/dev/null
	$(require_free_chain_port)
	$(PYTEST) -n $(TEST_WORKERS) tests/ledger tests/api tests/e2e -m "(chain or postgres or e2e) and not browser"

test-browser: setup browser ## the dashboard's browser test: the demo, driven in Debian's chromium
	@$(BROWNIE) compile >/dev/null
	$(require_free_chain_port)
	$(PYTEST) tests/e2e -m browser

# The dashboard's browser test drives Debian's chromium with Playwright (from PyPI, in requirements.lock).
# Installs it with apt where it is missing (as root, or through sudo); where it cannot, stops and says what
# to install: the browser test never skips.
# apt_install PACKAGE: install a Debian package with apt (as root, or through passwordless sudo); quietly
# does nothing where neither is possible (the caller then checks and says what to install).
define apt_install
	if [ "$$(id -u)" = 0 ]; then APT="apt-get"; elif command -v sudo >/dev/null; then APT="sudo -n -E apt-get"; else APT=""; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	if [ -n "$$APT" ]; then $$APT install -y -q $(1) >/dev/null || { $$APT update -q >/dev/null && $$APT install -y -q $(1) >/dev/null; } || true; fi
endef

browser: ## install Debian's chromium for the browser test, where it is missing
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing Debian's chromium (apt) for the dashboard's browser test"; \
	  $(call apt_install,chromium); \
	  command -v chromium >/dev/null || { echo "The browser test needs Chromium and it could not be installed here: install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again." >&2; exit 1; }; }

# The store tests start their own PostgreSQL cluster from the server's binaries (not a running service).
HAS_POSTGRES := ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || test -x "$$(pg_config --bindir 2>/dev/null)/initdb"

postgres: ## install Debian's PostgreSQL server for the store tests, where it is missing
	@$(HAS_POSTGRES) || { \
	  echo "installing Debian's postgresql (apt) for the store tests on PostgreSQL"; \
	  $(call apt_install,postgresql); \
	  $(HAS_POSTGRES) || { echo "The store tests need PostgreSQL's server and it could not be installed here: install it (Debian/Ubuntu: sudo apt-get install postgresql) and run make test again." >&2; exit 1; }; }

# ----------------------------------------------------------------------------------------- quality

# Fails on any medium or high finding in the project's contracts (OpenZeppelin and test mocks excluded).
# Accepted low and informational findings are listed in README.md.
slither: setup ## Slither static analysis of the contracts (fails on medium or high findings)
	$(BIN)/python scripts/toolchain/slither_input.py build/slither-input.json
	$(BIN)/slither build/slither-input.json --compile-force-framework solc-json --solc $(SOLC_BRIDGE) \
	  --filter-paths node_modules --exclude-informational --exclude-optimization --exclude-low --fail-medium

lint: setup ## ruff (lint + format check), mypy and the dependency rule between the rooms (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: bench-gas bench-indexer bench-metrics bench-live bench-scale bench-recommendations ## every benchmark: gas, the indexer, the metrics, the moving head, scale

bench-gas: setup ## gas figures of every public function, against bench/gas-baseline.json
	$(require_free_chain_port)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/gas_report.py

bench-indexer: setup ## indexer backfill vs raw baseline, memory, follow latency (100 000 events, cached chain)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/indexer.py

bench-metrics: setup ## cold computation of every metric at one height vs naive exact betweenness (2 000 members)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/metrics.py

bench-live: setup ## 50 connections at a moving head (a block every 2 s) vs the per-block recompute (2 000 members)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/live.py

bench-scale: setup ## 10 000 members / 1 000 000 events: backfill, cold figures, one new event, API memory (the chain is generated once: about an hour)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/scale.py

bench-recommendations: setup ## the recommendations' backtest vs random, preferential attachment and common neighbours (demo and bench chains)
	@$(BROWNIE) compile >/dev/null
	$(BIN)/python bench/recommendations.py

# --------------------------------------------------------------------------------------- housekeeping

lock: ## re-resolve Python dependencies from pyproject.toml into requirements.lock (runtime) and -dev.lock, and schemathesis's lock
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.venv-lock/bin/python scripts/toolchain/split_lock.py
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VERSION)
	{ echo "# Written by \`make lock\` (pip freeze of a fresh venv with schemathesis==$(SCHEMATHESIS_VERSION)); do not edit by hand."; \
	  echo "# Schemathesis needs Hypothesis >= 6.130; Brownie pins 6.27.3, so it lives in .venv-schemathesis."; \
	  .venv-lock/bin/python -m pip freeze --disable-pip-version-check | sort -f; } > $(SCHEMATHESIS_LOCK)
	rm -rf .venv-lock

clean: ## remove build output and run state (keeps .venv and node_modules)
	rm -rf build reports .run .pytest_cache .mypy_cache .ruff_cache .hypothesis
