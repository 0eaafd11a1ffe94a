# Two entry points on a fresh machine: `make generate` and `make test`.
# Each installs what it needs (a virtual environment with the pinned packages).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: generate check test test-python

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Regenerate every schema under schema/ into generated/.
generate: $(STAMP)
	$(BIN)/python -m generator generate

## Fail if a committed generated file is stale.
check: $(STAMP)
	$(BIN)/python -m generator check

## Every test: generated files current, generator tests, every target's generated tests.
test: check test-python

test-python: $(STAMP)
	$(BIN)/python -m pytest

## Review schema changes against BASE (default origin/main): Markdown report; exit 1 if BREAKING.
.PHONY: diff
BASE ?= origin/main
diff: $(STAMP)
	$(BIN)/python -m generator diff --base $(BASE)
