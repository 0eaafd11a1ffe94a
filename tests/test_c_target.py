"""The C target: generated into a temporary directory and judged by gcc and g++.

zoo.yaml carries hostile doc strings, C and C++ keywords as names, a packed struct,
an enum-typed multi-bit bitmap field, arrays of structs and a nested versioned struct;
the smaller schemas below add names that collide with standard and platform macros, typed
constants at every limit, overrides, and clashes the C target must refuse.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import c_toolchain
from conftest import ROOT, ZOO_SCHEMA
from c_toolchain import C11, CXX17, BuildError, build_and_run, check_header

from wiregen.errors import SchemaError
from wiregen.loader import load_file
from wiregen.model import SCALARS
from wiregen.render import doc_lines
from wiregen.targets import c as c_target
from wiregen.targets import vectors

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("g++") is None, reason="needs gcc and g++")

GNU = [("gcc", C11), ("g++", CXX17)]


def generate(schema_file: Path, out: Path) -> dict[str, Path]:
    schema = load_file(schema_file)
    paths = {}
    for rel, text in {**c_target.render(schema), **vectors.render(schema)}.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        paths[Path(rel).name] = p
    return paths


def write_schema(tmp: Path, text: str, name: str = "names") -> Path:
    p = tmp / f"{name}.yaml"
    p.write_text(text)
    return p


def compile_tu(tmp: Path, header: Path, body: str, cc: str, lang: list[str], extra: tuple[str, ...] = ()) -> None:
    """Compile `body` (which includes the header) as one translation unit, warnings as errors."""
    src = tmp / "tu.c"
    src.write_text(body)
    c_toolchain.run([cc, *lang, *c_toolchain.HEADER_WARNINGS, *extra, "-iquote", str(header.parent), "-fsyntax-only", str(src)], quiet=True)


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(ZOO_SCHEMA, tmp_path_factory.mktemp("features"))


# --- the zoo schema, end to end --- --------------------------------------------------------


def test_zoo_test_passes_as_c11_and_cxx17(features: dict[str, Path], tmp_path: Path) -> None:
    expected = len(vectors.lines(load_file(ZOO_SCHEMA)))
    lines = build_and_run(features["test_zoo.c"], ROOT / "build" / "c-target", GNU, quiet=True)
    assert lines == [f"{expected} passed, 0 failed"] * 2


def test_zoo_header_alone_has_no_warning(features: dict[str, Path]) -> None:
    assert check_header(features["zoo.h"], ["gcc", "g++"], quiet=True) == 2


def test_generated_test_fails_on_a_wrong_byte(features: dict[str, Path], tmp_path: Path) -> None:
    """The generated test can fail: one changed byte in one vector fails that vector only."""
    (tmp_path / "c").mkdir()
    for name in ("test_zoo.c", "codec_zoo.c", "zoo.h"):
        shutil.copy(features[name], tmp_path / "c" / name)
    (tmp_path / "vectors").mkdir()
    text = features["zoo.txt"].read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("Point auto ff7fff7f max "))
    (tmp_path / "vectors" / "zoo.txt").write_text(text.replace(line, line.replace("ff7fff7f max", "7f7fff7f max")))
    with pytest.raises(BuildError) as err:
        build_and_run(tmp_path / "c" / "test_zoo.c", tmp_path / "out", [("gcc", C11)], quiet=True)
    out = str(err.value)
    assert re.search(r"^\d+ passed, 1 failed$", out, re.M), out
    assert "FAIL Point max:" in out and '"x":32767' in out and '"x":32639' in out


def test_generated_test_finds_every_enum_constant(features: dict[str, Path], tmp_path: Path) -> None:
    """Each named enum value's vector is checked against the header's constant, found in the
    test's sorted table: with every constant of the table off by one, every one of them fails."""
    (tmp_path / "c").mkdir()
    for name in ("codec_zoo.c", "zoo.h"):
        shutil.copy(features[name], tmp_path / "c" / name)
    text, rows = re.subn(r"(\{ \"\w+\", \"\w+\", \(uint64_t\)\w+) \}", r"\1 + 1 }", features["test_zoo.c"].read_text())
    (tmp_path / "c" / "test_zoo.c").write_text(text)
    (tmp_path / "vectors").mkdir()
    shutil.copy(features["zoo.txt"], tmp_path / "vectors" / "zoo.txt")
    named = sum(len(e.values) for e in load_file(ZOO_SCHEMA).enums)
    assert rows == named > 5
    with pytest.raises(BuildError) as err:
        build_and_run(tmp_path / "c" / "test_zoo.c", tmp_path / "out", [("gcc", C11)], quiet=True)
    out = str(err.value)
    assert re.search(rf"^\d+ passed, {named} failed$", out, re.M), out
    assert out.count("the header's constant is not the vector's value") == named


def test_layout_proof_rejects_a_wrong_layout(tmp_path: Path) -> None:
    """The static_asserts are live: a layout the compiler disagrees with does not compile."""
    schema = load_file(ZOO_SCHEMA)
    packed = next(s for s in schema.structs if s.name == "Packed")
    packed.fields[1].offset = 8  # what an unpacked struct would do
    header = tmp_path / "zoo.h"
    header.write_text(c_target.render(schema)["c/zoo.h"])
    with pytest.raises(BuildError, match=r"offsetof\(Packed, b\) == 8"):
        check_header(header, ["gcc"], quiet=True)


def test_hostile_docs_inject_nothing(features: dict[str, Path], tmp_path: Path) -> None:
    header = features["zoo.h"]
    text = header.read_text()
    # only the template's own directives: none from a doc ('#define X 1', '#define SLOW 7', '#include <stdio.h>')
    directives = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert not [d for d in directives if re.match(r"#\s*(define (X|SLOW)\b|include <stdio)", d.strip())]
    assert "//" not in text.replace("://", "")  # docs go in block comments only: a `//` line would splice on a trailing backslash
    body = f'#include "{header.name}"\n' + "".join(
        f"#if defined({m})\n#error doc text became the macro {m}\n#endif\n" for m in ("X", "SLOW", "EOF", "BUFSIZ")
    ) + "#if MODE_SLOW != 1 || SLOT_COUNT != 3\n#error a macro after a hostile doc was lost\n#endif\n"
    for cc, lang in GNU:
        compile_tu(tmp_path, header, body, cc, lang)


def test_packed_struct_alone_is_packed(features: dict[str, Path]) -> None:
    text = features["zoo.h"].read_text()
    assert text.count("#pragma pack(push, 1)") == text.count("#pragma pack(pop)") == 1
    inside = text[text.index("#pragma pack(push, 1)") : text.index("#pragma pack(pop)")]
    assert re.findall(r"typedef struct (\w+)", inside) == ["Packed"]
    assert "__attribute__" not in text  # no compiler-specific layout
    assert not re.search(r"^\s*(typedef\s+)?enum\b", text, re.M)  # no C enum types (their size is not fixed)
    assert not re.search(r"^\s+[^/*\s][^;]*:\s*\d+;", text, re.M)  # no bit-fields


def test_zoo_declarations(features: dict[str, Path]) -> None:
    text = features["zoo.h"].read_text()
    for decl in [
        "Point points[SLOT_COUNT];",  # array of structs sized by the constant
        "Packed class_;",  # C++ keyword
        "int8_t struct_[SLOT_COUNT];",
        "int32_t int_;",
        "Flags16 self[2];",
        "static inline Mode flags8_get_mode(Flags8 bits)",  # enum-typed multi-bit field
        "static inline Flags8 flags8_set_mode(Flags8 bits, Mode value)",
        "#define FLAGS8_RESERVED_MASK UINT8_C(0x72)",
        "#define NEGATIVE (-INT16_C(32767) - 1)",
        "#define KIND_NEGATIVE_ONE (-INT32_C(1))",
        "#define BIG UINT64_C(0xFFFFFFFFFFFFFFFF)",
        "Inner_V1 inner;",  # Outer_V1 embeds Inner_V1
        "ZOO_ALIGNAS(8) uint16_t version;",  # Inner_V1 is aligned like Inner
        "#define OUTER_SIZE_V1 16",
    ]:
        assert decl in text, decl


# --- names --------------------------------------------------------------------------------

NAMES = """\
schema: names
title: Names that collide with C, C++ and platform macros
endian: little
versions: [1, 2]
constants:
  - {name: "NULL", type: u8, value: 1}
  - {name: UINT32_MAX, type: u32, value: 7}
  - {name: EOF, type: i8, value: -1}
  - {name: "TRUE", type: u8, value: 1}
  - {name: I8_MIN, type: i8, value: -128}
  - {name: I16_MIN, type: i16, value: -32768}
  - {name: I32_MIN, type: i32, value: -2147483648}
  - {name: I64_MIN, type: i64, value: -9223372036854775808}
  - {name: I64_MAX, type: i64, value: 9223372036854775807}
  - {name: U8_MAX, type: u8, value: 255}
  - {name: U16_MAX, type: u16, value: 65535}
  - {name: U32_MAX, type: u32, value: 4294967295}
  - {name: U64_MAX, type: u64, value: 18446744073709551615}
  - {name: EXIT_FAILURE, type: u8, value: 3}
  - {name: PRIX64, type: u8, value: 4}
enums:
  - name: Op
    type: i64
    values:
      - {name: DEFAULT, value: -9223372036854775808}
      - {name: NEW, value: 9223372036854775807}
      - {name: DELETE, value: 0, names: {c: OP_REMOVE}}
bitmaps:
  - name: Bits
    type: u16
    fields:
      - {name: default, bit: 0}
      - {name: new, bits: [1, 14], type: u16}
structs:
  - name: Keywords
    fields:
      - {name: new, type: u8}
      - {name: delete, type: u8}
      - {name: this, type: u8}
      - {name: template, type: u8}
      - {name: namespace, type: u8}
      - {name: operator, type: u8}
      - {name: private, type: u8}
      - {name: bool, type: u8}
      - {name: "true", type: u8}
      - {name: char, type: u8}
      - {name: stdout, type: u8}
      - {name: linux, type: u8}
      - {name: far, type: u8}
      - {name: interface, type: u8}
      - {name: errno, type: u8}
      - {name: assert, type: u8}
      - {name: op, type: Op}
      - {name: bits, type: Bits}
      - {name: spare, type: "u8[6]", reserved: true}
  - name: Message
    names: {c: MESSAGE_HEADER}
    version_field: version
    fields:
      - {name: version, type: u32}
      - {name: size, type: u32, names: {c: total_size}}
      - {name: extra, type: u32, since: 2}
      - {name: spare, type: u32, since: 2, reserved: true}
"""


def test_keywords_and_platform_macros_as_names(tmp_path: Path) -> None:
    files = generate(write_schema(tmp_path, NAMES), tmp_path / "out")
    header = files["names.h"]
    text = header.read_text()
    for decl in ["#define NULL_ UINT8_C(1)", "#define UINT32_MAX_ UINT32_C(7)", "#define EOF_ (-INT8_C(1))", "#define EXIT_FAILURE_ UINT8_C(3)", "#define PRIX64_ UINT8_C(4)", "uint8_t new_;", "uint8_t linux_;",
                 "uint8_t far_;", "uint8_t stdout_;", "typedef struct MESSAGE_HEADER {", "typedef struct MESSAGE_HEADER_V1 {", "uint32_t total_size;",
                 "#define MESSAGE_HEADER_SIZE_V1 8", "#define OP_REMOVE INT64_C(0)", "static inline int bits_get_default(Bits bits)"]:
        assert decl in text, decl
    # The header next to what users include with it: <stdio.h>, <stdlib.h>, <inttypes.h>, <assert.h>, <errno.h>, and
    # what <windows.h> defines (`far`, `near` expand to nothing, `interface` to `struct`).
    prelude = "#include <assert.h>\n#include <errno.h>\n#include <inttypes.h>\n#include <stdio.h>\n#include <stdlib.h>\n#define far\n#define near\n#define interface struct\n"
    limits = "".join(
        f"#if !({a} == {b})\n#error {a}\n#endif\n"
        for a, b in [("I8_MIN", "INT8_MIN"), ("I16_MIN", "INT16_MIN"), ("I32_MIN", "INT32_MIN"), ("I64_MIN", "INT64_MIN"), ("I64_MAX", "INT64_MAX"),
                     ("U8_MAX", "UINT8_MAX"), ("U16_MAX", "UINT16_MAX"), ("U32_MAX", "UINT32_MAX"), ("U64_MAX", "UINT64_MAX"),
                     ("OP_DEFAULT", "INT64_MIN"), ("OP_NEW", "INT64_MAX"), ("UINT32_MAX_", "7")]
    )
    body = prelude + f'#include "{header.name}"\n' + limits
    for cc, lang in GNU:
        compile_tu(tmp_path, header, body, cc, lang)
    # GNU C predefines `linux` and `unix` as 1
    compile_tu(tmp_path, header, body, "gcc", ["-x", "c", "-std=gnu11"])
    assert build_and_run(files["test_names.c"], tmp_path / "build", GNU, quiet=True)[0].endswith(" passed, 0 failed")


@pytest.mark.parametrize(
    "extra, clash",
    [
        ("constants: [{name: OP_NEW, type: u8, value: 1}]\nenums: [{name: Op, type: u8, values: [{name: NEW, value: 1}]}]\n", "'OP_NEW'"),
        ("structs: [{name: Twins, fields: [{name: int, type: u8}, {name: int_, type: u8}]}]\n", "'int_'"),
        ("bitmaps: [{name: FooBar, type: u8, fields: [{name: x, bit: 0}]}, {name: Foo, type: u8, fields: [{name: bar_x, bit: 0}]}]\n", "'FOO_BAR_X_SHIFT'"),
        ("constants: [{name: NAMES_STATIC_ASSERT, type: u8, value: 1}]\n", "'NAMES_STATIC_ASSERT'"),
        ("constants: [{name: BAD, type: u8, value: 1, names: {c: int}}]\n", "C override 'int'"),
    ],
)
def test_c_name_clashes_are_refused(tmp_path: Path, extra: str, clash: str) -> None:
    """Refused when the schema is loaded, with the positions of both items."""
    with pytest.raises(SchemaError, match=re.escape(clash)) as err:
        load_file(write_schema(tmp_path, "schema: names\nendian: little\n" + extra))
    assert "names.yaml:" in str(err.value)


# --- the codec program -----------------------------------------------------------------------


def run_codec(codec_c: Path, out: Path, cc: str, lang: list[str], lines: list[str]) -> list[dict]:
    """Build the codec with the header's extra warnings under ASan/UBSan, answer `lines`."""
    exe = out / f"{codec_c.stem}-{cc.replace('+', 'x')}"
    out.mkdir(parents=True, exist_ok=True)
    c_toolchain.run([cc, *lang, *c_toolchain.HEADER_WARNINGS, *c_toolchain.SANITIZERS, "-o", str(exe), str(codec_c)], quiet=True)
    done = c_toolchain.run([str(exe)], stdin="".join(ln + "\n" for ln in lines), quiet=True)
    return [json.loads(ln) for ln in done.stdout.splitlines()]


@pytest.mark.parametrize("which", ["zoo", "names"])
def test_codec_reads_and_writes_every_vector(which: str, features: dict[str, Path], tmp_path: Path) -> None:
    """Each vector, decoded as its layout by the codec (C11 and C++17), gives the vector's value and bytes;
    short and malformed lines are refused. (The conformance harness runs it on the IGVM and zoo schemas.)"""
    schema_file = ZOO_SCHEMA if which == "zoo" else write_schema(tmp_path, NAMES)
    codec_c = features["codec_zoo.c"] if which == "zoo" else generate(schema_file, tmp_path / "out")["codec_names.c"]
    lines, want = [], []
    for vector in vectors.lines(load_file(schema_file)):
        name, layout, hex_, _, answer = vectors.parse(vector)
        lines.append(f"{name} {layout} {hex_}")
        want.append(answer)
    first = lines[0].split()
    lines += [f"{first[0]} auto {first[2]}0", "Nope auto -", f"{first[0]} auto"]
    want += [{"type": first[0], "error": "bad-input"}, {"type": "Nope", "error": "bad-input"}, {"type": first[0], "error": "bad-input"}]
    for cc, lang in GNU:
        assert run_codec(codec_c, tmp_path / "build", cc, lang, lines) == want


DEEP_LARGE = """schema: deep_large
endian: little
structs:
  - name: Large1
    fields:
      - {name: body, type: 'u8[100000]'}
  - name: Large2
    fields:
      - {name: inner, type: Large1}
      - {name: body, type: 'u8[1000]'}
  - name: Large3
    fields:
      - {name: inner, type: Large2}
      - {name: more, type: 'Large1[2]'}
"""


def test_codec_frames_do_not_grow_with_the_structs_it_embeds(tmp_path: Path) -> None:
    """The codec prints and rebuilds a struct through pointers: only the function answering a
    line holds a value (and the value it re-encodes), so its frame is twice the struct's size
    and every other frame stays small, however large and deep the embedded structs are. (Once
    they went by value, so each level of nesting copied its struct again: a fuzz schema of 700 KB
    structs five deep overflowed the stack under ASan.) gcc's -fstack-usage gives each frame."""
    codec_c = generate(write_schema(tmp_path, DEEP_LARGE, "deep_large"), tmp_path / "out")["codec_deep_large.c"]
    c_toolchain.run(["gcc", *C11, *c_toolchain.WARNINGS, "-fstack-usage", "-c", "-o", str(tmp_path / "codec.o"), str(codec_c)], quiet=True)
    usage = (tmp_path / "codec.su").read_text()
    frames = {ln.split("\t")[0].rsplit(":", 1)[1]: int(ln.split("\t")[1]) for ln in usage.splitlines()}
    sizes = {"Large1": 100_000, "Large2": 101_000, "Large3": 301_000}
    assert {f for f in frames if f.startswith("answer_")} == {f"answer_{t}" for t in sizes}
    for fn, frame in frames.items():
        limit = 2 * sizes[fn.removeprefix("answer_")] + 4096 if fn.startswith("answer_") else 4096
        assert frame <= limit, f"{fn} uses {frame} bytes of stack, more than {limit}"


# --- doc text and literals ------------------------------------------------------------------


@given(st.text() | st.text(alphabet="*/?\\\t\n #a"))
def test_no_doc_text_can_end_or_nest_a_comment(text: str) -> None:
    out = c_target.comment(doc_lines(text) or ["-"], "    ")
    body = out.strip()
    assert body.startswith("/**") and body.endswith("*/")
    assert body.count("*/") == 1 and body.count("/*") == 1
    assert "??" not in body and "\t" not in body
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", body)


def test_hostile_docs_compile_in_every_position(tmp_path: Path) -> None:
    hostile = ["*/ #define INJECTED 1", "ends with a backslash \\", "/* nested", "**/", "*/*", "trigraph ??/", "a trigraph at a line end ??/\nsplices", "a\\\nb\\", "#define INJECTED 2\n\\"]
    docs = iter(hostile * 3)

    def d() -> str:
        return '"' + next(docs).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') + '"'

    text = f"""\
schema: hostile
doc: {d()}
endian: little
constants:
  - {{name: ONE, type: u8, value: 1, doc: {d()}}}
  - {{name: TWO, type: u8, value: 2, doc: {d()}}}
enums:
  - {{name: Color, type: u8, doc: {d()}, values: [{{name: RED, value: 0, doc: {d()}}}, {{name: BLUE, value: 1, doc: {d()}}}]}}
bitmaps:
  - {{name: Bits, type: u8, doc: {d()}, fields: [{{name: a, bit: 0, doc: {d()}}}, {{name: b, bits: [1, 2], type: Color, doc: {d()}}}]}}
structs:
  - {{name: Doc, doc: {d()}, fields: [{{name: x, type: u8, doc: {d()}}}, {{name: c, type: Color, doc: {d()}}}, {{name: bits, type: Bits, doc: {d()}}}]}}
"""
    files = generate(write_schema(tmp_path, text, "hostile"), tmp_path / "out")
    header = files["hostile.h"]
    body = f'#include "{header.name}"\n#ifdef INJECTED\n#error injected\n#endif\n#if ONE != 1 || TWO != 2 || COLOR_BLUE != 1\n#error lost\n#endif\n'
    for cc, lang in GNU:
        compile_tu(tmp_path, header, body, cc, lang)  # -std=c11 has trigraphs on, and -Wall warns of them
    build_and_run(files["test_hostile.c"], tmp_path / "build", [("gcc", C11)], quiet=True)


def test_typed_literals() -> None:
    s = SCALARS
    assert c_target.literal(s["i64"], -(2**63)) == "(-INT64_C(9223372036854775807) - 1)"
    assert c_target.literal(s["i32"], -(2**31)) == "(-INT32_C(2147483647) - 1)"
    assert c_target.literal(s["i8"], -128) == "(-INT8_C(127) - 1)"
    assert c_target.literal(s["i16"], -5) == "(-INT16_C(5))"
    assert c_target.literal(s["u32"], 0x414C4348) == "UINT32_C(0x414C4348)"
    assert c_target.literal(s["u64"], 2**64 - 1) == "UINT64_C(0xFFFFFFFFFFFFFFFF)"
    assert c_target.literal(s["u16"], 560) == "UINT16_C(560)"
    with pytest.raises(ValueError):
        c_target.literal(s["u8"], 256)


def test_c_strings_escape_trigraphs_and_quotes() -> None:
    assert c_target.c_string('a"b\\c??/') == '"a\\"b\\\\c\\?\\?/"'
