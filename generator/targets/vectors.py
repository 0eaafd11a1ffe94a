"""Test vectors: values chosen here, bytes encoded and answers given by the layout engine.

File: vectors/<schema>.txt, UTF-8, one vector a line; `#` starts a comment line:

    TYPE LAYOUT HEX CASE ANSWER

TYPE LAYOUT HEX is one line of the codec protocol (the codec entry points of every target read
it: TYPE a schema type name, LAYOUT `auto` to dispatch on the version field or a layout number,
HEX the input bytes in lower-case hex, `-` for none). CASE names the vector (no spaces: `zero`,
`max`, `edge`, `random-1`, `fields-even` and `fields-odd` for a bitmap, an enum value's name,
`unknown`, `short`, `rest`, `magic-FIELD`). ANSWER, the rest of the line, is the JSON line every
target's codec must print for the input, byte for byte: no spaces, keys in this order,

    {"type":T,"layout":K,"value":V,"hex":H,"rest":R}    the bytes decode (K: the struct layout
                                                        read, null for an enum or bitmap; V the
                                                        value; H its re-encoding; R how many
                                                        input bytes follow it)
    {"type":T,"error":"short","needed":N,"given":G}     too few bytes for the layout
    {"type":T,"error":"magic","field":F}                the magic number at dotted path F is wrong

In a vector file, `"hex":"="` stands for the bytes of HEX that were read (all of HEX but its last
R bytes, R the answer's `rest`): the bytes read are the bytes written back. A test puts them in
its place before it compares. V follows the reference codec's value model (generator/codec.py): an integer for a scalar or
enum; {field: bool | int, ..., "_reserved": int} for a bitmap; {field: value} with the fields of
the layout, in schema order, for a struct; a list for an array (u8 arrays too).

A message's vectors are lines of the same protocol, `MESSAGE parse HEX` and `MESSAGE build:FLAGS
HEX`, with their own answers (see "messages" below).

A type costs a bounded number of vectors, whatever its size: per struct layout zero, max, edge
(signed numbers at their minimum, reserved fields and bits all ones, enums at a value no name has:
where the struct has any of those), random-1 and, if it has magic numbers, one per magic number,
and for its newest layout a refusal one byte short; per bitmap zero, max, edge (reserved bits and
unnamed enum values, if a field is an enum), every other field all ones (fields-even, fields-odd:
a field read from a neighbour's bits shows) and random-1; per enum one per named value, unknown
and max; and per type the zero value (of its newest layout; its first value for an enum) followed
by a spare byte (`rest`).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from .. import codec
from ..model import Bitmap, Enum, Field, Message, Scalar, Schema, Struct
from ..render import banner

RANDOM_CASES = 1
SPARE = "a5"  # the byte after a `rest` vector's value


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "little"))


def unknown_enum_value(e: Enum, limit: int | None = None) -> int | None:
    """A value no enumerator names (the largest free one below `limit`), or None if all are named."""
    top = e.type.max if limit is None else min(e.type.max, limit)
    named = {v.value for v in e.values}
    for candidate in (max(named) + 1, top):
        if candidate <= top and candidate not in named:
            return candidate
    return next((x for x in range(top, -1, -1) if x not in named), None)


class _Maker:
    """Builds values of one mode: zero, max, min, reserved, unknown, random; or edge, which is min,
    reserved and unknown at once (they concern different fields: signed numbers, reserved fields
    and bits, enums)."""

    def __init__(self, mode: str, rng: random.Random):
        self.mode = mode
        self.rng = rng

    def scalar(self, s: Scalar, reserved: bool = False) -> int:
        m = self.mode
        if m == "edge":
            return s.max if reserved else s.min
        if m == "reserved":
            return s.max if reserved else 0
        if m == "max":
            return s.max
        if m == "min":
            return s.min
        if m == "random":
            return self.rng.choice([s.min, s.max, 0, self.rng.randint(s.min, s.max), self.rng.randint(s.min, s.max)])
        return 0

    def enum(self, e: Enum, reserved: bool = False) -> int:
        m = self.mode
        if m == "edge":
            u = unknown_enum_value(e)
            return u if u is not None else e.type.min
        if m == "unknown":
            return unknown_enum_value(e) or 0
        if m == "random":
            pick = self.rng.random()
            if pick < 0.6:
                return self.rng.choice(e.values).value
            return self.rng.randint(max(e.type.min, 0), e.type.max)
        if m in ("max", "min") or reserved:
            return self.scalar(e.type, reserved)
        return 0

    def bitmap(self, b: Bitmap) -> dict[str, Any]:
        m = self.mode
        if m == "random":
            raw = self.rng.getrandbits(b.type.bits)
        elif m == "max":
            raw = b.type.max
        elif m == "reserved":
            raw = b.reserved_mask
        elif m in ("unknown", "edge"):
            raw = b.reserved_mask if m == "edge" else 0
            for f in b.fields:
                if isinstance(f.type, Enum):
                    u = unknown_enum_value(f.type, f.value_max)
                    raw |= (u or 0) << f.lo
        else:
            raw = 0
        return codec.bitmap_value(b, raw)

    def one(self, t: Any, reserved: bool, version: int) -> Any:
        if isinstance(t, Struct):
            return self.struct(t, version)
        if isinstance(t, Bitmap):
            return self.bitmap(t)
        if isinstance(t, Enum):
            return self.enum(t, reserved)
        return self.scalar(t, reserved)

    def field(self, f: Field, version: int) -> Any:
        if f.value is not None:
            return f.value
        if f.type.is_array:
            return [self.one(f.type.target, f.reserved, version) for _ in range(f.type.count or 0)]
        return self.one(f.type.target, f.reserved, version)

    def struct(self, st: Struct, version: int) -> dict[str, Any]:
        lay = st.layout_for(version)
        value = {f.name: self.field(f, lay.version) for f in lay.fields}
        if st.version_path:
            node = value
            for f in st.version_path[:-1]:
                node = node[f.name]
            node[st.version_path[-1].name] = lay.version
        return value


def _contains(st: Struct, pred, seen: set[str] | None = None) -> bool:
    seen = seen if seen is not None else set()
    if st.name in seen:
        return False
    seen.add(st.name)
    for f in st.fields:
        t = f.type.target
        if pred(f, t) or (isinstance(t, Struct) and _contains(t, pred, seen)):
            return True
    return False


def struct_cases(st: Struct) -> list[str]:
    """zero, max, edge (where a field is signed, reserved, a bitmap with reserved bits or an enum
    with an unnamed value) and the random ones."""
    cases = ["zero", "max"]
    version_fields = {id(f) for f in st.version_path}
    if _contains(
        st,
        lambda f, t: isinstance(t, Scalar) and t.signed
        or isinstance(t, Enum) and (t.type.signed or id(f) not in version_fields and unknown_enum_value(t) is not None)
        or f.reserved
        or isinstance(t, Bitmap) and (t.reserved_mask or any(isinstance(b.type, Enum) for b in t.fields)),
    ):
        cases.append("edge")
    return cases + [f"random-{i}" for i in range(1, RANDOM_CASES + 1)]


def magic_fields(st: Struct, version: int, base: int = 0, prefix: str = "") -> list[tuple[str, Field, int]]:
    """(dotted path, field, absolute offset) of every magic number of layout `version` of `st`,
    in the order of the bytes; an element of an array of structs is `name[]` (one entry each)."""
    out: list[tuple[str, Field, int]] = []
    lay = st.layout_for(version)
    for f in lay.fields:
        t = f.type.target
        if f.magic and f.value is not None:
            out.append((prefix + f.name, f, base + f.offset))
        elif isinstance(t, Struct):
            inner = t.layout_for(lay.version).version if t.versioned else t.newest.version
            step = f.size // (f.type.count or 1)
            for i in range(f.type.count or 1):
                name = f"{f.name}[]" if f.type.is_array else f.name
                out += magic_fields(t, inner, base + f.offset + i * step, f"{prefix}{name}.")
    return out


def wrong_magic(st: Struct, version: int, data: bytes) -> str | None:
    """The path of the first magic number of layout `version` of `st` that `data` gets wrong."""
    for path, f, at in magic_fields(st, version):
        s = f.type.target.type if isinstance(f.type.target, Enum) else f.type.target
        if int.from_bytes(data[at : at + s.size], "little", signed=s.signed) != f.value:
            return path
    return None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def answer(t: Any, layout: int | None, value: Any, data: bytes, rest: int = 0) -> str:
    """The codec's answer to bytes that decode: `data` is the value's encoding."""
    return _json({"type": t.name, "layout": layout, "value": value, "hex": data.hex(), "rest": rest})


def refusal(t: Any, data: bytes) -> str:
    """The codec's answer to bytes of a struct that do not decode (`auto` dispatch), as the layout
    engine decides it: too short for the layout the version field selects, then a wrong magic."""
    if isinstance(t, Struct):
        oldest = t.layouts[0]
        if len(data) < oldest.size:
            return _json({"type": t.name, "error": "short", "needed": oldest.size, "given": len(data)})
        lay = t.layout_for(codec.read_version(t, data)) if t.versioned else t.newest
        if len(data) < lay.size:
            return _json({"type": t.name, "error": "short", "needed": lay.size, "given": len(data)})
        wrong = wrong_magic(t, lay.version, data)
        if wrong is not None:
            return _json({"type": t.name, "error": "magic", "field": wrong})
        raise ValueError(f"{t.name}: these bytes decode")
    size = t.type.size
    return _json({"type": t.name, "error": "short", "needed": size, "given": len(data)})


SAME = '"hex":"="'  # in a vector's answer: the input bytes


def _line(t: Any, data: bytes, case: str, text: str, rest: int = 0) -> str:
    hex_ = data.hex() or "-"
    text = text.replace('"hex":"' + data[: len(data) - rest].hex() + '"', SAME, 1)
    return f"{t.name} auto {hex_} {case} {text}"


def parse(line: str) -> tuple[str, str, str, str, dict[str, Any]]:
    """TYPE, LAYOUT, HEX, CASE and the ANSWER (its "=" replaced by the bytes read) of a vector line."""
    name, layout, hex_, case, text = line.split(" ", 4)
    answer = json.loads(text)
    if answer.get("hex") == "=":
        answer["hex"] = hex_[: len(hex_) - 2 * answer["rest"]]
    return name, layout, hex_, case, answer


def _values(t: Any, layout: int | None, case: str, value: Any) -> list[str]:
    data = codec.encode(t, value, layout)
    return [_line(t, data, case, answer(t, layout, value, data))]


def _corrupt(f: Field, data: bytes, at: int) -> bytes:
    """`data` with the magic number of `f` at `at` changed in every bit."""
    s = f.type.target.type if isinstance(f.type.target, Enum) else f.type.target
    raw = int.from_bytes(data[at : at + s.size], "little") ^ ((1 << s.bits) - 1)
    return data[:at] + raw.to_bytes(s.size, "little") + data[at + s.size :]


def _type_lines(schema: Schema, t: Any) -> list[str]:
    out: list[str] = []
    first: tuple[int | None, Any, bytes] | None = None
    if isinstance(t, Enum):
        for v in t.values:
            out += _values(t, None, v.name, v.value)
        u = unknown_enum_value(t)
        if u is not None:
            out += _values(t, None, "unknown", u)
        out += _values(t, None, "max", t.type.max)
        first = (None, t.values[0].value, codec.encode(t, t.values[0].value))
    elif isinstance(t, Bitmap):
        modes = ["max"] + (["edge"] if any(isinstance(f.type, Enum) for f in t.fields) else [])  # zero: `rest`
        for mode in modes:
            out += _values(t, None, mode, _Maker(mode, random.Random(0)).bitmap(t))
        for parity, name in ((0, "fields-even"), (1, "fields-odd")):  # every other field all ones
            mask = sum(f.mask for i, f in enumerate(t.fields) if i % 2 == parity)
            if mask:
                out += _values(t, None, name, codec.bitmap_value(t, mask))
        for i in range(1, RANDOM_CASES + 1):
            out += _values(t, None, f"random-{i}", _Maker("random", _rng(schema.name, t.name, i)).bitmap(t))
        zero = codec.bitmap_value(t, 0)
        first = (None, zero, codec.encode(t, zero))
    else:
        for lay in t.layouts:
            zero: bytes = b""
            for case in struct_cases(t):
                value = _Maker(case.split("-")[0], _rng(schema.name, t.name, lay.version, case)).struct(t, lay.version)
                data = codec.encode(t, value, lay.version)
                if case == "zero":
                    zero = data
                    first = (lay.version, value, data)
                    if lay is t.newest:
                        continue  # the `rest` vector is the zero value, followed by a spare byte
                out.append(_line(t, data, case, answer(t, lay.version, value, data)))
            if lay is t.newest:  # an older layout's refusal is the same code, read at another size
                out.append(_line(t, zero[:-1], "short", refusal(t, zero[:-1])))
            seen: set[str] = set()
            for path, f, at in magic_fields(t, lay.version):
                if path in seen:
                    continue
                seen.add(path)
                bad = _corrupt(f, zero, at)
                out.append(_line(t, bad, f"magic-{path}", refusal(t, bad)))
    assert first is not None
    layout, value, data = first
    out.append(_line(t, data + bytes.fromhex(SPARE), "rest", answer(t, layout, value, data, 1), 1))
    return out


def lines(schema: Schema) -> list[str]:
    """Every vector of the schema, in the order of its types (enums, bitmaps, structs), then of
    its messages."""
    out: list[str] = []
    for t in schema.types:
        out += _type_lines(schema, t)
    for msg in schema.messages:
        out += _message_lines(schema, msg)
    return out


def render(schema: Schema) -> dict[str, str]:
    head = [f"# {line}" for line in banner(schema).lines]
    head += [
        f"# Test vectors of schema {schema.name} (versions {', '.join(map(str, schema.versions))}): TYPE LAYOUT HEX CASE ANSWER,",
        "# where ANSWER is what every target's codec prints for the line TYPE LAYOUT HEX (format: generator/targets/vectors.py).",
    ]
    return {f"vectors/{schema.name}.txt": "\n".join(head + lines(schema)) + "\n"}


# --- messages -------------------------------------------------------------------------------
#
# A message's vectors are lines of the same protocol, `MESSAGE parse HEX` and `MESSAGE build:FLAGS
# HEX` (FLAGS: 1 or 0 per struct part, given or not; HEX: the given parts' bytes, then the
# payload), whose answers the reference codec gives:
#
#   {"message":M,"parts":P,"payload":H,"hex":H}       the bytes parse (P: each struct part's value,
#                                                     null where the version lacks it; hex: the
#                                                     message built anew from them)
#   {"message":M,"hex":H}                             the parts build these bytes
#   {"message":M,"error":KIND,"field":F,"value":V,"limit":L,"given":G}
#                                                     refused (codec.MessageFault; G null when
#                                                     building)
#
# Per message and version: zero, max and random parts (a random payload), each parsed and built;
# the bytes cut before the version field and before the fixed parts, each length field one more,
# one less, zero and its maximum, a wrong magic number, bytes after the end, the payload cut by
# one; the parts given that the version lacks and the reverse; per message an unknown version,
# and a length a narrow (u8) length field cannot hold.


def _message_parts(msg: Message, version: int, mode: str, rng: random.Random) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for p in msg.struct_parts:
        assert p.struct is not None
        parts[p.name] = _Maker(mode, rng).struct(p.struct, p.struct.newest.version) if p.first_version <= version else None
    if msg.versioned:
        assert msg.version_part is not None
        node = parts[msg.version_part.name]
        for f in msg.version_path[:-1]:
            node = node[f.name]
        node[msg.version_path[-1].name] = version
    return parts


def parse_answer(msg: Message, data: bytes) -> str:
    """The codec's answer to `MESSAGE parse HEX`."""
    try:
        parsed = codec.parse_message(msg, data)
    except codec.MessageFault as fault:
        return _json({"message": msg.name, **fault.as_dict()})
    rebuilt = codec.build_message(msg, parsed["parts"], parsed["payload"])
    return _json({"message": msg.name, "parts": parsed["parts"], "payload": parsed["payload"].hex(), "hex": rebuilt.hex()})


def build_line(msg: Message, parts: dict[str, Any], payload: bytes) -> tuple[str, bytes, str]:
    """(FLAGS, input bytes, answer) of the line that builds a message from `parts` and `payload`."""
    flags = "".join("0" if parts.get(p.name) is None else "1" for p in msg.struct_parts)
    data = b"".join(codec.encode(p.struct, parts[p.name]) for p in msg.struct_parts if parts.get(p.name) is not None)  # type: ignore[arg-type]
    try:
        text = _json({"message": msg.name, "hex": codec.build_message(msg, parts, payload).hex()})
    except codec.MessageFault as fault:
        text = _json({"message": msg.name, **fault.as_dict()})
    return flags, data + payload, text


def _message_lines(schema: Schema, msg: Message) -> list[str]:
    out: list[str] = []

    def parse(case: str, data: bytes) -> None:
        out.append(f"{msg.name} parse {data.hex() or '-'} {case} {parse_answer(msg, data)}")

    def build(case: str, parts: dict[str, Any], payload: bytes) -> None:
        flags, data, text = build_line(msg, parts, payload)
        out.append(f"{msg.name} build:{flags} {data.hex() or '-'} {case} {text}")

    for lay in msg.layouts:
        tag = f"v{lay.version}-" if msg.versioned else ""
        good: tuple[dict[str, Any], bytes, bytes] | None = None
        for case in ("zero", "max", "random-1"):
            rng = _rng(schema.name, msg.name, lay.version, case)
            parts = _message_parts(msg, lay.version, case.split("-")[0], rng)
            payload = rng.randbytes(rng.randint(1, 48)) if msg.payload is not None and case != "zero" else b""
            try:
                data = codec.build_message(msg, parts, payload)
            except codec.MessageFault:
                continue  # a payload longer than a narrow length field holds
            build(f"{tag}{case}", parts, payload)
            parse(f"{tag}{case}", data)
            good = (parts, payload, data)
        assert good is not None, f"{msg.name} version {lay.version}: no message builds"
        parts, payload, data = good
        parse(f"{tag}short-fixed", data[: lay.fixed_size - 1])
        if msg.versioned:
            parse(f"{tag}short-version", data[: msg.version_offset + msg.version_scalar.size - 1])  # type: ignore[union-attr]
        for ln in msg.lengths:
            value = int.from_bytes(data[ln.offset : ln.offset + ln.scalar.size], "little")
            for what, lie in (("plus-one", value + 1), ("minus-one", value - 1), ("zero", 0), ("max", ln.scalar.max)):
                if 0 <= lie <= ln.scalar.max and lie != value:
                    parse(f"{tag}{ln.name}-{what}", data[: ln.offset] + lie.to_bytes(ln.scalar.size, "little") + data[ln.offset + ln.scalar.size :])
        for magic in lay.magics:
            parse(f"{tag}magic-{magic.path}", _corrupt(magic.field, data, magic.offset))
        parse(f"{tag}bytes-after", data + bytes.fromhex(SPARE))
        if msg.payload is not None and payload:
            parse(f"{tag}payload-cut", data[:-1])
        for p in msg.struct_parts:
            if p.first_version > msg.layouts[0].version:
                lie_parts = dict(parts)
                lie_parts[p.name] = None if p.first_version <= lay.version else _Maker("zero", random.Random(0)).struct(p.struct, p.struct.newest.version)  # type: ignore[union-attr]
                build(f"{tag}parts-{p.name}", lie_parts, payload)
    newest = msg.layouts[-1]
    parts = _message_parts(msg, newest.version, "zero", random.Random(0))
    for ln in msg.lengths:
        if ln.scalar.size == 1 and msg.payload is not None:
            build(f"overflow-{ln.name}", parts, bytes(ln.scalar.max + 1))
    if msg.versioned:
        scalar = msg.version_scalar
        assert scalar is not None
        unknown = msg.versions[-1] + 1
        if scalar.fits(unknown):
            data = codec.build_message(msg, parts, b"")
            parse("unknown-version", data[: msg.version_offset] + unknown.to_bytes(scalar.size, "little") + data[msg.version_offset + scalar.size :])
    return out
