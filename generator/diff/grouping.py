"""One change, one row. Every struct is compared on its own flattened bytes, so one edit shows
up in every struct that carries the edited bytes. Here those repeats are folded:

- a struct only ever sent inside others is judged through them: if no struct that carries it
  changes a byte there, its own layout changes are regrouping (SOURCE);
- a change inside an embedded struct is one row, in that struct's section, listing the
  top-level structs it reaches; the carriers' copies of the row go, and so does a carrier's
  size change that is only the embedded struct's;
- a carrier's rows that move bytes into a new type that only names them (or out of a removed
  one whose bytes all stay) go into that type's row;
- what is left of a struct's regrouping is one row per struct.
"""

from __future__ import annotations

from ..model import Message, Struct
from .additions import SAME_BYTES
from .pairing import Context
from .report import Change, Reach, Scope
from .rules import BREAKING, COMPATIBLE
from .wire import instances, is_under, placements


def absorb(ctx: Context, struct_rows: dict[str, list[Change]]) -> None:
    """Rows of a struct only sent inside others become `regrouped` when no carrier changes a byte there."""
    inst_old, inst_new = instances(ctx.old), instances(ctx.new)
    new_of = {o.name: n.name for o, n in ctx.pairs}
    old_of = {n.name: o.name for o, n in ctx.pairs}
    for o, n in ctx.pairs:
        if not isinstance(n, Struct) or n.name not in ctx.new_embedded or o.name not in ctx.old_embedded:
            continue
        rows = struct_rows.get(n.name, [])
        wire = [c for c in rows if c.verdict in (BREAKING, COMPATIBLE)]
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
            c.was, c.rule = c.rule, "regrouped"


# A row folded into another: the row that tells the change, and where the folded row's struct carries it.
_Fold = list[tuple[Change, tuple[str, ...]]]


def fold(ctx: Context, struct_rows: dict[str, list[Change]], added: dict[str, Change], removed: dict[str, Change]) -> None:
    """Drop every carrier row that repeats a row of a type it carries, and list the top-level
    carriers on the row that stays. `added`, `removed`: the row of each type only one side has."""
    old_of = {n.name: o.name for o, n in ctx.pairs if isinstance(n, Struct)}
    folded: dict[int, _Fold] = {}
    for o, n in ctx.pairs:
        if not isinstance(n, Struct):
            continue
        inner_new = sorted(placements(n), key=lambda p: -len(p[0]))
        inner_old = dict(placements(o))  # type: ignore[arg-type]
        for c in struct_rows.get(n.name, []):
            if c.rule == "struct-resized":
                into = _resize_folds(c, o, n, ctx, struct_rows)  # type: ignore[arg-type]
            else:
                into = _row_fold(c, inner_new, inner_old, old_of, struct_rows, added, removed)
            if into:
                folded[id(c)] = into

    top = [(o, n) for o, n in ctx.pairs if isinstance(o, Struct) and isinstance(n, Struct) and n.name not in ctx.new_embedded]
    for o, n in top:
        for c in struct_rows.get(n.name, []):
            for target, at in _resolve(c, folded, ()):
                carrier = o if target.rule == "inner-type-removed" else n  # a gone type is where the old struct had it
                views = [ctx.view(carrier, v) for v in (c.versions or ctx.versions)]
                offsets = {vw.nodes[at].offset for vw in views if at in vw.nodes}
                reach = Reach(n.name, at, offsets.pop() if len(offsets) == 1 else None, tuple(c.versions) if c.versions else None)
                if reach not in target.reaches:
                    target.reaches.append(reach)
    for rows in struct_rows.values():
        rows[:] = [c for c in rows if id(c) not in folded]


def _row_fold(
    c: Change,
    inner_new: list[tuple[tuple[str, ...], str]],
    inner_old: dict[tuple[str, ...], str],
    old_of: dict[str, str],
    struct_rows: dict[str, list[Change]],
    added: dict[str, Change],
    removed: dict[str, Change],
) -> _Fold:
    """The row a carrier's row repeats: the same rule at the same place inside a struct it
    embeds (innermost first), or the row of a new (or gone) type that only names the bytes."""
    if c.old_path is None and c.new_path is None:
        return []
    for prefix, name in inner_new:
        inside_new = c.new_path is None or is_under(c.new_path, prefix)
        inside_old = c.old_path is None or is_under(c.old_path, prefix)
        if name in old_of and inner_old.get(prefix) == old_of[name] and inside_new and inside_old:
            rel_old = c.old_path[len(prefix) :] if c.old_path is not None else None
            rel_new = c.new_path[len(prefix) :] if c.new_path is not None else None
            for t in struct_rows.get(name, []):
                if (t.rule, t.old_path, t.new_path) == (c.rule, rel_old, rel_new):
                    return [(t, prefix)]
        if name in added and is_under(c.new_path, prefix) and c.rule in SAME_BYTES and added[name].rule == "type-added-inert":
            return [(added[name], prefix)]
    for prefix, name in sorted(inner_old.items(), key=lambda p: -len(p[0])):
        if name in removed and is_under(c.old_path, prefix) and c.rule in SAME_BYTES and removed[name].rule == "inner-type-removed":
            return [(removed[name], prefix)]
    return []


def _resize_folds(c: Change, o: Struct, n: Struct, ctx: Context, struct_rows: dict[str, list[Change]]) -> _Fold:
    """A carrier's size change that is exactly the size change of the structs it embeds."""
    old_of = {nn.name: oo.name for oo, nn in ctx.pairs}
    versions = c.versions or [v for v in ctx.versions if v in ctx.old_versions and o.size_in(v) != n.size_in(v)]
    into: _Fold = []
    for v in versions:
        olds = {f.name: f for f in o.layout_for(v).fields}
        grown = 0
        for f in n.layout_for(v).fields:
            t, g = f.type.target, olds.get(f.name)
            if not isinstance(t, Struct) or g is None or not isinstance(g.type.target, Struct):
                continue
            if old_of.get(t.name) != g.type.target.name or f.type.count != g.type.count:
                continue
            delta = (f.type.count or 1) * (t.size_in(v) - g.type.target.size_in(v))
            if delta:
                grown += delta
                row = next((r for r in struct_rows.get(t.name, []) if r.rule == "struct-resized"), None)
                if row is None:
                    return []
                if all(r is not row for r, _ in into):
                    into.append((row, (f.name,)))
        if grown != n.size_in(v) - o.size_in(v):
            return []
    return into


def _resolve(c: Change, folded: dict[int, _Fold], at: tuple[str, ...]) -> list[tuple[Change, tuple[str, ...]]]:
    """The rows that finally tell a folded row's change, with the path from the carrier to them."""
    if id(c) not in folded:
        return [(c, at)] if at else []
    out = []
    for target, prefix in folded[id(c)]:
        out += _resolve(target, folded, at + prefix)
    return out


def merge_regroups(rows: list[Change], parts: bool = False) -> None:
    """All `regrouped` rows of one section become one row: one restructure, one row. `parts`:
    a message's section, whose rows regroup its parts."""
    group = [c for c in rows if c.rule == "regrouped"]
    if len(group) < 2:
        return
    absorbed = [c for c in group if c.was]
    moved = [c for c in group if not c.was]
    reasons = []
    if moved and parts:
        reasons.append("the same bytes at the same offsets; only the parts that declare them changed")
    elif moved:
        refined = any(c.old and c.new and c.old.get("type") != c.new.get("type") for c in moved)
        reasons.append(
            "same bytes at the same offsets; only the declaration tree changed" + (" (a plain integer now named by an enum or bitmap is the same bytes too)" if refined else "")
        )
    if absorbed:
        head = absorbed[0].reason.split("; on its own", 1)[0]
        was = ", ".join(dict.fromkeys(c.was for c in absorbed if c.was))
        reasons.append(f"{head}; on its own these would be {was}")
    first = group[0]
    versions = sorted({v for c in group for v in (c.versions or [])}) if all(c.versions for c in group) else None
    merged = Change(
        first.scope,
        "; ".join(c.change for c in group),
        {"parts": [c.old for c in group]},
        {"parts": [c.new for c in group]},
        "regrouped",
        "; ".join(reasons),
        versions,
        order=first.order,
        reaches=[r for c in group for r in c.reaches],
    )
    at = rows.index(first)
    rows[:] = [c for c in rows if c.rule != "regrouped"]
    rows.insert(min(at, len(rows)), merged)


def fold_parts(ctx: Context, message_rows: dict[str, list[Change]], added: dict[str, Change], removed: dict[str, Change]) -> None:
    """A message row that only declares a part's bytes as another struct goes into the row of
    that struct when it is new (or gone) and only names those bytes: one change, one row."""
    news = {n.name: n for _, n in ctx.message_pairs}
    olds = {n.name: o for o, n in ctx.message_pairs}
    for name, rows in message_rows.items():
        keep = []
        for c in rows:
            target = None
            if c.rule == "regrouped" and (c.new_path or c.old_path):
                new_struct = _part_struct(news[name], c.new_path[0]) if c.new_path else None
                old_struct = _part_struct(olds[name], c.old_path[0]) if c.old_path else None
                if new_struct in added and added[new_struct].rule == "type-added-inert":
                    target = added[new_struct]
                elif old_struct in removed and removed[old_struct].rule == "inner-type-removed":
                    target = removed[old_struct]
            if target is None:
                keep.append(c)
                continue
            at, cell = (c.new_path, c.new) if target.rule == "type-added-inert" else (c.old_path, c.old)
            assert at is not None and cell is not None
            reach = Reach(name, at, cell["offset"], tuple(c.versions) if c.versions else None)
            if reach not in target.reaches:
                target.reaches.append(reach)
        rows[:] = keep


def _part_struct(m: Message, part: str) -> str | None:
    p = next((x for x in m.struct_parts if x.name == part), None)
    return p.struct.name if p is not None and p.struct is not None else None


def reach_messages(ctx: Context, scopes: list[Scope]) -> None:
    """List, on every row of a struct's section about its bytes (a field's, or its size), the
    messages that carry it: where in each (the part, the path under it, the byte) and in which
    versions."""
    for s in scopes:
        if s.kind != "struct":
            continue
        places = _message_places(ctx, s.name)
        if not places:
            continue
        for c in s.changes:
            if c.reaches or c.new_path or c.old_path or c.rule == "struct-resized":
                for r in places:
                    if r not in c.reaches:
                        c.reaches.append(r)


def _message_places(ctx: Context, name: str) -> list[Reach]:
    """Where the new schema's messages carry struct `name`: as a part, or inside one."""
    out = []
    for m in ctx.new.messages:
        for p in m.struct_parts:
            st = p.struct
            if st is None or not m.layouts:
                continue
            placed = next((pl for lay in m.layouts for pl in lay.parts if pl.part is p), None)
            if placed is None:
                continue
            versions = tuple(v for v in m.versions if v >= p.first_version) if p.first_version > m.layouts[0].version else None
            if st.name == name:
                out.append(Reach(m.name, (p.name,), placed.offset, versions))
                continue
            newest = ctx.view(st, ctx.versions[-1])
            for path, inner in placements(st):
                if inner == name and path in newest.nodes:
                    out.append(Reach(m.name, (p.name, *path), placed.offset + newest.nodes[path].offset, versions))
    return out
