"""The package as a user gets it: the wheel, installed into a fresh virtual environment, generates
every target of a schema from an empty directory, and the generated tests pass there.

To stay fast and offline the test does not download wiregen's dependencies again: the wheel is
built from a copy of the sources without build isolation (setuptools of the test environment),
installed with --no-deps into a new venv, and that venv sees the test environment's installed
packages (Jinja2, PyYAML, black, pytest) through a .pth line; `pip check` then proves that
those satisfy the wheel's declared requirements. The editable install of the test environment
is not on that path (a .pth line adds a directory; the .pth files inside it are not run), and
the test checks that `wiregen` is imported from the venv. The commands after `pip install` are
the README's own ("Use it in another repository").
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from c_toolchain import C11, build_and_run
from conftest import ROOT
from markdown_blocks import blocks

SCHEMA = ROOT / "tests" / "schemas" / "ping.yaml"
SOURCES = ["pyproject.toml", "README.md", "generator", "templates"]


def readme_commands() -> tuple[str, list[str]]:
    """The README's install command and the commands after it."""
    (block,) = [b for b in blocks(ROOT / "README.md") if b.lang == "sh" and "pip install" in b.text]
    lines = [ln.split("  #")[0].strip() for ln in block.text.splitlines() if ln.strip()]
    assert lines[0].startswith("python -m pip install ")
    return lines[0], lines[1:]


def run(argv: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900, env=dict(os.environ, **env))
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Outside the repository, so that nothing there (its pyproject.toml, its .venv) is found."""
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def venv(work: Path) -> Path:
    src = work / "src"
    src.mkdir(parents=True)
    for rel in SOURCES:
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, src / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / rel, src / rel)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "dist"), str(src)], work)
    (wheel,) = (work / "dist").glob("wiregen-*.whl")
    env = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(env)], work)
    python = env / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], work).strip()
    (Path(purelib) / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel)], work)
    run([sys.executable, "-m", "pip", "--python", str(python), "check"], work)  # the declared requirements are met
    return env


def test_the_wheel_holds_the_package_and_its_data(venv: Path, work: Path) -> None:
    python = str(venv / "bin" / "python")
    where = run([python, "-c", "import wiregen, wiregen.templates; print(wiregen.__file__)"], work).strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's copy, not the checkout
    assert run([str(venv / "bin" / "wiregen"), "--version"], work).strip() == "wiregen 0.1.0"
    assert run([python, "-m", "wiregen", "--version"], work).strip() == "wiregen 0.1.0"
    schema_json = Path(run([str(venv / "bin" / "wiregen"), "json-schema", "--path"], work).strip())
    assert schema_json.is_relative_to(venv) and schema_json.read_bytes() == (ROOT / "generator" / "wiregen.schema.json").read_bytes()


def test_generate_from_an_empty_directory_and_run_the_generated_tests(venv: Path, work: Path) -> None:
    install, commands = readme_commands()
    assert install == "python -m pip install ./wiregen"  # what the venv fixture did, from the wheel pip builds of it
    project = work / "project"
    (project / "schema").mkdir(parents=True)
    shutil.copy(SCHEMA, project / "schema" / "ping.yaml")
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    for command in commands:
        run(shlex.split(command), project, PATH=path)
    out = project / "generated"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "c/codec_ping.c", "c/ping.h", "c/test_ping.c", "docs/ping.md",
        "python/codec_ping.py", "python/ping.py", "python/test_ping.py",
        "rust/Cargo.toml", "rust/ping/Cargo.toml", "rust/ping/examples/codec.rs", "rust/ping/src/lib.rs",
        "rust/ping/tests/codec/mod.rs", "rust/ping/tests/vectors.rs", "vectors/ping.txt",
    ]  # fmt: skip
    assert 'license = "MIT"' in (out / "rust" / "ping" / "Cargo.toml").read_text()

    tests = run([str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "python"], out)
    assert re.search(r"^=+ \d+ passed in ", tests, re.M), tests
    if shutil.which("cargo"):
        shutil.copy(ROOT / "generated" / "rust" / "Cargo.lock", out / "rust" / "Cargo.lock")  # the project's locked versions
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target"))
        cargo = run(["cargo", "test", "--quiet", "--test", "vectors"], out / "rust", CARGO_TARGET_DIR=target)
        assert "test result: ok" in cargo
    (line,) = build_and_run(out / "c" / "test_ping.c", ROOT / "build" / "packaging-c", [("gcc", C11)], quiet=True)
    assert line.endswith(" 0 failed")
