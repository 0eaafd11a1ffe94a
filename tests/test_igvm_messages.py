"""IGVM requests and responses of versions 1 and 2, built from parts and payload by every target
(Python, Rust, C), are the bytes packed by hand from the protocol reference (sections 7 and 9),
with every length field right; buffers with a lying length field are refused by every target
with the same kind, field and numbers."""

from __future__ import annotations

import json
import struct

import pytest

import conformance as cf
from conftest import LIVE_SCHEMA, ROOT

from wiregen import load_file

CLAIMS = b'{"keys":[{"kid":"HCLTransferKey"}],"vm-configuration":{}}'
REPORT = bytes(range(256)) * 4 + bytes(160)  # an SNP report's 1184 bytes


@pytest.fixture(scope="module")
def targets() -> list[cf.Target]:
    out = ROOT / "generated"
    # the live crate is named like the IGVM fixture's, which the conformance tests build: a cargo
    # target directory of its own, and a C build directory of its own
    rust = cf.rust_target(out, "igvm_attest", target_suffix="-live")
    return [cf.python_target(out, "igvm_attest"), rust, cf.c_target(out, "igvm_attest", ROOT / "build" / "conformance" / "live-c")]


def packed_request(version: int, claims: bytes = CLAIMS) -> bytes:
    ext = 4 if version >= 2 else 0
    header = struct.pack("<8I", 0x414C4348, 2, 1236 + ext + len(claims), 1, 0, 0, 0, 0)  # KEY_RELEASE_REQUEST
    data = struct.pack("<5I", 20 + ext + len(claims), version, 2, 1, len(claims))  # SNP_VM_REPORT, SHA_256
    bitmap = struct.pack("<I", 0x0F) if version >= 2 else b""
    return header + REPORT + data + bitmap + claims


def packed_response(version: int, payload: bytes, error: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    if version == 1:
        return struct.pack("<2I", 8 + len(payload), 1) + payload
    return struct.pack("<8I", 32 + len(payload), 2, *error, 0, 0, 0) + payload


def flags(name: str, version: int) -> str:
    """`build:FLAGS` for a message of `version`: the parts that version has (a later protocol
    version may add parts; these lines stay version 1 and 2 messages)."""
    msg = load_file(LIVE_SCHEMA).message(name)
    assert msg is not None
    return "build:" + "".join("1" if p.first_version <= version else "0" for p in msg.struct_parts)


def request_line(version: int, claims: bytes) -> cf.Case:
    """Parts with every length field zero: the builder fills them in."""
    header = struct.pack("<8I", 0x414C4348, 2, 0, 1, 0, 0, 0, 0)
    data = struct.pack("<5I", 0, version, 2, 1, 0)
    ext = struct.pack("<I", 0x0F) if version >= 2 else b""
    return cf.Case("IgvmAttestRequest", flags("IgvmAttestRequest", version), header + REPORT + data + ext + claims)


def response_line(name: str, version: int, payload: bytes, error: tuple[int, int, int] = (0, 0, 0)) -> cf.Case:
    error_info = struct.pack("<6I", *error, 0, 0, 0) if version >= 2 else b""
    return cf.Case(name, flags(name, version), struct.pack("<2I", 0, version) + error_info + payload)


def answers(targets: list[cf.Target], cases: list[cf.Case]) -> list[dict]:
    """Every target's answers, which must be the same text; returns them read."""
    got = cf.run_all(targets, cases)
    first = got[targets[0].name]
    for t in targets[1:]:
        for case, a, b in zip(cases, first, got[t.name]):
            assert a == b, f"{case.line[:120]}: {targets[0].name} {a} != {t.name} {b}"
    return [json.loads(a) for a in first]


def test_requests_and_responses_built_by_every_target_are_the_reference_bytes(targets: list[cf.Target]) -> None:
    jwt = b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
    cert = bytes(range(200))
    cases = [request_line(1, CLAIMS), request_line(2, CLAIMS), request_line(2, b"")]
    want = [packed_request(1), packed_request(2), packed_request(2, b"")]
    for name, payload in (("IgvmAttestKeyReleaseResponse", jwt), ("IgvmAttestWrappedKeyResponse", b'{"DiskEncryptionSettings":{}}'), ("IgvmAttestAkCertResponse", cert)):
        cases += [response_line(name, 1, payload), response_line(name, 2, payload)]
        want += [packed_response(1, payload), packed_response(2, payload)]
    cases.append(response_line("IgvmAttestKeyReleaseResponse", 2, b"", error=(0x1234, 503, 0b01)))  # a failure with the retry signal
    want.append(packed_response(2, b"", error=(0x1234, 503, 0b01)))
    for case, answer, expected in zip(cases, answers(targets, cases), want):
        assert answer == {"message": case.type, "hex": expected.hex()}, case.line[:120]


# (message, bytes, the refusal: kind, field, value, limit); `given` is always the buffer's length.
LIES = [
    ("IgvmAttestRequest", packed_request(2)[:1223], ("short", "base.request_data.version", None, 1224)),
    ("IgvmAttestRequest", packed_request(2)[:1239], ("short", None, 2, 1240)),
    ("IgvmAttestRequest", packed_request(2)[:-1], ("length-too-large", "base.header.report_size", 1240 + len(CLAIMS), 1239 + len(CLAIMS))),
    ("IgvmAttestRequest", packed_request(1)[:1236], ("length-too-large", "base.header.report_size", 1236 + len(CLAIMS), 1236)),
    ("IgvmAttestRequest", packed_request(2)[:8] + struct.pack("<I", 1239) + packed_request(2)[12:], ("length-too-small", "base.header.report_size", 1239, 1240)),
    ("IgvmAttestRequest", b"HCLB" + packed_request(2)[4:], ("magic", "base.header.signature", 0x424C4348, 0x414C4348)),
    ("IgvmAttestRequest", packed_request(2)[:1216] + struct.pack("<I", 23 + len(CLAIMS)) + packed_request(2)[1220:], ("length-mismatch", "base.request_data.data_size", 23 + len(CLAIMS), 24 + len(CLAIMS))),
    ("IgvmAttestRequest", packed_request(1)[:1232] + struct.pack("<I", len(CLAIMS) + 4) + packed_request(1)[1236:], ("length-too-large", "base.request_data.variable_data_size", len(CLAIMS) + 4, len(CLAIMS))),
    ("IgvmAttestRequest", packed_request(2)[:1220] + struct.pack("<I", 99) + packed_request(2)[1224:], ("version", "base.request_data.version", 99, None)),
    ("IgvmAttestKeyReleaseResponse", packed_response(2, b"x" * 40)[:60], ("length-too-large", "header.data_size", 72, 60)),
    ("IgvmAttestKeyReleaseResponse", struct.pack("<2I", 8, 2) + bytes(24), ("length-too-small", "header.data_size", 8, 32)),
    ("IgvmAttestKeyReleaseResponse", struct.pack("<2I", 8, 2) + bytes(10), ("short", None, 2, 32)),
    ("IgvmAttestKeyReleaseResponse", b"\x08\x00\x00", ("short", "header.version", None, 8)),
    ("IgvmAttestWrappedKeyResponse", struct.pack("<2I", 32, 99) + bytes(24), ("version", "header.version", 99, None)),
    ("IgvmAttestAkCertResponse", struct.pack("<2I", 7, 1), ("length-too-small", "header.data_size", 7, 8)),
]


def test_lying_length_fields_are_refused_alike_in_every_target(targets: list[cf.Target]) -> None:
    cases = [cf.Case(name, "parse", data) for name, data, _ in LIES]
    for case, answer, (_, data, (kind, field, value, limit)) in zip(cases, answers(targets, cases), LIES):
        assert answer == {"message": case.type, "error": kind, "field": field, "value": value, "limit": limit, "given": len(data)}, case.type


def test_a_shorter_data_size_ends_the_response_there(targets: list[cf.Target]) -> None:
    """Reference section 9: a `data_size` smaller than what was received is allowed."""
    data = packed_response(2, b"key") + b"\0" * 100  # the rest of the 16-page response buffer
    [answer] = answers(targets, [cf.Case("IgvmAttestKeyReleaseResponse", "parse", data)])
    assert answer["payload"] == b"key".hex() and answer["hex"] == packed_response(2, b"key").hex()
    assert answer["parts"]["error_info"]["igvm_signal"]["retry"] is False


def test_the_schema_has_the_messages_of_the_issue() -> None:
    schema = load_file(LIVE_SCHEMA)
    names = {m.name for m in schema.messages}
    assert {"IgvmAttestRequest", "IgvmAttestKeyReleaseResponse", "IgvmAttestWrappedKeyResponse", "IgvmAttestAkCertResponse"} <= names
