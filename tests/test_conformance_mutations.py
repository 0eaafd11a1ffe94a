"""Proof the conformance harness bites: a target broken on purpose, in a scratch copy of its
generated output, is reported with the type, the field and the differing bytes.

Each test generates the zoo into a temporary directory, breaks one target there, and runs the
harness's round trip on a fixed seed, first over the intact copy (which must agree, so the
report below is the mutation's doing) and then over the broken one.
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

import pytest

import conformance as cf
from conftest import ROOT

from wiregen import load_file, output
from wiregen.model import Schema

ZOO_SCHEMA = ROOT / "tests" / "schemas" / "zoo.yaml"
SEED = 5
PER_LAYOUT = 60


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Schema, Path, object]:
    schema = load_file(ZOO_SCHEMA)
    out = tmp_path_factory.mktemp("zoo")
    output.write(output.render_all([schema]), out)
    return schema, out, cf.load_python_module(out, schema.name)


def _values(schema: Schema, *types: str) -> list:
    return [v for v in cf.value_cases(schema, random.Random(SEED), PER_LAYOUT) if not types or v[0].name in types]


# --- C: two members of one struct declared in the other order ------------------------------


def swap_members(header: str, struct: str, first: str, second: str) -> str:
    """`header` with the adjacent members `first` and `second` of `struct` declared in the other
    order, and the offsetof assertions of `struct` dropped (they would refuse the swap)."""
    body = re.search(rf"^typedef struct {struct} {{\n(.*?)^}} {struct};$", header, re.S | re.M)
    assert body, f"no struct {struct} in the header"
    pair = re.search(rf"^    (\w+) {first};\n    (\w+) {second};\n", body.group(1), re.M)
    assert pair, f"{struct}.{first} and {struct}.{second} are not adjacent members"
    assert pair.group(1) == pair.group(2), "the swap must keep the struct's size: same types only"
    swapped = f"    {pair.group(2)} {second};\n    {pair.group(1)} {first};\n"
    start = body.start(1) + pair.start()
    header = header[:start] + swapped + header[start + len(pair.group(0)) :]
    asserts = re.compile(rf"^\w+_STATIC_ASSERT\(offsetof\({struct}, \w+\) == \d+\);\n", re.M)
    assert asserts.search(header), f"no offsetof assertion of {struct} to drop"
    return asserts.sub("", header)


def test_c_with_two_members_swapped_is_caught(zoo: tuple, tmp_path: Path) -> None:
    schema, out, py = zoo
    shutil.copytree(out / "c", tmp_path / "c")
    intact = cf.c_target(tmp_path, schema.name, tmp_path / "intact")
    values = _values(schema)
    assert cf.round_trip(schema, py, [intact], values), "the intact C codec must agree before it is broken"

    header = tmp_path / "c" / f"{schema.name}.h"
    header.write_text(swap_members(header.read_text(), "Point", "x", "y"))
    broken = cf.c_target(tmp_path, schema.name, tmp_path / "broken")

    report = cf.round_trip(schema, py, [broken], values)
    assert not report
    text = "\n\n".join(report.mismatches)
    # Point is the first type the swap touches; every case of it whose x and y differ is reported,
    # then (up to the report's limit) those of Holder, which holds Points
    assert report.mismatches[0].startswith("Point (VERSION 1, 4 bytes in): layout engine and c disagree"), text
    assert all(m.startswith(("Point (VERSION 1, 4 bytes in): layout engine and c disagree", "Holder (")) for m in report.mismatches), text
    first = report.mismatches[0]
    x, y = re.search(r"^  field x: (-?\d+) != (-?\d+)$", first, re.M).groups(), re.search(r"^  field y: (-?\d+) != (-?\d+)$", first, re.M).groups()
    assert x == y[::-1], first  # C read each coordinate from the other's bytes
    assert re.search(r"^  the values as bytes \(encoded by the layout engine\) differ at offsets \[[0-3](, [0-3])*\] \(fields x, y\)$", first, re.M), first
    want = b"".join(int(v).to_bytes(2, "little", signed=True) for v in x)
    got = b"".join(int(v).to_bytes(2, "little", signed=True) for v in y)
    assert f"    layout engine: {want.hex()}\n    c: {got.hex()}" in first, first

    # Point inside another struct: the array element and its fields are named
    nested = cf.round_trip(schema, py, [broken], _values(schema, "Holder"))
    assert not nested
    assert re.search(r"^  field points\[\d\]\.[xy]: ", nested.mismatches[0], re.M), nested.mismatches[0]
    assert re.search(r"differ at offsets \[[\d, ]+\] \(fields (points\[\d\]\.[xy](, )?)+\)$", nested.mismatches[0], re.M), nested.mismatches[0]


# --- Python: one format character changed ------------------------------------------------


def test_python_with_one_format_character_changed_is_caught(zoo: tuple, tmp_path: Path) -> None:
    schema, out, _ = zoo
    shutil.copytree(out / "python", tmp_path / "python")
    module = tmp_path / "python" / f"{schema.name}.py"
    text = module.read_text()
    # Point's two i16 coordinates, written big-endian: one character of one format string.
    assert text.count('_Point: Final = struct.Struct("<2h")') == 1
    module.write_text(text.replace('_Point: Final = struct.Struct("<2h")', '_Point: Final = struct.Struct(">2h")'))
    broken = cf.load_python_module(tmp_path, schema.name)
    try:
        report = cf.round_trip(schema, broken, [cf.python_target(tmp_path, schema.name)], _values(schema, "Point"))
    finally:
        cf.load_python_module(out, schema.name)  # leave the intact module imported for other tests
    assert not report
    text = "\n\n".join(report.mismatches)
    first = report.mismatches[0]
    assert first.startswith("Point (layout 1): the Python module and the layout engine encode the same values differently"), text
    offsets = re.search(r"differ at offsets \[([\d, ]+)\] \(fields ([\w, ]+)\)", first)
    assert offsets, first
    assert set(offsets.group(2).split(", ")) <= {"x", "y"} and offsets.group(2), first
    engine, python = re.search(r"^    layout engine: ([0-9a-f]+)\n    python: ([0-9a-f]+)$", first, re.M).groups()
    # the same two coordinates, each with its bytes reversed
    assert bytes.fromhex(python) == bytes.fromhex(engine)[1::-1] + bytes.fromhex(engine)[3:1:-1], first


# --- Rust: one bit of a bitmap moved ---------------------------------------------------------

RUST_SEED = 20240531


def _zoo_copy(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """The zoo's generated code in `scratch`, and its Python codec module (imported from there
    for this test only)."""
    schema = load_file(ZOO_SCHEMA)
    output.write(output.render_all([schema]), scratch)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in (schema.name, f"codec_{schema.name}"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name))
    return schema, cf.load_python_module(scratch, schema.name)


def test_rust_bitmap_with_a_moved_bit_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema, py = _zoo_copy(tmp_path, monkeypatch)
    workspace = tmp_path / "rust"
    # A crate directory of its own, so that cargo keeps this build apart from the zoo's.
    (workspace / "zoo").rename(workspace / "zoo_mutant")
    manifest = workspace / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('"zoo"', '"zoo_mutant"'))
    lib = workspace / "zoo_mutant" / "src" / "lib.rs"
    text = lib.read_text()

    # Swap `ready` (bit 0) and the reserved bit after it: `ready` moves to bit 1.
    bits = "    pub ready: bool,\n    #[bits(1)]\n    _reserved_1: u8,\n"
    assert bits in text
    text = text.replace(bits, "    #[bits(1)]\n    _reserved_1: u8,\n    pub ready: bool,\n")
    # The layout proof would refuse that; without it the mutant compiles.
    proof = re.compile(r"const _: \(\) = \{\n(?:    .*\n)*?    assert!\(Flags8::READY_OFFSET == 0 && .*\n(?:    .*\n)*?\};\n")
    assert proof.search(text)
    lib.write_text(proof.sub("", text, count=1))

    rust = cf.rust_target(tmp_path, schema.name)
    values = cf.value_cases(schema, random.Random(RUST_SEED), 40)
    bitmap = cf.round_trip(schema, py, [rust], [v for v in values if v[0].name == "Flags8"])
    holder = cf.round_trip(schema, py, [rust], [v for v in values if v[0].name == "Mixed"])

    assert not bitmap and not holder
    for block in bitmap.mismatches:
        assert block.startswith("Flags8 (VERSION auto, 1 bytes in): layout engine and rust disagree\n"), block
    text = "\n\n".join(bitmap.mismatches)
    # A set bit 1 (reserved) now reads as `ready`...
    assert "\n  field ready: False != True" in text, text
    # ...and `ready` (bit 0) is lost: the report gives the offset and both bytes.
    lost = re.findall(r"\n  bytes differ at offsets \[0\] \(fields Flags8\)\n    layout engine: ([0-9a-f]{2})\n    rust: ([0-9a-f]{2})", text)
    assert lost, text
    for engine, mutant in lost:
        assert int(mutant, 16) == int(engine, 16) & 0xFE
    # In a struct, the report names the bit field inside the struct's field, and the field's bytes.
    text = "\n\n".join(holder.mismatches)
    assert re.search(r"^Mixed \(VERSION 1, 24 bytes in\): layout engine and rust disagree\n(?:  field .*\n)*  field flags\.ready: ", text, re.M), text
    assert "\n  bytes differ at offsets [1] (fields flags)\n" in text, text


# --- messages: a length check off by one in the Python module --------------------------------


def test_python_message_length_check_off_by_one_is_caught(zoo: tuple, tmp_path: Path) -> None:
    schema, out, _ = zoo
    shutil.copytree(out / "python", tmp_path / "python")
    cases, expected = cf.message_cases(schema, random.Random(SEED), PER_LAYOUT)
    intact = cf.python_target(tmp_path, schema.name)
    assert cf.message_agreement(schema, [intact], cases, expected), "the intact Python module must agree before it is broken"

    module = tmp_path / "python" / f"{schema.name}.py"
    text = module.read_text()
    assert text.count("    if value < least:\n") == 1
    module.write_text(text.replace("    if value < least:\n", "    if value <= least:\n"))  # a message without payload bytes refused
    report = cf.message_agreement(schema, [cf.python_target(tmp_path, schema.name)], cases, expected)
    assert not report
    first = report.mismatches[0]
    assert first.startswith("Envelope (VERSION parse, ") and "layout engine and python disagree" in first, first
    assert "python: {'message': 'Envelope', 'error': 'length-too-small', 'field': 'head.total'" in first, first
