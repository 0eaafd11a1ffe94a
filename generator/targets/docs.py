"""Docs target: one Markdown page per schema, the page a reviewer reads in a PR.

Byte diagrams are RFC-style ASCII art (32 bits a row) drawn from the layout
engine's offsets and sizes; bit diagrams are Mermaid `packet-beta`, which
GitHub renders.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import doctext
from ..model import SIZE, Bitmap, Enum, Field, Message, Schema, Struct
from ..render import banner, environment

ROW = 4  # bytes a diagram row
CELL = 16  # characters a byte takes in a row (8 bits, 2 characters each)
COLLAPSE = 3  # a field spanning more rows than this shows its first and last row only


cell = doctext.cell


def type_link(f: Field) -> str:
    t = f.type
    base = t.target.name
    link = f"`{base}`" if t.kind == "scalar" else f"[`{base}`](#{base.lower()})"
    if t.is_array:
        return f"{link}[{t.count_const or t.count}]" + (f" ({t.count})" if t.count_const else "")
    return link


@dataclass
class _Segment:
    start: int
    end: int  # exclusive
    label: str


def _centered(text: str, width: int) -> str:
    if len(text) > width:
        text = text[: max(width - 1, 0)] + "…" if width > 1 else ""
    return text.center(width)


def byte_diagram(st: Struct) -> list[str]:
    """RFC-style diagram of the newest layout: 4 bytes a row, big fields collapsed."""
    segs: list[_Segment] = []
    for f in st.fields:
        label = f.name
        if f.first_version > st.layouts[0].version:
            label += f" (v{f.first_version}+)"
        segs.append(_Segment(f.offset, f.offset + f.size, label))
    size = st.size
    header = [
        " " + "".join(f"{(b // 10) % 10:<2}" if b % 10 == 0 else "  " for b in range(32)).rstrip(),
        " " + " ".join(str(b % 10) for b in range(32)),
    ]
    lines = header[:]
    rows = (size + ROW - 1) // ROW

    def border(nbytes: int) -> str:
        return "+" + "-+" * (nbytes * 8)

    lines.append(border(min(ROW, size)))
    r = 0
    while r < rows:
        lo, hi = r * ROW, min(r * ROW + ROW, size)
        # A field that covers whole rows beyond this one may be collapsed.
        seg = next(s for s in segs if s.start <= lo < s.end)
        first_row = (seg.start + ROW - 1) // ROW if seg.start % ROW else seg.start // ROW
        last_full = seg.end // ROW - 1
        if seg.start <= lo and seg.end >= hi and r == first_row and last_full - first_row + 1 > COLLAPSE:
            width = (hi - lo) * CELL - 1
            lines.append("|" + _centered(seg.label, width) + "|")
            lines.append("~" + _centered(f"{seg.end - seg.start} bytes", width) + "~")
            r = last_full
            lines.append("|" + " " * width + "|")
            lines.append(border(hi - lo))
            r += 1
            continue
        text = "|"
        b = lo
        while b < hi:
            s = next(s for s in segs if s.start <= b < s.end)
            end = min(s.end, hi)
            width = (end - b) * CELL - 1
            text += (_centered(s.label, width) if b == s.start else " " * width) + "|"
            b = end
        lines.append(text)
        # The border below marks where fields end inside this row.
        nbytes = hi - lo
        ends = {s.end for s in segs}
        if any(lo < e <= hi for e in ends) or r == rows - 1:
            lines.append(border(nbytes))
        else:
            lines.append("+" + " " * (nbytes * CELL - 1) + "+")
        r += 1
    return lines


def bit_diagram(bm: Bitmap) -> list[str]:
    parts = [(f.lo, f.hi, f.name) for f in bm.fields] + [(r.lo, r.hi, "reserved") for r in bm.reserved]
    lines = ["packet-beta"]
    for lo, hi, name in sorted(parts):
        where = f"{lo}" if lo == hi else f"{lo}-{hi}"
        lines.append(f'  {where}: "{name}"')
    return lines


def _version_notes(schema: Schema) -> list[dict]:
    """What each version adds over the one before it, from the `since` marks."""
    notes = []
    for prev, v in zip(schema.versions, schema.versions[1:]):
        types = [t for t in schema.types if t.since == v]
        values = [(e, x) for e in schema.enums for x in e.values if x.since == v and e.since != v]
        bits = [(b, f) for b in schema.bitmaps for f in b.fields if f.since == v and b.since != v]
        fields = [(s, f) for s in schema.structs for f in s.fields if f.since == v]
        sizes = [(s, s.size_in(prev), s.size_in(v)) for s in schema.structs if s.size_in(prev) != s.size_in(v)]
        parts = [(m, p, m.layout_in(v).placed(p)) for m in schema.messages if m.versioned for p in m.struct_parts if p.since == v and m.layout_in(v) is not None]
        notes.append({"version": v, "prev": prev, "types": types, "enum_values": values, "bits": bits, "fields": fields, "sizes": sizes, "parts": parts})
    return notes


def _block(text: str) -> str:
    """A doc as a block of the page: inert Markdown that keeps its links (doctext.markdown)."""
    return "\n".join(doctext.markdown(doctext.lines(text), keep_links=True))


def message_view(msg: Message) -> dict:
    """A message's tables: each part's offset in each version, and each length field's value in
    each version as the fixed bytes it counts plus the payload's length N."""
    versions = msg.versions if msg.versioned else []
    layouts = msg.layouts if msg.versioned else msg.layouts[:1]
    rows = []
    for p in msg.parts:
        if p.is_payload:
            what = "payload" + ("" if p.blob == "bytes" else f": {p.blob}" + ("" if p.format == "binary" else f" ({p.format})"))
            rows.append({"name": p.name, "type": what, "since": "", "offsets": [lay.fixed_size for lay in layouts], "size": "N", "doc": p.doc})
        else:
            assert p.struct is not None
            placed = [lay.placed(p) for lay in layouts]
            rows.append(
                {
                    "name": p.name,
                    "type": f"[`{p.struct.name}`](#{p.struct.name.lower()})",
                    "since": p.since or "",
                    "offsets": [pl.offset if pl is not None else "—" for pl in placed],
                    "size": p.struct.size,
                    "doc": p.doc,
                }
            )
    counts = {"message": "the whole message", "payload": "the payload"}
    lengths = []
    for ln in msg.lengths:
        what = counts.get(ln.counts) or f"from `{ln.from_path}` (byte {ln.start}) to the end"
        if msg.payload is not None:
            values = [f"{lay.minimum(ln)} + N" if lay.minimum(ln) else "N" for lay in layouts]
        else:
            values = [str(lay.minimum(ln)) for lay in layouts]
        lengths.append({"name": ln.name, "offset": ln.offset, "type": ln.scalar.name, "counts": what, "values": values, "doc": ln.doc})
    return {
        "msg": msg,
        "versions": versions,
        "fixed": [lay.fixed_size for lay in layouts],
        "rows": rows,
        "lengths": lengths,
        "version_path": ".".join([msg.version_part.name, *(f.name for f in msg.version_path)]) if msg.version_part else None,
    }


def constant_view(c) -> dict:
    if isinstance(c.type, Enum):
        name = c.type.name_of(c.value)
        value = f"{c.value} (`{name}`)" if name else str(c.value)
        return {"c": c, "type": f"[`{c.type.name}`](#{c.type.name.lower()})", "value": value}
    value = f"`{c.value:#X}`".replace("0X", "0x") + f" ({c.value})" if c.value > 9 else str(c.value)
    return {"c": c, "type": "`size` (bytes)" if c.type is SIZE else f"`{c.type.name}`", "value": value}


def context(schema: Schema) -> dict:
    return {
        "schema": schema,
        "doc": _block(schema.doc),
        "title": doctext.inline(" ".join(ln.strip() for ln in doctext.lines(schema.title or schema.name)), keep_links=True),
        "source": doctext.code_span(banner(schema).source),
        # the banner sits in an HTML comment, which a `>` after `--` would end
        "banner": [line.replace(">", "&gt;") for line in banner(schema).lines],
        "notes": _version_notes(schema),
        "byte_diagram": byte_diagram,
        "bit_diagram": bit_diagram,
        "type_link": type_link,
        "doc_block": _block,
        "is_enum": lambda t: isinstance(t, Enum),
        "messages": [message_view(m) for m in schema.messages],
        "constants": [constant_view(c) for c in schema.constants],
    }


def render(schema: Schema) -> dict[str, str]:
    env = environment("docs")
    env.filters["cell"] = cell
    text = env.get_template("page.md.j2").render(context(schema))
    # One blank line between blocks at most, one newline at the end.
    out: list[str] = []
    for line in text.splitlines():
        if line.strip() == "" and (not out or out[-1] == ""):
            continue
        out.append(line.rstrip())
    while out and out[-1] == "":
        out.pop()
    return {f"docs/{schema.name}.md": "\n".join(out) + "\n"}
