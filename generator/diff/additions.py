"""Types only one side has. Adding a type puts new bytes on the wire only if something new
carries it: a struct split out of another, an enum or bitmap over an integer old peers already
send, a message type that is exactly the first bytes of messages old peers already send, or a
type nothing uses yet, only names what is there (`type-added-inert`, SOURCE)."""

from __future__ import annotations

from ..model import Bitmap, Enum, Scalar, Struct
from .pairing import Context
from .report import Change
from .wire import View, bytes_key, is_under, placements

# Rows that keep every byte: what a type may meet in its carriers and still only name old bytes.
SAME_BYTES = ("regrouped", "renamed", "field-type-refined")

Type = Enum | Bitmap | Struct


def added_rows(ctx: Context, struct_rows: dict[str, list[Change]], message_rows: dict[str, list[Change]]) -> dict[str, Change]:
    """The row of every added type, structs first: an enum used only in a struct that
    only names old bytes names old integers too."""
    rows: dict[str, Change] = {}
    for t in ctx.added:
        if isinstance(t, Struct):
            rows[t.name] = _added(t, *_struct_added(t, ctx, struct_rows, message_rows))
    inert = {name for name, row in rows.items() if row.rule == "type-added-inert"}
    for t in ctx.added:
        if not isinstance(t, Struct):
            rows[t.name] = _added(t, *_values_added(t, ctx, inert))
    return rows


def _added(t: Type, inert: bool, reason: str) -> Change:
    late = f" (documented since {t.since})" if t.since is not None else ""
    return Change(t.name, f"{t.kind} added", None, {"name": t.name}, "type-added-inert" if inert else "type-added", reason + late)


def removed_row(t: Type, ctx: Context, struct_rows: dict[str, list[Change]], message_rows: dict[str, list[Change]]) -> Change:
    if isinstance(t, Struct) and t.name not in ctx.old_embedded and t.name not in ctx.old_parts:
        return Change(t.name, "struct removed", {"name": t.name}, None, "type-removed", "a struct sent on its own is gone: peers that still send it are no longer understood")
    carried = isinstance(t, Struct) and (t.name not in ctx.old_embedded or _carried_as_is(t.name, "old", ctx, struct_rows))
    if carried and t.name in ctx.old_parts:
        carried = _parts_as_is(t.name, "old", ctx, message_rows)
    if carried:
        reason = "its bytes are still carried at the same offsets, declared another way; only generated code changes"
    elif isinstance(t, Struct) and t.name in ctx.old_parts:
        reason = "it has no bytes of its own; the messages and fields that carried it are judged in their own rows"
    else:
        reason = "it has no bytes of its own; the fields that used it are judged in their own rows"
    return Change(t.name, f"{t.kind} removed", {"name": t.name}, None, "inner-type-removed", reason)


def _parts_as_is(name: str, side: str, ctx: Context, message_rows: dict[str, list[Change]]) -> bool:
    """Is struct `name` (new on the `new` side, gone on the `old` side) a part only of messages
    both schemas have, at bytes the other side declared another way?"""
    paired = {(n if side == "new" else o).name: n.name for o, n in ctx.message_pairs}
    for msg, part in (ctx.new_parts if side == "new" else ctx.old_parts).get(name, []):
        if msg not in paired:
            return False
        rows = [c for c in message_rows.get(paired[msg], []) if (c.new_path if side == "new" else c.old_path) == (part,)]
        if not rows or any(c.rule not in SAME_BYTES for c in rows):
            return False
    return True


def _struct_added(t: Struct, ctx: Context, struct_rows: dict[str, list[Change]], message_rows: dict[str, list[Change]]) -> tuple[bool, str]:
    embedded, parts = t.name in ctx.new_embedded, ctx.new_parts.get(t.name, [])
    if embedded or parts:
        as_is = (not embedded or _carried_as_is(t.name, "new", ctx, struct_rows)) and (not parts or _parts_as_is(t.name, "new", ctx, message_rows))
        if as_is:
            return True, "declares bytes old peers already send, at the same offsets; only the declaration tree and generated code change"
        inside = []
        if embedded:
            inside.append("inside " + ", ".join(ctx.new_embedded[t.name]))
        by_part: dict[str, list[str]] = {}
        for msg, part in parts:
            by_part.setdefault(part, []).append(msg)
        inside += [f"in part `{part}` of {', '.join(msgs)}" for part, msgs in by_part.items()]
        whose = "structs" if not parts else "messages" if not embedded else "structs and messages"
        return False, f"new bytes {'; '.join(inside)}: the rows of those {whose} give the verdict"
    olds = prefix_of(t, ctx)
    if olds:
        size = sorted({t.size_in(v) for v in ctx.old.versions})
        names = ", ".join(f.name for f in t.fields)
        return True, (
            f"its {' or '.join(map(str, size))} bytes ({names}) are exactly the first bytes of {', '.join(olds)} in every version old peers speak: "
            "they already send them; a new declaration of existing bytes"
        )
    return False, "a new message type: no old peer sends or expects it"


def _carried_as_is(name: str, side: str, ctx: Context, struct_rows: dict[str, list[Change]]) -> bool:
    """Is struct `name` (new on the `new` side, gone on the `old` side) carried only by structs
    both schemas have, with every row under it keeping the bytes?"""
    embedders = (ctx.new_embedded if side == "new" else ctx.old_embedded).get(name, [])
    paired = {(n if side == "new" else o).name: n.name for o, n in ctx.pairs if isinstance(n, Struct)}
    if not embedders or any(e not in paired for e in embedders):
        return False
    for o, n in ctx.pairs:
        if not isinstance(n, Struct):
            continue
        st = n if side == "new" else o
        prefixes = [p for p, s in placements(st) if s == name]  # type: ignore[arg-type]
        for c in struct_rows.get(n.name, []):
            path = c.new_path if side == "new" else c.old_path
            if c.rule not in SAME_BYTES and any(is_under(path, p) for p in prefixes):
                return False
    return True


def prefix_of(t: Struct, ctx: Context) -> list[str]:
    """The old top-level structs whose first bytes are exactly `t` in every version old peers speak."""
    out = []
    for o in ctx.old.structs:
        if o.name in ctx.old_embedded:
            continue
        if all(_is_prefix(ctx.view(t, v), ctx.view(o, v), ctx) for v in ctx.old.versions):
            out.append(o.name)
    return out


def _is_prefix(new: View, old: View, ctx: Context) -> bool:
    """Same bytes and the same field names: a new message of two u32s is not the first 8
    bytes of every message that starts with two u32s."""
    if not new.leaves or new.size > old.size:
        return False
    head = [s for s in old.leaves if s.offset < new.size]
    if any(s.end > new.size for s in head) or len(head) != len(new.leaves):
        return False
    by_offset = {s.offset: s for s in head}
    for b in new.leaves:
        a = by_offset.get(b.offset)
        if a is None or bytes_key(a) != bytes_key(b) or not ctx.same_bytes(a.tname, b.tname) or a.path[-1] != b.path[-1]:
            return False
    return True


def _values_added(t: Enum | Bitmap, ctx: Context, inert_structs: set[str]) -> tuple[bool, str]:
    """An enum or bitmap is new on the wire only where a field that uses it is."""
    uses = [f"{s.name}.{f.name}" for s in ctx.new.structs for f in s.fields if f.type.target is t]
    uses += [f"{b.name}.{f.name}" for b in ctx.new.bitmaps for f in b.fields if f.type is t]
    if not uses:
        return True, "nothing uses it yet; only generated code changes"
    listed = ", ".join(uses)
    if _names_old_integers(t, ctx, inert_structs):
        return True, f"names integers old peers already send ({listed}); only generated code changes"
    return False, f"used by new bytes ({listed}): the rows of those fields give the verdict"


def _names_old_integers(t: Enum | Bitmap, ctx: Context, inert_structs: set[str]) -> bool:
    """Does every field of type `t` sit where old peers already send a plain integer of the same bytes?"""
    for s in ctx.added:
        if isinstance(s, Struct) and s.name not in inert_structs and any(f.type.target is t for f in s.fields):
            return False
        if isinstance(s, Bitmap) and any(f.type is t for f in s.fields):
            return False
    for s in ctx.added:  # a new message that is the first bytes of old ones: its leaves refine theirs
        if isinstance(s, Struct) and s.name not in ctx.new_embedded and s.name in inert_structs:
            for head in (st for st in ctx.old.structs if st.name in prefix_of(s, ctx)):
                if not all(_refines_in(ctx.view(head, v), ctx.view(s, v), t) for v in ctx.old.versions):
                    return False
    for o, n in ctx.pairs:
        if isinstance(o, Struct) and isinstance(n, Struct):
            if not all(_refines_in(ctx.view(o, v), ctx.view(n, v), t) for v in ctx.versions):
                return False
        elif isinstance(o, Bitmap) and isinstance(n, Bitmap):
            old_bits = {(f.lo, f.hi): f for f in o.fields}
            for bf in n.fields:
                if bf.type is t:
                    a = old_bits.get((bf.lo, bf.hi))
                    if a is None or not isinstance(a.type, Scalar):
                        return False
    return True


def _refines_in(old: View, new: View, t: Enum | Bitmap) -> bool:
    by_offset = {s.offset: s for s in old.leaves}
    for b in new.leaves:
        if b.tname != t.name:
            continue
        a = by_offset.get(b.offset)
        if a is None or bytes_key(a) != bytes_key(b) or a.tname:
            return False
    return True
