"""Free text to safe HTML: the only module that imports markdown and nh3.

Free-text fields may use Markdown (lists, emphasis, links). Raw HTML is not
allowed through, and links may only use http, https and mailto.
"""

from __future__ import annotations

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


@lru_cache(maxsize=65536)  # the same texts recur across a power's page and its gazette entry
def to_html(text: str) -> str:
    """Render Markdown to sanitised HTML (block level: paragraphs, lists)."""
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
