"""Reading schemas from files and from git revisions."""

from __future__ import annotations

import os
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


SUFFIXES = (".yaml", ".yml")
SCHEMA_DIR = "schema"


class NotARepository(Exception):
    """`--base` was run outside a git repository."""


def repo_root() -> Path:
    """The top of the git work tree around the current directory, from any directory in it."""
    try:
        return Path(_git(["rev-parse", "--show-toplevel"]).strip())
    except (RuntimeError, OSError) as e:
        raise NotARepository(f"--base compares against a git revision, but {Path.cwd()} is not inside a git work tree ({e})") from None


def _is_schema(path: str) -> bool:
    return path.endswith(SUFFIXES) and "/" not in path[len(SCHEMA_DIR) + 1 :]


def base_report(rev: str) -> Report:
    """Every schema under schema/ at REV against the working tree, wherever in the repository
    this runs. Schemas are paired by their `schema:` name, then by file path."""
    root = repo_root()
    try:
        listed = _git(["-C", str(root), "ls-tree", "--name-only", "--full-name", rev, "--", f"{SCHEMA_DIR}/"]).split()
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(f"{rev}:{SCHEMA_DIR}", 1, 1), "", f"cannot list the schemas at {rev}: {e}")]) from None
    old_paths = sorted(p for p in listed if _is_schema(p))
    folder = root / SCHEMA_DIR
    new_paths = sorted(f"{SCHEMA_DIR}/{p.name}" for p in folder.iterdir() if p.is_file() and p.name.endswith(SUFFIXES)) if folder.is_dir() else []
    olds: dict[str, Schema] = {}
    news: dict[str, Schema] = {}
    problems = []
    for p in old_paths:
        try:
            olds[p] = _load_rev(root, rev, p)
        except SchemaError as e:
            problems += e.problems
    for p in new_paths:
        try:
            news[p] = load_file(root / p, os.path.relpath(root / p))
        except SchemaError as e:
            problems += e.problems
    if problems:
        raise SchemaError(problems)
    diffs = []
    for o, n in pair_schemas(olds, news):
        if o is not None and n is not None:
            diffs.append(compare(olds[o], news[n], f"{rev}:{o}", n))
        elif n is not None:
            diffs.append(added(news[n], n))
        else:
            assert o is not None
            diffs.append(removed(olds[o], f"{rev}:{o}"))
    return Report(diffs, f"`{rev}` → working tree")


def _load_rev(root: Path, rev: str, path: str) -> Schema:
    label = f"{rev}:{path}"
    try:
        text = _git(["-C", str(root), "show", label])
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(label, 1, 1), "", f"cannot read the schema from git: {e}")]) from None
    return load_text(text, label)


def pair_schemas(olds: dict[str, Schema], news: dict[str, Schema]) -> list[tuple[str | None, str | None]]:
    """(old path, new path) of every schema: the same `schema:` name first (so a renamed file is
    the same schema), the same path for what is left, and the rest added or removed."""
    pairs: list[tuple[str | None, str | None]] = []
    left_old, left_new = dict(olds), dict(news)
    for name in sorted({s.name for s in news.values()}):
        o = [p for p, s in left_old.items() if s.name == name]
        n = [p for p, s in left_new.items() if s.name == name]
        if len(o) == 1 and len(n) == 1:
            pairs.append((o[0], n[0]))
            del left_old[o[0]], left_new[n[0]]
    for p in sorted(set(left_old) & set(left_new)):
        pairs.append((p, p))
        del left_old[p], left_new[p]
    pairs += [(None, p) for p in left_new] + [(p, None) for p in left_old]
    return sorted(pairs, key=lambda op: op[1] or op[0] or "")
