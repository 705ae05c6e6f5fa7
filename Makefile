# daicho — two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DAICHO_DATA_DIR ?= $(CURDIR)/var

.PHONY: setup run test test-sqlite test-postgres lint bench system-deps build-deps clean messages screens

# build-deps is order-only: it runs first (python-ldap compiles against Debian's -dev packages)
# but never makes the venv look out of date.
$(STAMP): pyproject.toml | build-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@touch $(STAMP)

# Bytecode for daicho's own modules, as an installed package has (pip compiles those; an
# editable install does not): each `daicho` command starts 0.1 s sooner.
setup: $(STAMP)
	@$(BIN)/python -m compileall -q daicho
	$(BIN)/daicho init

run: setup
	$(BIN)/daicho demo
	$(BIN)/daicho serve --host 127.0.0.1 --port 8000

build-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh build

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check daicho tests bench
	$(BIN)/mypy daicho
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint test-sqlite test-postgres

# Two workers, xdist's default scheduling. `--dist worksteal` was tried on 7 Dec and showed no
# gain: a fresh clone's make test took 1,191 s with it and 1,152 s without (one run each).
XDIST := -n 2
# The slowest tests of each run are printed at its end, so a CI log says where the time went.
DURATIONS := --durations=25

test-sqlite: $(STAMP)
	DAICHO_TESTING=1 DAICHO_DATA_DIR=$$(mktemp -d) $(BIN)/pytest $(XDIST) $(DURATIONS)

test-postgres: $(STAMP)
	DAICHO_TESTING=1 DAICHO_DATA_DIR=$$(mktemp -d) scripts/with-postgres.sh $(BIN)/pytest $(XDIST) $(DURATIONS)

bench: $(STAMP) system-deps
	@$(BIN)/python -m compileall -q daicho
	$(BIN)/python bench/run.py

messages: $(STAMP)
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache

# Screenshots of the main screens at 1366×768 and 1920×1080 into docs/screens/ (demo data, own
# data dir; not part of `make test`).
screens: $(STAMP)
	$(BIN)/python scripts/screens.py
