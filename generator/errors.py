"""Problems found in a schema, reported all at once as FILE:LINE:COL: PATH: message."""

from __future__ import annotations

from dataclasses import dataclass

from .doctext import display


@dataclass(frozen=True, order=True)
class Mark:
    """Where an item stands in its source file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def at(cls, file: str, text: str, index: int) -> Mark:
        """The line and column of `text[index]`."""
        return cls(file, text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1)


@dataclass(frozen=True, order=True)
class Problem:
    mark: Mark
    path: str
    message: str

    def __str__(self) -> str:
        # a message may quote schema text: what a terminal would act on is shown escaped
        where = f"{self.path}: " if self.path else ""
        return display(f"{self.mark}: {where}{self.message}")


class SchemaError(Exception):
    """A schema was refused; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems while a schema is read, so all of them are reported together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, mark: Mark, path: str, message: str) -> None:
        self.items.append(Problem(mark, path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise SchemaError(self.items)


class ToolError(Exception):
    """An outside tool a target needs (a formatter) is missing or failed; nothing is written."""


def gather(loads):
    """Run every load; if any is refused, refuse with the problems of all of them together."""
    results, problems = [], []
    for load in loads:
        try:
            results.append(load())
        except SchemaError as e:
            problems.extend(e.problems)
    if problems:
        raise SchemaError(problems)
    return results
