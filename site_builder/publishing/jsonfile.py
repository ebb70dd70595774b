"""JSON as the site publishes it: the only module that imports orjson.

Published JSON is sorted, indented by two spaces, UTF-8 and ends with a newline,
exactly as ``json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)`` writes
it. orjson writes the same bytes about twenty times faster, except for floats in
exponent form (``1e-07`` against ``1e-7``), NaN and infinities, and integers beyond
64 bits: a value
holding one is written by the standard library, so the bytes never depend on which
writer ran.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_LIMIT = 2**64


def _differs(value: Any) -> bool:
    """Whether orjson would write ``value`` otherwise than the standard library: an
    exponent float, or an integer beyond 64 bits, anywhere inside it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float):
            if "e" in repr(item) or not math.isfinite(item):  # orjson writes null for NaN
                return True
        elif isinstance(item, int) and not isinstance(item, bool) and not -_LIMIT < item < _LIMIT:
            return True
    return False


def pretty(value: Any) -> bytes:
    """``value`` as sorted, two-space-indented UTF-8 JSON with a final newline."""
    if not _differs(value):
        try:
            return orjson.dumps(value, option=_OPTIONS)
        except TypeError:  # a type orjson does not write
            pass
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
