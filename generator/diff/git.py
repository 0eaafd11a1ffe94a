"""Reading schemas from files and from git revisions."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import Mark, Problem, SchemaError, gather
from ..loader import load_file, load_text
from ..model import Schema
from .compare import added, compare, removed
from .report import Report


def _git(args: list[str]) -> str:
    res = subprocess.run(["git", *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip() or f"git {' '.join(args)} failed")
    return res.stdout


def load_side(spec: str) -> Schema:
    """A schema file path, or REV:path read from git."""
    p = Path(spec)
    if p.exists() or ":" not in spec:
        return load_file(p)
    rev, _, path = spec.partition(":")
    try:
        text = _git(["show", f"{rev}:{path}"])
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(spec, 1, 1), "", f"cannot read the schema from git: {e}")]) from None
    return load_text(text, spec)


def load_pair(specs: list[str]) -> list[Schema]:
    return gather([lambda s=s: load_side(s) for s in specs])


def base_report(rev: str) -> Report:
    try:
        listed = _git(["ls-tree", "--name-only", rev, "--", "schema/"]).split()
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(f"{rev}:schema", 1, 1), "", f"cannot list the schemas at {rev}: {e}")]) from None
    old_paths = sorted(p for p in listed if p.endswith(".yaml") and "/" not in p[len("schema/"):])
    new_paths = sorted(str(p) for p in Path("schema").glob("*.yaml"))
    olds, news, problems = {}, {}, []
    for p in old_paths:
        try:
            olds[p] = load_side(f"{rev}:./{p}")
        except SchemaError as e:
            problems += e.problems
    for p in new_paths:
        try:
            news[p] = load_file(p)
        except SchemaError as e:
            problems += e.problems
    if problems:
        raise SchemaError(problems)
    diffs = []
    for p in sorted(set(olds) | set(news)):
        o, n = olds.get(p), news.get(p)
        if o is not None and n is not None:
            diffs.append(compare(o, n, f"{rev}:{p}", p))
        elif n is not None:
            diffs.append(added(n, p))
        else:
            assert o is not None
            diffs.append(removed(o, f"{rev}:{p}"))
    return Report(diffs, f"`{rev}` → working tree")
