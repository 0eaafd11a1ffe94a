"""Constants and the schema's own header: protocol versions, name, title and doc."""

from __future__ import annotations

import dataclasses

from ..model import Constant, Schema
from .items import item_meta
from .messages import current_version_rows
from .pairing import Context
from .report import Change
from .text import num


def _uses(schema: Schema, c: Constant) -> list[str]:
    out = []
    for s in schema.structs:
        for f in s.fields:
            if f.type.count_const == c.name:
                out.append(f"the length of {s.name}.{f.name}")
            if f.value_ref == c.name:
                out.append(f"the fixed value of {s.name}.{f.name}")
    return out


def _current_of(schema: Schema) -> dict[str, Constant]:
    """message name -> the constant its `current_version` names."""
    return {m.name: m.current_version for m in schema.messages if m.current_version is not None}


def diff_constants(old: Schema, new: Schema, ctx: Context) -> list[Change]:
    out: list[Change] = []
    scope = "constants"
    olds = {c.name: c for c in old.constants}
    news = {c.name: c for c in new.constants}
    matched = [(olds[c.name], c) for c in new.constants if c.name in olds]
    left_old = [c for c in old.constants if c.name not in news]
    left_new = [c for c in new.constants if c.name not in olds]

    def rename(a: Constant, b: Constant, why: str) -> None:
        matched.append((a, b))
        left_old.remove(a)
        left_new.remove(b)
        if a.type.name != b.type.name:
            why += f" ({a.type.name} → {b.type.name}: the same {b.scalar.name})"
        out.append(Change(scope, f"`{a.name}` → `{b.name}`", {"value": a.value, "type": a.type.name}, {"value": b.value, "type": b.type.name}, "renamed", why))

    # the same role first: the current version of the same message, under another name
    old_current, new_current = _current_of(old), _current_of(new)
    for o, n in ctx.message_pairs:
        a, b = old_current.get(o.name), new_current.get(n.name)
        if a is not None and b is not None and a in left_old and b in left_new:
            rename(a, b, f"the current version of {n.name} under another name; only the generated name changes")
    # then the same value of the same integer (an enum over it is the same integer)
    for b in list(left_new):
        key = (b.scalar.name, b.value)
        cands = [a for a in left_old if (a.scalar.name, a.value) == key]
        rivals = [x for x in left_new if (x.scalar.name, x.value) == key]
        if len(cands) == 1 and len(rivals) == 1:
            rename(cands[0], b, "same value; only the generated name changes")

    current = current_version_rows(ctx, {b.name: a for a, b in matched})
    order = {c.name: i for i, c in enumerate(new.constants)}
    for a, b in matched:
        uses = sorted(set(_uses(new, b) + _uses(old, a)))
        if b.name in current and not uses:
            out.append(dataclasses.replace(current[b.name], order=(1, order[b.name])))
        elif a.value != b.value:
            if uses:
                rule = "constant-changed"
                why = f"peers built from the old schema still use {num(a.value)} as {', '.join(uses)}: see those rows"
            else:
                rule = "constant-value-changed"
                why = (
                    f"no layout uses it, so no byte moves; but peers built from the old schema still use {num(a.value)}: "
                    "check what it stands for (a limit, a sentinel, the version a peer speaks: if it is, name it as a message's `current_version`)"
                )
            out.append(
                Change(
                    scope,
                    f"`{b.name}` changed",
                    {"value": a.value, "type": a.type.name},
                    {"value": b.value, "type": b.type.name},
                    rule,
                    f"{num(a.value)} → {num(b.value)}: {why}",
                    order=(1, order[b.name]),
                )
            )
        if a.value == b.value and a.type.name != b.type.name and a.name == b.name:
            out.append(
                Change(scope, f"`{b.name}` type changed", {"value": a.value, "type": a.type.name}, {"value": b.value, "type": b.type.name}, "constant-retyped", "same value; the generated constant's type changes", order=(1, order[b.name]))
            )
        out += item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, order[b.name]), since=False)
    for b in left_new:
        if b.name in current:
            out.append(dataclasses.replace(current[b.name], order=(1, order[b.name])))
        else:
            out.append(Change(scope, f"`{b.name}` added", None, {"value": b.value, "type": b.type.name}, "constant-added", "a new name for a value; nothing on the wire changes", order=(1, order[b.name])))
    for a in left_old:
        out.append(
            Change(scope, f"`{a.name}` removed", {"value": a.value, "type": a.type.name}, None, "constant-removed", "nothing on the wire changes; code that uses it no longer builds", order=(3, a.name))
        )
    return out


def diff_schema(old: Schema, new: Schema) -> list[Change]:
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
        out.append(Change(scope, "title", {"doc": old.title}, {"doc": new.title}, "doc-changed", "documentation only", order=(2,)))
    if old.doc != new.doc:
        out.append(Change(scope, "doc", {"doc": old.doc}, {"doc": new.doc}, "doc-changed", "documentation only; the generated module docs change", order=(3,)))
    return out
