"""Schema review (`wiregen diff`): the verdict on every edit of a series
modelled on how the IGVM attestation protocol evolved, deliberate breaking edits of
every kind, renames that must stay SOURCE, and the command line.

Schemas are built from the real `schema/igvm_attest.yaml` (parsed, edited as data,
written back) or from `tests/schemas/zoo.yaml`, so the edits are the ones a
schema author would make. Each test asserts the report row by row:
(type, rule id, change) for every row, nothing more and nothing less.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from wiregen import diff
from wiregen.cli import main
from wiregen.loader import load_text

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "schema" / "igvm_attest.yaml"
FEATURES = ROOT / "tests" / "schemas" / "zoo.yaml"
HEADERS = ["IgvmAttestKeyReleaseResponseHeader", "IgvmAttestWrappedKeyResponseHeader", "IgvmAttestAkCertResponseHeader"]


# --- building schemas -----------------------------------------------------------------


class _Quoting(yaml.SafeDumper):
    """Every string quoted, so names like `y` or `OFF` stay names when read back."""


_Quoting.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"'))


def dump(d: dict) -> str:
    return yaml.dump(d, Dumper=_Quoting, sort_keys=False, allow_unicode=True)


@lru_cache(maxsize=None)
def _parsed(path: Path) -> dict:
    d = yaml.safe_load(path.read_text(encoding="utf-8"))
    # The offset/size assertions pin today's layout; the edits below move things on purpose.
    for s in d["structs"]:
        s.pop("size", None)
        for f in s["fields"]:
            f.pop("offset", None)
    return d


def real() -> dict:
    return copy.deepcopy(_parsed(REAL))


def features() -> dict:
    return copy.deepcopy(_parsed(FEATURES))


def named(items: list[dict], name: str) -> dict:
    return next(i for i in items if i["name"] == name)


def drop(items: list[dict], *names: str) -> None:
    assert all(any(i["name"] == n for i in items) for n in names), names
    items[:] = [i for i in items if i["name"] not in names]


def struct(d: dict, name: str) -> dict:
    return named(d["structs"], name)


def fields(d: dict, name: str) -> list[dict]:
    return struct(d, name)["fields"]


def enum(d: dict, name: str) -> dict:
    return named(d["enums"], name)


def bitmap(d: dict, name: str) -> dict:
    return named(d["bitmaps"], name)


def edited(fn, base=real) -> dict:
    d = base()
    fn(d)
    return d


# The protocol's history, newest last (reference: the openvmm commits named below).


def v2_later_bits() -> dict:
    """Version 2 with the bits assigned later (0a4d20b96, aa8007d5b, 79d19568f), before the CCA report type."""
    d = real()
    drop(enum(d, "IgvmAttestReportType")["values"], "CCA_VM_REPORT")
    return d


def v2_proposed() -> dict:
    """Version 2 as PR #665 (c192ac2b3) proposed it: bits 0 and 1 of the capability bitmap, bit 0 of the signal."""
    d = v2_later_bits()
    for b in d["bitmaps"]:
        b["fields"] = [f for f in b["fields"] if "since" not in f]
    return d


def v1() -> dict:
    """Before PR #665: request data of 20 bytes, response headers of 8, no error info, no bitmaps."""
    d = v2_proposed()
    d["versions"] = [1]
    d["bitmaps"] = []
    drop(d["structs"], "IgvmErrorInfo")
    drop(fields(d, "IgvmAttestRequestData"), "capability_bitmap")
    for h in HEADERS:
        drop(fields(d, h), "error_info")
    for e in d["enums"]:
        e["values"] = [v for v in e["values"] if "since" not in v]
    drop(d["constants"], "IGVM_ATTEST_REQUEST_CURRENT_VERSION", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION")
    return d


def split_out() -> dict:
    """a5f0d88f1: the capability bitmap leaves IgvmAttestRequestData for a struct of its own,
    IgvmAttestRequestDataExt, appended to the request from version 2 on."""
    d = real()
    data = struct(d, "IgvmAttestRequestData")
    drop(data["fields"], "capability_bitmap")
    del data["version_field"]
    fields(d, "IgvmAttestRequestBase").append({"name": "ext", "type": "IgvmAttestRequestDataExt", "since": 2, "doc": "Request data extension (version 2)."})
    d["structs"].insert(
        2,
        {
            "name": "IgvmAttestRequestDataExt",
            "since": 2,
            "doc": "Follows the request data from version 2 on.",
            "fields": [{"name": "capability_bitmap", "type": "IgvmCapabilityBitMap", "doc": "What the requester asks of the agent."}],
        },
    )
    return d


def load(d: dict, name: str):
    return load_text(dump(d), name)


def compare(old: dict, new: dict) -> diff.SchemaDiff:
    return diff.compare(load(old, "old.yaml"), load(new, "new.yaml"))


def rows(old: dict, new: dict) -> list[tuple[str, str, str]]:
    return sorted(compare(old, new).rules())


def expect(*items: tuple[str, str, str]) -> list[tuple[str, str, str]]:
    return sorted(items)


def each_header(rule: str, change: str) -> list[tuple[str, str, str]]:
    return [(h, rule, change) for h in HEADERS]


# --- the protocol's own history ---------------------------------------------------------


def test_v1_to_v2_as_proposed_is_compatible():
    d = compare(v1(), v2_proposed())
    assert sorted(d.rules()) == expect(
        ("schema", "protocol-version-added", "protocol version 2 added"),
        ("constants", "constant-added", "IGVM_ATTEST_REQUEST_CURRENT_VERSION added"),
        ("constants", "constant-added", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION added"),
        ("IgvmAttestRequestVersion", "enum-value-added", "VERSION_2 added"),
        ("IgvmAttestResponseVersion", "enum-value-added", "VERSION_2 added"),
        ("IgvmCapabilityBitMap", "type-added", "bitmap added"),
        ("IgvmSignal", "type-added", "bitmap added"),
        ("IgvmErrorInfo", "type-added", "struct added"),
        ("IgvmAttestRequestData", "field-appended-versioned", "capability_bitmap appended in v2"),
        ("IgvmAttestRequestBase", "field-appended-versioned", "request_data.capability_bitmap appended in v2"),
        *each_header("field-appended-versioned", "error_info appended in v2"),
    )
    assert d.verdict == diff.COMPATIBLE
    base = next(c for c in d.changes if c.scope == "IgvmAttestRequestBase")
    assert base.new == {"offset": 1236, "size": 4, "type": "IgvmCapabilityBitMap"}
    assert base.versions == [2]
    assert "first 1236 bytes" in base.reason
    header = next(c for c in d.changes if c.scope == HEADERS[0])
    assert header.new == {"offset": 8, "size": 24, "type": "IgvmErrorInfo"}
    assert "first 8 bytes" in header.reason


def test_v1_to_v2_markdown_reads_as_a_pr_comment():
    d = compare(v1(), v2_proposed())
    md = diff.Report([d]).to_markdown()
    lines = md.splitlines()
    assert lines[0] == "## Schema diff: `igvm_attest`"
    assert "`old.yaml` → `new.yaml` · 0 BREAKING · 13 COMPATIBLE · 0 SOURCE · 0 DOC" in lines
    assert "No breaking change: old and new peers still understand each other." in lines
    assert "### `IgvmAttestRequestBase` — struct (message); v1: 1236 B, v2: 1236 → 1240 B" in lines
    assert "### `IgvmErrorInfo` — struct inside `IgvmAttestKeyReleaseResponseHeader`, `IgvmAttestWrappedKeyResponseHeader`, `IgvmAttestAkCertResponseHeader`; 24 B" in lines
    row = next(x for x in lines if x.startswith("| `request_data.capability_bitmap` appended in v2 |"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:5] == ["—", "@1236, 4 B, IgvmCapabilityBitMap", "COMPATIBLE", "`field-appended-versioned`"]
    # every table has the same six columns
    tables = [x for x in lines if x.startswith("| Change |")]
    assert len(tables) == 12 and set(tables) == {"| Change | Old | New | Verdict | Rule | Reason |"}


def test_bits_assigned_later_from_reserved_space():
    assert rows(v2_proposed(), v2_later_bits()) == expect(
        ("IgvmCapabilityBitMap", "reserved-bit-assigned", "skip_hw_unsealing added"),
        ("IgvmCapabilityBitMap", "reserved-bit-assigned", "use_rsa_aes_key_wrap_384 added"),
        ("IgvmCapabilityBitMap", "reserved-bit-assigned", "corim_endorsement added"),
        ("IgvmSignal", "reserved-bit-assigned", "skip_hw_unsealing added"),
        ("IgvmSignal", "reserved-bit-assigned", "rsa_aes_key_wrap_384_used added"),
        ("IgvmSignal", "reserved-bit-assigned", "corim_endorsement_requested added"),
    )


def test_new_report_type():
    d = compare(v2_later_bits(), real())
    assert sorted(d.rules()) == expect(("IgvmAttestReportType", "enum-value-added", "CCA_VM_REPORT added"))
    assert d.changes[0].new == {"value": 5}


def test_version_2_field_split_out_into_a_struct_of_its_own():
    """Judged by the bytes: the bitmap is still at 1236 in a version 2 request, so
    moving it between structs (and renaming the request) is SOURCE, not BREAKING."""
    old = real()
    struct(old, "IgvmAttestRequestBase")["name"] = "IgvmAttestRequest"  # PR #665's name
    d = compare(old, split_out())
    assert sorted(d.rules()) == expect(
        ("IgvmAttestRequestBase", "renamed", "renamed from IgvmAttestRequest"),
        ("IgvmAttestRequestBase", "regrouped", "request_data.capability_bitmap → ext.capability_bitmap in v2"),
        ("IgvmAttestRequestData", "regrouped", "capability_bitmap removed in v2"),
        ("IgvmAttestRequestData", "regrouped", "size in v2"),
        ("IgvmAttestRequestData", "regrouped", "version field"),
        ("IgvmAttestRequestDataExt", "type-added", "struct added"),
    )
    assert d.verdict == diff.COMPATIBLE
    moved = next(c for c in d.changes if c.scope == "IgvmAttestRequestBase" and c.rule == "regrouped")
    assert moved.old == moved.new == {"offset": 1236, "size": 4, "type": "IgvmCapabilityBitMap"}
    absorbed = next(c for c in d.changes if c.change == "`capability_bitmap` removed in v2")
    assert "only sent inside IgvmAttestRequestBase" in absorbed.reason and "field-removed" in absorbed.reason


def test_split_out_but_moved_on_the_wire_is_breaking():
    """The same split with the new struct appended in the wrong place: the bitmap no longer
    sits at 1236 in version 2, so the inner struct's changes are not absorbed."""
    new = split_out()
    base = fields(new, "IgvmAttestRequestBase")
    base.insert(0, base.pop())  # ext first: everything moves by 4 bytes in version 2
    base[0].pop("since")
    base[0]["name"] = "ext"
    rules = {r[1] for r in rows(real(), new)}
    assert "regrouped" not in rules
    assert {"field-removed", "field-inserted", "field-moved", "struct-resized"} <= rules


def test_version_fields_become_open_enums():
    """a5f0d88f1 also turned the bare u32 version fields into open enums: same bytes."""

    def bare(d):
        fields(d, "IgvmAttestRequestData")[1]["type"] = "u32"
        for h in HEADERS:
            fields(d, h)[1]["type"] = "u32"
        drop(d["enums"], "IgvmAttestRequestVersion", "IgvmAttestResponseVersion")

    assert rows(edited(bare), real()) == expect(
        ("IgvmAttestRequestVersion", "type-added", "enum added"),
        ("IgvmAttestResponseVersion", "type-added", "enum added"),
        ("IgvmAttestRequestData", "field-type-refined", "version type changed"),
        ("IgvmAttestRequestBase", "field-type-refined", "request_data.version type changed"),
        *each_header("field-type-refined", "version type changed"),
    )


def test_identical_schemas_have_no_changes():
    d = compare(real(), real())
    assert d.changes == [] and d.verdict is None
    assert "No changes." in diff.Report([d]).to_markdown()


# --- renames and documentation ------------------------------------------------------------


def test_renames_are_source_only():
    def rename(d):
        fields(d, "IgvmAttestRequestData")[3]["name"] = "hash_type"
        fields(d, "IgvmAttestRequestBase")[2]["name"] = "data"
        struct(d, "IgvmAttestRequestBase")["version_field"] = "data.version"
        enum(d, "IgvmAttestHashType")["values"][1]["name"] = "SHA2_256"
        bitmap(d, "IgvmCapabilityBitMap")["fields"][1]["name"] = "retry_recommended"
        bitmap(d, "IgvmSignal")["name"] = "IgvmAgentSignal"
        fields(d, "IgvmErrorInfo")[2]["type"] = "IgvmAgentSignal"
        named(d["constants"], "REPORT_DATA_SIZE")["name"] = "TEE_REPORT_DATA_SIZE"
        struct(d, HEADERS[0])["names"] = {"c": "IGVM_KEY_MESSAGE_HEADER"}

    d = compare(real(), edited(rename))
    assert sorted(d.rules()) == expect(
        ("constants", "renamed", "REPORT_DATA_SIZE → TEE_REPORT_DATA_SIZE"),
        ("IgvmAttestHashType", "renamed", "SHA_256 → SHA2_256"),
        ("IgvmCapabilityBitMap", "renamed", "retry → retry_recommended"),
        ("IgvmAgentSignal", "renamed", "renamed from IgvmSignal"),
        ("IgvmAttestRequestData", "renamed", "report_data_hash_type → hash_type"),
        ("IgvmAttestRequestBase", "renamed", "request_data → data"),
        ("IgvmAttestRequestBase", "renamed", "request_data.report_data_hash_type → data.hash_type"),
        (HEADERS[0], "renamed", "per-target names"),
    )
    assert d.verdict == diff.SOURCE


def test_documentation_only():
    def words(d):
        d["title"] = "IGVM attestation"
        fields(d, "IgvmErrorInfo")[0]["doc"] = "Agent error code (0: success)."
        enum(d, "IgvmAttestHashType")["values"][1]["doc"] = "SHA-256."
        bitmap(d, "IgvmSignal")["since"] = 1

    d = compare(real(), edited(words))
    assert sorted(d.rules()) == expect(
        ("schema", "doc-changed", "title"),
        ("IgvmErrorInfo", "doc-changed", "error_code doc"),
        ("IgvmAttestHashType", "doc-changed", "SHA_256 doc"),
        ("IgvmSignal", "since-changed", "since"),
    )
    assert d.verdict == diff.DOC


# --- deliberate breaking edits ----------------------------------------------------------------


def test_field_moved():
    def swap(d):
        f = fields(d, "IgvmAttestRequestHeader")
        f[2], f[4] = f[4], f[2]  # report_size <-> status

    assert rows(real(), edited(swap)) == expect(
        ("IgvmAttestRequestHeader", "field-moved", "report_size moved"),
        ("IgvmAttestRequestHeader", "field-moved", "status moved"),
        ("IgvmAttestRequestBase", "field-moved", "header.report_size moved"),
        ("IgvmAttestRequestBase", "field-moved", "header.status moved"),
    )


def test_field_resized_into_reserved_bytes():
    """status narrowed to u16 and the freed bytes reserved: one resize row, nothing else."""

    def narrow(d):
        f = fields(d, "IgvmAttestRequestHeader")
        f[4]["type"] = "u16"
        f.insert(5, {"name": "status_reserved", "type": "u16", "reserved": True})

    assert rows(real(), edited(narrow)) == expect(
        ("IgvmAttestRequestHeader", "field-resized", "status resized"),
        ("IgvmAttestRequestBase", "field-resized", "header.status resized"),
    )
    # and back: widened over the reserved bytes
    assert rows(edited(narrow), real()) == expect(
        ("IgvmAttestRequestHeader", "field-resized", "status resized"),
        ("IgvmAttestRequestBase", "field-resized", "header.status resized"),
    )


def test_field_retyped():
    def retype(d):
        fields(d, "IgvmAttestRequestData")[2]["type"] = "IgvmAttestHashType"  # report_type
        fields(d, "IgvmAttestRequestHeader")[4]["type"] = "i32"  # status

    assert rows(real(), edited(retype)) == expect(
        ("IgvmAttestRequestData", "field-retyped", "report_type retyped"),
        ("IgvmAttestRequestHeader", "field-retyped", "status retyped"),
        ("IgvmAttestRequestBase", "field-retyped", "request_data.report_type retyped"),
        ("IgvmAttestRequestBase", "field-retyped", "header.status retyped"),
    )


def test_field_inserted_mid_struct():
    def insert(d):
        fields(d, "IgvmErrorInfo").insert(2, {"name": "retry_after_ms", "type": "u32"})

    per_header = []
    for h in HEADERS:
        per_header += [
            (h, "field-inserted", "error_info.retry_after_ms inserted in v2"),
            (h, "field-moved", "error_info.igvm_signal moved in v2"),
            (h, "field-moved", "error_info.reserved moved in v2"),
            (h, "struct-resized", "size in v2"),
        ]
    assert rows(real(), edited(insert)) == expect(
        ("IgvmErrorInfo", "field-inserted", "retry_after_ms inserted"),
        ("IgvmErrorInfo", "field-moved", "igvm_signal moved"),
        ("IgvmErrorInfo", "field-moved", "reserved moved"),
        ("IgvmErrorInfo", "struct-resized", "size"),
        *per_header,
    )


def test_field_removed():
    def remove(d):
        drop(fields(d, "IgvmAttestRequestHeader"), "status")

    assert rows(real(), edited(remove)) == expect(
        ("IgvmAttestRequestHeader", "field-removed", "status removed"),
        ("IgvmAttestRequestHeader", "field-moved", "reserved moved"),
        ("IgvmAttestRequestHeader", "struct-resized", "size"),
        ("IgvmAttestRequestBase", "field-removed", "header.status removed"),
        ("IgvmAttestRequestBase", "field-moved", "header.reserved moved"),
        ("IgvmAttestRequestBase", "field-moved", "attestation_report moved"),
        ("IgvmAttestRequestBase", "field-moved", "request_data moved"),
        ("IgvmAttestRequestBase", "struct-resized", "size"),
        ("IgvmAttestRequestBase", "version-field-changed", "version field"),
    )


def test_field_appended_without_a_new_version():
    """Appending to IgvmErrorInfo without `since` grows a layout version 2 peers already use."""

    def append(d):
        fields(d, "IgvmErrorInfo").append({"name": "retry_after_ms", "type": "u32"})

    per_header = []
    for h in HEADERS:
        per_header += [(h, "field-appended", "error_info.retry_after_ms appended in v2"), (h, "struct-resized", "size in v2")]
    assert rows(real(), edited(append)) == expect(
        ("IgvmErrorInfo", "field-appended", "retry_after_ms appended"),
        ("IgvmErrorInfo", "struct-resized", "size"),
        *per_header,
    )


def test_since_changed_on_a_struct_field():
    def always(d):
        fields(d, HEADERS[2])[2].pop("since")  # error_info in every version

    assert rows(real(), edited(always)) == expect(
        (HEADERS[2], "field-since-changed", "error_info since changed in v1"),
        (HEADERS[2], "struct-resized", "size in v1"),
    )


def test_struct_resized_only_through_a_constant_used_as_array_length():
    def shrink(d):
        named(d["constants"], "ATTESTATION_REPORT_SIZE_MAX")["value"] = 0x400

    d = compare(real(), edited(shrink))
    assert sorted(d.rules()) == expect(
        ("constants", "constant-changed", "ATTESTATION_REPORT_SIZE_MAX changed"),
        ("IgvmAttestRequestBase", "array-length-changed", "attestation_report length changed"),
        ("IgvmAttestRequestBase", "field-moved", "request_data moved"),
        ("IgvmAttestRequestBase", "struct-resized", "size"),
        ("IgvmAttestRequestBase", "version-field-changed", "version field"),
    )
    resized = next(c for c in d.changes if c.rule == "struct-resized")
    assert (resized.old, resized.new) == ({"sizes": {"1": 1236, "2": 1240}}, {"sizes": {"1": 1076, "2": 1080}})
    length = next(c for c in d.changes if c.rule == "array-length-changed")
    assert length.reason.startswith("ATTESTATION_REPORT_SIZE_MAX = 1184 → 1024")


def test_array_of_structs_resized_through_a_constant():
    def grow(d):
        named(d["constants"], "SLOT_COUNT")["value"] = 11  # Point[SLOT_COUNT] and i8[SLOT_COUNT]; 40 bytes keep u64 alignment

    moved = ["modes", "class", "fill", "self", "struct", "pad", "big", "wides", "to_bytes"]
    assert rows(features(), edited(grow, features)) == expect(
        ("constants", "constant-changed", "SLOT_COUNT changed"),
        ("Holder", "array-length-changed", "points length changed"),
        ("Holder", "struct-resized", "size"),
        *[("Holder", "field-moved", f"{m} moved") for m in moved],
    )


def test_constant_no_layout_uses():
    """No byte moves, so SOURCE, with a reason that sends the reviewer to what it means."""

    def bump(d):
        named(d["constants"], "IGVM_ATTEST_RESPONSE_CURRENT_VERSION")["value"] = 3
        named(d["constants"], "REPORT_DATA_SIZE")["type"] = "u16"

    d = compare(real(), edited(bump))
    assert sorted(d.rules()) == expect(
        ("constants", "constant-value-changed", "IGVM_ATTEST_RESPONSE_CURRENT_VERSION changed"),
        ("constants", "constant-retyped", "REPORT_DATA_SIZE type changed"),
    )
    assert "peers built from the old schema still use 2" in d.changes[0].reason


def test_enum_values_renumbered_removed_reused():
    def enums(d):
        enum(d, "IgvmAttestHashType")["values"][2]["value"] = 5  # SHA_384: 2 -> 5
        drop(enum(d, "IgvmAttestReportType")["values"], "TVM_REPORT")
        values = enum(d, "IgvmAttestRequestType")["values"]
        values[3]["value"] = 7  # WRAPPED_KEY_REQUEST: 3 -> 7 ...
        values.append({"name": "CERT_CHAIN_REQUEST", "value": 3})  # ... and 3 given to another request

    assert rows(real(), edited(enums)) == expect(
        ("IgvmAttestHashType", "enum-value-renumbered", "SHA_384 renumbered"),
        ("IgvmAttestReportType", "enum-value-removed", "TVM_REPORT removed"),
        ("IgvmAttestRequestType", "enum-value-renumbered", "WRAPPED_KEY_REQUEST renumbered"),
        ("IgvmAttestRequestType", "enum-value-reused", "CERT_CHAIN_REQUEST reuses 3"),
    )


def test_enum_integer_type_changed():
    def signed(d):
        enum(d, "IgvmAttestHashType")["type"] = "i32"

    assert rows(real(), edited(signed)) == expect(
        ("IgvmAttestHashType", "underlying-type-changed", "integer type"),
        ("IgvmAttestRequestData", "field-retyped", "report_data_hash_type retyped"),
        ("IgvmAttestRequestBase", "field-retyped", "request_data.report_data_hash_type retyped"),
    )


def _with_level(d):
    bitmap(d, "IgvmSignal")["fields"].append({"name": "level", "bits": [8, 11], "type": "u8"})


def test_bitmap_fields_moved_removed_and_reused():
    def bits(d):
        caps = bitmap(d, "IgvmCapabilityBitMap")["fields"]
        caps[1]["bit"] = 5  # retry: bit 1 -> bit 5 ...
        caps.append({"name": "retry_later", "bit": 1})  # ... and bit 1 given to another flag
        drop(bitmap(d, "IgvmSignal")["fields"], "corim_endorsement_requested")

    assert rows(real(), edited(bits)) == expect(
        ("IgvmCapabilityBitMap", "bitmap-field-moved", "retry moved"),
        ("IgvmCapabilityBitMap", "bits-reused", "retry_later added"),
        ("IgvmSignal", "bitmap-field-removed", "corim_endorsement_requested removed"),
    )


def test_a_flag_replaced_at_the_same_bit_reads_as_a_rename():
    """Same bit, same width, other name: the schema cannot tell a rename from a reuse,
    so it is a rename whose reason says what old peers still mean by it."""

    def replace(d):
        f = bitmap(d, "IgvmSignal")["fields"][3]
        f["name"], f["doc"] = "attestation_stale", "The report is stale."

    d = compare(real(), edited(replace))
    assert sorted(d.rules()) == expect(
        ("IgvmSignal", "renamed", "corim_endorsement_requested → attestation_stale"),
        ("IgvmSignal", "doc-changed", "attestation_stale doc"),
    )
    assert "old peers still mean corim_endorsement_requested by it" in d.changes[0].reason


def test_bitmap_field_narrowed_and_widened():
    def narrowed(d):
        _with_level(d)
        bitmap(d, "IgvmSignal")["fields"][-1]["bits"] = [8, 9]

    assert rows(edited(_with_level), edited(narrowed)) == expect(("IgvmSignal", "bitmap-field-narrowed", "level narrowed"))
    assert rows(edited(narrowed), edited(_with_level)) == expect(("IgvmSignal", "bitmap-field-widened", "level widened"))


def test_reserved_bits_given_a_multi_bit_meaning():
    """A one-bit flag in reserved space is compatible; a multi-bit value is not (see the reason)."""
    d = compare(real(), edited(_with_level))
    assert sorted(d.rules()) == expect(("IgvmSignal", "reserved-given-meaning", "level added"))
    assert "only one-bit flags are accepted as compatible" in d.changes[0].reason


def _reserved_to(field: dict):
    def edit(d):
        f = fields(d, "IgvmErrorInfo")
        f[3]["type"] = "u32[2]"  # reserved: 12 bytes -> 8
        f.insert(3, field)

    return edit


def test_reserved_bytes_given_a_meaning():
    per_header = []
    for h in HEADERS:
        per_header += [(h, "reserved-given-meaning", "error_info.retry_after_ms takes reserved bytes in v2"), (h, "reserved-reshaped", "error_info.reserved reshaped in v2")]
    d = compare(real(), edited(_reserved_to({"name": "retry_after_ms", "type": "u32"})))
    assert sorted(d.rules()) == expect(
        ("IgvmErrorInfo", "reserved-given-meaning", "retry_after_ms takes reserved bytes"),
        ("IgvmErrorInfo", "reserved-reshaped", "reserved reshaped"),
        *per_header,
    )
    row = next(c for c in d.changes if c.scope == HEADERS[0] and c.rule == "reserved-given-meaning")
    assert row.new == {"offset": 20, "size": 4, "type": "u32"}
    assert "nothing says 0 means 'as before'" in row.reason


def test_reserved_bytes_given_flags_are_compatible():
    def flags(d):
        d["bitmaps"].append({"name": "IgvmErrorFlags", "type": "u32", "fields": [{"name": "transient", "bit": 0}]})
        _reserved_to({"name": "flags", "type": "IgvmErrorFlags"})(d)

    per_header = []
    for h in HEADERS:
        per_header += [(h, "reserved-field-flags", "error_info.flags takes reserved bytes in v2"), (h, "reserved-reshaped", "error_info.reserved reshaped in v2")]
    d = compare(real(), edited(flags))
    assert sorted(d.rules()) == expect(
        ("IgvmErrorFlags", "type-added", "bitmap added"),
        ("IgvmErrorInfo", "reserved-field-flags", "flags takes reserved bytes"),
        ("IgvmErrorInfo", "reserved-reshaped", "reserved reshaped"),
        *per_header,
    )
    assert d.verdict == diff.COMPATIBLE


def test_reserved_flag_dropped_on_a_versioned_struct():
    """zoo.yaml Inner: `extra_pad` (since 2, reserved) becomes a meaningful u32."""

    def meaning(d):
        f = fields(d, "Inner")[4]
        del f["reserved"]
        f["name"] = "flags"

    assert rows(features(), edited(meaning, features)) == expect(
        ("Framed", "reserved-given-meaning", "body.inner.flags takes reserved bytes in v2, v3"),
        ("Inner", "reserved-given-meaning", "flags takes reserved bytes in v2, v3"),
        ("Outer", "reserved-given-meaning", "inner.flags takes reserved bytes in v2, v3"),
    )


def test_field_made_reserved():
    def reserve(d):
        fields(d, "IgvmAttestRequestHeader")[4]["reserved"] = True

    assert rows(real(), edited(reserve)) == expect(
        ("IgvmAttestRequestHeader", "field-made-reserved", "status made reserved"),
        ("IgvmAttestRequestBase", "field-made-reserved", "header.status made reserved"),
    )


def test_packed_toggled():
    def pack(d):
        struct(d, "IgvmAttestRequestHeader")["packed"] = True

    d = compare(real(), edited(pack))
    assert sorted(d.rules()) == expect(("IgvmAttestRequestHeader", "packed-toggled", "packing"))
    assert (d.changes[0].old, d.changes[0].new) == ({"packed": False, "align": 4}, {"packed": True, "align": 1})


def test_packed_toggled_without_an_alignment_change_is_inert():
    old = "schema: t\nendian: little\nstructs:\n  - name: Bytes\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: 'u8[3]'}\n"
    new = old.replace("  - name: Bytes\n", "  - name: Bytes\n    packed: true\n")
    d = diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))
    assert d.rules() == [("Bytes", "packed-toggled-inert", "packing")]


def test_version_field_changed():
    def select(d):
        struct(d, HEADERS[2])["version_field"] = "data_size"

    assert rows(real(), edited(select)) == expect((HEADERS[2], "version-field-changed", "version field"))


def test_version_field_added_where_the_version_already_was():
    def unversioned(d):
        for h in HEADERS:
            del struct(d, h)["version_field"]

    assert rows(edited(unversioned, v1), v2_proposed()) == sorted(
        [r for r in rows(v1(), v2_proposed())] + each_header("version-field-added", "version field")
    )


def test_fixed_value_changed():
    def sign(d):
        fields(d, "IgvmAttestRequestHeader")[0]["value"] = 0x41424344

    assert rows(real(), edited(sign)) == expect(
        ("IgvmAttestRequestHeader", "fixed-value-changed", "signature fixed value changed"),
        ("IgvmAttestRequestBase", "fixed-value-changed", "header.signature fixed value changed"),
    )


def test_types_removed():
    def remove(d):
        drop(d["structs"], HEADERS[2])  # a message
        drop(d["enums"], "IgvmAttestHashType")  # only used by a field, which becomes a plain u32
        fields(d, "IgvmAttestRequestData")[3]["type"] = "u32"

    assert rows(real(), edited(remove)) == expect(
        (HEADERS[2], "type-removed", "struct removed"),
        ("IgvmAttestHashType", "inner-type-removed", "enum removed"),
        ("IgvmAttestRequestData", "field-type-refined", "report_data_hash_type type changed"),
        ("IgvmAttestRequestBase", "field-type-refined", "request_data.report_data_hash_type type changed"),
    )


def test_protocol_version_dropped():
    old = "schema: t\nendian: little\nversions: [1, 2]\nstructs:\n  - name: M\n    fields:\n      - {name: a, type: u32}\n"
    new = old.replace("versions: [1, 2]", "versions: [1]")
    d = diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))
    assert d.rules() == [("schema", "protocol-version-removed", "protocol version 2 removed")]


def test_every_rule_has_a_verdict_and_the_readme_documents_it():
    assert {v for v, _ in diff.RULES.values()} == set(diff.VERDICTS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[1] in diff.VERDICTS:
            documented[cells[0].strip("`")] = cells[1]
    assert documented == {rule: verdict for rule, (verdict, _) in diff.RULES.items()}


# --- command line ---------------------------------------------------------------------------------


def write(path: Path, d: dict | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(d if isinstance(d, str) else dump(d), encoding="utf-8")
    return path


def test_cli_exit_codes(tmp_path, capsys):
    old = write(tmp_path / "v1.yaml", v1())
    new = write(tmp_path / "v2.yaml", v2_proposed())
    bad = write(tmp_path / "bad.yaml", edited(lambda d: fields(d, "IgvmAttestRequestHeader").insert(1, {"name": "flag", "type": "u8"})))
    broken = write(tmp_path / "broken.yaml", edited(lambda d: drop(fields(d, "IgvmAttestRequestHeader"), "status")))

    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Schema diff: `igvm_attest`") and "13 COMPATIBLE" in out

    assert main(["diff", str(new), str(broken)]) == 1
    assert "**BREAKING**" in capsys.readouterr().out
    assert main(["diff", "--allow-breaking", str(new), str(broken)]) == 0
    capsys.readouterr()

    assert main(["diff", str(old), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "implicit padding in IgvmAttestRequestHeader" in err
    assert err.splitlines()[0].split(":")[1].isdigit()  # FILE:LINE:COL

    assert main(["diff", str(old)]) == 2
    assert "give OLD and NEW" in capsys.readouterr().err


def test_cli_json(tmp_path, capsys):
    old = write(tmp_path / "v1.yaml", v1())
    new = write(tmp_path / "v2.yaml", v2_proposed())
    assert main(["diff", "--json", str(old), str(new)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "COMPATIBLE"
    assert report["counts"] == {"BREAKING": 0, "COMPATIBLE": 13, "SOURCE": 0, "DOC": 0}
    (schema,) = report["schemas"]
    base = next(t for t in schema["types"] if t["name"] == "IgvmAttestRequestBase")
    assert base["changes"] == [
        {
            "change": "request_data.capability_bitmap appended in v2",
            "old": None,
            "new": {"offset": 1236, "size": 4, "type": "IgvmCapabilityBitMap"},
            "versions": [2],
            "verdict": "COMPATIBLE",
            "rule": "field-appended-versioned",
            "reason": base["changes"][0]["reason"],
        }
    ]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A throwaway git repository whose HEAD holds v1 of the schema (and one schema that will go)."""
    _git(tmp_path, "init", "-q")
    write(tmp_path / "schema" / "igvm_attest.yaml", v1())
    write(tmp_path / "schema" / "old_proto.yaml", "schema: old_proto\nendian: little\nstructs:\n  - name: Ping\n    fields:\n      - {name: seq, type: u32}\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_rev_path(repo, capsys):
    write(repo / "schema" / "igvm_attest.yaml", v2_proposed())
    assert main(["diff", "HEAD:schema/igvm_attest.yaml", "schema/igvm_attest.yaml"]) == 0
    out = capsys.readouterr().out
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/igvm_attest.yaml` · 0 BREAKING · 13 COMPATIBLE" in out

    # a schema at a revision that does not load is named REV:path in the problems
    write(repo / "schema" / "igvm_attest.yaml", "schema: igvm_attest\nendian: big\n")
    _git(repo, "commit", "-q", "-am", "broken")
    assert main(["diff", "HEAD:schema/igvm_attest.yaml", "HEAD~1:schema/igvm_attest.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("HEAD:schema/igvm_attest.yaml:2:9: endian: endian 'big' is not supported")

    assert main(["diff", "HEAD:schema/nope.yaml", "HEAD~1:schema/igvm_attest.yaml"]) == 2
    assert capsys.readouterr().err.startswith("HEAD:schema/nope.yaml:1:1: cannot read the schema from git")


def test_cli_base(repo, capsys):
    write(repo / "schema" / "igvm_attest.yaml", v2_proposed())
    (repo / "schema" / "old_proto.yaml").unlink()
    write(repo / "schema" / "new_proto.yaml", "schema: new_proto\nendian: little\nstructs:\n  - name: Pong\n    fields:\n      - {name: seq, type: u32}\n")
    assert main(["diff", "--base", "HEAD"]) == 1  # a removed schema is breaking
    out = capsys.readouterr().out
    assert out.startswith("## Schema review: `HEAD` → working tree\n\n3 schema(s) · **1 BREAKING** · 14 COMPATIBLE · 0 SOURCE · 0 DOC\n")
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/igvm_attest.yaml` · 0 BREAKING · 13 COMPATIBLE" in out
    assert "| schema added | — | new_proto | COMPATIBLE | `schema-added` |" in out
    assert "| schema removed | old_proto | — | **BREAKING** | `schema-removed` |" in out
    assert main(["diff", "--base", "HEAD", "--allow-breaking"]) == 0
    capsys.readouterr()
    assert main(["diff", "--base", "no-such-rev"]) == 2
    assert "cannot list the schemas at no-such-rev" in capsys.readouterr().err


def test_cli_entry_point(tmp_path):
    """The real command, as CI runs it."""
    old = write(tmp_path / "v2.yaml", v2_proposed())
    new = write(tmp_path / "v2x.yaml", edited(lambda d: drop(bitmap(d, "IgvmSignal")["fields"], "retry"), v2_proposed))
    res = subprocess.run([sys.executable, "-m", "wiregen", "diff", str(old), str(new)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert "| `retry` removed | bit 0 | bit 0 reserved | **BREAKING** | `bitmap-field-removed` |" in res.stdout


# --- review workflow files ----------------------------------------------------------------------


def test_review_workflow_is_valid_and_runs_the_ci_targets():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "schema-review.yml").read_text(encoding="utf-8"))
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert "pull_request" in triggers
    (job,) = wf["jobs"].values()
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [s.get("run", "") for s in steps]
    assert any(r.strip() == "make check" for r in runs)
    assert any(r.strip() == "make test" for r in runs)
    review = next(s for s in steps if "wiregen diff" in s.get("run", ""))
    assert "--base" in review["run"] and "github.event.pull_request.base.sha" in str(review)
    assert "$GITHUB_STEP_SUMMARY" in review["run"]
    assert review.get("shell") == "bash"  # bash -eo pipefail: the diff's exit status survives the tee


def test_pre_commit_hook_runs_make_check():
    cfg = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for r in cfg["repos"] if r["repo"] == "local" for h in r["hooks"]]
    assert any(h["entry"] == "make check" and h["language"] == "system" and h.get("pass_filenames") is False for h in hooks)

