"""Plain-data YAML reading that keeps a source mark on every value.

Only plain data is accepted: anchors, aliases and tags are refused, a duplicate
key is an error, and scalars are resolved by our own rules rather than YAML 1.1's
(numbers are decimal, 0x hex or 0b binary; a leading-zero number is refused; a
plain scalar YAML would turn into a boolean or null is kept as text but flagged,
so a name like `ON` gets a hint to quote it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import doctext
from .errors import Mark, Problems

_DEC = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_HEX = re.compile(r"[-+]?0[xX][0-9a-fA-F_]+")
_BIN = re.compile(r"[-+]?0[bB][01_]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_OCTAL_STYLE = re.compile(r"[-+]?0[oO][0-7_]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9][0-9_]*\.[0-9_]*)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
# PyYAML's own resolver says which plain scalars it would turn into a boolean or null
# (`ON`, `no`, `Null`, but not `y`, `n` or `oN`): exactly those are flagged.
_RESOLVER = yaml.resolver.Resolver()
_WORDS = {"tag:yaml.org,2002:bool": "boolean", "tag:yaml.org,2002:null": "null"}


@dataclass
class Y:
    """One YAML value with its mark.

    value is a dict[str, Y] (mapping), list[Y] (sequence), int, str, or None.
    For a scalar, `text` is its source text and `plain` says it was unquoted.
    """

    value: Any
    mark: Mark
    text: str | None = None
    plain: bool = False
    key_marks: dict[str, Mark] = field(default_factory=dict)
    yaml_word: str | None = None  # "boolean" or "null" when YAML 1.1 would not read this as text
    span: tuple[int, int] = (0, 0)  # a scalar's source text: start and end index in the file

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)


def _mark(file: str, m: yaml.Mark) -> Mark:
    return Mark(file, m.line + 1, m.column + 1)


class _Composer(yaml.composer.Composer):
    """A composer that records anchors, aliases and tags as problems instead of using them."""

    _file: str
    _problems: Problems

    def compose_node(self, parent, index):  # type: ignore[override]
        event = self.peek_event()
        where = _mark(self._file, event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            self.get_event()
            self._problems.add(where, "", "YAML aliases (*name) are not allowed; write the value out")
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        if getattr(event, "anchor", None):
            self._problems.add(where, "", f"YAML anchors (&{event.anchor}) are not allowed")
            event.anchor = None
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            self._problems.add(where, "", f"YAML tags ({tag}) are not allowed; write plain data")
            event.tag = None
        return super().compose_node(parent, index)


class _Loader(_Composer, yaml.SafeLoader):
    """PyYAML's own parser, in Python: its error messages are the ones a schema's author sees."""

    def __init__(self, stream: str, file: str, problems: Problems):
        yaml.SafeLoader.__init__(self, stream)
        self._file = file
        self._problems = problems


if yaml.__with_libyaml__:

    class _FastLoader(_Composer, yaml.cyaml.CParser, yaml.resolver.Resolver):  # type: ignore[misc]
        """The same composer over libyaml's parser, which reads the events several times faster
        (the same events, with the same marks); a document it refuses is read again by _Loader."""

        def __init__(self, stream: str, file: str, problems: Problems):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._file = file
            self._problems = problems

        def compose_node(self, parent, index):  # type: ignore[override]
            event = self.peek_event()
            if isinstance(event, yaml.ScalarEvent) and event.value == "" and not event.style:
                raise _Unlike  # libyaml marks an empty value where the next token starts
            return super().compose_node(parent, index)


class _Unlike(Exception):
    """A document libyaml would read with other marks than PyYAML: read by PyYAML's parser."""


def _scalar(node: yaml.ScalarNode, file: str) -> Y:
    mark = _mark(file, node.start_mark)
    text = node.value
    span = (node.start_mark.index, node.end_mark.index)
    if node.style:  # quoted or block scalar: always text (plain: None, or "" from libyaml)
        return Y(text, mark, text=text, plain=False, span=span)
    y = Y(text, mark, text=text, plain=True, span=span)
    t = text.strip()
    if _HEX.fullmatch(t) or _BIN.fullmatch(t) or _DEC.fullmatch(t):
        y.value = int(t.replace("_", ""), 0)
    else:
        y.yaml_word = _WORDS.get(_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)))
        if y.yaml_word == "null":
            y.value = None
    return y


def _convert(node: yaml.Node, file: str, problems: Problems) -> Y:
    mark = _mark(file, node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, file)
    if isinstance(node, yaml.SequenceNode):
        return Y([_convert(n, file, problems) for n in node.value], mark)
    assert isinstance(node, yaml.MappingNode)
    out: dict[str, Y] = {}
    key_marks: dict[str, Mark] = {}
    for knode, vnode in node.value:
        kmark = _mark(file, knode.start_mark)
        if not isinstance(knode, yaml.ScalarNode):
            problems.add(kmark, "", "a mapping key must be a plain word")
            continue
        key = knode.value
        if key in out:
            first = key_marks[key]
            problems.add(kmark, "", f"duplicate key '{key}' (first at line {first.line}, column {first.col})")
            continue
        out[key] = _convert(vnode, file, problems)
        key_marks[key] = kmark
    return Y(out, mark, key_marks=key_marks)


def load(text: str, file: str, problems: Problems) -> Y | None:
    """Read one YAML document; problems go to `problems`. None if nothing usable was read."""
    try:
        node = _node(text, file, problems)
        if node is None:
            problems.add(Mark(file, 1, 1), "", "the file is empty; expected a mapping with `schema:`")
            return None
        return _convert(node, file, problems)
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        where = _mark(file, m) if m else Mark(file, 1, 1)
        problems.add(where, "", f"not valid YAML: {e.problem or e.context}")
    except yaml.reader.ReaderError as e:  # a character YAML does not allow, as it is in the file
        ch = chr(e.character) if isinstance(e.character, int) else str(e.character)
        bad = doctext.refused_char(ch)
        what = bad[1] if bad is not None else f"{doctext.char_name(ch)}: a character YAML does not allow"
        problems.add(Mark.at(file, text, e.position), "", f"not valid YAML: {what}; remove it")
    except RecursionError:
        problems.add(Mark(file, 1, 1), "", "the YAML is nested too deeply to be a schema (lists or mappings inside each other hundreds of levels deep)")
    return None


def _node(text: str, file: str, problems: Problems) -> yaml.Node | None:
    """The document's node tree: read by libyaml's parser when PyYAML has it, else (or when libyaml
    refuses the document, or would mark it otherwise) by PyYAML's own, whose words and marks a
    refused document is reported with."""
    if yaml.__with_libyaml__ and "\ufeff" not in text:  # libyaml counts a byte order mark otherwise
        fast = Problems()
        try:
            node = _FastLoader(text, file, fast).get_single_node()
        except (yaml.YAMLError, UnicodeError, RecursionError, _Unlike):
            pass
        else:
            problems.items += fast.items
            return node
    loader = _Loader(text, file, problems)  # its reader refuses a control character here
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def is_float_text(text: str) -> bool:
    return bool(_FLOAT.fullmatch(text.strip()))


def is_leading_zero(text: str) -> bool:
    t = text.strip()
    return bool(_LEADING_ZERO.fullmatch(t) or _OCTAL_STYLE.fullmatch(t))
