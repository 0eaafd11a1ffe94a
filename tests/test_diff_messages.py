"""Schema review of messages, rule by rule, on a small message: where each part and the payload
start in every version, length fields, the payload's description, version fields, how versions
are agreed and which version peers send. The protocol's own history is tests/test_diff_history.py."""

from __future__ import annotations

import json

from conftest import ROOT
from markdown_blocks import blocks

from wiregen import diff
from wiregen.loader import load_text

BASE = """schema: t
endian: little
versions: [1, 2]
constants:
  - {name: CURRENT, type: Version, value: VERSION_1}
enums:
  - name: Version
    type: u32
    values: [{name: VERSION_1, value: 1}, {name: VERSION_2, value: 2}]
structs:
  - name: Head
    fields:
      - {name: size, type: u32}
      - {name: version, type: Version}
      - {name: body_size, type: u32}
  - name: Extra
    fields:
      - {name: flags, type: u32}
messages:
  - name: Msg
    version_field: head.version
    version_agreement: none
    current_version: CURRENT
    parts:
      - {name: head, type: Head}
      - {name: extra, type: Extra}
      - {name: body, payload: Body, format: json}
    lengths:
      - {field: head.size, counts: message}
      - {field: head.body_size, counts: payload}
"""


def edit(*edits: tuple[str, str], base: str = BASE) -> str:
    out = base
    for old, new in edits:
        assert out.count(old) == 1, old
        out = out.replace(old, new)
    return out


def compare(new: str, old: str = BASE) -> diff.SchemaDiff:
    return diff.compare(load_text(old, "old.yaml"), load_text(new, "new.yaml"))


def rows(d: diff.SchemaDiff) -> list[tuple[str, str, str]]:
    return sorted(d.rules())


def only(d: diff.SchemaDiff) -> diff.Change:
    (c,) = d.changes
    return c


EXTRA_PART = "      - {name: extra, type: Extra}\n"


def test_a_part_added_to_a_version_old_peers_speak():
    d = compare(edit((EXTRA_PART, EXTRA_PART + "      - {name: more, type: Extra}\n")))
    assert rows(d) == [("Msg", "part-added", "more added")]
    assert only(d).reason == "`more` (Extra, bytes 16..19) now in versions 1, 2 messages, which old peers speak; old peers neither write nor expect it: payload `body` moves from byte 16 to 20"
    assert only(d).new == {"offset": 16, "size": 4, "type": "Extra"}


def test_a_part_removed():
    d = compare(edit((EXTRA_PART, "")))
    assert rows(d) == [("Msg", "part-removed", "extra removed")]
    assert only(d).reason == "old peers still put `extra` (Extra, bytes 12..15) in versions 1, 2 messages, which old peers speak; new peers no longer read it there: payload `body` moves from byte 16 to 12"


def test_a_part_grown_moves_what_follows_it():
    """A field appended to the first part's struct: the struct's rows say it, and name the
    message that carries it; the message's rows say where its later parts now start."""
    d = compare(edit(("      - {name: body_size, type: u32}\n", "      - {name: body_size, type: u32}\n      - {name: flags, type: u32}\n")))
    assert rows(d) == [
        ("Head", "field-appended", "flags appended"),
        ("Head", "struct-resized", "size"),
        ("Msg", "part-moved", "extra moved"),
        ("Msg", "part-moved", "payload body moved"),
    ]
    assert [c.reaches for c in d.changes if c.scope == "Head"] == [[diff.Reach("Msg", ("head",), 0, None)]] * 2
    assert "; reaches `Msg` (`head` at byte 0) |" in diff.Report([d]).to_markdown()
    moved = next(c for c in d.changes if c.change == "payload `body` moved")
    assert moved.reason == "payload `body` starts at byte 20, was 16, in versions 1, 2 messages, which old peers speak: each peer reads it where the other wrote something else"


def test_a_part_declared_as_another_struct():
    """Of other bytes: retyped. Of the same bytes: one row, the new struct's, that names the part."""
    other = "  - name: Other\n    fields:\n      - {name: a, type: u16}\n      - {name: b, type: u16}\n"
    d = compare(edit((EXTRA_PART, "      - {name: extra, type: Other}\n"), ("messages:\n", other + "messages:\n")))
    assert rows(d) == [("Msg", "part-retyped", "extra now Other"), ("Other", "type-added", "struct added")]
    assert next(c for c in d.changes if c.rule == "type-added").reason == "new bytes in part `extra` of Msg: the rows of those messages give the verdict"
    same = "  - name: Flags\n    fields:\n      - {name: flags, type: u32}\n"
    d = compare(edit((EXTRA_PART, "      - {name: extra, type: Flags}\n"), ("messages:\n", same + "messages:\n")))
    assert rows(d) == [("Flags", "type-added-inert", "struct added")]
    assert only(d).reaches == [diff.Reach("Msg", ("extra",), 12, None)]
    # a part split in two at the same bytes: declarations only, one row per new struct
    split = (
        "  - name: Sizes\n    fields:\n      - {name: size, type: u32}\n      - {name: version, type: Version}\n"
        "  - name: Tail\n    fields:\n      - {name: body_size, type: u32}\n"
    )
    d = compare(
        edit(
            ("messages:\n", split + "messages:\n"),
            ("      - {name: head, type: Head}\n", "      - {name: head, type: Sizes}\n      - {name: tail, type: Tail}\n"),
            ("{field: head.body_size, counts: payload}", "{field: tail.body_size, counts: payload}"),
        )
    )
    assert rows(d) == [
        ("Msg", "length-declared", "head.body_size no longer a length"),
        ("Msg", "length-declared", "tail.body_size is a length"),
        ("Sizes", "type-added-inert", "struct added"),
        ("Tail", "type-added-inert", "struct added"),
    ]
    assert [c.reaches for c in d.changes if c.rule == "type-added-inert"] == [[diff.Reach("Msg", ("head",), 0, None)], [diff.Reach("Msg", ("tail",), 8, None)]]
    assert d.verdict == diff.SOURCE


def test_renamed_parts_and_messages():
    d = compare(edit((EXTRA_PART, "      - {name: extras, type: Extra}\n")))
    assert rows(d) == [("Msg", "renamed", "extra → extras")]
    d = compare(edit(("  - name: Msg\n", "  - name: Message\n")))
    assert rows(d) == [("Message", "renamed", "renamed from Msg")]


def test_messages_added_and_removed():
    ping = "  - name: Ping\n    parts:\n      - {name: head, type: Extra}\n"
    d = compare(BASE + ping)
    assert rows(d) == [("Ping", "message-added", "message added")]
    assert only(d).verdict == diff.COMPATIBLE
    d = compare(BASE, BASE + ping)
    assert rows(d) == [("Ping", "message-removed", "message removed")]
    assert only(d).verdict == diff.BREAKING


def test_payload_and_length_declarations():
    d = compare(edit(("{name: body, payload: Body, format: json}", "{name: body, payload: Claims, format: text}")))
    assert rows(d) == [("Msg", "payload-format-changed", "payload body described")]
    assert only(d).old == {"text": "Body, json"} and only(d).verdict == diff.SOURCE
    d = compare(edit(("{field: head.body_size, counts: payload}", "{field: head.body_size, counts: {from: extra}}")))
    assert rows(d) == [("Msg", "length-changed", "head.body_size counts")]
    assert only(d).reason == "payload → from extra: old and new peers write different lengths in it and check each other's against other bytes"
    d = compare(edit(("      - {field: head.body_size, counts: payload}\n", "")))
    assert rows(d) == [("Msg", "length-declared", "head.body_size no longer a length")]
    d = compare(BASE, edit(("      - {field: head.body_size, counts: payload}\n", "")))
    assert rows(d) == [("Msg", "length-declared", "head.body_size is a length")]


def test_a_message_since_changed():
    d = compare(edit(("  - name: Msg\n", "  - name: Msg\n    since: 2\n"), ("value: VERSION_1}", "value: VERSION_2}")), BASE.replace("value: VERSION_1}", "value: VERSION_2}"))
    assert rows(d) == [("Msg", "field-since-changed", "since")]
    assert only(d).reason == "since None → since 2: version 1 peers disagree on whether the message exists"


def test_version_fields_of_a_message():
    unversioned = edit(("    version_field: head.version\n    version_agreement: none\n    current_version: CURRENT\n", ""))
    d = compare(BASE, unversioned)
    assert rows(d) == [("Msg", "version-agreement-changed", "version agreement"), ("Msg", "version-field-added", "version field")]
    d = compare(edit(("version_field: head.version", "version_field: extra.flags"), ("    current_version: CURRENT\n", "")))
    assert rows(d) == [("Msg", "version-field-changed", "version field")]
    assert only(d).reason == "now 4 B at byte 12 (was 4 B at byte 4): the peers pick different parts for the same message"


V3 = ("versions: [1, 2]", "versions: [1, 2, 3]")


def test_a_part_added_where_no_payload_follows_is_read_right_by_old_readers():
    """Whatever the agreement: an old reader of a version 3 message finds every byte it reads."""
    no_payload = edit(("      - {name: body, payload: Body, format: json}\n", ""), ("      - {field: head.body_size, counts: payload}\n", ""))
    d = compare(edit(V3, (EXTRA_PART, EXTRA_PART + "      - {name: more, type: Extra, since: 3}\n"), base=no_payload), no_payload)
    added = next(c for c in d.changes if c.scope == "Msg")
    assert (added.rule, added.change) == ("part-added-versioned", "`more` added in v3")
    assert added.reason == "a version 3 message, which old peers do not speak, carries `more` (Extra, bytes 16..19); an old reader that reads it by its version 2 layout finds every byte it reads where it was, and stops before `more`"


def test_the_version_sent_lowered_or_raised_to_one_old_readers_know():
    d = compare(BASE.replace("value: VERSION_1}", "value: VERSION_2}"))
    assert rows(d) == [("constants", "current-version-changed", "CURRENT changed")]
    assert only(d).reason == "1 → 2: the version of Msg that peers built from this schema send (current_version); old readers know version 2"
    d = compare(BASE, BASE.replace("value: VERSION_1}", "value: VERSION_2}"))
    assert only(d).reason == "2 → 1: the version of Msg that peers built from this schema send (current_version); old readers know version 1"


def test_a_constant_that_becomes_the_current_version():
    """A constant old peers already had, now named as what they send: its row says what it is."""
    three = edit(V3, ("{name: VERSION_2, value: 2}]", "{name: VERSION_2, value: 2}, {name: VERSION_3, value: 3}]"), ("value: VERSION_1}", "value: VERSION_2}"))
    d = compare(three, three.replace("    current_version: CURRENT\n", ""))
    assert rows(d) == [("constants", "current-version-changed", "CURRENT now the current version of Msg")]
    assert only(d).old == {"text": "version 3"} and only(d).new == {"value": 2, "type": "Version"}
    assert only(d).reason == (
        "3 → 2: the version of Msg that peers built from this schema send (current_version) "
        "(the old schema declared no current_version for Msg: its peers could send at most version 3); old readers know version 2"
    )


def test_the_json_report_carries_the_assumptions():
    new = edit(V3, ("version_agreement: none", "version_agreement: refused"), (EXTRA_PART, EXTRA_PART + "      - {name: more, type: Extra, since: 3}\n"))
    d = compare(new, BASE.replace("version_agreement: none", "version_agreement: refused"))
    report = diff.Report([d]).to_json()
    assert report["assumptions"] == [{"name": "Msg", "condition": "refused"}]
    (msg,) = [t for t in report["schemas"][0]["types"] if t["name"] == "Msg"]
    assert msg["kind"] == "message" and msg["title"] == "message; v1: 16 B, v2: 16 B, v3: 20 B, then `body`"
    (change,) = msg["changes"]
    assert change["rule"] == "part-added-refused" and change["assumes"] == [{"name": "Msg", "condition": "refused"}]
    assert json.loads(json.dumps(report)) == report


def test_the_documented_example_gets_the_verdicts_the_page_states():
    """docs/schema-language.md, "How peers agree on a version": version 2 of Response is
    compatible on the schema's word, version 2 of Request breaking, and raising REQUEST_VERSION
    sends it to every server."""
    (example,) = [b.text for b in blocks(ROOT / "docs" / "schema-language.md") if b.lang == "yaml" and "schema: agreement_demo" in b.text]
    v1 = (
        example.replace("versions: [1, 2]", "versions: [1]")
        .replace("      - {name: VERSION_2, value: 2, since: 2}\n", "")
        .replace("value: VERSION_2,", "value: VERSION_1,")
        .replace("  - name: Flags\n    since: 2\n    fields:\n      - {name: flags, type: u32}\n", "")
        .replace("      - {name: flags, type: Flags, since: 2}\n", "")
    )
    d = compare(example, v1)
    by_rule = {(c.scope, c.rule) for c in d.changes}
    assert {("Request", "part-added-misread"), ("Response", "part-added-negotiated"), ("constants", "current-version-raised"), ("constants", "current-version-changed")} <= by_rule
    misread = next(c for c in d.changes if c.rule == "part-added-misread")
    assert "it takes the payload `claims` from byte 8, where a version 2 message has `flags`" in misread.reason
    raised = next(c for c in d.changes if c.rule == "current-version-raised")
    assert raised.change == "`REQUEST_VERSION` changed"


def test_old_readers_without_a_version_field_cannot_refuse_a_new_version():
    """`refused` promises what old readers do with a version they do not know; readers of a
    message that had no version field read every message by their one layout."""
    old = edit(("versions: [1, 2]", "versions: [1]"), ("    version_field: head.version\n    version_agreement: none\n    current_version: CURRENT\n", ""))
    new = edit(("version_agreement: none", "version_agreement: refused"), (EXTRA_PART, EXTRA_PART + "      - {name: more, type: Extra, since: 2}\n"))
    d = compare(new, old)
    assert [r for r in rows(d) if r[0] == "Msg"] == [
        ("Msg", "part-added-misread", "more added in v2"),
        ("Msg", "version-agreement-changed", "version agreement"),
        ("Msg", "version-field-added", "version field"),
    ]
    assert next(c for c in d.changes if c.rule == "part-added-misread").reason.endswith(
        "Old readers have no version field to refuse it by, so one reads it by its version 1 layout: it takes the payload `body` from byte 16, "
        "where a version 2 message has `more`, and counting the payload by `head.body_size`, stops 4 bytes short: the last 4 bytes of `body` are lost"
    )


def test_a_payload_renamed_and_moved_is_one_payload():
    d = compare(edit(("{name: body, payload: Body, format: json}", "{name: claims, payload: Body, format: json}"), ("{field: head.body_size, counts: payload}", "{field: head.body_size, counts: payload}")))
    assert rows(d) == [("Msg", "renamed", "body → claims")]
    d = compare(edit((EXTRA_PART, EXTRA_PART + "      - {name: more, type: Extra}\n"), ("{name: body, payload: Body, format: json}", "{name: claims, payload: Body, format: json}")))
    assert rows(d) == [("Msg", "part-added", "more added"), ("Msg", "renamed", "body → claims")]
