"""What may become part of an output path: the one home of the slug rule.

Every name the site is published under (``powers/<id>.html``, ``categories/<letter>.html``,
``editions/<tag>.html``, ``data/departments/<id>.zip``...) is built from ids, letters, codes
and tags that come from the repository. Each is checked here before it reaches a path:
lower-case ASCII letters, digits and hyphens only (so no ``/``, ``..``, ``\\`` or newline),
and none of the names the site or Windows keeps for itself.
"""

from __future__ import annotations

import json
import re

# Lower-case letters, digits and hyphens, starting with a letter or digit: the pattern of
# ids in schema/common.schema.json, enforced here too because schema/ is in the repository
# and can be changed like any data file.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
MAX_LENGTH = 80

# ``index`` is the name of every folder's own page (``powers/index.html``, ``laws/index.html``,
# ``editions/index.html``): a record called so would replace that page. The others are
# device names that Windows will not let a file take, whatever its extension (``con.html``),
# so a copy of the site on Windows would lose those pages.
RESERVED = frozenset(
    {"index", "con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def problem(value: str) -> str | None:
    """Why ``value`` cannot be part of an output path, in Chinese; None when it can."""
    if len(value) > MAX_LENGTH:
        return f"太长：最多 {MAX_LENGTH} 个字符。"
    if not SLUG.fullmatch(value):
        return "只能使用小写英文字母、数字和连字符，且以字母或数字开头。"
    if value in RESERVED:
        return f"“{value}”是网站或 Windows 保留的名称，不能用作网页文件名：请换一个。"
    return None


def is_safe(value: str) -> bool:
    return problem(value) is None


def edition_slug(tag: str) -> str:
    """The name of an edition's page and folder, from its git tag (kept as it was: the
    addresses of published editions do not change); see ``edition_problem``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in tag)


def edition_problem(slug: str) -> str | None:
    """Why an edition slug cannot be published, in Chinese; None when it can.

    Tags may hold upper-case letters and dots (``edition-2024.1``), but never start with a
    dot (``..`` would leave the ``editions/`` folder) nor be a reserved name."""
    if not slug or len(slug) > MAX_LENGTH:
        return "标签为空或太长"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", slug):
        return "标签须以英文字母或数字开头"
    if slug.lower() in RESERVED or slug.lower().split(".")[0] in RESERVED:
        return f"“{slug}”是网站或 Windows 保留的名称"
    return None


def shown(value: str) -> str:
    """``value`` for a message: a newline or other control character as ``\\n``."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def collision_key(path: str) -> str:
    """Paths that name one file on a case-insensitive disk (Windows, macOS) share this key."""
    return path.casefold()
