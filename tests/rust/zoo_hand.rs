//! Hand-written checks of the crate generated from tests/schemas/zoo.yaml, with bytes
//! packed by hand (not by the generator's codec). tests/test_rust_target.py copies this file
//! into the generated crate's tests/ and runs it with cargo.

use zoo::*;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

#[test]
fn keyword_names_take_an_underscore() {
    let flags = Flags8::new().with_type_(true);
    assert!(flags.type_());
    assert_eq!(flags.as_bytes(), [0x80]);
    assert_eq!(Flags16::new().with_match_(true).with_level(0xF).as_bytes(), [0x0F, 0x80]);

    let mut holder = Holder::new_zeroed();
    holder.self_ = [Flags16::new().with_match_(true); 2];
    holder.struct_ = [-1, 0, 1];
    holder.class.a = 9; // `class` is no Rust keyword: kept as it is
    holder.to_bytes = 1; // named like an API of another target, not of this one
    let bytes = holder.as_bytes();
    assert_eq!(bytes[20], 9);
    assert_eq!(bytes[36..40], [0x00, 0x80, 0x00, 0x80]);
    assert_eq!(bytes[40..43], [0xFF, 0x00, 0x01]);
    assert_eq!(bytes[72..80], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(format!("{:?}", Kind::TYPE), "TYPE");
}

#[test]
fn packed_struct_has_no_padding() {
    let packed = Packed {
        a: 0x11,
        b: 0x0102_0304_0506_0708,
        c: 0x0A0B,
        d: -2,
    };
    let bytes = [
        0x11, 8, 7, 6, 5, 4, 3, 2, 1, 0x0B, 0x0A, 0xFE, 0xFF, 0xFF, 0xFF,
    ];
    assert_eq!(packed.as_bytes(), bytes);
    assert_eq!(core::mem::align_of::<Packed>(), 1);
    assert_eq!(Packed::read_from_bytes(&bytes).unwrap(), packed);
}

#[test]
fn u64_fields_align_the_struct_to_8() {
    let mixed = Mixed {
        tag: 0xAA,
        flags: Flags8::new().with_ready(true),
        short: Short::A,
        int: -1,
        wide: 0x1122_3344_5566_7788,
        kind: Kind::NEGATIVE_ONE,
        reserved: [0; 4],
    };
    let bytes = [
        0xAA, 0x01, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
        0x11, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
    ];
    assert_eq!(mixed.as_bytes(), bytes);
    assert_eq!(core::mem::align_of::<Mixed>(), 8);
    assert_eq!(core::mem::align_of::<Holder>(), 8);
    assert_eq!(
        Flags64::new().with_count(0xDEAD_BEEF).with_high(true).as_bytes(),
        [0x00, 0xEF, 0xBE, 0xAD, 0xDE, 0x00, 0x00, 0x80]
    );
    assert_eq!(Wide::HUGE.as_bytes(), [0, 0, 0, 0, 0, 0, 0, 0x80]);
}

#[test]
fn enum_typed_bit_field_keeps_unknown_values_and_reserved_bits() {
    let flags = Flags8::new().with_ready(true).with_mode(Mode::FAST);
    assert_eq!(flags.as_bytes(), [0x09]);
    let unknown = Flags8::read_from_bytes(&[0x0C]).unwrap();
    assert_eq!(unknown.mode(), Mode(3));
    assert_eq!(format!("{:?}", unknown.mode()), "3");
    assert_eq!(format!("{:?}", Mode::SLOW), "SLOW");
    let all = Flags8::read_from_bytes(&[0xFF]).unwrap();
    assert!(all.ready() && all.type_());
    assert_eq!(all.mode(), Mode(3));
    assert_eq!(all.with_mode(Mode::OFF).as_bytes(), [0xF3]);
    assert_eq!(format!("{:?}", Kind(-5)), "-5");
}

#[test]
fn arrays_of_structs_enums_and_bitmaps() {
    let mut holder = Holder::new_zeroed();
    holder.points = [
        Point { x: 1, y: -1 },
        Point { x: 2, y: -2 },
        Point { x: 3, y: -3 },
    ];
    holder.modes = [Mode::OFF, Mode::SLOW, Mode::FAST, Mode(3)];
    holder.wides = [Wide::SMALL, Wide(2)];
    let bytes = holder.as_bytes();
    assert_eq!(
        bytes[4..16],
        [1, 0, 0xFF, 0xFF, 2, 0, 0xFE, 0xFF, 3, 0, 0xFD, 0xFF]
    );
    assert_eq!(bytes[16..20], [0, 1, 2, 3]);
    assert_eq!(bytes[56..72], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    let back = Holder::read_from_bytes(bytes).unwrap();
    assert_eq!(back.points[1], Point { x: 2, y: -2 });
    assert_eq!(back.modes[3], Mode(3));
}

#[test]
fn nested_versioned_struct_selects_the_outer_layout() {
    let v1 = OuterV1 {
        head: 7,
        inner: InnerV1 {
            version: 1,
            count: 2,
            spare: 0,
        },
    };
    let mut bytes = [7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0];
    assert_eq!(v1.as_bytes(), bytes);
    assert_eq!(Outer::SIZE_V1, 16);
    assert_eq!(Outer::layout_version(&bytes), Ok(1));
    bytes[8] = 2;
    assert_eq!(Outer::layout_version(&bytes), Ok(2));
    bytes[8] = 9;
    assert_eq!(Outer::layout_version(&bytes), Ok(3));
    assert_eq!(
        Outer::layout_version(&bytes[..9]),
        Err(BufferTooShort { needed: 10, len: 9 })
    );
    // Every layout of a struct keeps the struct's alignment.
    assert_eq!(core::mem::align_of::<InnerV1>(), 8);
    assert_eq!(core::mem::size_of::<OuterV2>(), 24);
}
