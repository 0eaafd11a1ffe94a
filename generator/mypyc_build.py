"""`wiregen compile`: the generated Python modules compiled to C extensions with mypyc.

A generated module passes `mypy --strict` and is written so that mypyc compiles it as it is:
the compiled module is the same file, with the same API and answers (the generated tests and the
conformance harness run against it too), and decodes, encodes and reads fields faster (see
docs/benchmarks.md). Each module is compiled alone, in a work directory of its own, into one
extension file (`<name>.cpython-311-x86_64-linux-gnu.so` or the like) that imports as the module:
put its directory before the `.py` on `sys.path`. A module whose source, Python and mypy did not
change since its last build is not compiled again.

mypyc comes with mypy (`pip install 'wiregen[mypyc]'`); it needs a C compiler and the Python
headers.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import ToolError


def _mypy_version() -> str:
    try:
        from importlib.metadata import version

        return version("mypy")
    except Exception:  # not installed: _compile says so
        return "none"


def extension(out: Path, name: str) -> Path:
    """Where the compiled module `name` is in `out`, once built."""
    return out / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def _stamp(source: Path) -> str:
    """What a build depends on: the module's text, this Python and mypy."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return f"{digest} python {sys.version.split()[0]} mypy {_mypy_version()}\n"


def _compile(source: Path, out: Path) -> Path:
    name = source.stem
    work = out / ".work" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(source, work / source.name)
    try:
        import mypyc  # noqa: F401
    except ImportError:
        raise ToolError("mypyc is not installed: it comes with mypy (pip install 'wiregen[mypyc]')") from None
    done = subprocess.run([sys.executable, "-m", "mypyc", source.name], cwd=work, capture_output=True, text=True)
    built = extension(work, name)
    if done.returncode != 0 or not built.exists():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ToolError(f"mypyc could not compile {source}:\n{tail}")
    target = extension(out, name)
    shutil.copyfile(built, target.with_suffix(".tmp"))
    target.with_suffix(".tmp").replace(target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def build(sources: list[Path], out: Path) -> list[tuple[Path, bool]]:
    """Compile every generated module in `sources` into `out`, those whose build is stale at the
    same time; returns each module's extension and whether it was compiled now."""
    out.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if not source.is_file():
            raise ToolError(f"{source} does not exist: run `wiregen generate` first")
    stale = [s for s in sources if not extension(out, s.stem).exists() or _read(out / f".{s.stem}.stamp") != _stamp(s)]
    with ThreadPoolExecutor(max_workers=max(1, len(stale))) as pool:
        jobs = {s: pool.submit(_compile, s, out) for s in stale}
        for source, job in jobs.items():
            job.result()
            (out / f".{source.stem}.stamp").write_text(_stamp(source))
    return [(extension(out, s.stem), s in stale) for s in sources]


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None
