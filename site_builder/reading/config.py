"""The site configuration (``site.yaml``), typed and validated once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from site_builder.errors import ConfigError, Pointer, Problem, error
from site_builder.reading import formats, layout, slugs, sources, tree
from site_builder.reading.schemas import Schemas
from site_builder.structure import urls


@dataclass(frozen=True)
class Category:
    """A power category: its name, local numeric code and letter code."""

    name: str
    code: str
    letter: str = ""
    description: str | None = None

    @property
    def slug(self) -> str:
        """The name of the category's page, ``categories/<slug>.html`` (checked by ``load_config``)."""
        return (self.letter or self.code).lower()


@dataclass(frozen=True)
class Repository:
    """The data repository (``repository``): its web address and the link patterns of
    its web UI, each with one placeholder ({path}, {commit}, {number})."""

    url: str
    branch: str = "main"
    edit_url: str | None = None
    commit_url: str | None = None
    pull_url: str | None = None

    def pattern(self, key: str) -> str | None:
        """The link pattern called ``key`` (``edit_url``, ``commit_url``, ``pull_url``), if set."""
        return {
            "edit_url": self.edit_url,
            "commit_url": self.commit_url,
            "pull_url": self.pull_url,
        }.get(key)


@dataclass(frozen=True)
class Reviewer:
    """One of the site's reviewers (``reviewers``), who own schema/, the laws and site.yaml."""

    name: str
    github: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Editions:
    """Which git tags are published editions (``editions``)."""

    tag_pattern: str


@dataclass(frozen=True)
class Licence:
    """The data's licence (``licence``)."""

    name: str
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Hotline:
    """The complaints hotline shown on the pages (``hotline``)."""

    name: str
    phone: str


@dataclass(frozen=True)
class SiteConfig:
    """Settings from ``site.yaml``, one field for each; ``raw`` is the mapping as read,
    for the templates only (they read ``config.…`` from it)."""

    title: str
    jurisdiction: str
    categories: tuple[Category, ...]
    description: str | None = None
    publisher: str | None = None
    base_url: str | None = None
    repository: Repository | None = None
    reviewers: tuple[Reviewer, ...] = ()
    editions: Editions | None = None
    licence: Licence | None = None
    theme_overrides: str | None = None
    hotline: Hotline | None = None
    notice: str | None = None
    # The data format site.yaml declares (``format``; formats.FIRST without it).
    format: int = formats.FIRST
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # What reading site.yaml warned of (an old field name read under its new one).
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    # The bytes of site.yaml as read: what the downloads publish, never the file read again.
    source: bytes = field(default=b"", compare=False, repr=False)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def category(self, name: str) -> Category | None:
        """Return the category called ``name``, if configured."""
        return next((c for c in self.categories if c.name == name), None)

    @property
    def base(self) -> str:
        """``base_url`` without a final slash; empty when the site has no address."""
        return (self.base_url or "").rstrip("/")

    @property
    def tag_pattern(self) -> str | None:
        """The pattern of the edition tags, if editions are configured."""
        return self.editions.tag_pattern if self.editions else None


def load_config(root: Path) -> SiteConfig:
    """Read and validate ``site.yaml``; raise ConfigError naming every problem.

    Its data format (``format``) is read first: a format newer than this tool's stops here
    (``formats.NewerFormat``). The schema (schema/site.schema.json) is checked next, on the
    file as written; then the file is read as the current format has it (``formats.migrate``)
    and the rules below hold whatever the schema says, as schema/ is in the repository: the
    shapes this module reads, the names that become part of output paths, and the links that
    go into every page.

    A link or a named pipe in place of site.yaml is not read.
    """
    refused = tree.refused(root / layout.CONFIG, root)
    if refused:
        raise ConfigError(refused)
    if not (root / layout.CONFIG).is_file():
        raise ConfigError(
            [
                error(
                    layout.CONFIG,
                    (),
                    f"找不到站点配置文件 {layout.CONFIG}：请在仓库根目录运行，或用 -C 指定仓库目录。",
                    "config",
                    0,
                    0,
                )
            ]
        )
    raw, problems = sources.read_bytes(root, layout.CONFIG)
    source, more = sources.from_bytes(layout.CONFIG, raw) if raw is not None else (None, [])
    problems += more
    if source is None or raw is None:
        raise ConfigError(problems)
    found: list[Problem] = [p for p in problems if p.severity == "error"]
    version = formats.declared(source)
    schema_pointers: list[Pointer] = []
    for pointer, message in Schemas(root / layout.SCHEMA).check("site", source.data):
        line, col = sources.locate(source.text, pointer)
        found.append(error(layout.CONFIG, pointer, message, "schema", line, col))
        schema_pointers.append(pointer)
    data, moved = formats.migrate("site", layout.CONFIG, source.data, version)
    moved = [replace(p, line=line, column=col) for p in moved for line, col in [_at(source, p)]]
    found += [p for p in moved if p.severity == "error"]
    for pointer, message, rule in _rules(root, data):
        # One message for one mistake: the schema's, where it has said something there.
        written = formats.as_written("site", source.data, pointer)
        if any(_overlap(written, other) for other in schema_pointers):
            continue
        line, col = _at(source, written)
        found.append(error(layout.CONFIG, written, message, rule, line, col))
    if found:  # with the old names read under their new ones, that the messages use
        raise ConfigError([*found, *(p for p in moved if p.severity != "error")])
    typed = _typed(data, raw)
    return replace(typed, format=version, warnings=tuple(moved))


def _at(source: sources.Source, where: Pointer | Problem) -> tuple[int, int]:
    """The line and column in site.yaml of a place in the file as written (or of a problem's)."""
    return sources.locate(source.text, where.pointer if isinstance(where, Problem) else where)


def _typed(data: dict[str, Any], source: bytes) -> SiteConfig:
    """The configuration checked by ``_rules``, as typed objects. An empty mapping, like
    an absent one, is no setting; keys the schema does not know are not read."""

    def mapping(key: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        found = data.get(key) if fields is None else fields
        return {k: v for k, v in (found or {}).items() if k in _FIELDS[key]}

    repository, licence, hotline = mapping("repository"), mapping("licence"), mapping("hotline")
    return SiteConfig(
        title=data["title"],
        jurisdiction=data["jurisdiction"],
        categories=tuple(
            Category(c["name"], c["code"], c.get("letter", ""), c.get("description"))
            for c in data["categories"]
        ),
        description=data.get("description"),
        publisher=data.get("publisher"),
        base_url=data.get("base_url"),
        repository=Repository(**repository) if repository else None,
        reviewers=tuple(Reviewer(**mapping("reviewers", r)) for r in data.get("reviewers") or ()),
        editions=Editions(**mapping("editions")) if mapping("editions") else None,
        licence=Licence(**licence) if licence else None,
        theme_overrides=data.get("theme_overrides"),
        hotline=Hotline(**hotline) if hotline else None,
        notice=data.get("notice"),
        raw=data,
        source=source,
    )


def inside_repository(folder: str) -> bool:
    """Whether the relative path ``folder`` (from site.yaml) names a folder below the
    repository's root: not absolute, no “..”, no backslash (a Windows separator, or a
    name no other system shares), not the root itself."""
    path = PurePosixPath(folder)
    if path.is_absolute() or "\\" in folder or ":" in folder or ".." in path.parts:
        return False
    return path.parts not in ((), (".",))


def _overlap(a: Pointer, b: Pointer) -> bool:
    """Whether one pointer is the other or lies inside it."""
    return a[: len(b)] == b or b[: len(a)] == a


Found = Iterator[tuple[Pointer, str, str]]  # pointer, message, rule

_MAPPING, _LIST, _TEXT = "一组字段（映射）", "列表", "文字"
# The type of each top-level setting, as this module and the templates read it.
_TOP = {
    "title": _TEXT,
    "description": _TEXT,
    "jurisdiction": _TEXT,
    "publisher": _TEXT,
    "base_url": _TEXT,
    "repository": _MAPPING,
    "reviewers": _LIST,
    "editions": _MAPPING,
    "licence": _MAPPING,
    "theme_overrides": _TEXT,
    "categories": _LIST,
    "hotline": _MAPPING,
    "notice": _TEXT,
}
_PYTHON: dict[str, type[Any]] = {_MAPPING: dict, _LIST: list, _TEXT: str}
_REQUIRED = ("title", "jurisdiction", "categories")
# Links put into pages (href): http(s) only, never javascript: or data:.
_URLS: tuple[Pointer, ...] = (
    ("base_url",),
    ("repository", "url"),
    ("repository", "edit_url"),
    ("repository", "commit_url"),
    ("repository", "pull_url"),
    ("licence", "url"),
)
# The texts inside each mapping setting (for reviewers: inside each reviewer), required
# first; as typed in SiteConfig.
_FIELDS: dict[str, tuple[str, ...]] = {
    "repository": ("url", "branch", "edit_url", "commit_url", "pull_url"),
    "licence": ("name", "title", "url"),
    "hotline": ("name", "phone"),
    "editions": ("tag_pattern",),
    "reviewers": ("name", "github", "email"),
}
_NEEDED = {"repository": 1, "licence": 1, "hotline": 2, "reviewers": 1}
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f/?#]+[^\s\x00-\x1f\x7f]*")


def _kind(value: Any) -> str:
    """What a YAML value is, as people call it."""
    if isinstance(value, bool):
        return "true 或 false"
    if value is None:
        return "空值"
    if isinstance(value, int | float):
        return "数字"
    return next((name for name, py in _PYTHON.items() if isinstance(value, py)), _TEXT)


def _rules(root: Path, data: Any) -> Found:
    if not isinstance(data, dict):
        yield (), f"站点配置应为{_MAPPING}，实际是{_kind(data)}。", "config"
        return
    for key in _REQUIRED:
        if key not in data:
            yield (key,), f"缺少必填字段 {key}。", "config"
    for key, wanted in _TOP.items():
        if key in data and not isinstance(data[key], _PYTHON[wanted]):
            yield (key,), f"{key} 应为{wanted}，实际是{_kind(data[key])}。", "config"
    for pointer in _URLS:
        parent = data.get(pointer[0]) if len(pointer) == 2 else data
        value = parent.get(pointer[-1]) if isinstance(parent, dict) else None
        if isinstance(value, str) and not _HTTP_URL.fullmatch(value):
            yield (
                pointer,
                f"地址“{slugs.shown(value)}”无效："
                "只能使用以 http:// 或 https:// 开头、不含空格的网址。",
                "url",
            )
    yield from _editions(data.get("editions"))
    yield from _mappings(data)
    categories = data.get("categories")
    if isinstance(categories, list):
        yield from _categories(categories)
    custom = data.get("theme_overrides")
    if isinstance(custom, str) and custom and not inside_repository(custom):
        yield (
            ("theme_overrides",),
            f"自定义模板目录“{slugs.shown(custom)}”必须是仓库中的文件夹：请写成相对于仓库根目录的路径"
            "（例如 overrides），不能是绝对路径，不能用“..”跳出仓库，也不能用反斜杠。",
            "config-outside",
        )
    elif isinstance(custom, str) and custom and not (root / custom).is_dir():
        yield (
            ("theme_overrides",),
            f"自定义模板目录“{custom}”不存在：请创建该文件夹，或删除 theme_overrides。",
            "config",
        )


def _editions(editions: Any) -> Found:
    if isinstance(editions, dict) and not isinstance(editions.get("tag_pattern"), str):
        yield (
            ("editions", "tag_pattern"),
            "editions.tag_pattern 应为文字，例如 edition-*。",
            "config",
        )


def _mappings(data: dict[str, Any]) -> Found:
    """The texts inside the mapping settings and the reviewers, as ``SiteConfig`` types them:
    what the schema requires is there, and each is text."""
    for key in ("repository", "licence", "hotline"):  # editions: by _editions
        value = data.get(key)
        if isinstance(value, dict) and value:
            yield from _texts(value, key, (key,), f"{key}.")
    reviewers = data.get("reviewers")
    for i, reviewer in enumerate(reviewers if isinstance(reviewers, list) else []):
        pointer: Pointer = ("reviewers", i)
        if isinstance(reviewer, dict):
            yield from _texts(reviewer, "reviewers", pointer, f"审核人（第 {i + 1} 个）的 ")
        else:
            yield (
                pointer,
                f"审核人应为{_MAPPING}（name、github、email），实际是{_kind(reviewer)}。",
                "config",
            )


def _texts(value: dict[str, Any], kind: str, at: Pointer, label: str) -> Found:
    for n, sub in enumerate(_FIELDS[kind]):
        if sub not in value:
            if n < _NEEDED[kind]:
                yield at, f"缺少必填字段 {label}{sub}。", "config"
        elif not isinstance(value[sub], str):
            yield (*at, sub), f"{label}{sub} 应为{_TEXT}，实际是{_kind(value[sub])}。", "config"


def _categories(categories: list[Any]) -> Found:
    """Each category is a mapping of texts; names, letters and page names are unique;
    the letter (or, without one, the code) names the category's page, so it must be a
    safe file name."""
    names: dict[str, int] = {}
    letters: dict[str, int] = {}
    pages: dict[str, int] = {}
    for i, c in enumerate(categories):
        if not isinstance(c, dict):
            yield (
                ("categories", i),
                f"类别应为{_MAPPING}（name、code、letter），实际是{_kind(c)}。",
                "config",
            )
            continue
        for key in ("name", "code", "letter", "description"):
            if (key in c or key in ("name", "code")) and not (
                isinstance(c.get(key), str) and c[key]
            ):
                yield ("categories", i, key), f"类别的 {key} 应为不为空的文字。", "config"
        name, code, letter = c.get("name"), c.get("code"), c.get("letter", "")
        if not (isinstance(name, str) and isinstance(code, str) and isinstance(letter, str)):
            continue
        if name in names:
            yield ("categories", i, "name"), f"职权类别“{name}”重复。", "config"
        names.setdefault(name, i)
        if letter and letter in letters:
            yield (
                ("categories", i, "letter"),
                f"字母代码“{letter}”重复：第 {letters[letter] + 1} 个类别已使用，"
                "两个类别会共用同一个网页。请改用另一个字母代码。",
                "config",
            )
            continue
        letters.setdefault(letter, i)
        key = "letter" if letter else "code"
        slug = (letter or code).lower()
        why = slugs.problem(slug)
        if why is not None and not slugs.SLUG.fullmatch(slug):
            why = "只能使用英文字母、数字和连字符，且以字母或数字开头。"
        if why is not None:
            hint = "" if letter else "请填写字母代码 letter（例如 XK），或"
            yield (
                ("categories", i, key),
                f"类别“{name}”的{'字母代码' if letter else '编码'}“{slugs.shown(letter or code)}”不能用作网页文件名"
                f"（categories/…html）：{why}{hint or '请改正。'}"
                + ("把 code 改为数字或英文字母。" if hint else ""),
                "slug",
            )
        elif slug in pages:
            yield (
                ("categories", i, key),
                f"类别“{name}”的网页 {urls.category(slug)} 与第 {pages[slug] + 1} 个类别的相同"
                "（字母代码或编码只差大小写）：请改用另一个。",
                "config",
            )
        pages.setdefault(slug, i)
