"""Shared helpers for the generator's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The property tests draw the same examples on every run, so a test run (and CI) gives the same
# answer twice; `make fuzz` is where new examples are drawn.
settings.register_profile("make-test", derandomize=True)
settings.load_profile("make-test")

from wiregen.cli import main

ROOT = Path(__file__).resolve().parent.parent
# The generator's tests own their fixtures: a frozen copy of the IGVM schema at version 2, and
# the zoo of every construct. The live schema (schema/) changes with the protocol; only
# tests/test_igvm_protocol.py reads it, for the protocol's own facts.
IGVM_SCHEMA = ROOT / "tests" / "schemas" / "review" / "igvm_attest.yaml"
ZOO_SCHEMA = ROOT / "tests" / "schemas" / "zoo.yaml"
LIVE_SCHEMA = ROOT / "schema" / "igvm_attest.yaml"


@pytest.fixture(autouse=True, scope="session")
def _render_cache() -> None:
    """The generator's cache (generator/cache.py) kept with the build, not the user's: its
    entries are keyed by everything they depend on, so a second run reuses black's output for
    the sources it formatted before (a test that renders the same schema formats nothing)."""
    os.environ["WIREGEN_CACHE_DIR"] = str(ROOT / "build" / "wiregen-cache")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a scratch directory, so paths in messages are short and nothing leaks."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def igvm_out() -> Path:
    """Every target of the IGVM fixture, generated under build/ (a fixed place, so cargo's
    target directory stays warm; a file whose content did not change is not rewritten)."""
    from wiregen import load_file, output

    out = ROOT / "build" / "fixtures" / "igvm_attest"
    output.write(output.render_all([load_file(IGVM_SCHEMA)]), out)
    return out


def run_cli(*args: str) -> int:
    return main(list(args))


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root with its content."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): os.stat(p).st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}
