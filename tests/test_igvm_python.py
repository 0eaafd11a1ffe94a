"""The generated Python module of the IGVM fixture against bytes packed by hand from the protocol
reference, as Python and compiled by mypyc (the fixture's module comes from the `igvm_out`
fixture; the live schema's own facts are checked in test_igvm_protocol.py)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

import conformance as cf
from conftest import IGVM_SCHEMA, ROOT


@pytest.fixture(scope="module", params=["python", "mypyc"])
def m(request: pytest.FixtureRequest, igvm_out: Path) -> ModuleType:
    if request.param == "python":
        name, path = "igvm_attest_fixture", igvm_out / "python" / "igvm_attest.py"
    else:  # an extension module imports under its own name only: lent sys.modules' entry meanwhile
        where = cf.compiled_python(IGVM_SCHEMA, igvm_out, ROOT / "build" / "conformance" / "mypyc" / "igvm_attest")
        name, path = "igvm_attest", where / f"igvm_attest{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    held = sys.modules.get(name)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    if request.param == "mypyc":
        assert module.__file__ == str(path)
        if held is not None:
            sys.modules[name] = held
        else:
            del sys.modules[name]
    return module


def test_the_issue_example(m: ModuleType) -> None:
    h = m.IgvmAttestKeyReleaseResponseHeader(
        data_size=32,
        version=m.IgvmAttestResponseVersion.VERSION_2,
        error_info=m.IgvmErrorInfo(error_code=0x1234, http_status_code=503, igvm_signal=m.IgvmSignal(retry=True)),
    )
    assert h.to_bytes() == struct.pack("<8I", 32, 2, 0x1234, 503, 1, 0, 0, 0)
    assert m.IgvmAttestKeyReleaseResponseHeader.from_bytes(struct.pack("<2I", 8, 1)).error_info is None


def test_v2_response_decodes_error_info_and_signals(m: ModuleType) -> None:
    data = struct.pack("<8I", 40, 2, 0xC0DE, 403, 0b0011, 0, 0, 0) + b"payload!"
    h, payload = m.IgvmAttestKeyReleaseResponseHeader.from_prefix(data)
    assert payload == b"payload!"
    assert h.version == m.IgvmAttestResponseVersion.VERSION_2 and h.data_size == 40
    assert h.error_info.error_code == 0xC0DE and h.error_info.http_status_code == 403
    assert h.error_info.igvm_signal.retry and h.error_info.igvm_signal.skip_hw_unsealing
    assert not h.error_info.igvm_signal.rsa_aes_key_wrap_384_used


def test_v1_peer_is_served_with_the_8_byte_header(m: ModuleType) -> None:
    h = m.IgvmAttestKeyReleaseResponseHeader(data_size=8 + 700, version=m.IgvmAttestResponseVersion.VERSION_1)
    assert h.to_bytes() == struct.pack("<2I", 708, 1)
    h.error_info = m.IgvmErrorInfo()
    with pytest.raises(m.EncodeError, match="not part of version 1"):
        h.to_bytes()


def test_v2_header_cut_short_is_a_decode_error(m: ModuleType) -> None:
    with pytest.raises(m.DecodeError) as err:
        m.IgvmAttestKeyReleaseResponseHeader.from_prefix(struct.pack("<3I", 32, 2, 0))
    assert (err.value.needed, err.value.given) == (32, 12)
    assert "IgvmAttestKeyReleaseResponseHeader" in str(err.value)
    with pytest.raises(m.DecodeError):
        m.IgvmAttestKeyReleaseResponseHeader.from_bytes(b"\x08\x00\x00")


def _request(version: int, bitmap: int | None) -> bytes:
    claims = b'{"keys":[]}'
    ext = 4 if version >= 2 else 0
    header = struct.pack("<8I", 0x414C4348, 2, 1236 + ext + len(claims), 1, 0, 0, 0, 0)
    report = b"\xab" * 560 + bytes(1184 - 560)
    data = struct.pack("<5I", 20 + ext + len(claims), version, 1, 1, len(claims))
    tail = struct.pack("<I", bitmap) if bitmap is not None else b""
    return header + report + data + tail + claims


def test_v2_request_has_the_capability_bitmap_at_1236(m: ModuleType) -> None:
    blob = _request(2, 0x1F)
    base, claims = m.IgvmAttestRequestBase.from_prefix(blob, strict=True)
    assert claims == b'{"keys":[]}'
    assert base.header.signature == m.ATTESTATION_SIGNATURE and base.header.report_size == 1240 + len(claims)
    assert base.request_data.version == m.IgvmAttestRequestVersion.VERSION_2
    assert base.request_data.capability_bitmap == m.IgvmCapabilityBitMap(
        error_code=True, retry=True, skip_hw_unsealing=True, use_rsa_aes_key_wrap_384=True, corim_endorsement=True
    )
    assert base.attestation_report[:560] == b"\xab" * 560
    assert base.to_bytes() + claims == blob


def test_v1_request_has_no_bitmap_and_claims_at_1236(m: ModuleType) -> None:
    blob = _request(1, None)
    base, claims = m.IgvmAttestRequestBase.from_prefix(blob)
    assert claims == b'{"keys":[]}'
    assert base.request_data.capability_bitmap is None
    assert len(base.to_bytes()) == 1236 and base.to_bytes() + claims == blob


def test_a_bad_signature_is_refused_and_an_unusual_header_version_tolerated(m: ModuleType) -> None:
    blob = bytearray(_request(2, 3))
    blob[0:4] = b"XXXX"  # the signature is a magic number: always checked
    for decode in (m.IgvmAttestRequestBase.from_prefix, m.IgvmAttestRequestHeader.from_prefix):
        with pytest.raises(m.DecodeError, match="signature must be ATTESTATION_SIGNATURE") as err:
            decode(bytes(blob))
        assert err.value.field in ("header.signature", "signature")
    blob = bytearray(_request(2, 3))
    blob[4:8] = struct.pack("<I", 3)  # the header's version: what a writer sets, a reader tolerates
    base, _ = m.IgvmAttestRequestBase.from_prefix(bytes(blob))
    assert base.header.version == 3
    with pytest.raises(m.DecodeError, match="version must be ATTESTATION_VERSION"):
        m.IgvmAttestRequestBase.from_prefix(bytes(blob), strict=True)


def test_open_enums_and_reserved_bits_survive(m: ModuleType) -> None:
    data = struct.pack("<6I", 16, 9, 77, 1, 0, 0xFFFFFFE0 | 0b10)
    d = m.IgvmAttestRequestData.from_bytes(data)
    assert d.version == 9 and d.is_newer_version()  # newer than any known: newest layout
    assert d.report_type == 77 and d.report_type.name is None and "77" in repr(d.report_type)
    assert d.capability_bitmap.retry and d.capability_bitmap.reserved_bits == 0xFFFFFFE0
    assert int(d.capability_bitmap) == 0xFFFFFFE2
    assert d.to_bytes() == data


def test_bitmap_from_raw_integer_and_range_checks(m: ModuleType) -> None:
    s = m.IgvmSignal.from_int(0x5)
    assert s.retry and s.rsa_aes_key_wrap_384_used and int(s) == 5
    with pytest.raises(m.EncodeError):
        int(m.IgvmSignal(reserved_bits=0x1))
    with pytest.raises(m.EncodeError):
        m.IgvmErrorInfo(error_code=1 << 32).to_bytes()
    with pytest.raises(m.EncodeError):
        m.IgvmErrorInfo(reserved=[0, 0]).to_bytes()
