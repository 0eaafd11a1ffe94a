"""The peers `make bench` measures the generated Python module against, written by hand.

Four messages, each written the way its peer is normally used:
  response   IgvmAttestKeyReleaseResponseHeader, version 2 (32 bytes; version dispatch)
  request    IgvmAttestRequestHeader (32 bytes; the HCLA signature is a magic number)
  holder     the zoo's Holder, its largest type (80 bytes: arrays of structs, enums, bitmaps)
  framed     the zoo's Framed, version 3, its most nested type (48 bytes, three levels)

Peers:
  baseline     what a careful engineer writes by hand: `__slots__` classes with constructors and
               one precompiled `struct.Struct` per message, one unpack and one pack; enums kept
               as plain integers (cheaper than the generated open-enum objects), bitmaps as
               objects with a field per bit group and the reserved bits kept
  dataclasses  the same with `@dataclass` classes
  ctypes       `LittleEndianStructure` views: `from_buffer_copy`, fields read in C on access
  construct    construct 2.10 declarations, compiled (`.compile()`)

Every peer refuses a buffer of the wrong size and reads the version field where there is one;
the request peers refuse a wrong signature where the peer can say so. Kaitai Struct parsers are
compiled at bench time from the declarations in `KSY` (see bench_codecs.py).
"""

from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass, field
from typing import Any

HCLA = 0x414C4348
ZOO_MAGIC = 0x5A4F4F21
TAG_MAGIC = 0x7A67


class BadInput(ValueError):
    pass


# --- baseline: __slots__ classes and one struct.Struct per message -------------------------


class Signal:
    __slots__ = ("retry", "skip_hw_unsealing", "rsa_aes_key_wrap_384_used", "corim_endorsement_requested", "reserved")

    def __init__(self, retry=False, skip_hw_unsealing=False, rsa_aes_key_wrap_384_used=False, corim_endorsement_requested=False, reserved=0):
        self.retry = retry
        self.skip_hw_unsealing = skip_hw_unsealing
        self.rsa_aes_key_wrap_384_used = rsa_aes_key_wrap_384_used
        self.corim_endorsement_requested = corim_endorsement_requested
        self.reserved = reserved

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), bool(raw & 2), bool(raw & 4), bool(raw & 8), raw & 0xFFFFFFF0)

    def __int__(self):
        return self.retry | self.skip_hw_unsealing << 1 | self.rsa_aes_key_wrap_384_used << 2 | self.corim_endorsement_requested << 3 | self.reserved


class ErrorInfo:
    __slots__ = ("error_code", "http_status_code", "igvm_signal", "reserved")

    def __init__(self, error_code=0, http_status_code=0, igvm_signal=None, reserved=None):
        self.error_code = error_code
        self.http_status_code = http_status_code
        self.igvm_signal = igvm_signal if igvm_signal is not None else Signal()
        self.reserved = reserved if reserved is not None else [0, 0, 0]


_RESPONSE_V1 = struct.Struct("<2I")
_RESPONSE_V2 = struct.Struct("<8I")


class Response:
    __slots__ = ("data_size", "version", "error_info")

    def __init__(self, data_size=0, version=2, error_info=None):
        self.data_size = data_size
        self.version = version
        self.error_info = error_info

    @classmethod
    def from_bytes(cls, data):
        n = len(data)
        if n == 32:
            size, version, code, http, signal, r0, r1, r2 = _RESPONSE_V2.unpack(data)
            if version >= 2:
                return cls(size, version, ErrorInfo(code, http, Signal.from_int(signal), [r0, r1, r2]))
        elif n == 8:
            size, version = _RESPONSE_V1.unpack(data)
            if version < 2:
                return cls(size, version)
        raise BadInput("not a key release response header")

    def to_bytes(self):
        if self.version >= 2:
            e = self.error_info
            return _RESPONSE_V2.pack(self.data_size, self.version, e.error_code, e.http_status_code, int(e.igvm_signal), *e.reserved)
        return _RESPONSE_V1.pack(self.data_size, self.version)


_REQUEST = struct.Struct("<8I")


class Request:
    __slots__ = ("signature", "version", "report_size", "request_type", "status", "reserved")

    def __init__(self, signature=HCLA, version=2, report_size=0, request_type=0, status=0, reserved=None):
        self.signature = signature
        self.version = version
        self.report_size = report_size
        self.request_type = request_type
        self.status = status
        self.reserved = reserved if reserved is not None else [0, 0, 0]

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 32:
            raise BadInput("a request header is 32 bytes")
        signature, version, size, kind, status, r0, r1, r2 = _REQUEST.unpack(data)
        if signature != HCLA:
            raise BadInput("bad signature")
        return cls(signature, version, size, kind, status, [r0, r1, r2])

    def to_bytes(self):
        return _REQUEST.pack(self.signature, self.version, self.report_size, self.request_type, self.status, *self.reserved)


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x=0, y=0):
        self.x = x
        self.y = y


class Packed:
    __slots__ = ("a", "b", "c", "d")

    def __init__(self, a=0, b=0, c=0, d=0):
        self.a, self.b, self.c, self.d = a, b, c, d


class Flags16:
    __slots__ = ("level", "match", "reserved")

    def __init__(self, level=0, match=False, reserved=0):
        self.level, self.match, self.reserved = level, match, reserved

    @classmethod
    def from_int(cls, raw):
        return cls(raw & 0xF, bool(raw & 0x8000), raw & 0x7FF0)

    def __int__(self):
        return self.level | self.match << 15 | self.reserved


class Flags64:
    __slots__ = ("low", "count", "high", "reserved")

    def __init__(self, low=False, count=0, high=False, reserved=0):
        self.low, self.count, self.high, self.reserved = low, count, high, reserved

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), raw >> 8 & 0xFFFFFFFF, bool(raw >> 63), raw & 0x7FFFFF00000000FE)

    def __int__(self):
        return self.low | self.count << 8 | self.high << 63 | self.reserved


_HOLDER = struct.Struct("<I6h4BBQHiB2H3b5sQ2QQ")


class Holder:
    __slots__ = ("magic", "points", "modes", "class_", "fill", "self_", "struct_", "pad", "big", "wides", "to_bytes_")

    def __init__(self, magic=ZOO_MAGIC, points=None, modes=None, class_=None, fill=0, self_=None, struct_=None, pad=bytes(5), big=None, wides=None, to_bytes_=0):
        self.magic = magic
        self.points = points if points is not None else [Point(), Point(), Point()]
        self.modes = modes if modes is not None else [0, 0, 0, 0]
        self.class_ = class_ if class_ is not None else Packed()
        self.fill = fill
        self.self_ = self_ if self_ is not None else [Flags16(), Flags16()]
        self.struct_ = struct_ if struct_ is not None else [0, 0, 0]
        self.pad = pad
        self.big = big if big is not None else Flags64()
        self.wides = wides if wides is not None else [1, 1]
        self.to_bytes_ = to_bytes_

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 80:
            raise BadInput("a Holder is 80 bytes")
        v = _HOLDER.unpack(data)
        if v[0] != ZOO_MAGIC:
            raise BadInput("bad magic")
        return cls(
            v[0],
            [Point(v[1], v[2]), Point(v[3], v[4]), Point(v[5], v[6])],
            list(v[7:11]),
            Packed(v[11], v[12], v[13], v[14]),
            v[15],
            [Flags16.from_int(v[16]), Flags16.from_int(v[17])],
            list(v[18:21]),
            v[21],
            Flags64.from_int(v[22]),
            [v[23], v[24]],
            v[25],
        )

    def to_bytes(self):
        p, k = self.points, self.class_
        return _HOLDER.pack(
            self.magic, p[0].x, p[0].y, p[1].x, p[1].y, p[2].x, p[2].y, *self.modes, k.a, k.b, k.c, k.d, self.fill,
            int(self.self_[0]), int(self.self_[1]), *self.struct_, self.pad, int(self.big), *self.wides, self.to_bytes_,
        )  # fmt: skip


class Flags8:
    __slots__ = ("ready", "mode", "type", "reserved")

    def __init__(self, ready=False, mode=0, type=False, reserved=0):
        self.ready, self.mode, self.type, self.reserved = ready, mode, type, reserved

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), raw >> 2 & 3, bool(raw & 0x80), raw & 0x72)

    def __int__(self):
        return self.ready | self.mode << 2 | self.type << 7 | self.reserved


class Tag:
    __slots__ = ("magic", "mode", "flags")

    def __init__(self, magic=TAG_MAGIC, mode=0, flags=None):
        self.magic, self.mode = magic, mode
        self.flags = flags if flags is not None else Flags8()


class Inner:
    __slots__ = ("version", "count", "spare", "extra", "extra_pad", "more")

    def __init__(self, version=3, count=0, spare=0, extra=None, extra_pad=None, more=None):
        self.version, self.count, self.spare, self.extra, self.extra_pad, self.more = version, count, spare, extra, extra_pad, more


class Outer:
    __slots__ = ("head", "inner")

    def __init__(self, head=0, inner=None):
        self.head = head
        self.inner = inner if inner is not None else Inner()


_FRAMED_V3 = struct.Struct("<HBBHBBHBBIQHHIIIQ")


class Framed:
    __slots__ = ("head", "tags", "count", "body")

    def __init__(self, head=None, tags=None, count=0, body=None):
        self.head = head if head is not None else Tag()
        self.tags = tags if tags is not None else [Tag(), Tag()]
        self.count = count
        self.body = body if body is not None else Outer()

    @classmethod
    def from_bytes(cls, data):
        if len(data) == 48:  # version 3; the older layouts are read alike (not measured)
            v = _FRAMED_V3.unpack(data)
            if v[11] >= 3:
                if v[0] != TAG_MAGIC or v[3] != TAG_MAGIC or v[6] != TAG_MAGIC:
                    raise BadInput("bad magic")
                return cls(
                    Tag(v[0], v[1], Flags8.from_int(v[2])),
                    [Tag(v[3], v[4], Flags8.from_int(v[5])), Tag(v[6], v[7], Flags8.from_int(v[8]))],
                    v[9],
                    Outer(v[10], Inner(v[11], v[12], v[13], v[14], v[15], [v[16]])),
                )
        raise BadInput("not a version 3 Framed")

    def to_bytes(self):
        h, (t0, t1), o = self.head, self.tags, self.body
        i = o.inner
        return _FRAMED_V3.pack(
            h.magic, h.mode, int(h.flags), t0.magic, t0.mode, int(t0.flags), t1.magic, t1.mode, int(t1.flags),
            self.count, o.head, i.version, i.count, i.spare, i.extra, i.extra_pad, *i.more,
        )  # fmt: skip


# --- dataclasses + struct ----------------------------------------------------------------------


@dataclass
class DSignal:
    retry: bool = False
    skip_hw_unsealing: bool = False
    rsa_aes_key_wrap_384_used: bool = False
    corim_endorsement_requested: bool = False
    reserved: int = 0

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), bool(raw & 2), bool(raw & 4), bool(raw & 8), raw & 0xFFFFFFF0)

    def __int__(self):
        return self.retry | self.skip_hw_unsealing << 1 | self.rsa_aes_key_wrap_384_used << 2 | self.corim_endorsement_requested << 3 | self.reserved


@dataclass
class DErrorInfo:
    error_code: int = 0
    http_status_code: int = 0
    igvm_signal: DSignal = field(default_factory=DSignal)
    reserved: list = field(default_factory=lambda: [0, 0, 0])


@dataclass
class DResponse:
    data_size: int = 0
    version: int = 2
    error_info: DErrorInfo | None = None

    @classmethod
    def from_bytes(cls, data):
        n = len(data)
        if n == 32:
            size, version, code, http, signal, r0, r1, r2 = _RESPONSE_V2.unpack(data)
            if version >= 2:
                return cls(size, version, DErrorInfo(code, http, DSignal.from_int(signal), [r0, r1, r2]))
        elif n == 8:
            size, version = _RESPONSE_V1.unpack(data)
            if version < 2:
                return cls(size, version)
        raise BadInput("not a key release response header")

    def to_bytes(self):
        if self.version >= 2:
            e = self.error_info
            return _RESPONSE_V2.pack(self.data_size, self.version, e.error_code, e.http_status_code, int(e.igvm_signal), *e.reserved)
        return _RESPONSE_V1.pack(self.data_size, self.version)


@dataclass
class DRequest:
    signature: int = HCLA
    version: int = 2
    report_size: int = 0
    request_type: int = 0
    status: int = 0
    reserved: list = field(default_factory=lambda: [0, 0, 0])

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 32:
            raise BadInput("a request header is 32 bytes")
        signature, version, size, kind, status, r0, r1, r2 = _REQUEST.unpack(data)
        if signature != HCLA:
            raise BadInput("bad signature")
        return cls(signature, version, size, kind, status, [r0, r1, r2])

    def to_bytes(self):
        return _REQUEST.pack(self.signature, self.version, self.report_size, self.request_type, self.status, *self.reserved)


@dataclass
class DPoint:
    x: int = 0
    y: int = 0


@dataclass
class DPacked:
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0


@dataclass
class DFlags16:
    level: int = 0
    match: bool = False
    reserved: int = 0

    @classmethod
    def from_int(cls, raw):
        return cls(raw & 0xF, bool(raw & 0x8000), raw & 0x7FF0)

    def __int__(self):
        return self.level | self.match << 15 | self.reserved


@dataclass
class DFlags64:
    low: bool = False
    count: int = 0
    high: bool = False
    reserved: int = 0

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), raw >> 8 & 0xFFFFFFFF, bool(raw >> 63), raw & 0x7FFFFF00000000FE)

    def __int__(self):
        return self.low | self.count << 8 | self.high << 63 | self.reserved


@dataclass
class DHolder:
    magic: int = ZOO_MAGIC
    points: list = field(default_factory=lambda: [DPoint(), DPoint(), DPoint()])
    modes: list = field(default_factory=lambda: [0, 0, 0, 0])
    class_: DPacked = field(default_factory=DPacked)
    fill: int = 0
    self_: list = field(default_factory=lambda: [DFlags16(), DFlags16()])
    struct_: list = field(default_factory=lambda: [0, 0, 0])
    pad: bytes = bytes(5)
    big: DFlags64 = field(default_factory=DFlags64)
    wides: list = field(default_factory=lambda: [1, 1])
    to_bytes_: int = 0

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 80:
            raise BadInput("a Holder is 80 bytes")
        v = _HOLDER.unpack(data)
        if v[0] != ZOO_MAGIC:
            raise BadInput("bad magic")
        return cls(
            v[0],
            [DPoint(v[1], v[2]), DPoint(v[3], v[4]), DPoint(v[5], v[6])],
            list(v[7:11]),
            DPacked(v[11], v[12], v[13], v[14]),
            v[15],
            [DFlags16.from_int(v[16]), DFlags16.from_int(v[17])],
            list(v[18:21]),
            v[21],
            DFlags64.from_int(v[22]),
            [v[23], v[24]],
            v[25],
        )

    def to_bytes(self):
        p, k = self.points, self.class_
        return _HOLDER.pack(
            self.magic, p[0].x, p[0].y, p[1].x, p[1].y, p[2].x, p[2].y, *self.modes, k.a, k.b, k.c, k.d, self.fill,
            int(self.self_[0]), int(self.self_[1]), *self.struct_, self.pad, int(self.big), *self.wides, self.to_bytes_,
        )  # fmt: skip


@dataclass
class DFlags8:
    ready: bool = False
    mode: int = 0
    type: bool = False
    reserved: int = 0

    @classmethod
    def from_int(cls, raw):
        return cls(bool(raw & 1), raw >> 2 & 3, bool(raw & 0x80), raw & 0x72)

    def __int__(self):
        return self.ready | self.mode << 2 | self.type << 7 | self.reserved


@dataclass
class DTag:
    magic: int = TAG_MAGIC
    mode: int = 0
    flags: DFlags8 = field(default_factory=DFlags8)


@dataclass
class DInner:
    version: int = 3
    count: int = 0
    spare: int = 0
    extra: int | None = None
    extra_pad: int | None = None
    more: list | None = None


@dataclass
class DOuter:
    head: int = 0
    inner: DInner = field(default_factory=DInner)


@dataclass
class DFramed:
    head: DTag = field(default_factory=DTag)
    tags: list = field(default_factory=lambda: [DTag(), DTag()])
    count: int = 0
    body: DOuter = field(default_factory=DOuter)

    @classmethod
    def from_bytes(cls, data):
        if len(data) == 48:
            v = _FRAMED_V3.unpack(data)
            if v[11] >= 3:
                if v[0] != TAG_MAGIC or v[3] != TAG_MAGIC or v[6] != TAG_MAGIC:
                    raise BadInput("bad magic")
                return cls(
                    DTag(v[0], v[1], DFlags8.from_int(v[2])),
                    [DTag(v[3], v[4], DFlags8.from_int(v[5])), DTag(v[6], v[7], DFlags8.from_int(v[8]))],
                    v[9],
                    DOuter(v[10], DInner(v[11], v[12], v[13], v[14], v[15], [v[16]])),
                )
        raise BadInput("not a version 3 Framed")

    def to_bytes(self):
        h, (t0, t1), o = self.head, self.tags, self.body
        i = o.inner
        return _FRAMED_V3.pack(
            h.magic, h.mode, int(h.flags), t0.magic, t0.mode, int(t0.flags), t1.magic, t1.mode, int(t1.flags),
            self.count, o.head, i.version, i.count, i.spare, i.extra, i.extra_pad, *i.more,
        )  # fmt: skip


# --- ctypes: views over a copy of the bytes, fields read in C ---------------------------------

u8, u16, u32, u64 = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64
i8, i16, i32 = ctypes.c_int8, ctypes.c_int16, ctypes.c_int32


class CSignal(ctypes.LittleEndianStructure):
    _fields_ = [("retry", u32, 1), ("skip_hw_unsealing", u32, 1), ("rsa_aes_key_wrap_384_used", u32, 1), ("corim_endorsement_requested", u32, 1), ("reserved", u32, 28)]


class CErrorInfo(ctypes.LittleEndianStructure):
    _fields_ = [("error_code", u32), ("http_status_code", u32), ("igvm_signal", CSignal), ("reserved", u32 * 3)]


class CResponseV1(ctypes.LittleEndianStructure):
    _fields_ = [("data_size", u32), ("version", u32)]


class CResponse(ctypes.LittleEndianStructure):
    _fields_ = [("data_size", u32), ("version", u32), ("error_info", CErrorInfo)]

    @classmethod
    def from_bytes(cls, data):
        n = len(data)
        if n == 32:
            h = cls.from_buffer_copy(data)
            if h.version >= 2:
                return h
        elif n == 8:
            h1 = CResponseV1.from_buffer_copy(data)
            if h1.version < 2:
                return h1
        raise BadInput("not a key release response header")

    def to_bytes(self):
        return bytes(self)


class CRequest(ctypes.LittleEndianStructure):
    _fields_ = [("signature", u32), ("version", u32), ("report_size", u32), ("request_type", u32), ("status", u32), ("reserved", u32 * 3)]

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 32:
            raise BadInput("a request header is 32 bytes")
        h = cls.from_buffer_copy(data)
        if h.signature != HCLA:
            raise BadInput("bad signature")
        return h

    def to_bytes(self):
        return bytes(self)


class CPoint(ctypes.LittleEndianStructure):
    _fields_ = [("x", i16), ("y", i16)]


class CPacked(ctypes.LittleEndianStructure):
    _pack_ = 1
    _fields_ = [("a", u8), ("b", u64), ("c", u16), ("d", i32)]


class CFlags16(ctypes.LittleEndianStructure):
    _fields_ = [("level", u16, 4), ("reserved", u16, 11), ("match", u16, 1)]


class CFlags64(ctypes.LittleEndianStructure):
    _fields_ = [("low", u64, 1), ("reserved_1", u64, 7), ("count", u64, 32), ("reserved_40", u64, 23), ("high", u64, 1)]


class CHolder(ctypes.LittleEndianStructure):
    _fields_ = [
        ("magic", u32), ("points", CPoint * 3), ("modes", u8 * 4), ("class_", CPacked), ("fill", u8), ("self_", CFlags16 * 2),
        ("struct_", i8 * 3), ("pad", u8 * 5), ("big", CFlags64), ("wides", u64 * 2), ("to_bytes_", u64),
    ]  # fmt: skip

    @classmethod
    def from_bytes(cls, data):
        if len(data) != 80:
            raise BadInput("a Holder is 80 bytes")
        h = cls.from_buffer_copy(data)
        if h.magic != ZOO_MAGIC:
            raise BadInput("bad magic")
        return h

    def to_bytes(self):
        return bytes(self)


class CFlags8(ctypes.LittleEndianStructure):
    _fields_ = [("ready", u8, 1), ("reserved_1", u8, 1), ("mode", u8, 2), ("reserved_4", u8, 3), ("type", u8, 1)]


class CTag(ctypes.LittleEndianStructure):
    _fields_ = [("magic", u16), ("mode", u8), ("flags", CFlags8)]


class CInner(ctypes.LittleEndianStructure):
    _fields_ = [("version", u16), ("count", u16), ("spare", u32), ("extra", u32), ("extra_pad", u32), ("more", u64 * 1)]


class COuter(ctypes.LittleEndianStructure):
    _fields_ = [("head", u64), ("inner", CInner)]


class CFramed(ctypes.LittleEndianStructure):
    _fields_ = [("head", CTag), ("tags", CTag * 2), ("count", u32), ("body", COuter)]

    @classmethod
    def from_bytes(cls, data):
        if len(data) == 48:
            f = cls.from_buffer_copy(data)
            if f.body.inner.version >= 3:
                if f.head.magic != TAG_MAGIC or f.tags[0].magic != TAG_MAGIC or f.tags[1].magic != TAG_MAGIC:
                    raise BadInput("bad magic")
                return f
        raise BadInput("not a version 3 Framed")

    def to_bytes(self):
        return bytes(self)


assert [ctypes.sizeof(c) for c in (CResponse, CRequest, CHolder, CFramed)] == [32, 32, 80, 48]


# --- construct ----------------------------------------------------------------------------


def construct_peers() -> dict[str, Any]:
    """The construct declarations, compiled; {} where construct is not installed."""
    try:
        import construct as c
    except ImportError:
        return {}

    def le_bits(*fields):  # a little-endian integer's bits, bit 0 first
        return c.ByteSwapped(c.BitStruct(*reversed(fields)))

    signal = le_bits("retry" / c.Flag, "skip_hw_unsealing" / c.Flag, "rsa_aes_key_wrap_384_used" / c.Flag, "corim_endorsement_requested" / c.Flag, "reserved" / c.BitsInteger(28))
    error_info = c.Struct("error_code" / c.Int32ul, "http_status_code" / c.Int32ul, "igvm_signal" / signal, "reserved" / c.Array(3, c.Int32ul))
    response = c.Struct("data_size" / c.Int32ul, "version" / c.Int32ul, "error_info" / c.If(c.this.version >= 2, error_info), c.Terminated)
    request = c.Struct(
        "signature" / c.Const(HCLA, c.Int32ul), "version" / c.Int32ul, "report_size" / c.Int32ul, "request_type" / c.Int32ul,
        "status" / c.Int32ul, "reserved" / c.Array(3, c.Int32ul), c.Terminated,
    )  # fmt: skip
    point = c.Struct("x" / c.Int16sl, "y" / c.Int16sl)
    packed = c.Struct("a" / c.Int8ul, "b" / c.Int64ul, "c" / c.Int16ul, "d" / c.Int32sl)
    flags16 = le_bits("level" / c.BitsInteger(4), "reserved" / c.BitsInteger(11), "match" / c.Flag)
    flags64 = le_bits("low" / c.Flag, "reserved_1" / c.BitsInteger(7), "count" / c.BitsInteger(32), "reserved_40" / c.BitsInteger(23), "high" / c.Flag)
    holder = c.Struct(
        "magic" / c.Const(ZOO_MAGIC, c.Int32ul), "points" / c.Array(3, point), "modes" / c.Array(4, c.Int8ul), "class_" / packed,
        "fill" / c.Int8ul, "self_" / c.Array(2, flags16), "struct_" / c.Array(3, c.Int8sl), "pad" / c.Bytes(5), "big" / flags64,
        "wides" / c.Array(2, c.Int64ul), "to_bytes_" / c.Int64ul, c.Terminated,
    )  # fmt: skip
    flags8 = le_bits("ready" / c.Flag, "reserved_1" / c.BitsInteger(1), "mode" / c.BitsInteger(2), "reserved_4" / c.BitsInteger(3), "type" / c.Flag)
    tag = c.Struct("magic" / c.Const(TAG_MAGIC, c.Int16ul), "mode" / c.Int8ul, "flags" / flags8)
    inner = c.Struct(
        "version" / c.Int16ul, "count" / c.Int16ul, "spare" / c.Int32ul, "extra" / c.If(c.this.version >= 2, c.Int32ul),
        "extra_pad" / c.If(c.this.version >= 2, c.Int32ul), "more" / c.If(c.this.version >= 3, c.Array(1, c.Int64ul)),
    )  # fmt: skip
    framed = c.Struct("head" / tag, "tags" / c.Array(2, tag), "count" / c.Int32ul, "body" / c.Struct("head" / c.Int64ul, "inner" / inner), c.Terminated)
    out = {}
    for name, decl in (("response", response), ("request", request), ("holder", holder), ("framed", framed)):
        try:
            out[name] = decl.compile()
        except Exception:  # a construct the compiler does not take: the interpreted declaration
            out[name] = decl
    return out


# --- Kaitai Struct: declarations compiled to Python at bench time -----------------------------


def _ksy(id_: str, seq: list, types: dict | None = None, instances: dict | None = None) -> dict:
    out: dict[str, Any] = {"meta": {"id": id_, "endian": "le", "bit-endian": "le"}, "seq": seq}
    if types:
        out["types"] = types
    return out


KSY = {
    "response": _ksy(
        "response",
        [{"id": "data_size", "type": "u4"}, {"id": "version", "type": "u4"}, {"id": "error_info", "type": "error_info", "if": "version >= 2"}],
        {
            "error_info": {"seq": [{"id": "error_code", "type": "u4"}, {"id": "http_status_code", "type": "u4"}, {"id": "igvm_signal", "type": "signal"}, {"id": "reserved", "type": "u4", "repeat": "expr", "repeat-expr": 3}]},
            "signal": {"seq": [{"id": "retry", "type": "b1"}, {"id": "skip_hw_unsealing", "type": "b1"}, {"id": "rsa_aes_key_wrap_384_used", "type": "b1"}, {"id": "corim_endorsement_requested", "type": "b1"}, {"id": "reserved", "type": "b28"}]},
        },
    ),
    "request": _ksy(
        "request",
        [{"id": "signature", "contents": [0x48, 0x43, 0x4C, 0x41]}, {"id": "version", "type": "u4"}, {"id": "report_size", "type": "u4"}, {"id": "request_type", "type": "u4"}, {"id": "status", "type": "u4"}, {"id": "reserved", "type": "u4", "repeat": "expr", "repeat-expr": 3}],
    ),
    "holder": _ksy(
        "holder",
        [
            {"id": "magic", "contents": [0x21, 0x4F, 0x4F, 0x5A]}, {"id": "points", "type": "point", "repeat": "expr", "repeat-expr": 3},
            {"id": "modes", "type": "u1", "repeat": "expr", "repeat-expr": 4}, {"id": "class_", "type": "packed"}, {"id": "fill", "type": "u1"},
            {"id": "self_", "type": "flags16", "repeat": "expr", "repeat-expr": 2}, {"id": "struct_", "type": "s1", "repeat": "expr", "repeat-expr": 3},
            {"id": "pad", "size": 5}, {"id": "big", "type": "flags64"}, {"id": "wides", "type": "u8", "repeat": "expr", "repeat-expr": 2}, {"id": "to_bytes_", "type": "u8"},
        ],
        {
            "point": {"seq": [{"id": "x", "type": "s2"}, {"id": "y", "type": "s2"}]},
            "packed": {"seq": [{"id": "a", "type": "u1"}, {"id": "b", "type": "u8"}, {"id": "c", "type": "u2"}, {"id": "d", "type": "s4"}]},
            "flags16": {"seq": [{"id": "level", "type": "b4"}, {"id": "reserved", "type": "b11"}, {"id": "match", "type": "b1"}]},
            "flags64": {"seq": [{"id": "low", "type": "b1"}, {"id": "reserved_1", "type": "b7"}, {"id": "count", "type": "b32"}, {"id": "reserved_40", "type": "b23"}, {"id": "high", "type": "b1"}]},
        },
    ),
    "framed": _ksy(
        "framed",
        [{"id": "head", "type": "tag"}, {"id": "tags", "type": "tag", "repeat": "expr", "repeat-expr": 2}, {"id": "count", "type": "u4"}, {"id": "body", "type": "outer"}],
        {
            "tag": {"seq": [{"id": "magic", "contents": [0x67, 0x7A]}, {"id": "mode", "type": "u1"}, {"id": "flags", "type": "flags8"}]},
            "flags8": {"seq": [{"id": "ready", "type": "b1"}, {"id": "reserved_1", "type": "b1"}, {"id": "mode", "type": "b2"}, {"id": "reserved_4", "type": "b3"}, {"id": "type", "type": "b1"}]},
            "outer": {"seq": [{"id": "head", "type": "u8"}, {"id": "inner", "type": "inner"}]},
            "inner": {
                "seq": [
                    {"id": "version", "type": "u2"}, {"id": "count", "type": "u2"}, {"id": "spare", "type": "u4"},
                    {"id": "extra", "type": "u4", "if": "version >= 2"}, {"id": "extra_pad", "type": "u4", "if": "version >= 2"},
                    {"id": "more", "type": "u8", "repeat": "expr", "repeat-expr": 1, "if": "version >= 3"},
                ]
            },
        },
    ),
}
