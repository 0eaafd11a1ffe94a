"""Python target: a dataclass module per schema, plus its round-trip tests.

Each struct layout is encoded and decoded by one precompiled `struct.Struct`
whose format is the struct flattened to its leaves (a schema has no implicit
padding, so the leaves are contiguous). This module only maps the layout
engine's results to format codes and Python expressions; a generation-time
check makes sure every format's size is the size the layout engine computed.
"""

from __future__ import annotations

import struct
import textwrap
from dataclasses import dataclass, field

import black

from .. import naming
from .. import codec
from ..model import Bitmap, Enum, Field, Message, Scalar, Schema, Struct, VersionLayout
from ..render import banner, doc_lines, environment

CODES = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "i8": "b", "i16": "h", "i32": "i", "i64": "q"}


def py(item) -> str:
    return naming.ident(item, "python")


def docstring(text: str, indent: str = "") -> str:
    """A safe triple-quoted docstring body: no schema text can close the string."""
    width = 88 - len(indent) - 4
    lines = []
    for line in doc_lines(text):
        lines += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
    body = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return body.replace("\n", "\n" + indent) if indent else body


def _codes(target, version: int) -> tuple[list[str], int]:
    """Format codes of one value of `target` (at struct layout `version`) and its item count."""
    if isinstance(target, Struct):
        lay = target.layout_for(version) if target.versioned else target.newest
        codes: list[str] = []
        n = 0
        for f in lay.fields:
            c, k = _field_codes(f, lay.version)
            codes += c
            n += k
        return codes, n
    scalar = target if isinstance(target, Scalar) else target.type
    return [CODES[scalar.name]], 1


def _field_codes(f: Field, version: int) -> tuple[list[str], int]:
    t = f.type.target
    if f.type.is_array:
        if isinstance(t, Scalar) and t.name == "u8":
            return [f"{f.type.count}s"], 1
        c, k = _codes(t, version)
        return c * (f.type.count or 0), k * (f.type.count or 0)
    return _codes(t, version)


def _compress(codes: list[str]) -> str:
    out: list[str] = []
    run, prev = 0, None
    for c in codes + [None]:  # type: ignore[list-item]
        if c == prev and c is not None and not c[0].isdigit():
            run += 1
            continue
        if prev is not None:
            out.append(prev if run == 1 else f"{run}{prev}")
        prev, run = c, 1
    return "<" + "".join(out)


def _scalar_literal(value: int) -> str:
    """Small and negative numbers in decimal, large ones in hex."""
    return str(value) if value < 0x100 else f"0x{value:X}"


@dataclass
class FieldView:
    name: str  # Python attribute
    schema_name: str
    hint: str
    default: str  # a default= or default_factory= expression for dataclasses.field, or a literal
    doc: str
    optional: bool  # absent in some layout of its struct
    first_version: int
    kind: str  # scalar | bytes | enum | bitmap | struct
    type_name: str  # the schema's type name
    is_array: bool


@dataclass
class LayoutView:
    version: int
    size: int
    struct_name: str  # module-level struct.Struct name
    fmt: str
    prelude: list[str] = field(default_factory=list)  # lines before the flat tuple (optional defaults)
    absent: list[FieldView] = field(default_factory=list)  # fields that must be None in this layout
    flat: list[str] = field(default_factory=list)  # tuple items
    args: list[str] = field(default_factory=list)  # positional constructor arguments from `v`, offset by `i`
    items: int = 0


class _Module:
    def __init__(self, schema: Schema):
        self.schema = schema

    def hint(self, f: Field) -> str:
        t = f.type.target
        if f.type.is_array:
            if isinstance(t, Scalar):
                return "bytes" if t.name == "u8" else "list[int]"
            return f"list[{py(t)}]"
        return "int" if isinstance(t, Scalar) else py(t)

    def default(self, st: Struct, f: Field) -> str:
        """The dataclass default of field `f`: a literal, or a factory for mutable values."""
        t = f.type.target
        if f.first_version > st.layouts[0].version:
            return "None"
        if st.version_path and f is st.version_path[0] and len(st.version_path) == 1:
            return self.enum_literal(t, st.newest.version) if isinstance(t, Enum) else str(st.newest.version)
        value = self.plain_default(f)
        if f.type.is_array and not (isinstance(t, Scalar) and t.name == "u8"):
            return f"field(default_factory=lambda: {value})"
        if isinstance(t, (Bitmap, Struct)) and not f.type.is_array:
            return f"field(default_factory={py(t)})"
        return value

    def enum_literal(self, e: Enum, value: int) -> str:
        name = e.name_of(value)
        return f"{py(e)}.{name}" if name else f"{py(e)}({value})"

    def plain_default(self, f: Field) -> str:
        """An expression of the default value of field `f`: its fixed value, else zero, the
        first enum value, or a default nested value. An optional field that is None in a
        layout that has it encodes as this."""
        t = f.type.target
        if f.type.is_array:
            if isinstance(t, Scalar) and t.name == "u8":
                return f"bytes({f.type.count})"
            if isinstance(t, Scalar):
                return f"[0] * {f.type.count}"
            if isinstance(t, Enum):
                return f"[{self.enum_literal(t, t.values[0].value)}] * {f.type.count}"
            return f"[{py(t)}() for _ in range({f.type.count})]"
        if isinstance(t, Enum):
            return self.enum_literal(t, f.value if f.value is not None else t.values[0].value)
        if isinstance(t, (Bitmap, Struct)):
            return f"{py(t)}()"
        return _scalar_literal(f.value or 0)

    def flat_item(self, st: Struct, f: Field, var: str) -> str:
        t = f.type.target
        label = f"{py(st)}.{py(f)}"
        if f.type.is_array:
            sized = f'_sized({var}, {f.type.count}, "{label}")'
            if isinstance(t, Scalar) and t.name == "u8":
                return sized
            if isinstance(t, Bitmap):
                return f"*map(int, {sized})"
            if isinstance(t, Struct):
                return f"*_flat_all({sized})"
            return f"*{sized}"
        if isinstance(t, Bitmap):
            return f"int({var})"
        if isinstance(t, Struct):
            return f"*{var}._flat(layout)" if t.versioned else f"*{var}._flat()"
        return var

    def unflat_arg(self, f: Field, version: int, index: int) -> tuple[str, int]:
        """Expression building field `f` from flat tuple `v` at `i + index`, and its item count."""
        t = f.type.target
        _, n = _field_codes(f, version)
        at = f"i + {index}" if index else "i"
        if f.type.is_array:
            count = f.type.count or 0
            if isinstance(t, Scalar):
                return (f"v[{at}]" if t.name == "u8" else f"list(v[{at} : {at} + {count}])"), n
            if isinstance(t, Enum):
                return f"[{py(t)}(x) for x in v[{at} : {at} + {count}]]", n
            if isinstance(t, Bitmap):
                return f"[{py(t)}.from_int(x) for x in v[{at} : {at} + {count}]]", n
            each = n // count
            return f"[{py(t)}._unflat_v{t.newest.version}(v, {at} + {each} * k) for k in range({count})]", n
        if isinstance(t, Enum):
            return f"{py(t)}(v[{at}])", n
        if isinstance(t, Bitmap):
            return f"{py(t)}.from_int(v[{at}])", n
        if isinstance(t, Struct):
            lay = t.layout_for(version) if t.versioned else t.newest
            return f"{py(t)}._unflat_v{lay.version}(v, {at})", n
        return f"v[{at}]", n

    def struct_view(self, st: Struct) -> dict:
        name = py(st)
        fields = [
            FieldView(
                py(f),
                f.name,
                self.hint(f),
                self.default(st, f),
                f.doc,
                f.first_version > st.layouts[0].version,
                f.first_version,
                "bytes" if f.type.is_array and f.type.name == "u8" else f.type.kind,
                f.type.name,
                f.type.is_array,
            )
            for f in st.fields
        ]
        by_field = dict(zip((id(f) for f in st.fields), fields))
        layouts: list[LayoutView] = []
        for lay in st.layouts:
            codes, items = _codes(st, lay.version)
            fmt = _compress(codes)
            if struct.calcsize(fmt) != lay.size:
                raise RuntimeError(f"python target: format {fmt} of {st.name} v{lay.version} is {struct.calcsize(fmt)} bytes, layout says {lay.size}")
            view = LayoutView(lay.version, lay.size, f"_{name}_V{lay.version}" if st.versioned else f"_{name}", fmt, items=items)
            present = {id(f) for f in lay.fields}
            index = 0
            for f in st.fields:
                fv = by_field[id(f)]
                if id(f) not in present:
                    view.absent.append(fv)
                    continue
                var = f"self.{fv.name}"
                if fv.optional:
                    view.prelude.append(f"{fv.name} = self.{fv.name} if self.{fv.name} is not None else {self.plain_default(f)}")
                    var = fv.name
                view.flat.append(self.flat_item(st, f, var))
                arg, n = self.unflat_arg(f, lay.version, index)
                view.args.append(arg)
                index += n
            layouts.append(view)
        version_expr = None
        version_code = None
        if st.versioned:
            version_expr = "int(self." + ".".join(py(f) for f in st.version_path) + ")"
            vt = st.version_type
            version_code = CODES[(vt.type if isinstance(vt, Enum) else vt).name]  # type: ignore[union-attr]
        fixed = [(py(f), f.value, f"{f.value_ref} ({_scalar_literal(f.value)})" if f.value_ref else _scalar_literal(f.value)) for f in st.fields if f.value is not None]
        nested_verify = [
            (py(f), f.first_version > st.layouts[0].version)
            for f in st.fields
            if isinstance(f.type.target, Struct) and _has_fixed(f.type.target) and not f.type.is_array
        ]
        nested_verify_arrays = [py(f) for f in st.fields if isinstance(f.type.target, Struct) and _has_fixed(f.type.target) and f.type.is_array]
        return {
            "kind": "struct",
            "name": name,
            "schema_name": st.name,
            "doc": docstring(st.doc, "    "),
            "fields": fields,
            "layouts": layouts,
            "versioned": st.versioned,
            # The struct's own fields are the same in every layout (only an embedded
            # versioned struct changes): one encoding body serves every version.
            "same_fields": all(lay.flat == layouts[0].flat and lay.prelude == layouts[0].prelude and not lay.absent for lay in layouts),
            "oldest": layouts[0],
            "newest": layouts[-1],
            "version_expr": version_expr,
            "version_code": version_code,
            "version_offset": st.version_offset,
            "version_path": ".".join(f.name for f in st.version_path),
            "newest_known": self.schema.newest_version,
            "packed": st.packed,
            "align": st.align,
            "fixed": fixed,
            "has_fixed": _has_fixed(st),
            "nested_verify": nested_verify,
            "nested_verify_arrays": nested_verify_arrays,
        }

    def bitmap_view(self, bm: Bitmap) -> dict:
        fields = []
        for f in bm.fields:
            t = f.type
            if f.is_bool:
                hint, default = "bool", "False"
            elif isinstance(t, Enum):
                hint, default = py(t), self.enum_literal(t, t.values[0].value)
            else:
                hint, default = "int", "0"
            fields.append({"name": py(f), "schema_name": f.name, "hint": hint, "default": default, "doc": f.doc, "bf": f, "enum": py(t) if isinstance(t, Enum) else None})
        return {
            "kind": "bitmap",
            "name": py(bm),
            "schema_name": bm.name,
            "doc": docstring(bm.doc, "    "),
            "fields": fields,
            "bm": bm,
            "code": CODES[bm.type.name],
        }

    def enum_view(self, e: Enum) -> dict:
        return {
            "kind": "enum",
            "name": py(e),
            "schema_name": e.name,
            "doc": docstring(e.doc, "    "),
            "members": [{"name": naming.ident(v, "python"), "value": v.value, "doc": v.doc, "since": v.since} for v in e.values],
            "code": CODES[e.type.name],
            "type": e.type,
        }


def _has_fixed(st: Struct, seen: frozenset[str] = frozenset()) -> bool:
    if st.name in seen:
        return False
    for f in st.fields:
        if f.value is not None:
            return True
        if isinstance(f.type.target, Struct) and _has_fixed(f.type.target, seen | {st.name}):
            return True
    return False


def _constant(c) -> dict:
    """A constant as the module writes it: an int, or (typed by an enum) the enum's member."""
    view = {"name": naming.ident(c, "python"), "value": _scalar_literal(c.value), "doc": c.doc, "type": c.type.name, "hint": "int"}
    if isinstance(c.type, Enum):
        member = next((v for v in c.type.values if v.value == c.value), None)
        view["hint"] = py(c.type)
        view["value"] = f"{py(c.type)}.{naming.ident(member, 'python')}" if member else f"{py(c.type)}({_scalar_literal(c.value)})"
    return view


def _pack_code(s: Scalar) -> str:
    return "<" + CODES[s.name]


def message_view(msg: Message) -> dict:
    """What the message template prints: parts with their offsets, the checks of parse in the
    reference codec's order, and how build fills each length field."""
    payload = msg.payload
    parts = []
    for p in msg.struct_parts:
        placed = next(lay.placed(p) for lay in msg.layouts if lay.placed(p) is not None)
        assert p.struct is not None
        parts.append(
            {
                "name": py(p),
                "schema_name": p.name,
                "cls": py(p.struct),
                "struct_schema_name": p.struct.name,
                "offset": placed.offset,
                "end": placed.offset + placed.size,
                "optional": p.first_version > msg.layouts[0].version,
                "since": p.first_version,
                "doc": p.doc,
            }
        )
    lengths = []
    for ln in msg.lengths:
        lengths.append(
            {
                "path": ln.name,
                "offset": ln.offset,
                "code": _pack_code(ln.scalar),
                "start": ln.start,  # None: the payload's start, the fixed size
                "max": ln.scalar.max,
                "width": ln.scalar.name,
                "counts": ln.counts,
                "from": ln.from_path,
            }
        )
    version = None
    if msg.versioned:
        assert msg.version_part is not None and msg.version_scalar is not None
        version = {
            "path": codec.version_path(msg),
            "attr": "self." + ".".join(py(x) for x in [msg.version_part, *msg.version_path]),
            "offset": msg.version_offset,
            "end": msg.version_offset + msg.version_scalar.size,
            "code": _pack_code(msg.version_scalar),
        }
    return {
        "name": py(msg),
        "schema_name": msg.name,
        "doc": docstring(msg.doc, "    "),
        "parts": parts,
        "payload": {"name": py(payload), "schema_name": payload.name, "blob": payload.blob, "format": payload.format, "doc": payload.doc} if payload else None,
        "lengths": lengths,
        "version": version,
        "layouts": [(lay.version, lay.fixed_size, [pl.part.name for pl in lay.parts]) for lay in msg.layouts],
        "versions": ", ".join(map(str, msg.versions)),
        "codes": sorted({ln["code"] for ln in lengths} | ({version["code"]} if version else set())),
    }


def context(schema: Schema) -> dict:
    m = _Module(schema)
    constants = [_constant(c) for c in schema.constants]
    return {
        "schema": schema,
        "banner": banner(schema).lines,
        "module_doc": docstring((schema.title + "\n\n" if schema.title else "") + schema.doc),
        "constants": [c for c in constants if c["hint"] == "int"],
        "enum_constants": [c for c in constants if c["hint"] != "int"],
        "messages": [message_view(msg) for msg in schema.messages],
        "code_names": {"<B": "_U8", "<H": "_U16", "<I": "_U32", "<Q": "_U64"},
        "enums": [m.enum_view(e) for e in schema.enums],
        "bitmaps": [m.bitmap_view(b) for b in schema.bitmaps],
        "structs": [m.struct_view(s) for s in schema.structs],
        "docstring": docstring,
    }


def _format(source: str) -> str:
    return black.format_str(source, mode=black.Mode(target_versions={black.TargetVersion.PY311}))


def render(schema: Schema) -> dict[str, str]:
    env = environment("python")
    env.filters["docstring"] = docstring
    env.filters["pyint"] = _scalar_literal
    ctx = context(schema)
    module = _format(env.get_template("module.py.j2").render(ctx))
    tests = _format(env.get_template("test_module.py.j2").render(ctx))
    codec = _format(env.get_template("codec.py.j2").render(ctx))
    files = {f"python/{schema.name}.py": module, f"python/test_{schema.name}.py": tests, f"python/codec_{schema.name}.py": codec}
    if schema.messages:
        files[f"python/test_messages_{schema.name}.py"] = _format(env.get_template("test_messages.py.j2").render(ctx))
    return files
