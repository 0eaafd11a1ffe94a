"""`wiregen decode SCHEMA NAME [FILE|-]`: what a captured buffer holds, field by field.

NAME is a message (its parts, length-field checks and payload) or a struct. The input is
raw bytes or a hex dump (plain hex, `xxd`, or `hexdump -C`), told apart by its content
unless --hex or --raw says which. Every offset, size and mask comes from the layout engine
and every check from the reference codec (codec.py), so decode reports what every generated
target would do with the same bytes.

Exit status: 0 the buffer holds a valid message, 1 it does not (the refusal names the field
and the numbers, after what the buffer does hold), 2 the schema does not load or NAME is not
in it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import codec
from .model import Bitmap, Enum, Field, Message, MessageLayout, Scalar, Schema, Struct

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
PREVIEW = 16  # bytes of a long byte array or payload shown in the text report

_XXD = re.compile(r"^[0-9a-fA-F]+:\s+((?:[0-9a-fA-F]{2,4}\s?)+)(?:\s\s.*)?$")
_HEXDUMP_C = re.compile(r"^[0-9a-fA-F]{6,}\s+((?:[0-9a-fA-F]{2}\s+){1,16})\s*(?:\|.*\|)?$")
_OFFSET_ONLY = re.compile(r"^[0-9a-fA-F]{6,}$")  # the last line of hexdump -C
_PLAIN = re.compile(r"^(?:0[xX])?[0-9a-fA-F\s]*$")


class InputError(Exception):
    """Input that is neither bytes we can read nor a hex dump (with --hex)."""


def read_hex_dump(text: str) -> bytes | None:
    """The bytes of a hex dump (plain hex digits, xxd, or hexdump -C); None if it is none of these."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    out = bytearray()
    if all(_PLAIN.fullmatch(ln) for ln in lines):
        digits = re.sub(r"0[xX]|\s", "", " ".join(lines))
        if len(digits) % 2:
            return None
        return bytes.fromhex(digits)
    for ln in lines:
        m = _XXD.match(ln) or _HEXDUMP_C.match(ln)
        if m:
            out += bytes.fromhex(re.sub(r"\s", "", m.group(1)))
        elif not _OFFSET_ONLY.match(ln):
            return None
    return bytes(out)


def read_input(data: bytes, mode: str = "auto") -> bytes:
    """The bytes to decode: `data` itself (raw), or what the hex dump in it spells."""
    if mode == "raw":
        return data
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = None
    dump = read_hex_dump(text) if text is not None else None
    if mode == "hex" and dump is None:
        raise InputError("the input is not a hex dump (plain hex digits, xxd or hexdump -C)")
    return data if dump is None else dump


# --- the report, as data --------------------------------------------------------------------


@dataclass
class Row:
    """One field (or a struct holding fields) at an absolute offset."""

    path: str
    offset: int
    size: int
    type: str
    value: Any = None  # an int, a list of ints, or None for a struct
    meaning: str = ""  # enum value name, set bits, a length check
    notes: list[str] = field(default_factory=list)  # what is wrong or worth a look
    depth: int = 0
    kind: str = "struct"  # struct | scalar | enum | bitmap | array

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "offset": self.offset, "size": self.size, "type": self.type}
        if self.value is not None:
            out["value"] = self.value
        if self.meaning:
            out["meaning"] = self.meaning
        if self.notes:
            out["notes"] = self.notes
        return out


def _scalar(t: Scalar | Enum | Bitmap) -> Scalar:
    return t if isinstance(t, Scalar) else t.type


def _bits(bm: Bitmap, raw: int) -> tuple[str, list[str]]:
    """The set fields of a bitmap value, and a note on reserved bits that are set."""
    names = []
    for bf in bm.fields:
        v = (raw & bf.mask) >> bf.lo
        if bf.is_bool:
            if v:
                names.append(bf.name)
        elif isinstance(bf.type, Enum):
            names.append(f"{bf.name}={bf.type.name_of(v) or v}")
        else:
            names.append(f"{bf.name}={v}")
    notes = []
    if raw & bm.reserved_mask:
        notes.append(f"reserved bits set: {raw & bm.reserved_mask:#x} (mask {bm.reserved_mask:#x})")
    return (", ".join(names) or "no bit set"), notes


def _leaf(data: bytes, f: Field, path: str, at: int, depth: int) -> Row:
    t = f.type.target
    row = Row(path, at, f.size, str(f.type), depth=depth, kind="array" if f.type.is_array else "scalar" if isinstance(t, Scalar) else t.kind)
    if f.type.is_array:
        count = f.type.count or 0
        step = f.size // max(count, 1)
        s = _scalar(t)  # type: ignore[arg-type]
        values = [int.from_bytes(data[at + i * step : at + (i + 1) * step], "little", signed=s.signed) for i in range(count)]
        row.value = values
        if isinstance(t, Scalar) and t.name == "u8":
            row.meaning = "all zero" if not any(values) else f"{sum(1 for v in values if v)} nonzero bytes"
        elif isinstance(t, Enum):
            row.meaning = ", ".join(t.name_of(v) or f"{v} (unknown)" for v in values)
        if f.reserved and any(values):
            row.notes.append("reserved, but not zero")
        return row
    s = _scalar(t)  # type: ignore[arg-type]
    v = int.from_bytes(data[at : at + s.size], "little", signed=s.signed)
    row.value = v
    if isinstance(t, Enum):
        row.meaning = t.name_of(v) or "unknown value"
    elif isinstance(t, Bitmap):
        row.meaning, row.notes = _bits(t, v)
    if f.reserved and v:
        row.notes.append("reserved, but not zero")
    if f.value is not None and v != f.value:
        row.notes.append(f"must be {f.value_ref + ' ' if f.value_ref else ''}{f.value:#x}")
    return row


def struct_rows(data: bytes, st: Struct, version: int, base: int, prefix: str, depth: int) -> list[Row]:
    """Rows of every field of layout `version` of `st` placed at `base`, nested structs expanded."""
    rows: list[Row] = []
    for f in st.layout_for(version).fields:
        at = base + f.offset
        path = prefix + f.name
        inner = f.type.target
        if isinstance(inner, Struct):
            size = inner.size_in(version) if not f.type.is_array else f.size
            rows.append(Row(path, at, size, str(f.type), depth=depth))
            if f.type.is_array:
                step = f.size // (f.type.count or 1)
                for i in range(f.type.count or 0):
                    rows.append(Row(f"{path}[{i}]", at + i * step, step, inner.name, depth=depth + 1))
                    rows += struct_rows(data, inner, inner.newest.version, at + i * step, f"{path}[{i}].", depth + 2)
            else:
                rows += struct_rows(data, inner, version if inner.versioned else inner.newest.version, at, path + ".", depth + 1)
        else:
            rows.append(_leaf(data, f, path, at, depth))
    return rows


@dataclass
class Report:
    name: str
    kind: str  # message | struct
    given: int
    version: int | None = None
    version_field: str | None = None
    rows: list[Row] = field(default_factory=list)
    lengths: list[dict[str, Any]] = field(default_factory=list)
    payload: dict[str, Any] | None = None
    end: int | None = None
    error: dict[str, Any] | None = None
    error_text: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "given": self.given, "version": self.version}
        if self.version_field:
            out["version_field"] = self.version_field
        out["fields"] = [r.as_dict() for r in self.rows]
        if self.kind == "message":
            out["lengths"] = self.lengths
            out["payload"] = self.payload
        out["size"] = self.end
        if self.end is not None:
            out["trailing"] = self.given - self.end
        if self.error is not None:
            out["error"] = dict(self.error, text=self.error_text)
        return out


def _part_rows(data: bytes, lay: MessageLayout) -> list[Row]:
    """Every part of `lay` that the buffer holds entirely, field by field."""
    rows: list[Row] = []
    for placed in lay.parts:
        st = placed.part.struct
        assert st is not None
        if placed.offset + placed.size > len(data):
            break
        rows.append(Row(placed.part.name, placed.offset, placed.size, st.name))
        rows += struct_rows(data, st, st.newest.version, placed.offset, placed.part.name + ".", 1)
    return rows


def _describe_counts(msg: Message, lay: MessageLayout, length) -> str:
    if length.counts == "message":
        return "the whole message"
    if length.counts == "payload":
        return f"the payload (from byte {lay.fixed_size})"
    return f"from {length.from_path} (byte {lay.start(length)}) to the end"


def decode_message(msg: Message, data: bytes) -> Report:
    rep = Report(msg.name, "message", len(data))
    if msg.versioned:
        rep.version_field = codec.version_path(msg)
    try:
        parsed = codec.parse_message(msg, data)
    except codec.MessageFault as fault:
        rep.error, rep.error_text = fault.as_dict(), str(fault)
        parsed = None
    if parsed is not None:
        rep.version, rep.end = parsed["version"], parsed["end"]
        lay = msg.layout_in(parsed["version"]) if msg.versioned else msg.layouts[0]
    else:
        rep.version = rep.error.get("value") if rep.error and rep.error["error"] in ("short", "version") and rep.error["field"] is None else None  # type: ignore[union-attr]
        lay = _layout_guess(msg, data)
        if lay is not None:
            rep.version = lay.version if msg.versioned else None
    if lay is None:
        return rep
    rep.rows = _part_rows(data, lay)
    by_path = {r.path: r for r in rep.rows}
    for length in msg.lengths:
        if length.offset + length.scalar.size > len(data):
            continue
        value = int.from_bytes(data[length.offset : length.offset + length.scalar.size], "little")
        start, least = lay.start(length), lay.minimum(length)
        end = start + value
        check = {"field": length.name, "value": value, "counts": _describe_counts(msg, lay, length), "start": start, "minimum": least, "end": end}
        if rep.error is not None and rep.error["error"] in ("short", "version"):
            check["ok"] = None  # refused before the length fields were checked
        elif rep.error is not None and rep.error.get("field") == length.name:
            check["ok"] = False
        elif value < least or end > len(data):
            check["ok"] = False
        else:
            check["ok"] = rep.end is None or end == rep.end
        rep.lengths.append(check)
        row = by_path.get(length.name)
        if row is not None:
            row.meaning = f"counts {check['counts']}" + (" (refused)" if check["ok"] is False else "")
    if msg.payload is not None:
        p = msg.payload
        info: dict[str, Any] = {"name": p.name, "blob": p.blob, "format": p.format, "offset": lay.fixed_size}
        if rep.end is not None:
            payload = data[lay.fixed_size : rep.end]
            info["size"] = len(payload)
            info["hex"] = payload.hex()
            if p.format in ("text", "json"):
                try:
                    info["text"] = payload.decode("utf-8")
                except UnicodeDecodeError:
                    info["text_error"] = "not UTF-8"
        rep.payload = info
    return rep


def _layout_guess(msg: Message, data: bytes) -> MessageLayout | None:
    """The layout to show the parts of a buffer refused before its parts were checked: the one
    its version field names, else (an unknown version, or too short to tell) the oldest."""
    if not msg.versioned:
        return msg.layouts[0]
    scalar = msg.version_scalar
    assert scalar is not None
    if msg.version_offset + scalar.size <= len(data):
        lay = msg.layout_in(int.from_bytes(data[msg.version_offset : msg.version_offset + scalar.size], "little"))
        if lay is not None:
            return lay
    return msg.layouts[0]


def decode_struct(st: Struct, data: bytes) -> Report:
    rep = Report(st.name, "struct", len(data))
    version = st.newest.version
    if st.versioned:
        rep.version_field = ".".join(f.name for f in st.version_path)
        try:
            raw = codec.read_version(st, data)
        except codec.CodecError as e:
            rep.error, rep.error_text = {"error": "short", "field": rep.version_field, "value": None, "limit": st.version_offset + _scalar(st.version_type).size, "given": len(data)}, f"{st.name}: {e}"  # type: ignore[arg-type]
            return rep
        version = st.layout_for(raw).version
        rep.version = raw
    size = st.size_in(version)
    if len(data) < size:
        rep.error = {"error": "short", "field": None, "value": rep.version, "limit": size, "given": len(data)}
        rep.error_text = f"{st.name}: {len(data)} bytes, less than the {size} bytes of " + (f"version {version}" if st.versioned else "the struct")
        return rep
    rep.end = size
    rep.rows = struct_rows(data, st, version, 0, "", 0)
    return rep


def decode(schema: Schema, name: str, data: bytes) -> Report:
    msg = schema.message(name)
    if msg is not None:
        return decode_message(msg, data)
    t = schema.type(name)
    if isinstance(t, Struct):
        return decode_struct(t, data)
    raise KeyError(name)


# --- the report, as text ---------------------------------------------------------------------


def _value_text(row: Row) -> str:
    """The value, then what it means: an enum's name, a bitmap's set fields, a length's span."""
    v = row.value
    if v is None:
        return ""
    if isinstance(v, list):
        if row.type.startswith("u8["):
            text = f"{bytes(v[:PREVIEW]).hex(' ')}{' ...' if len(v) > PREVIEW else ''}"
        else:
            text = "[" + ", ".join(map(str, v)) + "]"
    elif row.kind == "bitmap":
        text = f"{v:#0{row.size * 2 + 2}x}"
    else:
        text = f"{v}" if v < 10 else f"{v} ({v:#x})"
    if row.meaning:
        text += f" ({row.meaning})" if row.kind == "enum" else f": {row.meaning}"
    return text


def render_text(rep: Report) -> str:
    out = []
    head = f"{rep.name} ({rep.kind})"
    if rep.version is not None:
        head += f", version {rep.version} ({rep.version_field})"
    head += f": {rep.given} bytes"
    if rep.end is not None:
        head += f", the {rep.kind} takes {rep.end}" if rep.end != rep.given else f", all of them the {rep.kind}"
        if rep.given > rep.end:
            head += f"; {rep.given - rep.end} bytes after it are not part of it"
    out.append(head)
    if rep.rows:
        out.append(f"  {'offset':>6} {'size':>5}  {'field':<32} value")
    for row in rep.rows:
        label = ("  " * row.depth) + row.path.rsplit(".", 1)[-1] if row.depth else row.path
        kind = f": {row.type}" if row.value is None else ""
        line = f"  {row.offset:>6} {row.size:>5}  {label + kind:<32} {_value_text(row)}"
        line += "".join(f"  !! {n}" for n in row.notes)
        out.append(line.rstrip())
    if rep.payload is not None:
        p = rep.payload
        what = "bytes" if p["blob"] == "bytes" else f"{p['blob']}, {p['format']}"
        if "size" in p:
            line = f"  {p['offset']:>6} {p['size']:>5}  {p['name']} ({what})"
            if not p["size"]:
                line += ": empty"
            elif "text" in p:
                preview = p["text"][:60].replace("\n", "\\n")
                line += f"  {json.dumps(preview)}{' ...' if len(p['text']) > 60 else ''}"
            elif p["size"]:
                line += f"  {bytes.fromhex(p['hex'][: PREVIEW * 2]).hex(' ')}{' ...' if p['size'] > PREVIEW else ''}"
            out.append(line)

    if rep.lengths:
        out.append("length fields:")
        for c in rep.lengths:
            verdict = {True: "ok", False: "REFUSED", None: "not checked"}[c["ok"]]
            out.append(f"  {c['field']} = {c['value']}: counts {c['counts']}, at least {c['minimum']}; the message ends at byte {c['end']}: {verdict}")
    if rep.error is not None:
        out.append(f"refused: {rep.error_text}")
    return "\n".join(out) + "\n"


# --- the command -----------------------------------------------------------------------------


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("schema", help="the schema file")
    ap.add_argument("name", help="a message (or a struct) of the schema")
    ap.add_argument("file", nargs="?", default="-", help="raw bytes or a hex dump (default: standard input)")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--hex", dest="mode", action="store_const", const="hex", help="the input is a hex dump")
    how.add_argument("--raw", dest="mode", action="store_const", const="raw", help="the input is raw bytes")
    ap.add_argument("--json", action="store_true", help="the report as JSON")
    ap.set_defaults(mode="auto")


def run(args: argparse.Namespace, schema: Schema) -> int:
    names = [m.name for m in schema.messages] + [s.name for s in schema.structs]
    if schema.message(args.name) is None and not isinstance(schema.type(args.name), Struct):
        print(f"error: {schema.file} has no message or struct '{args.name}'; it has {', '.join(names) or 'none'}", file=sys.stderr)
        return EXIT_USAGE
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        data = read_input(raw, args.mode)
    except (OSError, InputError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    rep = decode(schema, args.name, data)
    if args.json:
        print(json.dumps(rep.as_dict(), indent=2))
    else:
        sys.stdout.write(render_text(rep))
    return EXIT_OK if rep.error is None else EXIT_REFUSED
