"""What a render produced, remembered, so that `check` of an unchanged tree renders nothing.

A render's output depends only on its inputs: the schema files (path and bytes), the output
directory, and the generator itself (its Python files and templates, the Python, black and
rustfmt versions). `remember` stores, under a hash of all of those, the hash of every file the
render produced; `recall` returns them when the inputs hash the same. `check` then compares the
files on disk with those hashes: the answer it would get by rendering, without rendering.

A formatter's output is remembered too (`formatted`), under a hash of its input and its version:
black takes most of a render's time, and the same source always formats the same.

The cache is a directory of small files, WIREGEN_CACHE_DIR or ~/.cache/wiregen; deleting it is
always safe. Any error reading or writing it only means rendering again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def directory() -> Path:
    env = os.environ.get("WIREGEN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wiregen"


@lru_cache(maxsize=1)
def _generator() -> str:
    """A hash of everything besides the schemas that the output depends on."""
    from .render import TEMPLATES

    h = hashlib.sha256()
    for root in (PACKAGE, TEMPLATES):
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix in (".py", ".j2", ".toml"):
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    try:
        import black

        h.update(black.__version__.encode())
    except ImportError:
        pass
    h.update(sys.version.encode())
    rustfmt = shutil.which("rustfmt")
    if rustfmt:
        done = subprocess.run([rustfmt, "--version"], capture_output=True, text=True)
        h.update(done.stdout.encode())
    return h.hexdigest()


def key(schema_files: list[Path], out: Path) -> str:
    h = hashlib.sha256(_generator().encode())
    h.update(str(out.resolve()).encode())
    for f in sorted(schema_files):
        h.update(b"\0" + str(f).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def remember(k: str, files: dict[str, str]) -> None:
    try:
        d = directory()
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{k}.tmp"
        tmp.write_text(json.dumps({rel: digest(text.encode("utf-8")) for rel, text in files.items()}))
        os.replace(tmp, d / f"{k}.json")
    except OSError:
        pass


def recall(k: str) -> dict[str, str] | None:
    try:
        return json.loads((directory() / f"{k}.json").read_text())
    except (OSError, ValueError):
        return None


FORMATTED_KEPT = 2000  # formatted files kept on disk; past that, the least recently used half goes
FORMATTED_HELD = 256  # and held in memory by a process, the newest
_formatted: dict[str, str] = {}


def formatted(tool: str, source: str, fmt: Callable[[str], str]) -> str:
    """`fmt(source)`, remembered in this process and on disk under a hash of `tool` (its name,
    version and options) and `source`."""
    k = hashlib.sha256(tool.encode() + b"\0" + source.encode("utf-8")).hexdigest()
    if k in _formatted:
        return _formatted[k]
    d = directory() / "formatted"
    path = d / f"{k}.txt"
    try:
        text = path.read_text(encoding="utf-8")
        os.utime(path)  # recently used
    except (OSError, ValueError):
        text = fmt(source)
        try:
            d.mkdir(parents=True, exist_ok=True)
            tmp = d / f".{k}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            _prune(d)
        except OSError:
            pass
    _formatted[k] = text
    if len(_formatted) > FORMATTED_HELD:
        del _formatted[next(iter(_formatted))]
    return text


def _prune(d: Path) -> None:
    entries = list(d.glob("*.txt"))
    if len(entries) > FORMATTED_KEPT:
        entries.sort(key=lambda p: p.stat().st_mtime_ns)
        for p in entries[: len(entries) - FORMATTED_KEPT // 2]:
            p.unlink(missing_ok=True)
