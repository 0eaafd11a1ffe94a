"""Message comparison: where each part and the payload start, version by version, and what a
reader of an older version makes of a newer message, given how the schema says the peers agree
on a version (`version_agreement`) and which version they send (`current_version`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Constant, Message, MessageLayout, Struct
from .items import item_meta
from .pairing import Context, layout, reader_layout
from .report import Change
from .text import num, versions_text
from .wire import bytes_key

# What each declaration promises about a reader of an older version, for the reasons.
PROMISE = {
    "refused": "old readers refuse a version they do not know (version_agreement: refused)",
    "negotiated": "the version is negotiated (version_agreement: negotiated): a peer sends it only to a peer that reads it",
    "none": "nothing in the schema keeps it from an old reader (version_agreement: none)",
    None: "nothing in the schema keeps it from an old reader (the schema does not declare `version_agreement`)",
}
# The rule of a part added in a version old peers do not speak, when an old reader would misread it.
ADDED_RULE = {"refused": "part-added-refused", "negotiated": "part-added-negotiated", "none": "part-added-misread", None: "part-added-misread"}


@dataclass(frozen=True)
class _At:
    """A part (or the payload) where one version of a message carries it."""

    name: str
    offset: int
    size: int | None  # None: the payload, which runs as far as its length says
    what: str  # the part's struct, or the payload's blob name
    struct: Struct | None = field(default=None, compare=False)
    since: int | None = None  # as written
    first: int = 0  # the first version the part is in

    @property
    def payload(self) -> bool:
        return self.size is None

    def label(self) -> str:
        return f"payload `{self.name}`" if self.payload else f"`{self.name}`"

    def where(self) -> str:
        if self.payload:
            return f"`{self.name}` from byte {self.offset}"
        return f"`{self.name}` ({self.what}, bytes {self.offset}..{self.offset + (self.size or 0) - 1})"

    def cell(self) -> dict:
        d: dict = {"offset": self.offset}
        if self.size is not None:
            d["size"] = self.size
        d["type"] = self.what if self.size is not None else f"payload {self.what}"
        if self.since is not None:
            d["since"] = self.since
        return d


def _items(m: Message, lay: MessageLayout) -> list[_At]:
    out = [_At(pl.part.name, pl.offset, pl.size, pl.part.struct.name, pl.part.struct, pl.part.since, pl.part.first_version) for pl in lay.parts]  # type: ignore[union-attr]
    if m.payload is not None:
        out.append(_At(m.payload.name, lay.fixed_size, None, m.payload.blob or "bytes"))
    return out


@dataclass(frozen=True)
class _Event:
    rule: str
    old: _At | None
    new: _At | None
    note: str = ""  # what else moves because of it


def same_struct_bytes(a: Struct, b: Struct, ctx: Context) -> bool:
    """Do an old and a new (one-size) struct put the same bytes on the wire, names and integer refinements aside?"""
    v = ctx.versions[-1]
    va, vb = ctx.view(a, v), ctx.view(b, v)
    if va.size != vb.size or len(va.leaves) != len(vb.leaves):
        return False
    return all(bytes_key(x) == bytes_key(y) and ctx.same_bytes(x.tname, y.tname) for x, y in zip(va.leaves, vb.leaves))


def _pair(olds: list[_At], news: list[_At], ctx: Context) -> tuple[list[tuple[_At, _At]], list[_At], list[_At]]:
    """Parts by name, then a renamed part by its place and struct; the payloads with each other."""
    by_name = {a.name: a for a in olds}
    pairs = [(by_name[b.name], b) for b in news if b.name in by_name and by_name[b.name].payload == b.payload]
    left_old = [a for a in olds if all(a is not p for p, _ in pairs)]
    left_new = [b for b in news if all(b is not q for _, q in pairs)]
    for b in list(left_new):
        a = next((x for x in left_old if (x.payload and b.payload) or (not x.payload and not b.payload and x.offset == b.offset and ctx.old_name.get(b.what) == x.what)), None)
        if a is not None:
            pairs.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
    return pairs, left_old, left_new


def _leaves(items: list[_At], ctx: Context, v: int) -> list:
    """Every leaf of the struct parts at its offset in the message: what the parts put on the wire."""
    return [(x.offset + s.offset, s) for x in items if x.struct is not None for s in ctx.view(x.struct, v).leaves]


def same_wire(olds: list[_At], news: list[_At], ctx: Context, v: int) -> bool:
    """Do two versions of a message put the same bytes on the wire, however the parts declare them?"""
    a, b = _leaves(olds, ctx, v), _leaves(news, ctx, v)
    if len(a) != len(b) or [x.offset for x in olds if x.payload] != [x.offset for x in news if x.payload]:
        return False
    return all(oa == ob and bytes_key(x)[1:] == bytes_key(y)[1:] and ctx.same_bytes(x.tname, y.tname) for (oa, x), (ob, y) in zip(a, b))


def _events(olds: list[_At], news: list[_At], ctx: Context, v: int) -> list[_Event]:
    """Every difference between the parts of one version as an old and a new peer place them."""
    if same_wire(olds, news, ctx, v):
        # the same bytes at the same offsets: parts added, gone or retyped only declare them otherwise
        out = [e if e.rule == "renamed" else _Event("regrouped", e.old, e.new) for e in _part_events(olds, news, ctx)]
        return [e for e in out if not (e.rule == "regrouped" and e.old is not None and e.new is not None and e.old.payload)]
    return _part_events(olds, news, ctx)


def _part_events(olds: list[_At], news: list[_At], ctx: Context) -> list[_Event]:
    pairs, gone, added = _pair(olds, news, ctx)
    out: list[_Event] = []
    for a, b in pairs:
        if a.name != b.name:
            out.append(_Event("renamed", a, b))
        if a.struct is not None and b.struct is not None and ctx.old_name.get(b.struct.name) != a.struct.name:
            out.append(_Event("regrouped" if same_struct_bytes(a.struct, b.struct, ctx) else "part-retyped", a, b))
        if a.offset != b.offset:
            out.append(_Event("part-moved", a, b))
    shifts = [_Event("part-added", None, b) for b in added] + [_Event("part-removed", a, None) for a in gone]
    if not shifts:
        return out
    # what follows an added or removed part moves because of it: said in its row, not in rows of its own
    start = min((e.new or e.old).offset for e in shifts)  # type: ignore[union-attr]
    moved = [e for e in out if e.rule == "part-moved" and e.old.offset >= start]  # type: ignore[union-attr]
    note = "; ".join(f"{e.new.label()} moves from byte {e.old.offset} to {e.new.offset}" for e in moved)  # type: ignore[union-attr]
    return [e for e in out if e not in moved] + [_Event(e.rule, e.old, e.new, note) for e in shifts]


def _vtext(vs: list[int]) -> str:
    return ", ".join(f"v{v}" for v in vs)


def _known_reason(e: _Event, vs: list[int]) -> str:
    a, b = e.old, e.new
    spoken = f"{versions_text(vs)} messages, which old peers speak"
    moves = f": {e.note}" if e.note else ""
    if e.rule == "part-added":
        assert b
        return f"{b.where()} now in {spoken}; old peers neither write nor expect it{moves}"
    if e.rule == "part-removed":
        assert a
        return f"old peers still put {a.where()} in {spoken}; new peers no longer read it there{moves}"
    if e.rule == "part-moved":
        assert a and b
        return f"{b.label()} starts at byte {b.offset}, was {a.offset}, in {spoken}: each peer reads it where the other wrote something else"
    if e.rule == "part-retyped":
        assert a and b
        return f"{a.what} → {b.what} at byte {b.offset} of {spoken}: other bytes (see the rows of the two structs)"
    if e.rule == "regrouped" and a is not None and b is not None and a.offset == b.offset and a.size == b.size:
        return f"{a.what} → {b.what}: the same bytes at byte {b.offset} of {versions_text(vs)} messages; only the declaration changed"
    if e.rule == "regrouped":
        return f"the same bytes at the same offsets in {versions_text(vs)} messages; only the parts that declare them changed"
    assert e.rule == "renamed"
    return "the same bytes at the same offset; only the generated name changes"


def _verb(e: _Event) -> str:
    a, b = e.old, e.new
    if e.rule == "renamed":
        return f"`{a.name}` → `{b.name}`"  # type: ignore[union-attr]
    if e.rule == "regrouped" and b is None:
        return f"`{a.name}` no longer a part"  # type: ignore[union-attr]
    if e.rule == "regrouped" and a is None:
        return f"`{b.name}` now a part"  # type: ignore[union-attr]
    if e.rule in ("regrouped", "part-retyped"):
        return f"`{b.name}` now {b.what}"  # type: ignore[union-attr]
    what = (b or a).label()  # type: ignore[union-attr]
    return what + " " + {"part-added": "added", "part-removed": "removed", "part-moved": "moved"}[e.rule]


def _misread(o: Message, r: MessageLayout, n: Message, lay: MessageLayout, would: bool) -> str | None:
    """What a reader that applies the old layout `r` to a new message of layout `lay` gets
    wrong (a clause whose subject is that reader), or None when every byte it reads is where it
    was (it only stops before the new parts)."""
    news = _items(n, lay)
    by_name = {x.name: x for x in news}
    take = "take" if would else "takes"
    for a in _items(o, r):
        b = by_name.get(a.name)
        if b is not None and b.offset == a.offset and b.payload == a.payload:
            continue
        end = b.offset if b is not None else lay.fixed_size
        found = ", ".join(x.label() for x in news if not x.payload and x.offset < end and x.offset + (x.size or 0) > a.offset) or "other bytes"
        if not a.payload:
            return f"{take} {a.label()} ({a.what}) from byte {a.offset}, where a version {lay.version} message has {found}"
        text = f"{take} the payload `{a.name}` from byte {a.offset}, where a version {lay.version} message has {found}"
        shift = lay.fixed_size - r.fixed_size
        counted = next((x for x in o.lengths if x.counts == "payload"), None)
        if shift > 0 and counted is not None:
            lost = f"the last {shift} bytes of `{a.name}`"
            text += f", and counting the payload by `{counted.name}`, " + (f"stop {shift} bytes short, losing {lost}" if would else f"stops {shift} bytes short: {lost} are lost")
        elif shift > 0:
            text += f"; the payload it {'would read' if would else 'reads'} starts with those {shift} bytes"
        return text
    return None


def _new_version_rows(o: Message, n: Message, ctx: Context) -> list[Change]:
    """Parts added in versions old peers do not speak (a part in a version they speak is the
    rows above): harmless to an old reader only if it never reads such a message by its own
    newest layout (refused, negotiated) or reads nothing that moved (no payload follows them)."""
    out: list[Change] = []
    unknown = [v for v in ctx.versions if v not in ctx.old_versions and layout(n, v) is not None]
    by_since: dict[int, list[_At]] = {}  # the first version each new part is in
    listed: set[str] = set()
    for v in unknown:
        lay, r = layout(n, v), reader_layout(o, v)
        if lay is None or r is None:
            continue
        known = {a.name for a in _items(o, r) if not a.payload}
        for b in _items(n, lay):
            if not b.payload and b.name not in known and b.name not in listed and b.first not in ctx.old_versions:
                listed.add(b.name)
                by_since.setdefault(v, []).append(b)
    agreement = n.agreement
    refusable = o.versioned or agreement != "refused"
    for v, parts in by_since.items():
        lay, r = layout(n, v), reader_layout(o, v)
        assert lay is not None and r is not None
        vs = [x for x in unknown if x >= v]
        names = ", ".join(f"`{b.name}`" for b in parts)
        carried = ", ".join(b.where() for b in parts)
        head = f"a version {v} message, which old peers do not speak, carries {carried}" + (f" and its payload from byte {lay.fixed_size}" if n.payload is not None else "")
        safe = agreement in ("refused", "negotiated") and refusable
        wrong = _misread(o, r, n, lay, would=safe)
        if wrong is None:
            rule = "part-added-versioned"
            reason = f"{head}; an old reader that reads it by its version {r.version} layout finds every byte it reads where it was, and stops before {names}"
        elif safe:
            rule = ADDED_RULE[agreement]
            reason = f"{head}. {_capital(PROMISE[agreement])}, so no old reader misreads it; one that read it by its version {r.version} layout would {wrong}"
        elif refusable:
            rule = ADDED_RULE[None]
            reason = f"{head}. {_capital(PROMISE[agreement])}, which reads it by its version {r.version} layout: it {wrong}"
        else:
            rule = ADDED_RULE[None]
            reason = f"{head}. Old readers have no version field to refuse it by, so one reads it by its version {r.version} layout: it {wrong}"
        old = {"text": f"payload `{o.payload.name}` @{r.fixed_size}"} if wrong is not None and o.payload is not None else None
        change = Change(
            n.name,
            f"{names} added in {_vtext(vs)}",
            old,
            {"parts": [b.cell() for b in parts]} if len(parts) > 1 else parts[0].cell(),
            rule,
            reason,
            vs,
            None,
            (parts[0].name,),
            (1, parts[0].offset, v),
        )
        if safe and wrong is not None:
            change.assumes = ((n.name, agreement),)  # type: ignore[assignment]
        out.append(change)
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _version_field(o: Message, n: Message, ctx: Context) -> list[Change]:
    def vf(m: Message) -> dict:
        if not m.versioned:
            return {"version_field": None}
        return {"version_field": m.version_field, "offset": m.version_offset, "size": m.version_scalar.size}  # type: ignore[union-attr]

    a, b = vf(o), vf(n)
    if (a.get("offset"), a.get("size")) == (b.get("offset"), b.get("size")):
        return []
    if a["version_field"] is None:
        reason = f"`{n.version_field}` at byte {b['offset']} now selects the parts; old peers must already write a version no newer than {ctx.old.newest_version} there"
        return [Change(n.name, "version field", a, b, "version-field-added", reason, order=(0, 4))]
    what = "dropped: the message no longer says which version it is" if b["version_field"] is None else f"now {b['size']} B at byte {b['offset']} (was {a['size']} B at byte {a['offset']})"
    return [Change(n.name, "version field", a, b, "version-field-changed", f"{what}: the peers pick different parts for the same message", order=(0, 4))]


def _declarations(o: Message, n: Message, ctx: Context) -> list[Change]:
    out: list[Change] = []
    if o.agreement != n.agreement:
        said = lambda x: x or "not declared"  # noqa: E731
        out.append(
            Change(
                n.name,
                "version agreement",
                {"text": said(o.agreement)},
                {"text": said(n.agreement)},
                "version-agreement-changed",
                f"{said(o.agreement)} → {said(n.agreement)}: what the schema says peers do with a version they do not know. The verdicts on this "
                "message's new versions rest on it: check that it holds for every peer, old ones included",
                order=(0, 5),
            )
        )
    if o.payload is not None and n.payload is not None and (o.payload.blob, o.payload.format) != (n.payload.blob, n.payload.format):
        out.append(
            Change(
                n.name,
                f"payload `{n.payload.name}` described",
                {"text": f"{o.payload.blob}, {o.payload.format}"},
                {"text": f"{n.payload.blob}, {n.payload.format}"},
                "payload-format-changed",
                "what the payload holds is named or encoded otherwise in the docs and `wiregen decode`; its bytes are what peers put there, as before",
                order=(0, 6),
            )
        )
    olds = {x.name: x for x in o.lengths}
    news = {x.name: x for x in n.lengths}

    def counts(x) -> str:
        return f"from {x.from_path}" if x.counts == "from" else x.counts

    for i, x in enumerate(n.lengths):
        y = olds.get(x.name)
        if y is None:
            out.append(Change(n.name, f"`{x.name}` is a length", None, {"text": counts(x)}, "length-declared", "a field now declared as a length: the same bytes; generated parsers check it and builders fill it in", order=(3, i)))
        elif counts(x) != counts(y):
            out.append(
                Change(
                    n.name,
                    f"`{x.name}` counts",
                    {"text": counts(y)},
                    {"text": counts(x)},
                    "length-changed",
                    f"{counts(y)} → {counts(x)}: old and new peers write different lengths in it and check each other's against other bytes",
                    order=(3, i),
                )
            )
    for x in o.lengths:
        if x.name not in news:
            out.append(Change(n.name, f"`{x.name}` no longer a length", {"text": counts(x)}, None, "length-declared", "no longer declared as a length: the same bytes; generated parsers no longer check it", order=(3, 99)))
    if o.since != n.since:
        spoken = lambda m: [v for v in ctx.versions if v in ctx.old_versions and layout(m, v) is not None]  # noqa: E731
        differ = sorted(set(spoken(o)) ^ set(spoken(n)))
        if differ:
            out.append(
                Change(
                    n.name,
                    "since",
                    {"since": o.since},
                    {"since": n.since},
                    "field-since-changed",
                    f"since {o.since} → since {n.since}: {versions_text(differ)} peers disagree on whether the message exists",
                    differ,
                    order=(0, 7),
                )
            )
        else:
            out.append(Change(n.name, "since", {"since": o.since}, {"since": n.since}, "since-changed", "only documents when it appeared: old peers speak none of the versions it moves over", order=(0, 7)))
    out += item_meta(n.name, "", o, n, ctx, order=(0, 8), since=False)
    old_parts = {p.name: p for p in o.parts}
    for i, p in enumerate(n.parts):
        q = old_parts.get(p.name)
        if q is not None:
            out += item_meta(n.name, f"`{p.name}` ", q, p, ctx, order=(2, i), since=False)
    return out


def diff_message(o: Message, n: Message, ctx: Context) -> list[Change]:
    out: list[Change] = []
    if o.name != n.name:
        out.append(Change(n.name, f"renamed from `{o.name}`", {"name": o.name}, {"name": n.name}, "renamed", "same parts at the same offsets in every version; only the generated name changes", order=(0, 0)))
    merged: dict[tuple, tuple[_Event, list[int]]] = {}
    for v in ctx.versions:
        lay, r = layout(n, v), layout(o, v)
        if lay is None or r is None or v not in ctx.old_versions:
            continue
        for e in _events(_items(o, r), _items(n, lay), ctx, v):
            merged.setdefault((e.rule, e.old, e.new), (e, []))[1].append(v)
    every = [v for v in ctx.versions if v in ctx.old_versions and layout(n, v) is not None and layout(o, v) is not None]
    for e, vs in merged.values():
        where = e.new or e.old
        assert where is not None
        text = _verb(e) + ("" if vs == every else " in " + _vtext(vs))
        out.append(
            Change(
                n.name,
                text,
                e.old.cell() if e.old else None,
                e.new.cell() if e.new else None,
                e.rule,
                _known_reason(e, vs),
                None if vs == every else vs,
                (e.old.name,) if e.old else None,
                (e.new.name,) if e.new else None,
                (1, where.offset, vs[0]),
            )
        )
    out += _new_version_rows(o, n, ctx)
    out += _version_field(o, n, ctx)
    out += _declarations(o, n, ctx)
    return out


def message_title(m: Message, other: Message | None, ctx: Context) -> str:
    """"message; v1: 1236 B, v2: 1236 → 1240 B, then `runtime_claims`": the fixed bytes per version."""
    parts = []
    for v in ctx.versions:
        a = layout(other, v) if other is not None else None
        b = layout(m, v)
        if b is None:
            continue
        size = f"{b.fixed_size} B" if a is None or a.fixed_size == b.fixed_size else f"{a.fixed_size} → {b.fixed_size} B"
        parts.append(f"v{v}: {size}" if m.versioned else size)
        if not m.versioned:
            break
    tail = f", then `{m.payload.name}`" if m.payload is not None else ""
    return "message; " + ", ".join(dict.fromkeys(parts)) + tail


def added_message(m: Message) -> Change:
    late = f" (since {m.since})" if m.since is not None else ""
    return Change(m.name, "message added", None, {"name": m.name}, "message-added", f"a new message: no old peer sends or expects it{late}")


def removed_message(m: Message) -> Change:
    return Change(m.name, "message removed", {"name": m.name}, None, "message-removed", "peers built from the old schema still send it, and new peers no longer understand it")


# --- the version peers send ----------------------------------------------------------------


def _effective(m: Message) -> int | None:
    """The version peers built with `m`'s schema send: its `current_version`, or else the newest it knows."""
    if m.current_version is not None:
        return m.current_version.value
    return m.layouts[-1].version if m.layouts else None


def _sent_outcome(o: Message, n: Message, new_v: int, ctx: Context) -> tuple[str, str, tuple[str, str] | None]:
    """(rule, why, the assumption it rests on) for peers now sending version `new_v` of `n`."""
    if new_v in ctx.old_versions and layout(o, new_v) is not None:
        return "current-version-changed", f"old readers know version {new_v}", None
    agreement = n.agreement
    if agreement == "negotiated":
        return "current-version-changed", f"old readers do not know version {new_v}, but {PROMISE['negotiated']}", (n.name, "negotiated")
    if agreement == "refused" and o.versioned:
        return (
            "current-version-raised",
            f"old readers do not know version {new_v} and refuse it (version_agreement: refused): nothing is misread, but new peers and old ones no longer exchange {n.name}",
            None,
        )
    r, lay = reader_layout(o, new_v), layout(n, new_v)
    if r is not None and lay is not None and _misread(o, r, n, lay, would=False) is None:
        return "current-version-changed", f"old readers read a version {new_v} message by their version {r.version} layout, and find every byte they read where it was", None
    why = PROMISE[agreement] if o.versioned or agreement != "refused" else "old readers have no version field to refuse it by"
    return "current-version-raised", f"old readers do not know version {new_v}, and {why}: they read it by their own newest layout (see {n.name}'s rows)", None


def current_version_rows(ctx: Context, old_const: dict[str, Constant]) -> dict[str, Change]:
    """The row of every constant that is the current version of messages whose sent version
    changed, keyed by the constant's name: it replaces the constant's own row. `old_const`: the
    old constant paired with each new one, by name."""
    by_const: dict[str, list[tuple[Message, Message, int, int]]] = {}
    for o, n in ctx.message_pairs:
        c = n.current_version
        if c is None:
            continue
        old_v, new_v = _effective(o), c.value
        if old_v is not None and old_v != new_v:
            by_const.setdefault(c.name, []).append((o, n, old_v, new_v))
    rows: dict[str, Change] = {}
    for name, changes in by_const.items():
        outcomes = [(_sent_outcome(o, n, new_v, ctx), o, n, old_v, new_v) for o, n, old_v, new_v in changes]
        rule = "current-version-raised" if any(x[0][0] == "current-version-raised" for x in outcomes) else "current-version-changed"
        c = changes[0][1].current_version
        assert c is not None
        before = old_const.get(name)
        olds = sorted({old_v for _, _, old_v, _ in changes})
        messages = ", ".join(n.name for _, n, _, _ in changes)
        whys = list(dict.fromkeys(why for (_, why, _), *_ in outcomes))
        undeclared = [o.name for o, *_ in changes if o.current_version is None]
        note = f" (the old schema declared no current_version for {', '.join(undeclared)}: its peers could send at most version {olds[0]})" if undeclared else ""
        reason = f"{' or '.join(map(num, olds))} → {num(c.value)}: the version of {messages} that peers built from this schema send (current_version){note}; " + "; ".join(whys)
        moved = before is not None and before.value != c.value
        change = Change(
            "constants",
            f"`{name}` " + ("changed" if moved else "added" if before is None else f"now the current version of {messages}"),
            {"value": before.value, "type": before.type.name} if moved else {"text": " or ".join(f"version {v}" for v in olds)},  # type: ignore[union-attr]
            {"value": c.value, "type": c.type.name},
            rule,
            reason,
        )
        assumed = [a for (_, _, a), *_ in outcomes if a]
        if assumed and rule != "current-version-raised":
            change.assumes = tuple(dict.fromkeys(assumed))
        rows[name] = change
    return rows
