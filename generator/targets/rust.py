"""Rust target: one `no_std` crate per schema, in a Cargo workspace.

    rust/Cargo.toml                  the workspace, one member per schema (render_project)
    rust/<schema>/Cargo.toml         the crate, named after the schema
    rust/<schema>/src/lib.rs         the definitions, with a compile-time layout proof per type
    rust/<schema>/tests/codec/mod.rs the codec: answers a line of the conformance protocol
    rust/<schema>/tests/vectors.rs   a loop over the schema's vectors file through the codec
    rust/<schema>/examples/codec.rs  the codec entry point of the conformance harness

The shapes follow what openvmm writes by hand: `#[repr(C)]` structs with zerocopy
derives, open enums as `#[repr(transparent)]` newtypes with a `pub const` per value,
bitmaps through bitfield-struct. The vector test reads `generated/vectors/<schema>.txt`
(include_str!), whose lines are codec inputs with the answer the layout engine gives,
so the test is the same loop whatever the schema holds.

Every `.rs` file is formatted by rustfmt before it is compared or written.
`Cargo.lock` belongs to cargo, not to the generator.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from .. import codec, doctext, layout, naming
from ..errors import Problem, SchemaError, ToolError
from ..model import SIZE, Bitmap, Constant, Enum, Field, Message, Scalar, Schema, Struct, TypeRef
from ..render import TEMPLATES, Banner, banner, environment
from . import vectors

TARGET = "rust"
# Dependency requirements: from the lowest versions the generated crates build and pass their
# tests with (tests/test_rust_dependencies.py resolves them with `cargo update --precise`) to the
# newest (the committed Cargo.lock). bitfield-struct is a proc-macro whose output is the crate's
# own types, so a range across its 0.x releases is safe, and lets a workspace that pins one of them
# (openvmm: 0.11) build with a single copy.
ZEROCOPY = "0.8"
BITFIELD_STRUCT = ">=0.6, <0.14"
# The oldest Rust the generated code compiles with: core::error::Error is stable since 1.81
# (core::mem::offset_of!, since 1.77). A schema may ask for a newer one (`package.rust_version`).
RUST_VERSION = "1.81"
RUSTFMT_CONFIG = TEMPLATES / TARGET / "rustfmt.toml"


def rustfmt(text: str) -> str:
    """Format Rust source with rustfmt (edition 2021, the settings in templates/rust/rustfmt.toml)."""
    exe = shutil.which("rustfmt")
    if exe is None:
        raise ToolError("rustfmt not found on PATH; the Rust target needs it (install Rust with rustup, then `rustup component add rustfmt`)")
    done = subprocess.run(
        [exe, "--edition", "2021", "--config-path", str(RUSTFMT_CONFIG), "--emit", "stdout"],
        input=text,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    if done.returncode != 0:
        raise ToolError(f"rustfmt refused the generated Rust:\n{done.stderr}")
    return done.stdout


class Names:
    """Rust names and type expressions of one schema's items."""

    def __init__(self, schema: Schema):
        self.schema = schema

    def __call__(self, item: Any) -> str:
        return naming.ident(item, TARGET)

    def struct(self, st: Struct, version: int | None = None) -> str:
        """The struct for layout `version` of `st`: the full struct for its newest layout, else `<Name>V<v>`."""
        lay = st.newest if version is None else st.layout_for(version)
        return self(st) if lay is st.newest else naming.versioned(self(st), lay.version)

    def length(self, ref: TypeRef) -> str:
        if ref.count_const is not None:
            const = self.schema.constant(ref.count_const)
            return self(const) if const.type is SIZE else f"{self(const)} as usize"
        return str(ref.count)

    def constant_type(self, c: Constant) -> str:
        """`usize` for a size, the enum for an enum-typed constant, else the integer."""
        if isinstance(c.type, Enum):
            return self(c.type)
        return "usize" if c.type is SIZE else c.type.name

    def constant_value(self, c: Constant) -> str:
        if isinstance(c.type, Enum):
            member = c.type.member(c.value)
            return f"{self(c.type)}::{self(member)}" if member else f"{self(c.type)}({literal(c.value)})"
        return literal(c.value)

    def type(self, ref: TypeRef, version: int | None = None) -> str:
        t = ref.target
        if isinstance(t, Scalar):
            elem = t.name
        elif isinstance(t, Struct):
            elem = self.struct(t, version)
        else:
            elem = self(t)
        return f"[{elem}; {self.length(ref)}]" if ref.is_array else elem


def literal(value: int) -> str:
    """An integer as Rust source: decimal, or hex above 0xFFFF (where hex reads better)."""
    return f"0x{value:X}" if value > 0xFFFF else str(value)


def bits(value: int) -> str:
    """Bits of a bitmap as Rust source: always hex."""
    return f"0x{value:X}"


DOC_WIDTH = 92  # rustfmt's 100 columns, less a field's indent and the `/// ` marker


def wrap(lines: list[str]) -> list[str]:
    """Markdown doc lines wrapped to DOC_WIDTH, as rustfmt does not wrap comments."""
    return doctext.wrap(lines, DOC_WIDTH)


def doc_text(text: str) -> list[str]:
    """A schema doc as the lines of a `///` or `//!` comment: inert Markdown (doctext.markdown), wrapped."""
    return wrap(doctext.markdown(doctext.lines(text)))


def docs(item: Any, first_version: int, since: int | None = None) -> list[str]:
    """The item's doc lines, plus the version that introduced it when that is not the first."""
    lines = doc_text(item.doc)
    since = item.since if since is None else since
    if since is not None and since > first_version:
        lines += ([""] if lines else []) + [f"Since version {since}."]
    return lines


def bit_members(bm: Bitmap, names: Names) -> list[dict[str, Any]]:
    """The bitfield's members from bit 0 up (bitfield-struct places them in declaration order),
    every run of reserved bits as a named padding member."""
    reserved_name = "_reserved" if len(bm.reserved) == 1 else None
    members: list[dict[str, Any]] = []
    for f in bm.fields:
        kind = "bool" if f.is_bool else "int" if isinstance(f.type, Scalar) else "enum"
        members.append({"lo": f.lo, "field": f, "name": names(f), "width": f.width, "kind": kind, "type": "bool" if f.is_bool else f.type.name if kind == "int" else names(f.type), "allow": naming.rust_getter_lints(names(f))})
    for r in bm.reserved:
        members.append({"lo": r.lo, "field": None, "name": reserved_name or f"_reserved_{r.lo}", "width": r.width, "kind": "reserved", "type": bm.type.name})
    return sorted(members, key=lambda m: m["lo"])


class Values:
    """Rust expressions for values of the codec's value model (what a test vector holds)."""

    def __init__(self, names: Names):
        self.names = names

    def one(self, t: Any, value: Any, version: int) -> str:
        n = self.names
        if isinstance(t, Struct):
            lay = t.layout_for(version)
            inits = ", ".join(f"{n(f)}: {self.field(f, value[f.name], lay.version)}" for f in lay.fields)
            return f"{n.struct(t, version)} {{ {inits} }}"
        if isinstance(t, Bitmap):
            reserved = value[codec.RESERVED_KEY]
            start = f"{n(t)}::from_bits({bits(reserved)})" if reserved else f"{n(t)}::new()"
            return start + self.with_chain(t, value, version)
        if isinstance(t, Enum):
            named = t.member(value)
            return f"{n(t)}::{n(named)}" if named else f"{n(t)}({literal(value)})"
        return literal(value)

    def with_chain(self, bm: Bitmap, value: dict[str, Any], version: int) -> str:
        """`.with_<field>(<value>)` for every field of the bitmap, in the schema's order."""
        n = self.names
        return "".join(f".with_{n(f)}({('true' if value[f.name] else 'false') if f.is_bool else self.one(f.type, value[f.name], version)})" for f in bm.fields)

    def field(self, f: Field, value: Any, version: int) -> str:
        if not f.type.is_array:
            return self.one(f.type.target, value, version)
        items = [self.one(f.type.target, v, version) for v in value]
        if len(set(items)) == 1:
            return f"[{items[0]}; {self.names.length(f.type)}]"
        return "[" + ", ".join(items) + "]"

    def version_field(self, st: Struct, value: int) -> str:
        """A value of `st`'s version field, typed so that `.as_bytes()` gives its wire bytes."""
        vt = st.version_type
        return f"{self.names(vt)}({literal(value)})" if isinstance(vt, Enum) else f"{literal(value)}{vt.name}"


def magic_checks(st: Struct, version: int, names: Names, values: "Values") -> list[dict[str, str]]:
    """The condition under which each magic number of layout `version` of `st` is wrong, in the
    order of the bytes, with its dotted path and how the docs name its value."""
    out: list[dict[str, str]] = []

    def walk(s: Struct, v: int, expr: str, path: str) -> None:
        lay = s.layout_for(v)
        for f in lay.fields:
            t = f.type.target
            if f.magic and f.value is not None:
                spelled = f"`{f.name}` is {f.value_ref or literal(f.value)}"
                out.append({"cond": f"{expr}.{names(f)} != {values.one(t, f.value, v)}", "path": path + f.name, "doc": spelled})
            elif isinstance(t, Struct):
                inner = t.layout_for(lay.version).version if t.versioned else t.newest.version
                if f.type.is_array:
                    for c in magic_checks(t, inner, names, values):
                        cond = c["cond"].replace("self.", "x.", 1)
                        out.append({"cond": f"{expr}.{names(f)}.iter().any(|x| {cond})", "path": f"{path}{f.name}[].{c['path']}", "doc": c["doc"]})
                else:
                    walk(t, inner, f"{expr}.{names(f)}", f"{path}{f.name}.")

    walk(st, version, "self", "")
    return out


def rust_str(text: str) -> str:
    """A Rust string literal."""
    body = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{{{ord(c):x}}}" for c in text)
    return f'"{body}"'


def _bit_enums(schema: Schema) -> set[str]:
    return {f.type.name for bm in schema.bitmaps for f in bm.fields if isinstance(f.type, Enum)}


def zero(names: Names, f: Field, schema: Schema) -> str:
    """A field's value in a new struct: its fixed value (the constant the schema names, when that
    has the field's type), else zero."""
    t = f.type.target
    if f.value is not None and not f.type.is_array:
        const = schema.constant(f.value_ref) if f.value_ref else None
        if const is not None and const.type is t:
            return names(const)
        return Values(names).one(t, f.value, 0)
    if isinstance(t, Scalar):
        return f"[0; {names.length(f.type)}]" if f.type.is_array else "0"
    return "FromZeros::new_zeroed()"


def constructor(names: Names, st: Struct, schema: Schema) -> dict[str, Any] | None:
    """The `new` of a struct whose schema lists its arguments: each argument, and every field's value."""
    if st.constructor is None:
        return None
    args = [(names(f), names.type(f.type)) for f in st.constructor]
    taken = {id(f) for f in st.constructor}
    inits = [(names(f), None if id(f) in taken else zero(names, f, schema)) for f in st.fields]
    fixed = [f.name for f in st.fields if f.value is not None]
    reserved = [f.name for f in st.fields if f.reserved]
    notes = []
    if fixed:
        notes.append(", ".join(f"`{n}`" for n in fixed) + (" holds its" if len(fixed) == 1 else " hold their") + " fixed value")
    if reserved:
        notes.append(", ".join(f"`{n}`" for n in reserved) + (" is" if len(reserved) == 1 else " are") + " zero")
    doc = f"A [`{names(st)}`] from its fields" + (f"; {' and '.join(notes)}." if notes else ".")
    return {"args": args, "inits": inits, "doc": wrap([doc])}


def message_view(names: Names, msg: Message) -> dict[str, Any]:
    """What messages.rs.j2 prints for one message: parts and offsets, checks and fills in the
    reference codec's order."""
    parts = []
    for p in msg.struct_parts:
        placed = next(lay.placed(p) for lay in msg.layouts if lay.placed(p) is not None)
        assert p.struct is not None
        optional = p.first_version > msg.layouts[0].version
        doc = doc_text(p.doc)
        if optional:
            doc += ([""] if doc else []) + [f"Present from version {p.first_version} on; `None` in older messages."]
        parts.append({"name": names(p), "schema_name": p.name, "type": names(p.struct), "offset": placed.offset, "size": placed.size, "optional": optional, "since": p.first_version, "doc": doc})
    payload = msg.payload
    payload_view = None
    if payload is not None:
        doc = doc_text(payload.doc)
        what = "The payload" + ("" if payload.blob == "bytes" else f": {payload.blob}" + ("" if payload.format == "binary" else f" ({payload.format})"))
        doc += ([""] if doc else []) + [what + ", borrowed from the parsed buffer."]
        payload_view = {"name": names(payload), "doc": doc}
    lengths = []
    for i, ln in enumerate(msg.lengths):
        lengths.append({"path": ln.name, "offset": ln.offset, "width": ln.scalar.size, "start": ln.start, "max": ln.scalar.max, "type": ln.scalar.name, "counts": ln.counts, "from": ln.from_path, "first": i == 0})
    magics = [
        {"path": mg.path, "offset": mg.offset, "width": mg.scalar.size, "value": literal(mg.value), "since": mg.first_version if mg.first_version > msg.layouts[0].version else None}
        for mg in msg.layouts[-1].magics
    ]
    version = None
    if msg.versioned:
        assert msg.version_part is not None and msg.version_scalar is not None
        vt = msg.version_path[-1].type.target
        access = "self." + ".".join(names(x) for x in [msg.version_part, *msg.version_path])
        version = {
            "path": codec.version_path(msg),
            "offset": msg.version_offset,
            "width": msg.version_scalar.size,
            "value": f"{access}{'.0' if isinstance(vt, Enum) else ''}" if msg.version_scalar.name == "u64" else f"u64::from({access}{'.0' if isinstance(vt, Enum) else ''})",
        }
    counts = {"message": "the whole message", "payload": "the payload"}
    return {
        "name": names(msg),
        "schema_name": msg.name,
        "doc": doc_text(msg.doc),
        "parts": parts,
        "payload": payload_view,
        "lengths": lengths,
        "counts": [(ln.name, counts.get(ln.counts) or f"the bytes from `{ln.from_path}` to the end") for ln in msg.lengths],
        "version": version,
        "layouts": [(lay.version, lay.fixed_size, [names(pl.part) for pl in lay.parts]) for lay in msg.layouts],
        "versions": ", ".join(map(str, msg.versions)),
        "lifetime": "<'a>" if payload is not None else "",
        "magics": magics,
    }


def _rust_version(schema: Schema) -> str:
    """`rust-version` of the crate: the schema's, which may not be older than the generated code needs."""
    wanted = schema.package.rust_version
    if wanted is None:
        return RUST_VERSION

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split("."))

    if key(wanted) < key(RUST_VERSION):
        mark = schema.package.marks["rust_version"]
        raise SchemaError([Problem(mark, "package.rust_version", f"the generated Rust code needs Rust {RUST_VERSION} or newer (core::error::Error); got {wanted}")])
    return wanted


STACK_COPIES = 64  # stack the codec may need, in copies of the largest type (debug builds copy freely)
DEFAULT_STACK = 2 << 20  # a Rust test thread's stack


def largest(schema: Schema) -> int:
    return max((t.size for t in schema.structs), default=0)


def nesting(schema: Schema) -> int:
    """How many structs deep the deepest struct nests (1: no struct inside)."""
    depth: dict[str, int] = {}

    def of(st: Struct) -> int:
        if st.name not in depth:
            inner = [f.type.target for f in st.fields if isinstance(f.type.target, Struct)]
            depth[st.name] = 1 + max((of(t) for t in inner), default=0)
        return depth[st.name]

    return max((of(st) for st in schema.structs), default=0)


def recursion_limit(schema: Schema) -> int | None:
    """rustc's recursion limit the crate needs: zerocopy's derives recurse through every level
    of nested structs a few times each (rustc's default of 128 takes about 16 levels)."""
    need = 8 * nesting(schema) + 64
    return need if need > 128 else None


def stack_size(schema: Schema) -> int | None:
    """The stack the codec needs to read and rebuild the largest type, in whole MiB, when a
    thread's default (the test's, or a Windows main thread's 1 MiB) may not do."""
    need = largest(schema) * STACK_COPIES
    return None if need <= DEFAULT_STACK // 2 else -(-need // (1 << 20)) << 20


def render(schema: Schema) -> dict[str, str]:
    env = environment(TARGET)
    names = Names(schema)
    values = Values(names)
    context = {
        "schema": schema,
        "banner": banner(schema).lines,
        "n": names,
        "docs": lambda item, since=None: docs(item, schema.first_version, since),
        "doc_lines": doc_text,
        "source": doctext.code_span(banner(schema).source),
        "wrap": wrap,
        "literal": literal,
        "bits": bits,
        "bit_members": lambda bm: bit_members(bm, names),
        "bit_enums": _bit_enums(schema),
        "allow": case_lints(schema, names),
        "version_value": lambda st: "version.0" if isinstance(st.version_type, Enum) else "version",
        "values": values,
        "magic_checks": lambda st, version: magic_checks(st, version, names, values),
        "has_magic": any(f.magic for st in schema.structs for f in st.fields),
        "unknown": vectors.unknown_enum_value,
        "largest": largest(schema),
        "recursion_limit": recursion_limit(schema),
        "nesting": nesting(schema),
        "stack": stack_size(schema),
        # an older layout whose own fields align less gets the struct's alignment with `align(N)`
        "raised_align": layout.raised_align,
        "rstr": rust_str,
        "upper_snake": naming.upper_snake,
        "reserved_key": codec.RESERVED_KEY,
        "toml": lambda s: json.dumps(s, ensure_ascii=False),
        "zerocopy": ZEROCOPY,
        "bitfield_struct": BITFIELD_STRUCT,
        "package": schema.package,
        "rust_version": _rust_version(schema),
        "Struct": Struct,
        "Bitmap": Bitmap,
        "Enum": Enum,
        "constructor": lambda st: constructor(names, st, schema),
        "messages": [message_view(names, m) for m in schema.messages],
    }
    base = f"rust/{schema.name}"
    files = {
        f"{base}/Cargo.toml": env.get_template("Cargo.toml.j2").render(context),
        f"{base}/src/lib.rs": rustfmt(env.get_template("lib.rs.j2").render(context)),
        f"{base}/tests/vectors.rs": rustfmt(env.get_template("vectors.rs.j2").render(context)),
        f"{base}/tests/codec/mod.rs": rustfmt(env.get_template("codec_mod.rs.j2").render(context)),
        f"{base}/examples/codec.rs": rustfmt(env.get_template("codec.rs.j2").render(context)),
    }
    return files


def render_project(schemas: list[Schema]) -> dict[str, str]:
    """The workspace manifest: one member crate per schema."""
    env = environment(TARGET)
    lines = Banner(", ".join(s.file.replace("\\", "/") for s in schemas)).lines
    text = env.get_template("workspace.toml.j2").render(banner=lines, members=[s.name for s in schemas], toml=json.dumps)
    return {"rust/Cargo.toml": text}


# --- names ------------------------------------------------------------------------------------

# What the crate root imports or defines itself, besides the schema's types and constants. (The
# tests and the codec example name the crate's items by their paths, `::crate::Type`.)
CRATE_NAMES = "FromBytes IntoBytes Immutable KnownLayout BufferTooShort BadMagic bitfield zerocopy".split()
# What a bitmap's bitfield-struct type has besides its fields' accessors, and an enum besides its values.
BITMAP_METHODS = sorted(naming.RUST_RESERVED - {"Self", "self"})
ENUM_ITEMS = ["from_bits", "into_bits"]


def case_lints(schema: Schema, n: Names) -> list[str]:
    """The case lints of rustc that some name of the crate would trip (naming.rust_snake...)."""
    snake = [n(f) for st in schema.structs for f in st.fields] + [a for bm in schema.bitmaps for f in bm.fields for a in accessors(n(f))[:5]]
    snake += [n(p) for msg in schema.messages for p in msg.parts]
    camel = [n(t) for t in schema.types] + [n.struct(st, lay.version) for st in schema.structs for lay in st.older]
    camel += [n(msg) for msg in schema.messages]
    upper = [n(c) for c in schema.constants] + [n(v) for e in schema.enums for v in e.values]
    checks = [("non_snake_case", snake, naming.rust_snake), ("non_camel_case_types", camel, naming.rust_camel), ("non_upper_case_globals", upper, naming.rust_upper)]
    return [lint for lint, names, ok in checks if not all(map(ok, names))]


ACCESSOR_ROLES = ("getter", "builder", "checked builder", "setter", "checked setter", "width", "offset")


def accessors(name: str) -> list[str]:
    """What bitfield-struct makes of a bit field named `name` (in the order of ACCESSOR_ROLES)."""
    upper = name.upper()
    return [name, f"with_{name}", f"with_{name}_checked", f"set_{name}", f"set_{name}_checked", f"{upper}_BITS", f"{upper}_OFFSET"]


def declare(schema: Schema) -> list[Problem]:
    """Every name the Rust files declare, by scope, with what declared it; the clashes (naming.Scope)."""
    n = Names(schema)
    root = naming.Scope(TARGET, "the crate root", schema)
    root.reserve(CRATE_NAMES, "the generated crate's")
    root.reserve([schema.name], "the crate's own name")
    # a tuple struct (a bitmap, an enum) named like a parameter of zerocopy's derived code would
    # shadow it there (E0530)
    root.reserve(["bytes"], "a parameter name in zerocopy's derived code")
    scopes = [root]
    for c in schema.constants:
        root.claim(n(c), c, f"constant {c.name}")
    for t in schema.types:
        root.claim(n(t), t, f"{t.kind} {t.name}")
        if isinstance(t, Struct):
            for lay in t.older:
                root.claim(n.struct(t, lay.version), t, f"struct {t.name} as laid out in version {lay.version}")
            fields = naming.Scope(TARGET, f"the fields of {n(t)}", schema)
            for f in t.fields:
                fields.claim(n(f), f, f"field {t.name}.{f.name}")
            scopes.append(fields)
        elif isinstance(t, Enum):
            values = naming.Scope(TARGET, f"the constants of {n(t)}", schema)
            values.reserve(ENUM_ITEMS, "the enum's bitmap conversion")
            for v in t.values:
                values.claim(n(v), v, f"value {t.name}.{v.name}")
            scopes.append(values)
        else:
            methods = naming.Scope(TARGET, f"the methods of {n(t)}", schema)
            methods.reserve(BITMAP_METHODS, "bitfield-struct's or a derived trait's")
            for f in t.fields:
                for role, name in zip(ACCESSOR_ROLES, accessors(n(f))):
                    methods.claim(name, f, f"field {t.name}.{f.name}" + ("" if role == "getter" else f"'s {role} `{name}`"))
            scopes.append(methods)
    for msg in schema.messages:
        root.claim(n(msg), msg, f"message {msg.name}")
        parts = naming.Scope(TARGET, f"the parts of {n(msg)}", schema)
        for part in msg.parts:
            parts.claim(n(part), part, f"part {msg.name}.{part.name}")
        scopes.append(parts)
    return [p for s in scopes for p in s.problems]
