"""Wording shared by every rule: numbers, bits, version lists and the cells of a row as data."""

from __future__ import annotations

from ..model import BitField
from .wire import Slot


def num(v: int) -> str:
    return str(v) if -256 < v < 256 else f"{v} (0x{v & ((1 << 64) - 1):X})"


def slot_json(s: Slot, sizes: set[int] | None = None) -> dict:
    """A slot for the report; an embedded struct's size is given only if it is the same in every version the row covers."""
    d: dict = {"offset": s.offset}
    if s.leaf or (sizes is not None and len(sizes) == 1):
        d["size"] = s.size
    d["type"] = s.type
    if s.reserved:
        d["reserved"] = True
    if s.value is not None:
        d["value"] = s.value
    return d


def bits_json(f: BitField) -> dict:
    d: dict = {"bits": [f.lo, f.hi]}
    if not f.is_bool and f.type is not None:
        d["type"] = f.type.name
    return d


def bits_text(lo: int, hi: int) -> str:
    return f"bit {lo}" if lo == hi else f"bits {lo}..{hi}"


def versions_text(vs: list[int]) -> str:
    return f"version{'s' if len(vs) > 1 else ''} {', '.join(map(str, vs))}"
