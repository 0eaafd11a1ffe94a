"""The report: rows (one change each), sections per type, the tally of verdicts, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field

from .rules import BREAKING, VERDICTS, verdict_of, worst
from .wire import dotted


@dataclass
class Change:
    """One row of the report."""

    scope: str  # a type name, "constants" or "schema"
    change: str  # what changed, for the Markdown table (may hold `code`)
    old: dict | None
    new: dict | None
    rule: str
    reason: str
    versions: list[int] | None = None  # the protocol versions this applies to; None = all
    old_path: tuple[str, ...] | None = None
    new_path: tuple[str, ...] | None = None
    order: tuple = ()
    reaches: list[Reach] = field(default_factory=list)  # top-level structs an embedded type's change reaches
    was: str | None = None  # the rule this row had on its own, before its carriers were looked at
    assumes: tuple[tuple[str, str], ...] = ()  # (message or struct, condition) a COMPATIBLE verdict rests on: negotiated, refused (its version_agreement) or unfollowed (nothing follows the struct)

    @property
    def verdict(self) -> str:
        return verdict_of(self.rule)

    def as_json(self) -> dict:
        out: dict = {
            "change": self.change.replace("`", ""),
            "old": self.old,
            "new": self.new,
            "versions": self.versions,
            "verdict": self.verdict,
            "rule": self.rule,
            "reason": self.reason,
        }
        if self.assumes:
            out["assumes"] = [{"name": m, "condition": a} for m, a in self.assumes]
        if self.reaches:
            out["reaches"] = [{"type": r.carrier, "at": dotted(r.at), "offset": r.offset, "versions": list(r.versions) if r.versions else None} for r in self.reaches]
        return out


@dataclass(frozen=True)
class Reach:
    """A top-level struct that carries an embedded type's change: where, and in which versions (None: all)."""

    carrier: str  # a top-level struct or a message
    at: tuple[str, ...]
    offset: int | None  # where `at` starts in the carrier, if it is the same in every version
    versions: tuple[int, ...] | None


@dataclass
class Scope:
    """A section of the report: one type, the constants, or the schema itself."""

    name: str
    kind: str  # enum | bitmap | struct | message | constants | schema
    title: str  # heading text after the name
    changes: list[Change] = field(default_factory=list)


class _Tally:
    """Counts and the worst verdict of whatever `changes` a subclass holds."""

    changes: list[Change]

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.changes if c.verdict == v) for v in VERDICTS}

    @property
    def verdict(self) -> str | None:
        return worst(c.verdict for c in self.changes)

    def assumptions(self) -> list[tuple[str, str]]:
        """(message, version_agreement): what the schema says of how versions are agreed that a verdict here rests on."""
        return list(dict.fromkeys(a for c in self.changes for a in c.assumes))


@dataclass
class SchemaDiff(_Tally):
    name: str
    old_label: str | None
    new_label: str | None
    scopes: list[Scope] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:  # type: ignore[override]
        return [c for s in self.scopes for c in s.changes]

    def rules(self) -> list[tuple[str, str, str]]:
        """(scope, rule, change without backticks) for every row: what tests assert."""
        return [(c.scope, c.rule, c.change.replace("`", "")) for c in self.changes]


def _assumptions_json(items: list[tuple[str, str]]) -> list[dict]:
    return [{"name": m, "condition": a} for m, a in items]


@dataclass
class Report(_Tally):
    diffs: list[SchemaDiff]
    title: str = ""

    @property
    def changes(self) -> list[Change]:  # type: ignore[override]
        return [c for d in self.diffs for c in d.changes]

    @property
    def breaking(self) -> bool:
        return self.verdict == BREAKING

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "counts": self.counts(),
            "assumptions": _assumptions_json(self.assumptions()),
            "schemas": [
                {
                    "schema": d.name,
                    "old": d.old_label,
                    "new": d.new_label,
                    "verdict": d.verdict,
                    "counts": d.counts(),
                    "assumptions": _assumptions_json(d.assumptions()),
                    "types": [{"name": s.name, "kind": s.kind, "title": s.title, "changes": [c.as_json() for c in s.changes]} for s in d.scopes],
                }
                for d in self.diffs
            ],
        }

    def to_markdown(self) -> str:
        from .markdown import render

        return render(self)
