"""What any named item carries besides bytes: documentation, `since` and per-target names."""

from __future__ import annotations

from .pairing import Context
from .report import Change


def item_meta(scope: str, label: str, a, b, ctx: Context, order: tuple, docs_only: bool = False, since: bool = True) -> list[Change]:
    """doc, `since` (types, enum values, bitmap fields) and per-target name overrides of one item."""
    out = []
    if a.doc != b.doc:
        out.append(
            Change(
                scope,
                f"{label}doc".strip(),
                {"doc": a.doc},
                {"doc": b.doc},
                "doc-changed",
                "documentation only; the generated comments change",
                order=order + (1,),
            )
        )
    if since and a.since != b.since:
        out.append(
            Change(
                scope,
                f"{label}since".strip(),
                {"since": a.since},
                {"since": b.since},
                "since-changed",
                "`since` on a type, enum value or bitmap field only documents when it appeared",
                order=order + (2,),
            )
        )
    if not docs_only and a.names != b.names:
        out.append(
            Change(scope, f"{label}per-target names".strip(), {"names": a.names}, {"names": b.names}, "renamed", "a per-target name override changed; the bytes did not", order=order + (0,))
        )
    return out
