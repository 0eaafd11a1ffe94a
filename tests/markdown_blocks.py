"""Fenced code blocks of a Markdown file, so the tests can run what the docs show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(```+)([^`\n]*)$")


@dataclass(frozen=True)
class Block:
    lang: str  # the first word of the info string: python, rust, c, sh, console, text, diff, yaml...
    info: tuple[str, ...]  # the words after it
    text: str
    line: int  # 1-based line of the opening fence

    def __str__(self) -> str:
        return f"```{self.lang} block at line {self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of `path`, in order."""
    out: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, words = m.group(1), m.group(2).split()
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].rstrip() != fence:
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"{path}:{start + 1}: unclosed code fence")
        out.append(Block(words[0] if words else "", tuple(words[1:]), "\n".join(body) + "\n", start + 1))
        i += 1
    return out
