"""Layout engine edge cases, against offsets worked out by hand from the C layout rules,
and the IGVM sizes the protocol reference gives."""

from __future__ import annotations

import struct

from conftest import ZOO_SCHEMA, IGVM_SCHEMA

from wiregen import codec, load_file, load_text


def offsets(st) -> list[tuple[str, int, int]]:
    return [(f.name, f.offset, f.size) for f in st.fields]


def test_igvm_sizes_match_the_reference() -> None:
    s = load_file(IGVM_SCHEMA)
    sizes = {st.name: [lay.size for lay in st.layouts] for st in s.structs}
    assert sizes == {
        "IgvmAttestRequestHeader": [32],
        "IgvmAttestRequestData": [20, 24],
        "IgvmAttestRequestBase": [1236, 1240],
        "IgvmErrorInfo": [24],
        "IgvmAttestKeyReleaseResponseHeader": [8, 32],
        "IgvmAttestWrappedKeyResponseHeader": [8, 32],
        "IgvmAttestAkCertResponseHeader": [8, 32],
    }
    base = next(st for st in s.structs if st.name == "IgvmAttestRequestBase")
    # request_data.version sits at absolute offset 1220 (reference, section 6).
    assert base.version_offset == 1220
    assert [f.name for f in base.version_path] == ["request_data", "version"]
    assert offsets(base) == [("header", 0, 32), ("attestation_report", 32, 1184), ("request_data", 1216, 24)]
    bitmaps = {b.name: b for b in s.bitmaps}
    assert bitmaps["IgvmCapabilityBitMap"].reserved_mask == 0xFFFFFFE0
    assert bitmaps["IgvmSignal"].reserved_mask == 0xFFFFFFF0


def test_feature_layouts_by_hand() -> None:
    s = load_file(ZOO_SCHEMA)
    st = {x.name: x for x in s.structs}
    # u8, u8 bitmap, u16 enum, i32, then u64 aligned to 8, i32 enum, u8[4] filler: 24, align 8.
    assert offsets(st["Mixed"]) == [("tag", 0, 1), ("flags", 1, 1), ("short", 2, 2), ("int", 4, 4), ("wide", 8, 8), ("kind", 16, 4), ("reserved", 20, 4)]
    assert (st["Mixed"].size, st["Mixed"].align) == (24, 8)
    # Packed: no padding, alignment 1, the u64 at offset 1.
    assert offsets(st["Packed"]) == [("a", 0, 1), ("b", 1, 8), ("c", 9, 2), ("d", 11, 4)]
    assert (st["Packed"].size, st["Packed"].align) == (15, 1)
    # Arrays: Point[SLOT_COUNT=3] is 12 bytes, a packed struct inside needs no alignment,
    # Flags16[2] aligned to 2, the u64 bitmap to 8 after 5 reserved bytes.
    h = dict((n, (o, z)) for n, o, z in offsets(st["Holder"]))
    assert h["points"] == (4, 12) and h["class"] == (20, 15) and h["fill"] == (35, 1)
    assert h["self"] == (36, 4) and h["struct"] == (40, 3) and h["big"] == (48, 8) and h["wides"] == (56, 16)
    assert (st["Holder"].size, st["Holder"].align) == (80, 8)
    # A versioned struct as the last field: one size per version for the outer struct too.
    assert [(lay.version, lay.size) for lay in st["Inner"].layouts] == [(1, 8), (2, 16), (3, 24)]
    assert [(lay.version, lay.size) for lay in st["Outer"].layouts] == [(1, 16), (2, 24), (3, 32)]
    assert st["Outer"].version_offset == 8
    assert [st["Outer"].size_in(v) for v in (0, 1, 2, 3, 9)] == [16, 16, 24, 32, 32]


def test_bitmap_masks_and_reserved_ranges() -> None:
    s = load_file(ZOO_SCHEMA)
    b = {x.name: x for x in s.bitmaps}
    f8 = {f.name: (f.lo, f.width, f.mask) for f in b["Flags8"].fields}
    assert f8 == {"ready": (0, 1, 0x01), "mode": (2, 2, 0x0C), "type": (7, 1, 0x80)}
    assert [(r.lo, r.hi) for r in b["Flags8"].reserved] == [(1, 1), (4, 6)]
    assert b["Flags8"].reserved_mask == 0b0111_0010
    f64 = {f.name: f.mask for f in b["Flags64"].fields}
    assert f64["count"] == 0xFF_FFFF_FF00 and f64["high"] == 1 << 63


def test_reference_codec_against_hand_packed_bytes() -> None:
    s = load_file(ZOO_SCHEMA)
    st = {x.name: x for x in s.structs}
    value = {"a": 1, "b": 0x0102030405060708, "c": 0xBEEF, "d": -2}
    assert codec.encode(st["Packed"], value) == struct.pack("<BQHi", 1, 0x0102030405060708, 0xBEEF, -2)
    inner_v2 = {"version": 2, "count": 7, "spare": 0, "extra": 0xAABBCCDD, "extra_pad": 0}
    outer = {"head": 5, "inner": inner_v2}
    assert codec.encode(st["Outer"], outer, 2) == struct.pack("<QHHIII", 5, 2, 7, 0, 0xAABBCCDD, 0)
    assert codec.decode(st["Outer"], struct.pack("<QHHIII", 5, 2, 7, 0, 0xAABBCCDD, 0)) == (outer, 2)
    flags = {"ready": True, "mode": 2, "type": True, "_reserved": 0x10}
    assert codec.encode(s.bitmaps[0], flags) == bytes([0x01 | 2 << 2 | 0x80 | 0x10])


def test_versions_default_to_one_and_since_values() -> None:
    s = load_text("schema: t\nendian: little\nstructs:\n  - name: S\n    version_field: v\n    fields:\n      - {name: v, type: u16}\n      - {name: w, type: u16}\n      - {name: x, type: u32, since: 3}\n", "t.yaml")
    assert s.versions == [1, 3]
    assert [(lay.version, lay.size) for lay in s.structs[0].layouts] == [(1, 4), (3, 8)]
