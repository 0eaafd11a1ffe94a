"""Run schemas through `wiregen generate`, then build and test every target of the accepted ones
in one batch, exactly as `make test` builds its own.

Per schema, `generate` must either refuse it (exit 2, every problem as FILE:LINE:COL, nothing
written) or generate it (exit 0). The accepted schemas of a batch then share one output tree:
- Python: one pytest run over their generated tests (which imports each module), mypy --strict
  and black --check over the generated modules, as tests/test_python_target.py checks them;
- Rust: one Cargo workspace, with the commands of the Makefile's test-rust (cargo test, clippy and
  rustdoc with warnings denied);
- C: tests/c_toolchain.py's flags, one compiler run per compiler for all headers, all codecs and
  all tests of the batch (each test then linked and run under ASan/UBSan).
A failure is pinned to its schema by the file names in the tools' output, or by halving the batch
when the output names none.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import c_toolchain

from wiregen import cache
from wiregen.cli import main as wiregen
from wiregen.doctext import display
from wiregen.errors import SchemaError
from wiregen.loader import _display_path, load_file
from wiregen.model import Schema
from wiregen.output import stale_digests, write
from wiregen.targets import rust

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("generate", "pytest", "mypy", "black", "cargo-test", "clippy", "rustdoc", "c-header", "c-codec", "c-test")


@dataclass
class Outcome:
    name: str
    status: str  # "refused", "passed" or "failed"
    stage: str = ""  # the first stage that failed
    detail: str = ""
    more: list[tuple[str, str]] = field(default_factory=list)  # every stage that failed, with keep_going


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def generate(schema: Path, out: Path) -> Outcome:
    """`wiregen generate SCHEMA --out OUT`, held to its contract: exit 0, or exit 2 with every
    problem positioned in the schema and nothing written."""
    name = schema.stem
    before = _tree(out)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = wiregen(["generate", str(schema), "--out", str(out)])
    except BaseException as e:  # noqa: BLE001 - any escape is the failure being looked for
        return Outcome(name, "failed", "generate", f"raised {type(e).__name__}: {e}\n{stderr.getvalue()}")
    err = stderr.getvalue()
    if rc == 0:
        return Outcome(name, "passed")
    if rc != 2:
        return Outcome(name, "failed", "generate", f"exit {rc}:\n{err}")
    lines = err.strip().splitlines()
    where = re.escape(display(_display_path(schema)))
    bad = [ln for ln in lines[:-1] if not re.match(rf"{where}:\d+:\d+: ", ln)]
    if not lines or not re.fullmatch(r"refused: \d+ problems?; nothing was written", lines[-1]) or bad:
        return Outcome(name, "failed", "generate", f"exit 2 without positioned problems:\n{err}")
    if _tree(out) != before:
        return Outcome(name, "failed", "generate", f"refused, but files were written:\n{err}")
    return Outcome(name, "refused", detail=err)


def _run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=3600)


def _blame(output: str, names: list[str], patterns: list[str]) -> dict[str, str]:
    """The messages of `output` (blocks between blank lines) by the schema they name, `patterns`
    holding `{n}` for the name."""
    found: dict[str, list[str]] = {}
    for block in re.split(r"\n\s*\n", output):
        for n in names:
            if any(re.search(p.format(n=re.escape(n)), block, re.M) for p in patterns):
                found.setdefault(n, []).append(block)
    return {n: "\n\n".join(v)[:6000] for n, v in found.items()}


class Build:
    """The targets of many accepted schemas in one output tree, and a check per stage."""

    def __init__(self, out: Path):
        self.out = out
        self.py = out / "python"
        self.ws = out / "rust"
        self.target_dir = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "build" / "cargo-target"))
        self.members: tuple[str, ...] = ()  # of the workspace last written
        self.loaded: dict[str, Schema] = {}  # the schemas the workspaces were written from, loaded once
        self.cargo_env: dict[str, str] = {}  # `make fuzz`: builds without debug info, which change no lint or result

    # Each check takes schema names and returns the failures by name; a failure the output
    # pins on no schema is returned under None.

    def pytest(self, names: list[str]) -> dict[str | None, str]:
        files = [f"test_{n}.py" for n in names]
        done = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(self.py), "-c", os.devnull, *files], self.py)
        return self._result(done, names, [r"^(?:FAILED|ERROR) (?:test_|codec_)?{n}\.py"], ok_codes=(0,))

    def mypy(self, names: list[str]) -> dict[str | None, str]:
        files = [f for n in names for f in (f"{n}.py", f"codec_{n}.py")]
        cache = self.out / "mypy-cache"
        done = _run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *files], self.py)
        return self._result(done, names, [r"^(?:codec_)?{n}\.py:"])

    def black(self, names: list[str]) -> dict[str | None, str]:
        files = [f for n in names for f in (f"{n}.py", f"test_{n}.py", f"codec_{n}.py")]
        done = _run([sys.executable, "-m", "black", "--check", *files], self.py)
        return self._result(done, names, [r"\b(?:test_|codec_)?{n}\.py"])

    def _cargo(self, names: list[str], *args: str, **env: str) -> dict[str | None, str]:
        self.workspace(names)
        done = _run(["cargo", *args], self.ws, CARGO_TARGET_DIR=self.target_dir, **self.cargo_env, **env)
        return self._result(done, names, [r"`{n}`", r"-p {n}\b", r"[\s(/]{n}/(?:src|tests|examples)/", r"\({n}\)"])

    def cargo_test(self, names: list[str]) -> dict[str | None, str]:
        return self._cargo(names, "test", "--workspace", "--no-fail-fast")

    def clippy(self, names: list[str]) -> dict[str | None, str]:
        return self._cargo(names, "clippy", "--workspace", "--all-targets", "--keep-going", "--", "-D", "warnings")

    def rustdoc(self, names: list[str]) -> dict[str | None, str]:
        return self._cargo(names, "doc", "--workspace", "--no-deps", "--keep-going", RUSTDOCFLAGS="-D warnings")

    def c_header(self, names: list[str]) -> dict[str | None, str]:
        return dict(c_toolchain.check_headers_batch([self.out / "c" / f"{n}.h" for n in names], self.compilers, self.out / "c-build", cross=self.cross))

    def c_codec(self, names: list[str]) -> dict[str | None, str]:
        return dict(c_toolchain.check_codecs_batch([self.out / "c" / f"codec_{n}.c" for n in names], self.compilers, self.out / "c-build"))

    def c_test(self, names: list[str]) -> dict[str | None, str]:
        return dict(c_toolchain.build_and_run_batch([self.out / "c" / f"test_{n}.c" for n in names], self.out / "c-build", self.builds))

    @property
    def builds(self) -> list[tuple[str, list[str]]]:
        clang = c_toolchain.have("clang") and c_toolchain.have("clang++")
        return [(cc, lang) for cc, lang in c_toolchain.TEST_BUILDS if clang or not cc.startswith("clang")]

    @property
    def compilers(self) -> list[str]:
        return [cc for cc, _ in self.builds]

    @property
    def cross(self) -> bool:
        return "clang" in self.compilers

    @staticmethod
    def _result(done: subprocess.CompletedProcess[str], names: list[str], patterns: list[str], ok_codes: tuple[int, ...] = (0,)) -> dict[str | None, str]:
        if done.returncode in ok_codes:
            return {}
        output = done.stdout + done.stderr
        blamed: dict[str | None, str] = dict(_blame(output, names, patterns))
        return blamed or {None: output[-6000:]}

    def workspace(self, names: list[str]) -> None:
        """The Cargo workspace of `names`, with the project's locked dependency versions."""
        members = tuple(sorted(names))
        if members == self.members:
            return
        self.members = members
        for n in members:
            if n not in self.loaded:
                self.loaded[n] = load_file(self.out.parent / "schemas" / f"{n}.yaml")
        schemas = [self.loaded[n] for n in members]
        write(rust.render_project(schemas), self.out)
        lock = self.ws / "Cargo.lock"
        if not lock.exists():  # cargo adds the members; the dependencies keep their versions
            shutil.copy(ROOT / "generated" / "rust" / "Cargo.lock", lock)

    def stages(self) -> list[tuple[str, Callable[[list[str]], dict[str | None, str]]]]:
        return [
            ("pytest", self.pytest),
            ("mypy", self.mypy),
            ("black", self.black),
            ("cargo-test", self.cargo_test),
            ("clippy", self.clippy),
            ("rustdoc", self.rustdoc),
            ("c-header", self.c_header),
            ("c-codec", self.c_codec),
            ("c-test", self.c_test),
        ]


def blame(check: Callable[[list[str]], dict[str | None, str]], names: list[str]) -> dict[str, str]:
    """The schemas `check` fails on; when its output names none, found by halving."""
    if not names:
        return {}
    failed = check(names)
    unnamed = failed.pop(None, None)
    if unnamed is None:
        return {n: d for n, d in failed.items() if n is not None}
    if len(names) == 1:
        return {names[0]: unnamed}
    half = len(names) // 2
    return {**blame(check, names[:half]), **blame(check, names[half:])}


@contextlib.contextmanager
def _cache_in(directory: Path):
    """The generator's render cache (generator/cache.py) kept with the batch, not the user's."""
    before = os.environ.get("WIREGEN_CACHE_DIR")
    os.environ["WIREGEN_CACHE_DIR"] = str(directory)
    try:
        yield
    finally:
        if before is None:
            del os.environ["WIREGEN_CACHE_DIR"]
        else:
            os.environ["WIREGEN_CACHE_DIR"] = before


def generate_all(paths: dict[str, Path], root: Path) -> dict[str, Outcome]:
    """Every schema through `generate`: a schema the loader refuses alone (the contract of a
    refusal); the rest together, into one tree (so its Cargo workspace stays as it is from run to
    run); one at a time only if that fails, to find which. An unchanged batch (same schemas,
    same generator, same files on disk: generator/cache.py's key) is not generated again."""
    out = root / "out"
    cache._generator.cache_clear()  # the generator's hash now (a test may have patched what it reads)
    key = cache.key(list(paths.values()), out)
    stamp = root / "generated.json"
    try:  # this batch was generated before, by this generator, and its files are as it wrote them
        seen = json.loads(stamp.read_text(encoding="utf-8"))
        if seen["key"] == key and not stale_digests(cache.recall(seen["files"]) or {"": ""}, out):
            return {n: Outcome(n, *o) for n, o in seen["outcomes"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    outcomes = _generate_all(paths, root)
    accepted = [paths[n] for n, o in outcomes.items() if o.status == "passed"]
    stamp.write_text(json.dumps({"key": key, "files": cache.key(accepted, out), "outcomes": {n: [o.status, o.stage, o.detail] for n, o in outcomes.items()}}), encoding="utf-8")
    return outcomes


def _generate_all(paths: dict[str, Path], root: Path) -> dict[str, Outcome]:
    out = root / "out"
    outcomes: dict[str, Outcome] = {}
    accepted: dict[str, Path] = {}
    for name, path in paths.items():
        try:
            load_file(path)
            accepted[name] = path
        except SchemaError:
            outcomes[name] = generate(path, out)
            if outcomes[name].status == "passed":
                outcomes[name] = Outcome(name, "failed", "generate", "the loader refuses it, yet generate succeeds")
    if not accepted:
        return outcomes
    together = generate_many(list(accepted.values()), out)
    if together is None:
        return {**outcomes, **{n: Outcome(n, "passed") for n in accepted}}
    for name, path in accepted.items():  # find which: each alone, into a scratch tree
        alone = generate(path, root / "alone" / name)
        outcomes[name] = alone if alone.status == "failed" else Outcome(name, "passed")
    rest = [accepted[n] for n in accepted if outcomes[n].status == "passed"]
    if rest and generate_many(rest, out) is not None:
        raise RuntimeError(f"the batch fails to generate together, though each of its schemas generates alone:\n{together}")
    return outcomes


def generate_many(paths: list[Path], out: Path) -> str | None:
    """`generate` of several schemas into one tree: None, or what went wrong."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = wiregen(["generate", *map(str, paths), "--out", str(out)])
    except BaseException as e:  # noqa: BLE001
        return f"raised {type(e).__name__}: {e}"
    return None if rc == 0 else f"exit {rc}:\n{stderr.getvalue()}"


def run(
    texts: dict[str, str], root: Path, stages: tuple[str, ...] = STAGES, log: Callable[[str], None] = lambda _: None, keep_going: bool = False, quick: bool = False
) -> dict[str, Outcome]:
    """Every schema (name -> YAML text) through `generate`, then the accepted ones through every
    target. `root` keeps the schemas and the output tree; an unchanged file is not rewritten, so
    a second run over the same schemas rebuilds nothing."""
    root = root.resolve()
    schemas = root / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in texts.items():
        path = schemas / f"{name}.yaml"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths[name] = path
    with _cache_in(root / "cache"):
        outcomes = generate_all(paths, root)
    accepted = sorted(n for n, o in outcomes.items() if o.status == "passed")
    build = Build(root / "out")
    build.members = tuple(accepted)  # generate_all leaves the workspace of every accepted schema
    if quick:
        build.cargo_env = {"CARGO_PROFILE_DEV_DEBUG": "0", "CARGO_PROFILE_TEST_DEBUG": "0", "CARGO_INCREMENTAL": "0"}
    for stage, check in build.stages():
        if stage not in stages:
            continue
        todo = [n for n in accepted if keep_going or outcomes[n].status == "passed"]
        log(f"{stage}: {len(todo)} schema(s)")
        for n, detail in blame(check, todo).items():
            if outcomes[n].status == "passed":
                outcomes[n] = Outcome(n, "failed", stage, detail)
            outcomes[n].more.append((stage, detail))
    return outcomes
