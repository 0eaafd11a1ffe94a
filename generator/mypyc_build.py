"""`wiregen compile`: each schema's Python module compiled to a C extension by mypyc.

The module is rendered for mypyc (`targets.python.render_mypyc`): the API and the answers of the
module `wiregen generate` writes (its generated tests and the conformance harness run against
the compiled one too), its structs and bitmaps native classes made by their constructors. It is
written to `<build>/<schema>.py` and compiled alone, in a work directory of its own, into one
extension beside it (`<schema>.cpython-311-x86_64-linux-gnu.so` or the like) that imports as the
module: put `<build>` before the directory of the generated `.py` on `sys.path`. A module whose
text, Python and mypy did not change since its last build is not compiled again.

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
from .model import Schema


def _mypy_version() -> str:
    try:
        from importlib.metadata import version

        return version("mypy")
    except Exception:  # not installed: _compile says so
        return "none"


def extension(out: Path, name: str) -> Path:
    """Where the compiled module `name` is in `out`, once built."""
    return out / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def _stamp(text: str) -> str:
    """What a build depends on: the module's text, this Python and mypy."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{digest} python {sys.version.split()[0]} mypy {_mypy_version()}\n"


def _compile(source: Path, out: Path) -> None:
    try:
        import mypyc  # noqa: F401
    except ImportError:
        raise ToolError("mypyc is not installed: it comes with mypy (pip install 'wiregen[mypyc]')") from None
    name = source.stem
    work = out / ".work" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(source, work / source.name)
    done = subprocess.run([sys.executable, "-m", "mypyc", source.name], cwd=work, capture_output=True, text=True)
    built = extension(work, name)
    if done.returncode != 0 or not built.exists():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ToolError(f"mypyc could not compile {source}:\n{tail}")
    target = extension(out, name)
    shutil.copyfile(built, target.with_suffix(".tmp"))
    target.with_suffix(".tmp").replace(target)
    shutil.rmtree(work, ignore_errors=True)


def build(schemas: list[Schema], out: Path) -> list[tuple[Path, bool]]:
    """Render every schema's module for mypyc into `out` and compile those whose build is stale,
    at the same time; returns each module's extension and whether it was compiled now."""
    from .targets.python import render_mypyc

    out.mkdir(parents=True, exist_ok=True)
    stale: list[tuple[Path, str]] = []
    for schema in schemas:
        source, text = out / f"{schema.name}.py", render_mypyc(schema)
        stamp = out / f".{schema.name}.stamp"
        if not extension(out, schema.name).exists() or _read(stamp) != _stamp(text) or _read(source) != text:
            source.write_text(text, encoding="utf-8")
            stale.append((source, _stamp(text)))
    with ThreadPoolExecutor(max_workers=max(1, len(stale))) as pool:
        for (source, stamp), job in [(s, pool.submit(_compile, s[0], out)) for s in stale]:
            job.result()
            (out / f".{source.stem}.stamp").write_text(stamp)
    rebuilt = {source.stem for source, _ in stale}
    return [(extension(out, s.name), s.name in rebuilt) for s in schemas]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
