"""Doc text: the loader's refusals and each target's rule (generator/doctext.py).

Rustdoc and clippy judge the Rust rule, and every target's compiler the rest, in the fuzzer's
batch (tests/test_fuzz.py); here each rule is held to what it promises on any text.
"""

from __future__ import annotations

import ast
import inspect
import re
import string

import black
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiregen import doctext

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80).filter(lambda s: doctext.refused_char(s) is None)
HOSTILE = st.lists(st.sampled_from(['"', '"""', "'''", "\\", "\n", "\t", " ", "x", "`", "<", "[", "*/", "    ", "- ", "1. ", "```", "> "]), max_size=12).map("".join)
DOCS = TEXT | HOSTILE


def _black(source: str) -> str:
    return black.format_str(source, mode=black.Mode(target_versions={black.TargetVersion.PY311}))


def _expected(text: str, indent: str) -> str:
    return inspect.cleandoc("\n".join(doctext.wrap(doctext.lines(text), 88 - len(indent) - 4)))


@settings(max_examples=300)
@given(DOCS)
def test_a_docstring_reads_back_as_the_doc_and_black_changes_nothing(text: str) -> None:
    sources = [
        f'"""{doctext.python_docstring(text)}"""\n',
        f'class C:\n    """{doctext.python_docstring(text, "    ", end=False)}\n\n    Generated text.\n    """\n',
        f'class C:\n    x: int\n    """{doctext.python_docstring(text or "-", "    ")}"""\n',
    ]
    for source in sources:
        assert _black(source) == source, source
        tree = ast.parse(source)
        node = tree.body[0]
        value = node.body[-1].value.value if isinstance(node, ast.ClassDef) else node.value.value  # type: ignore[attr-defined]
        doc = inspect.cleandoc(value)
        if "Generated text." in source:
            doc = doc.removesuffix("Generated text.").rstrip("\n")
        assert doc == _expected(text or "-" if "x: int" in source else text, "    " if "class" in source else ""), source


def test_refused_characters_are_named() -> None:
    assert doctext.refused_char("a\u202eb") == (1, "U+202E (RIGHT-TO-LEFT OVERRIDE): a bidirectional control character, which makes text read in another order than compilers read it")
    assert doctext.refused_char("a\x00")[1].startswith("U+0000: a control character")  # type: ignore[index]
    assert doctext.refused_char("tab\tand\nline") is None


def _unescaped(line: str, char: str) -> bool:
    """Whether `char` occurs on a Markdown line outside code spans and not backslash-escaped, read
    as CommonMark reads it: a backslash escapes the punctuation after it (an escaped backtick opens
    no code span), and a code span runs from a run of backticks to the next run of the same length."""
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] in string.punctuation:
            i += 2
        elif c == "`":
            run = len(line[i:]) - len(line[i:].lstrip("`"))
            close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(line, i + run)
            i = close.end() if close else i + run
        elif c == char:
            return True
        else:
            i += 1
    return False


def test_the_markdown_reading_of_the_test_itself() -> None:
    assert _unescaped("a [b", "[") and _unescaped("`x` [", "[") and _unescaped("\\`x` [", "[") is True
    assert not _unescaped("\\[a", "[") and not _unescaped("`[`", "[") and not _unescaped("\\``\\[", "[")


@given(DOCS)
def test_markdown_closes_every_code_block_and_escapes_html_and_links(text: str) -> None:
    out = doctext.markdown(doctext.lines(text))
    fence = None
    for line in out:
        if fence is None:
            m = re.match(r"(`{3,})(.*)$", line)
            if m and line.lstrip() == line:
                assert m.group(2) == "text", "every code block is a text block"
                fence = m.group(1)
                continue
            plain = re.sub(r"<(?:https?|ftp|mailto):[^\s<>]*>", "", line)  # autolinks may stay
            assert not _unescaped(plain, "<"), line
            assert not _unescaped(plain, "["), line
        elif line == fence:
            fence = None
    assert fence is None, "every code block is closed"


def test_markdown_keeps_plain_text_as_written() -> None:
    doc = ["A paragraph with `code`, *emphasis* and a list:", "", "- one", "- two", "", "# Heading"]
    assert doctext.markdown(doc) == doc


@pytest.mark.parametrize(
    "doc, out",
    [
        (["    fn main() {}"], ["```text", "fn main() {}", "```"]),
        (["```compile-fail", "x", "```", "after"], ["```text", "x", "```", "after"]),
        (["```rust", "unclosed"], ["```text", "unclosed", "```"]),
        (["- item", "lazy"], ["- item", "  lazy"]),
        (["| a | b |", "|---|---|", "2. two", "| 1 | 2 |"], ["| a | b |", "|---|---|", "2. two", "   | 1 | 2 |"]),  # a list may follow a table
        (["text", "2. two", "more"], ["text", "2. two", "more"]),  # but not interrupt a paragraph at 2
        (["1. one", "2. two", "lazy"], ["1. one", "2. two", "   lazy"]),
        (["> quote"], ["\\> quote"]),
        (["Vec<u8> and [Type] at https://example.com/a_(b)."], ["Vec\\<u8> and \\[Type] at <https://example.com/a_(b)>."]),
        (["````", "```", "````"], ["````text", "```", "````"]),
        (["a \\ b"], ["a \\\\ b"]),
        (["* * *", "    not code"], ["* * *", "```text", "not code", "```"]),
        (["- item", "- - -", "after"], ["- item", "- - -", "after"]),
    ],
)
def test_markdown_cases(doc: list[str], out: list[str]) -> None:
    assert doctext.markdown(doc) == out


@given(DOCS)
def test_a_table_cell_is_one_line_with_every_pipe_escaped(text: str) -> None:
    cell = doctext.cell(text)
    assert "\n" not in cell
    assert not re.search(r"(?<!\\)(?:\\\\)*\|", cell.replace("\\|", "")), cell


@given(TEXT)
def test_display_shows_every_unprintable_character_as_an_escape(text: str) -> None:
    shown = doctext.display(text + "\n\u202e\x00")
    assert shown.isprintable()
    assert shown.endswith("\\u{000a}\\u{202e}\\u{0000}")
