"""Doc text: what the loader refuses, and the one rule per target that keeps the rest inert.

A schema's `doc:` is Markdown written by people; whatever it says must reach every target as
documentation and as nothing else. The loader refuses the characters no target can show
safely (`refused_char`). Each target then has one rule for the rest:

- Python docstrings: `python_docstring` (escaped, wrapped, and as black would leave them).
- Rust `///` and `//!`, which rustdoc renders as Markdown and clippy and rustdoc lint with
  warnings denied: `markdown(lines)`: every code block becomes a closed ```` ```text ```` block
  (never compiled, no attribute to misread), raw HTML and link brackets are escaped, bare URLs
  become autolinks, list continuations are indented; the rest of the text is left as written.
- The Markdown docs page: `markdown(lines, keep_links=True)`, and `cell` for a table cell.
- C block comments: `c_comment_text` (nothing can end or nest the comment, or splice a line).

Text that reaches generated code outside documentation (the schema's path in a banner) goes
through `display`, which shows every character that is not plainly printable as an escape.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata

# Control characters (but newline and tab), DEL and the C1 controls, line and paragraph
# separators, bidirectional controls (Trojan Source) and lone surrogates.
_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

TAB = 4  # a tab in a doc is this many columns (Markdown's tab stop)


def refused_char(text: str) -> tuple[int, str] | None:
    """The index and description of the first character no doc may hold, or None."""
    m = _REFUSED.search(text)
    if m is None:
        return None
    ch = m.group()
    if ch in _BIDI:
        what = "a bidirectional control character, which makes text read in another order than compilers read it"
    elif ch in "\u2028\u2029":
        what = "a line or paragraph separator, which some targets end a line at and others do not"
    elif "\ud800" <= ch <= "\udfff":
        what = "an unpaired surrogate, which is not a character and cannot be written as UTF-8"
    else:
        what = "a control character, which is not text any target can show (a tab or a line break is fine)"
    return m.start(), f"{char_name(ch)}: {what}"


def char_name(ch: str) -> str:
    """U+202E (RIGHT-TO-LEFT OVERRIDE)."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def display(text: str) -> str:
    """`text` with every character Python does not call printable (controls, format characters,
    separators but the space) written as an escape, so it shows as it is wherever it is printed."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\u{{{ord(c):04x}}}" for c in text)


def lines(text: str) -> list[str]:
    """A doc as lines: tabs expanded, trailing space removed, no blank line first or last."""
    out = [ln.expandtabs(TAB).rstrip() for ln in (text or "").split("\n")]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


_BLOCK_START = re.compile(r"\s|[-*+>#|=_<]|```|~~~|\d+[.)]")


def wrap(doc: list[str], width: int) -> list[str]:
    """Markdown doc lines wrapped to `width`. Only plain paragraph lines are wrapped, outside
    code fences, and only where no new line would start like a Markdown block (list, heading,
    quote, table, code)."""
    out: list[str] = []
    fence = ""  # the fence of the code block the line is in, if any
    for line in doc:
        opener = _FENCE.fullmatch(line)
        if fence:
            if re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}} *", line):
                fence = ""
        elif opener:
            fence = opener.group(2)
        pieces = [line]
        if not fence and not opener and len(line) > width and not _BLOCK_START.match(line):
            pieces = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
            if any(_BLOCK_START.match(p) for p in pieces[1:]):
                pieces = [line]
        out += pieces
    return out


# --- Python ---------------------------------------------------------------------------------


def python_docstring(text: str, indent: str = "", width: int = 88, end: bool = True) -> str:
    """The body of a triple-quoted docstring (indented by `indent`) that reads back as `text`.

    Backslashes are doubled and every quote next to another quote, or first, is escaped, so no
    doc can close the string. What black would change is done here, so black changes nothing:
    long paragraph lines are wrapped (`wrap`), the first line's indentation and the other lines'
    common indentation are removed (as `inspect.cleandoc` does), blank lines are left empty, a
    last quote is written `\\x22` (black pads a quote before the closing ones), and a doc that
    ends the docstring (`end`) and whose last line is too long for the closing quotes gets them
    on a line of their own.
    """
    doc = wrap(lines(text), width - len(indent) - 4)
    if doc:
        margin = min((len(ln) - len(ln.lstrip()) for ln in doc[1:] if ln), default=0)
        doc = [doc[0].lstrip()] + [ln[margin:] for ln in doc[1:]]
    body = "\n".join(doc).replace("\\", "\\\\")
    tail = ""
    if body.endswith('"'):
        body, tail = body[:-1], "\\x22"
    out = (re.sub(r'"(?=")|^"', r'\\"', body) + tail).split("\n")
    if end and len(out) > 1 and len(indent) + len(out[-1]) + 3 > width:
        out.append("")
    return "\n".join(indent + ln if i and (ln or i == len(out) - 1) else ln for i, ln in enumerate(out))


def with_note(doc: str, note: str) -> str:
    """A doc followed by a generated note, on its last line."""
    return f"{doc.rstrip()} {note}" if doc.strip() and note else doc or note


# --- Markdown (rustdoc and the docs page) ------------------------------------------------------

_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
_ITEM = re.compile(r"([-*+]|(\d{1,9})([.)]))(?: +(.*))?")
_HEADING = re.compile(r"#{1,6}(?: |$)")
_BREAK = re.compile(r"([-*_])(?: *\1){2,} *")
_TABLE_DELIMITER = re.compile(r"\|? *:?-+:? *(?:\| *:?-+:? *)*\|? *")  # a table's second row
_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Autolinks that stay links: web and mail addresses (no `javascript:` or `data:` link).
_AUTOLINK = re.compile(
    r"<(?:https?|ftp|mailto):[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*>"
)
_URL = re.compile(r"https?://[^\s<>`]+")
_URL_TAIL = re.compile(r"[.,:;!?'\"\]}*_~]+$")


def markdown(doc: list[str], keep_links: bool = False) -> list[str]:
    """Doc lines as Markdown that renders as written but can do nothing else.

    Code blocks (fenced, or indented where a block may start) become closed ```` ```text ````
    fences. Raw HTML (`<` outside an autolink) is escaped, and so is `[` unless `keep_links` (on
    the docs page links stay; in rustdoc a bracket is an intra-doc link), a blockquote's `>`
    and a fence that would open inside a list item. A bare URL becomes an autolink. A line that
    continues a list item's paragraph is indented to the item's text, so no continuation is lazy.
    Everything else (emphasis, code spans, headings, lists, tables) is left as written.
    """
    out: list[str] = []
    para: str | None = None  # the open paragraph: None, "plain", "item", or "table" (its rows)
    item: tuple[str, int] = ("", 0)  # the open list item: its kind (bullet, or the delimiter) and text column
    i = 0
    while i < len(doc):
        line = doc[i]
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if not text:
            out.append("")
            para = None
            i += 1
            continue
        fence = _FENCE.fullmatch(line)
        if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            mark = fence.group(2)
            close = re.compile(rf" {{0,3}}{re.escape(mark[0])}{{{len(mark)},}} *")
            body: list[str] = []
            i += 1
            while i < len(doc) and not close.fullmatch(doc[i]):
                body.append(_dedent(doc[i], indent))
                i += 1
            i += 1  # the closing fence (or the end of the doc, which closes it too)
            out += _text_block(body)
            para = None
            continue
        if indent >= 4 and para is None:
            start = i
            while i < len(doc) and (not doc[i].strip() or len(doc[i]) - len(doc[i].lstrip(" ")) >= 4):
                i += 1
            while not doc[i - 1].strip():
                i -= 1
            block = doc[start:i]
            cut = min(len(b) - len(b.lstrip(" ")) for b in block if b.strip())
            out += _text_block([b[cut:] for b in block])
            continue
        if _BREAK.fullmatch(text):  # a thematic break (or a heading's underline): it ends any paragraph
            out.append(text)
            para = None
            i += 1
            continue
        if para == "plain" and "|" in text and "|" in out[-1] and _TABLE_DELIMITER.fullmatch(text):
            out.append(text)  # a table: its rows are no paragraph, so any list item may follow them
            para = "table"
            i += 1
            continue
        m = _ITEM.fullmatch(text)
        kind = (m.group(3) or m.group(1)) if m else ""
        starts_item = bool(m and m.group(4)) and (
            para in (None, "table")
            or not m.group(2)  # a bullet may interrupt any paragraph
            or m.group(2) == "1"  # an ordered list may, if it starts at 1
            or (para == "item" and item[0] == kind)  # the next item of the same list
        )
        if starts_item:
            line, col = _line(text, keep_links)
            out.append(line)
            para, item = "item", (kind, col)
        elif para == "item":
            out.append(" " * item[1] + _line(text, keep_links)[0])
        else:
            out.append(_line(text, keep_links)[0])
            para = None if _HEADING.match(text) else "table" if para == "table" else "plain"
        i += 1
    return out


def _dedent(line: str, n: int) -> str:
    strip = min(n, len(line) - len(line.lstrip(" ")))
    return line[strip:]


def _text_block(body: list[str]) -> list[str]:
    """A closed ```` ```text ```` fence around `body`, longer than any backtick run inside it."""
    longest = max((len(r) for b in body for r in re.findall(r"`+", b)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *body, fence]


def _line(text: str, keep_links: bool) -> tuple[str, int]:
    """One line of paragraph text, at the start of a block, and the column its text starts at
    (after the list markers, nested ones too, each kept with one space after it); a `>` that
    would quote and a fence that would open are escaped."""
    prefix = ""
    while (m := _ITEM.fullmatch(text)) and m.group(4):
        prefix += m.group(1) + " "
        text = m.group(4).lstrip(" ")
    if text.startswith((">", "```", "~~~")):
        text = "\\" + text
    return prefix + inline(text, keep_links), len(prefix)


def inline(text: str, keep_links: bool = False, pipes: bool = False) -> str:
    """Escape what could turn text into HTML or a link; keep code spans, escapes and autolinks.
    With `pipes` (a table cell), every `|` is escaped, in code spans too."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 < n and text[i + 1] in _PUNCT:
                out.append(text[i : i + 2])  # already an escape
                i += 2
            else:
                out.append("\\\\")  # a backslash as text, whatever follows it
                i += 1
            continue
        if c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            end = _closing_run(text, i + run, run)
            span = text[i : end + run] if end is not None else None
            if span is not None and pipes and re.search(r"\\\|", span):
                span = None  # GitHub would read that backslash as escaping the pipe: show it as text
            if span is None:
                out.append("\\`" * run if pipes else c * run)
                i += run
            else:
                out.append(span.replace("|", "\\|") if pipes else span)  # a code span: shown as written
                i += len(span)
            continue
        if c == "<":
            auto = _AUTOLINK.match(text, i)
            if auto and not (pipes and "|" in auto.group()):
                out.append(auto.group())
                i = auto.end()
            else:
                out.append("\\<")
                i += 1
            continue
        if c == "[" and not keep_links:
            out.append("\\[")
            i += 1
            continue
        if c == "|" and pipes:
            out.append("\\|")
            i += 1
            continue
        url = _URL.match(text, i) if c == "h" else None
        if url:
            link = _url(url.group())
            if pipes:
                link = link.split("|")[0]
            out.append(f"<{link}>")
            i += len(link)
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _url(text: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it (a `)` only when unpaired)."""
    while True:
        cut = _URL_TAIL.sub("", text)
        if cut.endswith(")") and cut.count(")") > cut.count("("):
            cut = cut[:-1]
        if cut == text:
            return text
        text = cut


def _closing_run(text: str, start: int, run: int) -> int | None:
    """Where the next run of exactly `run` backticks starts, at or after `start`."""
    for m in re.finditer(r"`+", text[start:]):
        if len(m.group()) == run:
            return start + m.start()
    return None


def code_span(text: str) -> str:
    """`text` as one Markdown code span, whatever backticks it holds."""
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip(" ") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def cell(text: str) -> str:
    """A doc as one Markdown table cell: one line, inert, pipes escaped (GitHub splits cells
    at a pipe before it reads code spans, so inside them too)."""
    one = " ".join(ln.strip() for ln in lines(text) if ln.strip())
    return inline(one, keep_links=True, pipes=True)


# --- C --------------------------------------------------------------------------------------


def c_comment_text(line: str) -> str:
    """One line of doc text made safe inside a C block comment.

    A backslash goes between `*` and `/` wherever they touch, so the text can neither end the
    comment (`*/`) nor open a nested one (`/*`, which -Wcomment reports), and between two `?`,
    so no trigraph (`??/` is a line-splicing backslash in C11) forms. A trailing backslash
    stays: inside a block comment it only splices the next comment line onto this one.
    """
    return re.sub(r"(?<=\*)(?=/)|(?<=/)(?=\*)|(?<=\?)(?=\?)", lambda _m: "\\", display(line))
