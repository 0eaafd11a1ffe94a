"""Test vectors: values chosen here, bytes encoded by the layout-driven reference codec.

File: vectors/<schema>.json
  {"schema": NAME, "versions": [...], "vectors": [
     {"type": T, "kind": "struct"|"enum"|"bitmap", "version": V|null, "case": C, "value": ..., "hex": "..."}]}
`version` is the struct's layout version (null for enums and bitmaps); `value`
follows the codec's value model (generator/codec.py).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from .. import codec
from ..model import Bitmap, Enum, Field, Message, Scalar, Schema, Struct

RANDOM_CASES = 4


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
    """Builds values of one mode: zero, max, min, reserved, unknown, random."""

    def __init__(self, mode: str, rng: random.Random):
        self.mode = mode
        self.rng = rng

    def scalar(self, s: Scalar, reserved: bool = False) -> int:
        m = self.mode
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
        elif m == "unknown":
            raw = 0
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
    seen = seen or set()
    if st.name in seen:
        return False
    seen.add(st.name)
    for f in st.fields:
        t = f.type.target
        if pred(f, t) or (isinstance(t, Struct) and _contains(t, pred, seen)):
            return True
    return False


def _struct_cases(st: Struct) -> list[str]:
    cases = ["zero", "max"]
    if _contains(st, lambda f, t: isinstance(t, Scalar) and t.signed or isinstance(t, Enum) and t.type.signed):
        cases.append("min")
    if _contains(st, lambda f, t: f.reserved or isinstance(t, Bitmap) and t.reserved_mask):
        cases.append("reserved")
    version_fields = {id(f) for f in st.version_path}
    if _contains(st, lambda f, t: isinstance(t, Enum) and id(f) not in version_fields and unknown_enum_value(t) is not None):
        cases.append("unknown")
    return cases + [f"random-{i}" for i in range(1, RANDOM_CASES + 1)]


def _vector(kind: str, t: Any, version: int | None, case: str, value: Any) -> dict[str, Any]:
    data = codec.encode(t, value, version)
    return {"type": t.name, "kind": kind, "version": version, "case": case, "value": value, "hex": data.hex()}


def build(schema: Schema) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in schema.enums:
        for v in e.values:
            out.append(_vector("enum", e, None, v.name, v.value))
        u = unknown_enum_value(e)
        if u is not None:
            out.append(_vector("enum", e, None, "unknown", u))
        out.append(_vector("enum", e, None, "max", e.type.max))
    for b in schema.bitmaps:
        for mode in ("zero", "max", "reserved"):
            out.append(_vector("bitmap", b, None, mode, _Maker(mode, random.Random(0)).bitmap(b)))
        for f in b.fields:
            out.append(_vector("bitmap", b, None, f"only-{f.name}", codec.bitmap_value(b, f.mask)))
        for i in range(1, RANDOM_CASES + 1):
            out.append(_vector("bitmap", b, None, f"random-{i}", _Maker("random", _rng(schema.name, b.name, i)).bitmap(b)))
    for st in schema.structs:
        for lay in st.layouts:
            for case in _struct_cases(st):
                mode = case.split("-")[0]
                maker = _Maker(mode, _rng(schema.name, st.name, lay.version, case))
                out.append(_vector("struct", st, lay.version, case, maker.struct(st, lay.version)))
    return out


def render(schema: Schema) -> dict[str, str]:
    vectors = build(schema)
    lines = [
        "{",
        f'  "schema": {json.dumps(schema.name)},',
        f'  "generated_from": {json.dumps(schema.file)},',
        f'  "versions": {json.dumps(schema.versions)},',
        '  "vectors": [',
    ]
    lines += [f"    {json.dumps(v, sort_keys=False)}{',' if i < len(vectors) - 1 else ''}" for i, v in enumerate(vectors)]
    lines += ["  ]", "}"]
    files = {f"vectors/{schema.name}.json": "\n".join(lines) + "\n"}
    if schema.messages:
        files.update(render_messages(schema))
    return files


# --- messages -------------------------------------------------------------------------------
#
# File: vectors/<schema>.messages.json (only for a schema with messages)
#   {"schema": NAME, "messages": [
#      {"message": M, "version": V|null, "case": C, "parts": {part: value|null}, "payload": HEX, "hex": HEX[, "end": N]}
#      {"message": M, "case": C, "hex": HEX, "error": {"error": KIND, "field", "value", "limit", "given"}}
#      {"message": M, "case": C, "parts": {...}, "payload": HEX, "error": {...}}   (refused by build)
#   ]}
# The first: `parse` of HEX gives the parts and payload, and `build` of those gives HEX (or,
# with "end", its first END bytes: the rest is not part of the message). The second: HEX
# `parse` refuses. The third: parts `build` refuses. Everything comes from the reference codec.


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


def _parsed(msg: Message, case: str, data: bytes) -> dict[str, Any]:
    """What `parse` makes of `data`: a refusal, or (a shorter length field, bytes after the end)
    the message it holds, whose bytes are the first ones of `data`."""
    try:
        parsed = codec.parse_message(msg, data)
    except codec.MessageFault as fault:
        return {"message": msg.name, "case": case, "hex": data.hex(), "error": fault.as_dict()}
    return {"message": msg.name, "version": parsed["version"], "case": case, "parts": parsed["parts"], "payload": parsed["payload"].hex(), "hex": data.hex(), "end": parsed["end"]}


def message_vectors(schema: Schema) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for msg in schema.messages:
        for lay in msg.layouts:
            version = lay.version if msg.versioned else None
            good: list[tuple[dict[str, Any], bytes, bytes]] = []
            for case in ("zero", "max", "random-1", "random-2"):
                rng = _rng(schema.name, msg.name, lay.version, case)
                parts = _message_parts(msg, lay.version, case.split("-")[0], rng)
                payload = rng.randbytes(rng.randint(1, 48)) if msg.payload is not None and case != "zero" else b""
                try:
                    data = codec.build_message(msg, parts, payload)
                except codec.MessageFault:
                    continue  # a payload longer than a narrow length field holds
                parts = codec.parse_message(msg, data)["parts"]  # as on the wire: length fields filled in
                good.append((parts, payload, data))
                out.append({"message": msg.name, "version": version, "case": case, "parts": parts, "payload": payload.hex(), "hex": data.hex()})
            parts, payload, data = good[-1]
            tag = f"v{lay.version}-" if msg.versioned else ""
            out.append(_parsed(msg, f"{tag}short-fixed", data[: lay.fixed_size - 1]))
            if msg.versioned:
                out.append(_parsed(msg, f"{tag}short-version", data[: msg.version_offset + msg.version_scalar.size - 1]))  # type: ignore[union-attr]
            for ln in msg.lengths:
                value = int.from_bytes(data[ln.offset : ln.offset + ln.scalar.size], "little")
                for what, lie in (("plus-one", value + 1), ("minus-one", value - 1), ("zero", 0), ("max", ln.scalar.max)):
                    if 0 <= lie <= ln.scalar.max and lie != value:
                        bad = bytearray(data)
                        bad[ln.offset : ln.offset + ln.scalar.size] = lie.to_bytes(ln.scalar.size, "little")
                        out.append(_parsed(msg, f"{tag}{ln.name}-{what}", bytes(bad)))
            if msg.payload is not None and payload:
                out.append(_parsed(msg, f"{tag}payload-cut", data[:-1]))
            out.append(_parsed(msg, f"{tag}bytes-after", data + b"\xa5after"))
            for p in msg.struct_parts:
                if p.first_version > msg.layouts[0].version:
                    lie_parts = dict(parts)
                    if p.first_version <= lay.version:
                        lie_parts[p.name] = None
                    else:
                        lie_parts[p.name] = _Maker("zero", random.Random(0)).struct(p.struct, p.struct.newest.version)  # type: ignore[union-attr]
                    try:
                        codec.build_message(msg, lie_parts, payload)
                    except codec.MessageFault as fault:
                        out.append({"message": msg.name, "case": f"{tag}build-{fault.kind}-{p.name}", "parts": lie_parts, "payload": payload.hex(), "error": fault.as_dict()})
        for ln in msg.lengths:
            if ln.scalar.size == 1 and msg.payload is not None:
                lay = msg.layouts[-1]
                parts = _message_parts(msg, lay.version, "zero", random.Random(0))
                payload = bytes(ln.scalar.max + 1)
                try:
                    codec.build_message(msg, parts, payload)
                except codec.MessageFault as fault:
                    out.append({"message": msg.name, "case": f"build-{fault.kind}-{ln.name}", "parts": parts, "payload": payload.hex(), "error": fault.as_dict()})
        if msg.versioned:
            parts, payload, data = good[-1]
            bad = bytearray(data)
            scalar = msg.version_scalar
            assert scalar is not None
            unknown = msg.versions[-1] + 1
            if scalar.fits(unknown):
                bad[msg.version_offset : msg.version_offset + scalar.size] = unknown.to_bytes(scalar.size, "little")
                out.append(_parsed(msg, "unknown-version", bytes(bad)))
    return out



def render_messages(schema: Schema) -> dict[str, str]:
    vectors = message_vectors(schema)
    lines = ["{", f'  "schema": {json.dumps(schema.name)},', f'  "generated_from": {json.dumps(schema.file)},', '  "messages": [']
    lines += [f"    {json.dumps(v)}{',' if i < len(vectors) - 1 else ''}" for i, v in enumerate(vectors)]
    lines += ["  ]", "}"]
    return {f"vectors/{schema.name}.messages.json": "\n".join(lines) + "\n"}
