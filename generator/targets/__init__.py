"""The targets, in the order they are rendered. Each is a module with
`render(schema) -> {relative path: text}` and optionally
`render_project(schemas) -> {relative path: text}` for files that span schemas.
"""

from . import c, docs, python, rust, vectors

TARGETS = [vectors, python, rust, c, docs]
