"""Reference encoder/decoder driven only by the layout engine's offsets and masks.

It produces the test vectors every target is checked against, so it shares no
code with any target: it walks the IR and places each value at the offset the
layout engine computed.

Value model (also the JSON shape of vectors):
  scalar, enum          -> int
  bitmap                -> {field: bool | int, ..., "_reserved": int (reserved bits, in place)}
  struct                -> {field: value} with only the fields present in that version
  array                 -> list of element values
"""

from __future__ import annotations

from typing import Any

from .model import Bitmap, Enum, Field, Message, Scalar, Struct, TypeRef

RESERVED_KEY = "_reserved"


class CodecError(ValueError):
    pass


def _scalar_of(t: Scalar | Enum | Bitmap) -> Scalar:
    return t if isinstance(t, Scalar) else t.type


def bitmap_raw(bm: Bitmap, value: dict[str, Any]) -> int:
    raw = int(value.get(RESERVED_KEY, 0))
    if raw & ~bm.reserved_mask:
        raise CodecError(f"{bm.name}: {RESERVED_KEY} {raw:#x} sets bits outside the reserved mask {bm.reserved_mask:#x}")
    for f in bm.fields:
        v = int(value.get(f.name, 0))
        if not 0 <= v <= f.value_max:
            raise CodecError(f"{bm.name}.{f.name}: {v} does not fit {f.width} bit(s)")
        raw |= v << f.lo
    return raw


def bitmap_value(bm: Bitmap, raw: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in bm.fields:
        v = (raw & f.mask) >> f.lo
        out[f.name] = bool(v) if f.is_bool else v
    out[RESERVED_KEY] = raw & bm.reserved_mask
    return out


def encode(t: Struct | Enum | Bitmap | Scalar, value: Any, version: int | None = None) -> bytes:
    """Encode `value` of type `t`; for a versioned struct, at layout `version` (default: newest)."""
    if isinstance(t, Struct):
        lay = t.layout_for(version) if version is not None else t.newest
        buf = bytearray(lay.size)
        _put_struct(buf, 0, t, value, lay.version)
        return bytes(buf)
    s = _scalar_of(t)
    buf = bytearray(s.size)
    _put_one(buf, 0, t, value, None)
    return bytes(buf)


def _put_struct(buf: bytearray, base: int, st: Struct, value: dict[str, Any], version: int) -> None:
    lay = st.layout_for(version)
    expected = {f.name for f in lay.fields}
    extra = set(value) - expected
    if extra:
        raise CodecError(f"{st.name} version {lay.version}: fields not in this version: {', '.join(sorted(extra))}")
    for f in lay.fields:
        if f.name not in value:
            raise CodecError(f"{st.name} version {lay.version}: missing field '{f.name}'")
        _put_field(buf, base + f.offset, f, value[f.name], version)


def _elem_size(f: Field) -> int:
    return f.size // (f.type.count or 1)


def _put_field(buf: bytearray, at: int, f: Field, value: Any, version: int) -> None:
    ref: TypeRef = f.type
    if ref.is_array:
        if not isinstance(value, list) or len(value) != ref.count:
            raise CodecError(f"field '{f.name}': expected a list of {ref.count} values")
        t = ref.target
        if isinstance(t, Scalar) and t.name == "u8":
            try:
                buf[at : at + len(value)] = bytes(value)
            except (ValueError, TypeError):
                raise CodecError(f"field '{f.name}': {value!r} are not bytes") from None
            return
        step = _elem_size(f)
        for i, v in enumerate(value):
            _put_one(buf, at + i * step, t, v, version)
    else:
        _put_one(buf, at, ref.target, value, version)


def _put_one(buf: bytearray, at: int, t: Any, value: Any, version: int | None) -> None:
    if isinstance(t, Struct):
        _put_struct(buf, at, t, value, version if version is not None else t.newest.version)
        return
    if isinstance(t, Bitmap):
        raw = bitmap_raw(t, value)
        buf[at : at + t.size] = raw.to_bytes(t.size, "little")
        return
    s = _scalar_of(t)
    try:
        buf[at : at + s.size] = int(value).to_bytes(s.size, "little", signed=s.signed)
    except OverflowError:
        raise CodecError(f"{t.name}: {value} does not fit {s.name}") from None


def read_version(st: Struct, data: bytes) -> int:
    """The value of the struct's version field, read at the offset the layout engine gave."""
    vt = st.version_type
    assert vt is not None
    s = _scalar_of(vt)
    end = st.version_offset + s.size
    if len(data) < end:
        raise CodecError(f"{st.name}: need {end} bytes to read the version, got {len(data)}")
    return int.from_bytes(data[st.version_offset : end], "little", signed=s.signed)


def decode(t: Struct | Enum | Bitmap | Scalar, data: bytes) -> tuple[Any, int]:
    """Decode exactly one value from `data`; returns (value, layout version or 0)."""
    if isinstance(t, Struct):
        version = t.layout_for(read_version(t, data)).version if t.versioned else t.newest.version
        size = t.size_in(version)
        if len(data) != size:
            raise CodecError(f"{t.name} version {version}: need {size} bytes, got {len(data)}")
        return _get_struct(data, 0, t, version), version
    s = _scalar_of(t)
    if len(data) != s.size:
        raise CodecError(f"{t.name}: need {s.size} bytes, got {len(data)}")
    return _get_one(data, 0, t, None), 0


def _get_struct(data: bytes, base: int, st: Struct, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in st.layout_for(version).fields:
        at = base + f.offset
        if f.type.is_array and isinstance(f.type.target, Scalar) and f.type.target.name == "u8":
            out[f.name] = _get_bytes(data, at, f.type.count or 0)
        elif f.type.is_array:
            step = _elem_size(f)
            out[f.name] = [_get_one(data, at + i * step, f.type.target, version) for i in range(f.type.count or 0)]
        else:
            out[f.name] = _get_one(data, at, f.type.target, version)
    return out


def _get_one(data: bytes, at: int, t: Any, version: int | None) -> Any:
    if isinstance(t, Struct):
        return _get_struct(data, at, t, version if version is not None else t.newest.version)
    s = _scalar_of(t)
    raw = int.from_bytes(data[at : at + s.size], "little", signed=s.signed)
    return bitmap_value(t, raw) if isinstance(t, Bitmap) else raw


def _get_bytes(data: bytes, at: int, count: int) -> list[int]:
    return list(data[at : at + count])


# --- messages -------------------------------------------------------------------------------
#
# A message's value: {"version": v or None, "parts": {part: struct value or None}, "payload": bytes}.
# Parsing checks, in this order (every target follows it, so all refuse a bad buffer alike):
#   1. the buffer holds the version field                       short (field: the version field)
#   2. the version is one the message has                         version
#   3. the buffer holds the fixed parts of that version           short (value: the version)
#   4. each magic number of those parts holds its value, in byte order  magic (value: what it
#      holds; limit: its value)
#   5. each length field, in the schema's order: not below the fixed bytes it counts
#      (length-too-small), not past the end of the buffer (length-too-large), and ending the
#      message where the first one does (with no payload: at the fixed parts) (length-mismatch).
# The message ends where its length fields say (bytes after it are not part of it); with no
# length field, a payload runs to the end of the buffer. Building checks that the parts given are
# those of the version (part-excluded, part-missing) and that every length fits its field
# (length-overflow).

FAULTS = ("short", "version", "length-too-small", "length-too-large", "length-mismatch", "part-excluded", "part-missing", "length-overflow", "buffer-too-small", "magic")


class MessageFault(CodecError):
    """A buffer that holds no valid message, or parts that make none: what, where, and the numbers.

    `field` is the field or part concerned (a dotted path from the part), `value` what it holds
    (the version for a short buffer), `limit` the number it is checked against (bytes needed, the
    smallest or largest value allowed, the value expected, the version a part needs) and `given`
    the buffer's length."""

    def __init__(self, kind: str, message: str, field: str | None = None, value: int | None = None, limit: int | None = None, given: int | None = None, text: str = ""):
        self.kind, self.message, self.field, self.value, self.limit, self.given = kind, message, field, value, limit, given
        super().__init__(f"{message}: {text}" if text else f"{message}: {kind}")

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.kind, "field": self.field, "value": self.value, "limit": self.limit, "given": self.given}


def fault_text(kind: str, field: str | None, value: int | None, limit: int | None, given: int | None, versions: list[int], width: str = "") -> str:
    """The sentence every target prints for a fault (the Python and Rust targets word it alike)."""
    if kind == "short":
        if field is not None:
            return f"{given} bytes, {limit} needed to read the version field {field}"
        return f"{given} bytes, less than the {limit} bytes of fixed parts" + (f" of version {value}" if value is not None else "")
    if kind == "version":
        return f"{field} is {value}, not a version of this message ({', '.join(map(str, versions))})"
    if kind == "length-too-small":
        return f"{field} is {value}, less than the {limit} bytes of fixed parts it counts"
    if kind == "length-too-large":
        return f"{field} is {value}, but the buffer ({given} bytes) holds only {limit} bytes from where it counts"
    if kind == "length-mismatch":
        return f"{field} is {value}, but the message's other length fields (or its fixed parts) make it {limit}"
    if kind == "part-excluded":
        return f"part {field} is not in version {value} (only from version {limit} on); leave it out"
    if kind == "part-missing":
        return f"version {value} has part {field} (from version {limit} on), and none was given"
    if kind == "length-overflow":
        return f"{field} would be {value}, more than its {width} holds ({limit})"
    if kind == "buffer-too-small":
        return f"the message is {limit} bytes, the buffer holds {given}"
    if kind == "magic":
        return f"{field} is {value:#x}, not the magic number {limit:#x}"
    raise ValueError(kind)


def _fault(msg: Message, kind: str, field: str | None = None, value: int | None = None, limit: int | None = None, given: int | None = None, width: str = "") -> MessageFault:
    return MessageFault(kind, msg.name, field, value, limit, given, fault_text(kind, field, value, limit, given, msg.versions, width))


def _uint(data: bytes, offset: int, s: Scalar) -> int:
    return int.from_bytes(data[offset : offset + s.size], "little")


def version_path(msg: Message) -> str:
    """The version field as the schema writes it: the part, then the fields."""
    assert msg.version_part is not None
    return ".".join([msg.version_part.name, *(f.name for f in msg.version_path)])


def parse_message(msg: Message, data: bytes) -> dict[str, Any]:
    """The message at the start of `data` (see above); raises MessageFault. Adds "end": the
    number of bytes the message takes."""
    n = len(data)
    version: int | None = None
    if msg.versioned:
        scalar = msg.version_scalar
        assert scalar is not None
        need = msg.version_offset + scalar.size
        if n < need:
            raise _fault(msg, "short", version_path(msg), None, need, n)
        version = _uint(data, msg.version_offset, scalar)
        lay = msg.layout_in(version)
        if lay is None:
            raise _fault(msg, "version", version_path(msg), version, None, n)
    else:
        lay = msg.layouts[0]
    if n < lay.fixed_size:
        raise _fault(msg, "short", None, version, lay.fixed_size, n)
    for magic in lay.magics:
        found = int.from_bytes(data[magic.offset : magic.offset + magic.scalar.size], "little")
        if found != magic.value:
            raise _fault(msg, "magic", magic.path, found, magic.value, n)
    end: int | None = None
    for length in msg.lengths:
        value = _uint(data, length.offset, length.scalar)
        start, least = lay.start(length), lay.minimum(length)
        if value < least:
            raise _fault(msg, "length-too-small", length.name, value, least, n)
        if start + value > n:
            raise _fault(msg, "length-too-large", length.name, value, n - start, n)
        if end is None and msg.payload is None and start + value != lay.fixed_size:
            raise _fault(msg, "length-mismatch", length.name, value, least, n)
        if end is not None and start + value != end:
            raise _fault(msg, "length-mismatch", length.name, value, end - start, n)
        end = start + value
    if end is None:
        end = n if msg.payload is not None else lay.fixed_size
    parts: dict[str, Any] = {p.name: None for p in msg.struct_parts}
    for placed in lay.parts:
        st = placed.part.struct
        assert st is not None
        parts[placed.part.name] = _get_struct(data, placed.offset, st, st.newest.version)
    payload = bytes(data[lay.fixed_size : end]) if msg.payload is not None else b""
    return {"version": version, "parts": parts, "payload": payload, "end": end}


def _version_of(msg: Message, parts: dict[str, Any]) -> int:
    assert msg.version_part is not None
    node = parts[msg.version_part.name]
    for f in msg.version_path:
        node = node[f.name]
    return int(node)


def build_message(msg: Message, parts: dict[str, Any], payload: bytes = b"") -> bytes:
    """The bytes of a message from its parts (struct values, None for a part left out) and
    payload, with every length field filled in; raises MessageFault."""
    version: int | None = None
    if msg.versioned:
        version = _version_of(msg, parts)
        lay = msg.layout_in(version)
        if lay is None:
            raise _fault(msg, "version", version_path(msg), version)
    else:
        lay = msg.layouts[0]
    for p in msg.struct_parts:
        given = parts.get(p.name) is not None
        wanted = lay.placed(p) is not None
        if given and not wanted:
            raise _fault(msg, "part-excluded", p.name, version, p.first_version)
        if wanted and not given:
            raise _fault(msg, "part-missing", p.name, version, p.first_version)
    if payload and msg.payload is None:
        raise CodecError(f"{msg.name} has no payload")
    total = lay.fixed_size + len(payload)
    buf = bytearray(total)
    for placed in lay.parts:
        st = placed.part.struct
        assert st is not None
        _put_struct(buf, placed.offset, st, parts[placed.part.name], st.newest.version)
    buf[lay.fixed_size :] = payload
    for length in msg.lengths:
        value = total - lay.start(length)
        if value > length.scalar.max:
            raise _fault(msg, "length-overflow", length.name, value, length.scalar.max, width=length.scalar.name)
        buf[length.offset : length.offset + length.scalar.size] = value.to_bytes(length.scalar.size, "little")
    return bytes(buf)
