"""The live IGVM schema (schema/igvm_attest.yaml) states the protocol's facts, from the protocol
reference (upstream openvmm, openhcl_attestation_protocol's igvm_attest/get.rs).

Only wire facts are checked, through the layout engine: the absolute offset and size of each
field in the bytes of a version 1 and a version 2 message, upstream's names and numbers of
enum values and bits, the constants. How the schema groups those bytes into structs is its own
business (upstream keeps the version 2 capability bitmap in a separate 4-byte
IgvmAttestRequestDataExt after the 1236-byte request base; a schema may also grow the base), and
so is anything a compatible change may add: a later protocol version, enum values, bits.
The generator's own tests use the frozen copy, tests/schemas/review/igvm_attest.yaml.
"""

from __future__ import annotations

from functools import lru_cache

from conftest import LIVE_SCHEMA

from wiregen import load_file
from wiregen.model import Bitmap, Enum, Schema, Struct

RESPONSE_HEADERS = ["IgvmAttestKeyReleaseResponseHeader", "IgvmAttestWrappedKeyResponseHeader", "IgvmAttestAkCertResponseHeader"]


@lru_cache(maxsize=1)
def schema() -> Schema:
    return load_file(LIVE_SCHEMA)


def struct(name: str) -> Struct:
    t = schema().type(name)
    assert isinstance(t, Struct), f"no struct {name}"
    return t


def leaves(st: Struct, version: int, base: int = 0, prefix: str = "") -> dict[str, tuple[int, int, str]]:
    """Every leaf field of `st` as a message of `version` carries it: dotted name -> (absolute
    offset, size, type). Embedded structs are walked in the same version."""
    out: dict[str, tuple[int, int, str]] = {}
    for f in st.layout_for(version).fields:
        t = f.type.target
        if isinstance(t, Struct) and not f.type.is_array:
            out.update(leaves(t, version, base + f.offset, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = (base + f.offset, f.size, str(f.type))
    return out


def size(st: Struct, version: int) -> int:
    return st.size_in(version)


def test_versions_1_and_2() -> None:
    assert schema().versions[:2] == [1, 2]


def test_constants() -> None:
    c = {k.name: k.value for k in schema().constants}
    assert c["ATTESTATION_SIGNATURE"] == 0x414C4348
    assert c["ATTESTATION_SIGNATURE"].to_bytes(4, "little") == b"HCLA"
    assert c["ATTESTATION_VERSION"] == 2
    assert (c["VBS_VM_REPORT_SIZE"], c["SNP_VM_REPORT_SIZE"], c["TDX_VM_REPORT_SIZE"], c["TVM_REPORT_SIZE"]) == (560, 1184, 1024, 0)
    assert c["ATTESTATION_REPORT_SIZE_MAX"] == c["SNP_VM_REPORT_SIZE"]
    assert c["REPORT_DATA_SIZE"] == 64
    assert c["WRAPPED_KEY_RESPONSE_BUFFER_SIZE"] == c["KEY_RELEASE_RESPONSE_BUFFER_SIZE"] == 16 * 4096
    assert c["AK_CERT_RESPONSE_BUFFER_SIZE"] == 4096
    assert c["IGVM_ATTEST_VMWP_GENERIC_ERROR_CODE"] == 0xFFFFFFFF
    # the versions a peer built from this schema speaks: a value of its version enum, at least 2
    for const, enum in (("IGVM_ATTEST_REQUEST_CURRENT_VERSION", "IgvmAttestRequestVersion"), ("IGVM_ATTEST_RESPONSE_CURRENT_VERSION", "IgvmAttestResponseVersion")):
        assert c[const] >= 2 and c[const] in enum_values(enum).values(), const


def enum_values(name: str) -> dict[str, int]:
    t = schema().type(name)
    assert isinstance(t, Enum) and t.type.name == "u32", name
    return {v.name: v.value for v in t.values}


def test_enum_values_are_upstreams() -> None:
    expected = {
        "IgvmAttestReportType": {"INVALID_REPORT": 0, "VBS_VM_REPORT": 1, "SNP_VM_REPORT": 2, "TVM_REPORT": 3, "TDX_VM_REPORT": 4, "CCA_VM_REPORT": 5},
        "IgvmAttestRequestType": {"INVALID_REQUEST": 0, "KEY_RELEASE_REQUEST": 1, "AK_CERT_REQUEST": 2, "WRAPPED_KEY_REQUEST": 3},
        "IgvmAttestHashType": {"INVALID_HASH": 0, "SHA_256": 1, "SHA_384": 2, "SHA_512": 3},
        "IgvmAttestRequestVersion": {"VERSION_1": 1, "VERSION_2": 2},
        "IgvmAttestResponseVersion": {"VERSION_1": 1, "VERSION_2": 2},
    }
    for name, values in expected.items():
        got = enum_values(name)
        assert {k: got.get(k) for k in values} == values, name  # enums are open: later values may be added


def bits(name: str) -> dict[str, tuple[int, int]]:
    t = schema().type(name)
    assert isinstance(t, Bitmap) and t.type.name == "u32", name
    return {f.name: (f.lo, f.hi) for f in t.fields}


def test_bitmap_bits_are_upstreams() -> None:
    cap = bits("IgvmCapabilityBitMap")
    expected = {"error_code": 0, "retry": 1, "skip_hw_unsealing": 2, "use_rsa_aes_key_wrap_384": 3, "corim_endorsement": 4}
    assert {k: cap.get(k) for k in expected} == {k: (b, b) for k, b in expected.items()}
    signal = bits("IgvmSignal")
    expected = {"retry": 0, "skip_hw_unsealing": 1, "rsa_aes_key_wrap_384_used": 2, "corim_endorsement_requested": 3}
    assert {k: signal.get(k) for k in expected} == {k: (b, b) for k, b in expected.items()}


def test_request_header_is_32_bytes_signed_hcla() -> None:
    header = struct("IgvmAttestRequestHeader")
    assert size(header, 1) == size(header, 2) == 32
    assert leaves(header, 2) == {
        "signature": (0, 4, "u32"),
        "version": (4, 4, "u32"),
        "report_size": (8, 4, "u32"),
        "request_type": (12, 4, "IgvmAttestRequestType"),
        "status": (16, 4, "u32"),
        "reserved": (20, 12, "u32[3]"),
    }
    signature = header.fields[0]
    assert signature.value == 0x414C4348 and signature.value_ref == "ATTESTATION_SIGNATURE"


def test_a_version_1_request_has_a_1236_byte_fixed_part() -> None:
    base = struct("IgvmAttestRequestBase")
    assert size(base, 1) == 1236
    assert leaves(base, 1) == {
        **{f"header.{name}": at for name, at in leaves(struct("IgvmAttestRequestHeader"), 1).items()},  # at byte 0
        "attestation_report": (32, 1184, "u8[ATTESTATION_REPORT_SIZE_MAX]"),
        "request_data.data_size": (1216, 4, "u32"),
        "request_data.version": (1220, 4, "IgvmAttestRequestVersion"),
        "request_data.report_type": (1224, 4, "IgvmAttestReportType"),
        "request_data.report_data_hash_type": (1228, 4, "IgvmAttestHashType"),
        "request_data.variable_data_size": (1232, 4, "u32"),
    }
    assert size(struct("IgvmAttestRequestData"), 1) == 20


def test_a_version_2_request_has_the_capability_bitmap_at_byte_1236() -> None:
    """The 1236 bytes of version 1, then the 4-byte capability bitmap, then the claims."""
    base = struct("IgvmAttestRequestBase")
    v2 = leaves(base, 2)
    assert {k: v for k, v in v2.items() if k in leaves(base, 1)} == leaves(base, 1)
    carried = [(off, n) for off, n, t in v2.values() if t == "IgvmCapabilityBitMap"]
    if carried:  # the base grows in version 2
        assert carried == [(1236, 4)] and size(base, 2) == 1240
    else:  # upstream's shape: the base stays 1236 bytes and an extension carries the bitmap
        assert size(base, 2) == 1236
        ext = struct("IgvmAttestRequestDataExt")
        assert leaves(ext, 2) == {"capability_bitmap": (0, 4, "IgvmCapabilityBitMap")} and size(ext, 2) == 4


def test_error_info_is_24_bytes() -> None:
    assert leaves(struct("IgvmErrorInfo"), 2) == {
        "error_code": (0, 4, "u32"),
        "http_status_code": (4, 4, "u32"),
        "igvm_signal": (8, 4, "IgvmSignal"),
        "reserved": (12, 12, "u32[3]"),
    }


def test_response_headers_are_8_bytes_in_version_1_and_32_in_version_2() -> None:
    common = {"data_size": (0, 4, "u32"), "version": (4, 4, "IgvmAttestResponseVersion")}
    for name in RESPONSE_HEADERS:
        header = struct(name)
        assert size(header, 2) == 32, name
        assert leaves(header, 2) == {
            **common,
            "error_info.error_code": (8, 4, "u32"),
            "error_info.http_status_code": (12, 4, "u32"),
            "error_info.igvm_signal": (16, 4, "IgvmSignal"),
            "error_info.reserved": (20, 12, "u32[3]"),
        }, name
        # a version 1 response is its first 8 bytes: the header's own version 1 layout, or
        # upstream's IgvmAttestCommonResponseHeader
        v1 = header if header.versioned else struct("IgvmAttestCommonResponseHeader")
        assert size(v1, 1) == 8 and leaves(v1, 1) == common, name


def test_the_request_message_places_the_extension_and_counts_its_lengths() -> None:
    """Reference section 7: the base (1236 bytes), from version 2 the extension at 1236, then
    the claims (at 1236 or 1240); report_size counts everything, data_size from the request data
    on, variable_data_size the claims."""
    req = schema().message("IgvmAttestRequest")
    assert req is not None and req.payload is not None
    v1, v2 = req.layout_in(1), req.layout_in(2)
    assert (v1.fixed_size, v2.fixed_size) == (1236, 1240)
    assert req.version_offset == 1220  # request_data.version, not the header's version
    by_field = {ln.name: ln for ln in req.lengths}
    report_size, data_size, variable = (by_field[n] for n in ("base.header.report_size", "base.request_data.data_size", "base.request_data.variable_data_size"))
    assert (report_size.offset, data_size.offset, variable.offset) == (8, 1216, 1232)
    assert [lay.minimum(report_size) for lay in (v1, v2)] == [1236, 1240]  # + the claims
    assert [lay.minimum(data_size) for lay in (v1, v2)] == [20, 24]  # report_size - data_size = 1216
    assert [lay.minimum(variable) for lay in (v1, v2)] == [0, 0]


def test_the_responses_are_a_common_header_error_info_from_version_2_and_a_payload() -> None:
    """Reference section 9: the payload at byte 8 (version 1) or 32 (version 2); data_size counts
    the whole response."""
    for name in ("IgvmAttestKeyReleaseResponse", "IgvmAttestWrappedKeyResponse", "IgvmAttestAkCertResponse"):
        msg = schema().message(name)
        assert msg is not None and msg.payload is not None, name
        assert [msg.layout_in(v).fixed_size for v in (1, 2)] == [8, 32], name
        assert msg.version_offset == 4, name
        (data_size,) = [ln for ln in msg.lengths if ln.offset == 0]
        assert data_size.counts == "message" and data_size.scalar.name == "u32", name
