"""Hypothesis strategies for random schemas: every construct of the language, hostile names and docs.

A schema is drawn as plain data (the dict a YAML file holds) and is valid by construction most
of the time: fields are laid out here with explicit reserved padding, so no implicit padding is
left; versions are appended in order; sizes and offsets asserted are the ones the fields give.
Names are drawn from every target's keywords, builtins, standard modules and crates, the generated
API's own names and near-collisions of one another (case, underscores, `V<n>` suffixes, accessor
prefixes); the generator must rename them, or refuse the schema with positioned problems. Docs are
drawn from hostile text. The fuzzer (tests/fuzz.py) runs what is drawn through every target.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st

# --- names ----------------------------------------------------------------------------------

_WORDS = (
    # Python keywords, soft keywords, builtins and modules the generated code uses
    keyword.kwlist
    + keyword.softkwlist
    + """int bool bytes str list tuple dict len type object isinstance super cls self struct dataclass
    dataclasses field fields ClassVar Optional Any annotations typing enum json sys pytest mypy Path
    print id hash iter next format repr range slice property classmethod staticmethod
    Iterable Sequence collections abc os re io test tests m build dump""".split()
    # Rust keywords, prelude, crates, derives and the methods bitfield-struct and zerocopy give
    + """as break const continue crate else enum extern false fn for if impl in let loop match mod move
    mut pub ref return Self static super trait true unsafe use where while async await dyn abstract
    become box do final macro override priv typeof unsized virtual yield try gen union raw safe core
    std alloc zerocopy bitfield_struct bitfield new from_bits into_bits from into default fmt clone eq
    ne hash read_from_bytes read_from_prefix read_from_suffix as_bytes as_mut_bytes write_to size_of
    new_zeroed Option Some None Result Ok Err Vec String Box Default Debug Clone Copy PartialEq Eq
    Hash PartialOrd Ord FromBytes IntoBytes Immutable KnownLayout BufferTooShort Codec Object Out
    Refusal check bytes_of prefix vectors layout_version reply short bad_input write_str main
    with_x set_x x_checked X_BITS X_OFFSET""".split()
    # C and C++ keywords, standard macros and typedefs, the generated test's and codec's names
    + """auto case char double float goto inline long register restrict short signed sizeof switch
    typedef unsigned void volatile _Bool alignas alignof bool catch class delete explicit export
    friend mutable namespace noexcept nullptr operator private protected public template this throw
    typename using NULL EOF BUFSIZ offsetof errno assert stdin stdout stderr near far linux unix TRUE
    FALSE int8_t uint32_t size_t UINT32_MAX INT8_MIN SIZE_MAX CHECK_U check_u passed failed tests
    fail print_u handle types decoder""".split()
    # the generated API
    + """to_bytes from_bytes from_prefix from_int size SIZE SIZES VERSIONS is_newer_version
    reserved_bits replace verify RESERVED_MASK SIZE_V1 VERSION_OFFSET reserved _reserved
    version data value name kind mode flags""".split()
)

_TYPE = re.compile(r"[A-Z][A-Za-z0-9]*")
_FIELD = re.compile(r"[a-z][a-z0-9_]*")
_CONST = re.compile(r"[A-Z][A-Z0-9_]*")


def _camel(word: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in word.split("_") if p)


TYPE_NAMES = sorted(
    {w for w in _WORDS if _TYPE.fullmatch(w)}
    | {_camel(w) for w in _WORDS if _TYPE.fullmatch(_camel(w) or "-")}
    | {"Msg", "MsgV1", "MsgV2", "Header", "HeaderV1", "Ab", "AB", "ABc", "AbC", "Flags", "FLAGS", "Test", "Core"}
)
FIELD_NAMES = sorted(
    {w for w in _WORDS if _FIELD.fullmatch(w)}
    | {"x", "y", "n", "on", "off", "x_", "with_x", "set_x", "x_checked", "type_", "self_", "a", "a_b", "ab", "a__b", "v1", "v2"}
)
CONST_NAMES = sorted(
    {w for w in _WORDS if _CONST.fullmatch(w)}
    | {w.upper() for w in _WORDS if _CONST.fullmatch(w.upper())}
    | {"A", "B", "X", "X_", "ON", "OFF", "YES", "NO", "Y", "N", "NONE", "TRUE_", "V1", "MSG_V1"}
)
OVERRIDES = sorted(set(TYPE_NAMES) | set(FIELD_NAMES) | set(CONST_NAMES) | {"_", "_x", "__init__", "x__", "X"})
SCHEMA_NAMES = sorted({w for w in _WORDS if re.fullmatch(r"[a-z][a-z0-9_]*", w)} | {"con", "nul", "aux", "com1", "lpt1", "msg", "codec_msg", "test_msg"})


UNESCAPABLE = ["Self", "None", "True", "False"]  # refused: drawn now and then only


def _fresh(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(0, 999).map(lambda i: f"{prefix}{i}")


def _names(pool: list[str], prefix: str) -> st.SearchStrategy[str]:
    hostile = [n for n in pool if n not in UNESCAPABLE]
    return st.integers(0, 999).flatmap(lambda k: st.sampled_from(UNESCAPABLE) if k == 517 and prefix != "f" else st.sampled_from(hostile) if k < 600 else _fresh(prefix))


def type_name() -> st.SearchStrategy[str]:
    return _names(TYPE_NAMES, "T")


def field_name() -> st.SearchStrategy[str]:
    return _names(FIELD_NAMES, "f")


def const_name() -> st.SearchStrategy[str]:
    return _names(CONST_NAMES, "C")


def overrides() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(["c", "rust", "python"]), st.one_of(st.sampled_from(OVERRIDES), _fresh("o"), _fresh("O")), max_size=2)


# --- docs -----------------------------------------------------------------------------------

FRAGMENTS = [
    '"', '""', '"""', "'''", "'", "\\", "\\\\", "\\n", "*/", "/*", "//", "/**", "#", "-->", "<!--",
    "```", "```rust\nfn main() {}\n```", "```compile-fail\nx\n```", "```\n#[test]\nfn t() {}\n```",
    "~~~\ncode\n~~~", "````\n```\n````", "    indented code\n    more", "\tTabbed", "#[test]",
    "fn main() {}", "- item\ncontinued lazily", "1. one\n2. two\nlazy", "* a\n  * b\n      over-indented",
    "> quote\nlazy", "[^1]", "[^1]: note", "[SomeType]", "[link](Bar)", "[x](https://example.com)",
    "Vec<u8>", "<script>alert(1)</script>", "<b>bold</b>", "</details>", "https://example.com/a_(b).",
    "<https://example.com>", "<javascript:alert(1)>", "www.example.com", "{{ x }}", "{% if x %}", "${x}",
    "%s %d", "`code`", "``", "`` ` ``", "|", "| a | b |\n|---|---|\n| 1 | 2 |", "* * *", "---", "===",
    "# Heading", "Setext\n===", "1) paren", "\\<b>", "\\`", "&lt;", "&#0;", "&amp;", "**bold**",
    "_under_", "~~strike~~", "é", "日本語", "😀", "مرحبا", "\u200d", "\u00a0", "\ufeff", "e\u0301",
    "\u2060", "\ufffe", "\U0010fffd", "??/", "??=", "trailing\\", "a\\\nb", "\x0b", "\x00", "\x1b[31m",
    "\x7f", "\u202e", "\u2066", "\u2028", "\r", "\x85", "TODO", "x" * 120, "word " * 30,
]
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_SAFE_FRAGMENTS = [f for f in FRAGMENTS if not _REFUSED.search(f)]


def doc() -> st.SearchStrategy[str]:
    """Hostile text: mostly fragments that every target must carry (a few that the loader refuses)."""
    text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12)
    piece = st.integers(0, 399).flatmap(
        lambda k: st.sampled_from(FRAGMENTS) if k == 217 else text.filter(lambda s: not _REFUSED.search(s)) if k < 50 else st.sampled_from(_SAFE_FRAGMENTS)
    )
    weights = st.sampled_from([" ", "\n", "\n\n", "", " ", " "])
    return st.lists(st.tuples(piece, weights), min_size=1, max_size=5).map(lambda parts: "".join(p + s for p, s in parts).strip(" "))


def maybe_doc() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.none(), doc())


# --- schemas --------------------------------------------------------------------------------

SCALARS = {"u8": (1, False), "u16": (2, False), "u32": (4, False), "u64": (8, False), "i8": (1, True), "i16": (2, True), "i32": (4, True), "i64": (8, True)}


def _range(scalar: str) -> tuple[int, int]:
    size, signed = SCALARS[scalar]
    bits = size * 8
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def _value(draw: Any, scalar: str) -> int:
    lo, hi = _range(scalar)
    return draw(st.one_of(st.sampled_from([lo, hi, 0, 1]), st.integers(lo, hi)).filter(lambda v: lo <= v <= hi))


@dataclass
class _Type:
    """What the schema being drawn defines, as far as other definitions need it."""

    name: str
    kind: str  # enum | bitmap | struct
    size: int
    align: int
    scalar: str = ""  # enum and bitmap: the underlying type
    values: list[tuple[str, int]] = field(default_factory=list)  # enum
    versioned: bool = False
    depth: int = 1  # structs: levels of nesting, itself included
    fields: list[tuple[str, str, bool]] = field(default_factory=list)  # structs: (name, type, plain: not an array, fixed or reserved)


def _item(draw: Any, data: dict[str, Any], versions: list[int] | None, since_ok: bool = True) -> dict[str, Any]:
    """The optional keys every item may carry: doc, names, since."""
    d = draw(maybe_doc())
    if d is not None:
        data["doc"] = d
    if draw(st.integers(0, 9)) == 0:
        data["names"] = draw(overrides())
    if since_ok and versions and len(versions) > 1 and draw(st.integers(0, 4)) == 0:
        data["since"] = draw(st.sampled_from(versions))
    return data


def _unique(draw: Any, names: st.SearchStrategy[str], taken: set[str], fallback: str) -> str:
    for _ in range(5):
        n = draw(names)
        if n not in taken:
            taken.add(n)
            return n
    n = f"{fallback}{len(taken)}"
    taken.add(n)
    return n


@st.composite
def schema(draw: Any, name: str | None = None) -> dict[str, Any]:
    """One schema as plain data."""
    out: dict[str, Any] = {"schema": name or draw(st.one_of(st.sampled_from(SCHEMA_NAMES), _fresh("s"), _fresh("s")))}
    if draw(st.booleans()):
        out["title"] = draw(doc())
    d = draw(maybe_doc())
    if d is not None:
        out["doc"] = d
    out["endian"] = "little"
    versions: list[int] | None = draw(
        st.one_of(st.none(), st.sampled_from([[1], [1, 2], [1, 2, 3], [2, 3], [1, 3, 7], [1, 256], [0, 1]]))
    )
    if versions is not None:
        out["versions"] = versions
    scope: set[str] = set()  # types and constants share one scope
    types: list[_Type] = []
    constants: list[tuple[str, str, int]] = []

    for _ in range(draw(st.integers(0, 3))):
        cname = _unique(draw, const_name(), scope, "K")
        ctype = draw(st.sampled_from(list(SCALARS)))
        c = _item(draw, {"name": cname, "type": ctype, "value": _value(draw, ctype)}, None, since_ok=False)
        constants.append((cname, ctype, c["value"]))
        out.setdefault("constants", []).append(c)

    for _ in range(draw(st.integers(0, 3))):
        ename = _unique(draw, type_name(), scope, "Z")
        etype = draw(st.sampled_from(list(SCALARS)))
        lo, hi = _range(etype)
        values: list[dict[str, Any]] = []
        taken_names: set[str] = set()
        taken_values: set[int] = set()
        for _ in range(draw(st.integers(1, 6))):
            v = _value(draw, etype)
            if v in taken_values:
                continue
            taken_values.add(v)
            values.append(_item(draw, {"name": _unique(draw, const_name(), taken_names, "K"), "value": v}, versions))
        e = _item(draw, {"name": ename, "type": etype, "values": values}, versions)
        types.append(_Type(ename, "enum", SCALARS[etype][0], SCALARS[etype][0], etype, [(v["name"], v["value"]) for v in values]))
        out.setdefault("enums", []).append(e)

    for _ in range(draw(st.integers(0, 3))):
        bname = _unique(draw, type_name(), scope, "Z")
        btype = draw(st.sampled_from(["u8", "u16", "u32", "u64"]))
        width = SCALARS[btype][0] * 8
        fields: list[dict[str, Any]] = []
        taken: set[str] = set()
        bit = draw(st.integers(0, 3))
        while bit < width and len(fields) < 6 and draw(st.integers(0, 5)) > 0:
            fname = _unique(draw, field_name(), taken, "z")
            span = draw(st.sampled_from([1, 1, 2, 3, 8, 16]))
            hi = min(bit + span - 1, width - 1)
            if hi == bit and draw(st.booleans()):
                f = {"name": fname, "bit": bit}
            else:
                f = {"name": fname, "bits": [bit, hi]}
                fits = [
                    e
                    for e in types
                    if e.kind == "enum" and not SCALARS[e.scalar][1] and SCALARS[e.scalar][0] * 8 >= hi - bit + 1 and all(0 <= v < (1 << (hi - bit + 1)) for _, v in e.values)
                ]
                wide = [s for s in ("u8", "u16", "u32", "u64") if SCALARS[s][0] * 8 >= hi - bit + 1]
                choice = draw(st.sampled_from([None] + wide + [e.name for e in fits]))
                if choice is not None:
                    f["type"] = choice
            fields.append(_item(draw, f, versions))
            bit = hi + 1 + draw(st.sampled_from([0, 0, 1, 3]))
        b = _item(draw, {"name": bname, "type": btype, "fields": fields}, versions)
        types.append(_Type(bname, "bitmap", SCALARS[btype][0], SCALARS[btype][0], btype))
        out.setdefault("bitmaps", []).append(b)

    chain = draw(st.sampled_from([0] * 12 + [2, 5, 20]))  # now and then, a deep chain of nested structs
    for i in range(draw(st.integers(0, 3)) + chain):
        deep = i < chain
        s = _struct(draw, _unique(draw, type_name(), scope, "Z"), types, constants, versions, deep=deep)
        if s is not None:
            out.setdefault("structs", []).append(s)

    for _ in range(draw(st.integers(0, 2))):
        m = _message(draw, _unique(draw, type_name(), scope, "M"), types, versions)
        if m is not None:
            out.setdefault("messages", []).append(m)
    return out


def _message(draw: Any, name: str, types: list[_Type], versions: list[int] | None) -> dict[str, Any] | None:
    """A message: struct parts (later ones from a version on), maybe a payload, length fields."""
    partable = [t for t in types if t.kind == "struct" and not t.versioned]
    if not partable:
        return None
    known = versions or [1, 2, 3]
    taken: set[str] = set()
    parts: list[dict[str, Any]] = []
    first = draw(st.sampled_from(partable))
    unsigned = ("u8", "u16", "u32", "u64")
    enums = {t.name: t for t in types if t.kind == "enum"}
    # an unsigned field that holds every version of its message (a narrower one is refused, as it should be)
    candidates = [
        f
        for f, t, plain in first.fields
        if plain and (t in unsigned or (t in enums and not SCALARS[enums[t].scalar][1])) and max(known) < 256 ** SCALARS[enums[t].scalar if t in enums else t][0]
    ]
    parts.append(_item(draw, {"name": _unique(draw, field_name(), taken, "p"), "type": first.name}, None, since_ok=False))
    since = 0
    for _ in range(draw(st.integers(0, 2))):
        part: dict[str, Any] = {"name": _unique(draw, field_name(), taken, "p"), "type": draw(st.sampled_from(partable)).name}
        if candidates and len(known) > 1 and (since or draw(st.booleans())):  # appended: in since order
            since = draw(st.integers(max(since, 1), len(known) - 1))
            part["since"] = known[since]
        parts.append(_item(draw, part, None, since_ok=False))
    payload = None
    if draw(st.booleans()):
        payload = _unique(draw, field_name(), taken, "p")
        blob: dict[str, Any] = {"name": payload, "payload": draw(st.sampled_from(["bytes", "Blob", "Claims"]))}
        if draw(st.booleans()):
            blob["format"] = draw(st.sampled_from(["binary", "text", "json"]))
        parts.append(_item(draw, blob, None, since_ok=False))
    m: dict[str, Any] = {"name": name, "parts": parts}
    head = parts[0]["name"]
    version_field = None
    if candidates and (since or draw(st.integers(0, 3)) == 0):
        version_field = draw(st.sampled_from(candidates))
        m["version_field"] = f"{head}.{version_field}"
        if draw(st.booleans()):
            m["version_agreement"] = draw(st.sampled_from(["refused", "negotiated", "none"]))
    lengths = []
    counting = [f for f, t, plain in first.fields if plain and t in ("u16", "u32", "u64") and f != version_field]
    for counted in draw(st.lists(st.sampled_from(counting), unique=True, max_size=2)) if counting else []:
        counts: Any = draw(st.sampled_from(["message", "payload", "from"] if payload else ["message", "from"]))
        if counts == "from":
            counts = {"from": draw(st.sampled_from([head, f"{head}.{counted}"] + [p["name"] for p in parts[1:] if "since" not in p and "payload" not in p]))}
        length: dict[str, Any] = {"field": f"{head}.{counted}", "counts": counts}
        d = draw(maybe_doc())
        if d is not None:
            length["doc"] = d
        lengths.append(length)
    if lengths:
        m["lengths"] = lengths
    return _item(draw, m, versions)


def _field_shape(t: str, types: list[_Type]) -> tuple[int, int]:
    if t in SCALARS:
        return SCALARS[t][0], SCALARS[t][0]
    tt = next(x for x in types if x.name == t)
    return tt.size, tt.align


def _struct(draw: Any, name: str, types: list[_Type], constants: list[tuple[str, str, int]], versions: list[int] | None, deep: bool) -> dict[str, Any] | None:
    """A struct with no implicit padding: reserved fields fill every hole and every version's tail."""
    known = versions or [1, 2, 3]
    packed = draw(st.integers(0, 6)) == 0
    plain_structs = [t for t in types if t.kind == "struct" and not t.versioned]
    versioned_structs = [t for t in types if t.kind == "struct" and t.versioned]
    taken: set[str] = set()
    # (name, type, count or constant, extra keys, version group)
    fields: list[tuple[str, str, int | str | None, dict[str, Any], int]] = []

    def pick_type() -> str:
        kinds = list(SCALARS) + [t.name for t in types if t.kind in ("enum", "bitmap")] + [t.name for t in plain_structs if t.depth < 63]
        return draw(st.sampled_from(kinds))

    if deep and plain_structs:
        fields.append((_unique(draw, field_name(), taken, "z"), plain_structs[-1].name, None, {}, 0))
    version_field = None
    groups = [0]
    if len(known) > 1 and not deep and draw(st.integers(0, 2)) == 0:
        vtypes = ["u8", "u16", "u32", "u64", "i32"] + [t.name for t in types if t.kind == "enum"]
        version_field = _unique(draw, field_name(), taken, "z")
        fields.append((version_field, draw(st.sampled_from(vtypes)), None, {}, 0))
        groups = sorted(set([0] + draw(st.lists(st.integers(1, len(known) - 1), min_size=1, max_size=2))))
    for g in groups:
        for _ in range(draw(st.integers(1 if g == 0 and not fields else 0, 4))):
            t = pick_type()
            count: int | str | None = None
            if draw(st.integers(0, 4)) == 0:
                counts = [n for n, _, v in constants if 1 <= v <= 16]
                count = draw(st.integers(0, 9).flatmap(lambda k: st.sampled_from([64, 300]) if k == 7 else st.sampled_from(counts or [2]) if k < 3 else st.integers(1, 5)))
            extra: dict[str, Any] = {}
            tt = next((x for x in types if x.name == t), None)
            if count is None and (t in SCALARS or (tt and tt.kind == "enum")) and draw(st.integers(0, 5)) == 0:
                scalar = t if t in SCALARS else tt.scalar  # type: ignore[union-attr]
                options: list[Any] = [_value(draw, scalar)]
                options += [n for n, _, v in constants if _range(scalar)[0] <= v <= _range(scalar)[1]]
                if tt is not None and tt.values:
                    options += [f"{tt.name}.{vn}" for vn, _ in tt.values]
                extra["value"] = draw(st.sampled_from(options))
            if draw(st.integers(0, 8)) == 0:
                extra["reserved"] = True
            fields.append((_unique(draw, field_name(), taken, "z"), t, count, extra, g))
    nested = None
    if versioned_structs and version_field is None and not deep and draw(st.integers(0, 3)) == 0:
        nested = draw(st.sampled_from(versioned_structs))
        fields = [f for f in fields if _field_shape(f[1], types)[1] <= nested.align]
        fields.append((_unique(draw, field_name(), taken, "z"), nested.name, None, {}, 0))

    def shape(f: tuple[str, str, int | str | None, dict[str, Any], int]) -> tuple[int, int]:
        size, align = _field_shape(f[1], types)
        n = f[2]
        if isinstance(n, str):
            n = next(v for cn, _, v in constants if cn == n)
        return size * (n or 1), 1 if packed else align

    align = max((shape(f)[1] for f in fields), default=1)
    out_fields: list[dict[str, Any]] = []
    off = 0
    for g in groups:
        for f in [f for f in fields if f[4] == g]:
            size, falign = shape(f)
            if off % falign:
                hole = falign - off % falign
                out_fields.append(_pad(off, hole, g, known))
                off += hole
            data: dict[str, Any] = {"name": f[0], "type": f[1] if f[2] is None else f"{f[1]}[{f[2]}]", **f[3]}
            if g:
                data["since"] = known[g]
            if draw(st.integers(0, 6)) == 0:
                data["offset"] = off
            out_fields.append(_item(draw, data, None, since_ok=False))
            off += size
        if nested is None and off % align:
            hole = align - off % align
            out_fields.append(_pad(off, hole, g, known))
            off += hole
    if not out_fields:
        return None
    s: dict[str, Any] = {"name": name, "fields": out_fields}
    if packed:
        s["packed"] = True
    if version_field is not None:
        s["version_field"] = version_field
    if nested is None and draw(st.integers(0, 4)) == 0:
        s["size"] = off
    s = _item(draw, s, versions)
    depth = 1 + max((next((t.depth for t in types if t.name == f[1]), 0) for f in fields), default=0)
    plain = [(f["name"], f["type"], not ("[" in f["type"] or "value" in f or f.get("reserved"))) for f in out_fields]
    types.append(_Type(name, "struct", off, align, versioned=version_field is not None or nested is not None, depth=depth, fields=plain))
    return s


def _pad(off: int, hole: int, group: int, known: list[int]) -> dict[str, Any]:
    pad: dict[str, Any] = {"name": f"reserved_{off}", "type": f"u8[{hole}]", "reserved": True}
    if group:
        pad["since"] = known[group]
    return pad


def batch(size: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(schema(), min_size=size, max_size=size)


def to_yaml(data: dict[str, Any]) -> str:
    """The YAML text of a drawn schema (block style, text quoted where YAML would read it otherwise)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
