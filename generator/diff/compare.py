"""Two schemas compared: every type paired, diffed and placed in the report."""

from __future__ import annotations

from ..model import Bitmap, Enum, Schema, Struct
from .additions import added_rows, removed_row
from .enums import diff_bitmap, diff_enum
from .grouping import absorb, fold, fold_parts, merge_regroups, reach_messages
from .messages import added_message, diff_message, message_title, removed_message
from .pairing import Context
from .report import Change, SchemaDiff, Scope
from .structs import diff_struct
from .toplevel import diff_constants, diff_schema
from .wire import embedded, parts_of


def _struct_title(s: Struct, schema: Schema) -> str:
    inside = embedded(schema).get(s.name)
    parts = list(dict.fromkeys(m for m, _ in parts_of(schema).get(s.name, [])))
    out = []
    if inside:
        out.append("struct inside " + ", ".join(f"`{x}`" for x in inside))
    if parts:
        out.append(("part" if not inside else "a part") + " of " + ", ".join(f"`{x}`" for x in parts))
    if out:
        return "; ".join(out)
    return "struct (no message carries it)" if schema.messages else "struct (message)"


def _sizes_text(o: Struct | None, n: Struct | None, ctx: Context) -> str:
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


def unfollowed(ctx: Context, scopes: list[Scope]) -> None:
    """In a schema without messages, a field appended in a new version is harmless to an old
    reader only if nothing follows the struct it ends on the wire, which the schema cannot say:
    the row names that condition."""
    for s in scopes:
        for c in s.changes:
            if c.rule != "field-appended-versioned":
                continue
            tops = [t for t in dict.fromkeys([r.carrier for r in c.reaches] or [s.name]) if t not in ctx.new_embedded]
            if not tops:
                continue
            c.assumes += tuple((t, "unfollowed") for t in tops)
            names = ", ".join(tops)
            c.reason += f", provided nothing follows {names} on the wire: with no message declared, what follows is not judged"


def compare(old: Schema, new: Schema, old_label: str | None = None, new_label: str | None = None) -> SchemaDiff:
    """Every change from `old` to `new`, each with its verdict, rule and reason."""
    ctx = Context(old, new)
    ctx.match_types()
    ctx.match_messages()
    d = SchemaDiff(new.name, old_label or old.file, new_label or new.file)

    schema_rows = diff_schema(old, new)
    if schema_rows:
        d.scopes.append(Scope("schema", "schema", f"`{new.name}`", schema_rows))
    const_rows = diff_constants(old, new, ctx)
    if const_rows:
        d.scopes.append(Scope("constants", "constants", "", const_rows))

    struct_rows: dict[str, list[Change]] = {}
    for o, n in ctx.pairs:
        rows: list[Change] = []
        if o.name != n.name:
            rows.append(Change(n.name, f"renamed from `{o.name}`", {"name": o.name}, {"name": n.name}, "renamed", "same bytes in every version; only the generated name changes", order=(0, 0)))
        if isinstance(n, Enum):
            rows += diff_enum(o, n, ctx)  # type: ignore[arg-type]
            title = f"enum {n.type.name}"
        elif isinstance(n, Bitmap):
            rows += diff_bitmap(o, n, ctx)  # type: ignore[arg-type]
            title = f"bitmap {n.type.name}"
        else:
            rows += diff_struct(o, n, ctx)  # type: ignore[arg-type]
            struct_rows[n.name] = rows
            title = f"{_struct_title(n, new)}; {_sizes_text(o, n, ctx)}"  # type: ignore[arg-type]
        if rows:
            d.scopes.append(Scope(n.name, n.kind, title, rows))

    message_rows = {n.name: diff_message(o, n, ctx) for o, n in ctx.message_pairs}
    absorb(ctx, struct_rows)
    new_rows = added_rows(ctx, struct_rows, message_rows)
    removed_rows = {t.name: removed_row(t, ctx, struct_rows, message_rows) for t in ctx.removed}
    fold(ctx, struct_rows, new_rows, removed_rows)
    fold_parts(ctx, message_rows, new_rows, removed_rows)
    for rows in struct_rows.values():
        merge_regroups(rows)
    for rows in message_rows.values():
        merge_regroups(rows, parts=True)
    for om, nm in ctx.message_pairs:
        d.scopes.append(Scope(nm.name, "message", message_title(nm, om, ctx), message_rows[nm.name]))
    d.scopes = [s for s in d.scopes if s.changes]

    for t in ctx.added:
        title = f"{_struct_title(t, new)}; {_sizes_text(None, t, ctx)}" if isinstance(t, Struct) else f"{t.kind} {t.type.name}"
        d.scopes.append(Scope(t.name, t.kind, title, [new_rows[t.name]]))
    for t in ctx.removed:
        if isinstance(t, Struct):
            title = f"{_struct_title(t, old)}; {_sizes_text(t, None, ctx)}" if t.name not in ctx.old_embedded else "struct"
        else:
            title = f"{t.kind} {t.type.name}"
        d.scopes.append(Scope(t.name, t.kind, title, [removed_rows[t.name]]))
    for m in ctx.added_messages:
        d.scopes.append(Scope(m.name, "message", message_title(m, None, ctx), [added_message(m)]))
    for m in ctx.removed_messages:
        d.scopes.append(Scope(m.name, "message", "message", [removed_message(m)]))
    reach_messages(ctx, d.scopes)
    if not new.messages:
        unfollowed(ctx, d.scopes)

    rank = {"schema": 0, "constants": 1, "message": 3}
    type_order = {t.name: i for i, t in enumerate(new.types)}
    type_order.update({t.name: len(type_order) + i for i, t in enumerate(ctx.removed)})
    type_order.update({m.name: i for i, m in enumerate(new.messages)})
    type_order.update({m.name: len(new.messages) + i for i, m in enumerate(ctx.removed_messages)})
    d.scopes.sort(key=lambda s: (rank.get(s.kind, 2), type_order.get(s.name, 0)))
    for s in d.scopes:
        s.changes.sort(key=lambda c: c.order)
    return d


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
