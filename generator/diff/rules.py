"""Verdicts and the rule table: every row of a report names one rule, and the rule fixes its verdict."""

from __future__ import annotations

from typing import Iterable

BREAKING, COMPATIBLE, SOURCE, DOC = "BREAKING", "COMPATIBLE", "SOURCE", "DOC"
VERDICTS = (BREAKING, COMPATIBLE, SOURCE, DOC)  # most severe first

# rule id -> (verdict, what it means). The README's rule table documents the same ids.
RULES: dict[str, tuple[str, str]] = {
    # struct fields (judged on the flattened per-version byte layout)
    "field-moved": (BREAKING, "A field's byte offset changed."),
    "field-resized": (BREAKING, "A field's size changed."),
    "array-length-changed": (BREAKING, "An array's element count changed (a literal or the constant it names)."),
    "field-retyped": (BREAKING, "A field's bytes now mean something else: other signedness or width, another enum or bitmap."),
    "fixed-value-changed": (BREAKING, "A field's fixed `value:` was changed, added or removed."),
    "field-inserted": (BREAKING, "A field was inserted before the end of a layout that old peers use."),
    "field-appended": (BREAKING, "A field was appended without `since` (or under a version old peers already speak)."),
    "field-removed": (BREAKING, "A field is gone from a layout that old peers use."),
    "field-since-changed": (BREAKING, "A struct field's or a message's `since` changed: peers of some version disagree on whether it is there."),
    "field-made-reserved": (BREAKING, "A meaningful field became reserved; old peers still give it meaning."),
    "reserved-given-meaning": (
        BREAKING,
        "Reserved bytes now hold a number, enum, array or struct (anything but a bitmap), or reserved bits an enum that has no value 0: "
        "old writers leave them zero, and nothing in the schema says that zero means 'as before' (or zero is not even a value).",
    ),
    "struct-resized": (BREAKING, "A struct's size changed in a protocol version old peers speak."),
    "version-field-changed": (BREAKING, "The field that selects a struct's layout or a message's parts moved, changed size or was dropped."),
    "enum-value-renumbered": (BREAKING, "An enum value's number changed."),
    "enum-value-reused": (BREAKING, "A number that meant one enum value now means another."),
    "enum-value-removed": (BREAKING, "An enum value was removed."),
    "bitmap-field-moved": (BREAKING, "A bitmap field moved to other bits."),
    "bitmap-field-narrowed": (BREAKING, "A bitmap field lost bits."),
    "bitmap-field-widened": (BREAKING, "A bitmap field gained bits; old readers drop the high ones."),
    "bitmap-field-removed": (BREAKING, "A bitmap field was removed; its bits are reserved now."),
    "bits-reused": (BREAKING, "Bits that belonged to one bitmap field now belong to another."),
    "underlying-type-changed": (BREAKING, "An enum's or bitmap's integer type changed."),
    "type-removed": (BREAKING, "A struct sent on its own (no other struct embeds it, no message carries it) was removed."),
    # messages (judged on where each part and the payload start, per version)
    "part-added": (BREAKING, "A part was added to a version of a message old peers speak: what follows it moves."),
    "part-removed": (BREAKING, "A part is gone from a version of a message old peers speak."),
    "part-moved": (BREAKING, "A part or the payload starts at another byte in a version old peers speak."),
    "part-retyped": (BREAKING, "A part now holds a struct of other bytes."),
    "part-added-misread": (
        BREAKING,
        "A part was added in a version old peers do not speak, before bytes they read (the payload), and nothing in the schema keeps such a message "
        "from an old reader (`version_agreement` none or not declared): it reads it by its own newest layout and misreads those bytes.",
    ),
    "current-version-raised": (
        BREAKING,
        "The version of a message that peers send (`current_version`) rose to one old readers do not know, and they misread it by their own newest layout or refuse it.",
    ),
    "length-changed": (BREAKING, "A length field counts other bytes: the peers write and check different values."),
    "message-removed": (BREAKING, "A message was removed."),
    "constant-changed": (BREAKING, "A constant used as an array length or a fixed `value:` changed."),
    "protocol-version-removed": (BREAKING, "A protocol version was dropped from `versions`."),
    "schema-removed": (BREAKING, "A whole schema file was removed."),
    # additions both sides tolerate
    "field-appended-versioned": (COMPATIBLE, "A field was appended under a protocol version old peers do not speak (`since`)."),
    "reserved-bits-assigned": (
        COMPATIBLE,
        "Reserved bits of a bitmap now hold a field, one-bit flag or multi-bit value alike: old writers leave them 0 and old readers ignore them, so 0 must mean 'as before'.",
    ),
    "reserved-field-flags": (COMPATIBLE, "Reserved bytes became a bitmap: zero means every field 0 (no flag set), and old readers ignore fields they do not know."),
    "enum-value-added": (COMPATIBLE, "An enum value was added; enums are open, so old peers keep it as an unknown value."),
    "version-field-added": (COMPATIBLE, "A struct or message gained a `version_field` at a field old peers already write."),
    "part-added-versioned": (COMPATIBLE, "A part was added in a version old peers do not speak, and nothing an old reader reads moves (no payload follows it)."),
    "part-added-negotiated": (
        COMPATIBLE,
        "A part was added in a version old peers do not speak, and the schema says the version is negotiated: no peer sends it to an old reader. The report states that condition.",
    ),
    "part-added-refused": (
        COMPATIBLE,
        "A part was added in a version old peers do not speak, and the schema says readers refuse a version they do not know: an old reader refuses it rather than misread it. The report states that condition.",
    ),
    "current-version-changed": (
        COMPATIBLE,
        "The version of a message that peers send (`current_version`) changed, and old readers still read what they get: they know that version, it is negotiated, or their layout reads it right.",
    ),
    "message-added": (COMPATIBLE, "A message was added."),
    "type-added": (COMPATIBLE, "A type was added."),
    "constant-added": (COMPATIBLE, "A constant was added."),
    "protocol-version-added": (COMPATIBLE, "A protocol version was added to `versions`."),
    "schema-added": (COMPATIBLE, "A schema file was added."),
    # same bytes, other generated code
    "renamed": (SOURCE, "A type, message, part, field, enum value, bitmap field, constant or per-target name changed; the bytes did not."),
    "type-added-inert": (
        SOURCE,
        "A type was added that puts no new bytes on the wire: it names bytes old peers already send (a struct split out of another, "
        "an enum or bitmap over an existing integer, a message that is the first bytes of existing ones), or nothing uses it yet.",
    ),
    "regrouped": (SOURCE, "Bytes moved between structs in the declaration (or a part is declared as another struct of the same bytes), but every message carries them at the same offsets."),
    "magic-toggled": (SOURCE, "A fixed value became a magic number that every reader checks, or stopped being one; writers write the same bytes."),
    "field-type-refined": (SOURCE, "A field changed between a plain integer and an enum or bitmap of the same integer type."),
    "reserved-reshaped": (SOURCE, "A reserved field was reshaped or renamed; the bytes it covers are still reserved."),
    "packed-toggled": (SOURCE, "`packed` was toggled: no byte moves (the schema refuses padding), only the generated types' alignment."),
    "inner-type-removed": (SOURCE, "An enum, bitmap or embedded struct was removed; its uses are judged where they were."),
    "constant-value-changed": (SOURCE, "A constant no layout uses changed value: no byte moves, but peers built from the old schema keep the old value."),
    "constant-retyped": (SOURCE, "A constant's integer type changed; its value did not."),
    "constant-removed": (SOURCE, "A constant was removed."),
    "payload-format-changed": (SOURCE, "A payload's declared name or format (binary, text, json) changed; the bytes peers put there did not."),
    "length-declared": (SOURCE, "A field was declared a length field, or no longer is: the same bytes; generated parsers check it and builders fill it in."),
    # words only
    "doc-changed": (DOC, "Documentation changed."),
    "since-changed": (DOC, "`since` of a type, enum value or bitmap field changed (documentation only)."),
    "version-agreement-changed": (DOC, "What the schema says peers do with a version they do not know (`version_agreement`) changed: no byte, but the verdicts on new versions rest on it."),
}


def verdict_of(rule: str) -> str:
    return RULES[rule][0]


def worst(verdicts: Iterable[str]) -> str | None:
    found = set(verdicts)
    return next((v for v in VERDICTS if v in found), None)
