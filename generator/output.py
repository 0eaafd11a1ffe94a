"""Render every target in memory, then write atomically; or compare (check mode)."""

from __future__ import annotations

import os
from pathlib import Path

from .model import Schema
from .targets import TARGETS


def render_all(schemas: list[Schema]) -> dict[str, str]:
    """Every generated file, by path relative to the output directory, fully rendered and formatted."""
    files: dict[str, str] = {}
    for target in TARGETS:
        produced: dict[str, str] = {}
        for schema in sorted(schemas, key=lambda s: s.name):
            produced.update(target.render(schema))
        if hasattr(target, "render_project"):
            produced.update(target.render_project(sorted(schemas, key=lambda s: s.name)))
        for path, text in produced.items():
            if path in files:
                raise RuntimeError(f"two targets produce {path}")
            files[path] = text
    return dict(sorted(files.items()))


def stale(files: dict[str, str], out: Path) -> list[str]:
    """Paths whose file under `out` is missing or differs from what the generator renders."""
    result = []
    for rel, text in files.items():
        p = out / rel
        try:
            current = p.read_bytes()
        except OSError:
            result.append(rel)
            continue
        if current != text.encode("utf-8"):
            result.append(rel)
    return result


def stale_digests(digests: dict[str, str], out: Path) -> list[str]:
    """Paths whose file under `out` is missing or does not hash to its digest (cache.digest)."""
    from .cache import digest

    result = []
    for rel, want in digests.items():
        try:
            if digest((out / rel).read_bytes()) == want:
                continue
        except OSError:
            pass
        result.append(rel)
    return result


def write(files: dict[str, str], out: Path) -> list[str]:
    """Write what changed; an unchanged file is not touched (its mtime is kept).

    Every new content is first written next to its target as a temporary file;
    only when all of them are written are they renamed into place, so a failure
    while writing leaves every existing file as it was.
    """
    changed = stale(files, out)
    temps: list[tuple[Path, Path]] = []
    try:
        for rel in changed:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.wiregen-tmp")  # two runs at once write apart
            tmp.write_bytes(files[rel].encode("utf-8"))
            temps.append((tmp, dest))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, dest in temps:
        os.replace(tmp, dest)
    return changed
