"""wiregen: one YAML schema of a binary wire protocol, byte-identical bindings for every target."""

from .errors import Problem, SchemaError
from .loader import load_file, load_text

__all__ = ["Problem", "SchemaError", "load_file", "load_text"]
