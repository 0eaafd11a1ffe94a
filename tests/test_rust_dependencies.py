"""The generated crates' dependency requirements: ranges from the lowest versions the generated
code works with, compatible with openvmm's own requirements.

- At the lowest versions the requirements allow (zerocopy 0.8.0, bitfield-struct 0.6.0, set with
  `cargo update --precise` in a scratch workspace of the zoo and rust_names crates), the crates
  build and their vector tests pass; the newest versions are the project's Cargo.lock, which
  every other Rust test uses. Below the range, bitfield-struct 0.5.6 (the newest 0.5) does not
  compile the generated bitmaps (mismatched types), and zerocopy 0.8.0 is the first 0.8.
- A crate with openvmm's requirements (bitfield-struct "0.11.0", zerocopy "0.8.25" with derive,
  from openvmm's workspace Cargo.toml) depending on a generated crate resolves to one zerocopy
  and, once bitfield-struct is set to 0.11.0, one bitfield-struct, and builds.

The scratch workspaces live under build/rust-deps and keep their Cargo.lock, so a warm run only
asks cargo whether anything changed; the cargo target directory is the shared one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

from wiregen.cli import load_all
from wiregen.output import write
from wiregen.targets import rust, vectors

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None or shutil.which("rustfmt") is None, reason="needs cargo and rustfmt")

SCHEMAS = [ROOT / "tests" / "schemas" / "zoo.yaml", ROOT / "tests" / "schemas" / "rust_names.yaml"]
WORK = ROOT / "build" / "rust-deps"
OPENVMM = {"bitfield-struct": '"0.11.0"', "zerocopy": '{ version = "0.8.25", features = ["derive"] }'}


def lowest(requirement: str) -> str:
    """The lowest version a Cargo requirement (`0.8`, `>=0.6, <0.14`) allows."""
    first = requirement.split(",")[0].strip().lstrip(">=^~ ")
    parts = first.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def cargo(workspace: Path, *args: str) -> str:
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target"))
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}} | {"CARGO_TARGET_DIR": target}
    done = subprocess.run(["cargo", *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"cargo {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done.stdout + done.stderr


def locked(workspace: Path) -> dict[str, list[str]]:
    """Package name -> the versions Cargo.lock holds."""
    text = (workspace / "Cargo.lock").read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    for name, version in re.findall(r'^name = "([^"]+)"\nversion = "([^"]+)"', text, re.M):
        out.setdefault(name, []).append(version)
    return out


@pytest.fixture(scope="module")
def crates() -> Path:
    """The zoo and rust_names crates in a workspace of their own (files rewritten only on change)."""
    schemas = sorted(load_all(SCHEMAS), key=lambda s: s.name)
    files: dict[str, str] = {}
    for s in schemas:
        files.update(rust.render(s))
        files.update(vectors.render(s))  # the crates' vector tests read them
    files.update(rust.render_project(schemas))
    write(files, WORK / "lowest")
    ws = WORK / "lowest" / "rust"
    if not (ws / "Cargo.lock").exists():
        shutil.copy(ROOT / "generated" / "rust" / "Cargo.lock", ws / "Cargo.lock")
    return ws


def test_requirements_are_ranges_from_the_lowest_tested_versions(crates: Path) -> None:
    manifest = (crates / "zoo" / "Cargo.toml").read_text(encoding="utf-8")
    assert f'bitfield-struct = "{rust.BITFIELD_STRUCT}"' in manifest
    assert f'zerocopy = {{ version = "{rust.ZEROCOPY}", features = ["derive"] }}' in manifest
    assert not rust.ZEROCOPY.startswith("=") and not rust.BITFIELD_STRUCT.startswith("=")  # no exact pin
    assert (lowest(rust.ZEROCOPY), lowest(rust.BITFIELD_STRUCT)) == ("0.8.0", "0.6.0")


def test_the_crates_build_and_pass_their_tests_at_the_lowest_versions(crates: Path) -> None:
    for crate, requirement in (("zerocopy", rust.ZEROCOPY), ("bitfield-struct", rust.BITFIELD_STRUCT)):
        if locked(crates).get(crate) != [lowest(requirement)]:
            cargo(crates, "update", "--quiet", "-p", crate, "--precise", lowest(requirement))
    assert locked(crates)["zerocopy"] == ["0.8.0"] and locked(crates)["bitfield-struct"] == ["0.6.0"]
    out = cargo(crates, "test", "--locked", "--workspace", "--quiet")
    assert len(re.findall(r"test result: ok\. [1-9]\d* passed", out)) >= 2, out


def test_a_crate_with_openvmms_requirements_builds_with_one_copy_of_each(crates: Path) -> None:
    ws = WORK / "openvmm"
    (ws / "consumer" / "src").mkdir(parents=True, exist_ok=True)
    deps = "".join(f"{name} = {req}\n" for name, req in OPENVMM.items())
    files = {
        ws / "Cargo.toml": '[workspace]\nresolver = "2"\nmembers = ["consumer"]\n',
        ws / "consumer" / "Cargo.toml": f'[package]\nname = "consumer"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n{deps}zoo = {{ path = "{crates / "zoo"}" }}\n',
        ws / "consumer" / "src" / "lib.rs": "//! Uses a generated type beside openvmm's own requirements.\npub use zoo::Mixed;\n",
    }
    for path, text in files.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            (ws / "Cargo.lock").unlink(missing_ok=True)
    if not (ws / "Cargo.lock").exists():
        cargo(ws, "generate-lockfile", "--quiet")
        for version in locked(ws)["bitfield-struct"]:
            if not version.startswith("0.11."):  # the newest a range allows; openvmm's pin is 0.11
                cargo(ws, "update", "--quiet", "-p", f"bitfield-struct@{version}", "--precise", "0.11.0")
    lock = locked(ws)
    assert len(lock["zerocopy"]) == 1 and lock["bitfield-struct"] == ["0.11.0"], lock
    cargo(ws, "build", "--locked", "--quiet")
