"""The targets, in the order they are rendered. Each is a module with
`render(schema) -> {relative path: text}` and optionally
`render_project(schemas) -> {relative path: text}` for files that span schemas, and
`declare(schema) -> [Problem]`, which declares every name the target will emit into
naming.Scope and returns the clashes.
"""

from __future__ import annotations

from .. import naming
from ..errors import Problem
from ..model import Schema
from . import c, docs, python, rust, vectors

TARGETS = [vectors, python, rust, c, docs]


def check_names(schema: Schema) -> list[Problem]:
    """The one collision check of every target: overrides each target cannot use, and every
    name two items (or an item and the generated code) would share in one scope of one target."""
    problems = []
    for item in naming.items(schema):
        for target in naming.TARGET_NAMES:
            problem = naming.override_problem(item, target, f"{naming.kind(item)} '{item.name}'")
            if problem is not None:
                problems.append(problem)
    for target in TARGETS:
        declare = getattr(target, "declare", None)
        if declare is not None:
            problems += declare(schema)
    return problems
