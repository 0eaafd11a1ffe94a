"""`make bench`: the generated Python codec against its peers, and Rust dispatch against hand-written
code, in one run; writes the Markdown report docs/benchmarks.md and prints it.

Every repeat times every (message, operation, peer) once, peers interleaved, so a slow moment of the
machine falls on all of them alike; the report gives the median of the repeats and its ratio to the
hand-written `struct` baseline (below 1.00x is faster). Operations:
  decode           bytes -> object (`from_bytes`, or what the peer has for it)
  encode           object -> bytes, of an object decoded before timing
  decode + access  decode, then read two fields nested in it (what a reader of a message does)
The peers are in tests/bench_peers.py. Kaitai Struct's compiler is installed from npm into
build/bench/ when node and npm are there (its runtime, like construct, from PyPI by `make bench`).

Not collected by pytest: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_peers as peers  # noqa: E402

KAITAI_COMPILER = "kaitai-struct-compiler@0.11.0"

# (message, what it is, the two fields read by decode + access)
MESSAGES = [
    ("response", "IGVM `IgvmAttestKeyReleaseResponseHeader` v2 (32 B)", "h.error_info.error_code, h.error_info.igvm_signal.retry"),
    ("request", "IGVM `IgvmAttestRequestHeader` (32 B, magic `HCLA`)", "h.request_type, h.report_size"),
    ("holder", "zoo `Holder`, the largest type (80 B)", "h.points[1].y, h.big.count"),
    ("framed", "zoo `Framed` v3, the most nested type (48 B)", "h.body.inner.extra, h.tags[1].flags.mode"),
]
OPERATIONS = ["decode", "encode", "decode + access"]
GENERATED = "generated (this project)"
COMPILED = "generated, compiled by mypyc"
BASELINE = "hand-written `struct` baseline"


# --- the subjects --------------------------------------------------------------------------


def generated_modules() -> tuple[Any, Any]:
    """The generated IGVM module (generated/python) and the zoo's (generated into build/bench)."""
    sys.path.insert(0, str(ROOT / "generated" / "python"))
    from wiregen import load_file, output

    zoo = load_file(ROOT / "tests" / "schemas" / "zoo.yaml")
    out = BUILD / "zoo"
    output.write(output.render_all([zoo]), out)
    sys.path.insert(0, str(out / "python"))
    import igvm_attest
    import zoo as zoo_module

    return igvm_attest, zoo_module


def compiled_modules() -> tuple[tuple[Any, Any] | None, str]:
    """The same two modules compiled by mypyc (`wiregen compile`), loaded beside the Python ones
    under the same names; and a note."""
    from wiregen import load_file
    from wiregen.errors import ToolError
    from wiregen.mypyc_build import build

    try:
        built = build([load_file(ROOT / "schema" / "igvm_attest.yaml"), load_file(ROOT / "tests" / "schemas" / "zoo.yaml")], BUILD / "mypyc")
    except ToolError as e:
        return None, f"not measured: {e}"
    loaded = []
    for ext, _ in built:
        name = ext.name.split(".")[0]
        python_module = sys.modules.pop(name)
        spec = importlib.util.spec_from_file_location(name, ext)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        sys.modules[name] = python_module
        loaded.append(module)
    import mypy.version

    return (loaded[0], loaded[1]), f"mypyc {mypy.version.__version__}, through `wiregen compile`"


def message_bytes(zoo: Any) -> dict[str, bytes]:
    """A message of each kind, with known enum values and fields that are not all small."""
    z = zoo
    holder = z.Holder(
        points=[z.Point(1, -2), z.Point(300, 4000), z.Point(-5, 6)],
        modes=[z.Mode.SLOW, z.Mode.FAST, z.Mode.OFF, z.Mode.SLOW],
        class_=z.Packed(7, 1 << 40, 300, -5),
        fill=9,
        self_=[z.Flags16(level=3, match_=True), z.Flags16(level=1)],
        struct_=[1, -1, 2],
        big=z.Flags64(low=True, count=123456),
        wides=[z.Wide.SMALL, z.Wide.HUGE],
        to_bytes_=1 << 33,
    )
    tag = z.Tag(mode=z.Mode.FAST, flags=z.Flags8(ready=True, mode=z.Mode.SLOW))
    framed = z.Framed(
        head=tag,
        tags=[z.Tag(mode=z.Mode.SLOW), z.Tag(flags=z.Flags8(type_=True))],
        count=1000,
        body=z.Outer(head=1 << 40, inner=z.Inner(version=3, count=2, extra=70000, extra_pad=0, more=[1 << 35])),
    )
    return {
        "response": struct.pack("<8I", 40, 2, 0x1234, 503, 0b0101, 0, 0, 0),
        "request": struct.pack("<8I", peers.HCLA, 2, 1240, 1, 0, 0, 0, 0),
        "holder": holder.to_bytes(),
        "framed": framed.to_bytes(),
    }


def kaitai_parsers() -> tuple[dict[str, Any], str]:
    """Kaitai Struct's Python parsers of peers.KSY, compiled by the npm compiler; and a note."""
    try:
        import kaitaistruct  # noqa: F401
    except ImportError:
        return {}, "the kaitaistruct runtime is not installed"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return {}, "node and npm are not installed (Kaitai's compiler comes from npm)"
    where = BUILD / "kaitai"
    where.mkdir(parents=True, exist_ok=True)
    if not (where / "node_modules" / "kaitai-struct-compiler").exists():
        done = subprocess.run(["npm", "install", "--silent", "--prefix", str(where), KAITAI_COMPILER], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return {}, f"npm could not install {KAITAI_COMPILER}: {done.stderr.strip()[-300:]}"
    script = """
const compiler = require("kaitai-struct-compiler");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
(async () => {
  const out = {};
  for (const [name, ksy] of Object.entries(input)) {
    Object.assign(out, await compiler.compile("python", ksy, null, false));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""
    done = subprocess.run(["node", "-e", script], input=json.dumps(peers.KSY), capture_output=True, text=True, cwd=where, timeout=300)
    if done.returncode != 0:
        return {}, f"the Kaitai compiler failed: {done.stderr.strip()[-300:]}"
    pkg = where / "parsers"
    pkg.mkdir(exist_ok=True)
    for name, text in json.loads(done.stdout).items():
        (pkg / name).write_text(text)
    sys.path.insert(0, str(pkg))
    parsers = {}
    for name in peers.KSY:
        module = __import__(name)
        parsers[name] = getattr(module, name.capitalize())
    version = json.loads((where / "node_modules" / "kaitai-struct-compiler" / "package.json").read_text())["version"]
    return parsers, f"Kaitai Struct compiler {version} (npm), decode only (its Python target does not write)"


# --- peers: name -> (decode, encode or None) per message ----------------------------------


def peer_table(igvm: Any, zoo: Any, compiled: tuple[Any, Any] | None, kaitai: dict[str, Any]) -> dict[str, dict[str, tuple[Callable, Callable | None]]]:
    from_bytes = lambda cls: (cls.from_bytes, lambda o: o.to_bytes())  # noqa: E731
    ours = lambda igvm, zoo: {  # noqa: E731
        "response": from_bytes(igvm.IgvmAttestKeyReleaseResponseHeader),
        "request": from_bytes(igvm.IgvmAttestRequestHeader),
        "holder": from_bytes(zoo.Holder),
        "framed": from_bytes(zoo.Framed),
    }
    table: dict[str, dict[str, tuple[Callable, Callable | None]]] = {GENERATED: ours(igvm, zoo)}
    if compiled is not None:
        table[COMPILED] = ours(*compiled)
    table |= {
        BASELINE: {k: from_bytes(c) for k, c in (("response", peers.Response), ("request", peers.Request), ("holder", peers.Holder), ("framed", peers.Framed))},
        "dataclasses + `struct`": {k: from_bytes(c) for k, c in (("response", peers.DResponse), ("request", peers.DRequest), ("holder", peers.DHolder), ("framed", peers.DFramed))},
        "ctypes": {k: from_bytes(c) for k, c in (("response", peers.CResponse), ("request", peers.CRequest), ("holder", peers.CHolder), ("framed", peers.CFramed))},
    }
    built = peers.construct_peers()
    if built:
        table["construct 2.10, compiled"] = {k: (d.parse, d.build) for k, d in built.items()}
    if kaitai:
        table["Kaitai Struct"] = {k: (cls.from_bytes, None) for k, cls in kaitai.items()}
    return table


# --- correctness before speed -----------------------------------------------------------------


def _read(expr: str, h: Any) -> tuple:
    return eval(f"({expr},)", {}, {"h": h})


def check(table: dict, messages: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Every peer decodes every message to the generated module's field values and (where it
    writes) back to the same bytes; notes what each refuses."""
    notes: dict[str, dict[str, str]] = {}
    reference = table[GENERATED]
    for peer, subjects in table.items():
        notes[peer] = {}
        for name, (decode, encode) in subjects.items():
            data = messages[name]
            access = next(a for n, _, a in MESSAGES if n == name)
            want = tuple(int(x) for x in _read(access, reference[name][0](data)))
            got = tuple(int(x) for x in _read(access, decode(data)))
            assert got == want, f"{peer} reads {name} as {got}, the generated module as {want}"
            if encode is not None:
                assert encode(decode(data)) == data, f"{peer} does not write {name} back to its bytes"
            refuses = []
            for what, bad in (("short", data[:-1]), ("magic", _bad_magic(name, data))):
                if bad is None:
                    continue
                try:
                    decode(bad)
                except Exception:
                    refuses.append(what)
            notes[peer][name] = ", ".join(refuses) or "nothing"
    return notes


def _bad_magic(name: str, data: bytes) -> bytes | None:
    if name in ("request", "holder", "framed"):
        return bytes([data[0] ^ 0xFF]) + data[1:]
    return None


# --- timing ---------------------------------------------------------------------------------


def _timer(kind: str, decode: Callable, encode: Callable | None, data: bytes, access: str) -> timeit.Timer | None:
    if kind == "decode":
        return timeit.Timer("f(d)", globals={"f": decode, "d": data})
    if kind == "encode":
        if encode is None:
            return None
        return timeit.Timer("f(o)", globals={"f": encode, "o": decode(data)})
    return timeit.Timer(f"h = f(d); {access.replace(', ', '; ')}", globals={"f": decode, "d": data})


def measure(table: dict, messages: dict[str, bytes], repeats: int, budget: float) -> dict[tuple[str, str, str], float]:
    """Median seconds per operation of every (message, operation, peer), peers interleaved."""
    timers = {}
    for name, _, access in MESSAGES:
        for kind in OPERATIONS:
            for peer, subjects in table.items():
                decode, encode = subjects[name]
                t = _timer(kind, decode, encode, messages[name], access)
                if t is not None:
                    n, took = t.autorange()
                    timers[(name, kind, peer)] = (t, max(1, int(n * budget / took)))
    samples: dict[tuple[str, str, str], list[float]] = {key: [] for key in timers}
    for _ in range(repeats):
        for key, (t, n) in timers.items():
            samples[key].append(t.timeit(n) / n)
    return {key: statistics.median(v) for key, v in samples.items()}


# --- Rust: decode with the crate's dispatch against a hand-written one ------------------------

RUST_BENCH = r"""
//! Decode with dispatch: the generated crate's `layout_version` against the version read by hand,
//! on the zoo's `Inner` (three layouts; the IGVM structs have one each, their messages the versions).
use std::hint::black_box;
use std::time::Instant;

use zerocopy::FromBytes;
use zoo::{Inner, InnerV1, InnerV2};

/// What a careful engineer writes: the version read in place, then the layout it selects.
#[inline(never)]
fn hand_written(bytes: &[u8]) -> Option<u32> {
    let version = u16::from_le_bytes(bytes.get(0..2)?.try_into().ok()?);
    if version >= 3 {
        let (h, _) = Inner::read_from_prefix(bytes).ok()?;
        Some(u32::from(h.count) ^ h.extra)
    } else if version >= 2 {
        let (h, _) = InnerV2::read_from_prefix(bytes).ok()?;
        Some(u32::from(h.count) ^ h.extra)
    } else {
        let (h, _) = InnerV1::read_from_prefix(bytes).ok()?;
        Some(u32::from(h.count))
    }
}

/// The same through the crate's dispatch, as its README shows.
#[inline(never)]
fn generated(bytes: &[u8]) -> Option<u32> {
    match Inner::layout_version(bytes).ok()? {
        3 => {
            let (h, _) = Inner::read_from_prefix(bytes).ok()?;
            Some(u32::from(h.count) ^ h.extra)
        }
        2 => {
            let (h, _) = InnerV2::read_from_prefix(bytes).ok()?;
            Some(u32::from(h.count) ^ h.extra)
        }
        _ => {
            let (h, _) = InnerV1::read_from_prefix(bytes).ok()?;
            Some(u32::from(h.count))
        }
    }
}

fn time(f: fn(&[u8]) -> Option<u32>, messages: &[Vec<u8>], n: usize) -> f64 {
    let start = Instant::now();
    let mut sum = 0u32;
    for i in 0..n {
        sum = sum.wrapping_add(f(black_box(&messages[i & 1])).unwrap_or(0));
    }
    black_box(sum);
    start.elapsed().as_secs_f64() * 1e9 / n as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut v3 = vec![0u8; 24];
    v3[0..2].copy_from_slice(&3u16.to_le_bytes());
    v3[2..4].copy_from_slice(&2u16.to_le_bytes());
    v3[8..12].copy_from_slice(&70000u32.to_le_bytes());
    let messages = vec![v3.clone(), v3];
    let n = 20_000_000;
    let (mut hand, mut gen) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        hand.push(time(hand_written, &messages, n));
        gen.push(time(generated, &messages, n));
    }
    println!("{{\"hand\": {}, \"generated\": {}}}", median(hand), median(gen));
}
"""


def rust_dispatch() -> tuple[dict[str, float] | None, str]:
    if shutil.which("cargo") is None:
        return None, "cargo is not installed"
    crate = BUILD / "rust"
    (crate / "src").mkdir(parents=True, exist_ok=True)
    generated = ROOT / "generated" / "rust"
    zoo = BUILD / "zoo" / "rust" / "zoo"  # generated_modules() writes it
    manifest = zoo / "Cargo.toml"
    zerocopy = next(line for line in manifest.read_text().splitlines() if line.startswith("zerocopy"))
    (crate / "Cargo.toml").write_text(
        "[package]\nname = \"wiregen_bench\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n"
        f"[dependencies]\nzoo = {{ path = {json.dumps(str(zoo))} }}\n{zerocopy}\n\n[profile.release]\ncodegen-units = 1\n"
    )
    (crate / "src" / "main.rs").write_text(RUST_BENCH)
    if not (crate / "Cargo.lock").exists():
        shutil.copy(generated / "Cargo.lock", crate / "Cargo.lock")
    env = dict(os.environ, CARGO_TARGET_DIR=str(BUILD / "cargo-target"))
    done = subprocess.run(["cargo", "run", "--quiet", "--release"], cwd=crate, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return None, f"the Rust bench failed: {done.stderr[-500:]}"
    return json.loads(done.stdout), "release build, 20 M decodes per sample, median of 15 samples"


# --- dataclass or plain class: what defining the classes costs -----------------------------------


def class_definitions(classes: int = 200) -> dict[str, float]:
    """Seconds to define `classes` six-field classes, as `@dataclass(slots=True)` and as a plain
    class with `__slots__` and its own `__init__` (what the generated module writes): a module's
    import pays it once per class."""
    fields = ["a", "b", "c", "d", "e", "f"]
    dataclass = "from dataclasses import dataclass\n" + "".join(
        f"@dataclass(slots=True)\nclass C{i}:\n" + "".join(f"    {f}: int = 0\n" for f in fields) for i in range(classes)
    )
    params = ", ".join(f"{f}: int = 0" for f in fields)
    plain = "".join(
        f"class C{i}:\n    __slots__ = {tuple(fields)!r}\n    def __init__(self, {params}) -> None:\n"
        + "".join(f"        self.{f} = {f}\n" for f in fields)
        for i in range(classes)
    )
    out = {}
    for name, source in (("dataclass(slots=True)", dataclass), ("plain class with __slots__", plain)):
        code = compile(source, name, "exec")
        out[name] = min(timeit.repeat(lambda: exec(code, {}), number=1, repeat=5))
    return out


# --- report -------------------------------------------------------------------------------


def _ns(seconds: float) -> str:
    ns = seconds * 1e9
    return f"{ns:,.0f} ns" if ns >= 10 else f"{ns:.1f} ns"


def report(table: dict, times: dict, notes: dict, kaitai_note: str, compiled_note: str, rust: tuple, repeats: int, elapsed: float, definitions: dict[str, float]) -> str:
    base = BASELINE
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (tests/bench_codecs.py); rerun it to check. "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; {repeats} repeats, peers interleaved "
        f"in each; the median of the repeats and its ratio to the hand-written `struct` baseline (below 1.00× is faster). Took {elapsed:.0f} s.",
        "",
        "The generated module is measured twice: as Python (the file `wiregen generate` writes), and **compiled by mypyc** "
        + (f"(the same module rendered for mypyc and compiled by {compiled_note})." if compiled_note.startswith("mypyc") else f"(compiled: {compiled_note}).")
        + " Peers (tests/bench_peers.py): the **baseline** is what a careful engineer writes by hand: `__slots__` classes with "
        "constructors and one precompiled `struct.Struct` per message, one unpack and one pack, enums kept as plain integers "
        "(cheaper than the generated module's open-enum objects). **dataclasses** is the same with `@dataclass`. **ctypes** "
        "reads fields in C from a copy of the bytes, on access. **construct** is compiled. " + (f"**Kaitai Struct**: {kaitai_note}." if "compiler" in kaitai_note else f"Kaitai Struct is not measured: {kaitai_note}."),
        "",
    ]
    for name, title, access in MESSAGES:
        lines += [f"## {title}", "", f"decode + access reads `{access}`.", "", "| peer | decode | encode | decode + access | refuses |", "|---|---:|---:|---:|---|"]
        for peer in table:
            cells = []
            for kind in OPERATIONS:
                t = times.get((name, kind, peer))
                if t is None:
                    cells.append("—")
                    continue
                ratio = t / times[(name, kind, base)]
                text = f"{_ns(t)} · {ratio:.2f}×"
                cells.append(f"**{text}**" if peer.startswith("generated") else text)
            lines.append(f"| {peer} | {' | '.join(cells)} | {notes[peer][name]} |")
        lines.append("")
    lines += ["## Rust: decode with dispatch", ""]
    result, note = rust
    if result is None:
        lines.append(f"Not measured: {note}.")
    else:
        ratio = result["generated"] / result["hand"]
        lines += [
            "Reading a version 3 zoo `Inner` (and two of its fields) through the crate's `layout_version` dispatch, "
            "against the version read in place by hand (the IGVM structs have one layout each: their messages carry "
            "the versions); " + note + ".",
            "",
            "| decode | time | ratio |",
            "|---|---:|---:|",
            f"| hand-written dispatch | {_ns(result['hand'] * 1e-9)} | 1.00× |",
            f"| `layout_version` (generated, `#[inline]`) | {_ns(result['generated'] * 1e-9)} | **{ratio:.2f}×** |",
            "",
        ]
    lines += [
        "## Dataclass or plain class",
        "",
        "As Python, decoding does not call a constructor (the generated module builds objects with `object.__new__`), so a "
        "dataclass's generated `__init__` would only serve user code, where it is a Python frame like a written one "
        "(the dataclasses row above is the baseline's code with `@dataclass`). What differs is the cost of defining the classes, "
        "paid at every import: `@dataclass` builds each class's methods from source at run time.",
        "",
        "| 200 classes of six fields | defined in |",
        "|---|---:|",
        *(f"| {name} | {seconds * 1e3:.1f} ms |" for name, seconds in definitions.items()),
        "",
        "So the generated classes are plain classes with `__slots__` and a written `__init__`, and the equality and repr "
        "a dataclass would give come from one shared base class.",
        "",
        "## Reading the tables",
        "",
        "- The generated module decodes a layout of up to 32 items (each one here) with one `unpack` and one Python frame: "
        "nested structs and bitmaps are built in place (`object.__new__` and slot stores, no constructor calls), enums are "
        "looked up in a map of their singletons, and a magic number is checked on the unpacked items. Encoding checks every "
        "bit field with one test and every array length, passes the items of a small array one by one (a `*` spread costs "
        "more than the items) and packs one flat tuple.",
        "- As Python, a flat struct (the request header) leaves nothing to gain over the baseline but its constructor call, "
        "and pure-Python objects built eagerly stop at about 0.8× on the nested headers; only ctypes' views, written in C, "
        "decode in less (and read each field through a C call, not a slot).",
        "- Compiled by mypyc, the same code runs without the interpreter, objects made by their constructors (direct calls "
        "once compiled; each class keeps a free list of one object and is not tracked by the cycle collector). A field read "
        "from Python goes through a C getter (and an integer field is boxed), which costs more than a slot read: the "
        "decode + access column pays it.",
        "- The baseline pays a constructor call per object and keeps enums as plain integers; ctypes pays nothing until a field is "
        "read, then a C call per field; construct and Kaitai interpret or walk a declaration per field.",
        "- `refuses` is what each peer refuses of the message one byte short and, where the message has a magic number, with it wrong.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--budget", type=float, default=0.02, help="seconds per sample")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-rust", action="store_true")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    igvm, zoo = generated_modules()
    compiled, compiled_note = compiled_modules()
    messages = message_bytes(zoo)
    kaitai, kaitai_note = kaitai_parsers()
    table = peer_table(igvm, zoo, compiled, kaitai)
    notes = check(table, messages)
    gc.collect()
    times = measure(table, messages, args.repeats, args.budget)
    rust = (None, "not asked for (--no-rust)") if args.no_rust else rust_dispatch()
    definitions = class_definitions()
    text = report(table, times, notes, kaitai_note, compiled_note, rust, args.repeats, time.perf_counter() - start, definitions)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
