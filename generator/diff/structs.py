"""Struct comparison: the flattened layouts of an old and a new struct, version by version."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Bitmap, Enum, Struct
from .items import item_meta
from .pairing import Context
from .report import Change
from .text import num, slot_json, versions_text
from .wire import Slot, View, covered, dotted, overlaps, ranges

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


def _compare_pair(a: Slot, b: Slot, ctx: Context) -> _Event | None:
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
        same_elem = a.count is not None and b.count is not None and a.scalar == b.scalar and ctx.same_bytes(a.tname, b.tname)
        if same_elem:
            return _Event("array-length-changed", a, b)
        return _Event("field-resized", a, b, "; ".join(extra[1:]))
    if (a.scalar, a.count) != (b.scalar, b.count) or not ctx.same_bytes(a.tname, b.tname):
        return _Event("field-retyped", a, b)
    if a.value != b.value:
        return _Event("fixed-value-changed", a, b)
    if a.magic != b.magic:
        return _Event("magic-toggled", a, b)
    if not ctx.same_type(a.tname, b.tname):
        return _Event("field-type-refined", a, b)
    return None


def _meaning(b: Slot, ctx: Context) -> str:
    """Reserved bytes given meaning: a bitmap (every field 0 = nothing set) is the contract of
    reserved bits, as long as each of its enum fields can hold that 0."""
    if b.kind != "bitmap" or b.value is not None or b.count is not None:
        return "reserved-given-meaning"
    bm = ctx.new.type(b.tname)
    assert isinstance(bm, Bitmap)
    if any(isinstance(f.type, Enum) and f.type.name_of(0) is None for f in bm.fields):
        return "reserved-given-meaning"
    return "reserved-field-flags"


def _compare_at(o: View, n: View, v: int, ctx: Context) -> list[_Event]:
    """Every difference between the old and the new bytes of one struct in protocol version v."""
    ev: list[_Event] = []
    known = v in ctx.old_versions  # old peers send and read messages of this version
    O = {s.path: s for s in o.leaves}
    N = {s.path: s for s in n.leaves}
    old_res = [s for s in o.leaves if s.reserved]
    rold = ranges(old_res)

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
            elif covered(rold, b):
                state[b.path] = "reshaped"
            else:
                state[b.path] = "moved"
                moved_res.add(a.path)
        elif a is None:
            state[b.path] = "reshaped" if covered(rold, b) else "free"
    rold_stay = ranges(s for s in old_res if s.path not in moved_res)
    rnew_free = ranges(b for b in n.leaves if state.get(b.path) == "free")
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
            if (a.offset, a.size) == (b.offset, b.size) or covered(rold_stay, b):
                ev.append(_Event(_meaning(b, ctx), a, b))
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
        if (a.size, a.scalar, a.count, a.value) == (b.size, b.scalar, b.count, b.value) and ctx.same_bytes(a.tname, b.tname):
            refined = "" if ctx.same_type(a.tname, b.tname) else f"type {a.type} → {b.type}"
            ev.append(_Event("renamed" if a.path[-1] != b.path[-1] else "regrouped", a, b, refined))
            uo.remove(a)
            un.remove(b)

    for b in un:
        if covered(rold_stay, b):
            ev.append(_Event(_meaning(b, ctx), None, b))
            given.append(b)
        elif b.offset >= o.size:
            ev.append(_Event("field-appended" if known else "field-appended-versioned", None, b))
        else:
            ev.append(_Event("field-inserted", None, b))
    made_reserved = []
    for a in uo:
        if covered(rnew_free, a):
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
            src = next((a for a in old_res if overlaps(a, b)), None)
            ev.append(_Event("reserved-reshaped", src, b))
        elif state.get(b.path) == "free":
            if b.offset >= o.size:
                ev.append(_Event("field-appended" if known else "field-appended-versioned", None, b))
            elif not covered(ranges(made_reserved + shrank), b):
                ev.append(_Event("field-inserted", None, b))
    still = ranges([s for s in n.leaves if s.reserved] + given + grew)
    for a in old_res:
        if a.path in N:
            continue
        if not covered(still, a):
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
            notes = "; ".join(f"`{dotted(x.new.path[len(pn):])}` {x.note}" for x in same if x.note)  # type: ignore[union-attr]
            events = [x for x in events if x not in same] + [_Event(rule, o.nodes[po], n.nodes[pn], notes)]
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
    "magic-toggled": "magic number check changed",
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


def _struct_reason(e: _Event, versions: list[int], o: dict[int, View], n: dict[int, View], ctx: Context) -> str:
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
        fmt = lambda x: "none" if x is None else num(x)  # noqa: E731
        return f"fixed value {fmt(a.value)} → {fmt(b.value)}: a strict decoder rejects what the other side writes"
    if r == "magic-toggled":
        assert a and b
        if b.magic:
            return f"every reader now refuses a message whose field is not {num(b.value)}; writers always wrote it, so no conforming message is refused"
        return f"readers no longer refuse a message whose field is not {num(b.value)} (only a strict decode does); the bytes written are the same"
    known, unknown = _split(versions, ctx)
    if r == "field-inserted":
        assert b
        if not known:
            return f"inserted at byte {b.offset} of {versions_text(unknown)} messages, which old peers do not speak but read by their newest layout: every later byte moves for them"
        return f"inserted at byte {b.offset} of the layout old peers use for {versions_text(known)}: every later byte moves" + _also_unknown(unknown)
    if r == "field-appended":
        assert b
        olds = sorted({o[v].size for v in versions})
        return f"appended at byte {b.offset} without a new protocol version: old peers send {versions_text(versions)} messages of {' or '.join(map(str, olds))} bytes and stop reading before it"
    if r == "field-appended-versioned":
        assert b
        olds = sorted({o[v].size for v in versions})
        return (
            f"only in {versions_text(versions)} messages, which old peers do not speak; they read such a message by its first "
            f"{' or '.join(map(str, olds))} bytes (their newest layout), which are unchanged"
        )
    if r == "field-removed":
        assert a
        if not known:
            return f"old peers read {versions_text(unknown)} messages, which they do not speak, by their newest layout and expect it at byte {a.offset}; new peers no longer put it there"
        return f"old peers still put it at byte {a.offset} of {versions_text(known)} messages; new peers no longer read it there" + _also_unknown(unknown)
    if r == "field-made-reserved":
        assert a
        return f"bytes {a.offset}..{a.end - 1} are reserved now: new peers write 0 and ignore them, old peers still give them meaning"
    if r == "reserved-given-meaning":
        assert b
        bm = ctx.new.type(b.tname) if b.kind == "bitmap" else None
        if isinstance(bm, Bitmap):
            f = next(f for f in bm.fields if isinstance(f.type, Enum) and f.type.name_of(0) is None)
            return (
                f"bytes {b.offset}..{b.end - 1} were reserved and now hold the bitmap {b.type}, whose field {f.name} is a {f.type.name} "  # type: ignore[union-attr]
                f"with no value 0: every old peer sends it as an unknown value"
            )
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
    refined = f" ({e.note}: the same integer, now named by its type)" if e.note else ""
    if r == "renamed":
        where = "in every version" if set(versions) == set(ctx.versions) else f"in {versions_text(versions)}"
        return f"same bytes at the same offset {where}; only the generated name changes" + refined
    if r == "regrouped":
        assert a and b
        return f"same bytes at byte {b.offset} in {versions_text(versions)}; only the declaration tree changed" + refined
    if r == "field-since-changed":
        return e.note
    raise AssertionError(r)


def _split(versions: list[int], ctx: Context) -> tuple[list[int], list[int]]:
    """The versions old peers speak, and the ones they do not."""
    return [v for v in versions if v in ctx.old_versions], [v for v in versions if v not in ctx.old_versions]


def _also_unknown(unknown: list[int]) -> str:
    if not unknown:
        return ""
    return f"; the same holds for {versions_text(unknown)} messages, which old peers do not speak but read by their newest layout"


def _size_change(vs: list[int], o: dict[int, View], n: dict[int, View]) -> str:
    pairs = [(o[v].size, n[v].size) for v in vs]
    if len(set(pairs)) == 1:
        return f"{pairs[0][0]} → {pairs[0][1]} bytes"
    return ", ".join(f"v{v}: {a} → {b}" for v, (a, b) in zip(vs, pairs)) + " bytes"


def diff_struct(o: Struct, n: Struct, ctx: Context) -> list[Change]:
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
        first_old = next(ov[v].nodes[p] for v in V if p in ov[v].nodes)
        first_new = next(nv[v].nodes[p] for v in V if p in nv[v].nodes)
        differ = [v for v in V if (p in ov[v].nodes) != (p in nv[v].nodes)]
        note = f"since {fo[p]} → since {fn[p]}: version {', '.join(map(str, differ))} peers disagree on whether it is there"
        e = _Event("field-since-changed", first_old, first_new, note)
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
        old_d = slot_json(a, {x.old.size for x in all_events if x.old}) if a else None
        new_d = slot_json(b, {x.new.size for x in all_events if x.new}) if b else None
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
                f"{_size_change(resized, ov, nv)} in {versions_text(resized)}, which old peers speak: "
                "the peers disagree on where it ends and on what follows it",
                None if set(resized) == set(V) else resized,
                order=(0, 2),
            )
        )
    if o.packed != n.packed:
        if o.align != n.align:
            reason = (
                f"alignment {o.align} → {n.align}, but no byte moves (the schema refuses padding, so packing never moves a field): "
                "only generated code changes, and code that reads the struct in place from a buffer must now meet the new alignment"
            )
        else:
            reason = "its alignment is 1 either way, so nothing but the generated attribute changes"
        out.append(Change(scope, "packing", {"packed": o.packed, "align": o.align}, {"packed": n.packed, "align": n.align}, "packed-toggled", reason, order=(0, 3)))

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
    out += item_meta(scope, "", o, n, ctx, order=(0, 5))
    renamed_fields = {
        c.new_path[0]: c.old_path[0]
        for c in out
        if c.rule in ("renamed", "regrouped") and c.old_path and c.new_path and len(c.old_path) == 1 and len(c.new_path) == 1
    }
    old_fields = {f.name: f for f in o.fields}
    for i, f in enumerate(n.fields):
        g = old_fields.get(renamed_fields.get(f.name, f.name))
        if g is not None:
            out += item_meta(scope, f"`{f.name}` ", g, f, ctx, order=(2, i), docs_only=False, since=False)
    return out
