"""``site-builder upgrade``: rewrite a list repository's files in the current data format.

What changes from one format to the next is the table of ``reading/formats.py``; this
command applies it to the files on disk and reports each change (file, line, old → new).
It edits each file in place (``formats.rewrite``: only the renamed keys change, comments
and layout stay, and each file is read back to check that it now reads as the tool read it
before), sets site.yaml's ``format``, and rewrites the schemas that the tool wrote into
``schema/`` (``schemagen``) when they are no longer what it would write.

All or nothing: every data file is read first, and nothing is written when any cannot be
read (a file not read may hold an old name, and ``format`` would then claim what is not so),
nor when the repository's own site.yaml schema would refuse the upgraded site.yaml. The new
files are written beside the old ones, then renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder import __version__
from site_builder.errors import Problem, UsageError, error
from site_builder.reading import formats, layout, model, schemagen, sources
from site_builder.reading.schemas import Schemas


@dataclass
class Plan:
    """What ``upgrade`` would do: the files to write (path → bytes), the bytes each held when
    read (None: a new file), every change, and the problems that stop it."""

    version: int
    files: dict[str, bytes] = field(default_factory=dict)
    before: dict[str, bytes | None] = field(default_factory=dict)
    changes: list[formats.Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan(root: Path) -> Plan:
    """What upgrading the repository at ``root`` would change; nothing is written.

    Raises ``formats.NewerFormat`` when the repository is newer than this tool, UsageError
    without site.yaml.
    """
    if not (root / layout.CONFIG).is_file():
        raise UsageError(
            f"找不到站点配置文件 {layout.CONFIG}：请在仓库根目录运行，或用 -C 指定仓库目录。"
        )
    config, problems = sources.read(root, layout.CONFIG)
    if config is None:
        return Plan(formats.FIRST, problems=[p for p in problems if p.severity == "error"])
    result = Plan(formats.declared(config))
    files, _ = model.discover(root)  # what discover reports, validate reports
    site: Any = config.data
    for kind, rel in [("site", layout.CONFIG), *files]:
        raw, problems = sources.read_bytes(root, rel)
        source, more = sources.from_bytes(rel, raw) if raw is not None else (None, [])
        errors = [p for p in [*problems, *more] if p.severity == "error"]
        if source is None or errors:
            result.problems += errors
            continue
        try:
            text, changes = formats.rewrite(kind, rel, source.text, source.data, result.version)
        except sources.EditError as exc:
            message = f"无法自动改写这个文件：{exc}请手工修改后再运行 site-builder upgrade。"
            result.problems.append(error(rel, (), message, "upgrade", 1, 1))
            continue
        if changes:
            result.files[rel], result.before[rel] = text.encode("utf-8"), raw
            result.changes += changes
        if kind == "site":
            site = sources.parse(rel, text)[0]
    if not result.problems:
        _schemas(root, result, config.data, site)
    return result


def _schemas(root: Path, result: Plan, before: Any, site: Any) -> None:
    """The repository's ``schema/``: the files the tool wrote there, written anew where stale;
    a problem when its own (kept by hand) site schema would refuse the upgraded site.yaml
    (``site``) where it accepted it as it was (``before``)."""
    if not os.path.lexists(root / layout.SCHEMA):
        return  # the tool's own schemas, in memory: always the current format's
    categories = [
        c["name"]
        for c in (site.get("categories") if isinstance(site, dict) else None) or []
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    ]
    schemas = Schemas(root / layout.SCHEMA, categories)
    wanted = schemagen.generate(categories)
    for rel in schemagen.stale(schemas.files, categories):
        result.files[rel], result.before[rel] = wanted[rel], schemas.files.get(rel)
        what = f"按已安装的 site-builder {__version__} 重新生成"
        result.changes.append(formats.Change(rel, 0, what))
    own = schemas.files.get(f"{layout.SCHEMA}/site.schema.json")
    if own is None or schemagen.is_generated(own):
        return
    already = set(schemas.check("site", before))  # not upgrade's to report
    for pointer, message in [
        found for found in schemas.check("site", site) if found not in already
    ]:
        where = ".".join(str(p) for p in pointer) or "顶层"
        result.problems.append(
            error(
                f"{layout.SCHEMA}/site.schema.json",
                (),
                f"本仓库自己维护的这个模式不接受升级后的 site.yaml（{where}：{message}）："
                "请参照已安装的 site-builder 自带的 site.schema.json 修改它"
                f"（数据格式 {formats.CURRENT} 的字段），再运行 site-builder upgrade。",
                "upgrade-schema",
                1,
                1,
            )
        )


def write(root: Path, found: Plan) -> None:
    """Write the planned files, all or nothing (``write_files``)."""
    write_files(root, found.files, found.before)


def write_files(root: Path, files: dict[str, bytes], before: dict[str, bytes | None]) -> None:
    """Write ``files`` (path relative to ``root`` → bytes): each beside its old one first, then
    all renamed into place; nothing is changed when any cannot be written, or no longer holds
    what ``before`` says it held when read (None: it did not exist)."""
    temps: list[tuple[str, Path]] = []
    try:
        for rel, data in files.items():
            target = root / rel
            now = target.read_bytes() if target.is_file() else None
            if now != before.get(rel):
                raise UsageError(
                    f"{rel} 在升级过程中被修改：未改写任何文件。请重新运行 site-builder upgrade。"
                )
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.upgrade-", dir=target.parent)
            temps.append((tmp, target))
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            mode = stat.S_IMODE(target.stat().st_mode) if now is not None else 0o644
            os.chmod(tmp, mode)
    except OSError as exc:
        _remove(temps)
        raise UsageError(
            f"无法写入 {exc.filename or '文件'}：{exc.strerror or exc}。未改写任何文件；"
            "请检查磁盘空间和写入权限。"
        ) from exc
    except BaseException:
        _remove(temps)
        raise
    for tmp, target in temps:
        os.replace(tmp, target)


def _remove(temps: list[tuple[str, Path]]) -> None:
    for tmp, _ in temps:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def report_lines(found: Plan) -> list[str]:
    """The plan as people read it: each step's reason, then each change, file by file."""
    if not found.changes:
        return []
    lines = [
        f"数据格式 {step.source} → {step.target}：{step.summary}"
        for step in formats.pending(found.version)
    ]
    for change in sorted(found.changes, key=lambda c: (c.path, c.line)):
        where = f"{change.path} 第 {change.line} 行" if change.line else change.path
        lines.append(f"  {where}：{change.what}")
    return lines


def summary(found: Plan, check: bool) -> str:
    """The last line of ``upgrade``: what was done, or would be, and what to do next."""
    if found.problems:
        return "上面的文件无法读取或无法自动改写，未改写任何文件：请先改正，再运行 site-builder upgrade。"
    if not found.changes:
        return f"本仓库已是数据格式 {formats.CURRENT}，无需升级。"
    count = f"{len(found.files)} 个文件共 {len(found.changes)} 处改动"
    if check:
        return f"需要升级到数据格式 {formats.CURRENT}：{count}。运行 site-builder upgrade 改写这些文件。"
    return f"已升级到数据格式 {formats.CURRENT}：{count}。请用 git diff 检查改动，确认后提交。"
