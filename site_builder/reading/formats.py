"""The data formats of a list repository: the one home of every change of format.

A list repository says in site.yaml which format its files are written in (``format: 2``);
without the key it is format 1, the format of every list written before formats were
numbered (the reference list's among them). Each step from one format to the next is a
``Step`` in ``STEPS``: the format it leaves and the one it reaches, what changes (a sentence
for people), and the fields it renames (``Rename``: which kind of file, where in it, the old
name and the new). Everything else follows from that table:

- reading (``config.load_config`` for site.yaml, ``model.load`` for the records) applies,
  in memory, every step after the repository's format (``migrate``), with a warning for each
  old name that names the file and its line and says to run ``site-builder upgrade``
  (``validate --strict`` fails on it); where the repository is already at a step's format,
  the step's old name is an error;
- ``site-builder upgrade`` (``tools/upgrade.py``) rewrites the files on disk with
  ``rewrite``: in place, so that only the key changes and comments and layout stay, then
  sets ``format`` to ``CURRENT``;
- a repository whose ``format`` is newer than ``CURRENT`` stops every command that reads it
  (``NewerFormat``, exit 2): what a later tool changed, this one cannot know.

The schemas check each file as written, before it is migrated: the current schemas keep an
old name as a ``deprecated`` property, so that a file of an older format passes them, and a
repository's own older schemas still pass its older files.

``CURRENT`` is what a new list is written in (``init`` writes ``format: CURRENT``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder import __version__
from site_builder.errors import ConfigError, Pointer, Problem, UsageError, error, warning
from site_builder.reading import layout, slugs, sources

FIRST = 1
CURRENT = 2
KEY = "format"  # site.yaml's field


@dataclass(frozen=True)
class Rename:
    """A field renamed in the files of ``kind``, in each mapping at ``at`` (keys from the top
    of the file; ``"*"`` is each item of a list): ``old`` becomes ``new``."""

    kind: str
    at: tuple[str, ...]
    old: str
    new: str


@dataclass(frozen=True)
class Step:
    """The change from format ``source`` to ``target``: ``summary`` says what and why."""

    source: int
    target: int
    summary: str
    renames: tuple[Rename, ...] = ()


STEPS: tuple[Step, ...] = (
    Step(
        1,
        2,
        "site.yaml 的 custom_dir 改名为 theme_overrides：这个文件夹里放的是替换默认主题的模板"
        "和 static/ 文件，新名称说明了它的用途。",
        (Rename("site", (), "custom_dir", "theme_overrides"),),
    ),
)

_BY_KIND: dict[str, list[tuple[Step, Rename]]] = {}
for _step in STEPS:
    for _rename in _step.renames:
        _BY_KIND.setdefault(_rename.kind, []).append((_step, _rename))


class NewerFormat(UsageError):
    """The repository is written in a format newer than this tool's (exit 2)."""


def version_of(data: Any) -> int | None:
    """The format that site.yaml's ``data`` declares: ``FIRST`` without the key, None when
    its value is not a whole number of at least 1."""
    if not isinstance(data, dict) or KEY not in data:
        return FIRST
    value = data[KEY]
    if isinstance(value, bool) or not isinstance(value, int) or value < FIRST:
        return None
    return value


def declared(source: sources.Source) -> int:
    """The format of the repository whose site.yaml is ``source``: ConfigError when the value
    is not a format, NewerFormat when it is newer than this tool's."""
    version = version_of(source.data)
    if version is None:
        shown = slugs.shown(str(source.data[KEY]))
        message = (
            f"format（数据格式版本）应为不小于 1 的整数，例如 {CURRENT}，实际是“{shown}”："
            "请改正，或删除这一行（不写即格式 1）后运行 site-builder upgrade。"
        )
        line, column = sources.locate(source.text, (KEY,))
        raise ConfigError([error(layout.CONFIG, (KEY,), message, "format", line, column)])
    if version > CURRENT:
        raise NewerFormat(
            f"{layout.CONFIG} 写明本仓库的数据格式为 {version}（format: {version}），"
            f"是比已安装的 site-builder {__version__} 更新的版本写的，"
            f"而这个版本只能读取数据格式 {CURRENT} 及以前的格式。"
            "请先升级 site-builder（pip install --upgrade site-builder），再运行本命令；"
            "未修改任何文件。"
        )
    return version


def of_repository(root: Path) -> int:
    """The format of the repository at ``root`` (``declared``), for the commands that read
    its files without the whole configuration; ``FIRST`` when site.yaml cannot be read (the
    command's own reading says why)."""
    if not (root / layout.CONFIG).is_file():
        return FIRST
    source, _ = sources.read(root, layout.CONFIG)
    return declared(source) if source is not None else FIRST


def _holders(
    data: Any, at: tuple[str, ...], pointer: Pointer = ()
) -> Iterator[tuple[Any, Pointer]]:
    """Each mapping at ``at`` in ``data``, with its pointer."""
    if not at:
        if isinstance(data, dict):
            yield data, pointer
        return
    head, rest = at[0], at[1:]
    if head == "*" and isinstance(data, list):
        for i, item in enumerate(data):
            yield from _holders(item, rest, (*pointer, i))
    elif isinstance(data, dict) and head in data:
        yield from _holders(data[head], rest, (*pointer, head))


def _renamed_in(data: Any, at: Pointer, old: str, new: str) -> Any:
    """A copy of ``data`` along ``at`` with the key ``old`` of the mapping there renamed
    ``new``, in its place; what lies beside the path is shared, not copied."""
    if not at:
        return {(new if k == old else k): v for k, v in data.items()}
    head, rest = at[0], at[1:]
    if isinstance(data, list) and isinstance(head, int):
        return [_renamed_in(v, rest, old, new) if i == head else v for i, v in enumerate(data)]
    return {k: (_renamed_in(v, rest, old, new) if k == head else v) for k, v in data.items()}


def migrate(kind: str, rel: str, data: Any, version: int) -> tuple[Any, list[Problem]]:
    """The file ``rel`` of ``kind``, written in format ``version``, as the current format has
    it (the data given is not changed), with a warning for each old name read under its new
    one and an error for each old name its format no longer has."""
    problems: list[Problem] = []
    for step, rename in _BY_KIND.get(kind, ()):
        for holder, at in list(_holders(data, rename.at)):
            if rename.old not in holder:
                continue
            pointer: Pointer = (*at, rename.old)
            old, new = rename.old, rename.new
            if version >= step.target:
                message = (
                    f"字段 {old} 已在数据格式 {step.target} 中改名为 {new}，"
                    f"本仓库写明是格式 {version}（site.yaml 的 format）：请把 {old} 改为 {new}。"
                )
                problems.append(error(rel, pointer, message, "format-renamed"))
            elif new in holder:
                message = f"{old} 是 {new} 的旧名，两者不能同时填写：请删除 {old}，只保留 {new}。"
                problems.append(error(rel, pointer, message, "format-renamed"))
            else:
                message = (
                    f"字段 {old} 是数据格式 {step.source} 的名称，格式 {step.target} 起改名为 {new}"
                    f"（本次已按 {new} 读取）：请运行 site-builder upgrade 改写本仓库的文件"
                    "（可先用 site-builder upgrade --check 查看要改什么）。"
                )
                problems.append(warning(rel, pointer, message, "format-old-name"))
                data = _renamed_in(data, at, old, new)
    return data, problems


def as_written(kind: str, written: Any, pointer: Pointer) -> Pointer:
    """The place in a file as ``written`` of ``pointer``, a place in the file as ``migrate``
    read it: the old name where the file holds it under that name (to find its line)."""
    for _, rename in _BY_KIND.get(kind, ()):
        for holder, at in _holders(written, rename.at):
            n = len(at)
            if (
                pointer[: n + 1] == (*at, rename.new)
                and rename.old in holder
                and rename.new not in holder
            ):
                return (*at, rename.old, *pointer[n + 1 :])
    return pointer


@dataclass(frozen=True)
class Change:
    """One change ``upgrade`` makes to a file: at which line, and what (``old → new``)."""

    path: str
    line: int
    what: str


def rewrite(kind: str, rel: str, text: str, data: Any, version: int) -> tuple[str, list[Change]]:
    """The text of the file ``rel`` of ``kind`` (``data`` as read from ``text``), written in
    format ``version``, as the current format writes it, and each change made, at its line in
    the file as it was (as ``validate`` names it). Only the renamed keys change (site.yaml
    gets ``format: CURRENT`` besides); every other character is kept. Raises
    ``sources.EditError``, also when the text rewritten does not read back as ``migrate``
    reads the file."""
    expected, found = migrate(kind, rel, data, version)
    both = [p for p in found if p.severity == "error"]
    if both:
        raise sources.EditError(both[0].message)
    changes: list[Change] = []
    for step in pending(version):
        edits: list[tuple[Pointer, str]] = []
        for rename in (r for r in step.renames if r.kind == kind):
            for holder, at in _holders(data, rename.at):
                if rename.old in holder:
                    line = sources.locate(text, (*at, rename.old))[0]  # a rename keeps the lines
                    changes.append(Change(rel, line, f"{rename.old} → {rename.new}"))
                    edits.append(((*at, rename.old), rename.new))
        if edits:
            text = sources.rename_keys(text, edits)
            data = _read_back(rel, text)
    if kind == "site" and version_of(data) != CURRENT:
        if KEY in data:
            what = f"{KEY}: {data[KEY]} → {KEY}: {CURRENT}"
            line = sources.locate(text, (KEY,))[0]
        else:
            what = f"在此行之前加上 {KEY}: {CURRENT}（原先未写，即格式 {FIRST}）"
            line = sources.locate(text, (next(iter(data)),))[0]
        text = sources.set_top_level(text, KEY, str(CURRENT))
        changes.append(Change(rel, line, what))
        expected = {**expected, KEY: CURRENT}
    if changes and _read_back(rel, text) != expected:
        raise sources.EditError("改写后的内容与按新格式读取的不一致，未改写。")
    return text, changes


def _read_back(rel: str, text: str) -> Any:
    data, problems = sources.parse(rel, text)
    if data is None:
        raise sources.EditError(problems[0].message if problems else "改写后无法读取。")
    return data


def pending(version: int) -> list[Step]:
    """The steps from format ``version`` to the current one."""
    return [step for step in STEPS if step.target > version]
