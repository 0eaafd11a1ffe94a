"""The generated IGVM Python module against bytes packed by hand from the protocol reference."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generated" / "python"))

import igvm_attest as m  # noqa: E402

from igvm_attest import (  # noqa: E402
    IgvmAttestCommonResponseHeader,
    IgvmAttestKeyReleaseResponse,
    IgvmAttestKeyReleaseResponseHeader,
    IgvmAttestRequest,
    IgvmAttestRequestBase,
    IgvmAttestRequestData,
    IgvmAttestRequestDataExt,
    IgvmAttestRequestVersion,
    IgvmAttestResponseVersion,
    IgvmCapabilityBitMap,
    IgvmErrorInfo,
    IgvmSignal,
)


def test_the_issue_example() -> None:
    h = IgvmAttestKeyReleaseResponseHeader(
        data_size=32,
        version=IgvmAttestResponseVersion.VERSION_2,
        error_info=IgvmErrorInfo(error_code=0x1234, http_status_code=503, igvm_signal=IgvmSignal(retry=True)),
    )
    assert h.to_bytes() == struct.pack("<8I", 32, 2, 0x1234, 503, 1, 0, 0, 0)
    assert IgvmAttestCommonResponseHeader.from_bytes(struct.pack("<2I", 8, 1)).version == IgvmAttestResponseVersion.VERSION_1


def test_v2_response_decodes_error_info_and_signals() -> None:
    data = struct.pack("<8I", 40, 2, 0xC0DE, 403, 0b0011, 0, 0, 0) + b"payload!"
    r = IgvmAttestKeyReleaseResponse.parse(data + b"rest of the response buffer")
    assert r.payload == b"payload!"
    assert r.header.version == IgvmAttestResponseVersion.VERSION_2 and r.header.data_size == 40
    assert r.error_info is not None and r.error_info.error_code == 0xC0DE and r.error_info.http_status_code == 403
    assert r.error_info.igvm_signal.retry and r.error_info.igvm_signal.skip_hw_unsealing
    assert not r.error_info.igvm_signal.rsa_aes_key_wrap_384_used
    assert r.build() == data


def test_v1_peer_is_served_with_the_8_byte_header() -> None:
    r = IgvmAttestKeyReleaseResponse(IgvmAttestCommonResponseHeader(version=IgvmAttestResponseVersion.VERSION_1), payload=b"k" * 700)
    assert r.build() == struct.pack("<2I", 708, 1) + b"k" * 700
    r.error_info = IgvmErrorInfo()
    with pytest.raises(m.MessageEncodeError, match="part error_info is not in version 1"):
        r.build()


def test_v2_response_cut_short_is_refused_with_the_numbers() -> None:
    with pytest.raises(m.MessageDecodeError) as err:
        IgvmAttestKeyReleaseResponse.parse(struct.pack("<3I", 32, 2, 0))
    assert (err.value.kind, err.value.limit, err.value.given) == ("short", 32, 12)
    assert isinstance(err.value, m.DecodeError) and "IgvmAttestKeyReleaseResponse" in str(err.value)
    with pytest.raises(m.MessageDecodeError) as err:
        IgvmAttestKeyReleaseResponse.parse(struct.pack("<8I", 100, 2, 0, 0, 0, 0, 0, 0))
    assert (err.value.kind, err.value.field, err.value.value, err.value.limit) == ("length-too-large", "header.data_size", 100, 32)


def _request(version: int, bitmap: int | None) -> bytes:
    claims = b'{"keys":[]}'
    ext = 4 if version >= 2 else 0
    header = struct.pack("<8I", 0x414C4348, 2, 1236 + ext + len(claims), 1, 0, 0, 0, 0)
    report = b"\xab" * 560 + bytes(1184 - 560)
    data = struct.pack("<5I", 20 + ext + len(claims), version, 1, 1, len(claims))
    tail = struct.pack("<I", bitmap) if bitmap is not None else b""
    return header + report + data + tail + claims


def test_v2_request_has_the_capability_bitmap_at_1236() -> None:
    blob = _request(2, 0x1F)
    r = IgvmAttestRequest.parse(blob)
    assert r.runtime_claims == b'{"keys":[]}'
    assert r.base.header.signature == m.ATTESTATION_SIGNATURE and r.base.header.report_size == 1240 + len(r.runtime_claims)
    assert r.base.request_data.version == IgvmAttestRequestVersion.VERSION_2 == m.IGVM_ATTEST_REQUEST_CURRENT_VERSION
    assert r.ext == IgvmAttestRequestDataExt(
        IgvmCapabilityBitMap(error_code=True, retry=True, skip_hw_unsealing=True, use_rsa_aes_key_wrap_384=True, corim_endorsement=True)
    )
    assert r.base.attestation_report[:560] == b"\xab" * 560
    assert r.build() == blob


def test_v1_request_has_no_bitmap_and_claims_at_1236() -> None:
    blob = _request(1, None)
    r = IgvmAttestRequest.parse(blob)
    assert r.runtime_claims == b'{"keys":[]}' and r.ext is None
    assert len(r.base.to_bytes()) == 1236 and r.build() == blob


def test_lengths_are_filled_in() -> None:
    base = IgvmAttestRequestBase(request_data=IgvmAttestRequestData(version=IgvmAttestRequestVersion.VERSION_2))
    blob = IgvmAttestRequest(base, IgvmAttestRequestDataExt(IgvmCapabilityBitMap(error_code=True)), b"{}").build()
    assert struct.unpack_from("<I", blob, 8)[0] == 1242  # report_size: everything
    assert struct.unpack_from("<I", blob, 1216)[0] == 26  # data_size: from the request data on
    assert struct.unpack_from("<I", blob, 1232)[0] == 2  # variable_data_size: the claims


def test_strict_decode_rejects_a_bad_signature() -> None:
    blob = bytearray(_request(2, 3))
    blob[0:4] = b"XXXX"
    IgvmAttestRequestBase.from_prefix(bytes(blob))  # lenient by default, as zerocopy is
    with pytest.raises(m.DecodeError, match="signature must be ATTESTATION_SIGNATURE"):
        IgvmAttestRequestBase.from_prefix(bytes(blob), strict=True)


def test_open_enums_and_reserved_bits_survive() -> None:
    data = struct.pack("<5I", 16, 9, 77, 1, 0)
    d = IgvmAttestRequestData.from_bytes(data)
    assert d.version == 9 and d.version.name is None
    assert d.report_type == 77 and d.report_type.name is None and "77" in repr(d.report_type)
    assert d.to_bytes() == data
    bits = IgvmCapabilityBitMap.from_int(0xFFFFFFE0 | 0b10)
    assert bits.retry and bits.reserved_bits == 0xFFFFFFE0 and int(bits) == 0xFFFFFFE2


def test_bitmap_from_raw_integer_and_range_checks() -> None:
    s = IgvmSignal.from_int(0x5)
    assert s.retry and s.rsa_aes_key_wrap_384_used and int(s) == 5
    with pytest.raises(m.EncodeError):
        int(IgvmSignal(reserved_bits=0x1))
    with pytest.raises(m.EncodeError):
        IgvmErrorInfo(error_code=1 << 32).to_bytes()
    with pytest.raises(m.EncodeError):
        IgvmErrorInfo(reserved=[0, 0]).to_bytes()


def test_size_and_enum_constants() -> None:
    assert m.SNP_VM_REPORT_SIZE == m.ATTESTATION_REPORT_SIZE_MAX == 1184
    assert m.IGVM_ATTEST_RESPONSE_CURRENT_VERSION is IgvmAttestResponseVersion.VERSION_2
