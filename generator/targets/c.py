"""C target: one portable header per schema, a generated test that proves it, and a codec program.

Files: c/<schema>.h, c/test_<schema>.c and c/codec_<schema>.c (templates/c/header.h.j2,
templates/c/test.c.j2, templates/c/codec.c.j2). The codec is the C side of the cross-target
conformance harness (tests/conformance.py): it reads `TYPE VERSION HEX` lines and answers
each with a JSON line, reading and writing every value through the header's structs.

The header compiles unchanged as C11 and C++17 (GCC, Clang, MSVC) and relies on no
compiler-specific layout behaviour: fixed-width fields only, no bit-fields, no enum
types as fields, `#pragma pack(push, 1)` only around packed structs, and a
`static_assert` of every size, alignment and offset the layout engine computed.

Names (rules in generator/naming.py):
  struct, enum, bitmap  typedef named like the schema type (`ident`: override, else `_` on a
                        collision); an older version of a struct is NAME_V<v> (`c_versioned`)
  struct fields         `ident(field, "c")`: `int` -> `int_`
  constants             the constant's name, as a typed macro: UINT32_C(0x414C4348)
  enum values           TYPE_VALUE in upper snake case (IGVM_ATTEST_REPORT_TYPE_VBS_VM_REPORT);
                        a `c` override of a value names the whole macro
  bitmap fields         TYPE_FIELD_SHIFT, TYPE_FIELD_MASK, TYPE_RESERVED_MASK macros and
                        static inline type_get_field / type_set_field helpers
  struct sizes          TYPE_SIZE_V<v> per layout version, type_size_for_version() for
                        versioned structs
Every file-scope name the files declare is collected here (the header's with the test's, and
the header's with the codec's); two schema items that would map to the same C name are refused
with a schema error instead of a compile error.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from .. import codec, doctext, layout
from ..errors import Problem
from ..model import SIZE, Bitmap, Enum, Field, Item, Message, Scalar, Schema, Struct, VersionLayout
from ..naming import (
    Scope,
    c_function_prefix,
    c_macro_prefix,
    c_part,
    c_versioned,
    ident,
    kind,
    lower_snake,
    upper_snake,
)
from ..render import banner, doc_lines, environment
from . import vectors

TARGET = "c"
WIDTH = 100  # comment text is wrapped to this column

SCALAR_TYPES = {
    "u8": "uint8_t",
    "u16": "uint16_t",
    "u32": "uint32_t",
    "u64": "uint64_t",
    "i8": "int8_t",
    "i16": "int16_t",
    "i32": "int32_t",
    "i64": "int64_t",
}

# The parameters, locals and members the generated C declares inside functions and structs of its
# own: a macro (a constant, an enum value, a mask...) named like one of them would replace it.
C_LOCALS = """agrees answer_cap answer_len answer_text at buf built bytes bits c cap capacity count cursor
data data_cap digits end error expected failed field fixed flags fn given got head hex hex_len hi
in integer items kind layout least len limit line line_cap lo mark message msg n name need needed
offset ok out p part passed path present probe rc rest room s same size space spare start tail
tail_len text total type v value version versioned width wrong i d""".split()

# Names the generated test declares at file scope, besides the codec's, which it includes (`main`
# is the test's then: the codec's own is left out).
TEST_NAMES = "constants answer_value constant_agrees agrees".split()


# --- text ---------------------------------------------------------------------------------


comment_text = doctext.c_comment_text


def _wrap(lines: list[str], width: int) -> list[str]:
    out: list[str] = []
    for ln in lines:
        if len(ln) <= width:
            out.append(ln)
            continue
        lead = ln[: len(ln) - len(ln.lstrip())]
        hang = lead + ("  " if ln.lstrip().startswith(("- ", "* ", "+ ")) else "")
        out += textwrap.wrap(ln, width, initial_indent="", subsequent_indent=hang, break_long_words=False, break_on_hyphens=False) or [ln]
    return out


def comment(lines: list[str], indent: str = "") -> str:
    """A Doxygen block comment (`/** ... */`) of `lines`, or "" when there is nothing to say."""
    if not lines:
        return ""
    width = max(WIDTH - len(indent) - 3, 40)
    body = [comment_text(ln).rstrip() for ln in _wrap(lines, width)]
    if len(body) == 1 and len(indent) + len(body[0]) + 7 <= WIDTH:
        return f"{indent}/** {body[0]} */\n"
    inner = "".join(f"{indent} * {ln}\n" if ln else f"{indent} *\n" for ln in body)
    return f"{indent}/**\n{inner}{indent} */\n"


def plain_comment(lines: list[str]) -> str:
    """A plain block comment (the banner)."""
    inner = "".join(f" * {comment_text(ln)}\n" for ln in lines)
    return f"/*\n{inner} */\n"


def c_string(text: str) -> str:
    """A C string literal of `text` (ASCII; `?` escaped so no trigraph forms)."""
    out = []
    for ch in text:
        if ch in '\\"?':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def _number(v: int) -> str:
    return str(v) if v < 0x10000 else f"0x{v:X}"


def literal(s: Scalar, v: int) -> str:
    """A typed integer constant: UINT32_C(0x414C4348), (-INT32_C(1)), (-INT64_C(9223372036854775807) - 1).

    The argument of INTn_C must be an unsuffixed constant in range, so a negative value is
    the negation of a positive one, and a signed minimum is built as -max - 1.
    """
    if not s.fits(v):
        raise ValueError(f"{v} does not fit {s.name}")
    macro = f"{'INT' if s.signed else 'UINT'}{s.bits}_C"
    if v >= 0:
        return f"{macro}({_number(v)})"
    if v == s.min:
        return f"(-{macro}({s.max}) - 1)"
    return f"(-{macro}({-v}))"


def element(s: Scalar, v: int) -> str:
    """A value in an array initializer of type `s`: a plain number where that is exact on
    every data model (LP64 and LLP64), else the typed form."""
    if s.bits < 64 and not (s.signed and v == s.min):
        return str(v)
    return literal(s, v)


def mask(s: Scalar, v: int) -> str:
    """A bit mask of an unsigned type, every hex digit written: UINT32_C(0xFFFFFFF0)."""
    return f"UINT{s.bits}_C(0x{v:0{s.size * 2}X})"


def _scalar(t: Scalar | Enum | Bitmap) -> Scalar:
    return t if isinstance(t, Scalar) else t.type


def _read_le(s: Scalar, ctype: str, src: str, offset: int) -> str:
    """A C expression of type `ctype` (a typedef of scalar `s`) reading `s` from the little-endian
    bytes at `src[offset]` (an `unsigned char` pointer), whatever the host's byte order."""
    utype = SCALAR_TYPES[f"u{s.bits}"]
    parts = [f"({utype}){src}[{offset + i}]" + (f" << {8 * i}" if i else "") for i in range(s.size)]
    raw = f"({utype})({' | '.join(parts)})" if s.size > 1 else f"{src}[{offset}]"
    return raw if ctype == utype else f"({ctype}){raw}"


def _since_note(item: Item, first: int, since: int | None = None) -> list[str]:
    v = item.since if since is None else since
    return [f"Since version {v}."] if v is not None and v > first else []


def _doc(text: str, notes: list[str] = ()) -> list[str]:
    """Doc lines plus generated notes: on the same line after a one-sentence doc, else a paragraph."""
    lines = doc_lines(text)
    notes = list(notes)
    if not notes:
        return lines
    if not lines or len(lines) == 1 and lines[0].endswith("."):
        return [" ".join(lines + notes)]
    return lines + [""] + notes


# --- names --------------------------------------------------------------------------------


class _Registry(Scope):
    """Every file-scope C name (the header's, the test's and the codec's), with the schema item
    that produced it: naming.Scope, the one collision check of every target."""

    def __init__(self, schema: Schema):
        super().__init__(TARGET, "the file scope", schema)


# --- context ------------------------------------------------------------------------------


@dataclass
class CField:
    name: str
    decl: str
    doc: str
    offset: int


@dataclass
class CStruct:
    name: str
    doc: str
    size: int
    align: int
    fields: list[CField]
    align_first: int | None  # an explicit alignment on the first member, when the fields alone are less aligned


@dataclass
class CGroup:
    """One schema struct: its newest layout, one struct per older layout, sizes."""

    packed: bool
    full: CStruct
    older: list[CStruct]
    sizes: list[tuple[str, int, int]]  # (macro, version, size)
    size_fn: dict[str, Any] | None
    magic: list[dict[str, Any]] = field(default_factory=list)  # a check function per layout with magic numbers


class _C:
    """Names and declarations of one schema in C."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.prefix = upper_snake(schema.name)
        self.reg = _Registry(schema)
        self.member_scopes: list[Scope] = []  # each struct's members, checked against file scope at the end

    def check_members(self, header: str) -> None:
        """Names that C's preprocessor or C++'s class scopes would confuse: a member named like a
        macro or a type of the header (the macro would replace it; in C++ the member changes what
        the type's name means in its struct), and a schema's name that is also a parameter or
        local of the generated C (a macro would replace it, a type or function be shadowed)."""
        macros = re.findall(r"^#define (\w+)", header, re.M)
        types = re.findall(r"^typedef [^;{]*?(\w+);", header, re.M) + re.findall(r"^} (\w+);", header, re.M)
        declared = set(macros) | set(types)
        for members in self.member_scopes:
            for name, (item, what) in members.owner.items():
                if name in declared and item is not None and name in self.reg.owner:
                    self._clash(members.where, name, self.reg.owner[name], item, what)
        for name, (item, what) in list(self.reg.owner.items()):
            if name in C_LOCALS and item is not None:
                self._clash(self.reg.where, name, (None, f"a parameter or local of the generated C `{name}`"), item, what)

    def _clash(self, where: str, name: str, first: tuple[Item | None, str], item: Item, what: str) -> None:
        scope = Scope(TARGET, where, self.schema)
        scope.owner[name] = first
        scope.claim(name, item, what)
        self.reg.problems += scope.problems

    # types -------------------------------------------------------------------------------

    def type_name(self, t: Scalar | Enum | Bitmap | Struct, version: int | None = None) -> str:
        """The C type of `t`; for a versioned struct, the struct of the layout `version` uses."""
        if isinstance(t, Scalar):
            return SCALAR_TYPES[t.name]
        if isinstance(t, Struct) and t.versioned and version is not None:
            lay = t.layout_for(version)
            if lay is not t.newest:
                return c_versioned(c_part(t), lay.version)
        return ident(t, TARGET)

    def enum_const(self, e: Enum, value: int) -> str | None:
        ev = e.member(value)
        return None if ev is None else ev.names.get(TARGET) or f"{c_macro_prefix(e)}_{ev.name}"

    def value_expr(self, t: Scalar | Enum, v: int) -> str:
        """An expression of type `t` for `v`: the enum's constant when it names `v`."""
        if isinstance(t, Enum):
            return self.enum_const(t, v) or f"({self.type_name(t)}){literal(t.type, v)}"
        return literal(t, v)

    def field_name(self, f: Field) -> str:
        return ident(f, TARGET)

    def bit_macro(self, bm: Bitmap, bf, suffix: str) -> str:
        return f"{c_macro_prefix(bm)}_{upper_snake(c_part(bf))}_{suffix}"

    def bit_fn(self, bm: Bitmap, bf, op: str) -> str:
        return f"{c_function_prefix(bm)}_{op}_{lower_snake(c_part(bf))}"

    def size_macro(self, st: Struct, version: int) -> str:
        return f"{c_macro_prefix(st)}_SIZE_V{version}"

    def size_fn(self, st: Struct) -> str:
        return f"{c_function_prefix(st)}_size_for_version"

    def magic_fn(self, st: Struct, version: int) -> str | None:
        """The header's function that names a wrong magic number of layout `version` of `st`."""
        if not self.magic_checks(st, version, "value->"):
            return None
        lay = st.layout_for(version)
        return f"{c_function_prefix(st)}_check_magic" if lay is st.newest else f"{c_function_prefix(st)}_v{lay.version}_check_magic"

    def magic_checks(self, st: Struct, version: int, expr: str, path: str = "", depth: int = 0) -> list[tuple[list[str], str, str]]:
        """(loops, condition, dotted path) of each magic number of layout `version` of `st`, read
        through `expr` (`value->`), in the order of the bytes; loops open the arrays around it."""
        out: list[tuple[list[str], str, str]] = []
        lay = st.layout_for(version)
        for f in lay.fields:
            t = f.type.target
            member = f"{expr}{self.field_name(f)}"
            if f.magic and f.value is not None:
                out.append(([], f"{member} != {self.fixed_value(f)}", path + f.name))
            elif isinstance(t, Struct):
                inner = t.layout_for(lay.version).version if t.versioned else t.newest.version
                if f.type.is_array:
                    i = f"i{depth}"
                    loop = f"for (size_t {i} = 0; {i} < {f.type.count}; {i}++)"
                    for loops, cond, p in self.magic_checks(t, inner, f"{member}[{i}].", f"{path}{f.name}[].", depth + 1):
                        out.append(([loop, *loops], cond, p))
                else:
                    out += self.magic_checks(t, inner, f"{member}.", f"{path}{f.name}.", depth)
        return out

    def size_from_bytes_fn(self, st: Struct) -> str:
        return f"{c_function_prefix(st)}_size_from_bytes"

    # header ------------------------------------------------------------------------------

    def constants(self) -> list[dict[str, Any]]:
        out = []
        for c in self.schema.constants:
            name = self.reg.claim(ident(c, TARGET), c, f"constant {c.name}")
            if isinstance(c.type, Enum):
                value = self.value_expr(c.type, c.value)
            elif c.type is SIZE:
                value = f"((size_t){_number(c.value)})"
            else:
                value = literal(c.type, c.value)
            out.append({"name": name, "value": value, "doc": comment(_doc(c.doc))})
        return out

    def enums(self) -> list[dict[str, Any]]:
        first = self.schema.first_version
        out = []
        for e in self.schema.enums:
            name = self.reg.claim(ident(e, TARGET), e, f"enum {e.name}")
            values = []
            for ev in e.values:
                macro = self.reg.claim(self.enum_const(e, ev.value), ev, f"value {e.name}.{ev.name}")
                values.append({"name": macro, "value": literal(e.type, ev.value), "doc": comment(_doc(ev.doc, _since_note(ev, first)))})
            notes = _since_note(e, first)
            out.append({"name": name, "ctype": SCALAR_TYPES[e.type.name], "doc": comment(_doc(e.doc, notes)), "constants": values, "size": e.type.size, "align": e.type.size})
        return out

    def bitmaps(self) -> list[dict[str, Any]]:
        first = self.schema.first_version
        out = []
        for bm in self.schema.bitmaps:
            name = self.reg.claim(ident(bm, TARGET), bm, f"bitmap {bm.name}")
            s = bm.type
            fields = []
            for bf in bm.fields:
                what = f"field {bm.name}.{bf.name}"
                bits = f"bit {bf.lo}" if bf.width == 1 else f"bits {bf.lo}..{bf.hi}"
                if bf.is_bool:
                    set_doc = f"Returns `bits` with `{bf.name}` ({bits}) set if `value` is nonzero, else cleared."
                else:
                    set_doc = f"Returns `bits` with `{bf.name}` ({bits}) set to `value`, cut to the field's width."
                fields.append(
                    {
                        "name": bf.name,
                        "get_doc": comment([f"Returns `{bf.name}` ({bits}) of `bits`."]),
                        "set_doc": comment([set_doc]),
                        "shift_macro": self.reg.claim(self.bit_macro(bm, bf, "SHIFT"), bf, what),
                        "mask_macro": self.reg.claim(self.bit_macro(bm, bf, "MASK"), bf, what),
                        "shift": bf.shift,
                        "mask": mask(s, bf.mask),
                        "getter": self.reg.claim(self.bit_fn(bm, bf, "get"), bf, what),
                        "setter": self.reg.claim(self.bit_fn(bm, bf, "set"), bf, what),
                        "is_bool": bf.is_bool,
                        "value_type": "int" if bf.is_bool else self.type_name(bf.type),
                        "doc": comment(_doc(bf.doc, _since_note(bf, first))),
                    }
                )
            reserved = ", ".join(f"bit {r.lo}" if r.width == 1 else f"bits {r.lo}..{r.hi}" for r in bm.reserved) or "none"
            out.append(
                {
                    "name": name,
                    "ctype": SCALAR_TYPES[s.name],
                    "doc": comment(_doc(bm.doc, _since_note(bm, first))),
                    "fields": fields,
                    "reserved_macro": self.reg.claim(f"{c_macro_prefix(bm)}_RESERVED_MASK", bm, f"bitmap {bm.name}"),
                    "reserved_mask": mask(s, bm.reserved_mask),
                    "reserved_doc": comment([f"Bits of {name} no field names ({reserved}): keep them as read, zero in new values."]),
                    "size": bm.size,
                    "align": bm.align,
                }
            )
        return out

    def _declaration(self, st: Struct, f: Field, version: int) -> str:
        t = f.type
        decl = f"{self.type_name(t.target, version)} {self.field_name(f)}"
        if t.is_array:
            if t.count_const is not None:
                c = self.schema.constant(t.count_const)
                decl += f"[{ident(c, TARGET)}]" if c is not None else f"[{t.count}]"
            else:
                decl += f"[{t.count}]"
        return decl

    def fixed_value(self, f: Field) -> str:
        """How C spells a field's fixed value: the constant or enum constant the schema names, else a literal."""
        const = self.schema.constant(f.value_ref) if f.value_ref else None
        if const is not None:
            return ident(const, TARGET)
        return self.value_expr(f.type.target, f.value)  # an enum's constant, when it names the value

    def _struct(self, st: Struct, lay, name: str, doc: str) -> CStruct:
        first = self.schema.first_version
        fields = []
        members = Scope(TARGET, f"the members of {name}", self.schema)
        for f in lay.fields:
            fname = members.claim(self.field_name(f), f, f"field {st.name}.{f.name}")
            notes = []
            if f.value is not None:
                fixed = self.fixed_value(f)
                if fixed not in f.doc:
                    notes.append(f"Always {fixed}.")
            notes += _since_note(f, first, f.first_version)
            lines = _doc(f.doc, notes) or (["Reserved."] if f.reserved else [])
            fields.append(CField(fname, self._declaration(st, f, lay.version), comment(lines, "    "), f.offset))
        # an older version whose fields are all less aligned gets the struct's alignment explicitly
        align_first = layout.raised_align(st, lay)
        if lay is st.newest:  # every older layout's members are some of the newest one's
            self.reg.problems += members.problems
            self.member_scopes.append(members)
        return CStruct(name, doc, lay.size, st.align, fields, align_first)

    def structs(self) -> list[CGroup]:
        first = self.schema.first_version
        out = []
        for st in _dependency_order(self.schema.structs):
            name = self.reg.claim(ident(st, TARGET), st, f"struct {st.name}")
            notes = _since_note(st, first)
            if st.versioned:
                path = ".".join(self.field_name(f) for f in st.version_path)
                sizes = ", ".join(
                    f"{lay.size} bytes in version {lay.version}" + ("" if lay is st.newest else f" ({c_versioned(c_part(st), lay.version)})") for lay in st.layouts
                )
                notes.append(f"Versioned by `{path}`: {sizes}.")
            full = self._struct(st, st.newest, name, comment(_doc(st.doc, notes)))
            older = []
            for lay in st.older:
                vname = self.reg.claim(c_versioned(c_part(st), lay.version), st, f"struct {st.name} version {lay.version}")
                lines = [f"Version {lay.version} of {name}: the {lay.size} bytes a version {lay.version} message carries."]
                cs = self._struct(st, lay, vname, "")
                if cs.align_first:
                    lines.append(f"Aligned to {cs.align_first} bytes, like every version of {name}.")
                cs.doc = comment([" ".join(lines)])
                older.append(cs)
            sizes = []
            size_fn = None
            if st.versioned:
                sizes = [(self.reg.claim(self.size_macro(st, lay.version), st, f"size of {st.name} version {lay.version}"), lay.version, lay.size) for lay in st.layouts]
                vt = st.version_type
                size_fn = {
                    "name": self.reg.claim(self.size_fn(st), st, f"struct {st.name}"),
                    "from_bytes": self.reg.claim(self.size_from_bytes_fn(st), st, f"struct {st.name}"),
                    "param": self.type_name(vt),
                    "field": ".".join(self.field_name(f) for f in st.version_path),
                    "newest_first": [(macro, v) for macro, v, _ in reversed(sizes[1:])],
                    "oldest": sizes[0][0],
                    "end": st.version_offset + _scalar(vt).size,
                    "read": _read_le(_scalar(vt), self.type_name(vt), "bytes", st.version_offset),
                }
            magic = []
            for lay in reversed(st.layouts):
                fn = self.magic_fn(st, lay.version)
                if fn is not None:
                    checks = [{"loops": loops, "cond": cond, "path": c_string(p)} for loops, cond, p in self.magic_checks(st, lay.version, "value->")]
                    fields = ", ".join(f"`{p}`" for _, _, p in self.magic_checks(st, lay.version, "value->"))
                    doc = comment([f"The first magic number of `value`, in the order of the bytes, that does not hold its value ({fields}), as a dotted path; NULL if every one does. A reader refuses a message for which this is not NULL."])
                    magic.append({"fn": self.reg.claim(fn, st, f"struct {st.name}"), "type": self.type_name(st, lay.version), "checks": checks, "doc": doc})
            out.append(CGroup(st.packed, full, older, sizes, size_fn, magic))
        return out

    def message_names(self) -> dict[str, str]:
        """The names every schema's message API shares in C, prefixed by the schema."""
        lower = lower_snake(self.schema.name)
        camel = "".join(w.capitalize() for w in self.schema.name.split("_"))
        return {
            "error_type": f"{camel}MessageError",
            "kind_prefix": f"{self.prefix}_MESSAGE_",
            "read": f"{lower}_read_uint",
            "write": f"{lower}_write_uint",
            "copy_bytes": f"{lower}_copy_bytes",
            "zero_bytes": f"{lower}_zero_bytes",
            "fail": f"{lower}_message_fail",
            "check": f"{lower}_check_length",
        }

    def messages(self) -> dict[str, Any]:
        """The header's message API: one struct per message with parse and build functions, and
        the error type and helpers they share."""
        if not self.schema.messages:
            return {"messages": []}
        shared = self.message_names()
        for key, name in shared.items():
            if key != "kind_prefix":
                self.reg.claim(name, None, "the header's message API")
        kinds = []
        for i, fault in enumerate(codec.FAULTS, start=1):
            macro = self.reg.claim(shared["kind_prefix"] + fault.upper().replace("-", "_"), None, "the header's message error kinds")
            kinds.append({"macro": macro, "value": i, "kind": fault})
        views = []
        for msg in self.schema.messages:
            name = self.reg.claim(ident(msg, TARGET), msg, f"message {msg.name}")
            fn = c_function_prefix(msg)
            members = Scope(TARGET, f"the members of {name}", self.schema)

            def member(n: str, item: Item) -> str:
                return members.claim(n, item, f"{kind(item)} {msg.name}.{item.name}")

            parts = []
            for p in msg.struct_parts:
                assert p.struct is not None
                placed = next(lay.placed(p) for lay in msg.layouts if lay.placed(p) is not None)
                optional = p.first_version > msg.layouts[0].version
                pname = member(ident(p, TARGET), p)
                notes = [f"Present from version {p.first_version} on, when `has_{pname}` is nonzero."] if optional else []
                parts.append(
                    {
                        "name": pname,
                        "has": member(f"has_{pname}", p) if optional else None,
                        "ctype": self.type_name(p.struct),
                        "schema_name": p.name,
                        "offset": placed.offset,
                        "since": p.first_version,
                        "doc": comment(_doc(p.doc, notes), "    "),
                        "struct": p.struct,
                    }
                )
            payload = None
            if msg.payload is not None:
                pl = msg.payload
                pname = member(ident(pl, TARGET), pl)
                what = "The payload" + ("" if pl.blob == "bytes" else f" ({pl.blob}" + ("" if pl.format == "binary" else f", {pl.format}") + ")")
                payload = {
                    "name": pname,
                    "size": member(f"{pname}_size", pl),
                    "doc": comment(_doc(pl.doc, [f"{what}: it points into the parsed buffer, or at the bytes to build from."]), "    "),
                }
            lengths = [
                {"path": ln.name, "offset": ln.offset, "width": ln.scalar.size, "start": ln.start, "max": mask(ln.scalar, ln.scalar.max), "first": i == 0}
                for i, ln in enumerate(msg.lengths)
            ]
            magics = [
                {"path": mg.path, "offset": mg.offset, "width": mg.scalar.size, "value": f"UINT64_C(0x{mg.value:X})", "since": mg.first_version if mg.first_version > msg.layouts[0].version else None}
                for mg in msg.layouts[-1].magics
            ]
            version = None
            if msg.versioned:
                assert msg.version_part is not None and msg.version_scalar is not None
                version = {
                    "path": codec.version_path(msg),
                    "offset": msg.version_offset,
                    "width": msg.version_scalar.size,
                    "member": "msg->" + ".".join(self.field_name(f) if isinstance(f, Field) else ident(f, TARGET) for f in [msg.version_part, *msg.version_path]),
                }
            counts = {"message": "the whole message", "payload": "the payload"}
            doc = doc_lines(msg.doc)
            doc += [""] if doc else []
            for lay in msg.layouts:
                names = ", ".join(ident(pl.part, TARGET) for pl in lay.parts)
                doc.append(("Version %d: " % lay.version if msg.versioned else "") + f"{names} ({lay.fixed_size} bytes)" + (f", then {payload['name']}." if payload else "."))
            if version:
                doc.append(f"`{version['path']}` says which version a message is.")
            doc += [f"`{ln.name}` counts {counts.get(ln.counts) or 'the bytes from `' + str(ln.from_path) + '` to the end'}." for ln in msg.lengths]
            doc.append(f"{fn}_parse() checks every length field against the buffer; {fn}_build() fills them in.")
            self.reg.problems += members.problems
            self.member_scopes.append(members)
            sizes = [(self.reg.claim(f"{c_macro_prefix(msg)}_FIXED_SIZE" + (f"_V{lay.version}" if msg.versioned else ""), msg, f"message {msg.name}"), lay.version, lay.fixed_size) for lay in msg.layouts]
            views.append(
                {
                    "name": name,
                    "schema_name": msg.name,
                    "doc": comment(doc),
                    "parts": parts,
                    "payload": payload,
                    "lengths": lengths,
                    "magics": magics,
                    "version": version,
                    "sizes": sizes,
                    "fixed_size": self.reg.claim(f"{fn}_fixed_size", msg, f"message {msg.name}") if msg.versioned else None,
                    "parse": self.reg.claim(f"{fn}_parse", msg, f"message {msg.name}"),
                    "build": self.reg.claim(f"{fn}_build", msg, f"message {msg.name}"),
                    "versions": ", ".join(map(str, msg.versions)),
                    "message": msg,
                }
            )
        return {"messages": views, "msg": shared, "kinds": kinds}

    def _file_doc(self) -> list[str]:
        lines = [f"@file {self.schema.name}.h", f"@brief {self.schema.title or self.schema.name}"]
        if self.schema.doc:
            lines += [""] + doc_lines(self.schema.doc)
        return lines + [
            "",
            "Every struct is laid out exactly as its message is on the wire (little-endian, no implicit",
            "padding), so a message is read and written with memcpy. Enums are open: a field holds any",
            "value of its fixed-width type, and the TYPE_VALUE constants name the known ones. Bitmaps are",
            "integers with TYPE_FIELD_SHIFT/_MASK macros and get/set helpers; bits no field names are",
            "reserved: keep them as read. A versioned struct has one TYPE_V<v> struct per older layout",
            "and TYPE_SIZE_V<v> sizes. Every size, alignment and offset is checked with static_assert.",
        ]

    def header(self) -> dict[str, Any]:
        ctx = {
            "banner": plain_comment(banner(self.schema).lines),
            "file": f"{self.schema.name}.h",
            "guard": self.reg.claim(f"{self.prefix}_H", None, "the include guard"),
            "static_assert": self.reg.claim(f"{self.prefix}_STATIC_ASSERT", None, "the header's assertion macro"),
            "alignof": self.reg.claim(f"{self.prefix}_ALIGNOF", None, "the header's alignof macro"),
            "alignas": self.reg.claim(f"{self.prefix}_ALIGNAS", None, "the header's alignas macro"),
            "doc": comment(self._file_doc()),
            "constants": self.constants(),
            "enums": self.enums(),
            "bitmaps": self.bitmaps(),
            "groups": self.structs(),
        }
        ctx.update(self.messages())
        ctx["uses_alignas"] = any(s.align_first for g in ctx["groups"] for s in [g.full, *g.older])
        return ctx


def _dependency_order(structs: list[Struct]) -> list[Struct]:
    """Schema order, except that a struct comes after every struct it contains (C needs that)."""
    out: list[Struct] = []
    seen: set[str] = set()

    def visit(st: Struct) -> None:
        if st.name in seen:
            return
        seen.add(st.name)
        for f in st.fields:
            if isinstance(f.type.target, Struct):
                visit(f.type.target)
        out.append(st)

    for st in structs:
        visit(st)
    return out


# --- the generated test -------------------------------------------------------------------


def _test(c: _C) -> dict[str, Any]:
    """The test: a loop over the vectors file through the codec, and the constant of every
    named enum value checked against its vector."""
    for name in TEST_NAMES:
        c.reg.claim(name, None, f"the generated test's '{name}'")
    named = [(e.name, v.name, c.enum_const(e, v.value)) for e in c.schema.enums for v in e.values]
    constants = [{"type": t, "name": n, "macro": macro} for t, n, macro in sorted(named, key=lambda c: (c[0].encode(), c[1].encode()))]
    return {
        "banner": plain_comment(banner(c.schema).lines),
        "header": f"{c.schema.name}.h",
        "schema": c.schema.name,
        "no_main": f"{c.prefix}_CODEC_NO_MAIN",
        "constants": constants,
        "vectors": bool(c.schema.types),  # a schema without types has no vector to pass
    }


# --- the codec entry point ----------------------------------------------------------------

# Names the generated codec declares at file scope (besides one function per type and layout).
CODEC_NAMES = (
    "fill_pattern answer_text answer_len answer_cap put put_str put_char print_u print_s print_bool "
    "print_hex print_string print_head print_tail print_short print_magic print_bad_input decoder "
    "types fail grow read_line next_token hex_digit parse_hex answer handle main "
    "print_message_error print_null_or message_kinds messages"
).split()


class _CodecWriter:
    """What the codec prints and assigns for each type: calls of the header's API (getters,
    setters, masks, sizes, its dispatch) and of the codec's own print/rebuild functions, never an
    offset or a mask of its own. Every function is named after the C type it handles."""

    def __init__(self, c: _C, header_names: dict[str, tuple[Item | None, str]]):
        self.c = c
        self.reg = _Registry(c.schema)
        self.reg.owner = dict(header_names)
        for name in CODEC_NAMES:
            self.reg.claim(name, None, f"the generated codec's '{name}'")
        self.signed = False  # whether print_s is used
        self.bools = False  # whether print_bool is used
        self.magic = False  # whether print_magic is used
        self.arrays: dict[str, dict[str, Any]] = {}  # print functions of arrays of integers, by name

    def fn(self, op: str, t: Enum | Bitmap | Struct, version: int | None = None, claim: bool = False) -> str:
        """The codec's `op` function of the C type of `t` (for a struct, of the layout `version`
        uses): print_Flags8, rebuild_Inner_V1. The header's type names are unique, so these are too."""
        name = f"{op}_{self.c.type_name(t, version)}"
        if claim:
            what = f"{t.kind} {t.name}" + (f" version {t.layout_for(version).version}" if isinstance(t, Struct) and t.versioned and version is not None else "")
            self.reg.claim(name, t, f"the codec's {op} function of {what}")
        return name

    def scalar_print(self, t: Scalar | Enum) -> str:
        if _scalar(t).signed:
            self.signed = True
            return "print_s"
        return "print_u"

    def bitmap(self, bm: Bitmap) -> dict[str, Any]:
        c = self.c
        fields = []
        for i, bf in enumerate(bm.fields):
            if bf.is_bool:
                self.bools = True
                show = "print_bool"
            else:
                show = self.scalar_print(bf.type)
            key = ("{" if i == 0 else ",") + f'"{bf.name}":'
            fields.append({"key": c_string(key), "print": show, "getter": c.bit_fn(bm, bf, "get"), "setter": c.bit_fn(bm, bf, "set")})
        return {
            "ctype": c.type_name(bm),
            "print": self.fn("print", bm, claim=True),
            "rebuild": self.fn("rebuild", bm, claim=True),
            "fields": fields,
            "reserved_key": c_string(("," if fields else "{") + f'"{codec.RESERVED_KEY}":'),
            "reserved_mask": f"{c_macro_prefix(bm)}_RESERVED_MASK",
        }

    def layout(self, st: Struct, lay: VersionLayout) -> dict[str, Any]:
        """The print and rebuild functions of the C struct of one layout; a nested struct is
        the layout of it that this layout embeds (Outer_V1 holds an Inner_V1)."""
        fields = []
        for i, f in enumerate(lay.fields):
            t = f.type.target
            if isinstance(t, (Bitmap, Struct)):
                show, rebuild = self.fn("print", t, lay.version), self.fn("rebuild", t, lay.version)
            else:
                show, rebuild = self.scalar_print(t), None
            key = ("{" if i == 0 else ",") + f'"{f.name}":' + ("[" if f.type.is_array else "")
            array = None
            if f.type.is_array and isinstance(t, (Scalar, Enum)):
                s = _scalar(t)
                array = {"fn": f"print_{s.name}_array", "ctype": SCALAR_TYPES[s.name], "print": show}
                self.arrays[array["fn"]] = array
            nested = isinstance(t, Struct)
            fields.append({
                "key": c_string(key), "member": self.c.field_name(f), "count": f.type.count, "print": show, "rebuild": rebuild, "array": array,
                # a struct is passed by pointer (a type may be up to 1 MiB); one in a packed struct may
                # be misaligned, so it is copied out and back (`ctype`) rather than pointed at
                "nested": nested, "copied": nested and st.packed, "ctype": self.c.type_name(t, lay.version) if nested else None,
            })
        return {
            "ctype": self.c.type_name(st, lay.version),
            "print": self.fn("print", st, lay.version, claim=True),
            "rebuild": self.fn("rebuild", st, lay.version, claim=True),
            "fields": fields,
        }

    def answer(self, t: Enum | Bitmap | Struct, version: int | None) -> dict[str, Any]:
        """The function that answers a line with one layout of `t` (`version`: a struct's layout)."""
        if isinstance(t, Enum):
            show, rebuild, layout = self.scalar_print(t), None, "NULL"
        else:
            show, rebuild = self.fn("print", t, version), self.fn("rebuild", t, version)
            layout = c_string(str(version)) if isinstance(t, Struct) else "NULL"
        magic = self.c.magic_fn(t, version) if isinstance(t, Struct) else None
        self.magic = self.magic or magic is not None
        return {
            "fn": self.fn("answer", t, version, claim=True),
            "magic": magic,
            "ctype": self.c.type_name(t, version),
            "type": c_string(t.name),
            "layout": layout,
            "print": show,
            "rebuild": rebuild,
            "struct": isinstance(t, Struct),
        }

    def message(self, view: dict[str, Any]) -> dict[str, Any]:
        """How a message line is answered: parse and print each part (through the struct's print
        function), or build from parts given as bytes; both through the header's functions."""
        msg: Message = view["message"]
        return {
            "fn": self.reg.claim(f"message_{view['name']}", msg, f"the codec's function of message {msg.name}"),
            "name": c_string(msg.name),
            "ctype": view["name"],
            "parse": view["parse"],
            "build": view["build"],
            "versioned": msg.versioned,
            "flags": len(view["parts"]),
            "parts": [
                {**p, "print": self.fn("print", p["struct"]), "key": c_string(("{" if i == 0 else ",") + f'"{p["schema_name"]}":')}
                for i, p in enumerate(view["parts"])
            ],
            "payload": view["payload"],
        }

    def decoder(self, t: Enum | Bitmap | Struct) -> dict[str, Any]:
        """How a line of type `t` is answered: by its one answer function, or for a versioned
        struct by the one of the layout VERSION names or the header's own dispatch selects (its
        size-for-version function applied to the version field of the oldest layout)."""
        c = self.c
        if not (isinstance(t, Struct) and t.versioned):
            ans = self.answer(t, t.newest.version if isinstance(t, Struct) else None)
            return {"fn": ans["fn"], "name": c_string(t.name), "answers": [ans], "versioned": False}
        sizes = [lay.size for lay in t.layouts]
        if len(set(sizes)) != len(sizes):
            raise ValueError(f"{t.name}: two layouts of the same size cannot be told apart by size ({sizes})")
        answers = []
        for lay in t.layouts:
            ans = self.answer(t, lay.version)
            ans["version"] = c_string(str(lay.version))
            ans["size_macro"] = c.size_macro(t, lay.version)
            answers.append(ans)
        return {
            "fn": self.fn("decode", t, claim=True),
            "name": c_string(t.name),
            "answers": answers,
            "versioned": True,
            "probe": c.type_name(t, t.layouts[0].version),
            "size_fn": c.size_fn(t),
            "path": ".".join(c.field_name(f) for f in t.version_path),
        }


def _codec(c: _C, header_names: dict[str, tuple[Item | None, str]], message_views: list[dict[str, Any]]) -> dict[str, Any]:
    w = _CodecWriter(c, header_names)
    bitmaps = [w.bitmap(bm) for bm in c.schema.bitmaps]
    structs = [w.layout(st, lay) for st in _dependency_order(c.schema.structs) for lay in st.layouts]
    decoders = [w.decoder(t) for t in c.schema.types]
    messages = [w.message(view) for view in message_views]
    c.reg.problems += w.reg.problems
    return {
        "banner": plain_comment(banner(c.schema).lines),
        "file": f"codec_{c.schema.name}.c",
        "header": f"{c.schema.name}.h",
        "schema": c.schema.name,
        "uses_signed": w.signed,
        "uses_bool": w.bools,
        "uses_magic": w.magic,
        "arrays": [dict(a, fn=w.reg.claim(a["fn"], None, f"the codec's {a['fn']}")) for _, a in sorted(w.arrays.items())],
        "no_main": c.reg.claim(f"{c.prefix}_CODEC_NO_MAIN", None, "the codec's no-main macro"),
        "bitmaps": bitmaps,
        "structs": structs,
        "decoders": decoders,
        "messages": messages,
        "kinds": [(i, kind) for i, kind in enumerate(codec.FAULTS, start=1)],
        "msg": c.message_names() if c.schema.messages else None,
    }


def _contexts(schema: Schema) -> tuple[_C, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The header's, the test's and the codec's contexts. Their file-scope names share one scope
    (naming.Scope): the test includes the codec, which includes the header."""
    c = _C(schema)
    header_ctx = c.header()
    test_ctx = _test(c)
    codec_ctx = _codec(c, dict(c.reg.owner), header_ctx["messages"])
    c.check_members(environment(TARGET).get_template("header.h.j2").render(**header_ctx))
    return c, header_ctx, test_ctx, codec_ctx


def declare(schema: Schema) -> list[Problem]:
    """Every name the C files declare, with what declared it; the clashes (naming.Scope)."""
    return _contexts(schema)[0].reg.problems


def render(schema: Schema) -> dict[str, str]:
    c, header_ctx, test_ctx, codec_ctx = _contexts(schema)
    c.reg.raise_if_any()
    env = environment(TARGET)
    files = {
        f"c/{schema.name}.h": env.get_template("header.h.j2").render(**header_ctx),
        f"c/test_{schema.name}.c": env.get_template("test.c.j2").render(**test_ctx),
        f"c/codec_{schema.name}.c": env.get_template("codec.c.j2").render(**codec_ctx),
    }
    return files
