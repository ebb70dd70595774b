"""The warnings a build gives about the repository's git history, not its data: a
shallow clone (a new clone fixes it), and old commits holding files the update trail
could not read (nothing to fix: the data now is not affected)."""

from __future__ import annotations

from site_builder import history
from site_builder.errors import Problem, warning
from site_builder.history import changes


def clone_problems(git: history.Published) -> list[Problem]:
    """What is wrong with this clone of the repository (a new clone can fix it)."""
    if git.shallow:
        message = "这是浅克隆（shallow clone），修改记录不完整：请获取完整历史（git fetch --unshallow；CI 中设置 fetch-depth: 0）。"
        return [warning(".git", (), message, "shallow-clone")]
    return []


def past_problems(git: history.Published) -> list[Problem]:
    """A warning for each old commit holding files the update trail could not read."""
    if git.trail is None:
        return []
    by_commit: dict[tuple[str, str], dict[str, list[str]]] = {}
    for u in git.trail.unread:
        by_commit.setdefault((u.commit, u.date), {}).setdefault(u.why, []).append(u.path)
    out = []
    for (commit, date), found in by_commit.items():
        said = []
        if changes.UNREADABLE_FILE in found:
            said.append(
                f"文件 {'、'.join(found[changes.UNREADABLE_FILE])} 无法读取"
                "（不是 UTF-8 编码的 YAML，或嵌套过深）：修改记录中这次修改不列出无法读取的字段"
            )
        if changes.SUBMODULE in found:
            said.append(f"{'、'.join(found[changes.SUBMODULE])} 是子模块，其内容不会发布")
        message = (
            f"历史提交 {commit[:8]}（{date}）中，{'；'.join(said)}。"
            "这是旧提交的内容，现在的数据不受影响，无需处理。"
        )
        out.append(warning(".git", (), message, "old-commit"))
    return out
