"""Enum and bitmap comparison: values by number, bit fields by their bits."""

from __future__ import annotations

from ..model import BitField, Bitmap, Enum, Scalar
from .items import item_meta
from .pairing import Context
from .report import Change
from .text import bits_json, bits_text, num


def _underlying_type(scope: str, o: Enum | Bitmap, n: Enum | Bitmap, effect: str) -> list[Change]:
    if o.type.name == n.type.name:
        return []
    return [
        Change(scope, "integer type", {"text": o.type.name}, {"text": n.type.name}, "underlying-type-changed", f"{o.type.name} → {n.type.name}: {effect}", order=(0, 1))
    ]


def diff_enum(o: Enum, n: Enum, ctx: Context) -> list[Change]:
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
                    f"{num(a.value)} → {num(b.value)}: each peer decodes the other's {b.name} as another value",
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
                Change(scope, f"`{a.name}` → `{b.name}`", {"value": a.value}, {"value": b.value}, "renamed", f"same number {num(b.value)}; only the generated name changes (if its meaning changed too, old peers still mean {a.name} by it)", order=(1, b.value))
            )
    for b in left_new:
        prev = old_by_num.get(b.value)
        if prev is not None:
            out.append(
                Change(
                    scope,
                    f"`{b.name}` reuses {num(b.value)}",
                    {"value": b.value, "type": prev.name},
                    {"value": b.value, "type": b.name},
                    "enum-value-reused",
                    f"{num(b.value)} meant {prev.name} to old peers",
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
                    f"enums are open: an old peer decodes {num(b.value)} as an unknown value and re-encodes it unchanged",
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
                f"old peers still send {num(a.value)} meaning {a.name}; to new peers it means nothing",
                order=(1, a.value),
            )
        )
    out += item_meta(scope, "", o, n, ctx, order=(0, 2))
    for a, b in matched:
        out += item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, b.value))
    return out


def diff_bitmap(o: Bitmap, n: Bitmap, ctx: Context) -> list[Change]:
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

    def refines(a: BitField, b: BitField) -> bool:
        """Plain bits (a flag or an integer) and an enum over them: the same numbers."""
        return not same_type(a, b) and (a.is_bool or b.is_bool or isinstance(a.type, Scalar) or isinstance(b.type, Scalar))

    for a, b in matched:
        if (a.lo, a.hi) != (b.lo, b.hi):
            if b.width < a.width:
                rule, why = "bitmap-field-narrowed", f"{a.width} → {b.width} bits: values that need the lost bits are cut"
            elif b.width > a.width:
                rule, why = "bitmap-field-widened", f"{a.width} → {b.width} bits: old readers see only the low {a.width} bits of larger values"
            else:
                rule, why = "bitmap-field-moved", "each peer reads it from bits the other uses for something else"
            verb = rule.rsplit("-", 1)[1]
            out.append(Change(scope, f"`{b.name}` {verb}", bits_json(a), bits_json(b), rule, f"{bits_text(a.lo, a.hi)} → {bits_text(b.lo, b.hi)}: {why}", order=(1, b.lo)))
        elif not same_type(a, b):
            refine = refines(a, b)
            out.append(
                Change(
                    scope,
                    f"`{b.name}` type changed",
                    bits_json(a) | {"type": tname(a)},
                    bits_json(b) | {"type": tname(b)},
                    "field-type-refined" if refine else "field-retyped",
                    f"{tname(a)} → {tname(b)}: " + ("the same bits and numbers; generated code uses the new type" if refine else "the same bits now hold values of another enum"),
                    order=(1, b.lo),
                )
            )
    for b in list(left_new):
        same_bits = next((x for x in left_old if (x.lo, x.hi) == (b.lo, b.hi) and (same_type(x, b) or refines(x, b))), None)
        if same_bits is not None:
            a = same_bits
            matched.append((a, b))
            left_old.remove(a)
            left_new.remove(b)
            retyped = "" if same_type(a, b) else f"; {tname(a)} → {tname(b)} names the same numbers"
            out.append(
                Change(
                    scope,
                    f"`{a.name}` → `{b.name}`",
                    bits_json(a) | ({"type": tname(a)} if retyped else {}),
                    bits_json(b) | ({"type": tname(b)} if retyped else {}),
                    "renamed",
                    f"same bits; only the generated name changes{retyped} (if its meaning changed too, old peers still mean {a.name} by it)",
                    order=(1, b.lo),
                )
            )
    for b in left_new:
        if b.mask & ~o.reserved_mask & ((1 << o.type.bits) - 1):
            owners = sorted({f.name for f in o.fields if f.mask & b.mask})
            out.append(
                Change(
                    scope,
                    f"`{b.name}` added",
                    None,
                    bits_json(b),
                    "bits-reused",
                    f"{bits_text(b.lo, b.hi)} belonged to {', '.join(owners)} for old peers",
                    order=(1, b.lo),
                )
            )
        else:
            out.append(_reserved_bits_assigned(scope, b))
    for a in left_old:
        out.append(
            Change(
                scope,
                f"`{a.name}` removed",
                bits_json(a),
                {"text": f"{bits_text(a.lo, a.hi)} reserved"},
                "bitmap-field-removed",
                f"old peers still set {bits_text(a.lo, a.hi)} meaning {a.name}; new peers keep it as a reserved bit and ignore it",
                order=(1, a.lo),
            )
        )
    out += item_meta(scope, "", o, n, ctx, order=(0, 2))
    for a, b in matched:
        out += item_meta(scope, f"`{b.name}` ", a, b, ctx, order=(2, b.lo))
    return out


def _reserved_bits_assigned(scope: str, b: BitField) -> Change:
    """Reserved bits given meaning, judged by the bits whatever their grouping: one 2-bit
    field and two one-bit flags over the same bits are the same contract. Old writers leave
    the bits 0 and old readers ignore them, so it holds when 0 means "as before"; the one
    thing the schema can check is that 0 is a value the field can hold (an enum may lack it)."""
    bits = bits_text(b.lo, b.hi)
    old = {"text": f"{bits} reserved"}
    if isinstance(b.type, Enum) and b.type.name_of(0) is None:
        return Change(
            scope,
            f"`{b.name}` added",
            old,
            bits_json(b),
            "reserved-given-meaning",
            f"{bits} were reserved: old writers leave them 0, which is no value of {b.type.name}, so a new reader gets an unknown {b.type.name} from every old peer",
            order=(1, b.lo),
        )
    if b.is_bool:
        zero = "0 (not set)"
    elif isinstance(b.type, Enum):
        zero = f"0 ({b.type.name}.{b.type.name_of(0)})"
    else:
        zero = "0"
    return Change(
        scope,
        f"`{b.name}` added",
        old,
        bits_json(b),
        "reserved-bits-assigned",
        f"{bits} {'was' if b.lo == b.hi else 'were'} reserved: new readers get {b.name} = {zero} from every old peer, and old readers ignore what new peers put there; "
        "compatible as long as that 0 means 'as before' and the value is safe to ignore, as for any flag",
        order=(1, b.lo),
    )
