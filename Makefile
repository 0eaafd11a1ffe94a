# Two entry points on a fresh machine: `make generate` and `make test`.
# Each installs what it needs (a virtual environment with the versions of constraints.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Python may keep the bytecode of the generator and of its tests (in __pycache__/, ignored by git):
# make test starts some forty Python processes, which would otherwise compile them each time.
unexport PYTHONDONTWRITEBYTECODE

# One cargo target directory for the generated crates and the generator's Rust tests.
CARGO_TARGET_DIR ?= $(CURDIR)/build/cargo-target
export CARGO_TARGET_DIR

.PHONY: generate check compile test test-python test-rust test-c bench bench-generator conformance

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

## Regenerate every schema under schema/ into generated/.
generate: $(STAMP)
	$(BIN)/wiregen generate

## Fail if a committed generated file is stale.
check: $(STAMP)
	$(BIN)/wiregen check

## Each schema's Python module rendered for mypyc and compiled into build/mypyc (put it first on
## sys.path); a module that did not change is not compiled again.
compile: $(STAMP)
	$(BIN)/wiregen compile

## Every test: generated files current, generator tests, every target's generated tests.
## Its parts run side by side, once clang is there (test-c would install it while tests use it).
test: $(STAMP)
	$(PYTHON) tests/c_toolchain.py --install-only
	$(MAKE) --no-print-directory -j4 --output-sync=target check test-python test-rust test-c

## Two processes (pytest-xdist), a test file each at a time: a file's fixtures are built once.
test-python: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

## The generated Python codec against its peers, and Rust dispatch against hand-written code, in
## one run; writes docs/benchmarks.md. Its peers' packages go into .venv only for it.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -c constraints.txt -e '.[bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python tests/bench_codecs.py

## How generate and check scale with the number of types and with nesting depth.
bench-generator: $(STAMP)
	$(BIN)/python tests/bench_generator.py

## The C target: each generated test built as C11 and C++17 (gcc/g++, and clang/clang++, installed
## from Debian's packages when absent) under ASan/UBSan and run; each header compiled alone.
test-c:
	$(PYTHON) tests/c_toolchain.py --generated generated/c --build build/c

## The generated Rust crates: their tests, then clippy and rustdoc with warnings denied.
test-rust:
	cd generated/rust && cargo test --locked --workspace
	cd generated/rust && cargo clippy --locked --workspace --all-targets -- -D warnings
	cd generated/rust && RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps

## Review schema changes against BASE (default origin/main): Markdown report; exit 1 if BREAKING.
.PHONY: diff
BASE ?= origin/main
diff: $(STAMP)
	$(BIN)/wiregen diff --base $(BASE)

## The deep conformance pass: at least 100,000 differential cases; prints cases per second.
conformance: $(STAMP)
	CONFORMANCE_DEEP=1 $(BIN)/python -m pytest -q -s tests/test_conformance.py

## The schema fuzzer: random schemas through generate and every target, in batches, for MINUTES
## minutes; prints the count and keeps every failing schema, shrunk, under tests/fuzz_cases/.
.PHONY: fuzz
MINUTES ?= 5
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz.py --minutes $(MINUTES)
