"""Free text to safe HTML: the only module that imports markdown and nh3.

Free-text fields may use Markdown (lists, emphasis, links). Raw HTML is not
allowed through, and links may only use http, https and mailto.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import markdown
import nh3

_TAGS = {
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
_SCHEMES = {"http", "https", "mailto"}


# One converter, reset between texts: building one costs more than converting a text.
_MARKDOWN = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


# Text that Markdown would only wrap in a paragraph, as most of it is (plain Chinese
# sentences): every piece of Markdown syntax needs ASCII punctuation or whitespace, so
# letters, digits and non-ASCII characters other than spaces are all left as they are.
# Converting is most of the cost of a text; anything unusual (C1 controls, byte order
# marks, surrogates, non-characters) still goes through Markdown.
_PLAIN = re.compile(
    r"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\xa0\s\ufeff\ufdd0-\ufdef\ufff0-\uffff\ud800-\udfff]+"
)


# Lists and quotes nested deeper than this are refused by validation (``nesting``): real
# text has three or four levels, while Markdown parses nesting recursively (a list 300
# deep exhausts the stack, and takes seconds before it does).
MAX_NESTING = 20
# A line opening more levels than MAX_NESTING needs at least that many characters of
# indentation and markers before its text: only such lines are measured.
_DEEP_CANDIDATE = re.compile(f"^[ \t>*+.)0-9-]{{{MAX_NESTING + 1},}}", re.MULTILINE)
_MARKER = re.compile(r"(?:>|[-*+](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))")


def _line_nesting(line: str) -> int:
    """The levels a line opens: a quote mark or list marker is one, four columns of indentation one."""
    levels, i, columns = 0, 0, 0
    while i < len(line):
        if line[i] in " \t":
            columns += 4 if line[i] == "\t" else 1
            i += 1
            continue
        levels += columns // 4
        columns = 0
        marker = _MARKER.match(line, i)
        if marker is None:
            return levels
        levels += 1
        i = marker.end()
    return levels + columns // 4


def nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of lists and quotes in ``text`` that exceeds MAX_NESTING, and the
    (0-based) line where it is; (0, 0) when the text is within the limit."""
    for match in _DEEP_CANDIDATE.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", start)
        levels = _line_nesting(text[start : end if end >= 0 else len(text)])
        if levels > MAX_NESTING:
            return levels, text.count("\n", 0, start)
    return 0, 0


def _plain_html(text: str) -> str:
    """The text as escaped paragraphs, without Markdown: for a text Markdown cannot take."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


@lru_cache(maxsize=65536)  # the same texts recur across a power's page and its gazette entry
def to_html(text: str) -> str:
    """Render Markdown to sanitised HTML (block level: paragraphs, lists).

    Never raises: a text nested too deep (refused by validation, but met in an old
    revision, say) is shown as plain paragraphs.
    """
    if _PLAIN.fullmatch(text):
        raw = f"<p>{text}</p>"
    elif nesting(text)[0]:
        raw = _plain_html(text)
    else:
        raw = _MARKDOWN.reset().convert(text)
    return nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
    )


def to_inline_html(text: str) -> str:
    """Render Markdown to sanitised HTML without the wrapping paragraph, for short values."""
    html = to_html(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
