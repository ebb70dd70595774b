"""Chinese text in Latin letters (汉语拼音): the only module that imports pypinyin.

Four uses, each its own function: the order of a printed index (``sort_key``), the
A–Z heading a name is listed under (``initial``), the initials an imported power's
id is made of (``initials``), and the whole syllables a new list's jurisdiction id is
made of (``letters``).
"""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin


# Remembered: pypinyin is slow, and power names recur across departments and jurisdictions
# (4,314 distinct names among the benchmark's 10,000 powers): each name is converted once.
@functools.lru_cache(maxsize=1 << 16)
def sort_key(text: str) -> str:
    """Sort key for Chinese text by pinyin (the order of a printed index)."""
    return " ".join(lazy_pinyin(text, errors="default")).lower()


def initial(text: str) -> str:
    """The A–Z heading under which ``text`` is indexed (“#” for digits and symbols)."""
    return _initial_of(text[:1])


@functools.lru_cache(maxsize=1 << 12)  # the heading depends on the first character only
def _initial_of(first_char: str) -> str:
    first = lazy_pinyin(first_char, style=Style.FIRST_LETTER, errors="default")
    letter = first[0][:1].upper() if first and first[0] else "#"
    return letter if "A" <= letter <= "Z" else "#"


def initials(text: str) -> str:
    """The first letter of the pinyin of each Chinese character of ``text``, in order
    (行政许可 → xzxk); what is not Chinese is left out."""
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p)


def letters(text: str) -> str:
    """The pinyin of the Chinese characters of ``text`` without tones, in lower-case ASCII
    letters, syllables run together (江门 → jiangmen, 吕梁 → lvliang); what is not Chinese
    is left out."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    return "".join(ch for ch in "".join(syllables).lower() if "a" <= ch <= "z")
