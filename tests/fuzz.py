"""The schema fuzzer: random schemas (tests/fuzz_schemas.py) through `generate` and every target
(tests/fuzz_build.py), in batches, for a given time.

    python tests/fuzz.py --minutes 30        # what `make fuzz MINUTES=30` runs

Each round draws a batch of schemas with Hypothesis (a new seed each round), runs every one
through `wiregen generate` and builds and tests the accepted ones together in every target. A
schema that fails (a generate that neither refuses properly nor succeeds, or a target whose
build or tests fail) is shrunk (items, keys and text removed while it still fails the same way)
and kept under tests/fuzz_cases/, where `make test` runs it from then on. Prints the count.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import random
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import fuzz_build
import fuzz_schemas
from hypothesis import HealthCheck, Phase, given, seed, settings

ROOT = Path(__file__).resolve().parent.parent
KEPT = ROOT / "tests" / "fuzz_cases"


def draw(count: int, at: int) -> list[dict[str, Any]]:
    """`count` schemas, the examples Hypothesis draws with seed `at` (the first is the simplest)."""
    drawn: list[dict[str, Any]] = []

    @seed(at)
    @settings(max_examples=count, database=None, derandomize=False, phases=[Phase.generate], deadline=None, suppress_health_check=list(HealthCheck))
    @given(fuzz_schemas.schema())
    def collect(schema: dict[str, Any]) -> None:
        drawn.append(schema)

    collect()
    return drawn


def batch(drawn: list[dict[str, Any]], prefix: str, rng: random.Random) -> dict[str, dict[str, Any]]:
    """The schemas of one batch by name: a slot name (`<prefix><i>`, so the batch's files and crates
    are the same paths from round to round), now and then the drawn name when no other schema of
    the batch has it (a schema's name also names its test_ and codec_ modules)."""
    out: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for i, schema in enumerate(drawn):
        name = schema["schema"]
        stems = {name, f"test_{name}", f"codec_{name}"}
        if rng.random() < 0.25 and not stems & taken:
            taken |= stems
        else:
            name = f"{prefix}{i}"
            schema = {**schema, "schema": name}
        out[name] = schema
    return out


# --- shrinking --------------------------------------------------------------------------------


def _candidates(data: Any) -> list[Any]:
    """Smaller versions of `data`: one list item, one optional key or part of one text removed."""
    out: list[Any] = []

    def walk(node: Any, rebuild) -> None:  # rebuild(new_node) -> the whole document with node replaced
        if isinstance(node, list):
            for size in (len(node) // 2, len(node) // 4):  # big cuts first, then one item at a time
                if size > 1:
                    out.extend(rebuild(node[:i] + node[i + size :]) for i in range(0, len(node), size))
            for i in reversed(range(len(node))):
                out.append(rebuild(node[:i] + node[i + 1 :]))
            for i, item in enumerate(node):
                walk(item, lambda new, i=i: rebuild(node[:i] + [new] + node[i + 1 :]))
        elif isinstance(node, dict):
            for key in node:
                if key not in ("schema", "endian", "name"):
                    out.append(rebuild({k: v for k, v in node.items() if k != key}))
            for key, value in node.items():
                walk(value, lambda new, key=key: rebuild({**node, key: new}))
        elif isinstance(node, str) and len(node) > 1:
            lines = node.split("\n")
            if len(lines) > 1:
                for i in range(len(lines)):
                    out.append(rebuild("\n".join(lines[:i] + lines[i + 1 :])))
            half = len(node) // 2
            out.extend([rebuild(node[:half]), rebuild(node[half:])])
            if len(node) <= 12:
                out.extend(rebuild(node[:i] + node[i + 1 :]) for i in range(len(node)))

    walk(data, lambda new: new)
    return out


def shrink(schema: dict[str, Any], stage: str, root: Path, budget: float) -> dict[str, Any]:
    """Greedily remove what the failure does not need: the smallest schema found in `budget`
    seconds that still fails at `stage`."""
    name = schema["schema"]

    def fails(candidate: dict[str, Any]) -> bool:
        outcome = fuzz_build.run({name: fuzz_schemas.to_yaml(candidate)}, root, (stage,), quick=True)[name]
        return outcome.status == "failed" and outcome.stage == stage

    best = copy.deepcopy(schema)
    end = time.monotonic() + budget
    progress = True
    while progress and time.monotonic() < end:
        progress = False
        for candidate in _candidates(best):
            if time.monotonic() >= end:
                break
            if len(fuzz_schemas.to_yaml(candidate)) < len(fuzz_schemas.to_yaml(best)) and fails(candidate):
                best, progress = candidate, True
                break
    return best


def keep(schema: dict[str, Any], stage: str, detail: str, at: int) -> Path:
    """Save a failing schema as a regression case of `make test` (once: a case already kept under
    another name is not kept again)."""
    body = fuzz_schemas.to_yaml({**schema, "schema": "-"})
    digest = hashlib.sha256(body.encode()).hexdigest()[:10]
    name = f"fuzz_{stage.replace('-', '_')}_{digest}"
    path = KEPT / f"{name}.yaml"
    for old in KEPT.glob("*.yaml"):
        if re.sub(r"(?m)^#.*\n|^schema: .*$", "", old.read_text(encoding="utf-8")).strip() == re.sub(r"(?m)^schema: .*$", "", body).strip():
            return old
    noise = re.compile(r"^\s*(Checking|Compiling|Documenting|Running|warning: build failed)")
    why = "\n".join(f"#   {line}" for line in detail.strip().splitlines() if not noise.match(line))
    why = "\n".join(why.splitlines()[:12])
    KEPT.mkdir(parents=True, exist_ok=True)
    text = fuzz_schemas.to_yaml({**schema, "schema": name})
    path.write_text(f"# Found by `make fuzz` (seed {at}), shrunk: failed at {stage}.\n# expect: built\n{why}\n{text}", encoding="utf-8")
    return path


def signature(stage: str, detail: str) -> str:
    """A failure's kind: its stage and first error line, without names, numbers and places."""
    first = next((ln for ln in detail.splitlines() if re.search(r"error|Error|FAILED|failed", ln) and not re.search(r"could not (compile|document)", ln)), "")
    return stage + ":" + re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\S*\d\S*|\S+[/.]\S+", "_", first)


# --- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="how long to fuzz (default 5)")
    ap.add_argument("--batch", type=int, default=25, help="schemas a batch (default 25)")
    ap.add_argument("--seed", type=int, default=None, help="the first round's seed (default: from the clock)")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "fuzz", help="where batches are built")
    ap.add_argument("--shrink-seconds", type=float, default=300.0, help="time to shrink each failure (default 300)")
    args = ap.parse_args(argv)
    first = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(first)
    start = time.monotonic()
    end = start + args.minutes * 60
    built = refused = failed = rounds = 0
    kept: list[Path] = []
    shrunk: dict[str, Path] = {}  # by signature
    while time.monotonic() < end:
        at = first + rounds
        schemas = batch(draw(args.batch, at), "f", rng)
        outcomes = fuzz_build.run({n: fuzz_schemas.to_yaml(s) for n, s in schemas.items()}, args.work / "batch", quick=True)
        rounds += 1
        for name, o in outcomes.items():
            if o.status == "passed":
                built += 1
            elif o.status == "refused":
                refused += 1
            else:
                failed += 1
                print(f"FAILED {name} at {o.stage} (seed {at}):\n{o.detail[:3000]}", flush=True)
                known = signature(o.stage, o.detail)
                if known in shrunk:  # the same error as one shrunk this run: keep the first only
                    print(f"  the same failure as {shrunk[known].relative_to(ROOT)}", flush=True)
                    continue
                small = shrink(schemas[name], o.stage, args.work / "shrink", args.shrink_seconds)
                kept.append(keep(small, o.stage, o.detail, at))
                shrunk[known] = kept[-1]
                print(f"  kept, shrunk, as {kept[-1].relative_to(ROOT)}", flush=True)
        print(f"round {rounds} (seed {at}): {built} built through every target, {refused} refused, {failed} failed; {time.monotonic() - start:.0f} s", flush=True)
    shutil.rmtree(args.work / "shrink", ignore_errors=True)
    minutes = (time.monotonic() - start) / 60
    print(f"make fuzz: {built} random schemas built and tested through every target, {refused} refused with positioned problems, {failed} failed, in {minutes:.1f} minutes ({rounds} batches, seeds {first}..{first + rounds - 1})")
    for path in kept:
        print(f"  regression case: {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
