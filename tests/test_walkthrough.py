"""The README's walkthrough, replayed on a copy of the repository, and what a legitimate schema
change may break: nothing but the live schema's own outputs.

In a scratch copy (build/walkthrough: schema/, generated/, the Makefile, a git history with the
schema on `main`, and the project's .venv linked in), the README's two ```diff blocks are applied
to schema/igvm_attest.yaml as written, and its ```console blocks are run as written (`make
check`, `make generate`, `make diff BASE=main`) and compared with what they print.

Then, on the compatible "protocol version 3" change, every test that reads the live schema runs
on the copy: `make check`, the live protocol's facts (tests/test_igvm_protocol.py), the generated
Python tests, the generated Rust vector tests (in a cargo target directory of their own, warm
from run to run) and
the generated C test (gcc, ASan and UBSan). The rest of the suite is not run twice: the
generator's tests read only their fixtures under tests/, which the copy does not change, and
`test_only_the_protocol_tests_read_the_live_schema` below keeps it so. Together that is the full
suite on the changed schema, for about ten seconds instead of a second `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from c_toolchain import C11, build_and_run
from conftest import ROOT
from markdown_blocks import Block, blocks

README = ROOT / "README.md"
WORK = ROOT / "build" / "walkthrough"
SCHEMA = Path("schema") / "igvm_attest.yaml"
HEADERS = ["IgvmAttestKeyReleaseResponseHeader", "IgvmAttestWrappedKeyResponseHeader", "IgvmAttestAkCertResponseHeader"]
COPIED = ["Makefile", "pyproject.toml", "constraints.txt", "schema", "generated", "tests/conftest.py", "tests/c_toolchain.py", "tests/test_igvm_protocol.py"]


def walkthrough() -> list[Block]:
    """The ```diff and ```console blocks of the walkthrough section, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index("### Walkthrough")
    end = text.index("\n### The command", start)
    first, last = text[:start].count("\n") + 1, text[:end].count("\n") + 1
    return [b for b in blocks(README) if first <= b.line <= last and b.lang in ("diff", "console")]


def apply(text: str, diff: str, repeat_for: list[str] = ()) -> str:
    """`text` with the README's diff applied: hunks separated by `...` lines, each a run of
    context (' '), removed ('-') and added ('+') lines, found in order. The hunks from the first
    that names `repeat_for[0]` on are applied once per name of `repeat_for` ("and the same for
    the other two"), with that name put in."""
    hunks = [h.strip("\n").split("\n") for h in re.split(r"^\.\.\.$", diff, flags=re.M)]
    cut = next((i for i, h in enumerate(hunks) if repeat_for and any(repeat_for[0] in line for line in h)), len(hunks))
    plan = hunks[:cut] + [[line.replace(repeat_for[0], name) for line in h] for name in repeat_for for h in hunks[cut:]]
    lines = text.split("\n")
    at = 0
    for hunk in plan:
        old = [line[1:] for line in hunk if line[:1] in (" ", "-")]
        new = [line[1:] for line in hunk if line[:1] in (" ", "+")]
        assert all(line[:1] in (" ", "-", "+") for line in hunk), hunk
        found = next((i for i in range(at, len(lines) - len(old) + 1) if lines[i : i + len(old)] == old), None)
        assert found is not None, f"the README's hunk does not apply to {SCHEMA}:\n" + "\n".join(hunk)
        lines[found : found + len(old)] = new
        at = found + len(new)
    return "\n".join(lines)


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, the lines it prints) of a ```console block."""
    out: list[tuple[str, list[str]]] = []
    for line in block.text.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


def matches(expected: list[str], got: list[str]) -> bool:
    """`got` is `expected`, where a `...` or `[... ...]` line stands for any lines and a Makefile
    line number for any number."""
    pattern = ""
    for line in expected:
        if line == "..." or (line.startswith("[...") and line.endswith("...]")):
            pattern += r"(?:.*\n)*?"
        else:
            pattern += re.sub(r"Makefile:\d+", r"Makefile:\\d+", re.escape(line)) + "\n"
    return re.fullmatch(pattern, "".join(line + "\n" for line in got)) is not None


def env() -> dict[str, str]:
    """The environment of a command a user types: not the outer make's (`make test` runs us)."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    return {k: v for k, v in os.environ.items() if k not in drop} | {"PYTHONUNBUFFERED": "1"}


def run(repo: Path, command: str) -> tuple[int, list[str]]:
    argv = command.split()
    if argv[0] == "make":  # the copy shares the project's .venv, which make must not rebuild
        argv[1:1] = ["-o", ".venv/.installed"]
    done = subprocess.run(argv, cwd=repo, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    return done.returncode, done.stdout.rstrip("\n").split("\n")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=walkthrough", "-c", "user.email=walkthrough@example.com", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo() -> Path:
    shutil.rmtree(WORK, ignore_errors=True)
    for rel in COPIED:
        src, dst = ROOT / rel, WORK / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dst) if src.is_dir() else shutil.copy2(src, dst)
    (WORK / ".venv").symlink_to(ROOT / ".venv")
    git(WORK, "init", "-q", "-b", "main")
    git(WORK, "add", "-A", ".")
    git(WORK, "commit", "-q", "-m", "before the walkthrough")
    return WORK


def test_the_walkthrough_prints_what_the_readme_shows(repo: Path) -> None:
    first, stale, breaking, second, compatible = walkthrough()
    assert [b.lang for b in (first, stale, breaking, second, compatible)] == ["diff", "console", "console", "diff", "console"]
    original = (repo / SCHEMA).read_text(encoding="utf-8")

    (repo / SCHEMA).write_text(apply(original, first.text), encoding="utf-8")
    status = {"make check": 2, "make generate": 0, "make diff BASE=main": 2}  # make's own status: 2 when a command fails
    for block in (stale, breaking):
        for command, expected in commands(block):
            code, got = run(repo, command)
            assert matches(expected, got), f"`{command}` ({block}) printed:\n" + "\n".join(got)
            assert code == status[command], command

    git(repo, "checkout", "-q", "--", "schema", "generated")
    (repo / SCHEMA).write_text(apply(original, second.text, HEADERS), encoding="utf-8")
    assert run(repo, "make generate")[0] == 0
    for command, expected in commands(compatible):
        code, got = run(repo, command)
        assert matches(expected, got), f"`{command}` ({compatible}) printed:\n" + "\n".join(got)
        assert code == 0, command


def test_the_compatible_change_passes_every_test_of_the_live_schema(repo: Path, tmp_path: Path) -> None:
    """Runs after the walkthrough test above left the version 3 change generated in the copy."""
    assert "retry_after_ms" in (repo / SCHEMA).read_text(encoding="utf-8"), "run with the walkthrough test"
    code, out = run(repo, "make check")
    assert code == 0, "\n".join(out)
    python = str(ROOT / ".venv" / "bin" / "python")
    code, out = run(repo, f"{python} -m pytest -q -o addopts= -p no:cacheprovider tests/test_igvm_protocol.py generated/python")
    assert code == 0 and re.match(r"\d+ passed", out[-1]), "\n".join(out)
    # A target directory of its own: cargo names a path crate's artifacts by its path relative to
    # its workspace, so the copy's igvm_attest and the repository's would share (and swap) them.
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target")) + "-walkthrough"
    cargo = subprocess.run(["cargo", "test", "--locked", "--quiet", "--test", "vectors"], cwd=repo / "generated" / "rust",
                           env=env() | {"CARGO_TARGET_DIR": target}, capture_output=True, text=True, timeout=900)
    assert cargo.returncode == 0 and "test result: ok" in cargo.stdout, cargo.stdout + cargo.stderr
    (line,) = build_and_run(repo / "generated" / "c" / "test_igvm_attest.c", tmp_path, [("gcc", C11)], quiet=True)
    assert line.endswith(" 0 failed")  # built with the C target's flags: warnings as errors, ASan, UBSan


LIVE_READERS = {"conftest.py", "test_igvm_protocol.py", "test_json_schema.py", "test_readme.py", "test_walkthrough.py"}
# the project's Cargo.lock (dependency versions, not the schema's output) may be read by any test
LIVE = re.compile(r'LIVE_SCHEMA|(ROOT|parent)\s*/\s*"(schema|generated)"(?!\s*/\s*"rust"\s*/\s*"Cargo\.lock")')


def test_only_the_protocol_tests_read_the_live_schema() -> None:
    """The generator's tests use fixtures under tests/ (conftest.IGVM_SCHEMA is a copy), so a
    change of the live schema cannot break them; only the files named here read it or its
    generated files: the protocol's facts, the JSON Schema's corpus of valid schemas (which
    a valid change stays in), the README's examples and this walkthrough."""
    tests = [p for p in (ROOT / "tests").glob("*.py") if not p.name.startswith("bench_")]  # a benchmark measures the live module
    readers = {p.name for p in tests if LIVE.search(p.read_text(encoding="utf-8"))}
    assert readers <= LIVE_READERS, sorted(readers - LIVE_READERS)
