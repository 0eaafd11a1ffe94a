"""The loader reads YAML with libyaml's parser when PyYAML has it, and again with PyYAML's own
parser only when libyaml refuses a document (for PyYAML's words about it): both must give the
same values, marks and problems for every document both accept. (libyaml also reads a few that
PyYAML refuses, such as a tab after a plain scalar, which YAML allows.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT

from wiregen import yamlsrc
from wiregen.errors import Problems

pytestmark = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: only its own parser is used")


def both(text: str) -> tuple[tuple[object, list[str]], tuple[object, list[str]]] | None:
    """What each parser reads from `text` (the value tree and the problems); None when either
    refuses it."""
    fast, slow = Problems(), Problems()
    if "\ufeff" in text:
        return None  # read by PyYAML's parser only (yamlsrc.load)
    try:
        node = yamlsrc._FastLoader(text, "f.yaml", fast).get_single_node()
    except (yaml.YAMLError, UnicodeError, yamlsrc._Unlike):
        return None
    tree = yamlsrc._convert(node, "f.yaml", fast) if node is not None else None
    try:
        other = yamlsrc._Loader(text, "f.yaml", slow).get_single_node()
    except yaml.YAMLError:
        return None
    slow_tree = yamlsrc._convert(other, "f.yaml", slow) if other is not None else None
    return (tree, [str(p) for p in fast.items]), (slow_tree, [str(p) for p in slow.items])


@pytest.mark.parametrize("path", sorted((ROOT / "tests").rglob("*.yaml")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_schema_of_the_tests_reads_the_same(path: Path) -> None:
    read = both(path.read_text(encoding="utf-8"))
    assert read is not None
    assert read[0] == read[1]


SCALARS = st.text() | st.integers() | st.sampled_from(["y", "n", "ON", "no", "~", "null", "0x1F", "0b101", "012", "1_000", "-0", ".5", "1e3", "#", "- x", "a: b", "&a", "*a", "!tag"])
DOCS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@given(DOCS, st.sampled_from([None, "'", '"', "|", ">"]), st.booleans())
def test_any_document_libyaml_accepts_reads_the_same(doc: object, style: str | None, flow: bool) -> None:
    text = yaml.safe_dump(doc, default_style=style, default_flow_style=flow, allow_unicode=True)
    read = both(text)
    if read is not None:
        assert read[0] == read[1], text


@given(st.text(alphabet=st.sampled_from(list("ab:-[]{},'\"#&*!|> \t\n\\x1") + ["é", "\u2028", "\x85", "\ufeff"]), max_size=40))
def test_any_text_libyaml_accepts_reads_the_same(text: str) -> None:
    read = both(text)
    if read is not None:
        assert read[0] == read[1], repr(text)
