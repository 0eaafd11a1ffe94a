"""The generated Python (and the module rendered for mypyc) is strictly typed and formatted by black,
for the IGVM fixture and the zoo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IGVM_SCHEMA, ROOT, ZOO_SCHEMA

from wiregen import load_file, output
from wiregen.targets.python import render_mypyc


@pytest.fixture(scope="module")
def zoo_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zoo")
    output.write(output.render_all([load_file(ZOO_SCHEMA)]), out)
    return out / "python"


@pytest.fixture(scope="module")
def for_mypyc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The modules of the IGVM fixture and the zoo as `wiregen compile` renders them for mypyc."""
    out = tmp_path_factory.mktemp("mypyc")
    for schema in (IGVM_SCHEMA, ZOO_SCHEMA):
        loaded = load_file(schema)
        (out / f"{loaded.name}.py").write_text(render_mypyc(loaded))
    return out


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("which", ["igvm_attest", "zoo"])
def test_generated_python_passes_mypy_strict(which: str, zoo_python: Path, igvm_out: Path) -> None:
    where = igvm_out / "python" if which == "igvm_attest" else zoo_python
    done = _run("mypy", "--strict", "--no-incremental", f"{which}.py", f"codec_{which}.py", cwd=where)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("which", ["igvm_attest", "zoo"])
def test_the_modules_for_mypyc_pass_mypy_strict(which: str, for_mypyc: Path) -> None:
    done = _run("mypy", "--strict", "--no-incremental", f"{which}.py", cwd=for_mypyc)
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_python_is_black_clean(zoo_python: Path, igvm_out: Path, for_mypyc: Path) -> None:
    done = _run("black", "--check", "--quiet", str(igvm_out / "python"), str(zoo_python), str(for_mypyc), cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_module_without_constants_or_messages_is_black_clean(tmp_path: Path) -> None:
    """The blank lines between the shared code and the first type do not lean on constants."""
    (tmp_path / "bare.yaml").write_text(
        "schema: bare\nendian: little\n"
        "enums:\n  - name: Kind\n    type: u8\n    values:\n      - {name: A, value: 1}\n"
        "structs:\n  - name: S\n    fields:\n      - {name: kind, type: Kind}\n      - {name: n, type: u8}\n"
    )
    output.write(output.render_all([load_file(tmp_path / "bare.yaml")]), tmp_path / "out")
    (tmp_path / "out" / "python" / "bare_mypyc.py").write_text(render_mypyc(load_file(tmp_path / "bare.yaml")))
    done = _run("black", "--check", "--quiet", str(tmp_path / "out" / "python"), cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
