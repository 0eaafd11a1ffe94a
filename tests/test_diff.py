"""Schema review (`wiregen diff`): the verdict on every edit of a series
modelled on how the IGVM attestation protocol evolved, deliberate breaking edits of
every kind, renames that must stay SOURCE, and the command line.

Schemas are built from `tests/schemas/review/igvm_attest.yaml` (a frozen copy of
the IGVM attestation schema at version 2; parsed, edited as data, written back) or
from `tests/schemas/zoo.yaml`, so the edits are the ones a schema author would make
and a change to the live schema changes nothing here. Each test asserts the report row by row:
(type, rule id, change) for every row, nothing more and nothing less.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
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
REAL = ROOT / "tests" / "schemas" / "review" / "igvm_attest.yaml"
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
        *each_header("field-appended-versioned", "error_info appended in v2"),
    )
    assert d.verdict == diff.COMPATIBLE
    # the request data's change is one row, which says where the request carries it
    data = next(c for c in d.changes if c.scope == "IgvmAttestRequestData")
    assert data.new == {"offset": 20, "size": 4, "type": "IgvmCapabilityBitMap"}
    assert data.versions == [2]
    assert "first 20 bytes" in data.reason
    assert data.reaches == [diff.Reach("IgvmAttestRequestBase", ("request_data",), 1216, (2,))]
    header = next(c for c in d.changes if c.scope == HEADERS[0])
    assert header.new == {"offset": 8, "size": 24, "type": "IgvmErrorInfo"}
    assert "first 8 bytes" in header.reason
    # new types are new bytes here, and their reasons say where
    signal = next(c for c in d.changes if c.scope == "IgvmSignal")
    assert signal.reason.startswith("used by new bytes (IgvmErrorInfo.igvm_signal)")
    info = next(c for c in d.changes if c.scope == "IgvmErrorInfo")
    assert info.reason.startswith(f"new bytes inside {', '.join(HEADERS)}")


def test_v1_to_v2_markdown_reads_as_a_pr_comment():
    d = compare(v1(), v2_proposed())
    md = diff.Report([d]).to_markdown()
    lines = md.splitlines()
    assert lines[0] == "## Schema diff: `igvm_attest`"
    assert "`old.yaml` → `new.yaml` · 0 BREAKING · 12 COMPATIBLE · 0 SOURCE · 0 DOC" in lines
    # no message says what follows the request or the response headers: the verdict says it assumes nothing does
    assert lines[4] == (
        "No breaking change, on conditions the schema states or leaves open: nothing follows `IgvmAttestRequestBase`, "
        f"{', '.join(f'`{h}`' for h in HEADERS)} on the wire (no message of the schema says what does). "
        "Otherwise old readers would misread new versions (see the rows)."
    )
    assert "### `IgvmAttestRequestData` — struct inside `IgvmAttestRequestBase`; v1: 20 B, v2: 20 → 24 B" in lines
    assert "### `IgvmErrorInfo` — struct inside `IgvmAttestKeyReleaseResponseHeader`, `IgvmAttestWrappedKeyResponseHeader`, `IgvmAttestAkCertResponseHeader`; 24 B" in lines
    row = next(x for x in lines if x.startswith("| `capability_bitmap` appended in v2 |"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:5] == ["—", "@20, 4 B, IgvmCapabilityBitMap", "COMPATIBLE", "`field-appended-versioned`"]
    assert cells[5].endswith("; reaches `IgvmAttestRequestBase` (`request_data` at byte 1216, v2)")
    # every table has the same six columns
    tables = [x for x in lines if x.startswith("| Change |")]
    assert len(tables) == 11 and set(tables) == {"| Change | Old | New | Verdict | Rule | Reason |"}


def test_bits_assigned_later_from_reserved_space():
    assert rows(v2_proposed(), v2_later_bits()) == expect(
        ("IgvmCapabilityBitMap", "reserved-bits-assigned", "skip_hw_unsealing added"),
        ("IgvmCapabilityBitMap", "reserved-bits-assigned", "use_rsa_aes_key_wrap_384 added"),
        ("IgvmCapabilityBitMap", "reserved-bits-assigned", "corim_endorsement added"),
        ("IgvmSignal", "reserved-bits-assigned", "skip_hw_unsealing added"),
        ("IgvmSignal", "reserved-bits-assigned", "rsa_aes_key_wrap_384_used added"),
        ("IgvmSignal", "reserved-bits-assigned", "corim_endorsement_requested added"),
    )


def test_new_report_type():
    d = compare(v2_later_bits(), real())
    assert sorted(d.rules()) == expect(("IgvmAttestReportType", "enum-value-added", "CCA_VM_REPORT added"))
    assert d.changes[0].new == {"value": 5}


def test_version_2_field_split_out_into_a_struct_of_its_own():
    """Judged by the bytes: the bitmap is still at 1236 in a version 2 request, so
    moving it between structs (and renaming the request) is SOURCE, one row per type."""
    old = real()
    struct(old, "IgvmAttestRequestBase")["name"] = "IgvmAttestRequest"  # PR #665's name
    d = compare(old, split_out())
    assert sorted(d.rules()) == expect(
        ("IgvmAttestRequestBase", "renamed", "renamed from IgvmAttestRequest"),
        ("IgvmAttestRequestData", "regrouped", "capability_bitmap removed in v2; size in v2; version field"),
        ("IgvmAttestRequestDataExt", "type-added-inert", "struct added"),
    )
    assert d.verdict == diff.SOURCE
    absorbed = next(c for c in d.changes if c.scope == "IgvmAttestRequestData")
    assert absorbed.reason == (
        "IgvmAttestRequestData is only sent inside IgvmAttestRequestBase, whose bytes are identical in every version; "
        "on its own these would be field-removed, struct-resized, version-field-changed"
    )
    ext = next(c for c in d.changes if c.scope == "IgvmAttestRequestDataExt")
    assert ext.reason.startswith("declares bytes old peers already send, at the same offsets")
    assert ext.reaches == [diff.Reach("IgvmAttestRequestBase", ("ext",), 1236, (2,))]


def _bare_versions(d: dict) -> None:
    """Before a5f0d88f1: the version fields were plain u32s."""
    fields(d, "IgvmAttestRequestData")[1]["type"] = "u32"
    for h in HEADERS:
        fields(d, h)[1]["type"] = "u32"
    drop(d["enums"], "IgvmAttestRequestVersion", "IgvmAttestResponseVersion")


def test_wire_identical_restructure_is_source_one_row_per_restructure():
    """a5f0d88f1 in one commit: the request renamed, its data split into a base and an
    extension, and the u32 version fields turned into open enums. Every byte stays: the
    rename pairs by the bytes (a u32 and an enum over u32 are the same bytes), so nothing
    reads as removed or inserted."""

    def before(d):
        _bare_versions(d)
        struct(d, "IgvmAttestRequestBase")["name"] = "IgvmAttestRequest"

    d = compare(edited(before), split_out())
    assert sorted(d.rules()) == expect(
        ("IgvmAttestRequestVersion", "type-added-inert", "enum added"),
        ("IgvmAttestResponseVersion", "type-added-inert", "enum added"),
        ("IgvmAttestRequestBase", "renamed", "renamed from IgvmAttestRequest"),
        ("IgvmAttestRequestData", "field-type-refined", "version type changed"),
        ("IgvmAttestRequestData", "regrouped", "capability_bitmap removed in v2; size in v2; version field"),
        ("IgvmAttestRequestDataExt", "type-added-inert", "struct added"),
        *each_header("field-type-refined", "version type changed"),
    )
    assert d.verdict == diff.SOURCE
    version = next(c for c in d.changes if c.scope == "IgvmAttestResponseVersion")
    assert version.reason == f"names integers old peers already send ({', '.join(h + '.version' for h in HEADERS)}); only generated code changes"


def _common_header(d: dict) -> None:
    """The response headers' first two fields declared as a struct of their own."""
    d["structs"].insert(
        3,
        {
            "name": "IgvmAttestCommonResponseHeader",
            "fields": [{"name": "data_size", "type": "u32"}, {"name": "version", "type": "IgvmAttestResponseVersion"}],
        },
    )
    for h in HEADERS:
        fields(d, h)[:2] = [{"name": "header", "type": "IgvmAttestCommonResponseHeader"}]
        struct(d, h)["version_field"] = "header.version"


def test_fields_moved_into_a_sub_struct_and_refined_is_one_row():
    """The response headers' first two fields moved into a common header, the version
    retyped u32 -> enum on the way: the same 8 bytes, so one SOURCE row for the new struct,
    listing the headers it reaches, and none of field-inserted / field-removed."""

    d = compare(edited(_bare_versions), edited(_common_header))
    assert sorted(d.rules()) == expect(
        ("IgvmAttestRequestVersion", "type-added-inert", "enum added"),
        ("IgvmAttestResponseVersion", "type-added-inert", "enum added"),
        ("IgvmAttestRequestData", "field-type-refined", "version type changed"),
        ("IgvmAttestCommonResponseHeader", "type-added-inert", "struct added"),
    )
    row = next(c for c in d.changes if c.scope == "IgvmAttestCommonResponseHeader")
    assert row.reaches == [diff.Reach(h, ("header",), 0, None) for h in HEADERS]
    md = diff.Report([d]).to_markdown()
    assert f"reaches {', '.join(f'`{h}`' for h in HEADERS)} (`header` at byte 0)" in md


def test_fields_moved_into_an_existing_sub_struct_is_one_row():
    """Two fields of a message move into the struct it already embeds first, one of them
    retyped u32 -> enum: the message's bytes are the same, so the message gets one
    `regrouped` row for both moves and the embedded struct one row for its own growth."""
    old = """schema: t
endian: little
enums:
  - {name: Kind, type: u32, values: [{name: PING, value: 1}]}
structs:
  - name: Head
    fields:
      - {name: size, type: u32}
  - name: Msg
    fields:
      - {name: head, type: Head}
      - {name: kind, type: u32}
      - {name: flags, type: u32}
      - {name: body, type: "u8[8]"}
"""
    new = old.replace(
        "      - {name: size, type: u32}\n",
        "      - {name: size, type: u32}\n      - {name: kind, type: Kind}\n      - {name: flags, type: u32}\n",
    ).replace("      - {name: kind, type: u32}\n      - {name: flags, type: u32}\n      - {name: body", "      - {name: body")
    d = diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))
    assert sorted(d.rules()) == expect(
        ("Head", "regrouped", "kind appended; flags appended; size"),
        ("Msg", "regrouped", "kind → head.kind; flags → head.flags"),
    )
    assert d.verdict == diff.SOURCE
    msg = next(c for c in d.changes if c.scope == "Msg")
    assert msg.reason == "same bytes at the same offsets; only the declaration tree changed (a plain integer now named by an enum or bitmap is the same bytes too)"
    assert msg.old == {"parts": [{"offset": 4, "size": 4, "type": "u32"}, {"offset": 8, "size": 4, "type": "u32"}]}
    assert msg.new == {"parts": [{"offset": 4, "size": 4, "type": "Kind"}, {"offset": 8, "size": 4, "type": "u32"}]}


def test_common_header_inlined_again_is_one_row():
    """The reverse: the common header goes and its two fields are declared in each header
    again, at the same bytes. One SOURCE row for the gone struct, naming where it was."""
    d = compare(edited(_common_header), real())
    assert d.rules() == [("IgvmAttestCommonResponseHeader", "inner-type-removed", "struct removed")]
    row = d.changes[0]
    assert row.reason == "its bytes are still carried at the same offsets, declared another way; only generated code changes"
    assert row.reaches == [diff.Reach(h, ("header",), 0, None) for h in HEADERS]
    assert f"was carried by {', '.join(f'`{h}`' for h in HEADERS)} (`header` at byte 0)" in diff.Report([d]).to_markdown()


def test_new_message_that_is_the_first_bytes_of_old_ones():
    """upstream's IgvmAttestCommonResponseHeader: a struct of its own, exactly the 8 bytes every
    response header starts with. Old peers do send it, so its reason must not say they never do."""

    def common(d, names=("data_size", "version")):
        d["structs"].append({"name": "IgvmAttestCommonResponseHeader", "fields": [{"name": names[0], "type": "u32"}, {"name": names[1], "type": "IgvmAttestResponseVersion"}]})

    d = compare(real(), edited(common))
    assert d.rules() == [("IgvmAttestCommonResponseHeader", "type-added-inert", "struct added")]
    assert d.changes[0].reason == (
        f"its 8 bytes (data_size, version) are exactly the first bytes of {', '.join(HEADERS)} in every version old peers speak: "
        "they already send them; a new declaration of existing bytes"
    )
    # two u32s of other names are a new message, not the headers' first bytes
    d = compare(real(), edited(lambda x: common(x, ("sequence", "flags"))))
    assert d.rules() == [("IgvmAttestCommonResponseHeader", "type-added", "struct added")]
    assert d.changes[0].reason == "a new message type: no old peer sends or expects it"


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
    """a5f0d88f1 also turned the bare u32 version fields into open enums: same bytes, and
    the new enums only name integers old peers already send."""
    assert rows(edited(_bare_versions), real()) == expect(
        ("IgvmAttestRequestVersion", "type-added-inert", "enum added"),
        ("IgvmAttestResponseVersion", "type-added-inert", "enum added"),
        ("IgvmAttestRequestData", "field-type-refined", "version type changed"),
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


def test_doc_change_shows_a_word_diff():
    """A one-word edit late in a long doc: both sides are shown around the changed words, not
    cut at a fixed length where the old and the new text still look the same."""

    def edit(d):
        d["doc"] = d["doc"].replace("so the paravisor can choose its\nretry strategy", "so the paravisor can pick its\nretry strategy")

    d = compare(real(), edited(edit))
    assert d.rules() == [("schema", "doc-changed", "doc")]
    row = d.changes[0]
    assert row.old == {"doc": real()["doc"]} and row.new["doc"].count("pick") == 1  # the JSON keeps both texts whole
    line = next(x for x in diff.Report([d]).to_markdown().splitlines() if x.startswith("| doc |"))
    cells = [c.strip() for c in line.strip("|").split(" | ")]
    assert cells[1] == "… `IgvmSignal` bitmap), so the paravisor can ~~choose~~ its retry strategy. The agent answers …"
    assert cells[2] == "… `IgvmSignal` bitmap), so the paravisor can **pick** its retry strategy. The agent answers …"


def test_word_diff():
    from wiregen.diff.markdown import word_diff

    assert word_diff("a b c", "a b c d") == ("a b c", "a b c **d**")
    assert word_diff("x a b c", "a b c") == ("~~x~~ a b c", "a b c")
    assert word_diff("one two three four five six seven eight nine", "one two three four FIVE six seven eight nine", context=2) == (
        "… three four ~~five~~ six seven …",
        "… three four **FIVE** six seven …",
    )
    assert word_diff("", "new words") == ("none", "new words")
    assert word_diff("same  words", "same\nwords") == ("same words", "same words, other line breaks or spacing")


# --- deliberate breaking edits ----------------------------------------------------------------


def test_field_moved():
    def swap(d):
        f = fields(d, "IgvmAttestRequestHeader")
        f[2], f[4] = f[4], f[2]  # report_size <-> status

    assert rows(real(), edited(swap)) == expect(
        ("IgvmAttestRequestHeader", "field-moved", "report_size moved"),
        ("IgvmAttestRequestHeader", "field-moved", "status moved"),
    )


def test_field_resized_into_reserved_bytes():
    """status narrowed to u16 and the freed bytes reserved: one resize row, nothing else."""

    def narrow(d):
        f = fields(d, "IgvmAttestRequestHeader")
        f[4]["type"] = "u16"
        f.insert(5, {"name": "status_reserved", "type": "u16", "reserved": True})

    assert rows(real(), edited(narrow)) == expect(
        ("IgvmAttestRequestHeader", "field-resized", "status resized"),
    )
    # and back: widened over the reserved bytes
    assert rows(edited(narrow), real()) == expect(
        ("IgvmAttestRequestHeader", "field-resized", "status resized"),
    )


def test_field_retyped():
    def retype(d):
        fields(d, "IgvmAttestRequestData")[2]["type"] = "IgvmAttestHashType"  # report_type
        fields(d, "IgvmAttestRequestHeader")[4]["type"] = "i32"  # status

    assert rows(real(), edited(retype)) == expect(
        ("IgvmAttestRequestData", "field-retyped", "report_type retyped"),
        ("IgvmAttestRequestHeader", "field-retyped", "status retyped"),
    )


def test_field_inserted_mid_struct():
    """One edit of IgvmErrorInfo: its rows, once, with the three headers it reaches (not
    the same rows again for every header that carries it, nor the headers' growth)."""

    def insert(d):
        fields(d, "IgvmErrorInfo").insert(2, {"name": "retry_after_ms", "type": "u32"})

    d = compare(real(), edited(insert))
    assert sorted(d.rules()) == expect(
        ("IgvmErrorInfo", "field-inserted", "retry_after_ms inserted"),
        ("IgvmErrorInfo", "field-moved", "igvm_signal moved"),
        ("IgvmErrorInfo", "field-moved", "reserved moved"),
        ("IgvmErrorInfo", "struct-resized", "size"),
    )
    reach = [diff.Reach(h, ("error_info",), 8, (2,)) for h in HEADERS]
    assert all(c.reaches == reach for c in d.changes)
    inserted = next(c for c in d.changes if c.rule == "field-inserted")
    assert inserted.reason == "inserted at byte 8 of the layout old peers use for versions 1, 2: every later byte moves"


def test_inserted_field_reason_names_only_versions_old_peers_speak():
    """A version 1 schema gains version 2 and, in the same change, a field in the middle of a
    struct: old peers use that layout for version 1; version 2 they do not speak."""

    def grow(d):
        d["versions"] = [1, 2]
        fields(d, "IgvmAttestRequestData").insert(2, {"name": "flags", "type": "u32"})

    d = compare(v1(), edited(grow, v1))
    row = next(c for c in d.changes if c.rule == "field-inserted")
    assert row.versions is None
    assert row.reason == (
        "inserted at byte 8 of the layout old peers use for version 1: every later byte moves; "
        "the same holds for version 2 messages, which old peers do not speak but read by their newest layout"
    )


def test_embedded_change_reaches_through_nested_structs_and_arrays():
    """S inside T inside M, and an array of S in M: S's rows list M with the full path,
    T repeats none of them, and M keeps only what happens to its own later bytes."""
    old = """schema: t
endian: little
structs:
  - name: S
    fields:
      - {name: a, type: u32}
      - {name: b, type: u32}
  - name: T
    fields:
      - {name: x, type: u32}
      - {name: s, type: S}
  - name: M
    fields:
      - {name: hdr, type: u32}
      - {name: t, type: T}
      - {name: ss, type: "S[2]"}
"""
    new = old.replace("      - {name: b, type: u32}\n", "      - {name: b, type: i32}\n      - {name: c, type: u32}\n")
    d = diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))
    assert sorted(d.rules()) == expect(
        ("S", "struct-resized", "size"),
        ("S", "field-retyped", "b retyped"),
        ("S", "field-appended", "c appended"),
        ("M", "field-inserted", "t.s.c inserted"),  # in M, what S appends sits before other bytes
        ("M", "field-moved", "ss[0].a moved"),
        ("M", "field-moved", "ss[0].b moved"),
        ("M", "field-inserted", "ss[0].c inserted"),
        ("M", "field-moved", "ss[1].a moved"),
        ("M", "field-moved", "ss[1].b moved"),
    )
    reaches = {c.change: c.reaches for c in d.changes if c.scope == "S"}
    # M grows by 12 bytes: 4 through T (which grows only by S's 4) and 8 through the array of two S
    assert reaches["size"] == [diff.Reach("M", ("t", "s"), 8, None), diff.Reach("M", ("ss",), 20, None)]
    assert reaches["`b` retyped"] == [diff.Reach("M", ("t", "s"), 8, None)]
    assert reaches["`c` appended"] == [diff.Reach("M", ("ss", "[1]"), 32, None)]  # the last S of M is appended there too


def test_field_removed():
    def remove(d):
        drop(fields(d, "IgvmAttestRequestHeader"), "status")

    d = compare(real(), edited(remove))
    assert sorted(d.rules()) == expect(
        ("IgvmAttestRequestHeader", "field-removed", "status removed"),
        ("IgvmAttestRequestHeader", "field-moved", "reserved moved"),
        ("IgvmAttestRequestHeader", "struct-resized", "size"),
        ("IgvmAttestRequestBase", "field-moved", "attestation_report moved"),
        ("IgvmAttestRequestBase", "field-moved", "request_data moved"),
        ("IgvmAttestRequestBase", "version-field-changed", "version field"),
    )
    # the request shrinks only by what its header lost: that is the header's size row, which reaches it
    size = next(c for c in d.changes if c.rule == "struct-resized")
    assert size.reaches == [diff.Reach("IgvmAttestRequestBase", ("header",), 0, None)]


def test_field_appended_without_a_new_version():
    """Appending to IgvmErrorInfo without `since` grows a layout version 2 peers already use."""

    def append(d):
        fields(d, "IgvmErrorInfo").append({"name": "retry_after_ms", "type": "u32"})

    assert rows(real(), edited(append)) == expect(
        ("IgvmErrorInfo", "field-appended", "retry_after_ms appended"),
        ("IgvmErrorInfo", "struct-resized", "size"),
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


def test_bit_field_renamed_and_refined_is_a_rename():
    """Same-width integer -> enum is a refinement in a bitmap too: a bit field renamed and
    turned into an enum over the same bits is one SOURCE rename, not removed + reused."""

    def before(d):
        _with_level(d)

    def after(d):
        _with_level(d)
        d["enums"].append({"name": "Level", "type": "u8", "values": [{"name": "NONE", "value": 0}, {"name": "HIGH", "value": 15}]})
        f = bitmap(d, "IgvmSignal")["fields"][-1]
        f["name"], f["type"] = "urgency", "Level"

    d = compare(edited(before), edited(after))
    assert sorted(d.rules()) == expect(("Level", "type-added-inert", "enum added"), ("IgvmSignal", "renamed", "level → urgency"))
    row = next(c for c in d.changes if c.scope == "IgvmSignal")
    assert (row.old, row.new) == ({"bits": [8, 11], "type": "u8"}, {"bits": [8, 11], "type": "Level"})
    assert "u8 → Level names the same numbers" in row.reason


def test_bitmap_field_narrowed_and_widened():
    def narrowed(d):
        _with_level(d)
        bitmap(d, "IgvmSignal")["fields"][-1]["bits"] = [8, 9]

    assert rows(edited(_with_level), edited(narrowed)) == expect(("IgvmSignal", "bitmap-field-narrowed", "level narrowed"))
    assert rows(edited(narrowed), edited(_with_level)) == expect(("IgvmSignal", "bitmap-field-widened", "level widened"))


def test_reserved_bits_judged_by_the_bits_whatever_their_grouping():
    """Bits 8..11 of IgvmSignal given meaning as one 4-bit value or as four one-bit flags:
    the same bits, the same contract (old writers leave them 0, old readers ignore them), so
    the same verdict, COMPATIBLE, with the condition in the reason. The one thing the schema
    can check is that 0 is a value the field can hold: an enum without 0 is BREAKING."""
    as_value = compare(real(), edited(_with_level))
    assert as_value.rules() == [("IgvmSignal", "reserved-bits-assigned", "level added")]
    assert as_value.changes[0].reason == (
        "bits 8..11 were reserved: new readers get level = 0 from every old peer, and old readers ignore what new peers put there; "
        "compatible as long as that 0 means 'as before' and the value is safe to ignore, as for any flag"
    )

    def as_flags(d):
        bitmap(d, "IgvmSignal")["fields"] += [{"name": f"level_{i}", "bit": 8 + i} for i in range(4)]

    flags = compare(real(), edited(as_flags))
    assert sorted(flags.rules()) == expect(*[("IgvmSignal", "reserved-bits-assigned", f"level_{i} added") for i in range(4)])
    assert flags.verdict == as_value.verdict == diff.COMPATIBLE
    assert "new readers get level_0 = 0 (not set) from every old peer" in flags.changes[0].reason

    def as_enum(zero: bool):
        def edit(d):
            values = [{"name": "LOW", "value": 1}, {"name": "HIGH", "value": 2}]
            d["enums"].append({"name": "Level", "type": "u8", "values": ([{"name": "NONE", "value": 0}] if zero else []) + values})
            bitmap(d, "IgvmSignal")["fields"].append({"name": "level", "bits": [8, 9], "type": "Level"})

        return edit

    with_zero = compare(real(), edited(as_enum(True)))
    assert ("IgvmSignal", "reserved-bits-assigned", "level added") in with_zero.rules()
    assert "new readers get level = 0 (Level.NONE) from every old peer" in next(c for c in with_zero.changes if c.scope == "IgvmSignal").reason
    without_zero = compare(real(), edited(as_enum(False)))
    assert ("IgvmSignal", "reserved-given-meaning", "level added") in without_zero.rules()
    row = next(c for c in without_zero.changes if c.scope == "IgvmSignal")
    assert row.reason == "bits 8..9 were reserved: old writers leave them 0, which is no value of Level, so a new reader gets an unknown Level from every old peer"


def _reserved_to(field: dict):
    def edit(d):
        f = fields(d, "IgvmErrorInfo")
        f[3]["type"] = "u32[2]"  # reserved: 12 bytes -> 8
        f.insert(3, field)

    return edit


def test_reserved_bytes_given_a_meaning():
    d = compare(real(), edited(_reserved_to({"name": "retry_after_ms", "type": "u32"})))
    assert sorted(d.rules()) == expect(
        ("IgvmErrorInfo", "reserved-given-meaning", "retry_after_ms takes reserved bytes"),
        ("IgvmErrorInfo", "reserved-reshaped", "reserved reshaped"),
    )
    row = next(c for c in d.changes if c.rule == "reserved-given-meaning")
    assert row.new == {"offset": 12, "size": 4, "type": "u32"}
    assert "nothing says 0 means 'as before'" in row.reason
    assert row.reaches == [diff.Reach(h, ("error_info",), 8, (2,)) for h in HEADERS]


def _error_flags(*fields: dict):
    def edit(d):
        d["bitmaps"].append({"name": "IgvmErrorFlags", "type": "u32", "fields": list(fields)})
        _reserved_to({"name": "flags", "type": "IgvmErrorFlags"})(d)

    return edit


def test_reserved_bytes_given_flags_are_compatible():
    d = compare(real(), edited(_error_flags({"name": "transient", "bit": 0})))
    assert sorted(d.rules()) == expect(
        ("IgvmErrorFlags", "type-added", "bitmap added"),
        ("IgvmErrorInfo", "reserved-field-flags", "flags takes reserved bytes"),
        ("IgvmErrorInfo", "reserved-reshaped", "reserved reshaped"),
    )
    assert d.verdict == diff.COMPATIBLE


def test_reserved_bytes_given_a_bitmap_whose_enum_has_no_zero():
    """The same rule as for reserved bits: zero must be a value of each enum field."""

    def edit(d):
        d["enums"].append({"name": "Severity", "type": "u8", "values": [{"name": "WARN", "value": 1}, {"name": "FATAL", "value": 2}]})
        _error_flags({"name": "severity", "bits": [0, 1], "type": "Severity"})(d)

    d = compare(real(), edited(edit))
    row = next(c for c in d.changes if c.scope == "IgvmErrorInfo" and c.verdict == diff.BREAKING)
    assert row.rule == "reserved-given-meaning"
    assert row.reason == "bytes 12..15 were reserved and now hold the bitmap IgvmErrorFlags, whose field severity is a Severity with no value 0: every old peer sends it as an unknown value"


def test_reserved_flag_dropped_on_a_versioned_struct():
    """zoo.yaml Inner: `extra_pad` (since 2, reserved) becomes a meaningful u32."""

    def meaning(d):
        f = fields(d, "Inner")[4]
        del f["reserved"]
        f["name"] = "flags"

    assert rows(features(), edited(meaning, features)) == expect(
        ("Inner", "reserved-given-meaning", "flags takes reserved bytes in v2, v3"),
    )


def test_field_made_reserved():
    def reserve(d):
        fields(d, "IgvmAttestRequestHeader")[4]["reserved"] = True

    assert rows(real(), edited(reserve)) == expect(
        ("IgvmAttestRequestHeader", "field-made-reserved", "status made reserved"),
    )


def test_packed_toggled_moves_no_byte():
    """The schema refuses padding, so packing never moves a byte: SOURCE, and the reason
    says what does change (the generated types' alignment)."""

    def pack(d):
        struct(d, "IgvmAttestRequestHeader")["packed"] = True

    d = compare(real(), edited(pack))
    assert d.rules() == [("IgvmAttestRequestHeader", "packed-toggled", "packing")]
    assert d.verdict == diff.SOURCE
    assert (d.changes[0].old, d.changes[0].new) == ({"packed": False, "align": 4}, {"packed": True, "align": 1})
    assert d.changes[0].reason.startswith("alignment 4 → 1, but no byte moves")


def test_packed_toggled_without_an_alignment_change():
    old = "schema: t\nendian: little\nstructs:\n  - name: Bytes\n    fields:\n      - {name: a, type: u8}\n      - {name: b, type: 'u8[3]'}\n"
    new = old.replace("  - name: Bytes\n", "  - name: Bytes\n    packed: true\n")
    d = diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))
    assert d.rules() == [("Bytes", "packed-toggled", "packing")]
    assert d.changes[0].reason == "its alignment is 1 either way, so nothing but the generated attribute changes"


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
    assert out.startswith("## Schema diff: `igvm_attest`") and "12 COMPATIBLE" in out

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
    assert report["counts"] == {"BREAKING": 0, "COMPATIBLE": 12, "SOURCE": 0, "DOC": 0}
    (schema,) = report["schemas"]
    data = next(t for t in schema["types"] if t["name"] == "IgvmAttestRequestData")
    assert data["changes"] == [
        {
            "change": "capability_bitmap appended in v2",
            "old": None,
            "new": {"offset": 20, "size": 4, "type": "IgvmCapabilityBitMap"},
            "versions": [2],
            "verdict": "COMPATIBLE",
            "rule": "field-appended-versioned",
            "reason": data["changes"][0]["reason"],
            "assumes": [{"name": "IgvmAttestRequestBase", "condition": "unfollowed"}],
            "reaches": [{"type": "IgvmAttestRequestBase", "at": "request_data", "offset": 1216, "versions": [2]}],
        }
    ]
    assert report["assumptions"] == [{"name": h, "condition": "unfollowed"} for h in ["IgvmAttestRequestBase", *HEADERS]]


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
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/igvm_attest.yaml` · 0 BREAKING · 12 COMPATIBLE" in out

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
    assert out.startswith("## Schema review: `HEAD` → working tree\n\n3 schema(s) · **1 BREAKING** · 13 COMPATIBLE · 0 SOURCE · 0 DOC\n")
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/igvm_attest.yaml` · 0 BREAKING · 12 COMPATIBLE" in out
    assert "| schema added | — | new_proto | COMPATIBLE | `schema-added` |" in out
    assert "| schema removed | old_proto | — | **BREAKING** | `schema-removed` |" in out
    assert main(["diff", "--base", "HEAD", "--allow-breaking"]) == 0
    capsys.readouterr()
    assert main(["diff", "--base", "no-such-rev"]) == 2
    assert "cannot list the schemas at no-such-rev" in capsys.readouterr().err


def test_cli_base_from_any_directory_of_the_repository(repo, capsys, monkeypatch):
    write(repo / "schema" / "igvm_attest.yaml", v2_proposed())
    deep = repo / "docs" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert main(["diff", "--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Schema review: `HEAD` → working tree\n\n2 schema(s) · 0 BREAKING · 12 COMPATIBLE")
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/igvm_attest.yaml` · 0 BREAKING · 12 COMPATIBLE" in out
    # a schema that does not load is named by a path that works from here
    write(repo / "schema" / "igvm_attest.yaml", "schema: igvm_attest\nendian: big\n")
    assert main(["diff", "--base", "HEAD"]) == 2
    assert capsys.readouterr().err.startswith("../../schema/igvm_attest.yaml:2:9: endian:")


def test_cli_base_outside_a_repository(tmp_path_factory, monkeypatch, capsys):
    outside = tmp_path_factory.mktemp("outside")
    write(outside / "schema" / "igvm_attest.yaml", v2_proposed())
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(outside.parent))
    assert main(["diff", "--base", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"wiregen diff: --base compares against a git revision, but {outside} is not inside a git work tree")


def test_cli_base_follows_a_renamed_schema_file(repo, capsys):
    """Schemas are paired by their `schema:` name: a file renamed (and to .yml) with edits in
    it shows the edits, not a removal and an addition."""
    _git(repo, "mv", "schema/igvm_attest.yaml", "schema/attestation.yml")
    write(repo / "schema" / "attestation.yml", v2_proposed())
    assert main(["diff", "--base", "HEAD"]) == 0
    out = capsys.readouterr().out
    assert "`HEAD:schema/igvm_attest.yaml` → `schema/attestation.yml` · 0 BREAKING · 12 COMPATIBLE" in out
    assert "schema-removed" not in out and "schema-added" not in out

    # a .yml at the base revision is read too; a schema renamed inside its file is paired by the path
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "rename")
    write(repo / "schema" / "old_proto.yaml", "schema: ping_proto\nendian: little\nstructs:\n  - name: Ping\n    fields:\n      - {name: seq, type: u32}\n")
    assert main(["diff", "--json", "--base", "HEAD"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(s["old"], s["new"], s["verdict"]) for s in report["schemas"]] == [
        ("HEAD:schema/attestation.yml", "schema/attestation.yml", None),
        ("HEAD:schema/old_proto.yaml", "schema/old_proto.yaml", "SOURCE"),
    ]
    assert report["schemas"][1]["types"][0]["changes"][0]["change"] == "schema name"


def test_cli_entry_point(tmp_path):
    """The real command, as CI runs it."""
    old = write(tmp_path / "v2.yaml", v2_proposed())
    new = write(tmp_path / "v2x.yaml", edited(lambda d: drop(bitmap(d, "IgvmSignal")["fields"], "retry"), v2_proposed))
    res = subprocess.run([sys.executable, "-m", "wiregen", "diff", str(old), str(new)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert "| `retry` removed | bit 0 | bit 0 reserved | **BREAKING** | `bitmap-field-removed` |" in res.stdout


# --- review workflow files ----------------------------------------------------------------------


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "schema-review.yml").read_text(encoding="utf-8"))


def _review_step() -> dict:
    (job,) = _workflow()["jobs"].values()
    return next(s for s in job["steps"] if "wiregen diff" in s.get("run", ""))


def test_review_workflow_is_valid_and_runs_the_ci_targets():
    wf = _workflow()
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert "pull_request" in triggers
    (job,) = wf["jobs"].values()
    steps = job["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [s.get("run", "") for s in steps]
    assert any(r.strip() == "make check" for r in runs)
    assert any(r.strip() == "make test" for r in runs)
    review = _review_step()
    assert "--base" in review["run"] and "pull_request.base.sha }}" not in str(review)
    assert "$GITHUB_STEP_SUMMARY" in review["run"]
    assert review.get("shell") == "bash"


@pytest.fixture
def pull_request(tmp_path):
    """A repository as the workflow sees it: main moved on (another pull request added a
    schema) after this pull request branched, and the checkout is GitHub's merge commit,
    whose first parent is main and second the pull request."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    write(repo / "schema" / "igvm_attest.yaml", real())
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "pr")
    _git(repo, "checkout", "-q", "main")
    write(repo / "schema" / "other.yaml", "schema: other\nendian: little\nstructs:\n  - name: Ping\n    fields:\n      - {name: seq, type: u32}\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "another pull request")
    wiregen = repo / ".venv" / "bin" / "wiregen"
    wiregen.parent.mkdir(parents=True)
    wiregen.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m wiregen "$@"\n')
    wiregen.chmod(0o755)
    (repo / ".git" / "info" / "exclude").write_text(".venv/\nreview.*\n")

    def open_pr(schema: dict | str) -> Path:
        _git(repo, "checkout", "-q", "pr")
        write(repo / "schema" / "igvm_attest.yaml", schema)
        _git(repo, "commit", "-q", "-am", "this pull request")
        _git(repo, "checkout", "-q", "main")
        _git(repo, "checkout", "-q", "--detach")
        _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")
        return repo

    return open_pr


def _run_review(repo: Path, allow: bool) -> tuple[int, str]:
    script = repo / "review.sh"
    script.write_text(_review_step()["run"])
    summary = repo / "review.summary"
    summary.write_text("")
    env = dict(os.environ, BASE_REF="main", ALLOW_BREAKING="true" if allow else "false", GITHUB_STEP_SUMMARY=str(summary))
    res = subprocess.run(["bash", "-eo", "pipefail", str(script)], cwd=repo, env=env, capture_output=True, text=True)
    return res.returncode, summary.read_text()


def test_review_workflow_diffs_against_the_merge_base(pull_request):
    repo = pull_request(edited(lambda d: drop(fields(d, "IgvmAttestRequestHeader"), "status")))
    status, summary = _run_review(repo, allow=False)
    assert status == 1
    assert "`status` removed" in summary
    assert "schema-added" not in summary  # main's own change since the pull request branched is not this pull request's
    assert "waived" not in summary
    status, summary = _run_review(repo, allow=True)
    assert status == 0
    assert summary.rstrip().endswith("**The label schema-breaking-ok waived a break:** the BREAKING rows above were agreed in review.")


def test_review_workflow_fails_on_a_schema_that_does_not_load(pull_request):
    repo = pull_request("schema: igvm_attest\nendian: big\n")
    for allow in (False, True):
        status, summary = _run_review(repo, allow)
        assert status == 2
        assert "## Schema review: a schema does not load" in summary
        assert "schema/igvm_attest.yaml:2:9: endian: endian 'big' is not supported" in summary


def test_review_workflow_without_a_merge_commit_uses_the_merge_base(pull_request, tmp_path):
    repo = pull_request(edited(lambda d: drop(fields(d, "IgvmAttestRequestHeader"), "status")))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    _git(clone, "checkout", "-q", "pr")
    shutil.copytree(repo / ".venv", clone / ".venv")
    status, summary = _run_review(clone, allow=False)
    assert status == 1 and "`status` removed" in summary and "schema-added" not in summary


def test_pre_commit_hook_runs_make_check():
    cfg = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for r in cfg["repos"] if r["repo"] == "local" for h in r["hooks"]]
    assert any(h["entry"] == "make check" and h["language"] == "system" and h.get("pass_filenames") is False for h in hooks)



def test_a_fixed_value_made_a_magic_number():
    """The bytes are the same; what readers refuse is not: SOURCE, with the reason."""

    def magic(d):
        fields(d, "IgvmAttestRequestHeader")[1]["magic"] = True

    assert rows(real(), edited(magic)) == expect(
        ("IgvmAttestRequestHeader", "magic-toggled", "version magic number check changed"),
    )
    d = compare(real(), edited(magic))
    assert d.verdict == diff.SOURCE
