"""Free text to safe HTML: the only module that imports markdown and nh3.

Free-text fields may use Markdown (lists, emphasis, links). Raw HTML is not
allowed through, and links may only use http, https and mailto.
"""

from __future__ import annotations

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


@lru_cache(maxsize=65536)  # the same texts recur across a power's page and its gazette entry
def to_html(text: str) -> str:
    """Render Markdown to sanitised HTML (block level: paragraphs, lists)."""
    raw = f"<p>{text}</p>" if _PLAIN.fullmatch(text) else _MARKDOWN.reset().convert(text)
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
