"""The report as Markdown: one table per changed type, as a pull-request comment or job summary."""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import Reach, Report
from .rules import BREAKING, COMPATIBLE, SOURCE, VERDICTS
from .text import bits_text, num
from .wire import dotted


def _cell(d: dict | None) -> str:
    if d is None:
        return "—"
    if "parts" in d:
        return "; ".join(_cell(p) for p in d["parts"])
    if "text" in d:
        return d["text"]
    if "doc" in d:
        return " ".join(d["doc"].split()) or "none"
    if "sizes" in d:
        sizes = d["sizes"]
        vals = set(sizes.values())
        if len(vals) == 1:
            return f"{vals.pop()} B"
        return ", ".join(f"v{v}: {n} B" for v, n in sizes.items())
    if "version_field" in d:
        vf = d["version_field"]
        return "none" if vf is None else f"{vf} @{d['offset']}, {d['size']} B"
    if "offset" in d:
        parts = [f"@{d['offset']}"]
        if "size" in d:
            parts.append(f"{d['size']} B")
        parts.append(d["type"])
        if d.get("reserved"):
            parts.append("reserved")
        if "value" in d:
            parts.append(f"= {num(d['value'])}")
        if "since" in d:
            parts.append(f"since {d['since']}")
        return ", ".join(parts)
    if "bits" in d:
        lo, hi = d["bits"]
        return bits_text(lo, hi) + (f", {d['type']}" if "type" in d else "")
    if "value" in d:
        return (f"{d['type']} " if "type" in d else "") + num(d["value"])
    if "packed" in d:
        return f"packed: {str(d['packed']).lower()}, align {d['align']}"
    if "names" in d:
        return ", ".join(f"{k}: {v}" for k, v in sorted(d["names"].items())) or "none"
    if "name" in d:
        return d["name"]
    if "since" in d:
        return "none" if d["since"] is None else f"since {d['since']}"
    return json.dumps(d, sort_keys=True)


def word_diff(old: str, new: str, context: int = 6) -> tuple[str, str]:
    """Both sides of a text change, each with its changed words marked (~~gone~~, **new**)
    and only `context` words kept around them, so a long doc's one-word edit stays visible."""
    a, b = old.split(), new.split()
    if not a or not b:
        return " ".join(a) or "none", " ".join(b) or "none"
    if a == b:
        return "same words", "same words, other line breaks or spacing"
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    sides: tuple[list[str], list[str]] = ([], [])
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            words = a[i1:i2]
            first, last = k == 0, k == len(ops) - 1
            keep_head = [] if first else words[:context]
            keep_tail = [] if last else words[-context:]
            if len(words) <= len(keep_head) + len(keep_tail):
                kept = words
            else:
                kept = keep_head + ["…"] + keep_tail
            for side in sides:
                side.extend(kept)
            continue
        if i2 > i1:
            sides[0].append("~~" + " ".join(a[i1:i2]) + "~~")
        if j2 > j1:
            sides[1].append("**" + " ".join(b[j1:j2]) + "**")
    return " ".join(sides[0]), " ".join(sides[1])


def reaches_text(reaches: list[Reach], verb: str = "reaches") -> str:
    """"reaches `A`, `B` (`error_info` at byte 8, v2)": the top-level structs an embedded type's change reaches."""
    groups: dict[tuple, list[str]] = {}
    for r in reaches:
        groups.setdefault((r.at, r.offset, r.versions), []).append(r.carrier)
    parts = []
    for (at, offset, versions), carriers in groups.items():
        where = [f"`{dotted(at)}`" + (f" at byte {offset}" if offset is not None else "")]
        if versions:
            where.append(", ".join(f"v{v}" for v in versions))
        parts.append(", ".join(f"`{c}`" for c in carriers) + f" ({', '.join(where)})")
    return f"{verb} " + "; ".join(parts)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(counts: dict[str, int]) -> str:
    parts = []
    for v in VERDICTS:
        n = counts[v]
        parts.append(f"**{n} {v}**" if v == BREAKING and n else f"{n} {v}")
    return " · ".join(parts)


def conditions(assumptions: list[tuple[str, str]]) -> str:
    """"the versions of `A`, `B` are negotiated (...)": what a verdict rests on, in words."""
    by: dict[str, list[str]] = {}
    for m, a in assumptions:
        by.setdefault(a, []).append(f"`{m}`")
    out = []
    if "negotiated" in by:
        many = len(by["negotiated"]) > 1
        out.append(f"the version{'s' if many else ''} of {', '.join(by['negotiated'])} {'are' if many else 'is'} negotiated (`version_agreement`: a peer sends a version only to a peer that reads it)")
    if "refused" in by:
        out.append(f"readers of {', '.join(by['refused'])} refuse a version they do not know (`version_agreement`)")
    if "unfollowed" in by:
        out.append(f"nothing follows {', '.join(by['unfollowed'])} on the wire (no message of the schema says what does)")
    return "; ".join(out)


def _verdict_line(verdict: str | None, assumptions: list[tuple[str, str]]) -> str:
    if verdict is None:
        return "No changes."
    if verdict == BREAKING:
        return "**Breaking:** an old peer and a new peer would misread each other's bytes (see the BREAKING rows)."
    if verdict == COMPATIBLE and assumptions:
        return f"No breaking change, on conditions the schema states or leaves open: {conditions(assumptions)}. Otherwise old readers would misread new versions (see the rows)."
    if verdict == COMPATIBLE:
        return "No breaking change: old and new peers still understand each other."
    if verdict == SOURCE:
        return "Same bytes on the wire; only generated code changes."
    return "Documentation only."


def render(report: Report) -> str:
    out: list[str] = []
    if len(report.diffs) != 1:
        out.append(f"## Schema review{': ' + report.title if report.title else ''}")
        out.append("")
        out.append(f"{len(report.diffs)} schema(s) · {_summary(report.counts())}")
        out.append("")
        out.append(_verdict_line(report.verdict, report.assumptions()))
        out.append("")
    for d in report.diffs:
        level = "##" if len(report.diffs) == 1 else "###"
        out.append(f"{level} Schema diff: `{d.name}`")
        out.append("")
        sides = f"`{d.old_label}` → `{d.new_label}`" if d.old_label and d.new_label else f"`{d.old_label or d.new_label}`"
        out.append(f"{sides} · {_summary(d.counts())}")
        out.append("")
        out.append(_verdict_line(d.verdict, d.assumptions()))
        out.append("")
        for s in d.scopes:
            head = {"schema": "Schema", "constants": "Constants"}.get(s.kind, f"`{s.name}`")
            title = f" — {s.title}" if s.title and s.kind not in ("schema", "constants") else ""
            out.append(f"{level}# {head}{title}")
            out.append("")
            out.append("| Change | Old | New | Verdict | Rule | Reason |")
            out.append("|---|---|---|---|---|---|")
            for c in s.changes:
                verdict = f"**{c.verdict}**" if c.verdict == BREAKING else c.verdict
                if c.old and c.new and "doc" in c.old and "doc" in c.new:
                    old, new = word_diff(c.old["doc"], c.new["doc"])
                else:
                    old, new = _cell(c.old), _cell(c.new)
                verb = "was carried by" if c.rule == "inner-type-removed" else "reaches"
                reason = c.reason + (f"; {reaches_text(c.reaches, verb)}" if c.reaches else "")
                out.append(f"| {_md(c.change)} | {_md(old)} | {_md(new)} | {verdict} | `{c.rule}` | {_md(reason)} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
