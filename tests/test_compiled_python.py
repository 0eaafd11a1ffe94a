"""The Python modules compiled by mypyc (`wiregen compile`): the IGVM fixture's and the zoo's pass
their generated tests compiled as they pass them as Python (tests/test_conformance.py runs the
compiled codecs as a target of their own, and tests/test_igvm_python.py its hand-packed bytes
against the compiled fixture). A module that did not change is not compiled again, so a warm tree
pays only the test runs."""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
from pathlib import Path

import pytest

import conformance as cf
from conftest import IGVM_SCHEMA, ROOT, ZOO_SCHEMA, run_cli

from wiregen import load_file, output

BUILD = ROOT / "build" / "conformance"  # tests/test_conformance.py compiles into the same places
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture(scope="module")
def zoo_out() -> Path:
    out = BUILD / "zoo"
    output.write(output.render_all([load_file(ZOO_SCHEMA)]), out)
    return out


def _where(which: str, request: pytest.FixtureRequest) -> tuple[Path, Path, str]:
    """The schema of `which`, its generated files and its name."""
    if which == "igvm_attest":
        return IGVM_SCHEMA, request.getfixturevalue("igvm_out"), "igvm_attest"
    return ZOO_SCHEMA, request.getfixturevalue("zoo_out"), "zoo"


def _python(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("which", ["igvm_attest", "zoo"])
def test_generated_tests_pass_against_the_compiled_module(which: str, request: pytest.FixtureRequest) -> None:
    schema, out, name = _where(which, request)
    where = cf.compiled_python(schema, out, BUILD / "mypyc" / which)
    imported = _python("-c", f"import {name}; print({name}.__file__)", cwd=where)
    assert imported.stdout.strip() == str(where / f"{name}{SUFFIX}"), imported.stderr
    done = _python("-m", "pytest", "-q", "-p", "no:cacheprovider", f"test_{name}.py", cwd=where)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_module_for_mypyc_differs_only_in_how_it_is_compiled(zoo_out: Path) -> None:
    """Rendered for mypyc, the module has the same classes, fields, constants and functions, in the
    same order: what differs is how decoding makes objects, and the class attributes for mypyc."""
    import ast

    where = cf.compiled_python(ZOO_SCHEMA, zoo_out, BUILD / "mypyc" / "zoo")

    def outline(text: str) -> list[str]:
        tree = ast.parse(text)
        names = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                body = [n.name for n in node.body if isinstance(n, ast.FunctionDef)]
                body += [ast.unparse(n.target) for n in node.body if isinstance(n, ast.AnnAssign)]
                body += [ast.unparse(t) for n in node.body if isinstance(n, ast.Assign) for t in n.targets]
                names.append(f"class {node.name}({', '.join(ast.unparse(b) for b in node.bases)}): {sorted(body)}")
            elif isinstance(node, ast.FunctionDef):
                names.append(f"def {node.name}")
        return names

    assert outline((where / "zoo.py").read_text()) == outline((zoo_out / "python" / "zoo.py").read_text())


def test_compile_command(zoo_out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`wiregen compile` builds what the tests above use: run again, it finds it up to date."""
    build = cf.compiled_python(ZOO_SCHEMA, zoo_out, BUILD / "mypyc" / "zoo")
    assert run_cli("compile", str(ZOO_SCHEMA), "--build", str(build)) == 0
    assert f"up to date: {build / 'zoo'}{SUFFIX}" in capsys.readouterr().out


def test_compiled_fields_hold_their_declared_types(zoo_out: Path) -> None:
    """What differs once compiled: mypyc checks the types the annotations declare, so a field typed
    by an enum takes the enum's members (`Mode(2)` for any value), not a plain int; and a subclass
    written in Python cannot make objects."""
    where = cf.compiled_python(ZOO_SCHEMA, zoo_out, BUILD / "mypyc" / "zoo")
    script = (
        "import zoo\n"
        "tag = zoo.Tag(mode=zoo.Mode(2))\n"
        "assert zoo.Tag.from_bytes(tag.to_bytes()) == tag\n"
        "try:\n"
        "    zoo.Tag(mode=2)\n"
        "except TypeError as e:\n"
        "    print(e)\n"
        "try:\n"
        "    type('Mine', (zoo.Tag,), {})()\n"
        "except TypeError as e:\n"
        "    print(e)\n"
    )
    done = _python("-c", script, cwd=where)
    assert done.returncode == 0, done.stderr
    assert "zoo.Mode object expected; got int" in done.stdout and "interpreted classes cannot inherit" in done.stdout, done.stdout
