"""The differential conformance harness: every target reads and writes the same bytes as the same values.

Each target is a codec program (see the codec entry points generated beside each
target's code) that reads `TYPE VERSION HEX` lines and prints one JSON line per
case. A batch of cases is sent to every target in one process each; the answers
are compared case by case, and with the layout engine's reference codec.
A mismatch is reported with the type, the field and the differing bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import random
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from wiregen import codec
from wiregen.model import Bitmap, Enum, Message, Schema, Struct
from wiregen.targets.vectors import _Maker, build_line, magic_fields, parse_answer, wrong_magic


@dataclass(frozen=True)
class Case:
    type: str
    version: str  # "auto" or a layout version
    data: bytes

    @property
    def line(self) -> str:
        return f"{self.type} {self.version} {self.data.hex() or '-'}"


@dataclass
class Target:
    name: str
    argv: list[str]
    cwd: Path | None = None

    def run(self, cases: list[Case]) -> list[str]:
        """The answer lines of the codec to `cases` (JSON text, compared as text: every codec prints
        the same canonical JSON, as the vector tests prove)."""
        text = "".join(c.line + "\n" for c in cases)
        proc = subprocess.run(self.argv, input=text, capture_output=True, text=True, cwd=self.cwd, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} codec failed ({proc.returncode}): {proc.stderr[-2000:]}")
        out = proc.stdout.splitlines()
        if len(out) != len(cases):
            raise RuntimeError(f"{self.name} codec answered {len(out)} lines for {len(cases)} cases")
        return out


def run_all(targets: list[Target], cases: list[Case]) -> dict[str, list[str]]:
    """Every target's answers to `cases`, the targets' processes running at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        runs = {t.name: pool.submit(t.run, cases) for t in targets}
        return {name: run.result() for name, run in runs.items()}


@contextlib.contextmanager
def exclusive(place: Path) -> Iterator[None]:
    """Hold `place`'s lock file: test processes running side by side (pytest -n) build one place
    one at a time, so each finds it built or builds it alone."""
    place.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{place}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def install(built: Path, dest: Path) -> None:
    """Put a built program at `dest` by renaming a copy, never by writing over `dest`, which
    another process may be running."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
    shutil.copy2(built, tmp)
    os.replace(tmp, dest)


def python_target(out_dir: Path, schema: str) -> Target:
    return Target("python", [sys.executable, str(out_dir / "python" / f"codec_{schema}.py")])


@functools.cache
def compiled_python(schema_file: Path, out_dir: Path, build_dir: Path) -> Path:
    """The module of the schema in `schema_file` compiled by mypyc (as `wiregen compile` does) into
    `build_dir`/python, beside copies of its codec and its generated tests from `out_dir` (their
    vectors copied to `build_dir`/vectors): there, `import <schema>` is the compiled module. A
    module that did not change is not compiled again (nor rendered again in one test session)."""
    from wiregen import load_file
    from wiregen.mypyc_build import build

    where = build_dir / "python"
    loaded = load_file(schema_file)
    schema = loaded.name
    with exclusive(build_dir):
        build([loaded], where)
        for name in (f"codec_{schema}.py", f"test_{schema}.py"):
            shutil.copyfile(out_dir / "python" / name, where / name)
        (build_dir / "vectors").mkdir(exist_ok=True)
        shutil.copyfile(out_dir / "vectors" / f"{schema}.txt", build_dir / "vectors" / f"{schema}.txt")
    return where


def mypyc_target(schema_file: Path, out_dir: Path, schema: str, build_dir: Path) -> Target:
    """The Python codec of `schema` run on its module compiled by mypyc."""
    where = compiled_python(schema_file, out_dir, build_dir)
    return Target("python (mypyc)", [sys.executable, str(where / f"codec_{schema}.py")])


def c_target(out_dir: Path, schema: str, build_dir: Path) -> Target:
    """The C codec of `schema` in `out_dir` (c/codec_<schema>.c beside its header), built into
    `build_dir` as C11 with the C target's own flags: warnings as errors, ASan and UBSan."""
    import c_toolchain

    src = out_dir / "c" / f"codec_{schema}.c"
    exe = build_dir / f"codec_{schema}"
    build_dir.mkdir(parents=True, exist_ok=True)
    built = build_dir / f".codec_{schema}.{os.getpid()}"
    c_toolchain.run(["gcc", *c_toolchain.C11, *c_toolchain.WARNINGS, *c_toolchain.SANITIZERS, "-O1", "-o", str(built), str(src)], quiet=True)
    os.replace(built, exe)
    return Target("c", [str(exe)])


def rust_target(out_dir: Path, schema: str, target_suffix: str = "") -> Target:
    """The generated crate's codec example (`<out_dir>/rust/<schema>/examples/codec.rs`), built.

    It is built in release mode in the shared cargo target directory (CARGO_TARGET_DIR, as the
    Makefile sets it; by default build/cargo-target), with `--locked` where the workspace has a
    Cargo.lock; a workspace without one (the zoo's) starts from the project's. Two workspaces with
    a crate of one name (the zoo's and a scratch copy of it) build the same `examples/codec_<schema>`
    there, so the binary is copied at once to a path of the workspace's own. Cargo names a path
    crate's artifacts by its path inside its workspace, so two workspaces whose crates differ (the
    live schema's and the IGVM fixture's) pass a `target_suffix`: a target directory of their own.
    """
    repo = Path(__file__).resolve().parent.parent
    workspace = out_dir / "rust"
    target_dir = Path(str(os.environ.get("CARGO_TARGET_DIR") or repo / "build" / "cargo-target") + target_suffix)
    locked = ["--locked"] if (workspace / "Cargo.lock").exists() else []
    if not locked:
        shutil.copy(repo / "generated" / "rust" / "Cargo.lock", workspace / "Cargo.lock")
    argv = ["cargo", "build", "--quiet", "--release", *locked, "-p", schema, "--example", f"codec_{schema}"]
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir))
    key = hashlib.sha256(str(workspace.resolve()).encode()).hexdigest()[:12]
    binary = target_dir / "conformance" / f"{schema}-{key}" / "codec"
    with exclusive(target_dir / "conformance"):  # no other workspace's codec_<schema> lands before the copy
        done = subprocess.run(argv, cwd=workspace, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"cargo build of the {schema} codec in {workspace} failed:\n{done.stderr[-6000:]}")
        install(target_dir / "release" / "examples" / f"codec_{schema}", binary)
    return Target("rust", [str(binary)])


def load_python_module(out_dir: Path, schema: str):
    """The generated codec module (and with it the generated module) of `schema` in `out_dir`."""
    path = out_dir / "python"
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    for name in (schema, f"codec_{schema}"):
        sys.modules.pop(name, None)
    spec = importlib.util.spec_from_file_location(f"codec_{schema}", path / f"codec_{schema}.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


# --- cases ------------------------------------------------------------------------


def types_of(schema: Schema) -> list[Enum | Bitmap | Struct]:
    return list(schema.types)


def value_cases(schema: Schema, rng: random.Random, per_layout: int) -> list[tuple[Any, int | None, Any]]:
    """Random field values within each field's range, for every type and layout: (type, layout, value).

    Unknown enum values and set reserved bits come up as often as known ones.
    """
    out: list[tuple[Any, int | None, Any]] = []
    for t in types_of(schema):
        if isinstance(t, Struct):
            n = max(per_layout // max(1, t.size // 256), 50)
            for lay in t.layouts:
                for _ in range(n):
                    mode = rng.choice(("random", "random", "random", "max", "min", "reserved", "unknown", "edge", "zero"))
                    out.append((t, lay.version, _Maker(mode, random.Random(rng.getrandbits(64))).struct(t, lay.version)))
        elif isinstance(t, Bitmap):
            for _ in range(per_layout):
                out.append((t, None, codec.bitmap_value(t, rng.choice((rng.getrandbits(t.type.bits), t.reserved_mask, t.type.max, 0)))))
        else:
            for _ in range(per_layout):
                pick = rng.random()
                v = rng.choice(t.values).value if pick < 0.5 else rng.choice((t.type.min, t.type.max, rng.randint(t.type.min, t.type.max)))
                out.append((t, None, v))
    return out


def raw_cases(schema: Schema, rng: random.Random, per_type: int) -> list[Case]:
    """Random byte strings shorter, exactly as long as and longer than each layout, with version
    fields set to known, older, newer and arbitrary values."""
    cases = []
    for t in types_of(schema):
        sizes = [lay.size for lay in t.layouts] if isinstance(t, Struct) else [t.type.size]
        for _ in range(per_type):
            size = rng.choice(sizes)
            n = rng.choice((0, 1, max(size - 1, 0), size, size, size, size + 1, size + rng.randint(2, 16), rng.randint(0, size + 8)))
            data = bytearray(rng.randbytes(n))
            if isinstance(t, Struct) and t.versioned and rng.random() < 0.7:
                vt = t.version_type
                scalar = vt.type if isinstance(vt, Enum) else vt
                end = t.version_offset + scalar.size
                if n >= end:
                    known = [lay.version for lay in t.layouts]
                    v = rng.choice(known + [0, known[-1] + 1, scalar.max, rng.randint(max(scalar.min, 0), scalar.max)])
                    data[t.version_offset : end] = v.to_bytes(scalar.size, "little", signed=scalar.signed)
            _set_magic(t, data, rng)
            cases.append(Case(t.name, "auto", bytes(data)))
    return cases


def _set_magic(t: Any, data: bytearray, rng: random.Random) -> None:
    """Mostly, the magic numbers of struct `t` written where `data` has room for them (random
    bytes would almost never hold them, and refusing them is all a target would show)."""
    if not isinstance(t, Struct) or rng.random() < 0.2:
        return
    for _, f, at in magic_fields(t, t.newest.version):
        s = f.type.target.type if isinstance(f.type.target, Enum) else f.type.target
        if at + s.size <= len(data) and rng.random() < 0.95:
            data[at : at + s.size] = f.value.to_bytes(s.size, "little", signed=s.signed)


def explicit_cases(schema: Schema, rng: random.Random, per_layout: int) -> list[Case]:
    """Random byte strings read as each layout of each versioned struct by number (VERSION K),
    shorter, exactly as long as and longer than that layout. The version field holds whatever
    the bytes give, so it mostly names another layout than the one read."""
    cases = []
    for t in types_of(schema):
        if not (isinstance(t, Struct) and t.versioned):
            continue
        for lay in t.layouts:
            for _ in range(per_layout):
                n = rng.choice((0, lay.size - 1, lay.size, lay.size, lay.size + rng.randint(1, 16), rng.randint(0, lay.size)))
                data = bytearray(rng.randbytes(n))
                _set_magic(t, data, rng)
                cases.append(Case(t.name, str(lay.version), bytes(data)))
    return cases


# --- comparing ----------------------------------------------------------------------


def _field_at(st: Struct, layout: int, offset: int, prefix: str = "") -> str:
    """The dotted path of the field that holds byte `offset` of layout `layout` of `st`."""
    for f in st.layout_for(layout).fields:
        inner = f.type.target
        nested = isinstance(inner, Struct) and not f.type.is_array
        size = inner.size_in(layout) if nested else f.size
        if not f.offset <= offset < f.offset + size:
            continue
        path, rel = prefix + f.name, offset - f.offset
        if f.type.is_array:
            index, rel = divmod(rel, f.size // (f.type.count or 1))
            path += f"[{index}]"
        if isinstance(inner, Struct):
            return _field_at(inner, layout if nested else inner.newest.version, rel, path + ".")
        return path
    return prefix + "(beyond the fields)"


def _value_diffs(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}{k}: present in only one")
            else:
                out += _value_diffs(a[k], b[k], f"{path}{k}.")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += _value_diffs(x, y, f"{path[:-1]}[{i}].")
        return out
    return [] if a == b else [f"{path[:-1] or '(value)'}: {a!r} != {b!r}"]


def _encoded(t: Any, value: Any, layout: int | None) -> bytes | None:
    """`value` as the layout engine encodes it, or None when it is no value of `t` at all."""
    try:
        return codec.encode(t, value, layout)
    except (codec.CodecError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _byte_lines(t: Any, layout: int | None, what: str, name_a: str, ha: bytes, name_b: str, hb: bytes) -> list[str]:
    """Where two byte strings of type `t` differ: the offsets and the fields there."""
    if ha == hb:
        return []
    diff = [i for i in range(max(len(ha), len(hb))) if i >= len(ha) or i >= len(hb) or ha[i] != hb[i]]
    where = sorted({_field_at(t, layout, i) for i in diff if i < t.size_in(layout)}) if isinstance(t, Struct) else [t.name]
    return [
        f"  {what} differ at offsets {diff[:16]}{' ...' if len(diff) > 16 else ''} (fields {', '.join(where)})",
        f"    {name_a}: {ha.hex()}",
        f"    {name_b}: {hb.hex()}",
    ]


def describe(schema: Schema, case: Case, name_a: str, a: dict, name_b: str, b: dict) -> str:
    """One mismatch, naming the type, the fields and the differing bytes.

    A target that reads a field from the wrong bytes writes it back to the same wrong bytes,
    so its own re-encoding can match while its values do not: differing values are also shown
    as the bytes the layout engine encodes them to."""
    head = f"{case.type} (VERSION {case.version}, {len(case.data)} bytes in): {name_a} and {name_b} disagree"
    lines = [head]
    if "error" in a or "error" in b:
        lines.append(f"  {name_a}: {a}")
        lines.append(f"  {name_b}: {b}")
        return "\n".join(lines)
    t = schema.type(case.type)
    if t is None:  # a message: its answers side by side, then the parts that differ
        lines.append(f"  {name_a}: {json.dumps(a)}")
        lines.append(f"  {name_b}: {json.dumps(b)}")
        for d in _value_diffs(a.get("parts"), b.get("parts")):
            lines.append(f"  part {d}")
        return "\n".join(lines)
    if a.get("layout") != b.get("layout"):
        lines.append(f"  layout: {name_a} {a.get('layout')} vs {name_b} {b.get('layout')}")
    layout = a.get("layout") or b.get("layout")
    value_diffs = _value_diffs(a.get("value"), b.get("value"))
    for d in value_diffs:
        lines.append(f"  field {d}")
    if value_diffs and t is not None:
        ea, eb = _encoded(t, a.get("value"), a.get("layout")), _encoded(t, b.get("value"), b.get("layout"))
        if ea is not None and eb is not None:
            lines += _byte_lines(t, layout, "the values as bytes (encoded by the layout engine)", name_a, ea, name_b, eb)
    if t is not None:
        lines += _byte_lines(t, layout, "bytes", name_a, bytes.fromhex(a.get("hex", "")), name_b, bytes.fromhex(b.get("hex", "")))
    if a.get("rest") != b.get("rest"):
        lines.append(f"  rest: {a.get('rest')} vs {b.get('rest')}")
    return "\n".join(lines)


@dataclass
class Report:
    cases: int
    mismatches: list[str]

    def __bool__(self) -> bool:
        return not self.mismatches


def text(answer: dict[str, Any]) -> str:
    """An answer as every codec prints it."""
    return json.dumps(answer, separators=(",", ":"))


def compare(schema: Schema, cases: list[Case], answers: dict[str, list[str]], limit: int = 20) -> Report:
    """Every target's answer to every case must be the same (the same text)."""
    names = list(answers)
    bad: list[str] = []
    for i, case in enumerate(cases):
        first = answers[names[0]][i]
        for other in names[1:]:
            if answers[other][i] != first:
                a, b = json.loads(first), json.loads(answers[other][i])
                if a == b:
                    continue
                bad.append(describe(schema, case, names[0], a, other, b))
                break
        if len(bad) >= limit:
            break
    return Report(len(cases), bad)


def round_trip(schema: Schema, py_codec, targets: list[Target], values: list[tuple[Any, int | None, Any]]) -> Report:
    """Values encoded by the generated Python module, decoded and re-encoded by every target."""
    cases: list[Case] = []
    expected: list[str] = []
    bad: list[str] = []
    for t, layout, value in values:
        reference = codec.encode(t, value, layout)
        try:
            obj = py_codec.build(t.name, value)
            data = struct.pack("<" + py_codec.ENUM_CODES[t.name], obj) if isinstance(t, Enum) else obj.to_bytes()
        except (ValueError, struct.error) as e:
            bad.append(f"{t.name} (layout {layout}): the Python module refuses to encode {value!r}: {e}")
            data = reference
        if data != reference:
            head = f"{t.name} (layout {layout}): the Python module and the layout engine encode the same values differently"
            bad.append("\n".join([head, *_byte_lines(t, layout, "bytes", "layout engine", reference, "python", data)]))
        cases.append(Case(t.name, str(layout) if layout is not None else "auto", data))
        expected.append(text({"type": t.name, "layout": layout, "value": value, "hex": reference.hex(), "rest": 0}))
    answers = {"layout engine": expected, **run_all(targets, cases)}
    report = compare(schema, cases, answers)
    report.mismatches = bad[:20] + report.mismatches
    return report


def raw_agreement(schema: Schema, targets: list[Target], cases: list[Case]) -> Report:
    """Raw bytes: all targets decode to the same values and bytes, or all refuse; and every
    dispatch agrees with the layout engine."""
    answers = run_all(targets, cases)
    report = compare(schema, cases, answers)
    first = [json.loads(a) for a in answers[targets[0].name]]
    for case, ans in zip(cases, first):
        t = schema.type(case.type)
        if isinstance(t, Struct) and ans.get("error") != "short":
            layout = t.layout_for(codec.read_version(t, case.data)).version if t.versioned else t.newest.version
            wrong = wrong_magic(t, layout, case.data)
            if wrong != ans.get("field"):
                report.mismatches.append(f"{case.type}: the layout engine finds magic number {wrong} wrong, the targets answer {ans} for {case.line}")
        if not isinstance(t, Struct) or "error" in ans or not t.versioned:
            continue
        expected = t.layout_for(codec.read_version(t, case.data)).version
        if ans["layout"] != expected:
            report.mismatches.append(f"{case.type}: dispatch chose layout {ans['layout']}, the layout engine {expected} for {case.line}")
    return report


def explicit_agreement(schema: Schema, targets: list[Target], cases: list[Case]) -> Report:
    """VERSION K reads and writes exactly layout K whatever the version field holds: every target
    answers as the layout engine does."""
    expected: list[str] = []
    for case in cases:
        t = schema.type(case.type)
        layout = int(case.version)
        size = t.size_in(layout)
        if len(case.data) < size:
            expected.append(text({"type": t.name, "error": "short", "needed": size, "given": len(case.data)}))
            continue
        wrong = wrong_magic(t, layout, case.data)
        if wrong is not None:
            expected.append(text({"type": t.name, "error": "magic", "field": wrong}))
            continue
        value = codec._get_struct(case.data, 0, t, layout)
        hex_ = codec.encode(t, value, layout).hex()
        expected.append(text({"type": t.name, "layout": layout, "value": value, "hex": hex_, "rest": len(case.data) - size}))
    answers = {"layout engine": expected, **run_all(targets, cases)}
    return compare(schema, cases, answers)


# --- messages -----------------------------------------------------------------------------
#
# Message lines: `MESSAGE parse HEX` and `MESSAGE build:FLAGS HEX` (FLAGS: 1 or 0 per struct
# part, HEX: the given parts' bytes, then the payload). The expected answers come from the
# reference codec (codec.parse_message, codec.build_message), as the vectors' do.


def build_case(msg: Message, parts: dict[str, Any], payload: bytes) -> tuple[Case, str]:
    """The line that builds a message from `parts` (None: not given) and `payload`, and its answer."""
    flags, data, answer = build_line(msg, parts, payload)
    return Case(msg.name, f"build:{flags}", data), answer


def random_parts(msg: Message, version: int, rng: random.Random, lie: bool = False) -> dict[str, Any]:
    """Random values of the parts a message of `version` has (with `lie`, a random part given or
    left out whatever the version says)."""
    parts: dict[str, Any] = {}
    for p in msg.struct_parts:
        present = p.first_version <= version
        if lie and p.first_version > msg.layouts[0].version and rng.random() < 0.5:
            present = not present
        mode = rng.choice(("random", "random", "max", "zero", "edge"))
        parts[p.name] = _Maker(mode, random.Random(rng.getrandbits(64))).struct(p.struct, p.struct.newest.version) if present else None  # type: ignore[union-attr]
    if msg.versioned:
        node = parts[msg.version_part.name]  # type: ignore[union-attr]
        for f in msg.version_path[:-1]:
            node = node[f.name]
        node[msg.version_path[-1].name] = version
    return parts


def _payload(rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice((0, 1, rng.randint(2, 40), rng.randint(41, 300))))


def message_cases(schema: Schema, rng: random.Random, per_message: int) -> tuple[list[Case], list[str]]:
    """Messages of every version from random parts and payloads, the same bytes cut short, with
    a length field, the version field or a magic number set to a lie, and parts that do not match
    their version; each with the answer the reference codec gives."""
    cases: list[Case] = []
    expected: list[str] = []
    for msg in schema.messages:
        versions = msg.versions
        for _ in range(per_message):
            version = rng.choice(versions)
            payload = _payload(rng) if msg.payload is not None else b""
            parts = random_parts(msg, version, rng, lie=rng.random() < 0.2)
            case, answer = build_case(msg, parts, payload)
            cases.append(case)
            expected.append(answer)
            if '"error"' in answer:
                continue
            data = bytearray(bytes.fromhex(json.loads(answer)["hex"]))
            lay = msg.layout_in(version)
            assert lay is not None
            pick = rng.random()
            if pick < 0.3 and msg.lengths:
                ln = rng.choice(msg.lengths)
                true = int.from_bytes(data[ln.offset : ln.offset + ln.scalar.size], "little")
                lie_value = rng.choice((0, true - 1, true + 1, true + rng.randint(2, 64), ln.scalar.max, rng.randint(0, ln.scalar.max)))
                data[ln.offset : ln.offset + ln.scalar.size] = (lie_value % (ln.scalar.max + 1)).to_bytes(ln.scalar.size, "little")
            elif pick < 0.4 and msg.versioned:
                scalar = msg.version_scalar
                other = rng.choice((0, versions[-1] + 1, scalar.max, rng.choice(versions)))  # type: ignore[union-attr]
                data[msg.version_offset : msg.version_offset + scalar.size] = other.to_bytes(scalar.size, "little")  # type: ignore[union-attr]
            elif pick < 0.45 and lay.magics:
                magic = rng.choice(lay.magics)
                data[magic.offset] ^= 1 << rng.randrange(8)
            elif pick < 0.6:
                data = data[: rng.randint(0, len(data))]
            elif pick < 0.7:
                data += rng.randbytes(rng.randint(1, 16))  # bytes after the message are not part of it
            cases.append(Case(msg.name, "parse", bytes(data)))
            expected.append(parse_answer(msg, bytes(data)))
        for _ in range(per_message // 4):
            data = rng.randbytes(rng.randint(0, msg.layouts[-1].fixed_size + 16))
            cases.append(Case(msg.name, "parse", data))
            expected.append(parse_answer(msg, data))
    return cases, expected


def message_agreement(schema: Schema, targets: list[Target], cases: list[Case], expected: list[str]) -> Report:
    """Every target parses and builds each message line as the reference codec does."""
    answers = {"layout engine": expected, **run_all(targets, cases)}
    return compare(schema, cases, answers)


def python_message_builds(schema: Schema, py_codec, rng: random.Random, per_message: int) -> list[str]:
    """The generated Python module builds, from random parts and payloads, the bytes the
    reference codec builds: the encoding side of the harness."""
    bad = []
    for msg in schema.messages:
        cls, parts_spec, payload_attr = py_codec.MESSAGES[msg.name]
        for _ in range(per_message):
            version = rng.choice(msg.versions)
            parts = random_parts(msg, version, rng)
            payload = _payload(rng) if msg.payload is not None else b""
            kwargs = {attr: (py_codec.build(tname, parts[name]) if parts[name] is not None else None) for name, attr, tname, _ in parts_spec}
            if payload_attr:
                kwargs[payload_attr] = payload
            want = json.loads(build_line(msg, parts, payload)[2])
            try:
                got = {"message": msg.name, "hex": cls(**kwargs).build().hex()}
            except py_codec.m.MessageEncodeError as e:
                got = py_codec.message_error(msg.name, e, None)
            if got != want:
                bad.append(f"{msg.name} version {version}: the Python module builds {got}, the layout engine {want}")
    return bad
