"""Schema loader and validator: YAML (with marks) -> model, every problem at once."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from . import doctext, layout, naming
from .errors import Mark, Problem, Problems, SchemaError
from .model import (
    AGREEMENTS,
    PAYLOAD_FORMATS,
    SCALARS,
    SIZE,
    BitField,
    Bitmap,
    Constant,
    Enum,
    EnumValue,
    Field,
    LengthField,
    Message,
    Package,
    Part,
    Scalar,
    Schema,
    Struct,
    TypeRef,
)
from .yamlsrc import Y, is_float_text, is_leading_zero
from .yamlsrc import load as load_yaml

MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")
TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")
CONST_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TYPE_EXPR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([^\[\]]*?)\s*\])?\s*")
# Names no target can escape: refused outright.
UNESCAPABLE = {"Self", "None", "True", "False"}
TARGETS = ("c", "rust", "python")
MAX_VERSION = 0xFFFFFFFF  # Rust's layout_version returns a u32

_KIND_RULES = {
    "type": (TYPE_NAME, "UpperCamel, like IgvmErrorInfo ([A-Z][A-Za-z0-9]*)"),
    "field": (FIELD_NAME, "lower_snake, like data_size ([a-z][a-z0-9_]*)"),
    "constant": (CONST_NAME, "UPPER_SNAKE, like REPORT_SIZE ([A-Z][A-Z0-9_]*)"),
}


def _marks(m: dict[str, Y]) -> dict[str, Mark]:
    return {k: v.mark for k, v in m.items()}


def _describe(y: Y) -> str:
    if y.is_map:
        return "a mapping"
    if y.is_seq:
        return "a list"
    if y.value is None:
        return "nothing (null)"
    if isinstance(y.value, int):
        return f"the number {y.value}"
    return f"'{y.value}'"


class _Reader:
    def __init__(self, file: str, problems: Problems, source: str = ""):
        self.file = file
        self.p = problems
        self.source = source
        # Names of types and constants the loader refused: a use of one is not reported again as unknown.
        self.refused_names: set[str] = set()

    def refused(self, m: dict[str, Y] | None, y: Y) -> None:
        """Remember the name of a type definition that was refused, so its uses raise no follow-on problems."""
        name_y = m.get("name") if m is not None else (y.value.get("name") if y.is_map else None)
        if name_y is not None and isinstance(name_y.value, str):
            self.refused_names.add(name_y.value)

    def err(self, y: Y | Mark, path: str, msg: str) -> None:
        self.p.add(y if isinstance(y, Mark) else y.mark, path, msg)

    # --- shapes -----------------------------------------------------------------

    def mapping(self, y: Y, path: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Y] | None:
        if not y.is_map:
            self.err(y, path, f"expected a mapping with keys {', '.join(required or allowed)}; got {_describe(y)}")
            return None
        ok = True
        for k in y.value:
            if k not in allowed:
                self.err(y.key_marks[k], f"{path}.{k}" if path else k, f"unknown key '{k}'; accepted keys: {', '.join(allowed)}")
        for k in required:
            if k not in y.value:
                self.err(y, path, f"missing required key '{k}'")
                ok = False
        return y.value if ok else None

    def seq(self, y: Y | None, path: str) -> list[Y]:
        if y is None or y.value is None:
            return []
        if not y.is_seq:
            self.err(y, path, f"expected a list; got {_describe(y)}")
            return []
        return y.value

    def text(self, y: Y | None, path: str) -> str:
        if y is None or y.value is None:
            return ""
        if not isinstance(y.value, str) or y.is_map or y.is_seq:
            if isinstance(y.value, int) and y.text is not None:
                return y.text
            self.err(y, path, f"expected text; got {_describe(y)}")
            return ""
        bad = doctext.refused_char(y.value)
        if bad is not None:
            self.err(self.char_mark(y, y.value[bad[0]]), path, f"{bad[1]}; remove it")
            return ""
        return y.value

    def char_mark(self, y: Y, ch: str) -> Mark:
        """Where `ch` stands in the source of scalar `y`: its own line and column when it is
        written there as it is, else (written as an escape) the scalar's start."""
        start, end = y.span
        at = self.source.find(ch, start, end)
        if at < 0:
            return y.mark
        return Mark.at(self.file, self.source, at)

    def integer(self, y: Y, path: str, what: str = "an integer") -> int | None:
        if isinstance(y.value, int) and not isinstance(y.value, bool):
            return y.value
        if y.plain and y.text is not None and is_leading_zero(y.text):
            self.err(y, path, f"'{y.text}' is ambiguous (a leading zero); write {what} in decimal, 0x hex or 0b binary")
        elif y.plain and y.text is not None and is_float_text(y.text):
            self.err(y, path, f"expected {what}; '{y.text}' is not a whole number")
        else:
            self.err(y, path, f"expected {what} (decimal, 0x hex or 0b binary); got {_describe(y)}")
        return None

    def boolean(self, y: Y, path: str) -> bool:
        if y.plain and y.text is not None and y.text.lower() in ("true", "false"):
            return y.text.lower() == "true"
        self.err(y, path, f"expected true or false; got {_describe(y)}")
        return False

    def name(self, y: Y | None, path: str, kind: str) -> str | None:
        pattern, rule = _KIND_RULES[kind]
        if y is None:
            return None
        if y.yaml_word is not None:
            self.err(y, path, f"'{y.text}' would be read by YAML as a {y.yaml_word}; quote it (\"{y.text}\") to use it as a name")
            return None
        if not isinstance(y.value, str) or y.is_map or y.is_seq:
            self.err(y, path, f"expected a name, {rule}; got {_describe(y)}")
            return None
        name = y.value
        if name in UNESCAPABLE:
            self.err(y, path, f"'{name}' cannot be used as a name: no target can escape it; choose another name")
            return None
        if not pattern.fullmatch(name):
            self.err(y, path, f"'{name}' is not a valid name here; expected {rule}")
            return None
        return name

    def version(self, y: Y, path: str) -> int | None:
        """A protocol version: a whole number a 32-bit unsigned version field can hold."""
        v = self.integer(y, path, "a protocol version")
        if v is not None and not 0 <= v <= MAX_VERSION:
            self.err(y, path, f"protocol version {v} is out of range; a version is a whole number from 0 to {MAX_VERSION}")
            return None
        return v

    def since(self, y: Y | None, path: str, schema: Schema) -> int | None:
        if y is None:
            return None
        v = self.version(y, path)
        if v is None:
            return None
        if schema.versions_given and v not in schema.versions:
            self.err(y, path, f"since: {v} is not one of the schema's versions {schema.versions}")
            return None
        return v

    def names(self, y: Y | None, path: str) -> dict[str, str]:
        if y is None:
            return {}
        m = self.mapping(y, path, *KEYS["names"])
        out: dict[str, str] = {}
        for k, v in (m or {}).items():
            if k not in TARGETS:
                continue
            s = self.text(v, f"{path}.{k}")
            if not IDENT.fullmatch(s):
                self.err(v, f"{path}.{k}", f"'{s}' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)")
            elif s in UNESCAPABLE:
                self.err(v, f"{path}.{k}", f"'{s}' cannot be used as a name: no target can escape it")
            else:
                out[k] = s
        return out

    def scalar_type(self, y: Y | None, path: str, allowed: tuple[str, ...] = tuple(SCALARS)) -> Scalar | None:
        if y is None:
            return None
        s = y.value if isinstance(y.value, str) else None
        if s not in allowed:
            self.err(y, path, f"expected one of {', '.join(allowed)}; got {_describe(y)}")
            return None
        return SIZE if s == "size" else SCALARS[s]


# ---------------------------------------------------------------------------------


def load_file(path: str | os.PathLike[str], display: str | None = None) -> Schema:
    """Load and validate one schema file; raises SchemaError with every problem."""
    p = Path(path)
    file = display or _display_path(p)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaError([Problem(Mark(file, 1, 1), "", f"cannot read the schema: {e}")]) from None
    return load_text(text, file)


def _display_path(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def load_text(text: str, file: str) -> Schema:
    problems = Problems()
    root = load_yaml(text, file, problems)
    if root is None:
        problems.raise_if_any()
        raise SchemaError([Problem(Mark(file, 1, 1), "", "the schema could not be read")])
    schema = _build(root, file, problems, text)
    if schema is not None:
        layout.compute(schema, problems)
    if schema is not None and not problems:
        from .targets import check_names  # every target's names, once the schema is whole

        problems.items += check_names(schema)
    problems.raise_if_any()
    assert schema is not None
    return schema


# The keys each kind of item accepts, and those it requires. The JSON Schema for editors
# (wiregen.schema.json, beside this file) states the same; tests/test_json_schema.py holds the two
# to one corpus of good and bad schemas and to this table.
KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "schema": (("schema", "title", "doc", "endian", "versions", "package", "constants", "enums", "bitmaps", "structs", "messages"), ("schema", "endian")),
    "package": (("version", "license", "repository", "rust_version", "publish"), ()),
    "constant": (("name", "type", "value", "doc", "names"), ("name", "type", "value")),
    "enum": (("name", "type", "doc", "since", "names", "values"), ("name", "type", "values")),
    "enum_value": (("name", "value", "doc", "since", "names"), ("name", "value")),
    "bitmap": (("name", "type", "doc", "since", "names", "fields"), ("name", "type", "fields")),
    "bit_field": (("name", "bit", "bits", "type", "doc", "since", "names"), ("name",)),
    "struct": (("name", "doc", "since", "names", "version_field", "size", "packed", "constructor", "fields"), ("name", "fields")),
    "field": (("name", "type", "doc", "since", "names", "reserved", "value", "magic", "offset"), ("name", "type")),
    "message": (("name", "doc", "since", "names", "version_field", "version_agreement", "current_version", "parts", "lengths"), ("name", "parts")),
    "part": (("name", "type", "payload", "format", "doc", "since", "names"), ("name",)),
    "length": (("field", "counts", "doc"), ("field", "counts")),
    "names": (TARGETS, ()),
}
JSON_SCHEMA = Path(str(resources.files("wiregen") / "wiregen.schema.json"))
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")
RUST_VERSION = re.compile(r"[1-9][0-9]*\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?")
URL = re.compile(r"https?://[^\s/$.?#][^\s]*")
# An SPDX license expression, as Cargo and PyPI take it: ids joined by AND, OR, WITH, in parentheses.
SPDX = re.compile(r"\(*[A-Za-z0-9][A-Za-z0-9.+-]*\)*(\s+(AND|OR|WITH)\s+\(*[A-Za-z0-9][A-Za-z0-9.+-]*\)*)*")


def _build(root: Y, file: str, problems: Problems, source: str = "") -> Schema | None:
    r = _Reader(file, problems, source)
    top = r.mapping(root, "", *KEYS["schema"])
    if top is None:
        return None
    name_y = top["schema"]
    name = r.text(name_y, "schema")
    if name and not MODULE_NAME.fullmatch(name):
        r.err(name_y, "schema", f"'{name}' is not a valid schema name; expected [a-z][a-z0-9_]*")
    elif name and (why := naming.schema_name_problem(name)) is not None:
        r.err(name_y, "schema", f"{why}; choose another schema name")
    schema = Schema(name=name, file=file, mark=root.mark)
    schema.title = r.text(top.get("title"), "title")
    schema.doc = r.text(top.get("doc"), "doc")
    endian = r.text(top["endian"], "endian")
    if endian != "little":
        r.err(top["endian"], "endian", f"endian '{endian}' is not supported; only 'little' is supported today")
    if "versions" in top:
        vs = [r.version(v, f"versions[{i}]") for i, v in enumerate(r.seq(top["versions"], "versions"))]
        ints = [v for v in vs if v is not None]
        if not ints and not problems:
            r.err(top["versions"], "versions", "expected a non-empty list of protocol versions, ascending")
        elif any(b <= a for a, b in zip(ints, ints[1:])):
            r.err(top["versions"], "versions", f"versions must be ascending with no repeats; got {ints}")
        elif ints:
            schema.versions = ints
            schema.versions_given = True

    if "package" in top:
        schema.package = _package(r, top["package"])

    scope: dict[str, Mark] = {}

    def claim(name: str | None, y: Y, path: str, what: str) -> None:
        if name is None:
            return
        if name in scope:
            first = scope[name]
            r.err(y, path, f"{what} '{name}' is already defined at line {first.line}, column {first.col} (types and constants share one scope)")
        else:
            scope[name] = y.mark

    # constants (a constant typed by an enum is resolved once the enums are read)
    pending_consts: list[tuple[Constant, Y, Y, str]] = []
    for i, cy in enumerate(r.seq(top.get("constants"), "constants")):
        path = f"constants[{i}]"
        m = r.mapping(cy, path, *KEYS["constant"])
        if m is None:
            r.refused(None, cy)
            continue
        cname = r.name(m["name"], f"{path}.name", "constant")
        if cname is None:
            r.refused(m, cy)
        claim(cname, m["name"], f"{path}.name", "constant")
        tname = m["type"].value if isinstance(m["type"].value, str) and not m["type"].is_map and not m["type"].is_seq else None
        ctype: Scalar | None = None
        value: int | None = None
        if tname in SCALARS or tname == "size":
            ctype = SIZE if tname == "size" else SCALARS[tname]
            value = r.integer(m["value"], f"{path}.value")
            if value is not None and not ctype.fits(value):
                r.err(m["value"], f"{path}.value", f"{value} does not fit {ctype.name} ({ctype.min}..{ctype.max})")
        elif tname is None or not TYPE_NAME.fullmatch(tname):
            r.err(m["type"], f"{path}.type", f"expected an integer type ({', '.join(SCALARS)}), `size` (a byte count in memory) or an enum of this schema; got {_describe(m['type'])}")
            tname = None
        if cname:
            const = Constant(cname, cy.mark, path, r.text(m.get("doc"), f"{path}.doc"), None, r.names(m.get("names"), f"{path}.names"), ctype or SCALARS["u32"], value or 0, marks=_marks(m))
            schema.constants.append(const)
            if ctype is None and tname is not None:
                pending_consts.append((const, m["type"], m["value"], path))

    # enums
    for i, ey in enumerate(r.seq(top.get("enums"), "enums")):
        path = f"enums[{i}]"
        m = r.mapping(ey, path, *KEYS["enum"])
        if m is None:
            r.refused(None, ey)
            continue
        ename = r.name(m["name"], f"{path}.name", "type")
        if ename is None:
            r.refused(m, ey)
        claim(ename, m["name"], f"{path}.name", "type")
        etype = r.scalar_type(m["type"], f"{path}.type")
        enum = Enum(ename or "", ey.mark, path, r.text(m.get("doc"), f"{path}.doc"), r.since(m.get("since"), f"{path}.since", schema), r.names(m.get("names"), f"{path}.names"), etype or SCALARS["u32"], marks=_marks(m))
        seen_names: dict[str, int] = {}
        seen_values: dict[int, str] = {}
        values = r.seq(m["values"], f"{path}.values")
        if not values and m["values"].value is not None and m["values"].is_seq:
            r.err(m["values"], f"{path}.values", "an enum needs at least one value")
        for j, vy in enumerate(values):
            vpath = f"{path}.values[{j}]"
            vm = r.mapping(vy, vpath, *KEYS["enum_value"])
            if vm is None:
                continue
            vname = r.name(vm["name"], f"{vpath}.name", "constant")
            if vname is None and isinstance(vm["name"].value, str):
                r.refused_names.add(f"{ename}.{vm['name'].value}")
            val = r.integer(vm["value"], f"{vpath}.value")
            if vname is not None:
                if vname in seen_names:
                    r.err(vm["name"], f"{vpath}.name", f"duplicate value name '{vname}' in enum {ename} (also values[{seen_names[vname]}])")
                seen_names.setdefault(vname, j)
            if val is not None:
                if etype and not etype.fits(val):
                    r.err(vm["value"], f"{vpath}.value", f"{val} does not fit {etype.name} ({etype.min}..{etype.max})")
                elif val in seen_values:
                    r.err(vm["value"], f"{vpath}.value", f"duplicate value {val} in enum {ename} (already {seen_values[val]})")
                seen_values.setdefault(val, vname or "?")
            if vname is not None and val is not None:
                enum.values.append(EnumValue(vname, vy.mark, vpath, r.text(vm.get("doc"), f"{vpath}.doc"), r.since(vm.get("since"), f"{vpath}.since", schema), r.names(vm.get("names"), f"{vpath}.names"), val, marks=_marks(vm)))
        if ename:
            schema.enums.append(enum)

    # Bitmaps may name enums for multi-bit fields; structs name any type. Types are
    # resolved after every definition is read, so order in the file does not matter.
    pending_bits: list[tuple[BitField, Y, str]] = []
    for i, by in enumerate(r.seq(top.get("bitmaps"), "bitmaps")):
        path = f"bitmaps[{i}]"
        m = r.mapping(by, path, *KEYS["bitmap"])
        if m is None:
            r.refused(None, by)
            continue
        bname = r.name(m["name"], f"{path}.name", "type")
        if bname is None:
            r.refused(m, by)
        claim(bname, m["name"], f"{path}.name", "type")
        btype = r.scalar_type(m["type"], f"{path}.type", ("u8", "u16", "u32", "u64"))
        bm = Bitmap(bname or "", by.mark, path, r.text(m.get("doc"), f"{path}.doc"), r.since(m.get("since"), f"{path}.since", schema), r.names(m.get("names"), f"{path}.names"), btype or SCALARS["u32"], marks=_marks(m))
        seen: dict[str, int] = {}
        for j, fy in enumerate(r.seq(m["fields"], f"{path}.fields")):
            fpath = f"{path}.fields[{j}]"
            fm = r.mapping(fy, fpath, *KEYS["bit_field"])
            if fm is None:
                continue
            fname = r.name(fm["name"], f"{fpath}.name", "field")
            if fname in seen:
                r.err(fm["name"], f"{fpath}.name", f"duplicate field name '{fname}' in bitmap {bname} (also fields[{seen[fname]}])")
            elif fname:
                seen[fname] = j
            lo = hi = None
            if ("bit" in fm) == ("bits" in fm):
                r.err(fy, fpath, "give exactly one of `bit: N` (a boolean flag) or `bits: [LO, HI]` (a multi-bit field)")
            elif "bit" in fm:
                lo = hi = r.integer(fm["bit"], f"{fpath}.bit", "a bit number")
                if "type" in fm:
                    r.err(fm["type"], f"{fpath}.type", "a single-bit field is a boolean and takes no type; use `bits: [N, N]` for a one-bit number")
            else:
                pair = fm["bits"]
                items = pair.value if pair.is_seq else None
                if not items or len(items) != 2:
                    r.err(pair, f"{fpath}.bits", "expected [LO, HI], an inclusive bit range with LO <= HI")
                else:
                    lo = r.integer(items[0], f"{fpath}.bits[0]", "a bit number")
                    hi = r.integer(items[1], f"{fpath}.bits[1]", "a bit number")
                    if lo is not None and hi is not None and lo > hi:
                        r.err(pair, f"{fpath}.bits", f"bit range [{lo}, {hi}] is backwards; expected [LO, HI] with LO <= HI")
                        lo = hi = None
            if fname and lo is not None and hi is not None:
                bf = BitField(fname, fy.mark, fpath, r.text(fm.get("doc"), f"{fpath}.doc"), r.since(fm.get("since"), f"{fpath}.since", schema), r.names(fm.get("names"), f"{fpath}.names"), lo, hi, marks=_marks(fm))
                bm.fields.append(bf)
                if "bits" in fm:
                    pending_bits.append((bf, fm.get("type"), f"{fpath}.type"))
        if bname:
            schema.bitmaps.append(bm)

    pending_fields: list[tuple[Field, Y, str, Y | None]] = []
    pending_constructors: list[tuple[Struct, Y, str]] = []
    for i, sy in enumerate(r.seq(top.get("structs"), "structs")):
        path = f"structs[{i}]"
        m = r.mapping(sy, path, *KEYS["struct"])
        if m is None:
            r.refused(None, sy)
            continue
        sname = r.name(m["name"], f"{path}.name", "type")
        if sname is None:
            r.refused(m, sy)
        claim(sname, m["name"], f"{path}.name", "type")
        st = Struct(sname or "", sy.mark, path, r.text(m.get("doc"), f"{path}.doc"), r.since(m.get("since"), f"{path}.since", schema), r.names(m.get("names"), f"{path}.names"), marks=_marks(m))
        if "version_field" in m:
            st.version_field = r.text(m["version_field"], f"{path}.version_field")
        if "size" in m:
            st.size_assert = r.integer(m["size"], f"{path}.size", "a size in bytes")
        if "packed" in m:
            st.packed = r.boolean(m["packed"], f"{path}.packed")
        seen = {}
        fields = r.seq(m["fields"], f"{path}.fields")
        if not fields and not problems:
            r.err(m["fields"], f"{path}.fields", "a struct needs at least one field")
        for j, fy in enumerate(fields):
            fpath = f"{path}.fields[{j}]"
            fm = r.mapping(fy, fpath, *KEYS["field"])
            if fm is None:
                st.refused_at = len(st.fields) if st.refused_at is None else st.refused_at
                continue
            fname = r.name(fm["name"], f"{fpath}.name", "field")
            if fname in seen:
                r.err(fm["name"], f"{fpath}.name", f"duplicate field name '{fname}' in struct {sname} (also fields[{seen[fname]}])")
                fname = None
            elif fname:
                seen[fname] = j
            f = Field(fname or "", fy.mark, fpath, r.text(fm.get("doc"), f"{fpath}.doc"), r.since(fm.get("since"), f"{fpath}.since", schema), r.names(fm.get("names"), f"{fpath}.names"), marks=_marks(fm))
            if "reserved" in fm:
                f.reserved = r.boolean(fm["reserved"], f"{fpath}.reserved")
            if "offset" in fm:
                f.offset_assert = r.integer(fm["offset"], f"{fpath}.offset", "a byte offset")
            if "magic" in fm:
                f.magic = r.boolean(fm["magic"], f"{fpath}.magic")
                if f.magic and "value" not in fm:
                    r.err(fm["magic"], f"{fpath}.magic", "`magic: true` needs the number a reader checks: add `value:` (an integer, a constant's name or Enum.VALUE)")
            if fname:
                st.fields.append(f)
                pending_fields.append((f, fm["type"], f"{fpath}.type", fm.get("value")))
            elif st.refused_at is None:
                st.refused_at = len(st.fields)
        if "constructor" in m:
            pending_constructors.append((st, m["constructor"], f"{path}.constructor"))
        if sname:
            schema.structs.append(st)

    pending_parts, pending_current = _read_messages(r, schema, top, claim)

    # --- resolve types ------------------------------------------------------------
    for const, ty, vy, cpath in pending_consts:
        _resolve_enum_constant(r, schema, const, ty, vy, cpath)
    for bf, ty, tpath in pending_bits:
        _resolve_bit_type(r, schema, bf, ty, tpath)
    for f, ty, tpath, vy in pending_fields:
        _resolve_field_type(r, schema, f, ty, tpath)
        if vy is not None and f.type is not None:
            _resolve_value(r, schema, f, vy, tpath.rsplit(".", 1)[0] + ".value")

    for st, cy, cpath in pending_constructors:
        _resolve_constructor(r, st, cy, cpath)
    _resolve_parts(r, schema, pending_parts)
    _resolve_current_versions(r, schema, pending_current)

    if not schema.versions_given:
        sinces = {it.since for it in _all_items(schema) if it.since is not None}
        schema.versions = sorted({1} | sinces)
    return schema


def _package(r: _Reader, y: Y) -> Package:
    """The `package:` mapping: metadata of the generated packages, each value checked for its form."""
    pkg = Package()
    m = r.mapping(y, "package", *KEYS["package"])
    if m is None:
        return pkg
    checks = {
        "version": (SEMVER, "a semantic version MAJOR.MINOR.PATCH, like 1.4.0 (a pre-release or build suffix may follow)"),
        "license": (SPDX, "an SPDX license expression, like MIT or Apache-2.0 OR MIT"),
        "repository": (URL, "an http(s) URL, like https://github.com/org/repo"),
        "rust_version": (RUST_VERSION, "a Rust version MAJOR.MINOR or MAJOR.MINOR.PATCH, like 1.81"),
    }
    for key, (pattern, what) in checks.items():
        vy = m.get(key)
        if vy is None:
            continue
        text = vy.text if not (vy.is_map or vy.is_seq or vy.value is None) else None
        if text is None or not pattern.fullmatch(text):
            r.err(vy, f"package.{key}", f"expected {what}; got {_describe(vy)}")
            continue
        setattr(pkg, key, text)
        pkg.marks[key] = vy.mark
    if "publish" in m:
        pkg.publish = r.boolean(m["publish"], "package.publish")
        pkg.marks["publish"] = m["publish"].mark
    return pkg


def _all_items(schema: Schema):
    for c in schema.constants:
        yield c
    for e in schema.enums:
        yield e
        yield from e.values
    for b in schema.bitmaps:
        yield b
        yield from b.fields
    for s in schema.structs:
        yield s
        yield from s.fields
    for m in schema.messages:
        yield m
        yield from m.parts


def _resolve_constructor(r: _Reader, st: Struct, cy: Y, path: str) -> None:
    """`constructor: [field, ...]`: every field that has no fixed value and is not reserved, each once."""
    wanted = [f for f in st.fields if f.value is None and not f.reserved and f.type is not None]
    items = r.seq(cy, path)
    by_name = {f.name: f for f in st.fields}
    chosen: list[Field] = []
    ok = True
    for i, y in enumerate(items):
        name = r.text(y, f"{path}[{i}]")
        f = by_name.get(name)
        if f is None:
            r.err(y, f"{path}[{i}]", f"{st.name} has no field '{name}'; its fields are {', '.join(by_name)}")
            ok = False
        elif f.value is not None or f.reserved:
            r.err(y, f"{path}[{i}]", f"'{name}' is {'reserved' if f.reserved else 'fixed'}: the constructor writes it itself, so it is no argument")
            ok = False
        elif f in chosen:
            r.err(y, f"{path}[{i}]", f"'{name}' is listed twice")
            ok = False
        else:
            chosen.append(f)
    missing = [f.name for f in wanted if f not in chosen]
    if ok and missing:
        r.err(cy, path, f"the constructor of {st.name} must take every field that is neither fixed nor reserved; missing: {', '.join(missing)}")
        ok = False
    if ok:
        st.constructor = chosen


def _read_messages(r: _Reader, schema: Schema, top: dict[str, Y], claim) -> tuple[list[tuple[Part, Y]], list[tuple[Message, Y]]]:
    """The `messages:` section: parts and length fields as written; layout.py places and checks them.
    Returns the struct parts with the `type:` each names, resolved once every struct is read, and
    the messages with the constant their `current_version` names."""
    pending: list[tuple[Part, Y]] = []
    pending_current: list[tuple[Message, Y]] = []
    for i, my in enumerate(r.seq(top.get("messages"), "messages")):
        path = f"messages[{i}]"
        m = r.mapping(my, path, *KEYS["message"])
        if m is None:
            continue
        mname = r.name(m["name"], f"{path}.name", "type")
        claim(mname, m["name"], f"{path}.name", "message")
        msg = Message(mname or "", my.mark, path, r.text(m.get("doc"), f"{path}.doc"), r.since(m.get("since"), f"{path}.since", schema), r.names(m.get("names"), f"{path}.names"), marks=_marks(m))
        if "version_field" in m:
            msg.version_field = r.text(m["version_field"], f"{path}.version_field")
        for key in ("version_agreement", "current_version"):
            if key in m and "version_field" not in m:
                r.err(m[key].mark, f"{path}.{key}", f"`{key}` is about the versions of {mname}, which needs `version_field:` naming the field that says which version a message is")
        if "version_agreement" in m:
            agreement = r.text(m["version_agreement"], f"{path}.version_agreement")
            if agreement in AGREEMENTS:
                msg.agreement = agreement
            elif agreement:
                r.err(
                    m["version_agreement"],
                    f"{path}.version_agreement",
                    f"expected `refused` (every reader refuses a version it does not know), `negotiated` (a writer sends a version only to a peer that reads it) "
                    f"or `none` (neither); got {_describe(m['version_agreement'])}",
                )
        parts = r.seq(m["parts"], f"{path}.parts")
        if not parts and m["parts"].is_seq:
            r.err(m["parts"], f"{path}.parts", "a message needs at least one part")
        seen: dict[str, int] = {}
        payload_at: int | None = None
        for j, py in enumerate(parts):
            ppath = f"{path}.parts[{j}]"
            pm = r.mapping(py, ppath, *KEYS["part"])
            if pm is None:
                continue
            pname = r.name(pm["name"], f"{ppath}.name", "field")
            if pname in seen:
                r.err(pm["name"], f"{ppath}.name", f"duplicate part name '{pname}' in message {mname} (also parts[{seen[pname]}])")
                pname = None
            elif pname:
                seen[pname] = j
            part = Part(pname or "", py.mark, ppath, r.text(pm.get("doc"), f"{ppath}.doc"), r.since(pm.get("since"), f"{ppath}.since", schema), r.names(pm.get("names"), f"{ppath}.names"), marks=_marks(pm))
            if payload_at is not None and "payload" not in pm:
                r.err(py, ppath, f"the payload (parts[{payload_at}]) must be the last part of {mname}; nothing may follow it")
            if ("type" in pm) == ("payload" in pm):
                r.err(py, ppath, "give exactly one of `type: STRUCT` (a fixed-size part) or `payload: bytes` / `payload: BlobName` (the trailing variable-length payload)")
                continue
            if "type" in pm:
                if "format" in pm:
                    r.err(pm["format"], f"{ppath}.format", "`format` describes a payload's bytes; a struct part has none")
                pending.append((part, pm["type"]))
            else:
                if payload_at is not None:
                    r.err(pm["payload"], f"{ppath}.payload", f"{mname} already has a payload (parts[{payload_at}]); a message has at most one")
                payload_at = j
                blob = r.text(pm["payload"], f"{ppath}.payload")
                if blob != "bytes" and not TYPE_NAME.fullmatch(blob):
                    r.err(pm["payload"], f"{ppath}.payload", f"expected `bytes` (raw bytes) or the name of what the payload holds, UpperCamel like RuntimeClaims; got {_describe(pm['payload'])}")
                part.blob = blob
                if "since" in pm:
                    r.err(pm["since"], f"{ppath}.since", "the payload is part of every version of its message; only a struct part can be added in a later version")
                    part.since = None
                if "format" in pm:
                    fmt = r.text(pm["format"], f"{ppath}.format")
                    if fmt not in PAYLOAD_FORMATS:
                        r.err(pm["format"], f"{ppath}.format", f"expected one of {', '.join(PAYLOAD_FORMATS)}; got {_describe(pm['format'])}")
                    else:
                        part.format = fmt
            if pname:
                msg.parts.append(part)
        seen_lengths: dict[str, int] = {}
        for j, ly in enumerate(r.seq(m.get("lengths"), f"{path}.lengths")):
            lpath = f"{path}.lengths[{j}]"
            lm = r.mapping(ly, lpath, *KEYS["length"])
            if lm is None:
                continue
            fpath = r.text(lm["field"], f"{lpath}.field")
            if fpath in seen_lengths:
                r.err(lm["field"], f"{lpath}.field", f"'{fpath}' is already a length field of {mname} (lengths[{seen_lengths[fpath]}])")
                continue
            seen_lengths[fpath] = j
            length = LengthField(fpath, ly.mark, lpath, r.text(lm.get("doc"), f"{lpath}.doc"), marks=_marks(lm))
            cy = lm["counts"]
            if cy.is_map:
                cm = r.mapping(cy, f"{lpath}.counts", ("from",), ("from",))
                if cm is None:
                    continue
                length.counts = "from"
                length.from_path = r.text(cm["from"], f"{lpath}.counts.from")
                length.marks["from"] = cm["from"].mark
            elif cy.value in ("message", "payload"):
                length.counts = cy.value
                if cy.value == "payload" and payload_at is None:
                    r.err(cy, f"{lpath}.counts", f"{mname} has no payload part for '{fpath}' to count")
                    continue
            else:
                r.err(cy, f"{lpath}.counts", f"expected `message` (the whole message), `payload` (the payload only) or `{{from: PART_OR_FIELD}}` (from there to the end of the message); got {_describe(cy)}")
                continue
            if fpath:
                msg.lengths.append(length)
        if mname:
            schema.messages.append(msg)
            if "current_version" in m and "version_field" in m:
                pending_current.append((msg, m["current_version"]))
    return pending, pending_current


def _resolve_parts(r: _Reader, schema: Schema, pending: list[tuple[Part, Y]]) -> None:
    """A struct part's `type:` names a struct of the schema; a blob name is no other item's name."""
    for msg in schema.messages:
        for part in msg.parts:
            if part.blob and part.blob != "bytes":
                other = schema.type(part.blob) or schema.constant(part.blob) or schema.message(part.blob)
                if other is not None:
                    what = "a constant" if isinstance(other, Constant) else f"a{'n' if other.kind == 'enum' else ''} {other.kind}"
                    r.err(part.at("payload"), f"{part.path}.payload", f"'{part.blob}' is {what} of this schema; a payload is opaque bytes: name it otherwise, or make it a struct part with `type:`")
    for part, ty in pending:
        name = ty.value if isinstance(ty.value, str) and not ty.is_map and not ty.is_seq else None
        target = schema.type(name) if name else None
        if isinstance(target, Struct):
            part.struct = target
        elif target is not None:
            r.err(ty, f"{part.path}.type", f"a part is a struct; {name} is a{'n' if target.kind == 'enum' else ''} {target.kind}: wrap it in a struct")
        elif name in SCALARS:
            r.err(ty, f"{part.path}.type", f"a part is a struct; {name} is a scalar: wrap it in a struct")
        else:
            known = ", ".join(s.name for s in schema.structs) or "none defined"
            r.err(ty, f"{part.path}.type", f"unknown struct {_describe(ty)}; a part is one of this schema's structs ({known})")


def _resolve_current_versions(r: _Reader, schema: Schema, pending: list[tuple[Message, Y]]) -> None:
    """A message's `current_version` names a constant of the schema; layout.py checks it against
    the version field once that is resolved."""
    for msg, cy in pending:
        name = cy.value if isinstance(cy.value, str) and not cy.is_map and not cy.is_seq else None
        const = schema.constant(name) if name else None
        if const is not None:
            msg.current_version = const
        elif name not in r.refused_names:
            known = ", ".join(c.name for c in schema.constants) or "none defined"
            r.err(cy, f"{msg.path}.current_version", f"expected the name of the constant that holds the version peers send; {_describe(cy)} is no constant of this schema ({known})")


def _resolve_enum_constant(r: _Reader, schema: Schema, const: Constant, ty: Y, vy: Y, path: str) -> None:
    """A constant typed by an enum: its value is one of the enum's value names (or Enum.NAME), or a number."""
    e = schema.type(ty.value)
    if not isinstance(e, Enum):
        what = f"{e.kind} {e.name}" if e is not None else f"'{ty.value}', which this schema does not define"
        r.err(ty, f"{path}.type", f"a constant's type is an integer type, `size` or an enum; got {what}")
        return
    const.type = e
    if isinstance(vy.value, str) and not vy.is_map and not vy.is_seq:
        text = vy.value
        ename, dot, vname = text.rpartition(".")
        ev = next((v for v in e.values if v.name == vname), None) if not dot or ename == e.name else None
        if ev is None:
            r.err(vy, f"{path}.value", f"'{text}' is not a value of {e.name}; expected one of {', '.join(v.name for v in e.values)} (or a number)")
            return
        const.value = ev.value
        return
    value = r.integer(vy, f"{path}.value", f"a value of {e.name}")
    if value is None:
        return
    if not e.type.fits(value):
        r.err(vy, f"{path}.value", f"{value} does not fit {e.name}'s {e.type.name} ({e.type.min}..{e.type.max})")
        return
    const.value = value


def _resolve_bit_type(r: _Reader, schema: Schema, bf: BitField, ty: Y | None, tpath: str) -> None:
    width = bf.hi - bf.lo + 1
    if ty is None:
        bf.type = next(s for s in (SCALARS["u8"], SCALARS["u16"], SCALARS["u32"], SCALARS["u64"]) if s.bits >= width)
        return
    tname = ty.value if isinstance(ty.value, str) else None
    target = SCALARS.get(tname) if tname else None
    if target is None and tname:
        target = schema.type(tname)
    if target is None and tname in r.refused_names:
        return  # its definition was refused and reported
    if isinstance(target, Scalar):
        if target.signed:
            r.err(ty, tpath, f"signed bit fields are refused; use an unsigned type (u8, u16, u32, u64) for bits [{bf.lo}, {bf.hi}]")
            return
        if target.bits < width:
            r.err(ty, tpath, f"{target.name} is too narrow for a {width}-bit field (bits [{bf.lo}, {bf.hi}]); use a wider unsigned type")
            return
        bf.type = target
    elif isinstance(target, Enum):
        if target.type.signed:
            r.err(ty, tpath, f"enum {target.name} has a signed type ({target.type.name}); signed bit fields are refused")
            return
        if target.type.bits < width:
            r.err(ty, tpath, f"enum {target.name} is {target.type.name}, too narrow for a {width}-bit field (bits [{bf.lo}, {bf.hi}]): it could not hold every value the bits do; narrow the field or widen the enum")
            return
        too_big = [v for v in target.values if v.value >= (1 << width) or v.value < 0]
        if too_big:
            v = too_big[0]
            r.err(ty, tpath, f"enum {target.name} value {v.name} = {v.value} does not fit {width} bits (bits [{bf.lo}, {bf.hi}]); widen the range")
            return
        bf.type = target
    else:
        r.err(ty, tpath, f"a multi-bit field's type must be an unsigned scalar or an enum; got {_describe(ty)}")


def _resolve_field_type(r: _Reader, schema: Schema, f: Field, ty: Y, tpath: str) -> None:
    text = ty.value if isinstance(ty.value, str) else None
    mt = TYPE_EXPR.fullmatch(text) if text is not None else None
    if mt is None:
        r.err(ty, tpath, f"expected a type: a scalar ({', '.join(SCALARS)}), an enum, bitmap or struct name, or an array T[N]; got {_describe(ty)}")
        f.type = None  # type: ignore[assignment]
        return
    base, count_text = mt.group(1), mt.group(2)
    target = SCALARS.get(base) or schema.type(base)
    if target is None and base in r.refused_names:
        f.type = None  # type: ignore[assignment]  # its definition was refused and reported
        return
    if target is None:
        known = ", ".join(t.name for t in schema.types) or "none defined"
        r.err(ty, tpath, f"unknown type '{base}'; expected a scalar ({', '.join(SCALARS)}) or a type of this schema ({known})")
        f.type = None  # type: ignore[assignment]
        return
    ref = TypeRef(target)
    if count_text is not None and count_text in r.refused_names:
        f.type = None  # type: ignore[assignment]  # the constant's definition was refused and reported
        return
    if count_text is not None:
        if re.fullmatch(r"[0-9][0-9_]*|0[xX][0-9a-fA-F_]+|0[bB][01_]+", count_text):
            if is_leading_zero(count_text):
                r.err(ty, tpath, f"array length '{count_text}' is ambiguous (a leading zero); write it in decimal, 0x hex or 0b binary")
                f.type = None  # type: ignore[assignment]
                return
            ref.count = int(count_text.replace("_", ""), 0)
        elif CONST_NAME.fullmatch(count_text):
            c = schema.constant(count_text)
            if c is None:
                r.err(ty, tpath, f"array length '{count_text}' is not a constant of this schema")
                f.type = None  # type: ignore[assignment]
                return
            ref.count, ref.count_const = c.value, c.name
        else:
            r.err(ty, tpath, f"array length '{count_text}' must be a whole number or a constant's name")
            f.type = None  # type: ignore[assignment]
            return
        if ref.count < 1:
            r.err(ty, tpath, f"array length must be at least 1; got {ref.count}")
            f.type = None  # type: ignore[assignment]
            return
    f.type = ref


def _resolve_value(r: _Reader, schema: Schema, f: Field, vy: Y, vpath: str) -> None:
    t = f.type
    if t.is_array or isinstance(t.target, (Bitmap, Struct)):
        r.err(vy, vpath, f"`value:` is for scalar and enum fields; field '{f.name}' is {t}")
        return
    val: int | None = None
    if isinstance(vy.value, int) and not isinstance(vy.value, bool):
        val = vy.value
    elif isinstance(vy.value, str) and not vy.is_map and not vy.is_seq:
        text = vy.value
        if text in r.refused_names:
            return  # the constant's (or enum value's) definition was refused and reported
        if "." in text and isinstance(t.target, Enum):
            ename, _, vname = text.partition(".")
            ev = next((v for v in t.target.values if v.name == vname), None)
            if ename != t.target.name or ev is None:
                r.err(vy, vpath, f"'{text}' is not a value of {t.target.name}; expected {t.target.name}.NAME with NAME one of {', '.join(v.name for v in t.target.values)}")
                return
            val = ev.value
        elif (c := schema.constant(text)) is not None:
            val = c.value
        else:
            r.err(vy, vpath, f"'{text}' is not a constant of this schema" + (f" nor {t.target.name}.NAME" if isinstance(t.target, Enum) else ""))
            return
        f.value_ref = text
    else:
        r.integer(vy, vpath, "a fixed value")
        return
    scalar = t.target.type if isinstance(t.target, Enum) else t.target
    assert isinstance(scalar, Scalar)
    if not scalar.fits(val):
        r.err(vy, vpath, f"fixed value {val} does not fit {scalar.name} ({scalar.min}..{scalar.max})")
        return
    f.value = val
