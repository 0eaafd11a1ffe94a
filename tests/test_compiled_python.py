"""The generated Python modules compiled by mypyc (`wiregen compile`): the live schema's module, the
IGVM fixture's and the zoo's pass their generated tests compiled as they pass them as Python
(tests/test_conformance.py runs the compiled codecs as a target of their own, and
tests/test_igvm_python.py its hand-packed bytes against the compiled fixture). A module that did not
change is not compiled again, so a warm tree pays only the test runs."""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
from pathlib import Path

import pytest

import conformance as cf
from conftest import ROOT, ZOO_SCHEMA, run_cli

from wiregen import load_file, output

BUILD = ROOT / "build" / "conformance"  # tests/test_conformance.py compiles into the same places


@pytest.fixture(scope="module")
def zoo_out() -> Path:
    out = BUILD / "zoo"
    output.write(output.render_all([load_file(ZOO_SCHEMA)]), out)
    return out


def _where(which: str, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """The generated files of `which` and its schema's name."""
    if which == "live":
        return ROOT / "generated", "igvm_attest"
    if which == "igvm_attest":
        return request.getfixturevalue("igvm_out"), "igvm_attest"
    return request.getfixturevalue("zoo_out"), "zoo"


def _python(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("which", ["live", "igvm_attest", "zoo"])
def test_generated_tests_pass_against_the_compiled_module(which: str, request: pytest.FixtureRequest) -> None:
    out, name = _where(which, request)
    where = cf.compiled_python(out, name, BUILD / "mypyc" / which)
    imported = _python("-c", f"import {name}; print({name}.__file__)", cwd=where)
    assert imported.stdout.strip() == str(where / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"), imported.stderr
    done = _python("-m", "pytest", "-q", "-p", "no:cacheprovider", f"test_{name}.py", cwd=where)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_compile_command(zoo_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wiregen compile` builds what the tests above use, and a second run finds it up to date."""
    out = zoo_out
    build = BUILD / "mypyc" / "zoo" / "python"
    assert run_cli("compile", str(ZOO_SCHEMA), "--out", str(out), "--build", str(build)) == 0
    assert run_cli("compile", str(ZOO_SCHEMA), "--out", str(out), "--build", str(build)) == 0
    printed = capsys.readouterr().out
    assert f"up to date: {build / 'zoo'}{importlib.machinery.EXTENSION_SUFFIXES[0]}" in printed, printed
    # a module that was never generated: a clear error, exit status 3
    assert run_cli("compile", str(ZOO_SCHEMA), "--out", str(tmp_path), "--build", str(tmp_path / "b")) == 3
    assert "run `wiregen generate` first" in capsys.readouterr().err


def test_compiled_fields_hold_their_declared_types(zoo_out: Path) -> None:
    """What differs once compiled: mypyc checks the types the annotations declare, so a field typed
    by an enum takes the enum's members (`Mode(2)` for any value), not a plain int."""
    where = cf.compiled_python(zoo_out, "zoo", BUILD / "mypyc" / "zoo")
    script = (
        "import zoo\n"
        "tag = zoo.Tag(mode=zoo.Mode(2))\n"
        "assert zoo.Tag.from_bytes(tag.to_bytes()) == tag\n"
        "try:\n"
        "    zoo.Tag(mode=2)\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    done = _python("-c", script, cwd=where)
    assert done.returncode == 0 and "zoo.Mode object expected; got int" in done.stdout, done.stdout + done.stderr
