"""Shared helpers for the generator's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wiregen.cli import main

ROOT = Path(__file__).resolve().parent.parent
IGVM_SCHEMA = ROOT / "schema" / "igvm_attest.yaml"
ZOO_SCHEMA = ROOT / "tests" / "schemas" / "zoo.yaml"


@pytest.fixture(autouse=True, scope="session")
def _render_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The generator's render cache in a directory of this test session's own."""
    os.environ["WIREGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("wiregen-cache"))


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a scratch directory, so paths in messages are short and nothing leaks."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(*args: str) -> int:
    return main(list(args))


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root with its content."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): os.stat(p).st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}
