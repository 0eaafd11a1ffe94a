"""Two schemas compared: every type paired, diffed and placed in the report."""

from __future__ import annotations

from ..model import Bitmap, Enum, Schema, Struct
from .enums import diff_bitmap, diff_enum
from .pairing import Context
from .report import Change, SchemaDiff, Scope
from .rules import BREAKING, COMPATIBLE
from .structs import diff_struct
from .toplevel import diff_constants, diff_schema
from .wire import embedded, instances


def _struct_title(s: Struct, schema: Schema) -> str:
    inside = embedded(schema).get(s.name)
    return "struct inside " + ", ".join(f"`{x}`" for x in inside) if inside else "struct (message)"


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


def compare(old: Schema, new: Schema, old_label: str | None = None, new_label: str | None = None) -> SchemaDiff:
    """Every change from `old` to `new`, each with its verdict, rule and reason."""
    ctx = Context(old, new)
    ctx.match_types()
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


def _absorb(ctx: Context, struct_rows: dict[str, list[Change]]) -> None:
    """A struct only ever sent inside others is judged through them: if no message that
    carries it changes a byte there, its own layout changes are regrouping (SOURCE)."""
    inst_old, inst_new = instances(ctx.old), instances(ctx.new)
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
