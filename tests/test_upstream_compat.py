"""Rust users switch from openvmm's `get.rs` without rewriting: a program written against
upstream's API (tests/rust/upstream_compat.rs), with only its import changed, compiles against
the generated `igvm_attest` crate, builds the bytes the protocol reference gives, and reads them
back with the generated message API.

The program is copied into a scratch copy of the generated crate and run by cargo with the
project's lock file and shared target directory. Skipped only where cargo is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="the Rust toolchain (cargo) is not installed")


def test_code_written_for_upstream_compiles_and_makes_the_same_bytes(tmp_path: Path) -> None:
    workspace = tmp_path / "rust"
    shutil.copytree(ROOT / "generated" / "rust", workspace)
    shutil.copy(ROOT / "tests" / "rust" / "upstream_compat.rs", workspace / "igvm_attest" / "tests" / "upstream_compat.rs")
    # the live crate is named like the IGVM fixture's: a target directory of its own (as in
    # tests/test_igvm_messages.py), where cargo cannot take one crate's artifacts for the other's
    env = dict(os.environ, CARGO_TARGET_DIR=os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target")) + "-live")
    done = subprocess.run(
        ["cargo", "test", "--locked", "-p", "igvm_attest", "--test", "upstream_compat"], cwd=workspace, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    assert "test result: ok. 4 passed" in done.stdout, done.stdout
