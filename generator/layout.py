"""The layout engine: the one place that computes sizes, alignments, offsets,
per-version layouts, bit masks and shifts. Targets print what it computed.

C layout as on x86-64/AArch64 ABIs: each field at the next multiple of its
alignment, struct alignment = largest field alignment, size a multiple of it.
`packed` removes all padding. Implicit padding is refused (it would leak
uninitialised bytes onto the wire, and zerocopy's IntoBytes refuses it).
"""

from __future__ import annotations

from .errors import Problems
from .errors import Mark
from .model import (
    Bitmap,
    Enum,
    Field,
    LengthField,
    Magic,
    Message,
    MessageLayout,
    Part,
    PlacedPart,
    ReservedBits,
    Scalar,
    Schema,
    Struct,
    VersionLayout,
)

MAX_TYPE_SIZE = 1 << 20
# Structs inside structs: at most this many levels, the outermost included. Deeper is refused at
# load, before any recursion (the generator's, or a target compiler's) could overflow.
MAX_NESTING = 64


def compute(schema: Schema, problems: Problems) -> None:
    for bm in schema.bitmaps:
        _bitmap(bm, problems)
    done: set[str] = set()
    broken: set[str] = set()
    for st in schema.structs:
        _struct_in_order(schema, st, problems, done, broken, [])
    for msg in schema.messages:
        _message(schema, msg, problems, broken)


def _bitmap(bm: Bitmap, problems: Problems) -> None:
    width = bm.type.bits
    owner: dict[int, str] = {}
    used = 0
    for f in bm.fields:
        if f.hi >= width or f.lo < 0:
            problems.add(f.at("bits") if "bits" in f.marks else f.at("bit"), f.path, f"bits [{f.lo}, {f.hi}] fall outside {bm.name}'s {width} bits (0..{width - 1})")
            continue
        clash = sorted({owner[b] for b in range(f.lo, f.hi + 1) if b in owner})
        if clash:
            problems.add(f.at("bits") if "bits" in f.marks else f.at("bit"), f.path, f"bits [{f.lo}, {f.hi}] overlap field {', '.join(clash)} of {bm.name}")
            continue
        for b in range(f.lo, f.hi + 1):
            owner[b] = f.name
        f.width = f.hi - f.lo + 1
        f.mask = ((1 << f.width) - 1) << f.lo
        used |= f.mask
    bm.reserved = []
    b = 0
    while b < width:
        if used >> b & 1:
            b += 1
            continue
        lo = b
        while b < width and not used >> b & 1:
            b += 1
        bm.reserved.append(ReservedBits(lo, b - 1, ((1 << (b - lo)) - 1) << lo))
    bm.reserved_mask = ((1 << width) - 1) & ~used


def _struct_in_order(schema: Schema, st: Struct, problems: Problems, done: set[str], broken: set[str], stack: list[Struct]) -> bool:
    """Lay out `st` after every struct it contains. Returns False if it cannot be laid out."""
    if st.name in done:
        return True
    if st.name in broken:
        return False
    stack.append(st)
    # A field the loader refused leaves the fields after it unplaceable: checking them (or the
    # struct's size) would only report what follows from the first problem.
    ok = st.refused_at is None
    prefix: list[Field] = []  # the fields before the first one that cannot be laid out
    for i, f in enumerate(st.fields):
        field_ok = f.type is not None and (st.refused_at is None or i < st.refused_at)
        inner = f.type.target if field_ok else None
        if isinstance(inner, Struct):
            if inner in stack:
                chain = " -> ".join(s.name for s in stack[stack.index(inner):]) + f" -> {inner.name}"
                problems.add(f.at("type"), f"{f.path}.type", f"struct {inner.name} contains itself ({chain}); a struct may not contain itself, directly or through others")
                field_ok = False
            elif len(stack) >= MAX_NESTING:
                chain = f"{stack[0].name} -> ... -> {st.name} -> {inner.name}"
                problems.add(f.at("type"), f"{f.path}.type", f"structs nest more than {MAX_NESTING} levels deep here ({chain}); the limit is {MAX_NESTING} levels")
                field_ok = False
            elif not _struct_in_order(schema, inner, problems, done, broken, stack):
                field_ok = False
        if field_ok and ok:
            prefix.append(f)
        ok = ok and field_ok
    stack.pop()
    if ok:
        ok = _struct(schema, st, problems)
    else:
        _place(schema, st, prefix, problems)  # what the fields that can be laid out already show
    (done if ok else broken).add(st.name)
    return ok


def _reserved_field(offset: int, size: int) -> str:
    """The field a padding hint suggests, as valid YAML (a `[` starts a list unless quoted)."""
    return f'{{name: reserved_{offset}, type: "u8[{size}]", reserved: true}}'


def _round_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def _field_shape(f: Field) -> tuple[int, int]:
    t = f.type.target
    if isinstance(t, Scalar):
        size, align = t.size, t.align
    elif isinstance(t, (Enum, Bitmap)):
        size = align = t.type.size
    else:
        size, align = t.size, t.align
    return size * (f.type.count or 1), align


def _place(schema: Schema, st: Struct, fields: list[Field], problems: Problems) -> tuple[int, int]:
    """Place `fields` (all of `st`'s, or the prefix that can be laid out) at their offsets,
    reporting padding, misplaced versioned fields and failed offset assertions.
    Returns the end of the last field and the largest alignment."""
    first = schema.first_version
    off = 0
    align = 1
    last_since = first
    for i, f in enumerate(fields):
        f.first_version = f.since if f.since is not None else first
        size, falign = _field_shape(f)
        if st.packed:
            falign = 1
        f.size, f.align = size, falign
        inner = f.type.target
        if isinstance(inner, Struct) and inner.versioned:
            if f.type.is_array:
                problems.add(f.at("type"), f"{f.path}.type", f"{inner.name} has versions, and a versioned struct may not be an array element")
            elif i != len(st.fields) - 1:
                problems.add(f.mark, f.path, f"{inner.name} has versions, so it may only be embedded as the last field of {st.name}")
        if f.first_version < last_since:
            problems.add(f.at("since"), f"{f.path}.since" if f.since is not None else f.path, f"field '{f.name}' (version {f.first_version}) follows a field added in version {last_since}; a version may only append fields, in non-decreasing `since` order")
        last_since = max(last_since, f.first_version)
        placed = _round_up(off, falign)
        if placed != off:
            hole = placed - off
            problems.add(
                f.mark,
                f.path,
                f"implicit padding in {st.name}: bytes {off}..{placed - 1} ({hole} byte{'s' if hole > 1 else ''}) before '{f.name}' "
                f"(aligned to {falign}); add a field {_reserved_field(off, hole)} there, or reorder the fields",
            )
        f.offset = placed
        if f.offset_assert is not None and f.offset_assert != placed:
            problems.add(f.at("offset"), f"{f.path}.offset", f"offset assertion failed: '{f.name}' is at byte {placed}, not {f.offset_assert}")
        off = placed + size
        align = max(align, falign)
    return off, align


def _struct(schema: Schema, st: Struct, problems: Problems) -> bool:
    errors_before = len(problems.items)
    off, align = _place(schema, st, st.fields, problems)
    st.align = align

    # One layout per version in which the struct changes: its own `since` points and
    # those of a versioned struct embedded as its last field.
    points = {f.first_version for f in st.fields}
    last = st.fields[-1] if st.fields else None
    nested = last.type.target if last is not None and isinstance(last.type.target, Struct) and not last.type.is_array else None
    if nested is not None and nested.versioned:
        points |= {lay.version for lay in nested.layouts if lay.version > last.first_version}
    st.layouts = []
    for v in sorted(points):
        present = [f for f in st.fields if f.first_version <= v]
        if not present:
            continue
        tail = present[-1]
        tail_size = tail.size
        if nested is not None and tail is last and nested.versioned:
            tail_size = nested.size_in(v)
        st.layouts.append(VersionLayout(v, tail.offset + tail_size, present))
    if not st.layouts:
        st.layouts = [VersionLayout(schema.first_version, 0, [])]
    st.size = st.layouts[-1].size

    if st.size > MAX_TYPE_SIZE:
        over = next(f for f in st.fields if f.offset + f.size > MAX_TYPE_SIZE)
        problems.add(
            over.at("type"),
            f"{over.path}.type",
            f"{st.name} is {st.size} bytes; no type may exceed 1 MiB ({MAX_TYPE_SIZE} bytes), and field '{over.name}' ({over.type}) ends at byte {over.offset + over.size}",
        )
    full = _round_up(off, align)
    if full != off:
        problems.add(st.mark, st.path, f"implicit tail padding in {st.name}: bytes {off}..{full - 1} ({full - off} bytes) to reach its alignment of {align}; add a field {_reserved_field(off, full - off)} at the end")
    else:
        for lay in st.layouts[:-1]:
            if lay.size % align:
                problems.add(
                    st.mark,
                    st.path,
                    f"version {lay.version} of {st.name} would end at byte {lay.size}, which is not a multiple of its alignment {align} (tail padding in that version); "
                    f"pad version {lay.version} with a reserved field or reorder",
                )
    if st.size_assert is not None and st.size_assert != st.size:
        problems.add(st.at("size"), f"{st.path}.size", f"size assertion failed: {st.name} is {st.size} bytes (newest version), not {st.size_assert}")

    if st.packed:
        _packed_holds_no_raised_alignment(st, problems)
    _version_field(schema, st, problems, nested)
    return len(problems.items) == errors_before


def raised_align(st: Struct, lay: VersionLayout) -> int | None:
    """The alignment an older layout of `st` keeps beyond what its own fields give (a struct has
    one alignment in every version), or None."""
    return st.align if max((f.align for f in lay.fields), default=1) < st.align else None


def _raised_inside(t: Struct, version: int) -> Struct | None:
    """The struct, `t` or one it embeds, whose layout for `version` is aligned beyond its own fields
    (raised_align), if any."""
    lay = t.layout_for(version)
    if raised_align(t, lay) is not None:
        return t
    for f in lay.fields:
        if isinstance(f.type.target, Struct):
            found = _raised_inside(f.type.target, version)
            if found is not None:
                return found
    return None


def _packed_holds_no_raised_alignment(st: Struct, problems: Problems) -> None:
    """Rust cannot pack a type that holds one aligned by `align(N)` (E0588), which is how the
    older layout of a versioned struct keeps the struct's alignment."""
    reported: set[int] = set()
    for lay in st.layouts:
        for f in lay.fields:
            inner = f.type.target
            if id(f) in reported or not isinstance(inner, Struct):
                continue
            raised = _raised_inside(inner, lay.version)
            if raised is not None:
                reported.add(id(f))
                problems.add(
                    f.at("type"),
                    f"{f.path}.type",
                    f"packed struct {st.name} embeds {inner.name}, and in version {lay.version} {raised.name} is aligned to {raised.align} beyond its fields "
                    f"(its alignment is the same in every version); a packed struct cannot hold such a layout in Rust: embed it in a struct that is not packed",
                )


def _version_field(schema: Schema, st: Struct, problems: Problems, nested: Struct | None) -> None:
    spec = st.version_field
    if spec is None and st.versioned:
        if nested is not None and nested.versioned and nested.version_path and st.layouts[0].fields[-1] is st.fields[-1]:
            spec = f"{st.fields[-1].name}." + ".".join(f.name for f in nested.version_path)
        else:
            added = sorted({f.first_version for f in st.fields} - {st.layouts[0].version})
            problems.add(st.mark, st.path, f"{st.name} has fields added in later versions ({', '.join(map(str, added))}) and needs `version_field:` naming the field that says which version a message is")
            return
    if spec is None:
        return
    path_err = f"{st.path}.version_field"
    where = st.at("version_field")
    cur: Struct = st
    offset = 0
    chain: list[Field] = []
    parts = spec.split(".")
    for depth, part in enumerate(parts):
        f = next((x for x in cur.fields if x.name == part), None)
        if f is None:
            problems.add(where, path_err, f"version_field '{spec}': {cur.name} has no field '{part}'; its fields are {', '.join(x.name for x in cur.fields)}")
            return
        chain.append(f)
        offset += f.offset
        is_last = depth == len(parts) - 1
        if is_last:
            if f.type.is_array or not isinstance(f.type.target, (Scalar, Enum)):
                problems.add(where, path_err, f"version_field '{spec}' must be an integer or enum field; it is {f.type}")
                return
            if f.first_version != cur.layouts[0].version:
                problems.add(where, path_err, f"version_field '{spec}' must be present in every version; it was added in version {f.first_version}")
                return
            first_added = next((x for x in cur.fields if x.first_version > cur.layouts[0].version), None)
            if first_added is not None and cur.fields.index(f) > cur.fields.index(first_added):
                problems.add(where, path_err, f"version_field '{spec}' must come before the first versioned field ('{first_added.name}')")
                return
            scalar = f.type.target.type if isinstance(f.type.target, Enum) else f.type.target
            unfit = [lay.version for lay in st.layouts if not scalar.fits(lay.version)]
            if unfit:
                problems.add(where, path_err, f"version_field '{spec}' is {scalar.name}, which cannot hold version {unfit[0]} of {st.name}; use a type that holds {', '.join(str(lay.version) for lay in st.layouts)}")
                return
        else:
            inner = f.type.target
            if f.type.is_array or not isinstance(inner, Struct):
                problems.add(where, path_err, f"version_field '{spec}': '{part}' is not an embedded struct")
                return
            if f.first_version != cur.layouts[0].version:
                problems.add(where, path_err, f"version_field '{spec}': '{part}' must be present in every version")
                return
            cur = inner
    st.version_path = chain
    st.version_offset = offset


# --- messages ------------------------------------------------------------------------------


def _message(schema: Schema, msg: Message, problems: Problems, broken: set[str]) -> None:
    """Place the parts of `msg` in every protocol version it exists in, and resolve its version
    field and length fields to absolute offsets. A part whose struct cannot be laid out (already
    reported) leaves the message unplaced."""
    if not msg.parts or any(not p.is_payload and (p.struct is None or p.struct.name in broken) for p in msg.parts):
        return
    if not msg.struct_parts:
        problems.add(msg.mark, f"{msg.path}.parts", f"message {msg.name} has no struct part; a message starts with at least one fixed-size struct")
        return
    first = msg.since if msg.since is not None else schema.first_version
    ok = True
    last = first
    for p in msg.parts:
        p.first_version = p.since if p.since is not None else first
        if p.is_payload:
            continue
        st = p.struct
        assert st is not None
        if st.versioned:
            sizes = ", ".join(f"{lay.size} bytes in version {lay.version}" for lay in st.layouts)
            problems.add(p.at("type"), f"{p.path}.type", f"part '{p.name}' is {st.name}, which has versions ({sizes}); a part has one size: put the fields added later in a struct of their own, as a part with `since:`")
            ok = False
        if p.first_version < first:
            problems.add(p.at("since"), f"{p.path}.since", f"part '{p.name}' cannot be added in version {p.first_version}, before message {msg.name} exists (version {first})")
            ok = False
        elif p.first_version < last:
            problems.add(p.at("since"), f"{p.path}.since" if p.since is not None else p.path, f"part '{p.name}' (version {p.first_version}) follows a part added in version {last}; a version may only append parts, in non-decreasing `since` order")
            ok = False
        last = max(last, p.first_version)
    if ok and msg.struct_parts[0].first_version != first:
        p = msg.struct_parts[0]
        problems.add(p.at("since"), f"{p.path}.since", f"the first part of {msg.name}, '{p.name}', must be in every version of it (from version {first}); it holds what every peer reads first")
        ok = False
    if not ok:
        return

    versions = [v for v in schema.versions if v >= first]
    added = sorted({p.first_version for p in msg.struct_parts} - {first})
    if msg.version_field is not None:
        found = _part_path(msg, msg.version_field, msg.at("version_field"), f"{msg.path}.version_field", "version_field", problems)
        if found is None:
            return
        part, chain, _ = found
        t = chain[-1].type.target if chain else None
        scalar = t.type if isinstance(t, Enum) else t
        if not chain or chain[-1].type.is_array or not isinstance(scalar, Scalar) or scalar.signed:
            what = f"{chain[-1].type}" if chain else f"the whole part '{part.name}'"
            problems.add(msg.at("version_field"), f"{msg.path}.version_field", f"version_field '{msg.version_field}' must be an unsigned integer or an enum of one; it is {what}")
            return
        unfit = [v for v in versions if not scalar.fits(v)]
        if unfit:
            problems.add(msg.at("version_field"), f"{msg.path}.version_field", f"version_field '{msg.version_field}' is {scalar.name}, which cannot hold version {unfit[0]} of {msg.name}; use a type that holds {', '.join(map(str, versions))}")
            return
        msg.version_part, msg.version_path = part, chain
        if msg.current_version is not None:
            _current_version(msg, t, versions, problems)  # type: ignore[arg-type]
    elif added:
        problems.add(msg.mark, msg.path, f"message {msg.name} has parts added in later versions ({', '.join(map(str, added))}) and needs `version_field:` naming the field that says which version a message is")
        return

    msg.layouts = []
    for v in versions if msg.versioned else [first]:
        placed: list[PlacedPart] = []
        off = 0
        for p in msg.struct_parts:
            if p.first_version <= v:
                assert p.struct is not None
                placed.append(PlacedPart(p, off, p.struct.size))
                off += p.struct.size
        magics = [m for pl in placed for m in _magics(pl.part, pl.part.struct, pl.offset, f"{pl.part.name}.")]  # type: ignore[arg-type]
        msg.layouts.append(MessageLayout(v, placed, off, magics))
    newest = msg.layouts[-1]
    if newest.fixed_size > MAX_TYPE_SIZE:
        problems.add(msg.mark, msg.path, f"the fixed parts of {msg.name} are {newest.fixed_size} bytes; they may not exceed 1 MiB ({MAX_TYPE_SIZE} bytes)")
    if msg.versioned:
        assert msg.version_part is not None
        msg.version_offset = _offset(msg, msg.version_part) + sum(f.offset for f in msg.version_path)

    for length in msg.lengths:
        _length(msg, length, problems)


def _current_version(msg: Message, field_type: Scalar | Enum, versions: list[int], problems: Problems) -> None:
    """`current_version` names a constant that a peer writes into the version field: of the
    field's enum (or its integer type), holding a version the message has."""
    const = msg.current_version
    assert const is not None
    where, path = msg.at("current_version"), f"{msg.path}.current_version"
    if isinstance(field_type, Enum) and const.type is not field_type:
        problems.add(where, path, f"current_version '{const.name}' has type {const.type.name}, but the version field '{msg.version_field}' has type {field_type.name}: type the constant by {field_type.name}")
    elif isinstance(field_type, Scalar) and const.type is not field_type:
        problems.add(where, path, f"current_version '{const.name}' has type {const.type.name}, but the version field '{msg.version_field}' has type {field_type.name}: give the constant that type")
    elif const.value not in versions:
        problems.add(where, path, f"current_version '{const.name}' is {const.value}, which is not a version of {msg.name} ({', '.join(map(str, versions))})")


def _magics(part: Part, st: Struct, base: int, prefix: str) -> list[Magic]:
    """Every magic number of `st` (a part's struct, one layout) placed at `base`, in byte order;
    an element of an array of structs is named `name[]`, one entry each."""
    out: list[Magic] = []
    for f in st.newest.fields:
        t = f.type.target
        if f.magic and f.value is not None:
            out.append(Magic(prefix + f.name, f, base + f.offset, part))
        elif isinstance(t, Struct):
            step = f.size // (f.type.count or 1)
            name = f"{f.name}[]" if f.type.is_array else f.name
            for i in range(f.type.count or 1):
                out += _magics(part, t, base + f.offset + i * step, f"{prefix}{name}.")
    return out


def _offset(msg: Message, part: Part) -> int:
    """The offset of a part present in every version (the same in each: it precedes every part
    added later)."""
    placed = msg.layouts[0].placed(part)
    assert placed is not None
    return placed.offset


def _part_path(msg: Message, text: str, mark: Mark, path: str, what: str, problems: Problems) -> tuple[Part, list[Field], int] | None:
    """Resolve `part.field.field...` (or a part alone) in a part present in every version:
    the part, the fields outermost first, and the offset inside the part."""
    names = text.split(".") if text else [""]
    part = next((p for p in msg.struct_parts if p.name == names[0]), None)
    if part is None:
        problems.add(mark, path, f"{what} '{text}': {msg.name} has no struct part '{names[0]}'; its struct parts are {', '.join(p.name for p in msg.struct_parts)}")
        return None
    if part.first_version != msg.struct_parts[0].first_version:
        problems.add(mark, path, f"{what} '{text}': part '{part.name}' is only there from version {part.first_version}; it must be a part every version has")
        return None
    assert part.struct is not None
    cur: Struct | None = part.struct
    chain: list[Field] = []
    offset = 0
    for name in names[1:]:
        if cur is None:
            problems.add(mark, path, f"{what} '{text}': '{chain[-1].name}' is {chain[-1].type}, not a struct with fields")
            return None
        f = next((x for x in cur.fields if x.name == name), None)
        if f is None:
            problems.add(mark, path, f"{what} '{text}': {cur.name} has no field '{name}'; its fields are {', '.join(x.name for x in cur.fields)}")
            return None
        chain.append(f)
        offset += f.offset
        inner = f.type.target
        cur = inner if isinstance(inner, Struct) and not f.type.is_array else None
    return part, chain, offset


def _length(msg: Message, length: LengthField, problems: Problems) -> None:
    mark = length.at("field")
    path = f"{length.path}.field"
    found = _part_path(msg, length.name, mark, path, "length field", problems)
    if found is None:
        return
    part, chain, inner = found
    f = chain[-1] if chain else None
    if f is None or f.type.is_array or not isinstance(f.type.target, Scalar) or f.type.target.signed:
        what = f"{f.type}" if f is not None else f"the whole part '{part.name}'"
        problems.add(mark, path, f"length field '{length.name}' must be an unsigned integer (u8, u16, u32, u64); it is {what}")
        return
    if f.value is not None or f.reserved:
        problems.add(mark, path, f"length field '{length.name}' is {'fixed' if f.value is not None else 'reserved'}; a length field holds the length it counts")
        return
    if msg.versioned and part is msg.version_part and chain == msg.version_path:
        problems.add(mark, path, f"'{length.name}' is the version field of {msg.name}; it cannot also be a length field")
        return
    length.part, length.chain, length.scalar = part, chain, f.type.target
    length.offset = _offset(msg, part) + inner
    if length.counts == "message":
        length.start = 0
    elif length.counts == "from":
        where = _part_path(msg, length.from_path or "", length.at("from"), f"{length.path}.counts.from", "counts from", problems)
        if where is None:
            return
        length.start = _offset(msg, where[0]) + where[2]
    else:
        length.start = None
    most = max(lay.minimum(length) for lay in msg.layouts)
    if most > length.scalar.max:
        problems.add(mark, path, f"length field '{length.name}' is a {length.scalar.name}, too narrow for the {most} fixed bytes it counts")
