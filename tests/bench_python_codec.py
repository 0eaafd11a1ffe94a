"""Benchmark: the generated Python codec against hand-written `struct` code.

Run with `make bench`. Not collected by pytest (a benchmark, not a test).
"""

from __future__ import annotations

import struct
import sys
import timeit
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generated" / "python"))

import igvm_attest as m  # noqa: E402

N = 200_000
V2 = struct.pack("<8I", 32, 2, 0x1234, 503, 1, 0, 0, 0)
HAND = struct.Struct("<8I")


def hand_decode(data: bytes) -> tuple:
    data_size, version, code, http, signal, r0, r1, r2 = HAND.unpack(data)
    return data_size, version, (code, http, signal & 1, signal & ~0xF, [r0, r1, r2])


def hand_encode(t: tuple) -> bytes:
    data_size, version, (code, http, retry, reserved, res) = t
    return HAND.pack(data_size, version, code, http, (1 if retry else 0) | reserved, *res)


# The same objects written by hand: what a careful engineer would write without the generator.
@dataclass(slots=True)
class HandSignal:
    retry: bool = False
    reserved: int = 0


@dataclass(slots=True)
class HandErrorInfo:
    error_code: int = 0
    http_status_code: int = 0
    igvm_signal: HandSignal = field(default_factory=HandSignal)
    reserved: list = field(default_factory=lambda: [0, 0, 0])


@dataclass(slots=True)
class HandHeader:
    data_size: int = 0
    version: int = 2
    error_info: HandErrorInfo | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> "HandHeader":
        if len(data) < 8:
            raise ValueError("short")
        version = struct.unpack_from("<I", data, 4)[0]
        if version >= 2:
            if len(data) != 32:
                raise ValueError("short")
            v = HAND.unpack(data)
            sig = HandSignal(bool(v[4] & 1), v[4] & ~1)
            return cls(v[0], m.IgvmAttestResponseVersion(v[1]), HandErrorInfo(v[2], v[3], sig, list(v[5:8])))
        return cls(*struct.unpack("<2I", data))

    def to_bytes(self) -> bytes:
        e = self.error_info
        return HAND.pack(self.data_size, self.version, e.error_code, e.http_status_code, (1 if e.igvm_signal.retry else 0) | e.igvm_signal.reserved, *e.reserved)


def best(stmt, number: int = N, repeat: int = 5) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def main() -> None:
    h = m.IgvmAttestKeyReleaseResponseHeader.from_bytes(V2)
    t = hand_decode(V2)
    hh = HandHeader.from_bytes(V2)
    rows = [
        ("decode v2 response header (32 B)", best(lambda: m.IgvmAttestKeyReleaseResponseHeader.from_bytes(V2)), best(lambda: HandHeader.from_bytes(V2)), best(lambda: hand_decode(V2))),
        ("encode v2 response header (32 B)", best(h.to_bytes), best(hh.to_bytes), best(lambda: hand_encode(t))),
    ]
    base = m.IgvmAttestRequestBase()
    blob = base.to_bytes()
    print(f"{'operation':<34} {'generated':>10} {'hand, same objects':>19} {'ratio':>6} {'hand, tuples':>13}")
    for name, gen, hand, floor in rows:
        print(f"{name:<34} {gen * 1e9:7.0f} ns {hand * 1e9:16.0f} ns {gen / hand:6.2f} {floor * 1e9:10.0f} ns")
    gen_d = best(lambda: m.IgvmAttestRequestBase.from_bytes(blob), N // 4)
    gen_e = best(base.to_bytes, N // 4)
    print(f"request base (1236 B): decode {gen_d * 1e9:.0f} ns, encode {gen_e * 1e9:.0f} ns")


if __name__ == "__main__":
    main()
