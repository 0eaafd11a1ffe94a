"""Python target: a module per schema, its round-trip tests and its codec entry point.

Each struct layout is read and written by one precompiled `struct.Struct` whose format is the
struct flattened to its leaves (a schema has no implicit padding, so the leaves are contiguous).
Decoding is one `unpack` and, for a layout of at most SMALL items (a header), one Python frame:
`from_bytes` builds the object and everything it embeds in place, without calling constructors,
enums through a map of their singletons; encoding is one `pack` of a flat tuple. A bigger layout
calls the functions of the structs and bitmaps it embeds instead of repeating their code, so the
generated code grows linearly with the schema.

`render_mypyc` renders the same module for mypyc (`wiregen compile`): the same classes and code
but for how decoding makes objects (their constructors, which compiled code calls directly, where
Python gains by skipping them) and the class attributes mypyc reads.

The code is emitted already formatted as black formats it (a line that does not fit is split as
black splits it: a call's or a definition's items on one line of their own, else one item per line
with a trailing comma, which black keeps); black runs on a file only if a line
is still too long, and the tests check every file with `black --check`. This module maps the
layout engine's results to format codes and Python statements; a generation-time check makes
sure every format's size is the size the layout engine computed.
"""

from __future__ import annotations

import builtins
import keyword
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import black
import jinja2

from .. import cache, codec, doctext, naming
from ..errors import Problem
from ..model import Bitmap, Enum, Field, Item, Message, Scalar, Schema, Struct
from ..render import banner, doc_lines, environment

CODES = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "i8": "b", "i16": "h", "i32": "i", "i64": "q"}
WIDTH = 88  # black's line length
SMALL = 32  # a layout of at most this many items is read and written in one frame, in place
INLINE_LEAVES = 32  # a nested struct of at most this many leaves is built in place
INLINE_ITEMS = 8  # an array of at most this many items is written out item by item
INDENT = "    "

# Names a method body uses besides the locals named after fields.
_FIXED_LOCALS = frozenset({"self", "cls", "data", "v", "o", "n", "layout", "version", "item", "strict", "e", "bits", "raw"})
_TAKEN = _FIXED_LOCALS | frozenset(dir(builtins)) | frozenset(keyword.kwlist + keyword.softkwlist)


def py(item) -> str:
    return naming.ident(item, "python")


docstring = doctext.python_docstring


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


_ITEMS: dict[tuple[int, int], int] = {}  # (id of a struct, layout) -> items; emptied by context()


def _items(target, version: int) -> int:
    """How many items of the flat tuple one value of `target` takes (at struct layout `version`)."""
    if not isinstance(target, Struct):
        return 1
    lay = target.layout_for(version) if target.versioned else target.newest
    key = (id(target), lay.version)
    if key not in _ITEMS:
        _ITEMS[key] = sum(_field_items(f, lay.version) for f in lay.fields)
    return _ITEMS[key]


def _field_items(f: Field, version: int) -> int:
    t = f.type.target
    if f.type.is_array:
        return 1 if isinstance(t, Scalar) and t.name == "u8" else _items(t, version) * (f.type.count or 0)
    return _items(t, version)


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


def _hex(value: int) -> str:
    return f"0x{value:X}" if value >= 0 else f"-0x{-value:X}"


def _nested_layout(t: Struct, version: int) -> int:
    """The layout of struct `t` that a struct at layout `version` embeds."""
    return (t.layout_for(version) if t.versioned else t.newest).version


# --- formatting --------------------------------------------------------------------------


class Lines:
    """Statements at an indentation, each already formatted as black formats it."""

    def __init__(self, depth: int = 0) -> None:
        self.lines: list[str] = []
        self.depth = depth

    def add(self, text: str) -> None:
        self.lines.append(INDENT * self.depth + text if text else "")

    def call(self, head: str, items: list[str], tail: str = ")", hug: bool = False) -> None:
        """`head` + items + `tail` on one line if it fits, else (with `hug`: a call or definition, which
        black splits at this bracket) the items on one line of their own between `head` and `tail` if
        they fit there, else one item per line."""
        one = INDENT * self.depth + head + ", ".join(items) + tail
        if len(one) <= WIDTH or not items:
            self.lines.append(one)
            return
        inner = INDENT * (self.depth + 1) + ", ".join(items)
        if hug and len(inner) <= WIDTH and len(INDENT * self.depth + tail) <= WIDTH:
            self.add(head)
            self.lines.append(inner)
            self.add(tail)
            return
        self.add(head)
        self.depth += 1
        for item in items:
            self.add(item + ",")
        self.depth -= 1
        self.add(tail)

    def block(self, head: str) -> Lines:
        self.add(head)
        self.depth += 1
        return self

    def end(self) -> None:
        self.depth -= 1

    def operands(self, head: str, op: str, items: list[str], tail: str) -> None:
        """`head` + items joined by the operator `op` + `tail`; if too long, parenthesized with one
        operand a line, each after its operator, as black splits it."""
        one = head + f" {op} ".join(items) + tail
        if len(INDENT * self.depth + one) <= WIDTH or len(items) == 1:
            self.add(one)
            return
        self.add(head + "(")
        self.depth += 1
        inner = f" {op} ".join(items)
        if len(INDENT * self.depth + inner) <= WIDTH:  # black keeps what fits inside the parentheses on one line
            self.add(inner)
            self.depth -= 1
            self.add(")" + tail)
            return
        self.add(items[0])
        for item in items[1:]:
            self.add(f"{op} {item}")
        self.depth -= 1
        self.add(")" + tail)

    def assign(self, target: str, expr: str) -> None:
        """`target = expr`, split as black splits it if too long: a subscript inside its
        brackets, an expression without brackets in parentheses on a line of its own."""
        one = f"{target} = {expr}"
        subscript = re.fullmatch(r"([\w.]+)\[([^][()]*)\]", expr)
        wrap = " if " in expr or not re.search(r"[][()]", expr)
        if len(INDENT * self.depth + one) <= WIDTH or not (subscript or wrap):
            self.add(one)
        elif subscript:
            self.block(f"{target} = {subscript.group(1)}[").add(subscript.group(2))
            self.end()
            self.add("]")
        else:
            self.block(f"{target} = (")
            ternary = re.fullmatch(r"(.*?) (if .*?) (else .*)", expr)
            if len(INDENT * self.depth + expr) > WIDTH and ternary:
                for part in ternary.groups():
                    self.add(part)
            else:
                self.add(expr)
            self.end()
            self.add(")")

    def text(self) -> str:
        return "\n".join(self.lines)


def _slots(names: list[str], mypyc: bool) -> str:
    """A class's slots, which equality and repr walk (for mypyc, which lays out a native class
    itself, Final: it then keeps them as a class attribute)."""
    out = Lines(1)
    items = [_string(n) for n in names]
    head = "__slots__: Final = (" if mypyc else "__slots__ = ("
    if len(items) == 1 and len(f"    {head}{items[0]},)") <= WIDTH:
        out.add(f"{head}{items[0]},)")
    else:
        out.call(head, items)
    return out.text()


def _string(text: str) -> str:
    """A double-quoted Python string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- views ---------------------------------------------------------------------------------


@dataclass
class FieldView:
    name: str  # Python attribute
    schema_name: str
    hint: str
    param: str  # the constructor parameter: `name: hint = default`
    init: str  # the expression assigned in the constructor
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
    struct_name: str  # its struct.Struct is the module's _<name>, its unpack _unpack_<name>
    fmt: str


@dataclass(frozen=True)
class _Ix:
    """An index into the flat tuple: a number, or a variable plus a number."""

    off: int
    var: str | None = None

    def __add__(self, n: int) -> _Ix:
        return _Ix(self.off + n, self.var)

    def __str__(self) -> str:
        if self.var is None:
            return str(self.off)
        return f"{self.var} + {self.off}" if self.off else self.var

    def to(self, stop: _Ix) -> str:
        """The slice from this index to `stop`, spaced as black spaces it."""
        return f"{self}:{stop}" if self.var is None else f"{self} : {stop}"


class _Flat:
    """How a method body reads the flat tuple: as `v[i]`, or as one local variable per item
    (unpacked at once, which is faster for a small layout)."""

    def __init__(self, names: list[str] | None = None) -> None:
        self.names = names

    def at(self, ix: _Ix) -> str:
        return self.names[ix.off] if self.names is not None else f"v[{ix}]"

    def seq(self, start: _Ix, stop: _Ix, step: int = 1) -> str:
        if self.names is None:
            return f"v[{start.to(stop)}]" if step == 1 else f"v[{start}:{stop}:{step}]"
        items = self.names[start.off : stop.off : step]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


LOCALS_MAX = 8  # a layout of at most this many items is unpacked into local variables


_CHECK = "\0check\0"  # a placeholder line for an array's length check


def _length_checks(out: Lines, pack_counts: bool) -> tuple[str, str, str, str] | None:
    """Replace the placeholders of array length checks with the checks. When `pack_counts` (the
    arrays' items go to one `pack`, which refuses a wrong total), the last array whose items are
    spread needs no check of its own: any wrong length of it changes the total; its check is
    returned (how it is read now, length, label, its local), for the message once `pack` has
    refused."""
    marks = [i for i, line in enumerate(out.lines) if line.startswith(_CHECK)]
    spread = [i for i in marks if out.lines[i].endswith("\x001")]
    skip = spread[-1] if pack_counts and spread else None
    lines, out.lines = out.lines, []
    depth = out.depth
    skipped = None
    for i, line in enumerate(lines):
        if not line.startswith(_CHECK):
            out.lines.append(line)
            continue
        if i == skip:
            _, var, count, label, _ = line[len(_CHECK) :].split("\0")
            # the array needs no local of its own if nothing but pack reads it
            assign = next((k for k in range(len(out.lines) - 1, -1, -1) if out.lines[k].lstrip().startswith(f"{var} = ")), None)
            word = re.compile(rf"(?<![\w.]){re.escape(var)}(?!\w)")
            others = [ln for k, ln in enumerate(out.lines) if k != assign and word.search(ln)] + [ln for ln in lines[i + 1 :] if word.search(ln)]
            local = var
            one_line = assign is not None and not out.lines[assign].endswith(("(", "[", "{"))  # not split over lines
            if one_line and " if " not in out.lines[assign] and not others:
                var = out.lines.pop(assign).lstrip()[len(f"{var} = ") :]
            skipped = (var, count, label, local)
            continue
        level, var, count, label, _ = line[len(_CHECK) :].split("\0")
        out.depth = int(level)
        out.block(f"if len({var}) != {count}:").call("raise _miscount(", [_string(label), count, var], hug=True)
        out.end()
    out.depth = depth
    return skipped


def _spread(args: list[str], local: str, expr: str) -> list[str]:
    """The pack arguments with the array `local` read as `expr` (its local was dropped)."""
    word = re.compile(rf"(?<![\w.]){re.escape(local)}(?!\w)")
    return [word.sub(expr, a) for a in args]


class _Locals:
    """Local variable names of one method body, named after the fields they hold."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, name: str) -> str:
        base = name if name not in _TAKEN else name + "_"
        cand, i = base, 2
        while cand in self.used or cand in _TAKEN:
            cand, i = f"{base}{i}", i + 1
        self.used.add(cand)
        return cand


class _Module:
    def __init__(self, schema: Schema, mypyc: bool = False):
        self.schema = schema
        self.mypyc = mypyc  # the module mypyc compiles: objects made by their constructors
        self.builders: set[tuple[str, int]] = set()  # (struct, layout) built by a function of its own
        self.inline = True  # whether the method being written writes bitmaps in place
        self.nest = True  # whether it writes the structs it embeds in place

    # names --------------------------------------------------------------------------------

    def values_map(self, e: Enum) -> str:
        return f"_{py(e)}_of"

    def layout_struct(self, st: Struct, version: int) -> str:
        """The name of a layout: its struct is `_<name>`, and the struct's `unpack` is bound as
        `_unpack_<name>` (a call of a bound method costs less than a method call, compiled by mypyc:
        decoding is where it counts)."""
        return f"{py(st)}_v{version}" if st.versioned else py(st)

    def builder(self, st: Struct, version: int) -> str:
        self.builders.add((st.name, version))
        return f"_read_{py(st)}_v{version}" if st.versioned else f"_read_{py(st)}"

    def flattener(self, st: Struct, version: int) -> str:
        self.builders.add((st.name, version))
        return f"_flat_{py(st)}_v{version}" if st.versioned else f"_flat_{py(st)}"

    # defaults ----------------------------------------------------------------------------

    def hint(self, f: Field) -> str:
        t = f.type.target
        if f.type.is_array:
            if isinstance(t, Scalar):
                return "bytes" if t.name == "u8" else "list[int]"
            return f"list[{py(t)}]"
        return "int" if isinstance(t, Scalar) else py(t)

    def enum_literal(self, e: Enum, value: int) -> str:
        member = e.member(value)
        return f"{py(e)}.{naming.ident(member, 'python')}" if member else f"{py(e)}({value})"

    def plain_default(self, f: Field) -> str:
        """An expression of the default value of field `f`: its fixed value, else zero, the first
        enum value, or a default nested value. An optional field that is None in a layout that
        has it encodes as this."""
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

    def param(self, st: Struct, f: Field) -> tuple[str, str]:
        """The constructor parameter of field `f` and the expression the constructor assigns."""
        name, hint, t = py(f), self.hint(f), f.type.target
        if f.first_version > st.layouts[0].version:
            return f"{name}: {hint} | None = None", name
        if st.version_path and f is st.version_path[0] and len(st.version_path) == 1:
            default = self.enum_literal(t, st.newest.version) if isinstance(t, Enum) else str(st.newest.version)
            return f"{name}: {hint} = {default}", name
        if f.type.is_array and not (isinstance(t, Scalar) and t.name == "u8") or isinstance(t, (Bitmap, Struct)):
            return f"{name}: {hint} | None = None", f"{self.plain_default(f)} if {name} is None else {name}"
        return f"{name}: {hint} = {self.plain_default(f)}", name

    # decoding ----------------------------------------------------------------------------

    def build(self, out: Lines, st: Struct, version: int, var: str, cls: str | None, base: _Ix, names: _Locals, flat: _Flat, only: set[int] | None = None, given: dict[int, str] | None = None) -> dict[int, str]:
        """Statements that build `var`, layout `version` of `st`, from the flat tuple `v` at `base`
        (only the fields whose id is in `only`, if given). As Python: `var` made a `cls` (unless
        None) by `_new`, then each field stored. For mypyc: the fields' values computed, then (if
        `cls`) `var` made by the class's constructor from them and from the values `given` before.
        Returns the values' expressions by field id (for mypyc)."""
        lay = st.layout_for(version) if st.versioned else st.newest
        present = {id(f) for f in lay.fields}
        if cls is not None and not self.mypyc:
            out.add(f"{var} = _new({cls})")
        values: dict[int, str] = {}
        index = base
        for f in st.fields:
            if only is not None and id(f) not in only:
                index += _field_items(f, lay.version) if id(f) in present else 0
                continue
            if id(f) not in present:
                items, expr = None, "None"
            else:
                items, expr = self.field_value(out, f, lay.version, index, names, flat)
                index += _field_items(f, lay.version)
            target = f"{var}.{py(f)}"
            if self.mypyc:
                if items is None and " for " not in expr:
                    values[id(f)] = expr
                    continue
                target = values[id(f)] = names(py(f))  # a list: a local of its own, for the call
            if items is not None:
                out.call(f"{target} = [", items, "]")  # black explodes a list literal that does not fit
            else:
                out.assign(target, expr)
        if cls is not None and self.mypyc:
            given = {**(given or {}), **values}
            out.call(f"{var} = {py(st)}(", [given[id(f)] for f in st.fields], hug=True)
        return values

    def field_value(self, out: Lines, f: Field, version: int, at: _Ix, names: _Locals, flat: _Flat) -> tuple[list[str] | None, str]:
        """The value of field `f` (statements that build it into a local before, for an object):
        the items of a list, or an expression."""
        t = f.type.target
        count = f.type.count or 0
        if not f.type.is_array:
            if isinstance(t, Struct):
                inner = _nested_layout(t, version)
                if self.nest and _items(t, inner) <= INLINE_LEAVES:
                    var = names(py(f))
                    self.build(out, t, inner, var, py(t), at, names, flat)
                    return None, var
                return None, f"{self.builder(t, inner)}(v, {at})"
            if isinstance(t, Bitmap) and not self.inline:
                return None, f"{py(t)}.from_int({flat.at(at)})"
            if isinstance(t, Bitmap):
                var = names(py(f))
                self.build_bitmap(out, t, var, flat.at(at))
                return None, var
            if isinstance(t, Enum):
                return None, f"{self.values_map(t)}[{flat.at(at)}]"
            return None, flat.at(at)
        if isinstance(t, Scalar) and t.name == "u8":
            return None, flat.at(at)
        each = _items(t, version)
        end = at + each * count
        if isinstance(t, Struct):
            inner = _nested_layout(t, version)
            if self.nest and each * count <= INLINE_LEAVES:
                items = []
                for k in range(count):
                    var = names(f"{py(f)}_{k}")
                    self.build(out, t, inner, var, py(t), at + each * k, names, flat)
                    items.append(var)
                return items, ""
            return None, f"[{self.builder(t, inner)}(v, {at} + {each} * k) for k in range({count})]"
        if isinstance(t, Bitmap):
            if self.inline and count <= INLINE_ITEMS:
                items = []
                for k in range(count):
                    var = names(f"{py(f)}_{k}")
                    self.build_bitmap(out, t, var, flat.at(at + k))
                    items.append(var)
                return items, ""
            return None, f"[{py(t)}.from_int(x) for x in {flat.seq(at, end)}]"
        if isinstance(t, Enum):
            if count <= INLINE_ITEMS:
                return [f"{self.values_map(t)}[{flat.at(at + k)}]" for k in range(count)], ""
            return None, f"list(map({self.values_map(t)}.__getitem__, {flat.seq(at, end)}))"
        if count <= INLINE_ITEMS:
            return [flat.at(at + k) for k in range(count)], ""
        return None, f"list({flat.seq(at, end)})"

    def build_bitmap(self, out: Lines, bm: Bitmap, var: str, raw: str) -> None:
        """Statements that build bitmap `var` from the integer expression `raw` (read once)."""
        if not raw.isidentifier():
            out.add(f"bits = {raw}")
            raw = "bits"
        values = [self.bit_value(bf, raw) for bf in bm.fields] + [f"{raw} & {_hex(bm.reserved_mask)}"]
        if self.mypyc:
            out.call(f"{var} = {py(bm)}(", values, hug=True)
            return
        out.add(f"{var} = _new({py(bm)})")
        for attr, value in zip([py(bf) for bf in bm.fields] + ["reserved_bits"], values):
            out.assign(f"{var}.{attr}", value)

    def bit_value(self, bf, raw: str) -> str:
        if bf.is_bool:
            return f"{raw} & {_hex(bf.mask)} != 0"
        value = f"{raw} >> {bf.shift} & {_hex(bf.value_max)}" if bf.shift else f"{raw} & {_hex(bf.value_max)}"
        return f"{self.values_map(bf.type)}[{value}]" if isinstance(bf.type, Enum) else value

    def magic_checks(self, out: Lines, st: Struct, version: int, type_name: str, size: int, flat: _Flat, only: set[str] | None = None) -> None:
        """A refusal for each magic number of layout `version` of `st`, in the order of the bytes
        (of the fields named in `only`, if given)."""
        for path, f, at, step, count in _magic_leaves(st, version):
            if only is not None and path.split(".")[0].split("[")[0] not in only:
                continue
            expected = f"{f.value_ref} ({_scalar_literal(f.value)})" if f.value_ref else _scalar_literal(f.value)
            args = [_string(type_name), str(size), _string(path), _string(expected)]
            if count == 1:
                out.block(f"if {flat.at(_Ix(at))} != {_scalar_literal(f.value)}:")
                out.call("raise _wrong(", [*args, flat.at(_Ix(at)), "len(data)"], hug=True)
            else:
                stop = at + step * count
                items = flat.seq(_Ix(at), _Ix(stop), step)
                out.block(f"if {items}.count({_scalar_literal(f.value)}) != {count}:")
                got = f"next(x for x in {items} if x != {_scalar_literal(f.value)})"
                out.call("raise _wrong(", [*args, got, "len(data)"], hug=True)
            out.end()

    # encoding ----------------------------------------------------------------------------

    def flat(self, out: Lines, st: Struct, version: int, expr: str, names: _Locals, args: list[str], label: str, only: set[int] | None = None) -> None:
        """Statements that check `expr` (a value of `st`) for layout `version`, and the pack
        arguments of its fields, appended to `args` (only the fields whose id is in `only`)."""
        lay = st.layout_for(version) if st.versioned else st.newest
        present = {id(f) for f in lay.fields}
        for f in st.fields:
            if only is not None and id(f) not in only:
                continue
            if id(f) not in present:
                block = out.block(f"if {expr}.{py(f)} is not None:")
                block.call("raise _absent(", [_string(f"{label}.{py(f)}"), str(lay.version), str(f.first_version)], hug=True)
                out.end()
        for f in lay.fields:
            if only is None or id(f) in only:
                self.flat_field(out, st, f, lay.version, f"{expr}.{py(f)}", names, args, f"{label}.{py(f)}")

    def flat_field(self, out: Lines, st: Struct, f: Field, version: int, value: str, names: _Locals, args: list[str], label: str) -> None:
        t = f.type.target
        optional = f.first_version > st.layouts[0].version
        if not f.type.is_array and isinstance(t, (Scalar, Enum)):
            if optional:
                var = names(py(f))
                out.add(f"{var} = {value}")
                out.add(f"{var} = {self.plain_default(f)} if {var} is None else {var}")
                args.append(var)
            else:
                args.append(value)
            return
        var = names(py(f))
        if optional:
            out.assign(var, f"{self.plain_default(f)} if {value} is None else {value}")
        else:
            out.add(f"{var} = {value}")
        count = f.type.count or 0
        if not f.type.is_array:
            if isinstance(t, Bitmap):
                args.append(self.packed_bitmap(out, t, var, names) if self.inline else f"int({var})")
            else:
                inner = _nested_layout(t, version)
                if self.nest and _items(t, inner) <= INLINE_LEAVES:
                    self.flat(out, t, inner, var, names, args, py(t))
                else:
                    args.append(f"*{self.flattener(t, inner)}({var})")
            return
        # the length check, placed by _length_checks: the items of a small array are passed one by
        # one (cheaper than a spread), and pack itself counts the items of one spread array
        check = len(out.lines)
        out.lines.append("")
        spread = True
        if isinstance(t, Scalar) and t.name == "u8":
            args.append(var)
            spread = False
        elif isinstance(t, (Scalar, Enum)):
            spread = count > INLINE_ITEMS
            args.extend([f"*{var}"] if spread else [f"{var}[{k}]" for k in range(count)])
        elif isinstance(t, Bitmap):
            spread = not (self.inline and count <= INLINE_ITEMS)
            if not spread:
                for k in range(count):
                    args.append(self.packed_bitmap(out, t, f"{var}[{k}]", names))
            else:
                args.append(f"*map(int, {var})")
        else:
            inner = _nested_layout(t, version)
            each = _items(t, inner)
            spread = not (self.nest and each * count <= INLINE_LEAVES)
            if not spread:
                for k in range(count):
                    item = names(f"{py(f)}_{k}")
                    out.add(f"{item} = {var}[{k}]")
                    self.flat(out, t, inner, item, names, args, py(t))
            else:
                fn = self.flattener(t, inner)
                args.append(f"*[x for item in {var} for x in {fn}(item)]")
        out.lines[check] = f"{_CHECK}{out.depth}\0{var}\0{count}\0{label}\0{int(spread)}"

    def packed_bitmap(self, out: Lines, bm: Bitmap, value: str, names: _Locals) -> str:
        """Statements that compute the integer of bitmap `value` in place: one test of every
        field's range (the bitmap's own int() names the field that does not fit), then one
        expression; returns the name of the integer."""
        src = value
        if not value.isidentifier():
            src = names(value.split(".")[-1].replace("[", "_").rstrip("]"))
            out.add(f"{src} = {value}")
        var = names(f"{src}_bits")
        tests = [f"{src}.reserved_bits & {_hex(~bm.reserved_mask & bm.type.max)}"]
        tests += [f"{src}.{py(bf)} >> {bf.width}" for bf in bm.fields if not bf.is_bool]
        out.operands("if ", "or", tests, ":")
        out.depth += 1
        out.add(f"raise {src}._error()")
        out.depth -= 1
        parts = [f"{src}.reserved_bits"]
        for bf in bm.fields:
            if bf.is_bool:
                parts.append(f"({_hex(bf.mask)} if {src}.{py(bf)} else 0)")
            else:
                parts.append(f"{src}.{py(bf)} << {bf.shift}" if bf.shift else f"{src}.{py(bf)}")
        out.operands(f"{var} = ", "|", parts, "")
        return var

    # views -------------------------------------------------------------------------------

    def field_view(self, st: Struct, f: Field) -> FieldView:
        param, init = self.param(st, f)
        optional = f.first_version > st.layouts[0].version
        note = f"Present from version {f.first_version} on; None in older messages." if optional else ""
        return FieldView(
            py(f),
            f.name,
            self.hint(f) + (" | None" if optional else ""),
            param,
            init,
            docstring(doctext.with_note(f.doc, note), "    "),
            optional,
            f.first_version,
            "bytes" if f.type.is_array and f.type.name == "u8" else f.type.kind,
            f.type.name,
            f.type.is_array,
        )

    def struct_view(self, st: Struct) -> dict:
        name = py(st)
        fields = [self.field_view(st, f) for f in st.fields]
        layouts: list[LayoutView] = []
        for lay in st.layouts:
            codes, _ = _codes(st, lay.version)
            fmt = _compress(codes)
            if struct.calcsize(fmt) != lay.size:
                raise RuntimeError(f"python target: format {fmt} of {st.name} v{lay.version} is {struct.calcsize(fmt)} bytes, layout says {lay.size}")
            layouts.append(LayoutView(lay.version, lay.size, self.layout_struct(st, lay.version), fmt))
        version_expr = version_code = version_index = None
        if st.versioned:
            version_expr = "self." + ".".join(py(f) for f in st.version_path)
            vt = st.version_type
            version_code = CODES[(vt.type if isinstance(vt, Enum) else vt).name]  # type: ignore[union-attr]
            version_index = _leaf_index(st, st.version_path)
        fixed = [(py(f), f.value, f"{f.value_ref} ({_scalar_literal(f.value)})" if f.value_ref else _scalar_literal(f.value)) for f in st.fields if f.value is not None]
        nested_verify = [
            (py(f), f.first_version > st.layouts[0].version)
            for f in st.fields
            if isinstance(f.type.target, Struct) and _has_fixed(f.type.target) and not f.type.is_array
        ]
        nested_verify_arrays = [py(f) for f in st.fields if isinstance(f.type.target, Struct) and _has_fixed(f.type.target) and f.type.is_array]
        view = {
            "kind": "struct",
            "st": st,
            "name": name,
            "schema_name": st.name,
            "doc": docstring(st.doc, "    ", end=False),
            "fields": fields,
            "layouts": layouts,
            "versioned": st.versioned,
            "oldest": layouts[0],
            "newest": layouts[-1],
            "version_expr": version_expr,
            "version_code": version_code,
            "version_index": version_index,
            "version_offset": st.version_offset,
            "version_path": ".".join(f.name for f in st.version_path),
            "newest_known": self.schema.newest_version,
            "packed": st.packed,
            "fixed": fixed,
            "has_fixed": _has_fixed(st),
            "has_magic": any(True for _ in _magic_leaves(st, st.newest.version)),
            "nested_verify": nested_verify,
            "nested_verify_arrays": nested_verify_arrays,
            "slots": _slots([fv.name for fv in fields], self.mypyc),
        }
        view["init"] = self.init_text(st, fields)
        view["from_bytes"] = self.from_bytes_text(st)
        view["to_bytes"] = self.to_bytes_text(st)
        view["verify"] = self.verify_text(st, view) if view["has_fixed"] else ""
        return view

    def verify_text(self, st: Struct, view: dict) -> str:
        out = Lines(1)
        out.add("def verify(self) -> None:")
        out.depth += 1
        name, size = py(st), str(st.newest.size)
        may_be_none = {f.name for f in view["fields"] if f.optional}  # in the versions that lack it
        for attr, value, spelled in view["fixed"]:
            present = f"self.{attr} is not None and " if attr in may_be_none else ""
            out.block(f"if {present}self.{attr} != {_scalar_literal(value)}:")
            out.call("raise _wrong(", [_string(name), size, _string(attr), _string(spelled), f"self.{attr}", size], hug=True)
            out.end()
        for attr, optional in view["nested_verify"]:
            if optional:
                out.block(f"if self.{attr} is not None:").add(f"self.{attr}.verify()")
                out.end()
            else:
                out.add(f"self.{attr}.verify()")
        loops = _Locals()  # one loop variable a type: mypy holds a variable to one type
        for attr in view["nested_verify_arrays"]:
            if attr in may_be_none:
                out.block(f"if self.{attr} is not None:")
            item = loops("each")
            out.block(f"for {item} in self.{attr}:").add(f"{item}.verify()")
            out.end()
            if attr in may_be_none:
                out.end()
        if not view["fixed"] and not view["nested_verify"] and not view["nested_verify_arrays"]:
            out.add("return None")
        return out.text()

    def init_text(self, st: Struct, fields: list[FieldView]) -> str:
        out = Lines(1)
        out.call("def __init__(", ["self", *(fv.param for fv in fields)], ") -> None:", hug=True)
        out.depth += 1
        for fv in fields:
            out.assign(f"self.{fv.name}", fv.init)
        return out.text()

    def _dispatch(self, st: Struct, lay, flat: _Flat) -> str | None:
        """The condition on the version leaf `v[k]` under which layout `lay` is the one a message uses."""
        if not st.versioned:
            return None
        i = st.layouts.index(lay)
        version = flat.at(_Ix(_leaf_index(st, st.version_path, lay.version)))
        lo = None if i == 0 else lay.version
        hi = None if i == len(st.layouts) - 1 else st.layouts[i + 1].version
        if lo is not None and hi is not None:
            return f"{lo} <= {version} < {hi}"
        if lo is not None:
            return f"{version} >= {lo}"
        return f"{version} < {hi}"

    def _unpack(self, out: Lines, st: Struct, lay, call: str) -> tuple[_Flat, _Locals]:
        """The statement that unpacks layout `lay` of `st` with `call`; how the body reads it (in
        one way for every layout of `st`, its newest decides)."""
        names = _Locals()
        self.inline = _items(st, st.newest.version) <= SMALL
        self.nest = _items(st, st.newest.version) <= INLINE_LEAVES
        if _items(st, st.newest.version) > LOCALS_MAX:
            out.add(f"v = {call}")
            return _Flat(), names
        leaves = [names(f"v{i}") for i in range(_items(st, lay.version))]
        one = f"{', '.join(leaves)} = {call}"
        if len(leaves) == 1:
            out.add(f"({leaves[0]},) = {call}")
        elif len(INDENT * out.depth + one) <= WIDTH:
            out.add(one)
        else:
            out.call("(", leaves, f") = {call}")
        return _Flat(leaves), names

    def _layout_body(self, out: Lines, st: Struct, lay, ret: str, flat: _Flat, names: _Locals) -> None:
        self.magic_checks(out, st, lay.version, py(st), lay.size, flat)
        self.build(out, st, lay.version, "o", "cls", _Ix(0), names, flat)
        if _has_fixed(st):
            out.block("if strict:").add("o.verify()")
            out.end()
        out.add(ret)

    def from_bytes_text(self, st: Struct) -> str:
        name = py(st)
        out = Lines(1)
        out.add("@classmethod")
        # no keyword-only parameter: a call of a function that has one is not specialized (Python)
        # nor parsed on the fast path (mypyc)
        params = ["cls", "data: bytes", "strict: bool = False"] + (["layout: int | None = None"] if st.versioned else [])
        out.call("def from_bytes(", params, f") -> {name}:", hug=True)
        out.depth += 1  # documented once, by the base class
        if st.versioned:
            self.versioned_decode(out, st)
            return out.text()
        lay = st.newest
        out.block(f"if len(data) == {lay.size}:")
        flat, names = self._unpack(out, st, lay, f"_unpack_{self.layout_struct(st, lay.version)}(data)")
        self._layout_body(out, st, lay, "return o", flat, names)
        out.end()
        out.call("raise _refused(", [_string(name), "data", str(lay.size), "True"], hug=True)
        return out.text()

    def versioned_decode(self, out: Lines, st: Struct) -> None:
        """The body of from_bytes of a versioned struct: the layout its size and version field
        select (or `layout`), then the fields every layout has, built once, then the others."""
        name = py(st)
        common = _common(st)
        layouts = list(reversed(st.layouts))
        out.add("n = len(data)")
        flat, names = _Flat(), _Locals()
        for i, lay in enumerate(layouts):
            out.block(f"{'if' if i == 0 else 'elif'} n == {lay.size}:")
            unpacked = self._unpack(out, st, lay, f"_unpack_{self.layout_struct(st, lay.version)}(data)")
            if i == 0:  # the newest layout's names: the others' are a prefix of them
                flat, names = unpacked
            cond = self._dispatch(st, lay, unpacked[0])
            out.operands("found = ", "or", [f"layout is None and {cond}", f"layout == {lay.version}"], "")
            out.end()
        out.block("else:").add("found = False")
        out.end()
        out.block("if not found:").call("raise _refused(", [_string(name), "data", "cls.SIZES", "True", "cls._VERSION"], hug=True)
        out.end()
        newest = st.newest
        common_names = {f.name for f in st.fields if id(f) in common}
        self.magic_checks(out, st, newest.version, name, newest.size, flat, common_names)
        # as Python, `o` made, then its fields set; for mypyc, made by its constructor in each layout
        given = self.build(out, st, newest.version, "o", None if self.mypyc else "cls", _Ix(0), names, flat, common)
        rest = {id(f) for f in st.fields} - common
        rest_names = {f.name for f in st.fields if id(f) in rest}
        for i, lay in enumerate(layouts):
            if i < len(layouts) - 1:
                out.block(f"{'if' if i == 0 else 'elif'} n == {lay.size}:")
            else:
                out.block("else:")
            self.magic_checks(out, st, lay.version, name, lay.size, flat, rest_names)
            self.build(out, st, lay.version, "o", "cls" if self.mypyc else None, _Ix(0), names, flat, rest, given)
            out.end()
        if _has_fixed(st):
            out.block("if strict:").add("o.verify()")
            out.end()
        out.add("return o")

    def to_bytes_text(self, st: Struct) -> str:
        name = py(st)
        out = Lines(1)
        if st.versioned:
            out.add("def to_bytes(self, layout: int | None = None) -> bytes:")
            out.depth += 1
            block = out.block("if layout is None:")
            block.add(f"version = self.{'.'.join(py(f) for f in st.version_path)}")
            for i, lay in enumerate(reversed(st.layouts[1:])):
                block.block(f"{'if' if i == 0 else 'elif'} version >= {lay.version}:").add(f"layout = {lay.version}")
                block.end()
            block.block("else:").add(f"layout = {st.layouts[0].version}")
            block.end()
            out.end()
            out.block("elif layout not in self.SIZES:").call("raise EncodeError(", [f'f"{name} has no layout {{layout}}; its layouts are {", ".join(str(lay.version) for lay in st.layouts)}"'], hug=True)
            out.end()
        else:
            out.add("def to_bytes(self) -> bytes:")
            out.depth += 1
        self.encode_body(out, st)
        return out.text()

    def encode_body(self, out: Lines, st: Struct) -> None:
        """The body of to_bytes after `layout` is known: the fields every layout has, checked
        once, then per layout the others and the pack."""
        name = py(st)
        common = _common(st)
        rest = {id(f) for f in st.fields} - common
        names = _Locals()
        self.inline = _items(st, st.newest.version) <= SMALL
        self.nest = _items(st, st.newest.version) <= INLINE_LEAVES
        out.block("try:")
        late: list[tuple[int | None, str, str, str]] = []  # checks left to pack, run once it refuses
        shared = self.checked_args(out, st, st.newest.version, names, common, None if st.versioned else late)
        layouts = list(reversed(st.layouts))
        for i, lay in enumerate(layouts):
            last = i == len(layouts) - 1
            if not last:
                out.block(f"if layout == {lay.version}:")
            args = self.checked_args(out, st, lay.version, names, rest, late, lay.version)
            out.call(f"return _{self.layout_struct(st, lay.version)}.pack(", shared + args, hug=True)
            if not last:
                out.end()
        out.end()
        out.block("except struct.error as e:")
        for version, var, count, label in late:
            cond = f"len({var}) != {count}" if version is None else f"layout == {version} and len({var}) != {count}"
            out.block(f"if {cond}:").call("raise _miscount(", [_string(label), count, var], ") from None", hug=True)
            out.end()
        out.add(f'raise EncodeError(f"{name}: {{e}}") from None')
        out.end()

    def checked_args(self, out: Lines, st: Struct, version: int, names: _Locals, only: set[int], late: list | None, layout: int | None = None) -> list[str]:
        """The statements that check the fields `only` of layout `version` and the pack arguments
        they give. With `late`, the arguments go to a pack that counts them, so the last array
        spread among them is left to that count (its check goes to `late`, for the message)."""
        args: list[str] = []
        start = len(out.lines)
        self.flat(out, st, version, "self", names, args, py(st), only)
        body = Lines(out.depth)
        body.lines = out.lines[start:]
        skipped = _length_checks(body, late is not None)
        out.lines[start:] = body.lines
        if skipped and late is not None:
            late.append((layout, *skipped[:3]))
            args = _spread(args, skipped[3], skipped[0])
        return args

    def builder_text(self, st: Struct, version: int) -> str:
        """The module-level functions that build and flatten layout `version` of `st` (used where
        a struct is too big to be built in place)."""
        name = py(st)
        out = Lines()
        out.call(f"def {self.builder(st, version)}(", ["v: tuple[Any, ...]", "i: int"], f") -> {name}:", hug=True)
        out.depth += 1
        out.add(f'"""Layout {version} of {name}, built from the flat tuple `v` at index `i`."""')
        self.inline = self.nest = False  # a struct built apart is part of a big layout: no code repeated
        self.build(out, st, version, "o", name, _Ix(0, "i"), _Locals(), _Flat())
        out.add("return o")
        out.depth -= 1
        out.add("")
        out.add("")
        out.call(f"def {self.flattener(st, version)}(", [f"o: {name}"], ") -> tuple[Any, ...]:", hug=True)
        out.depth += 1
        out.add(f'"""The pack arguments of layout {version} of {name}, checked."""')
        args: list[str] = []
        self.inline = self.nest = False
        self.flat(out, st, version, "o", _Locals(), args, name)
        _length_checks(out, False)
        if len(args) == 1 and len(INDENT + f"return ({args[0]},)") <= WIDTH:
            out.add(f"return ({args[0]},)")
        else:
            out.call("return (", args)
        return out.text()

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
            bits = f"Bit {f.lo}" if f.lo == f.hi else f"Bits {f.lo}..{f.hi}"
            text = doctext.with_note(f"{bits}: {f.doc}" if f.doc.strip() else f"{bits}.", f"(Since version {f.since}.)" if f.since else "")
            fields.append({"name": py(f), "schema_name": f.name, "hint": hint, "default": default, "doc": docstring(text, "    "), "bf": f, "enum": py(t) if isinstance(t, Enum) else None})
        name = py(bm)
        init = Lines(1)
        init.call("def __init__(", ["self", *(f"{f['name']}: {f['hint']} = {f['default']}" for f in fields), "reserved_bits: int = 0"], ") -> None:", hug=True)
        init.depth += 1
        for f in fields:
            init.add(f"self.{f['name']} = {f['name']}")
        init.add("self.reserved_bits = reserved_bits")
        to_int = Lines(1)
        to_int.add("def __int__(self) -> int:")
        to_int.depth += 1
        var = self.packed_bitmap(to_int, bm, "self", _Locals())
        to_int.add(f"return {var}")
        widths = ", ".join(f"{_string(py(bf))}: {bf.width}" for bf in bm.fields if not bf.is_bool)
        view_widths = "{" + widths + "}"
        from_int = Lines(1)
        from_int.add("@classmethod")
        from_int.add(f"def from_int(cls, raw: int) -> {name}:")
        from_int.depth += 1
        values = [self.bit_value(bf, "raw") for bf in bm.fields] + [f"raw & {_hex(bm.reserved_mask)}"]
        if self.mypyc:
            from_int.call(f"return {name}(", values, hug=True)
        else:
            from_int.add("o = _new(cls)")
            for attr, value in zip([py(bf) for bf in bm.fields] + ["reserved_bits"], values):
                from_int.assign(f"o.{attr}", value)
            from_int.add("return o")
        return {
            "kind": "bitmap",
            "name": name,
            "schema_name": bm.name,
            "doc": docstring(bm.doc, "    ", end=False),
            "fields": fields,
            "bm": bm,
            "code": CODES[bm.type.name],
            "slots": _slots([f["name"] for f in fields] + ["reserved_bits"], self.mypyc),
            "init": init.text(),
            "to_int": to_int.text(),
            "widths": view_widths,
            "from_int": from_int.text(),
        }

    def enum_view(self, e: Enum) -> dict:
        name = py(e)
        members = [naming.ident(v, "python") for v in e.values]
        tail = Lines()
        pairs = [f"{v.value}: {_string(m)}" for v, m in zip(e.values, members)]
        names = Lines(1)
        names.call("{", pairs, "}")
        if len(names.lines) == 1:
            tail.call(f"{self.values_map(e)}: Final = _Values(", [name, names.lines[0].lstrip()], hug=True)
        else:
            tail.add(f"{self.values_map(e)}: Final = _Values(")
            tail.depth += 1
            tail.add(f"{name},")
            tail.call("{", pairs, "},")
            tail.depth -= 1
            tail.add(")")
        return {
            "tail": tail.text(),
            "kind": "enum",
            "name": py(e),
            "schema_name": e.name,
            "doc": docstring(e.doc, "    ", end=False),
            "members": [{"name": naming.ident(v, "python"), "schema_name": v.name, "value": v.value, "doc": docstring(doctext.with_note(v.doc, f"(Since version {v.since}.)" if v.since else ""), "    ")} for v in e.values],
            "code": CODES[e.type.name],
            "type": e.type,
            "values_map": self.values_map(e),
        }


def _common(st: Struct) -> set[int]:
    """The ids of the fields of `st` that every layout has and reads and writes alike: those of
    the oldest layout but an embedded versioned struct (whose layout follows the outer one)."""
    return {id(f) for f in st.layouts[0].fields if not (isinstance(f.type.target, Struct) and f.type.target.versioned)}


def _leaf_index(st: Struct, path: list[Field], version: int | None = None) -> int:
    """The index in the flat tuple of layout `version` (default: the oldest) of the leaf that
    `path` (a field of `st`, then of the struct it embeds, ...) names."""
    at = 0
    cur = st
    v = st.layouts[0].version if version is None else version
    for f in path:
        lay = cur.layout_for(v) if cur.versioned else cur.newest
        for g in lay.fields:
            if g is f:
                break
            at += _field_items(g, lay.version)
        t = f.type.target
        if isinstance(t, Struct):
            v = _nested_layout(t, lay.version)
            cur = t
    return at


def _magic_leaves(st: Struct, version: int, base: int = 0, prefix: str = ""):
    """(dotted path, field, first index, step, count) of every magic number of layout `version`."""
    lay = st.layout_for(version) if st.versioned else st.newest
    at = base
    for f in lay.fields:
        n = _field_items(f, lay.version)
        t = f.type.target
        if f.magic and f.value is not None:
            yield prefix + f.name, f, at, 1, 1
        elif isinstance(t, Struct):
            inner = _nested_layout(t, lay.version)
            if f.type.is_array:
                each = _items(t, inner)
                for path, g, i, _, _ in _magic_leaves(t, inner, 0, ""):
                    yield f"{prefix}{f.name}[].{path}", g, at + i, each, f.type.count or 0
            else:
                yield from _magic_leaves(t, inner, at, f"{prefix}{f.name}.")
        at += n


_FIXED: dict[int, bool] = {}  # id of a struct -> whether it or what it embeds has a fixed value


def _has_fixed(st: Struct) -> bool:
    if id(st) not in _FIXED:
        _FIXED[id(st)] = any(f.value is not None or isinstance(f.type.target, Struct) and _has_fixed(f.type.target) for f in st.fields)
    return _FIXED[id(st)]


def _table(out: Lines, head: str, rows: list[tuple[str, list[str] | str]], brackets: str = "[]") -> None:
    """A module-level dict literal, one key a line (black keeps it so: a trailing comma); a list
    value is a list (or, with `brackets` "{}", the items of a dict)."""
    if not rows:
        out.add(head + "{}")
        return
    out.add(head + "{")
    out.depth += 1
    opening, closing = brackets
    for key, value in rows:
        if isinstance(value, str):
            out.add(f"{_string(key)}: {value},")
        elif value:
            out.call(f"{_string(key)}: {opening}", value, f"{closing},")
        else:
            out.add(f"{_string(key)}: {brackets},")
    out.depth -= 1
    out.add("}")


def codec_tables(schema: Schema, structs: list[dict], bitmaps: list[dict], enums: list[dict]) -> str:
    """The tables of the codec module: fields, format codes, classes and layouts of every type."""
    out = Lines()
    out.add("# Per struct: (schema field name, Python attribute, kind, type name, is an array).")
    if not structs:
        out.add("STRUCT_FIELDS: dict[str, list[tuple[str, str, str, str, bool]]] = {}")
    else:
        out.add("STRUCT_FIELDS: dict[str, list[tuple[str, str, str, str, bool]]] = {")
        out.depth += 1
        for view in structs:
            out.add(f"{_string(view['schema_name'])}: [")
            out.depth += 1
            for f in view["fields"]:
                out.call("(", [_string(f.schema_name), _string(f.name), _string(f.kind), _string(f.type_name), str(f.is_array)], "),")
            out.depth -= 1
            out.add("],")
        out.depth -= 1
        out.add("}")
    out.add("# Per bitmap: (schema field name, Python attribute, the field's enum or \"\").")
    rows = [(b["schema_name"], [f"({_string(f['schema_name'])}, {_string(f['name'])}, {_string(f['bf'].type.name if f['enum'] else '')})" for f in b["fields"]]) for b in bitmaps]
    _table(out, "BITMAP_FIELDS: dict[str, list[tuple[str, str, str]]] = ", rows)
    out.add("# Per enum: its struct format code.")
    _table(out, "ENUM_CODES: dict[str, str] = ", [(e["schema_name"], _string(e["code"])) for e in enums])
    out.add("# Python class of every type.")
    _table(out, "CLASSES: dict[str, Any] = ", [(t["schema_name"], f"m.{t['name']}") for t in enums + bitmaps + structs])
    out.add("# The layouts of every struct (keys of SIZES).")
    layouts = []
    for s in structs:
        versions = [str(lay.version) for lay in s["layouts"]]
        layouts.append((s["schema_name"], f"({versions[0]},)" if len(versions) == 1 else f"({', '.join(versions)})"))
    _table(out, "LAYOUTS: dict[str, tuple[int, ...]] = ", layouts)
    return out.text()


def test_tables(structs: list[dict], enums: list[dict]) -> str:
    """The tables of the generated test: sizes, version fields and added fields of every struct,
    and the Python name of every enum value."""
    out = Lines()
    out.add("# Size of every layout of every struct, as the layout engine computed it.")
    rows = [(s["schema_name"], "{" + ", ".join(f"{lay.version}: {lay.size}" for lay in s["layouts"]) + "}") for s in structs]
    _table(out, "SIZES: dict[str, dict[int, int]] = ", rows)
    out.add("# Versioned structs: (offset of the version field, its format code, newest version known).")
    rows = [(s["schema_name"], f'({s["version_offset"]}, {_string(s["version_code"])}, {s["newest_known"]})') for s in structs if s["versioned"]]
    _table(out, "VERSION_FIELDS: dict[str, tuple[int, str, int]] = ", rows)
    out.add("# Fields a struct itself adds after its first version: (struct, Python attribute).")
    added = [f"({_string(s['schema_name'])}, {_string(f.name)})" for s in structs for f in s["fields"] if f.optional]
    if added:
        out.call("ADDED_FIELDS: list[tuple[str, str]] = [", added, "]")
    else:
        out.add("ADDED_FIELDS: list[tuple[str, str]] = []")
    out.add("# Every enum value: its Python name by its schema name.")
    rows = [(e["schema_name"], [f"{_string(v['schema_name'])}: {_string(v['name'])}" for v in e["members"]]) for e in enums]
    _table(out, "ENUM_NAMES: dict[str, dict[str, str]] = ", rows, "{}")
    return out.text()


def _constant(c) -> dict:
    """A constant as the module writes it: an int, or (typed by an enum) the enum's member."""
    view = {"name": naming.ident(c, "python"), "value": _scalar_literal(c.value), "doc": c.doc, "type": c.type.name, "hint": "int"}
    if isinstance(c.type, Enum):
        member = c.type.member(c.value)
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
    magics = [
        {"path": mg.path, "offset": mg.offset, "code": "<" + CODES[f"u{mg.scalar.bits}"], "value": f"0x{mg.value:X}", "hex": f"{mg.value:#x}", "since": mg.first_version if mg.first_version > msg.layouts[0].version else None}
        for mg in msg.layouts[-1].magics
    ]
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
        "magics": magics,
        "codes": sorted({ln["code"] for ln in lengths} | {mg["code"] for mg in magics} | ({version["code"]} if version else set())),
    }


def context(schema: Schema, mypyc: bool = False) -> dict:
    _ITEMS.clear()
    _FIXED.clear()
    m = _Module(schema, mypyc)
    constants = [_constant(c) for c in schema.constants]
    structs = [m.struct_view(s) for s in schema.structs]
    bitmaps = [m.bitmap_view(b) for b in schema.bitmaps]
    # the functions of structs built apart (collected while the structs above were viewed)
    done: set[tuple[str, int]] = set()
    builders: dict[str, list[str]] = {}
    while m.builders - done:
        for key in sorted(m.builders - done):
            done.add(key)
            builders.setdefault(key[0], []).append(m.builder_text(schema.type(key[0]), key[1]))  # type: ignore[arg-type]
    for view in structs:
        view["builders"] = builders.get(view["schema_name"], [])
    enums = [m.enum_view(e) for e in schema.enums]
    return {
        "schema": schema,
        "banner": banner(schema).lines,
        "module_doc": docstring((schema.title + "\n\n" if schema.title else "") + schema.doc, end=False),
        "constants": [c for c in constants if c["hint"] == "int"],
        "enum_constants": [c for c in constants if c["hint"] != "int"],
        "messages": [message_view(msg) for msg in schema.messages],
        "code_names": {"<B": "_U8", "<H": "_U16", "<I": "_U32", "<Q": "_U64"},
        "enums": enums,
        "bitmaps": bitmaps,
        "tables": codec_tables(schema, structs, bitmaps, enums),
        "sizes": test_tables(structs, enums),
        # the generated tests of versioned structs and of added fields, written only where they have cases
        "any_versioned": any(s["versioned"] for s in structs),
        "any_added": any(f.optional for s in structs for f in s["fields"]),
        "structs": structs,
        "docstring": docstring,
        "mypyc": mypyc,
        # for mypyc: a Python class, a native base class, a native class
        "python_class": "@mypyc_attr(native_class=False)\n" if mypyc else "",
        "native_base": "@mypyc_attr(acyclic=True)\n" if mypyc else "",
        "native": "@mypyc_attr(acyclic=True, free_list_len=1)\n" if mypyc else "",
    }


def _fits(source: str) -> bool:
    """True if no line is longer than black allows, except what black leaves long too: a string,
    a comment, a line of a docstring."""
    in_string = False
    for line in source.splitlines():
        if len(line) > WIDTH and not in_string and not line.lstrip().startswith(('"', "f\"", "#")):
            return False
        if line.count('"""') % 2:
            in_string = not in_string
    return True


def _format(source: str, always: bool = False) -> str:
    """The source as black formats it: emitted formatted, so black runs only if a line that black
    would split is too long (a name the schema made long), or `always` (the message API, whose
    template leaves the formatting to black)."""
    if _fits(source) and not always:
        return source
    mode = black.Mode(target_versions={black.TargetVersion.PY311})
    return cache.formatted(f"black {black.__version__} {mode!r}", source, lambda text: black.format_str(text, mode=mode))


def _environment() -> jinja2.Environment:
    env = environment("python")
    env.filters["docstring"] = docstring
    env.filters["pyint"] = _scalar_literal
    return env


def render(schema: Schema) -> dict[str, str]:
    env = _environment()
    ctx = context(schema)
    messages = bool(schema.messages)
    module = _format(env.get_template("module.py.j2").render(ctx), always=messages)
    tests = _format(env.get_template("test_module.py.j2").render(ctx))
    codec_text = _format(env.get_template("codec.py.j2").render(ctx), always=messages)
    return {f"python/{schema.name}.py": module, f"python/test_{schema.name}.py": tests, f"python/codec_{schema.name}.py": codec_text}


# --- names ------------------------------------------------------------------------------------

# What the module imports or defines at module level, besides the schema's types and constants
# (its private helpers start with an underscore, which no schema name or override may).
MODULE_NAMES = "annotations struct Sized Iterable Any Callable ClassVar Final Generic Self TypeVar dataclass field mypyc_attr DecodeError EncodeError".split()
# Its private helpers (and those it makes for each type, named by _Module: `_{Name}_of`...).
PRIVATE_NAMES = "_new _E _ClassT _Values _Value _OpenEnum _Bitmap _Struct _Versioned _refused _wrong _miscount _absent".split()
# What a class has besides the schema's fields or values.
STRUCT_MEMBERS = "SIZE SIZES VERSIONS to_bytes from_bytes from_prefix layout_version is_newer_version verify".split()
BITMAP_MEMBERS = "reserved_bits SIZE RESERVED_MASK from_int to_bytes from_bytes from_prefix verify".split()
MESSAGE_MEMBERS = "VERSIONS FIXED_SIZES parse build".split()
ENUM_MEMBERS = "name real imag numerator denominator conjugate bit_length bit_count to_bytes from_bytes as_integer_ratio is_integer".split()


def declare(schema: Schema) -> list[Problem]:
    """Every name the Python module declares, by scope, with what declared it; the clashes
    (naming.Scope). A class body also sees the module's type names (its annotations name them)."""
    module = naming.Scope("python", "the module", schema)
    module.reserve(MODULE_NAMES + PRIVATE_NAMES, "the generated module's")
    for c in schema.constants:
        module.claim(py(c), c, f"constant {c.name}")
    m = _Module(schema)
    for t in schema.types:
        module.claim(py(t), t, f"{t.kind} {t.name}")
        if isinstance(t, Enum):
            privates = [m.values_map(t)]
        elif isinstance(t, Struct):
            privates = [name(t, lay.version) for lay in t.layouts for name in (m.builder, m.flattener)]
            privates += [prefix + m.layout_struct(t, lay.version) for lay in t.layouts for prefix in ("_", "_unpack_")]
        else:
            privates = []
        for private in privates:
            module.claim(private, t, f"{t.kind} {t.name}'s `{private}`")
    for msg in schema.messages:
        module.claim(py(msg), msg, f"message {msg.name}")
    scopes = [module]
    types = {py(u): u for u in schema.types}

    def claim(cls: naming.Scope, item: Item, what: str, owner: Item) -> None:
        """A member of the class of `owner`: it may not be named like another type of the module
        (looked up, not copied into each class: that was quadratic in the number of types)."""
        n = py(item)
        u = types.get(n)
        if u is not None and u is not owner and cls.owner.get(n, (None, ""))[0] is None:
            cls.owner[n] = (u, f"{u.kind} {u.name}")
        cls.claim(n, item, what)

    for msg in schema.messages:
        cls = naming.Scope("python", f"class {py(msg)}", schema)
        cls.reserve(MESSAGE_MEMBERS, "the generated class's")
        for part in msg.parts:
            claim(cls, part, f"part {msg.name}.{part.name}", msg)
        scopes.append(cls)
    for t in schema.types:
        cls = naming.Scope("python", f"class {py(t)}", schema)
        if isinstance(t, Enum):
            cls.reserve(ENUM_MEMBERS, "int's or the enum's")
            members = [(v, f"value {t.name}.{v.name}") for v in t.values]
        else:
            cls.reserve(STRUCT_MEMBERS if isinstance(t, Struct) else BITMAP_MEMBERS, "the generated class's")
            members = [(f, f"field {t.name}.{f.name}") for f in t.fields]
        for item, what in members:
            claim(cls, item, what, t)
        scopes.append(cls)
    return [p for s in scopes for p in s.problems]


def render_mypyc(schema: Schema) -> str:
    """The module of `schema` as mypyc compiles it (`wiregen compile`): the same API and answers as
    the module `render` writes, its classes native to mypyc (objects made by their constructors,
    which mypyc compiles to direct calls; not tracked by the cycle collector; each with a free
    list of one object), its enums and errors Python classes."""
    return _format(_environment().get_template("module.py.j2").render(context(schema, mypyc=True)), always=bool(schema.messages))
