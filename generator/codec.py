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

from .model import Bitmap, Enum, Field, Scalar, Struct, TypeRef

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
