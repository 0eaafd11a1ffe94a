"""`make bench-generator`: how `wiregen generate` and `wiregen check` scale with the number of types
and with nesting depth, on synthetic schemas; prints a Markdown table.

A synthetic schema of N types mixes them as a protocol does (IGVM's own mix): for every five types
an enum of four values, a bitmap of four fields (two flags, an enum-typed field and a number, with
reserved bits between) and three structs of five fields (u32, u16, an enum, the bitmap, i16[4]),
the second embedding the first and the third versioned (a u32 added in version 2).
A nesting chain of depth D is D structs, each embedding the one before.

Each `generate` and `check` runs in a process of its own (`python -m wiregen`), timed from start
to exit; its peak memory is that process's maximum resident set size. `check` runs on the tree
`generate` has just written, unchanged. Not collected by pytest: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench-generator"


def synthetic(n: int) -> str:
    """A schema of `n` types (see the module doc)."""
    enums, bitmaps, structs = [], [], []
    for i in range(n):
        k = i % 5
        base = i - k
        if k == 0:
            values = "\n".join(f"      - {{name: VALUE_{j}, value: {j}, doc: Value {j} of Kind{i}.}}" for j in range(4))
            enums.append(f"  - name: Kind{i}\n    type: u16\n    doc: Enum number {i}.\n    values:\n{values}")
        elif k == 1:
            bitmaps.append(
                f"  - name: Flags{i}\n    type: u32\n    doc: Bitmap number {i}.\n    fields:\n"
                "      - {name: ready, bit: 0, doc: Ready.}\n      - {name: busy, bit: 1}\n"
                f"      - {{name: kind, bits: [4, 5], type: Kind{base}}}\n      - {{name: level, bits: [8, 15], type: u8}}"
            )
        else:
            fields = [
                f"      - {{name: id, type: u32, doc: Identifier of record {i}.}}",
                f"      - {{name: {'version' if k == 4 else 'count'}, type: u16}}",
                f"      - {{name: kind, type: Kind{base}}}",
                f"      - {{name: flags, type: Flags{base + 1}}}",
                "      - {name: values, type: 'i16[4]'}",
            ]
            head = f"  - name: Record{i}\n    doc: Struct number {i}.\n"
            if k == 3 and i - 1 >= 0:
                fields.append(f"      - {{name: inner, type: Record{i - 1}}}")
            if k == 4:
                head += "    version_field: version\n"
                fields.append("      - {name: extra, type: u32, since: 2, doc: Added in version 2.}")
            structs.append(head + "    fields:\n" + "\n".join(fields))
    parts = ["schema: synth", "title: Synthetic", "endian: little", "versions: [1, 2]"]
    parts += ["enums:", *enums] if enums else []
    parts += ["bitmaps:", *bitmaps] if bitmaps else []
    parts += ["structs:", *structs] if structs else []
    return "\n".join(parts) + "\n"


def chain(depth: int) -> str:
    """`depth` structs, each embedding the one before as its last field."""
    structs = ["  - name: Level0\n    fields:\n      - {name: value, type: u32}"]
    for d in range(1, depth):
        structs.append(f"  - name: Level{d}\n    fields:\n      - {{name: tag, type: u32}}\n      - {{name: inner, type: Level{d - 1}}}")
    return "schema: chain\nendian: little\nstructs:\n" + "\n".join(structs) + "\n"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds from start to exit, and peak resident memory in MB, of `python -m wiregen ARGS`."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "wiregen", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"wiregen {' '.join(args)} failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss // 1024


def measure(name: str, text: str) -> dict[str, float]:
    where = BUILD / name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    (where / "schema.yaml").write_text(text)
    # generate with an empty cache of its own (it remembers black's output), as on a fresh clone;
    # check then finds what generate remembered
    cache = dict(os.environ, WIREGEN_CACHE_DIR=str(where / "cache"))
    gen_s, gen_mb = run(["generate", "schema.yaml", "--out", "out"], where, cache)
    written = sum(p.stat().st_size for p in (where / "out").rglob("*") if p.is_file())
    check_s, check_mb = run(["check", "schema.yaml", "--out", "out"], where, cache)
    # and with an empty cache again: check renders everything
    cold = dict(os.environ, WIREGEN_CACHE_DIR=str(where / "empty-cache"))
    cold_s, _ = run(["check", "schema.yaml", "--out", "out"], where, cold)
    return {"generate": gen_s, "memory": gen_mb, "written": written / 1e6, "check": check_s, "check_memory": check_mb, "cold": cold_s}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", default="10,100,1000,10000", help="comma-separated type counts")
    ap.add_argument("--depths", default="50,100", help="comma-separated nesting depths")
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.types.split(",") if x]
    depths = [int(x) for x in args.depths.split(",") if x]
    print("| synthetic schema | `generate` | peak memory | written | `check`, unchanged tree | `check`, no cache | time vs 10× fewer types |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    previous: dict[int, float] = {}
    for n in counts:
        r = measure(f"types-{n}", synthetic(n))
        growth = f"{r['generate'] / previous[n // 10]:.1f}×" if n // 10 in previous else ""
        previous[n] = r["generate"]
        print(f"| {n:,} types | {r['generate']:.2f} s | {r['memory']} MB | {r['written']:.1f} MB | {r['check']:.2f} s | {r['cold']:.2f} s | {growth} |", flush=True)
    for d in depths:
        r = measure(f"depth-{d}", chain(d))
        print(f"| nesting depth {d} | {r['generate']:.2f} s | {r['memory']} MB | {r['written']:.1f} MB | {r['check']:.2f} s | {r['cold']:.2f} s | |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
