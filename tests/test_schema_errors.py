"""Every kind of schema error is refused with FILE:LINE:COL: PATH: message, and nothing is written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, tree

HEAD = "schema: t\nendian: little\nversions: [1, 2]\n"  # lines 1-3


def s(body: str) -> str:
    return HEAD + textwrap.dedent(body).lstrip("\n")


# (id, schema text, [(line, token, path, fragment of the message)]): the column is where
# `token` first stands on that line of the text (1 for an empty token).
CASES = [
    ("yaml-syntax", s("structs: [\n"), [(5, "", "", "not valid YAML")]),
    ("control-character", s("constants:\n  - {name: A, type: u8, value: 1, doc: a\x07b}\n"), [(5, "\x07", "", "U+0007: a control character")]),
    (
        "alias",
        s("""
        constants:
          - &c {name: A, type: u8, value: 1}
          - *c
        """),
        [(5, "&c", "", "anchors"), (6, "*c", "", "aliases")],
    ),
    ("tag", s("constants:\n  - {name: A, type: u8, value: !!int 1}\n"), [(5, "!!int", "", "tags")]),
    ("duplicate-key", s("constants:\n  - {name: A, type: u8, value: 1, value: 2}\n"), [(5, "value: 2", "", "duplicate key 'value'")]),
    ("leading-zero", s("constants:\n  - {name: A, type: u8, value: 010}\n"), [(5, "010", "constants[0].value", "ambiguous")]),
    ("float", s("constants:\n  - {name: A, type: u8, value: 1.5}\n"), [(5, "1.5", "constants[0].value", "not a whole number")]),
    ("yaml-boolean-name", s("enums:\n  - name: E\n    type: u8\n    values:\n      - {name: ON, value: 1}\n"), [(8, "ON", "enums[0].values[0].name", "quote it")]),
    ("yaml-null-name", s("structs:\n  - name: S\n    fields:\n      - {name: null, type: u8}\n"), [(7, "null", "structs[0].fields[0].name", "quote it")]),
    ("unknown-top-key", s("struct: []\n"), [(4, "struct", "struct", "unknown key 'struct'; accepted keys")]),
    ("missing-key", s("constants:\n  - {name: A, type: u8}\n"), [(5, "{", "constants[0]", "missing required key 'value'")]),
    ("endian", "schema: t\nendian: big\n", [(2, "big", "endian", "only 'little' is supported")]),
    ("versions-order", "schema: t\nendian: little\nversions: [2, 1]\n", [(3, "[", "versions", "ascending")]),
    ("since-not-a-version", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8, since: 3}\n"), [(7, "3}", "structs[0].fields[0].since", "not one of the schema's versions")]),
    ("bad-type-name", s("structs:\n  - name: my_struct\n    fields:\n      - {name: a, type: u8}\n"), [(5, "my_struct", "structs[0].name", "UpperCamel")]),
    ("bad-field-name", s("structs:\n  - name: S\n    fields:\n      - {name: Alpha, type: u8}\n"), [(7, "Alpha", "structs[0].fields[0].name", "lower_snake")]),
    ("bad-constant-name", s("constants:\n  - {name: small, type: u8, value: 1}\n"), [(5, "small", "constants[0].name", "UPPER_SNAKE")]),
    ("unescapable-name", s("structs:\n  - name: Self\n    fields:\n      - {name: a, type: u8}\n"), [(5, "Self", "structs[0].name", "no target can escape")]),
    (
        "duplicate-type",
        s("constants:\n  - {name: S, type: u8, value: 1}\nstructs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n"),
        [(7, "S", "structs[0].name", "already defined at line 5")],
    ),
    ("duplicate-field", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n      - {name: a, type: u8}\n"), [(8, "a,", "structs[0].fields[1].name", "duplicate field name 'a'")]),
    (
        "enum-duplicates",
        s("enums:\n  - name: E\n    type: u8\n    values:\n      - {name: A, value: 1}\n      - {name: A, value: 1}\n      - {name: C, value: 300}\n"),
        [
            (9, "A,", "enums[0].values[1].name", "duplicate value name 'A'"),
            (9, "1}", "enums[0].values[1].value", "duplicate value 1"),
            (10, "300", "enums[0].values[2].value", "does not fit u8"),
        ],
    ),
    ("constant-too-big", s("constants:\n  - {name: A, type: i8, value: 128}\n"), [(5, "128", "constants[0].value", "does not fit i8 (-128..127)")]),
    ("unknown-type", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u128}\n"), [(7, "u128", "structs[0].fields[0].type", "unknown type 'u128'")]),
    ("array-zero", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: 'u8[0]'}\n"), [(7, "'u8[0]'", "structs[0].fields[0].type", "at least 1")]),
    ("array-unknown-constant", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: 'u8[NOPE]'}\n"), [(7, "'u8[NOPE]'", "structs[0].fields[0].type", "'NOPE' is not a constant")]),
    (
        "bitmap-problems",
        s("""
        bitmaps:
          - name: B
            type: u8
            fields:
              - {name: a, bits: [0, 3]}
              - {name: b, bit: 2}
              - {name: c, bit: 8}
              - {name: d, bits: [4, 7], type: i8}
              - {name: e, bits: [4, 6], type: u8, bit: 1}
        """),
        [
            (9, "2}", "bitmaps[0].fields[1]", "overlap field a"),
            (10, "8}", "bitmaps[0].fields[2]", "outside B's 8 bits"),
            (11, "i8", "bitmaps[0].fields[3].type", "signed bit fields are refused"),
            (12, "{", "bitmaps[0].fields[4]", "exactly one of"),
        ],
    ),
    (
        "bitmap-type-too-narrow",
        s("""
        enums:
          - name: E
            type: u8
            values:
              - {name: BIG, value: 9}
        bitmaps:
          - name: B
            type: u32
            fields:
              - {name: a, bits: [0, 9], type: u8}
              - {name: m, bits: [10, 12], type: E}
        """),
        [(13, "u8", "bitmaps[0].fields[0].type", "too narrow for a 10-bit field"), (14, "E}", "bitmaps[0].fields[1].type", "BIG = 9 does not fit 3 bits")],
    ),
    (
        "padding-hole",
        s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: u32}\n"),
        [(8, "{", "structs[0].fields[1]", "implicit padding in S: bytes 1..3 (3 bytes) before 'b'")],
    ),
    ("tail-padding", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u32}\n      - {name: b, type: u8}\n"), [(5, "name", "structs[0]", "tail padding in S: bytes 5..7")]),
    (
        "version-tail-padding",
        s("structs:\n  - name: S\n    version_field: version\n    fields:\n      - {name: time, type: u64}\n      - {name: version, type: u32}\n      - {name: extra, type: u32, since: 2}\n"),
        [(5, "name", "structs[0]", "version 1 of S would end at byte 12")],
    ),
    (
        "since-not-appended",
        s("structs:\n  - name: S\n    version_field: v\n    fields:\n      - {name: v, type: u32}\n      - {name: a, type: u32, since: 2}\n      - {name: b, type: u32}\n"),
        [(10, "{", "structs[0].fields[2]", "a version may only append")],
    ),
    ("missing-version-field", s("structs:\n  - name: S\n    fields:\n      - {name: v, type: u32}\n      - {name: a, type: u32, since: 2}\n"), [(5, "name", "structs[0]", "needs `version_field:`")]),
    (
        "version-field-after-since",
        s("structs:\n  - name: S\n    version_field: b\n    fields:\n      - {name: a, type: u32, since: 1}\n      - {name: b, type: u32, since: 2}\n"),
        [(6, "b", "structs[0].version_field", "must be present in every version")],
    ),
    ("version-field-unknown", s("structs:\n  - name: S\n    version_field: nope\n    fields:\n      - {name: a, type: u32}\n"), [(6, "nope", "structs[0].version_field", "S has no field 'nope'")]),
    (
        "versioned-not-last",
        s("""
        structs:
          - name: V
            version_field: v
            fields:
              - {name: v, type: u32}
              - {name: x, type: u32, since: 2}
          - name: S
            fields:
              - {name: inner, type: V}
              - {name: after, type: u32}
          - name: A
            fields:
              - {name: many, type: 'V[2]'}
        """),
        [(12, "{", "structs[1].fields[0]", "may only be embedded as the last field"), (16, "'V[2]'", "structs[2].fields[0].type", "may not be an array element")],
    ),
    (
        "cycle",
        s("structs:\n  - name: A\n    fields:\n      - {name: b, type: B}\n  - name: B\n    fields:\n      - {name: a, type: A}\n"),
        [(10, "A}", "structs[1].fields[0].type", "contains itself (A -> B -> A)")],
    ),
    (
        "assertions",
        s("structs:\n  - name: S\n    size: 8\n    fields:\n      - {name: a, type: u32, offset: 4}\n"),
        [(6, "8", "structs[0].size", "S is 4 bytes (newest version), not 8"), (8, "4}", "structs[0].fields[0].offset", "'a' is at byte 0, not 4")],
    ),
    (
        "fixed-values",
        s("""
        enums:
          - name: E
            type: u8
            values:
              - {name: A, value: 1}
        structs:
          - name: S
            fields:
              - {name: a, type: u8, value: 256}
              - {name: e, type: E, value: E.B}
              - {name: arr, type: 'u8[2]', value: 1}
        """),
        [
            (12, "256", "structs[0].fields[0].value", "does not fit u8"),
            (13, "E.B", "structs[0].fields[1].value", "'E.B' is not a value of E"),
            (14, "1}", "structs[0].fields[2].value", "for scalar and enum fields"),
        ],
    ),
    (
        "package-values",
        s("""
        package:
          version: "1.2"
          license: MIT OR
          repository: ftp://example.com/x
          rust_version: "1"
          publish: maybe
          owner: me
        """),
        [
            (5, '"1.2"', "package.version", "expected a semantic version"),
            (6, "MIT OR", "package.license", "expected an SPDX license expression"),
            (7, "ftp", "package.repository", "expected an http(s) URL"),
            (8, '"1"', "package.rust_version", "expected a Rust version"),
            (9, "maybe", "package.publish", "expected true or false"),
            (10, "owner", "package.owner", "unknown key 'owner'"),
        ],
    ),
    ("package-rust-version-too-old", s("package: {rust_version: 1.70}\nstructs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n"), [(4, "1.70", "package.rust_version", "needs Rust 1.81 or newer")]),
    (
        "names-override",
        s("structs:\n  - name: S\n    names: {c: 1st, go: S}\n    fields:\n      - {name: a, type: u8}\n"),
        [(6, "1st", "structs[0].names.c", "not an identifier"), (6, "go", "structs[0].names.go", "unknown key 'go'")],
    ),
    ("too-large", s("structs:\n  - name: S\n    fields:\n      - {name: a, type: 'u8[1048577]'}\n"), [(7, "'u8[1048577]'", "structs[0].fields[0].type", "no type may exceed 1 MiB")]),
    # Doc text no target can show: a control character (a NUL made a Python module that cannot be
    # imported), a bidirectional control (Trojan Source; rustc, gcc and clang refuse them). Where it
    # is written as it is, its own column; where written as an escape, the text's.
    ("doc-control-character", s('doc: "A\\0B"\n'), [(4, '"A', "doc", "U+0000: a control character")]),
    (
        "doc-bidirectional-control",
        s('structs:\n  - name: S\n    doc: "x \u202e y"\n    fields:\n      - {name: a, type: u8, doc: "\\u2066 z"}\n'),
        [(6, "\u202e", "structs[0].doc", "U+202E (RIGHT-TO-LEFT OVERRIDE): a bidirectional control"), (8, '"\\u2066', "structs[0].fields[0].doc", "U+2066 (LEFT-TO-RIGHT ISOLATE)")],
    ),
    # Names that collide once each target's renaming rule is applied, refused with both positions.
    (
        "names-clash-after-renaming",
        s("structs:\n  - name: S\n    fields:\n      - {name: type, type: u8}\n      - {name: type_, type: u8}\n"),
        [
            (8, "type_", "structs[0].fields[1]", "Python name clash in class S: field S.type_ and field S.type (line 7, column 16) are both 'type_'"),
            (8, "type_", "structs[0].fields[1]", "Rust name clash in the fields of S: field S.type_ and field S.type (line 7, column 16) are both 'type_'"),
        ],
    ),
    (
        "names-clash-version-suffix",
        s("structs:\n  - name: Msg\n    version_field: version\n    fields:\n      - {name: version, type: u32}\n      - {name: extra, type: u32, since: 2}\n  - name: MsgV1\n    fields:\n      - {name: a, type: u32}\n"),
        [(10, "MsgV1", "structs[1]", "Rust name clash in the crate root: struct MsgV1 and struct Msg as laid out in version 1 (line 5, column 11) are both 'MsgV1'")],
    ),
    (
        "names-clash-accessor",
        s("bitmaps:\n  - name: B\n    type: u8\n    fields:\n      - {name: x, bit: 0}\n      - {name: with_x, bit: 1}\n"),
        [(9, "with_x", "bitmaps[0].fields[1]", "Rust name clash in the methods of B: field B.with_x and field B.x's builder `with_x` (line 8, column 16) are both 'with_x'")],
    ),
    (
        "names-override-reserved",
        s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8, names: {python: class}}\n      - {name: b, type: u8, names: {rust: type}}\n      - {name: c, type: u8, names: {c: _b}}\n"),
        [
            (7, "{python", "structs[0].fields[0].names.python", "the Python override 'class' of field 'a' is a Python keyword"),
            (8, "{rust", "structs[0].fields[1].names.rust", "the Rust override 'type' of field 'b' is a Rust keyword"),
            (9, "{c:", "structs[0].fields[2].names.c", "the C override '_b' of field 'c' starts with an underscore"),
        ],
    ),
    ("version-out-of-range", "schema: t\nendian: little\nversions: [-1, 4294967296]\n", [(3, "-1", "versions[0]", "protocol version -1 is out of range"), (3, "4294967296", "versions[1]", "from 0 to 4294967295")]),
    (
        "version-field-too-narrow",
        "schema: t\nendian: little\nversions: [1, 256]\nstructs:\n  - name: S\n    version_field: kind\n    fields:\n      - {name: kind, type: u8}\n      - {name: x, type: u8, since: 256}\n",
        [(6, "kind", "structs[0].version_field", "version_field 'kind' is u8, which cannot hold version 256 of S")],
    ),
    (
        "bitmap-enum-narrower-than-field",
        s("enums:\n  - name: Small\n    type: u8\n    values:\n      - {name: A, value: 255}\nbitmaps:\n  - name: B\n    type: u32\n    fields:\n      - {name: e, bits: [0, 15], type: Small}\n"),
        [(13, "Small}", "bitmaps[0].fields[0].type", "enum Small is u8, too narrow for a 16-bit field")],
    ),
    # A schema's name names its Python module, Rust crate and C header.
    ("schema-name-python-module", "schema: typing\nendian: little\n", [(1, "typing", "schema", "a module of Python's standard library")]),
    ("schema-name-rust-keyword", "schema: fn\nendian: little\n", [(1, "fn", "schema", "is a Rust keyword")]),
    ("schema-name-rust-crate", "schema: zerocopy\nendian: little\n", [(1, "zerocopy", "schema", "a crate every Rust crate or the generated one uses")]),
    ("schema-name-python-keyword", "schema: class\nendian: little\n", [(1, "class", "schema", "is a Python keyword")]),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_marks_and_nothing_written(in_tmp: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list) -> None:
    (in_tmp / "bad.yaml").write_text(text)
    out = in_tmp / "out"
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    lines = text.splitlines()
    for line, token, path, fragment in expected:
        col = lines[line - 1].index(token) + 1 if token and line <= len(lines) else 1
        prefix = f"bad.yaml:{line}:{col}: {path + ': ' if path else ''}"
        hits = [ln for ln in err.splitlines() if ln.startswith(prefix) and fragment in ln]
        assert hits, f"expected a line starting {prefix!r} containing {fragment!r} in:\n{err}"
    assert "nothing was written" in err
    assert not out.exists()


def test_layout_problems_of_a_struct_reported_with_its_type_problems(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A field of unknown type ends what can be laid out; the fields before it are still checked."""
    (in_tmp / "bad.yaml").write_text(s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: u32}\n      - {name: c, type: nope}\n      - {name: d, type: u64}\n"))
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    assert "bad.yaml:8:9: structs[0].fields[1]: implicit padding in S: bytes 1..3" in err
    assert "bad.yaml:9:25: structs[0].fields[2].type: unknown type 'nope'" in err
    assert "refused: 2 problems" in err


def test_all_problems_of_all_files_reported_at_once(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "a.yaml").write_text(s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: u32}\n      - {name: c, type: nope}\n"))
    (in_tmp / "b.yaml").write_text("schema: b\nendian: big\n")
    assert run_cli("check", "a.yaml", "b.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    assert "a.yaml:8:9: structs[0].fields[1]: implicit padding in S" in err
    assert "a.yaml:9:25: structs[0].fields[2].type: unknown type 'nope'" in err
    assert "b.yaml:2:9: endian:" in err
    assert "refused: 3 problems" in err


def test_refused_schema_leaves_existing_output_untouched(in_tmp: Path) -> None:
    from conftest import IGVM_SCHEMA

    good = in_tmp / "igvm_attest.yaml"
    good.write_text(IGVM_SCHEMA.read_text())
    assert run_cli("generate", str(good), "--out", "out") == 0
    before = tree(in_tmp / "out")
    good.write_text(good.read_text().replace("size: 24\n", "size: 28\n", 1))
    assert run_cli("generate", str(good), "--out", "out") == 2
    assert tree(in_tmp / "out") == before


def _nested(depth: int) -> str:
    """A schema whose struct S1 holds S2, which holds S3 ... down to S<depth> (one u32)."""
    body = "structs:\n"
    for i in range(1, depth):
        body += f"  - name: S{i}\n    fields:\n      - {{name: inner, type: S{i + 1}}}\n"
    body += f"  - name: S{depth}\n    fields:\n      - {{name: x, type: u32}}\n"
    return s(body)


def test_nesting_up_to_the_limit_loads(in_tmp: Path) -> None:
    from wiregen import load_text
    from wiregen.layout import MAX_NESTING

    schema = load_text(_nested(MAX_NESTING), "deep.yaml")
    assert schema.type("S1").size == 4


def test_nesting_beyond_the_limit_is_refused_at_the_field(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from wiregen.layout import MAX_NESTING

    text = _nested(MAX_NESTING + 1)
    (in_tmp / "bad.yaml").write_text(text)
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    line = text.splitlines().index(f"      - {{name: inner, type: S{MAX_NESTING + 1}}}") + 1
    assert f"bad.yaml:{line}:" in err and f"structs nest more than {MAX_NESTING} levels deep" in err
    assert "refused: 1 problem;" in err
    assert not (in_tmp / "out").exists()


def test_nesting_far_beyond_the_limit_is_refused_without_a_traceback(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "bad.yaml").write_text(_nested(1000))
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    assert "levels deep" in err and "Traceback" not in err


def test_deeply_nested_yaml_is_refused_clearly(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "bad.yaml").write_text(HEAD + "doc: " + "[" * 5000 + "]" * 5000 + "\n")
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_names_yaml_reads_as_text_are_accepted(in_tmp: Path) -> None:
    """PyYAML reads y, n and oN as text, so they are ordinary names (ON, no and Null are not)."""
    from wiregen import load_text

    schema = load_text(s("structs:\n  - name: Point\n    fields:\n      - {name: x, type: u32}\n      - {name: y, type: u32}\n      - {name: n, type: u32}\n"), "p.yaml")
    assert [f.name for f in schema.type("Point").fields] == ["x", "y", "n"]


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        # a refused field: the size assertion that only fails because it is missing is not reported
        ("structs:\n  - name: S\n    size: 8\n    fields:\n      - {name: a, type: u32}\n      - {name: Bad, type: u32}\n", 9, "lower_snake"),
        # a refused struct: its uses are not reported again as unknown types
        ("structs:\n  - name: bad_name\n    fields:\n      - {name: a, type: u32}\n  - name: T\n    fields:\n      - {name: b, type: bad_name}\n", 5, "UpperCamel"),
        # a refused constant: an array length naming it is not reported again
        ("constants:\n  - {name: lower, type: u32, value: 2}\nstructs:\n  - name: T\n    fields:\n      - {name: b, type: 'u8[lower]'}\n", 5, "UPPER_SNAKE"),
        # a refused enum: a bit field typed by it is not reported again
        ("enums:\n  - name: e\n    type: u8\n    values: [{name: A, value: 0}]\nbitmaps:\n  - name: B\n    type: u8\n    fields:\n      - {name: m, bits: [0, 1], type: e}\n", 5, "UpperCamel"),
    ],
    ids=["refused-field", "refused-struct", "refused-constant", "refused-enum"],
)
def test_a_refused_item_causes_no_follow_on_problems(in_tmp: Path, capsys: pytest.CaptureFixture[str], body: str, line: int, fragment: str) -> None:
    (in_tmp / "bad.yaml").write_text(s(body))
    assert run_cli("generate", "bad.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    assert f"bad.yaml:{line}:" in err and fragment in err
    assert "refused: 1 problem;" in err, err


def test_an_internal_error_exits_3_with_one_line_and_no_traceback(in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from wiregen import output

    def broken(schemas):  # type: ignore[no-untyped-def]
        raise KeyError("boom")

    monkeypatch.setattr(output, "render_all", broken)
    (in_tmp / "ok.yaml").write_text(s("structs:\n  - name: S\n    fields:\n      - {name: a, type: u32}\n"))
    assert run_cli("generate", "ok.yaml", "--out", "out") == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "internal error (KeyError: 'boom')" in err and "report it with the schema (ok.yaml)" in err and "--debug" in err
    with pytest.raises(KeyError):
        run_cli("generate", "ok.yaml", "--out", "out", "--debug")
    assert not (in_tmp / "out").exists()



@pytest.mark.parametrize(
    "fields, at",
    [(["{name: a, type: u8}", "{name: b, type: u32}"], 1), (["{name: a, type: u32}", "{name: b, type: u8}"], 2)],
    ids=["hole", "tail"],
)
def test_padding_hint_is_valid_yaml_that_closes_the_gap(in_tmp: Path, capsys: pytest.CaptureFixture[str], fields: list[str], at: int) -> None:
    """The suggested field, pasted into the schema where the message says, loads."""
    import re

    from wiregen.loader import load_text

    def schema(items: list[str]) -> str:
        return s("structs:\n  - name: S\n    fields:\n" + "".join(f"      - {f}\n" for f in items))

    (in_tmp / "bad.yaml").write_text(schema(fields))
    assert run_cli("check", "bad.yaml") == 2
    (hint,) = re.findall(r"add a field (\{.*?\}) (?:there|at the end)", capsys.readouterr().err)
    assert hint == '{name: reserved_' + ("1" if at == 1 else "5") + ', type: "u8[3]", reserved: true}'
    load_text(schema(fields[:at] + [hint] + fields[at:]), "fixed.yaml")  # raises if invalid YAML or a gap remains


def test_two_schemas_generated_together_may_not_make_the_same_module(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Schema `msg` makes the modules msg, test_msg and codec_msg (and the C files of those
    names): a schema named `codec_msg` beside it is refused, and nothing is written."""
    (in_tmp / "a.yaml").write_text("schema: msg\nendian: little\n")
    (in_tmp / "b.yaml").write_text("schema: codec_msg\nendian: little\n")
    assert run_cli("generate", "a.yaml", "b.yaml", "--out", "out") == 2
    err = capsys.readouterr().err
    assert "b.yaml:1:1: schema: schema 'codec_msg' makes the module `codec_msg`, as schema 'msg' (a.yaml) does" in err
    assert not (in_tmp / "out").exists()
