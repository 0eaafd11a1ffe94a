"""Schema review on the protocol's real history: openvmm's `get.rs`, followed through its three
paths (underhill/underhill_attestation/src/protocol/igvm_attest/, then openhcl/underhill_attestation/
src/protocol/igvm_attest/, then openhcl/openhcl_attestation_protocol/src/igvm_attest/), written in
this project's schema language, one schema per commit that touches the wire or the definitions
(tests/schemas/history/, each file's header names its commit and what it changed):

    01 304657e9a  the import: version 1
    02 84aee0987  the TVM report size and the response buffer sizes
    03 c192ac2b3  PR #665: protocol version 2 (the capability bitmap, IgvmErrorInfo)
    04 a5f0d88f1  the restructure: renames, the Ext struct, u32 version fields -> open enums
    05 0a4d20b96  skip_hw_unsealing: a capability bit and a signal bit from reserved bits
    06 0f6641492  CCA_VM_REPORT
    07 aa8007d5b  RSA_AES_KEY_WRAP_384: a capability bit and a signal bit
    08 79d19568f  CoRIM endorsement: a capability bit and a signal bit

The other 11 commits of the file change no definition this language states: 5b397c5cc and
84aee0987's move (paths), f04cd4aa2 (license header), b60f2e752 (zerocopy derives), f4af6de54,
fe6216ef6, 241df1c03, 51e54b399, 85ae666f1 and 1577bf14f (fields of the runtime-claims JSON, an
opaque payload here), 3b7f9c1fb and ad5473224 (where a report size's unchanged value comes from).

Then mistaken versions of those steps, as an author could have written them: fields appended
without `since`, a field inserted in the middle, a widened field, a bit moved, reserved bits
reused for a value their 0 is not, a renumbered enum. Every verdict is pinned row by row with
its rule, and the reasons that carry the facts (which bytes an old reader misreads, which
assumption a verdict rests on) are pinned word for word where they matter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from conftest import ROOT

from wiregen import diff
from wiregen.loader import load_text
from wiregen.model import Schema

HISTORY = ROOT / "tests" / "schemas" / "history"
RESPONSES = ["IgvmAttestKeyReleaseResponse", "IgvmAttestWrappedKeyResponse", "IgvmAttestAkCertResponse"]
HEADERS = [m + "Header" for m in RESPONSES]


@lru_cache(maxsize=None)
def text(step: str) -> str:
    (path,) = HISTORY.glob(f"{step}_*.yaml")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def load(source: str) -> Schema:
    return load_text(source, "schema.yaml")


def variant(step: str, *edits: tuple[str, str], every: bool = False) -> str:
    """The schema of `step` with each (old, new) edit made: once, where `old` stands once
    (every=True: wherever it stands)."""
    out = text(step)
    for old, new in edits:
        assert out.count(old) == 1 or (every and old in out), old
        out = out.replace(old, new)
    return out


def compare(old: str, new: str) -> diff.SchemaDiff:
    return diff.compare(load(old), load(new), "old.yaml", "new.yaml")


def rows(d: diff.SchemaDiff) -> list[tuple[str, str, str]]:
    return sorted(d.rules())


def row(d: diff.SchemaDiff, scope: str, rule: str) -> diff.Change:
    (c,) = [c for c in d.changes if (c.scope, c.rule) == (scope, rule)]
    return c


def each(rule: str, change: str, scopes: list[str] = RESPONSES) -> list[tuple[str, str, str]]:
    return [(s, rule, change) for s in scopes]


# --- the history, step by step ---------------------------------------------------------------

# what every form of version 2 adds: the types, the constants, the response headers' version field
VERSION_2_TYPES = [
    ("schema", "protocol-version-added", "protocol version 2 added"),
    ("constants", "renamed", "AK_CERT_RESPONSE_HEADER_VERSION → IGVM_ATTEST_RESPONSE_CURRENT_VERSION"),
    ("constants", "current-version-changed", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION changed"),
    ("constants", "doc-changed", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION doc"),
    ("constants", "constant-added", "IGVM_ATTEST_RESPONSE_VERSION_1 added"),
    ("constants", "constant-added", "IGVM_ATTEST_RESPONSE_VERSION_2 added"),
    ("IgvmCapabilityBitMap", "type-added", "bitmap added"),
    ("IgvmSignal", "type-added", "bitmap added"),
    ("IgvmAttestCommonResponseHeader", "type-added-inert", "struct added"),
    ("IgvmErrorInfo", "type-added", "struct added"),
    *each("version-field-added", "version field", HEADERS),
]
VERSION_2 = VERSION_2_TYPES + [
    ("constants", "current-version-raised", "IGVM_ATTEST_VERSION_CURRENT changed"),
    ("IgvmAttestRequestDataExt", "type-added", "struct added"),
    *each("field-appended-versioned", "error_info appended in v2", HEADERS),
    ("IgvmAttestRequestMessage", "part-added-misread", "ext added in v2"),
    *each("part-added-negotiated", "error_info added in v2"),
]

STEPS = {
    ("01", "02"): (
        diff.COMPATIBLE,
        [
            ("constants", "constant-added", "TVM_REPORT_SIZE added"),
            ("constants", "constant-added", "WRAPPED_KEY_RESPONSE_BUFFER_SIZE added"),
            ("constants", "constant-added", "KEY_RELEASE_RESPONSE_BUFFER_SIZE added"),
            ("constants", "constant-added", "AK_CERT_RESPONSE_BUFFER_SIZE added"),
        ],
    ),
    ("02", "03"): (diff.BREAKING, VERSION_2),
    ("03", "04"): (
        diff.SOURCE,
        [
            ("constants", "renamed", "IGVM_ATTEST_VERSION_CURRENT → IGVM_ATTEST_REQUEST_CURRENT_VERSION"),
            ("constants", "constant-retyped", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION type changed"),
            ("constants", "constant-removed", "IGVM_ATTEST_RESPONSE_VERSION_1 removed"),
            ("constants", "constant-removed", "IGVM_ATTEST_RESPONSE_VERSION_2 removed"),
            ("IgvmAttestResponseVersion", "type-added-inert", "enum added"),
            ("IgvmAttestRequestVersion", "type-added-inert", "enum added"),
            ("IgvmAttestRequestData", "field-type-refined", "version type changed"),
            ("IgvmAttestRequestBase", "renamed", "renamed from IgvmAttestRequest"),
            ("IgvmAttestRequestBase", "doc-changed", "doc"),
            ("IgvmAttestCommonResponseHeader", "field-type-refined", "version type changed"),
            *each("field-type-refined", "version type changed", HEADERS),
            ("IgvmAttestRequest", "renamed", "renamed from IgvmAttestRequestMessage"),
        ],
    ),
    ("04", "05"): (
        diff.COMPATIBLE,
        [
            ("IgvmCapabilityBitMap", "reserved-bits-assigned", "skip_hw_unsealing added"),
            ("IgvmSignal", "reserved-bits-assigned", "skip_hw_unsealing added"),
        ],
    ),
    ("05", "06"): (diff.COMPATIBLE, [("IgvmAttestReportType", "enum-value-added", "CCA_VM_REPORT added")]),
    ("06", "07"): (
        diff.COMPATIBLE,
        [
            ("IgvmCapabilityBitMap", "reserved-bits-assigned", "use_rsa_aes_key_wrap_384 added"),
            ("IgvmSignal", "reserved-bits-assigned", "rsa_aes_key_wrap_384_used added"),
        ],
    ),
    ("07", "08"): (
        diff.COMPATIBLE,
        [
            ("IgvmCapabilityBitMap", "reserved-bits-assigned", "corim_endorsement added"),
            ("IgvmSignal", "reserved-bits-assigned", "corim_endorsement_requested added"),
        ],
    ),
}


def test_the_corpus_is_every_step():
    steps = sorted(p.name[:2] for p in HISTORY.glob("*.yaml"))
    assert list(zip(steps, steps[1:])) == list(STEPS)


@pytest.mark.parametrize("old, new", list(STEPS), ids=[f"{a}-{b}" for a, b in STEPS])
def test_each_step_of_the_history(old: str, new: str):
    verdict, expected = STEPS[(old, new)]
    d = compare(text(old), text(new))
    assert rows(d) == sorted(expected)
    assert d.verdict == verdict


def test_version_2_says_which_bytes_an_old_reader_misreads():
    """PR #665: a version 1 agent given a version 2 request finds the capability bitmap where it
    expects the runtime claims and loses their last 4 bytes; a version 1 requester given a
    version 2 response reads the payload from byte 8, inside IgvmErrorInfo."""
    d = compare(text("02"), text("03"))
    request = row(d, "IgvmAttestRequestMessage", "part-added-misread")
    assert request.reason == (
        "a version 2 message, which old peers do not speak, carries `ext` (IgvmAttestRequestDataExt, bytes 1236..1239) and its payload from byte 1240. "
        "Nothing in the schema keeps it from an old reader (version_agreement: none), which reads it by its version 1 layout: "
        "it takes the payload `runtime_claims` from byte 1236, where a version 2 message has `ext`, and counting the payload by "
        "`base.request_data.variable_data_size`, stops 4 bytes short: the last 4 bytes of `runtime_claims` are lost"
    )
    assert request.versions == [2] and request.new == {"offset": 1236, "size": 4, "type": "IgvmAttestRequestDataExt", "since": 2}
    assert request.old == {"text": "payload `runtime_claims` @1236"}
    for name in RESPONSES:
        response = row(d, name, "part-added-negotiated")
        assert response.reason == (
            "a version 2 message, which old peers do not speak, carries `error_info` (IgvmErrorInfo, bytes 8..31) and its payload from byte 32. "
            "The version is negotiated (version_agreement: negotiated): a peer sends it only to a peer that reads it, so no old reader misreads it; "
            "one that read it by its version 1 layout would take the payload `payload` from byte 8, where a version 2 message has `error_info`; "
            "the payload it would read starts with those 24 bytes"
        )
        assert response.assumes == ((name, "negotiated"),)


def test_version_2_raising_the_version_sent_is_reported_as_what_it_is():
    d = compare(text("02"), text("03"))
    request = row(d, "constants", "current-version-raised")
    assert request.change == "`IGVM_ATTEST_VERSION_CURRENT` changed"
    assert request.reason == (
        "1 → 2: the version of IgvmAttestRequestMessage that peers built from this schema send (current_version); old readers do not know "
        "version 2, and nothing in the schema keeps it from an old reader (version_agreement: none): they read it by their own newest layout "
        "(see IgvmAttestRequestMessage's rows)"
    )
    responses = row(d, "constants", "current-version-changed")
    assert responses.old == {"value": 1, "type": "u32"} and responses.new == {"value": 2, "type": "u32"}
    assert responses.reason.startswith(f"1 → 2: the version of {', '.join(RESPONSES)} that peers built from this schema send (current_version) ")
    assert responses.reason.endswith("old readers do not know version 2, but the version is negotiated (version_agreement: negotiated): a peer sends it only to a peer that reads it")
    md = diff.Report([d]).to_markdown()
    assert "**Breaking:** an old peer and a new peer would misread each other's bytes (see the BREAKING rows)." in md


def _request_agreement(step: str, agreement: str) -> str:
    return variant(step, ("    version_agreement: none\n", f"    version_agreement: {agreement}\n"))


def test_version_2_is_compatible_only_on_the_stated_condition():
    """Had the schema said agents answer what they know (negotiated), version 2 would be
    compatible, and the headline says on which condition."""
    d = compare(_request_agreement("02", "negotiated"), _request_agreement("03", "negotiated"))
    assert d.verdict == diff.COMPATIBLE
    assert row(d, "IgvmAttestRequestMessage", "part-added-negotiated").assumes == (("IgvmAttestRequestMessage", "negotiated"),)
    assert [c.change for c in d.changes if c.rule == "current-version-changed"] == ["`IGVM_ATTEST_RESPONSE_CURRENT_VERSION` changed", "`IGVM_ATTEST_VERSION_CURRENT` changed"]
    names = ", ".join(f"`{m}`" for m in [*RESPONSES, "IgvmAttestRequestMessage"])
    assert diff.Report([d]).to_markdown().splitlines()[4] == (
        f"No breaking change, on conditions the schema states or leaves open: the versions of {names} are negotiated "
        "(`version_agreement`: a peer sends a version only to a peer that reads it). Otherwise old readers would misread new versions (see the rows)."
    )


def test_version_2_with_readers_that_refuse_unknown_versions():
    """Agents that refuse a version they do not know never misread version 2, but a paravisor that
    sends version 2 to every agent no longer talks to old ones."""
    d = compare(_request_agreement("02", "refused"), _request_agreement("03", "refused"))
    added = row(d, "IgvmAttestRequestMessage", "part-added-refused")
    assert added.reason.startswith(
        "a version 2 message, which old peers do not speak, carries `ext` (IgvmAttestRequestDataExt, bytes 1236..1239) and its payload from byte 1240. "
        "Old readers refuse a version they do not know (version_agreement: refused), so no old reader misreads it; one that read it by its version 1 layout would take"
    )
    raised = row(d, "constants", "current-version-raised")
    assert raised.reason.endswith("old readers do not know version 2 and refuse it (version_agreement: refused): nothing is misread, but new peers and old ones no longer exchange IgvmAttestRequestMessage")
    assert d.verdict == diff.BREAKING


def test_version_2_without_a_declaration_says_what_it_assumed():
    d = compare(variant("02", ("    version_agreement: none\n", "")), variant("03", ("    version_agreement: none\n", "")))
    assert "(the schema does not declare `version_agreement`), which reads it by its version 1 layout" in row(d, "IgvmAttestRequestMessage", "part-added-misread").reason


def test_declaring_the_agreement_is_a_row_of_its_own():
    d = compare(text("02"), variant("02", ("    version_agreement: none\n", "    version_agreement: refused\n")))
    assert rows(d) == [("IgvmAttestRequestMessage", "version-agreement-changed", "version agreement")]
    assert d.changes[0].verdict == diff.DOC
    assert d.changes[0].reason.startswith("none → refused: what the schema says peers do with a version they do not know")


def test_raising_the_version_sent_whose_layout_is_the_same():
    """Version 2 adds nothing to the request: an old agent reads it right by its version 1 layout."""
    new = variant("02", ("versions: [1]", "versions: [1, 2]"), ("{name: IGVM_ATTEST_VERSION_CURRENT, type: u32, value: 1,", "{name: IGVM_ATTEST_VERSION_CURRENT, type: u32, value: 2,"))
    d = compare(text("02"), new)
    assert rows(d) == [("constants", "current-version-changed", "IGVM_ATTEST_VERSION_CURRENT changed"), ("schema", "protocol-version-added", "protocol version 2 added")]
    assert row(d, "constants", "current-version-changed").reason.endswith("old readers read a version 2 message by their version 1 layout, and find every byte they read where it was")


def test_the_restructure_keeps_every_byte_one_row_per_restructure():
    """a5f0d88f1: the request struct and message renamed, the version fields typed by open enums
    and the constants by them. Same bytes: SOURCE, one row per renamed or refined thing, and the
    request's `version` row names the message that carries it."""
    d = compare(text("03"), text("04"))
    data = row(d, "IgvmAttestRequestData", "field-type-refined")
    assert data.reaches == [diff.Reach("IgvmAttestRequestBase", ("request_data",), 1216, None), diff.Reach("IgvmAttestRequest", ("base", "request_data"), 1216, None)]
    assert row(d, "constants", "renamed").reason == (
        "the current version of IgvmAttestRequest under another name; only the generated name changes (u32 → IgvmAttestRequestVersion: the same u32)"
    )
    assert row(d, "IgvmAttestRequest", "renamed").reason == "same parts at the same offsets in every version; only the generated name changes"


def test_a_new_common_header_names_bytes_the_responses_already_carry():
    d = compare(text("02"), text("03"))
    header = row(d, "IgvmAttestCommonResponseHeader", "type-added-inert")
    assert header.reaches == [diff.Reach(m, ("header",), 0, None) for m in RESPONSES]
    info = row(d, "IgvmErrorInfo", "type-added")
    assert info.reason == (
        f"new bytes inside {', '.join(HEADERS)}; in part `error_info` of {', '.join(RESPONSES)}: the rows of those structs and messages give the verdict (documented since 2)"
    )


# --- mistaken versions of those steps -----------------------------------------------------------

EXT = """  - name: IgvmAttestRequestDataExt
    since: 2
    doc: The bytes version 2 appends to the request data.
    fields:
      - {name: capability_bitmap, type: IgvmCapabilityBitMap}
"""
NO_EXT = [("      - {name: ext, type: IgvmAttestRequestDataExt, since: 2}\n", ""), (EXT, "")]


def test_mistake_fields_appended_without_since():
    """PR #665 taken literally: the bitmap a sixth field of the request data and the error info
    part of every response, in version 1 too."""
    new = variant(
        "03",
        ("{name: variable_data_size, type: u32, doc: Size of the appended runtime claims.}\n", "{name: variable_data_size, type: u32, doc: Size of the appended runtime claims.}\n      - {name: capability_bitmap, type: IgvmCapabilityBitMap}\n"),
        *NO_EXT,
        ("{name: error_info, type: IgvmErrorInfo, since: 2}", "{name: error_info, type: IgvmErrorInfo}"),
        every=True,
    )
    d = compare(text("02"), new)
    assert rows(d) == sorted(
        VERSION_2_TYPES
        + [
            ("constants", "current-version-raised", "IGVM_ATTEST_VERSION_CURRENT changed"),
            ("IgvmAttestRequestData", "struct-resized", "size in v1"),
            ("IgvmAttestRequestData", "field-appended", "capability_bitmap appended in v1"),
            ("IgvmAttestRequestData", "field-appended-versioned", "capability_bitmap appended in v2"),
            ("IgvmAttestRequestMessage", "part-moved", "payload runtime_claims moved"),
            *each("struct-resized", "size in v1", HEADERS),
            *each("field-appended", "error_info appended in v1", HEADERS),
            *each("field-appended-versioned", "error_info appended in v2", HEADERS),
            *each("part-added", "error_info added"),
        ]
    )
    assert row(d, "IgvmAttestRequestMessage", "part-moved").reason == (
        "payload `runtime_claims` starts at byte 1240, was 1236, in version 1 messages, which old peers speak: each peer reads it where the other wrote something else"
    )
    assert row(d, RESPONSES[0], "part-added").reason == (
        "`error_info` (IgvmErrorInfo, bytes 8..31) now in version 1 messages, which old peers speak; old peers neither write nor expect it: payload `payload` moves from byte 8 to 32"
    )
    appended = row(d, "IgvmAttestRequestData", "field-appended")
    assert diff.Reach("IgvmAttestRequestMessage", ("base", "request_data"), 1216, None) in appended.reaches


def test_mistake_a_field_inserted_in_the_middle():
    new = variant(
        "03",
        ("      - {name: version, type: u32}\n      - {name: report_type", "      - {name: version, type: u32}\n      - {name: capability_bitmap, type: IgvmCapabilityBitMap}\n      - {name: report_type"),
        *NO_EXT,
    )
    d = compare(text("02"), new)
    request = [r for r in rows(d) if r[0] in ("IgvmAttestRequestData", "IgvmAttestRequestMessage")]
    assert request == sorted(
        [
            ("IgvmAttestRequestData", "struct-resized", "size in v1"),
            ("IgvmAttestRequestData", "field-inserted", "capability_bitmap inserted"),
            ("IgvmAttestRequestData", "field-moved", "report_type moved"),
            ("IgvmAttestRequestData", "field-moved", "report_data_hash_type moved"),
            ("IgvmAttestRequestData", "field-moved", "variable_data_size moved"),
            ("IgvmAttestRequestMessage", "part-moved", "payload runtime_claims moved"),
        ]
    )
    assert row(d, "IgvmAttestRequestData", "field-inserted").reason == (
        "inserted at byte 8 of the layout old peers use for version 1: every later byte moves; "
        "the same holds for version 2 messages, which old peers do not speak but read by their newest layout"
    )
    assert d.verdict == diff.BREAKING


def test_mistake_a_widened_field():
    """The claims' length widened to a u64 on the way: every request moves by 4 bytes."""
    d = compare(text("02"), variant("03", ("{name: variable_data_size, type: u32,", "{name: variable_data_size, type: u64,")))
    request = [r for r in rows(d) if r[0] in ("IgvmAttestRequestData", "IgvmAttestRequestMessage")]
    assert request == sorted(
        [
            ("IgvmAttestRequestData", "struct-resized", "size in v1"),
            ("IgvmAttestRequestData", "field-resized", "variable_data_size resized"),
            ("IgvmAttestRequestMessage", "part-moved", "payload runtime_claims moved"),
            ("IgvmAttestRequestMessage", "part-added-misread", "ext added in v2"),
        ]
    )
    assert row(d, "IgvmAttestRequestData", "field-resized").reason == "4 → 8 bytes: the peers disagree on how many bytes it has (type u32 → u64)"
    assert row(d, "IgvmAttestRequestMessage", "part-added-misread").reason.endswith(
        "it takes the payload `runtime_claims` from byte 1236, where a version 2 message has `base`, `ext`, and counting the payload by "
        "`base.request_data.variable_data_size`, stops 8 bytes short: the last 8 bytes of `runtime_claims` are lost"
    )


def test_mistake_a_bit_moved():
    """skip_hw_unsealing given bit 1 of the capability bitmap, retry moved up to bit 2."""
    new = variant("05", ("{name: retry, bit: 1, doc: Retry preference.}", "{name: retry, bit: 2, doc: Retry preference.}"), ("{name: skip_hw_unsealing, bit: 2, doc: Skip hardware unsealing if", "{name: skip_hw_unsealing, bit: 1, doc: Skip hardware unsealing if"))
    d = compare(text("04"), new)
    assert rows(d) == [
        ("IgvmCapabilityBitMap", "bitmap-field-moved", "retry moved"),
        ("IgvmCapabilityBitMap", "bits-reused", "skip_hw_unsealing added"),
        ("IgvmSignal", "reserved-bits-assigned", "skip_hw_unsealing added"),
    ]
    assert row(d, "IgvmCapabilityBitMap", "bits-reused").reason == "bit 1 belonged to retry for old peers"
    assert row(d, "IgvmCapabilityBitMap", "bitmap-field-moved").reason == "bit 1 → bit 2: each peer reads it from bits the other uses for something else"


def test_mistake_reserved_bits_reused_for_a_value_zero_is_not():
    """The signal's reserved bits 1..2 given an enum with no value 0: every old agent leaves them
    0, which new paravisors then read as an unknown signal."""
    new = variant(
        "05",
        ("      - {name: skip_hw_unsealing, bit: 1, doc: Skip hardware unsealing recommendation.}\n", "      - {name: unsealing, bits: [1, 2], type: IgvmUnsealingSignal}\n"),
        ("enums:\n", "enums:\n  - name: IgvmUnsealingSignal\n    type: u8\n    values:\n      - {name: SKIP, value: 1}\n      - {name: REQUIRED, value: 2}\n"),
    )
    d = compare(text("04"), new)
    assert rows(d) == [
        ("IgvmCapabilityBitMap", "reserved-bits-assigned", "skip_hw_unsealing added"),
        ("IgvmSignal", "reserved-given-meaning", "unsealing added"),
        ("IgvmUnsealingSignal", "type-added", "enum added"),
    ]
    assert row(d, "IgvmSignal", "reserved-given-meaning").reason == (
        "bits 1..2 were reserved: old writers leave them 0, which is no value of IgvmUnsealingSignal, so a new reader gets an unknown IgvmUnsealingSignal from every old peer"
    )


def test_mistake_a_renumbered_enum():
    """CCA_VM_REPORT slotted in before TDX_VM_REPORT, which is renumbered."""
    new = variant("06", ("      - {name: TDX_VM_REPORT, value: 4}\n      - {name: CCA_VM_REPORT, value: 5}\n", "      - {name: CCA_VM_REPORT, value: 4}\n      - {name: TDX_VM_REPORT, value: 5}\n"))
    d = compare(text("05"), new)
    assert rows(d) == [
        ("IgvmAttestReportType", "enum-value-renumbered", "TDX_VM_REPORT renumbered"),
        ("IgvmAttestReportType", "enum-value-reused", "CCA_VM_REPORT reuses 4"),
    ]
    assert row(d, "IgvmAttestReportType", "enum-value-renumbered").reason == "4 → 5: each peer decodes the other's TDX_VM_REPORT as another value"
    assert row(d, "IgvmAttestReportType", "enum-value-reused").reason == "4 meant TDX_VM_REPORT to old peers"
