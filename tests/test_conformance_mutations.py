"""Proof the harness bites: break one target in a scratch copy of its generated code and the
round trip must report the mismatch, naming the type, the field and the differing bytes."""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

import pytest

import conformance as cf
from conftest import ROOT

from generator import load_file, output

ZOO_SCHEMA = ROOT / "tests" / "schemas" / "zoo.yaml"
SEED = 20240531


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
    values = cf.value_cases(schema, random.Random(SEED), 40)
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
