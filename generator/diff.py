"""Schema review: what a schema change moves on the wire, and whether an old
peer and a new peer still understand each other.

Two loaded schemas are compared using only what the layout engine computed
(offsets, sizes, per-version layouts, bit masks, enum values); nothing here
recomputes a layout. Every change gets a verdict and a stable rule id (RULES):

  BREAKING    an old peer and a new peer would misread each other's bytes
  COMPATIBLE  both still understand each other
  SOURCE      identical bytes, but generated code changes
  DOC         documentation only

Structs are judged by their flattened byte layout in every protocol version:
the absolute offset, size and scalar type of every leaf, so a field that moves
to another struct while its bytes stay put (a version-2 field split out into a
struct of its own) is seen as what it is on the wire. A struct that is only
ever sent inside other structs is judged through them: a change to it that
leaves the bytes of every message carrying it unchanged is SOURCE.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import Mark, Problem, SchemaError, gather
from .loader import load_file, load_text
from .model import BitField, Bitmap, Constant, Enum, Field, Scalar, Schema, Struct

BREAKING, COMPATIBLE, SOURCE, DOC = "BREAKING", "COMPATIBLE", "SOURCE", "DOC"
VERDICTS = (BREAKING, COMPATIBLE, SOURCE, DOC)  # most severe first

# rule id -> (verdict, what it means). The README's rule table documents the same ids.
RULES: dict[str, tuple[str, str]] = {
    # struct fields (judged on the flattened per-version byte layout)
    "field-moved": (BREAKING, "A field's byte offset changed."),
    "field-resized": (BREAKING, "A field's size changed."),
    "array-length-changed": (BREAKING, "An array's element count changed (a literal or the constant it names)."),
    "field-retyped": (BREAKING, "A field's bytes now mean something else: other signedness or width, another enum or bitmap."),
    "fixed-value-changed": (BREAKING, "A field's fixed `value:` was changed, added or removed."),
    "field-inserted": (BREAKING, "A field was inserted before the end of a layout that old peers use."),
    "field-appended": (BREAKING, "A field was appended without `since` (or under a version old peers already speak)."),
    "field-removed": (BREAKING, "A field is gone from a layout that old peers use."),
    "field-since-changed": (BREAKING, "A struct field's `since` changed: peers of some version disagree on whether it is there."),
    "field-made-reserved": (BREAKING, "A meaningful field became reserved; old peers still give it meaning."),
    "reserved-given-meaning": (
        BREAKING,
        "Reserved bytes or bits now hold a number, enum, array or struct: old writers leave them zero and old readers ignore them, "
        "and nothing in the schema says that zero means 'as before' or that ignoring the value is safe.",
    ),
    "struct-resized": (BREAKING, "A struct's size changed in a protocol version old peers speak."),
    "packed-toggled": (BREAKING, "`packed` was toggled and the struct's alignment changed."),
    "version-field-changed": (BREAKING, "The field that selects a struct's layout moved, changed size or was dropped."),
    "enum-value-renumbered": (BREAKING, "An enum value's number changed."),
    "enum-value-reused": (BREAKING, "A number that meant one enum value now means another."),
    "enum-value-removed": (BREAKING, "An enum value was removed."),
    "bitmap-field-moved": (BREAKING, "A bitmap field moved to other bits."),
    "bitmap-field-narrowed": (BREAKING, "A bitmap field lost bits."),
    "bitmap-field-widened": (BREAKING, "A bitmap field gained bits; old readers drop the high ones."),
    "bitmap-field-removed": (BREAKING, "A bitmap field was removed; its bits are reserved now."),
    "bits-reused": (BREAKING, "Bits that belonged to one bitmap field now belong to another."),
    "underlying-type-changed": (BREAKING, "An enum's or bitmap's integer type changed."),
    "type-removed": (BREAKING, "A message type (a struct no other struct embeds) was removed."),
    "constant-changed": (BREAKING, "A constant used as an array length or a fixed `value:` changed."),
    "protocol-version-removed": (BREAKING, "A protocol version was dropped from `versions`."),
    "schema-removed": (BREAKING, "A whole schema file was removed."),
    # additions both sides tolerate
    "field-appended-versioned": (COMPATIBLE, "A field was appended under a protocol version old peers do not speak (`since`)."),
    "reserved-bit-assigned": (COMPATIBLE, "A reserved bit became a one-bit flag: old writers leave it 0 (not set), old readers ignore it."),
    "reserved-field-flags": (COMPATIBLE, "Reserved bytes became a bitmap: zero means no flag set, and old readers ignore flags they do not know."),
    "enum-value-added": (COMPATIBLE, "An enum value was added; enums are open, so old peers keep it as an unknown value."),
    "version-field-added": (COMPATIBLE, "A struct gained a `version_field` at a field old peers already write."),
    "type-added": (COMPATIBLE, "A type was added."),
    "constant-added": (COMPATIBLE, "A constant was added."),
    "protocol-version-added": (COMPATIBLE, "A protocol version was added to `versions`."),
    "schema-added": (COMPATIBLE, "A schema file was added."),
    # same bytes, other generated code
    "renamed": (SOURCE, "A type, field, enum value, bitmap field, constant or per-target name changed; the bytes did not."),
    "regrouped": (SOURCE, "Bytes moved between structs in the declaration, but every message carries them at the same offsets."),
    "field-type-refined": (SOURCE, "A field changed between a plain integer and an enum or bitmap of the same integer type."),
    "reserved-reshaped": (SOURCE, "A reserved field was reshaped or renamed; the bytes it covers are still reserved."),
    "packed-toggled-inert": (SOURCE, "`packed` was toggled on a struct whose alignment is 1 either way."),
    "inner-type-removed": (SOURCE, "An enum, bitmap or embedded struct was removed; its uses are judged where they were."),
    "constant-value-changed": (SOURCE, "A constant no layout uses changed value: no byte moves, but peers built from the old schema keep the old value."),
    "constant-retyped": (SOURCE, "A constant's integer type changed; its value did not."),
    "constant-removed": (SOURCE, "A constant was removed."),
    # words only
    "doc-changed": (DOC, "Documentation changed."),
    "since-changed": (DOC, "`since` of a type, enum value or bitmap field changed (documentation only)."),
}


def verdict_of(rule: str) -> str:
    return RULES[rule][0]


def worst(verdicts: Iterable[str]) -> str | None:
    found = set(verdicts)
    return next((v for v in VERDICTS if v in found), None)


# --------------------------------------------------------------------------------
# The report


@dataclass
class Change:
    """One row of the report."""

    scope: str  # a type name, "constants" or "schema"
    change: str  # what changed, for the Markdown table (may hold `code`)
    old: dict | None
    new: dict | None
    rule: str
    reason: str
    versions: list[int] | None = None  # the protocol versions this applies to; None = all
    old_path: tuple[str, ...] | None = None
    new_path: tuple[str, ...] | None = None
    order: tuple = ()

    @property
    def verdict(self) -> str:
        return verdict_of(self.rule)

    def as_json(self) -> dict:
        return {
            "change": self.change.replace("`", ""),
            "old": self.old,
            "new": self.new,
            "versions": self.versions,
            "verdict": self.verdict,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass
class Scope:
    """A section of the report: one type, the constants, or the schema itself."""

    name: str
    kind: str  # enum | bitmap | struct | constants | schema
    title: str  # heading text after the name
    changes: list[Change] = field(default_factory=list)


class _Tally:
    """Counts and the worst verdict of whatever `changes` a subclass holds."""

    changes: list[Change]

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.changes if c.verdict == v) for v in VERDICTS}

    @property
    def verdict(self) -> str | None:
        return worst(c.verdict for c in self.changes)


@dataclass
class SchemaDiff(_Tally):
    name: str
    old_label: str | None
    new_label: str | None
    scopes: list[Scope] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:  # type: ignore[override]
        return [c for s in self.scopes for c in s.changes]

    def rules(self) -> list[tuple[str, str, str]]:
        """(scope, rule, change without backticks) for every row: what tests assert."""
        return [(c.scope, c.rule, c.change.replace("`", "")) for c in self.changes]


@dataclass
class Report(_Tally):
    diffs: list[SchemaDiff]
    title: str = ""

    @property
    def changes(self) -> list[Change]:  # type: ignore[override]
        return [c for d in self.diffs for c in d.changes]

    @property
    def breaking(self) -> bool:
        return self.verdict == BREAKING

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "counts": self.counts(),
            "schemas": [
                {
                    "schema": d.name,
                    "old": d.old_label,
                    "new": d.new_label,
                    "verdict": d.verdict,
                    "counts": d.counts(),
                    "types": [{"name": s.name, "kind": s.kind, "title": s.title, "changes": [c.as_json() for c in s.changes]} for s in d.scopes],
                }
                for d in self.diffs
            ],
        }

    def to_markdown(self) -> str:
        return _markdown(self)


# --------------------------------------------------------------------------------
# Flattened layouts


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
        )
        nodes[path] = leaf
        leaves.append(leaf)

    walk(st, 0, (), False)
    return View(st.size_in(version), leaves, nodes)


def _ranges(slots: Iterable[Slot]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((s.offset, s.end) for s in slots):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _covered(ranges: list[tuple[int, int]], s: Slot) -> bool:
    return any(lo <= s.offset and s.end <= hi for lo, hi in ranges)


def _overlaps(a: Slot, b: Slot) -> bool:
    return a.offset < b.end and b.offset < a.end


# --------------------------------------------------------------------------------
# Matching types between the two schemas


def _embedded(schema: Schema) -> dict[str, list[str]]:
    """struct name -> names of the structs that embed it directly."""
    out: dict[str, list[str]] = {}
    for s in schema.structs:
        for f in s.fields:
            if isinstance(f.type.target, Struct) and s.name not in out.setdefault(f.type.target.name, []):
                out[f.type.target.name].append(s.name)
    return out


def _instances(schema: Schema) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """struct name -> (message, path prefix) of every place a message carries it."""
    embedded = _embedded(schema)
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def walk(msg: str, s: Struct, prefix: tuple[str, ...]) -> None:
        for f in s.fields:
            t = f.type.target
            if isinstance(t, Struct):
                out.setdefault(t.name, []).append((msg, prefix + (f.name,)))
                walk(msg, t, prefix + (f.name,))

    for s in schema.structs:
        if s.name not in embedded:
            walk(s.name, s, ())
    return out


class _Ctx:
    def __init__(self, old: Schema, new: Schema):
        self.old, self.new = old, new
        self.versions = sorted(set(old.versions) | set(new.versions))
        self.old_versions = set(old.versions)
        self.new_versions = set(new.versions)
        self._views: dict[tuple[int, int], View] = {}
        self.old_name: dict[str, str] = {}  # new type name -> old type name, for matched types
        self.pairs: list[tuple[Enum | Bitmap | Struct, Enum | Bitmap | Struct]] = []
        self.added: list[Enum | Bitmap | Struct] = []
        self.removed: list[Enum | Bitmap | Struct] = []
        self.old_embedded = _embedded(old)
        self.new_embedded = _embedded(new)

    def view(self, st: Struct, v: int) -> View:
        key = (id(st), v)
        if key not in self._views:
            self._views[key] = view(st, v)
        return self._views[key]

    def same_type(self, old_tname: str, new_tname: str) -> bool:
        """Do an old and a new leaf name the same type ("" = a plain integer), renames followed?"""
        if not old_tname or not new_tname:
            return old_tname == new_tname
        return self.old_name.get(new_tname) == old_tname

    def shape(self, t: Enum | Bitmap | Struct) -> tuple:
        if isinstance(t, Enum):
            return ("enum", t.type.name, tuple(sorted(v.value for v in t.values)))
        if isinstance(t, Bitmap):
            return ("bitmap", t.type.name, tuple(sorted((f.lo, f.hi, f.is_bool) for f in t.fields)))
        return (
            "struct",
            t.packed,
            tuple(
                (vw.size, tuple((s.offset, s.size, s.scalar, s.count, s.kind, s.reserved, s.value) for s in vw.leaves))
                for vw in (self.view(t, v) for v in self.versions)
            ),
        )

    def match_types(self) -> None:
        old_types = {t.name: t for t in self.old.types}
        new_types = {t.name: t for t in self.new.types}
        pairs = []
        left_old = [t for t in self.old.types if not (t.name in new_types and new_types[t.name].kind == t.kind)]
        left_new = [t for t in self.new.types if not (t.name in old_types and old_types[t.name].kind == t.kind)]
        for t in self.new.types:
            o = old_types.get(t.name)
            if o is not None and o.kind == t.kind:
                pairs.append((o, t))
        # renames: an unmatched old type and an unmatched new type of the same shape, each unique
        old_shapes: dict[tuple, list] = {}
        new_shapes: dict[tuple, list] = {}
        for t in left_old:
            old_shapes.setdefault(self.shape(t), []).append(t)
        for t in left_new:
            new_shapes.setdefault(self.shape(t), []).append(t)
        renamed = []
        for sh, news in new_shapes.items():
            olds = old_shapes.get(sh, [])
            if len(news) == 1 and len(olds) == 1:
                renamed.append((olds[0], news[0]))
        for o, n in renamed:
            pairs.append((o, n))
            left_old.remove(o)
            left_new.remove(n)
        order = {t.name: i for i, t in enumerate(self.new.types)}
        self.pairs = sorted(pairs, key=lambda p: order[p[1].name])
        self.old_name = {n.name: o.name for o, n in self.pairs}
        self.added = left_new
        self.removed = left_old


# --------------------------------------------------------------------------------
# Text helpers


def _num(v: int) -> str:
    return str(v) if -256 < v < 256 else f"{v} (0x{v & ((1 << 64) - 1):X})"


def _short(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


def _slot_json(s: Slot, sizes: set[int] | None = None) -> dict:
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


def _bits_json(f: BitField) -> dict:
    d: dict = {"bits": [f.lo, f.hi]}
    if not f.is_bool and f.type is not None:
        d["type"] = f.type.name
    return d


def _bits_text(lo: int, hi: int) -> str:
    return f"bit {lo}" if lo == hi else f"bits {lo}..{hi}"


def _cell(d: dict | None) -> str:
    if d is None:
        return "—"
    if "text" in d:
        return d["text"]
    if "sizes" in d:
        sizes = d["sizes"]
        vals = set(sizes.values())
        if len(vals) == 1:
            return f"{vals.pop()} B"
        return ", ".join(f"v{v}: {n} B" for v, n in sizes.items())
    if "version_field" in d:
        vf = d["version_field"]
        return "none" if vf is None else f"{vf} @{d['offset']}, {d['size']} B"
    if "offset" in d:
        parts = [f"@{d['offset']}"]
        if "size" in d:
            parts.append(f"{d['size']} B")
        parts.append(d["type"])
        if d.get("reserved"):
            parts.append("reserved")
        if "value" in d:
            parts.append(f"= {_num(d['value'])}")
        if "since" in d:
            parts.append(f"since {d['since']}")
        return ", ".join(parts)
    if "bits" in d:
        lo, hi = d["bits"]
        return _bits_text(lo, hi) + (f", {d['type']}" if "type" in d else "")
    if "value" in d:
        return (f"{d['type']} " if "type" in d else "") + _num(d["value"])
    if "packed" in d:
        return f"packed: {str(d['packed']).lower()}, align {d['align']}"
    if "names" in d:
        return ", ".join(f"{k}: {v}" for k, v in sorted(d["names"].items())) or "none"
    if "name" in d:
        return d["name"]
    if "since" in d:
        return "none" if d["since"] is None else f"since {d['since']}"
    return json.dumps(d, sort_keys=True)


# --------------------------------------------------------------------------------
# Structs


COLLAPSIBLE = {
    "field-moved": "both",
    "field-appended-versioned": "new",
    "field-appended": "new",
    "field-inserted": "new",
    "field-removed": "old",
}


@dataclass
class _Event:
    rule: str
    old: Slot | None
    new: Slot | None
    note: str = ""

    def path(self, side: str) -> tuple[str, ...]:
        s = self.new if side == "new" else self.old
        assert s is not None
        return s.path

    def key(self) -> tuple:
        def k(s: Slot | None) -> tuple | None:
            if s is None:
                return None
            return (s.path, s.offset, s.size if s.leaf else None, s.type, s.reserved, s.value)

        return (self.rule, k(self.old), k(self.new), self.note)


def _compare_pair(a: Slot, b: Slot, ctx: _Ctx) -> _Event | None:
    """Two leaves with the same path in the same version."""
    extra = []
    if a.size != b.size:
        extra.append(f"size {a.size} → {b.size} B")
    if a.type == b.type and a.count != b.count:
        extra.append(f"length {a.count} → {b.count}")
    elif (a.scalar, a.count) != (b.scalar, b.count) or not ctx.same_type(a.tname, b.tname):
        extra.append(f"type {a.type} → {b.type}")
    if a.offset != b.offset:
        return _Event("field-moved", a, b, "; ".join(extra))
    if a.size != b.size:
        same_elem = a.count is not None and b.count is not None and a.scalar == b.scalar and ctx.same_type(a.tname, b.tname)
        if same_elem:
            return _Event("array-length-changed", a, b)
        return _Event("field-resized", a, b, "; ".join(extra[1:]))
    if (a.scalar, a.count) != (b.scalar, b.count):
        return _Event("field-retyped", a, b)
    if not ctx.same_type(a.tname, b.tname):
        if not a.tname or not b.tname:
            return _Event("field-type-refined", a, b)
        return _Event("field-retyped", a, b)
    if a.value != b.value:
        return _Event("fixed-value-changed", a, b)
    return None


def _meaning(b: Slot) -> str:
    return "reserved-field-flags" if b.kind == "bitmap" and b.value is None and b.count is None else "reserved-given-meaning"


def _compare_at(o: View, n: View, v: int, ctx: _Ctx) -> list[_Event]:
    """Every difference between the old and the new bytes of one struct in protocol version v."""
    ev: list[_Event] = []
    known = v in ctx.old_versions  # old peers send and read messages of this version
    O = {s.path: s for s in o.leaves}
    N = {s.path: s for s in n.leaves}
    old_res = [s for s in o.leaves if s.reserved]
    rold = _ranges(old_res)

    # Reserved leaves of the new layout: still inside old reserved bytes, or moved away from them?
    state: dict[tuple[str, ...], str] = {}
    moved_res: set[tuple[str, ...]] = set()
    for b in n.leaves:
        if not b.reserved:
            continue
        a = O.get(b.path)
        if a is not None and a.reserved:
            if (a.offset, a.size) == (b.offset, b.size):
                state[b.path] = "same"
            elif _covered(rold, b):
                state[b.path] = "reshaped"
            else:
                state[b.path] = "moved"
                moved_res.add(a.path)
        elif a is None:
            state[b.path] = "reshaped" if _covered(rold, b) else "free"
    rold_stay = _ranges(s for s in old_res if s.path not in moved_res)
    rnew_free = _ranges(b for b in n.leaves if state.get(b.path) == "free")
    given: list[Slot] = []

    # same path on both sides
    for b in n.leaves:
        a = O.get(b.path)
        if a is None:
            continue
        if a.reserved and b.reserved:
            st = state[b.path]
            if st == "same":
                if a.type != b.type:
                    ev.append(_Event("reserved-reshaped", a, b))
                continue
            if st == "reshaped":
                ev.append(_Event("reserved-reshaped", a, b))
                continue
        elif a.reserved and not b.reserved:
            if (a.offset, a.size) == (b.offset, b.size) or _covered(rold_stay, b):
                ev.append(_Event(_meaning(b), a, b))
                given.append(b)
                continue
        elif not a.reserved and b.reserved:
            if (a.offset, a.size) == (b.offset, b.size):
                ev.append(_Event("field-made-reserved", a, b))
                continue
        e = _compare_pair(a, b, ctx)
        if e is not None:
            ev.append(e)

    # renames: same bytes, other path
    uo = [a for a in o.leaves if a.path not in N and not a.reserved]
    un = [b for b in n.leaves if b.path not in O and not b.reserved]
    by_off = {a.offset: a for a in uo}
    for b in list(un):
        a = by_off.get(b.offset)
        if a is None or a not in uo:
            continue
        if (a.size, a.scalar, a.count, a.value) == (b.size, b.scalar, b.count, b.value) and ctx.same_type(a.tname, b.tname):
            ev.append(_Event("renamed" if a.path[-1] != b.path[-1] else "regrouped", a, b))
            uo.remove(a)
            un.remove(b)

    for b in un:
        if _covered(rold_stay, b):
            ev.append(_Event(_meaning(b), None, b))
            given.append(b)
        elif b.offset >= o.size:
            ev.append(_Event("field-appended" if known else "field-appended-versioned", None, b))
        else:
            ev.append(_Event("field-inserted", None, b))
    made_reserved = []
    for a in uo:
        if _covered(rnew_free, a):
            ev.append(_Event("field-made-reserved", a, None))
            made_reserved.append(a)
        else:
            ev.append(_Event("field-removed", a, None))

    # Fields that stayed at their offset but shrank or grew: the bytes they gave up may
    # become reserved, and the bytes they took may have been reserved; that is part of
    # their own resize row, not a separate insertion or removal.
    shrank = [O[b.path] for b in n.leaves if b.path in O and O[b.path].offset == b.offset and O[b.path].size > b.size]
    grew = [b for b in n.leaves if b.path in O and O[b.path].offset == b.offset and O[b.path].size < b.size]

    # reserved leaves only one side has
    for b in n.leaves:
        if state.get(b.path) == "reshaped" and b.path not in O:
            src = next((a for a in old_res if _overlaps(a, b)), None)
            ev.append(_Event("reserved-reshaped", src, b))
        elif state.get(b.path) == "free":
            if b.offset >= o.size:
                ev.append(_Event("field-appended" if known else "field-appended-versioned", None, b))
            elif not _covered(_ranges(made_reserved + shrank), b):
                ev.append(_Event("field-inserted", None, b))
    still = _ranges([s for s in n.leaves if s.reserved] + given + grew)
    for a in old_res:
        if a.path in N:
            continue
        if not _covered(still, a):
            ev.append(_Event("field-removed", a, None))
    # An array of structs that changed length: one row for the array, not one per element.
    for p, b in n.nodes.items():
        a = o.nodes.get(p)
        if b.leaf or a is None or a.leaf or a.count is None or b.count is None or a.count == b.count:
            continue
        ev.append(_Event("array-length-changed", a, b))
        extra = {p + (f"[{i}]",) for i in range(min(a.count, b.count), max(a.count, b.count))}
        ev = [
            e
            for e in ev
            if not (e.rule in ("field-inserted", "field-removed", "field-appended", "field-appended-versioned") and (e.new or e.old).path[: len(p) + 1] in extra)  # type: ignore[union-attr]
        ]
    return ev


def _collapse(events: list[_Event], o: View, n: View) -> list[_Event]:
    """Replace the events of every leaf under one field by a single event for that field,
    when the whole field moved, appeared or went away as one."""
    events = list(events)
    changed = True
    while changed:
        changed = False
        for rule, side in COLLAPSIBLE.items():
            sp = "old" if side == "old" else "new"  # the side whose paths are grouped
            evs = [e for e in events if e.rule == rule and (side != "both" or e.old.path == e.new.path)]  # type: ignore[union-attr]
            parents = sorted({e.path(sp)[:k] for e in evs for k in range(1, len(e.path(sp)))}, key=len, reverse=True)
            for P in parents:
                group = [e for e in evs if e.path(sp)[: len(P)] == P]
                covered: set[tuple[str, ...]] = set()
                for e in group:
                    s = e.old if sp == "old" else e.new
                    assert s is not None
                    covered |= {s.path} if s.leaf else (o if sp == "old" else n).under(s.path)
                if side == "both":
                    ok = P in o.nodes and P in n.nodes and o.under(P) == n.under(P) == covered
                    ok = ok and len({e.new.offset - e.old.offset for e in group}) == 1  # type: ignore[union-attr]
                    merged = _Event(rule, o.nodes.get(P), n.nodes.get(P))
                elif side == "new":
                    ok = P in n.nodes and P not in o.nodes and n.under(P) == covered
                    merged = _Event(rule, None, n.nodes.get(P))
                else:
                    ok = P in o.nodes and P not in n.nodes and o.under(P) == covered
                    merged = _Event(rule, o.nodes.get(P), None)
                if ok:
                    events = [e for e in events if e not in group] + [merged]
                    changed = True
                    break
            if changed:
                break
    return events


def _group_renames(events: list[_Event], o: View, n: View) -> list[_Event]:
    """A renamed embedded field shows as one rename, not one per leaf under it (renames
    inside it stay separate rows)."""
    changed = True
    while changed:
        changed = False
        ren = [e for e in events if e.rule in ("renamed", "regrouped")]
        for e in ren:
            a, b = e.old, e.new
            assert a is not None and b is not None
            if len(a.path) < 2 or len(b.path) < 2 or a.path[-1] != b.path[-1]:
                continue
            po, pn = a.path[:-1], b.path[:-1]
            if po == pn or po not in o.nodes or pn not in n.nodes or pn in o.nodes or po in n.nodes:
                continue
            group = [x for x in ren if x.old.path[: len(po)] == po and x.new.path[: len(pn)] == pn]  # type: ignore[union-attr]
            cov_o = set().union(*({x.old.path} if x.old.leaf else o.under(x.old.path) for x in group))  # type: ignore[union-attr]
            cov_n = set().union(*({x.new.path} if x.new.leaf else n.under(x.new.path) for x in group))  # type: ignore[union-attr]
            if cov_o != o.under(po) or cov_n != n.under(pn):
                continue
            same = [x for x in group if x.old.path[len(po):] == x.new.path[len(pn):]]  # type: ignore[union-attr]
            rule = "renamed" if po[:-1] == pn[:-1] else "regrouped"
            events = [x for x in events if x not in same] + [_Event(rule, o.nodes[po], n.nodes[pn])]
            changed = True
            break
    return events


_VERBS = {
    "field-moved": "moved",
    "field-resized": "resized",
    "array-length-changed": "length changed",
    "field-retyped": "retyped",
    "field-type-refined": "type changed",
    "fixed-value-changed": "fixed value changed",
    "field-inserted": "inserted",
    "field-appended": "appended",
    "field-appended-versioned": "appended",
    "field-removed": "removed",
    "field-made-reserved": "made reserved",
    "reserved-given-meaning": "takes reserved bytes",
    "reserved-field-flags": "takes reserved bytes",
    "reserved-reshaped": "reshaped",
    "field-since-changed": "since changed",
}


def _struct_reason(e: _Event, versions: list[int], o: dict[int, View], n: dict[int, View], ctx: _Ctx) -> str:
    a, b = e.old, e.new
    r = e.rule
    if r == "field-moved":
        assert a and b
        return f"at byte {b.offset}, was {a.offset}: each peer reads it where the other wrote something else" + (f" ({e.note})" if e.note else "")
    if r == "field-resized":
        assert a and b
        return f"{a.size} → {b.size} bytes: the peers disagree on how many bytes it has" + (f" ({e.note})" if e.note else "")
    if r == "array-length-changed":
        assert a and b
        how = f"{b.count_const} = {a.count} → {b.count}" if a.count_const and a.count_const == b.count_const else f"{a.count} → {b.count} elements"
        return f"{how}: {a.size} → {b.size} bytes, so it and everything after it no longer line up"
    if r == "field-retyped":
        assert a and b
        if a.scalar != b.scalar or a.count != b.count:
            return f"{a.type} → {b.type}: the same bytes decode to other numbers ({a.scalar} vs {b.scalar})"
        return f"{a.type} → {b.type}: the same {b.scalar} now means a value of another type"
    if r == "field-type-refined":
        assert a and b
        why = {"enum": "enums are open, so every number still round-trips", "bitmap": "bitmaps keep bits they do not name"}.get(b.kind if b.tname else a.kind, "")
        return f"{a.type} → {b.type}: the same {b.scalar} on the wire ({why}); generated code uses the new type"
    if r == "fixed-value-changed":
        assert a and b
        fmt = lambda x: "none" if x is None else _num(x)  # noqa: E731
        return f"fixed value {fmt(a.value)} → {fmt(b.value)}: a strict decoder rejects what the other side writes"
    if r == "field-inserted":
        assert b
        return f"inserted at byte {b.offset}, inside the layout old peers use for {_versions_text(versions)}: later bytes no longer line up"
    if r == "field-appended":
        assert b
        olds = sorted({o[v].size for v in versions})
        return f"appended at byte {b.offset} without a new protocol version: old peers send {_versions_text(versions)} messages of {' or '.join(map(str, olds))} bytes and stop reading before it"
    if r == "field-appended-versioned":
        assert b
        olds = sorted({o[v].size for v in versions})
        return (
            f"only in {_versions_text(versions)} messages, which old peers do not speak; they read such a message by its first "
            f"{' or '.join(map(str, olds))} bytes (their newest layout), which are unchanged"
        )
    if r == "field-removed":
        assert a
        return f"old peers still put it at byte {a.offset} in {_versions_text(versions)}; new peers no longer read it there"
    if r == "field-made-reserved":
        assert a
        return f"bytes {a.offset}..{a.end - 1} are reserved now: new peers write 0 and ignore them, old peers still give them meaning"
    if r == "reserved-given-meaning":
        assert b
        return (
            f"bytes {b.offset}..{b.end - 1} were reserved: old writers leave them 0 and old readers ignore them. A {b.type} is not a set of flags, "
            "so nothing says 0 means 'as before' or that ignoring it is safe; only a bitmap (flags) is accepted as compatible here"
        )
    if r == "reserved-field-flags":
        assert b
        return f"bytes {b.offset}..{b.end - 1} were reserved and now hold the bitmap {b.type}: old writers leave them 0 (no flag set) and old readers ignore flags they do not know, as with a reserved bit"
    if r == "reserved-reshaped":
        assert b
        return f"bytes {b.offset}..{b.end - 1} are still reserved; only the declaration changed"
    if r == "renamed":
        return "same bytes at the same offset in every version; only the generated name changes"
    if r == "regrouped":
        assert a and b
        return f"same bytes at byte {b.offset} in {_versions_text(versions)}; only the declaration tree changed"
    if r == "field-since-changed":
        return e.note
    raise AssertionError(r)


def _versions_text(vs: list[int]) -> str:
    return f"version{'s' if len(vs) > 1 else ''} {', '.join(map(str, vs))}"


def _size_change(vs: list[int], o: dict[int, View], n: dict[int, View]) -> str:
    pairs = [(o[v].size, n[v].size) for v in vs]
    if len(set(pairs)) == 1:
        return f"{pairs[0][0]} → {pairs[0][1]} bytes"
    return ", ".join(f"v{v}: {a} → {b}" for v, (a, b) in zip(vs, pairs)) + " bytes"


def _diff_struct(o: Struct, n: Struct, ctx: _Ctx) -> list[Change]:
    V = ctx.versions
    ov = {v: ctx.view(o, v) for v in V}
    nv = {v: ctx.view(n, v) for v in V}
    out: list[Change] = []
    scope = n.name

    # struct fields whose `since` changed: one event for the outermost such field
    def firsts(views: dict[int, View]) -> dict[tuple[str, ...], int]:
        f: dict[tuple[str, ...], int] = {}
        for v in V:
            for p in views[v].nodes:
                f.setdefault(p, v)
        return f

    fo, fn = firsts(ov), firsts(nv)
    since_paths = [p for p in fn if p in fo and fo[p] != fn[p]]
    since_paths = [p for p in since_paths if not any(p[:k] in since_paths for k in range(1, len(p)))]

    merged: dict[tuple, tuple[_Event, list[int], list[_Event]]] = {}
    for v in V:
        evs = _compare_at(ov[v], nv[v], v, ctx)
        evs = [
            e
            for e in evs
            if not (
                e.rule in ("field-appended", "field-appended-versioned", "field-inserted", "field-removed")
                and any(((e.old or e.new).path[: len(p)] == p) for p in since_paths)  # type: ignore[union-attr]
            )
        ]
        evs = _group_renames(_collapse(evs, ov[v], nv[v]), ov[v], nv[v])
        for e in evs:
            k = e.key()
            if k in merged:
                merged[k][1].append(v)
                merged[k][2].append(e)
            else:
                merged[k] = (e, [v], [e])

    for p in since_paths:
        a = next(ov[v].nodes[p] for v in V if p in ov[v].nodes)
        b = next(nv[v].nodes[p] for v in V if p in nv[v].nodes)
        differ = [v for v in V if (p in ov[v].nodes) != (p in nv[v].nodes)]
        note = f"since {fo[p]} → since {fn[p]}: version {', '.join(map(str, differ))} peers disagree on whether it is there"
        e = _Event("field-since-changed", a, b, note)
        merged[("since", p)] = (e, differ, [e])

    for e, vs, all_events in merged.values():
        a, b = e.old, e.new
        path = (b or a).path  # type: ignore[union-attr]
        if e.rule in ("renamed", "regrouped"):
            text = f"`{dotted(a.path)}` → `{dotted(b.path)}`"  # type: ignore[union-attr]
        else:
            text = f"`{dotted(path)}` {_VERBS[e.rule]}"
        if set(vs) != set(V):
            text += " in " + ("v" + str(vs[0]) if len(vs) == 1 else "v" + ", v".join(map(str, vs)))
        old_d = _slot_json(a, {x.old.size for x in all_events if x.old}) if a else None
        new_d = _slot_json(b, {x.new.size for x in all_events if x.new}) if b else None
        if e.rule in ("reserved-given-meaning", "reserved-field-flags") and a is None and b is not None:
            old_d = {"text": f"reserved bytes {b.offset}..{b.end - 1}"}
        if e.rule == "field-since-changed":
            old_d = dict(old_d or {}, since=fo[path])
            new_d = dict(new_d or {}, since=fn[path])
        out.append(
            Change(
                scope,
                text,
                old_d,
                new_d,
                e.rule,
                _struct_reason(e, vs, ov, nv, ctx),
                None if set(vs) == set(V) else vs,
                a.path if a else None,
                b.path if b else None,
                (1, (b or a).offset, vs[0], path),  # type: ignore[union-attr]
            )
        )

    # the struct as a whole
    resized = [v for v in V if v in ctx.old_versions and ov[v].size != nv[v].size]
    if resized:
        out.append(
            Change(
                scope,
                "size" + ("" if set(resized) == set(V) else " in " + ", ".join(f"v{v}" for v in resized)),
                {"sizes": {str(v): ov[v].size for v in resized}},
                {"sizes": {str(v): nv[v].size for v in resized}},
                "struct-resized",
                f"{_size_change(resized, ov, nv)} in {_versions_text(resized)}, which old peers speak: "
                "the peers disagree on where it ends and on what follows it",
                None if set(resized) == set(V) else resized,
                order=(0, 2),
            )
        )
    if o.packed != n.packed:
        rule = "packed-toggled" if o.align != n.align else "packed-toggled-inert"
        reason = (
            f"alignment {o.align} → {n.align}. No byte moves (the schema refuses padding, so packing never moves a field), "
            "but the generated types change their alignment contract: code that reads the struct in place from a buffer, "
            "or embeds it in a hand-written struct, lays it out differently; treated as breaking"
            if rule == "packed-toggled"
            else "its alignment is 1 either way, so nothing but the generated attribute changes"
        )
        out.append(Change(scope, "packing", {"packed": o.packed, "align": o.align}, {"packed": n.packed, "align": n.align}, rule, reason, order=(0, 3)))

    def vfield(s: Struct) -> dict:
        if not s.version_path:
            return {"version_field": None}
        last = s.version_path[-1]
        return {"version_field": ".".join(f.name for f in s.version_path), "offset": s.version_offset, "size": last.size}

    vo, vn = vfield(o), vfield(n)
    if (vo.get("offset"), vo.get("size")) != (vn.get("offset"), vn.get("size")):
        if vo["version_field"] is None:
            out.append(
                Change(
                    scope,
                    "version field",
                    vo,
                    vn,
                    "version-field-added",
                    f"`{vn['version_field']}` at byte {vn['offset']} now selects the layout; old peers must already write a version no newer than {ctx.old.newest_version} there",
                    order=(0, 4),
                )
            )
        else:
            what = "dropped: the struct no longer says which version it is" if vn["version_field"] is None else f"now {vn['size']} B at byte {vn['offset']} (was {vo['size']} B at byte {vo['offset']})"
            out.append(Change(scope, "version field", vo, vn, "version-field-changed", f"{what}: the peers pick different layouts for the same message", order=(0, 4)))

    # declarations: docs and per-target names of the struct and its own fields
    out += _item_meta(scope, "", o, n, ctx, order=(0, 5))
    renamed_fields = {
        c.new_path[0]: c.old_path[0]
        for c in out
        if c.rule in ("renamed", "regrouped") and c.old_path and c.new_path and len(c.old_path) == 1 and len(c.new_path) == 1
    }
    old_fields = {f.name: f for f in o.fields}
    for i, f in enumerate(n.fields):
        g = old_fields.get(renamed_fields.get(f.name, f.name))
        if g is not None:
            out += _item_meta(scope, f"`{f.name}` ", g, f, ctx, order=(2, i), docs_only=False, since=False)
    return out


def _item_meta(scope: str, label: str, a, b, ctx: _Ctx, order: tuple, docs_only: bool = False, since: bool = True) -> list[Change]:
    """doc, `since` (types, enum values, bitmap fields) and per-target name overrides of one item."""
    out = []
    if a.doc != b.doc:
        out.append(
            Change(
                scope,
                f"{label}doc".strip(),
                {"text": _short(a.doc) or "none"},
                {"text": _short(b.doc) or "none"},
                "doc-changed",
                "documentation only; the generated comments change",
                order=order + (1,),
            )
        )
    if since and a.since != b.since:
        out.append(
            Change(
                scope,
                f"{label}since".strip(),
                {"since": a.since},
                {"since": b.since},
                "since-changed",
                "`since` on a type, enum value or bitmap field only documents when it appeared",
                order=order + (2,),
            )
        )
    if not docs_only and a.names != b.names:
        out.append(
            Change(scope, f"{label}per-target names".strip(), {"names": a.names}, {"names": b.names}, "renamed", "a per-target name override changed; the bytes did not", order=order + (0,))
        )
    return out


# --------------------------------------------------------------------------------
# Enums and bitmaps


def _underlying_type(scope: str, o: Enum | Bitmap, n: Enum | Bitmap, effect: str) -> list[Change]:
    if o.type.name == n.type.name:
        return []
    return [
        Change(scope, "integer type", {"text": o.type.name}, {"text": n.type.name}, "underlying-type-changed", f"{o.type.name} → {n.type.name}: {effect}", order=(0, 1))
    ]


def _diff_enum(o: Enum, n: Enum, ctx: _Ctx) -> list[Change]:
    out: list[Change] = []
    scope = n.name
    out += _underlying_type(scope, o, n, "every field of this enum changes its bytes")
    olds = {v.name: v for v in o.values}
    news = {v.name: v for v in n.values}
    old_by_num = {v.value: v for v in o.values}
    matched: list[tuple] = [(olds[v.name], v) for v in n.values if v.name in olds]
    left_old = [v for v in o.values if v.name not in news]
    left_new = [v for v in n.values if v.name not in olds]
    for a, b in matched:
        if a.value != b.value:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` renumbered",
                    {"value": a.value},
                    {"value": b.value},
                    "enum-value-renumbered",
                    f"{_num(a.value)} → {_num(b.value)}: each peer decodes the other's {b.name} as another value",
                    order=(1, b.value),
                )
            )
    for b in list(left_new):
        a = next((x for x in left_old if x.value == b.value), None)
        if a is not None:
            matched.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
            out.append(
                Change(scope, f"`{a.name}` → `{b.name}`", {"value": a.value}, {"value": b.value}, "renamed", f"same number {_num(b.value)}; only the generated name changes (if its meaning changed too, old peers still mean {a.name} by it)", order=(1, b.value))
            )
    for b in left_new:
        prev = old_by_num.get(b.value)
        if prev is not None:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` reuses {_num(b.value)}",
                    {"value": b.value, "type": prev.name},
                    {"value": b.value, "type": b.name},
                    "enum-value-reused",
                    f"{_num(b.value)} meant {prev.name} to old peers",
                    order=(1, b.value),
                )
            )
        else:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` added",
                    None,
                    {"value": b.value},
                    "enum-value-added",
                    f"enums are open: an old peer decodes {_num(b.value)} as an unknown value and re-encodes it unchanged",
                    order=(1, b.value),
                )
            )
    for a in left_old:
        out.append(
            Change(
                scope,
                f"`{a.name}` removed",
                {"value": a.value},
                None,
                "enum-value-removed",
                f"old peers still send {_num(a.value)} meaning {a.name}; to new peers it means nothing",
                order=(1, a.value),
            )
        )
    out += _item_meta(scope, "", o, n, ctx, order=(0, 2))
    for a, b in matched:
        out += _item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, b.value))
    return out


def _diff_bitmap(o: Bitmap, n: Bitmap, ctx: _Ctx) -> list[Change]:
    out: list[Change] = []
    scope = n.name
    out += _underlying_type(scope, o, n, "every field of this bitmap changes its size")
    olds = {f.name: f for f in o.fields}
    news = {f.name: f for f in n.fields}
    matched = [(olds[f.name], f) for f in n.fields if f.name in olds]
    left_old = [f for f in o.fields if f.name not in news]
    left_new = [f for f in n.fields if f.name not in olds]

    def tname(f: BitField) -> str:
        return "bool" if f.is_bool else f.type.name  # type: ignore[union-attr]

    def same_type(a: BitField, b: BitField) -> bool:
        if a.is_bool or b.is_bool:
            return a.is_bool == b.is_bool
        return ctx.same_type(a.type.name, b.type.name) if not (isinstance(a.type, Scalar) and isinstance(b.type, Scalar)) else a.type.name == b.type.name  # type: ignore[union-attr]

    for a, b in matched:
        if (a.lo, a.hi) != (b.lo, b.hi):
            if b.width < a.width:
                rule, why = "bitmap-field-narrowed", f"{a.width} → {b.width} bits: values that need the lost bits are cut"
            elif b.width > a.width:
                rule, why = "bitmap-field-widened", f"{a.width} → {b.width} bits: old readers see only the low {a.width} bits of larger values"
            else:
                rule, why = "bitmap-field-moved", "each peer reads it from bits the other uses for something else"
            verb = rule.rsplit("-", 1)[1]
            out.append(Change(scope, f"`{b.name}` {verb}", _bits_json(a), _bits_json(b), rule, f"{_bits_text(a.lo, a.hi)} → {_bits_text(b.lo, b.hi)}: {why}", order=(1, b.lo)))
        elif not same_type(a, b):
            refine = a.is_bool or b.is_bool or isinstance(a.type, Scalar) or isinstance(b.type, Scalar)
            out.append(
                Change(
                    scope,
                    f"`{b.name}` type changed",
                    _bits_json(a) | {"type": tname(a)},
                    _bits_json(b) | {"type": tname(b)},
                    "field-type-refined" if refine else "field-retyped",
                    f"{tname(a)} → {tname(b)}: " + ("the same bits and numbers; generated code uses the new type" if refine else "the same bits now hold values of another enum"),
                    order=(1, b.lo),
                )
            )
    for b in list(left_new):
        a = next((x for x in left_old if (x.lo, x.hi) == (b.lo, b.hi) and same_type(x, b)), None)
        if a is not None:
            matched.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
            out.append(Change(scope, f"`{a.name}` → `{b.name}`", _bits_json(a), _bits_json(b), "renamed", f"same bits; only the generated name changes (if its meaning changed too, old peers still mean {a.name} by it)", order=(1, b.lo)))
    for b in left_new:
        if b.mask & ~o.reserved_mask & ((1 << o.type.bits) - 1):
            owners = sorted({f.name for f in o.fields if f.mask & b.mask})
            out.append(
                Change(
                    scope,
                    f"`{b.name}` added",
                    None,
                    _bits_json(b),
                    "bits-reused",
                    f"{_bits_text(b.lo, b.hi)} belonged to {', '.join(owners)} for old peers",
                    order=(1, b.lo),
                )
            )
        elif b.width == 1 and b.is_bool:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` added",
                    {"text": f"{_bits_text(b.lo, b.hi)} reserved"},
                    _bits_json(b),
                    "reserved-bit-assigned",
                    f"bit {b.lo} was reserved: old writers leave it 0 (flag not set) and old readers keep it without acting on it",
                    order=(1, b.lo),
                )
            )
        else:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` added",
                    {"text": f"{_bits_text(b.lo, b.hi)} reserved"},
                    _bits_json(b),
                    "reserved-given-meaning",
                    f"{_bits_text(b.lo, b.hi)} were reserved: old writers leave them 0 and old readers ignore them. A {b.width}-bit {tname(b)} is a value, "
                    "not a flag, so nothing says 0 means 'as before' or that ignoring it is safe; only one-bit flags are accepted as compatible",
                    order=(1, b.lo),
                )
            )
    for a in left_old:
        out.append(
            Change(
                scope,
                f"`{a.name}` removed",
                _bits_json(a),
                {"text": f"{_bits_text(a.lo, a.hi)} reserved"},
                "bitmap-field-removed",
                f"old peers still set {_bits_text(a.lo, a.hi)} meaning {a.name}; new peers keep it as a reserved bit and ignore it",
                order=(1, a.lo),
            )
        )
    out += _item_meta(scope, "", o, n, ctx, order=(0, 2))
    for a, b in matched:
        out += _item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, b.lo))
    return out


# --------------------------------------------------------------------------------
# Constants and the schema itself


def _uses(schema: Schema, c: Constant) -> list[str]:
    out = []
    for s in schema.structs:
        for f in s.fields:
            if f.type.count_const == c.name:
                out.append(f"the length of {s.name}.{f.name}")
            if f.value_ref == c.name:
                out.append(f"the fixed value of {s.name}.{f.name}")
    return out


def _diff_constants(old: Schema, new: Schema, ctx: _Ctx) -> list[Change]:
    out: list[Change] = []
    scope = "constants"
    olds = {c.name: c for c in old.constants}
    news = {c.name: c for c in new.constants}
    matched = [(olds[c.name], c) for c in new.constants if c.name in olds]
    left_old = [c for c in old.constants if c.name not in news]
    left_new = [c for c in new.constants if c.name not in olds]
    for b in list(left_new):
        cands = [a for a in left_old if (a.type.name, a.value) == (b.type.name, b.value)]
        rivals = [x for x in left_new if (x.type.name, x.value) == (b.type.name, b.value)]
        if len(cands) == 1 and len(rivals) == 1:
            a = cands[0]
            matched.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
            out.append(Change(scope, f"`{a.name}` → `{b.name}`", {"value": a.value, "type": a.type.name}, {"value": b.value, "type": b.type.name}, "renamed", "same value; only the generated name changes"))
    order = {c.name: i for i, c in enumerate(new.constants)}
    for a, b in matched:
        if a.value != b.value:
            uses = sorted(set(_uses(new, b) + _uses(old, a)))
            if uses:
                rule = "constant-changed"
                why = f"peers built from the old schema still use {_num(a.value)} as {', '.join(uses)}: see those rows"
            else:
                rule = "constant-value-changed"
                why = (
                    f"no layout uses it, so no byte moves; but peers built from the old schema still use {_num(a.value)}: "
                    "check what it stands for (a limit, a sentinel, the version a peer speaks)"
                )
            out.append(
                Change(
                    scope,
                    f"`{b.name}` changed",
                    {"value": a.value, "type": a.type.name},
                    {"value": b.value, "type": b.type.name},
                    rule,
                    f"{_num(a.value)} → {_num(b.value)}: {why}",
                    order=(1, order[b.name]),
                )
            )
        elif a.type.name != b.type.name:
            out.append(
                Change(scope, f"`{b.name}` type changed", {"value": a.value, "type": a.type.name}, {"value": b.value, "type": b.type.name}, "constant-retyped", "same value; the generated constant's type changes", order=(1, order[b.name]))
            )
        out += _item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, order[b.name]), since=False)
    for b in left_new:
        out.append(Change(scope, f"`{b.name}` added", None, {"value": b.value, "type": b.type.name}, "constant-added", "a new name for a value; nothing on the wire changes", order=(1, order[b.name])))
    for a in left_old:
        out.append(
            Change(scope, f"`{a.name}` removed", {"value": a.value, "type": a.type.name}, None, "constant-removed", "nothing on the wire changes; code that uses it no longer builds", order=(3, a.name))
        )
    return out


def _diff_schema(old: Schema, new: Schema) -> list[Change]:
    out: list[Change] = []
    scope = "schema"
    for v in sorted(set(new.versions) - set(old.versions)):
        out.append(
            Change(scope, f"protocol version {v} added", None, {"text": str(v)}, "protocol-version-added", f"old peers keep speaking version{'s' if len(old.versions) > 1 else ''} {', '.join(map(str, old.versions))}", order=(0, v))
        )
    for v in sorted(set(old.versions) - set(new.versions)):
        out.append(Change(scope, f"protocol version {v} removed", {"text": str(v)}, None, "protocol-version-removed", f"old peers still send version {v} messages", order=(0, v)))
    if old.name != new.name:
        out.append(Change(scope, "schema name", {"name": old.name}, {"name": new.name}, "renamed", "generated module, crate and header names change", order=(1,)))
    if old.title != new.title:
        out.append(Change(scope, "title", {"text": _short(old.title)}, {"text": _short(new.title)}, "doc-changed", "documentation only", order=(2,)))
    if old.doc != new.doc:
        out.append(Change(scope, "doc", {"text": _short(old.doc)}, {"text": _short(new.doc)}, "doc-changed", "documentation only; the generated module docs change", order=(3,)))
    return out


# --------------------------------------------------------------------------------
# Putting it together


def _struct_title(s: Struct, schema: Schema) -> str:
    inside = _embedded(schema).get(s.name)
    return "struct inside " + ", ".join(f"`{x}`" for x in inside) if inside else "struct (message)"


def _sizes_text(o: Struct | None, n: Struct | None, ctx: _Ctx) -> str:
    def sz(s: Struct | None, v: int) -> int | None:
        return None if s is None else s.size_in(v)

    versioned = any(s is not None and s.versioned for s in (o, n))
    vs = ctx.versions if versioned else [ctx.versions[-1]]
    parts = []
    for v in vs:
        a, b = sz(o, v), sz(n, v)
        txt = f"{a if a is not None else b} B" if a == b or a is None or b is None else f"{a} → {b} B"
        parts.append(f"v{v}: {txt}" if versioned else txt)
    return ", ".join(parts)


def compare(old: Schema, new: Schema, old_label: str | None = None, new_label: str | None = None) -> SchemaDiff:
    """Every change from `old` to `new`, each with its verdict, rule and reason."""
    ctx = _Ctx(old, new)
    ctx.match_types()
    d = SchemaDiff(new.name, old_label or old.file, new_label or new.file)

    schema_rows = _diff_schema(old, new)
    if schema_rows:
        d.scopes.append(Scope("schema", "schema", f"`{new.name}`", schema_rows))
    const_rows = _diff_constants(old, new, ctx)
    if const_rows:
        d.scopes.append(Scope("constants", "constants", "", const_rows))

    struct_rows: dict[str, list[Change]] = {}
    for o, n in ctx.pairs:
        rows: list[Change] = []
        if o.name != n.name:
            rows.append(Change(n.name, f"renamed from `{o.name}`", {"name": o.name}, {"name": n.name}, "renamed", "same bytes in every version; only the generated name changes", order=(0, 0)))
        if isinstance(n, Enum):
            rows += _diff_enum(o, n, ctx)  # type: ignore[arg-type]
            title = f"enum {n.type.name}"
        elif isinstance(n, Bitmap):
            rows += _diff_bitmap(o, n, ctx)  # type: ignore[arg-type]
            title = f"bitmap {n.type.name}"
        else:
            rows += _diff_struct(o, n, ctx)  # type: ignore[arg-type]
            struct_rows[n.name] = rows
            title = f"{_struct_title(n, new)}; {_sizes_text(o, n, ctx)}"  # type: ignore[arg-type]
        if rows:
            d.scopes.append(Scope(n.name, n.kind, title, rows))

    _absorb(ctx, struct_rows)

    for n in ctx.added:
        late = f" (documented since {n.since})" if n.since is not None else ""
        if isinstance(n, Struct):
            title = f"{_struct_title(n, new)}; {_sizes_text(None, n, ctx)}"
        else:
            title = f"{n.kind} {n.type.name}"
        reason = "a new type; old peers never send or expect it" + late
        d.scopes.append(Scope(n.name, n.kind, title, [Change(n.name, f"{n.kind} added", None, {"name": n.name}, "type-added", reason)]))
    for o in ctx.removed:
        message = isinstance(o, Struct) and o.name not in ctx.old_embedded
        if message:
            title = f"{_struct_title(o, old)}; {_sizes_text(o, None, ctx)}"  # type: ignore[arg-type]
            row = Change(o.name, f"{o.kind} removed", {"name": o.name}, None, "type-removed", "a message type is gone: peers that still send it are no longer understood")
        else:
            title = f"{o.kind}" + (f" {o.type.name}" if not isinstance(o, Struct) else "")
            row = Change(o.name, f"{o.kind} removed", {"name": o.name}, None, "inner-type-removed", "it has no bytes of its own; the fields that used it are judged in their own rows")
        d.scopes.append(Scope(o.name, o.kind, title, [row]))

    rank = {("schema",): 0, ("constants",): 1}
    type_order = {t.name: i for i, t in enumerate(new.types)}
    type_order.update({t.name: len(type_order) + i for i, t in enumerate(ctx.removed)})
    d.scopes.sort(key=lambda s: (rank.get((s.kind,), 2), type_order.get(s.name, 0)))
    for s in d.scopes:
        s.changes.sort(key=lambda c: c.order)
    return d


def _absorb(ctx: _Ctx, struct_rows: dict[str, list[Change]]) -> None:
    """A struct only ever sent inside others is judged through them: if no message that
    carries it changes a byte there, its own layout changes are regrouping (SOURCE)."""
    inst_old, inst_new = _instances(ctx.old), _instances(ctx.new)
    new_of = {o.name: n.name for o, n in ctx.pairs}
    old_of = {n.name: o.name for o, n in ctx.pairs}
    for o, n in ctx.pairs:
        if not isinstance(n, Struct) or n.name not in ctx.new_embedded or o.name not in ctx.old_embedded:
            continue
        rows = struct_rows.get(n.name, [])
        wire = [c for c in rows if c.verdict in (BREAKING, COMPATIBLE) and c.rule != "packed-toggled"]
        if not wire:
            continue
        places = [(new_of[m], p, "old") for m, p in inst_old.get(o.name, []) if m in new_of]
        places += [(m, p, "new") for m, p in inst_new.get(n.name, []) if m in old_of]
        if not places:
            continue

        def touched(msg: str, prefix: tuple[str, ...], side: str) -> bool:
            for c in struct_rows.get(msg, []):
                if c.verdict not in (BREAKING, COMPATIBLE):
                    continue
                path = c.old_path if side == "old" else c.new_path
                if path is None or path[: len(prefix)] == prefix or prefix[: len(path)] == path:
                    return True
            return False

        if any(touched(m, p, side) for m, p, side in places):
            continue
        carriers = sorted({m for m, _, _ in places})
        for c in wire:
            c.reason = f"{n.name} is only sent inside {', '.join(carriers)}, whose bytes are identical in every version; on its own this would be {c.rule}"
            c.rule = "regrouped"


def added(new: Schema, label: str | None = None) -> SchemaDiff:
    return SchemaDiff(
        new.name, None, label or new.file, [Scope("schema", "schema", f"`{new.name}`", [Change("schema", "schema added", None, {"name": new.name}, "schema-added", "a new protocol schema; nothing existing changes")])]
    )


def removed(old: Schema, label: str | None = None) -> SchemaDiff:
    return SchemaDiff(
        old.name,
        label or old.file,
        None,
        [Scope("schema", "schema", f"`{old.name}`", [Change("schema", "schema removed", {"name": old.name}, None, "schema-removed", "every message of this schema is gone")])],
    )


# --------------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(counts: dict[str, int]) -> str:
    parts = []
    for v in VERDICTS:
        n = counts[v]
        parts.append(f"**{n} {v}**" if v == BREAKING and n else f"{n} {v}")
    return " · ".join(parts)


def _verdict_line(verdict: str | None) -> str:
    if verdict is None:
        return "No changes."
    if verdict == BREAKING:
        return "**Breaking:** an old peer and a new peer would misread each other's bytes (see the BREAKING rows)."
    if verdict == COMPATIBLE:
        return "No breaking change: old and new peers still understand each other."
    if verdict == SOURCE:
        return "Same bytes on the wire; only generated code changes."
    return "Documentation only."


def _markdown(report: Report) -> str:
    out: list[str] = []
    if len(report.diffs) != 1:
        out.append(f"## Schema review{': ' + report.title if report.title else ''}")
        out.append("")
        out.append(f"{len(report.diffs)} schema(s) · {_summary(report.counts())}")
        out.append("")
        out.append(_verdict_line(report.verdict))
        out.append("")
    for d in report.diffs:
        level = "##" if len(report.diffs) == 1 else "###"
        out.append(f"{level} Schema diff: `{d.name}`")
        out.append("")
        sides = f"`{d.old_label}` → `{d.new_label}`" if d.old_label and d.new_label else f"`{d.old_label or d.new_label}`"
        out.append(f"{sides} · {_summary(d.counts())}")
        out.append("")
        out.append(_verdict_line(d.verdict))
        out.append("")
        for s in d.scopes:
            head = {"schema": "Schema", "constants": "Constants"}.get(s.kind, f"`{s.name}`")
            title = f" — {s.title}" if s.title and s.kind not in ("schema", "constants") else ""
            out.append(f"{level}# {head}{title}")
            out.append("")
            out.append("| Change | Old | New | Verdict | Rule | Reason |")
            out.append("|---|---|---|---|---|---|")
            for c in s.changes:
                verdict = f"**{c.verdict}**" if c.verdict == BREAKING else c.verdict
                out.append(f"| {_md(c.change)} | {_md(_cell(c.old))} | {_md(_cell(c.new))} | {verdict} | `{c.rule}` | {_md(c.reason)} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------
# Command line: wiregen diff


def _git(args: list[str]) -> str:
    res = subprocess.run(["git", *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip() or f"git {' '.join(args)} failed")
    return res.stdout


def _load_side(spec: str) -> Schema:
    """A schema file path, or REV:path read from git."""
    p = Path(spec)
    if p.exists() or ":" not in spec:
        return load_file(p)
    rev, _, path = spec.partition(":")
    try:
        text = _git(["show", f"{rev}:{path}"])
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(spec, 1, 1), "", f"cannot read the schema from git: {e}")]) from None
    return load_text(text, spec)


def _load_pair(specs: list[str]) -> list[Schema]:
    return gather([lambda s=s: _load_side(s) for s in specs])


def _base_report(rev: str) -> Report:
    try:
        listed = _git(["ls-tree", "--name-only", rev, "--", "schema/"]).split()
    except (RuntimeError, OSError) as e:
        raise SchemaError([Problem(Mark(f"{rev}:schema", 1, 1), "", f"cannot list the schemas at {rev}: {e}")]) from None
    old_paths = sorted(p for p in listed if p.endswith(".yaml") and "/" not in p[len("schema/"):])
    new_paths = sorted(str(p) for p in Path("schema").glob("*.yaml"))
    olds, news, problems = {}, {}, []
    for p in old_paths:
        try:
            olds[p] = _load_side(f"{rev}:./{p}")
        except SchemaError as e:
            problems += e.problems
    for p in new_paths:
        try:
            news[p] = load_file(p)
        except SchemaError as e:
            problems += e.problems
    if problems:
        raise SchemaError(problems)
    diffs = []
    for p in sorted(set(olds) | set(news)):
        o, n = olds.get(p), news.get(p)
        if o is not None and n is not None:
            diffs.append(compare(o, n, f"{rev}:{p}", p))
        elif n is not None:
            diffs.append(added(n, p))
        else:
            assert o is not None
            diffs.append(removed(o, f"{rev}:{p}"))
    return Report(diffs, f"`{rev}` → working tree")


def run(args: argparse.Namespace) -> int:
    """`wiregen diff`: 0 = nothing breaking, 1 = BREAKING, 2 = a schema does not load."""
    if bool(args.base) == bool(args.old or args.new) or (not args.base and not (args.old and args.new)):
        print("wiregen diff: give OLD and NEW (each a file or REV:path), or --base REV", file=sys.stderr)
        return 2
    try:
        if args.base:
            report = _base_report(args.base)
        else:
            old, new = _load_pair([args.old, args.new])
            report = Report([compare(old, new, args.old, args.new)])
    except SchemaError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        n = len(e.problems)
        print(f"diff: {n} problem{'s' if n != 1 else ''}; nothing compared", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        sys.stdout.write(report.to_markdown())
    return 1 if report.breaking and not args.allow_breaking else 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", nargs="?", help="old schema: a file, or REV:path read with `git show`")
    p.add_argument("new", nargs="?", help="new schema: a file, or REV:path")
    p.add_argument("--base", metavar="REV", help="compare every schema under schema/ at REV with the working tree")
    p.add_argument("--json", action="store_true", help="machine-readable report instead of Markdown")
    p.add_argument("--allow-breaking", action="store_true", help="exit 0 even when a change is BREAKING")


