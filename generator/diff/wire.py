"""The flattened wire model of a schema: every struct, in every protocol version, as the
absolute offset, size and integer type of each leaf field, exactly as the layout engine placed them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..model import Bitmap, Enum, Field, Scalar, Schema, Struct


@dataclass(frozen=True)
class Slot:
    """A field (or array element) placed at an absolute offset in one version of a struct."""

    path: tuple[str, ...]
    offset: int
    size: int
    type: str  # as the schema spells it: u32, IgvmSignal, u8[ATTESTATION_REPORT_SIZE_MAX], IgvmAttestRequestData
    leaf: bool
    scalar: str = ""  # a leaf's integer type on the wire (u32 for an enum or bitmap over u32)
    count: int | None = None
    count_const: str | None = None
    tname: str = ""  # a leaf's enum or bitmap name; "" for a plain integer
    kind: str = "scalar"  # scalar | enum | bitmap | struct
    reserved: bool = False
    value: int | None = None
    magic: bool = False  # the fixed value is a magic number every reader checks

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass
class View:
    size: int
    leaves: list[Slot]
    nodes: dict[tuple[str, ...], Slot]

    def under(self, prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
        return {s.path for s in self.leaves if s.path[: len(prefix)] == prefix}


def dotted(path: tuple[str, ...] | None) -> str:
    if not path:
        return ""
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else "." + part
    return out


def _leaf_scalar(t: Scalar | Enum | Bitmap) -> Scalar:
    return t if isinstance(t, Scalar) else t.type


def view(st: Struct, version: int) -> View:
    """The bytes of `st` in a message of protocol version `version`, as the layout engine placed them."""
    leaves: list[Slot] = []
    nodes: dict[tuple[str, ...], Slot] = {}

    def walk(s: Struct, base: int, prefix: tuple[str, ...], reserved: bool) -> None:
        for f in s.layout_for(version).fields:
            place(f, base + f.offset, prefix + (f.name,), reserved or f.reserved)

    def place(f: Field, off: int, path: tuple[str, ...], reserved: bool) -> None:
        t = f.type.target
        if isinstance(t, Struct):
            if f.type.is_array:
                nodes[path] = Slot(path, off, f.size, str(f.type), False, count=f.type.count, count_const=f.type.count_const, kind="struct", reserved=reserved)
                for i in range(f.type.count or 0):
                    ep = path + (f"[{i}]",)
                    nodes[ep] = Slot(ep, off + i * t.size, t.size, t.name, False, kind="struct", reserved=reserved)
                    walk(t, off + i * t.size, ep, reserved)
            else:
                nodes[path] = Slot(path, off, t.size_in(version), t.name, False, kind="struct", reserved=reserved)
                walk(t, off, path, reserved)
            return
        leaf = Slot(
            path,
            off,
            f.size,
            str(f.type),
            True,
            scalar=_leaf_scalar(t).name,
            count=f.type.count,
            count_const=f.type.count_const,
            tname="" if isinstance(t, Scalar) else t.name,
            kind="scalar" if isinstance(t, Scalar) else t.kind,
            reserved=reserved,
            value=f.value,
            magic=f.magic,
        )
        nodes[path] = leaf
        leaves.append(leaf)

    walk(st, 0, (), False)
    return View(st.size_in(version), leaves, nodes)


def ranges(slots: Iterable[Slot]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((s.offset, s.end) for s in slots):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def covered(ranges: list[tuple[int, int]], s: Slot) -> bool:
    return any(lo <= s.offset and s.end <= hi for lo, hi in ranges)


def overlaps(a: Slot, b: Slot) -> bool:
    return a.offset < b.end and b.offset < a.end


def embedded(schema: Schema) -> dict[str, list[str]]:
    """struct name -> names of the structs that embed it directly."""
    out: dict[str, list[str]] = {}
    for s in schema.structs:
        for f in s.fields:
            if isinstance(f.type.target, Struct) and s.name not in out.setdefault(f.type.target.name, []):
                out[f.type.target.name].append(s.name)
    return out


def parts_of(schema: Schema) -> dict[str, list[tuple[str, str]]]:
    """struct name -> (message name, part name) of every message part that is that struct."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in schema.messages:
        for p in m.struct_parts:
            if p.struct is not None:
                out.setdefault(p.struct.name, []).append((m.name, p.name))
    return out


def instances(schema: Schema) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """struct name -> (message, path prefix) of every place a message carries it."""
    carriers = embedded(schema)
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def walk(msg: str, s: Struct, prefix: tuple[str, ...]) -> None:
        for f in s.fields:
            t = f.type.target
            if isinstance(t, Struct):
                out.setdefault(t.name, []).append((msg, prefix + (f.name,)))
                walk(msg, t, prefix + (f.name,))

    for s in schema.structs:
        if s.name not in carriers:
            walk(s.name, s, ())
    return out


def placements(st: Struct) -> list[tuple[tuple[str, ...], str]]:
    """(path, struct name) of every struct embedded in `st`, at any depth and in any version;
    an array of structs gives one path per element, as the views do."""
    out: list[tuple[tuple[str, ...], str]] = []

    def walk(s: Struct, prefix: tuple[str, ...]) -> None:
        for f in s.fields:
            t = f.type.target
            if not isinstance(t, Struct):
                continue
            paths = [prefix + (f.name, f"[{i}]") for i in range(f.type.count or 0)] if f.type.is_array else [prefix + (f.name,)]
            for p in paths:
                out.append((p, t.name))
                walk(t, p)

    walk(st, ())
    return out


def is_under(path: tuple[str, ...] | None, prefix: tuple[str, ...]) -> bool:
    return path is not None and path[: len(prefix)] == prefix


def bytes_key(s: Slot) -> tuple:
    """What a leaf puts on the wire: names, and the enum or bitmap over its integer, left out."""
    return (s.offset, s.size, s.scalar, s.count, s.reserved, s.value)
