"""The site configuration (``site.yaml``), typed and validated once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from site_builder import sources, tree
from site_builder.errors import ConfigError, DataError, Problem, error
from site_builder.schemas import Schemas

CONFIG_FILE = "site.yaml"


@dataclass(frozen=True)
class Category:
    """A power category: its name, local numeric code and letter code."""

    name: str
    code: str
    letter: str = ""


@dataclass(frozen=True)
class SiteConfig:
    """Settings from ``site.yaml``; ``raw`` keeps every value for templates."""

    title: str
    jurisdiction: str
    categories: tuple[Category, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    # The bytes of site.yaml as read: what the downloads publish, never the file read again.
    source: bytes = field(default=b"", compare=False, repr=False)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def category(self, name: str) -> Category | None:
        """Return the category called ``name``, if configured."""
        return next((c for c in self.categories if c.name == name), None)


def load_config(root: Path) -> SiteConfig:
    """Read and validate ``site.yaml``; raise DataError naming every problem (ConfigError
    when the configuration points outside the repository)."""
    refused = tree.refused(root / CONFIG_FILE, root)  # a link or a named pipe is not read
    if refused:
        raise DataError(refused)
    if not (root / CONFIG_FILE).is_file():
        raise DataError(
            [
                error(
                    CONFIG_FILE,
                    (),
                    f"找不到站点配置文件 {CONFIG_FILE}：请在仓库根目录运行，或用 -C 指定仓库目录。",
                    "config",
                    0,
                    0,
                )
            ]
        )
    raw, problems = sources.read_bytes(root, CONFIG_FILE)
    source, more = sources.from_bytes(CONFIG_FILE, raw) if raw is not None else (None, [])
    problems += more
    if source is None or raw is None:
        raise DataError(problems)
    found: list[Problem] = [p for p in problems if p.severity == "error"]
    for pointer, message in Schemas(root / "schema").check("site", source.data):
        line, col = sources.locate(source.text, pointer)
        found.append(error(CONFIG_FILE, pointer, message, "schema", line, col))
    names = (
        [c.get("name") for c in source.data.get("categories", []) if isinstance(c, dict)]
        if isinstance(source.data, dict)
        else []
    )
    for i, name in enumerate(names):
        if name in names[:i]:
            pointer = ("categories", i, "name")
            line, col = sources.locate(source.text, pointer)
            found.append(
                error(CONFIG_FILE, pointer, f"职权类别“{name}”重复。", "config", line, col)
            )
    custom = source.data.get("custom_dir") if isinstance(source.data, dict) else None
    escapes = isinstance(custom, str) and bool(custom) and not inside_repository(custom)
    if escapes:
        line, col = sources.locate(source.text, ("custom_dir",))
        found.append(
            error(
                CONFIG_FILE,
                ("custom_dir",),
                f"自定义模板目录“{custom}”必须是仓库中的文件夹：请写成相对于仓库根目录的路径"
                "（例如 overrides），不能是绝对路径，不能用“..”跳出仓库，也不能用反斜杠。",
                "config-outside",
                line,
                col,
            )
        )
    elif isinstance(custom, str) and custom and not (root / custom).is_dir():
        line, col = sources.locate(source.text, ("custom_dir",))
        found.append(
            error(
                CONFIG_FILE,
                ("custom_dir",),
                f"自定义模板目录“{custom}”不存在：请创建该文件夹，或删除 custom_dir。",
                "config",
                line,
                col,
            )
        )
    if found:
        raise (ConfigError if escapes else DataError)(found)
    data = source.data
    return SiteConfig(
        title=data["title"],
        jurisdiction=data["jurisdiction"],
        categories=tuple(
            Category(c["name"], c["code"], c.get("letter", "")) for c in data["categories"]
        ),
        raw=data,
        source=raw,
    )


def inside_repository(folder: str) -> bool:
    """Whether the relative path ``folder`` (from site.yaml) names a folder below the
    repository's root: not absolute, no “..”, no backslash (a Windows separator, or a
    name no other system shares), not the root itself."""
    path = PurePosixPath(folder)
    if path.is_absolute() or "\\" in folder or ":" in folder or ".." in path.parts:
        return False
    return path.parts not in ((), (".",))
