"""The update trail from git: real repositories made with pygit2, merges, squashes, renames, moves."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import LICENCE, PENALTY, Git, Repo

from site_builder.errors import UsageError
from site_builder.history import gitstore
from site_builder.history.changes import LONG, Change
from site_builder.history.trail import change_title, pull_request
from site_builder.history.trail import trail as read_trail
from site_builder.history.trail_cache import CACHE_FILE, TrailCache


def changes(root: Path, kind: str, rid: str, cache: Path | None = None) -> list[Change]:
    trail = read_trail(root, cache=cache)
    assert trail is not None
    return trail.of(kind, rid)


def test_not_a_repository_has_no_trail(repo: Repo) -> None:
    assert read_trail(repo.root) is None


def test_initial_commit_adds_every_record(git: Git) -> None:
    [added] = changes(git.repo.root, "power", "zq-a-xk-001")
    assert (added.kind, added.pr, added.author) == ("新增", None, "市甲局")
    assert added.title == "初始版本：市甲局权责清单"
    assert [c.kind for c in changes(git.repo.root, "department", "zq-a")] == ["新增"]
    assert [c.kind for c in changes(git.repo.root, "law", "xingzheng-xuke-fa")] == ["新增"]


def test_merged_pull_request_is_dated_by_the_merge_and_lists_changed_fields(git: Git) -> None:
    git.pull_request(
        12,
        "缩短承诺时限",
        lambda: git.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"}),
        author="张三",
    )
    merge = git.git[git.git.head.target]
    latest, first = changes(git.repo.root, "power", "zq-a-xk-001")
    assert (latest.kind, latest.pr, latest.title, latest.author) == (
        "变更",
        12,
        "缩短承诺时限",
        "张三",
    )
    assert latest.commit == str(merge.id) and latest.timestamp == merge.commit_time
    # The merge's date in its own time zone (+08:00): published, not written on the branch.
    branch = git.git[merge.parents[1].id]
    local = timezone(timedelta(minutes=480))
    assert (
        latest.date
        == datetime.fromtimestamp(merge.commit_time, local).date().isoformat()
        == "2023-11-15"
    )
    assert datetime.fromtimestamp(branch.commit_time, local).date().isoformat() == "2023-11-12"
    [field] = latest.fields
    assert field.field == "committed_time_limit"
    assert field.old == {"value": 10, "unit": "工作日"} and field.new == {
        "value": 5,
        "unit": "工作日",
    }
    assert first.kind == "新增"
    assert (
        changes(git.repo.root, "power", "zq-a-cf-001")[0].kind == "新增"
    )  # untouched records keep their history


def test_squash_merge_number_and_title(git: Git) -> None:
    git.pull_request(
        3,
        "新增某项许可",
        lambda: git.repo.power(LICENCE, id="zq-a-xk-002", name="新的许可"),
        squash=True,
    )
    [added] = changes(git.repo.root, "power", "zq-a-xk-002")
    assert (added.kind, added.pr, added.title) == ("新增", 3, "新增某项许可")


def test_cancellation_and_deletion(git: Git) -> None:
    cancel = {
        "status": "已取消",
        "adjustment": {
            "action": "取消",
            "reason": "国务院决定取消",
            "doc_number": "国发〔2017〕46号",
        },
    }
    git.pull_request(4, "取消某某许可", lambda: git.repo.power(LICENCE, **cancel))
    git.pull_request(
        5,
        "删除处罚事项",
        lambda: (git.repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml").unlink(),
    )
    cancelled = changes(git.repo.root, "power", "zq-a-xk-001")[0]
    assert cancelled.kind == "取消"
    assert {f.field for f in cancelled.fields} == {"status", "adjustment"}
    assert changes(git.repo.root, "power", "zq-a-cf-001")[0].kind == "删除"


def test_a_power_moved_to_another_department_keeps_its_history(git: Git) -> None:
    git.repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    git.commit("新增市乙局")

    def move() -> None:
        src = git.repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml"
        dst = git.repo.root / "data/departments/zq-b/powers/zq-a-cf-001.yaml"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(src, dst)

    git.pull_request(6, "处罚职责划转市乙局", move)
    moved, added = changes(git.repo.root, "power", "zq-a-cf-001")
    assert moved.kind == "变更" and moved.path == "data/departments/zq-b/powers/zq-a-cf-001.yaml"
    assert [(f.field, f.old, f.new) for f in moved.fields] == [("department", "zq-a", "zq-b")]
    assert added.kind == "新增"


def test_a_renamed_power_keeps_its_history(git: Git) -> None:
    def rename() -> None:
        (git.repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml").unlink()
        git.repo.power(LICENCE, id="zq-a-xk-100")

    git.pull_request(7, "调整事项标识", rename)
    trail = read_trail(git.repo.root)
    assert trail is not None
    renamed, added = trail.of("power", "zq-a-xk-100")
    assert [(f.field, f.old, f.new) for f in renamed.fields] == [
        ("id", "zq-a-xk-001", "zq-a-xk-100")
    ]
    assert added.kind == "新增" and added.record == ("power", "zq-a-xk-001")


def test_reformatting_is_not_a_change(git: Git) -> None:
    path = git.repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml"
    path.write_text(
        "# 注释\n" + path.read_text(encoding="utf-8").replace("name: 某某许可", "name: '某某许可'"),
        encoding="utf-8",
    )
    git.commit("仅调整格式")
    assert len(changes(git.repo.root, "power", "zq-a-xk-001")) == 1


def test_long_values_are_recorded_without_their_text(git: Git) -> None:
    git.pull_request(
        8, "改写内容", lambda: git.repo.power(LICENCE, content="很长的职权内容。" * 40)
    )
    [field] = changes(git.repo.root, "power", "zq-a-xk-001")[0].fields
    assert field.field == "content" and field.new == LONG and field.old == LICENCE["content"]


def test_cache_gives_the_same_trail_and_updates_incrementally(git: Git, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    git.pull_request(1, "第一次修改", lambda: git.repo.power(LICENCE, name="改名一"))
    first = read_trail(git.repo.root, cache=cache)
    assert first is not None and (cache / CACHE_FILE).is_file()
    git.pull_request(2, "第二次修改", lambda: git.repo.power(LICENCE, name="改名二"))
    cached = read_trail(git.repo.root, cache=cache)
    fresh = read_trail(git.repo.root)
    assert cached is not None and fresh is not None
    assert cached.changes == fresh.changes and cached.head == fresh.head
    assert [c.pr for c in cached.of("power", "zq-a-xk-001")] == [2, 1, None]


def test_a_rewritten_history_is_read_again(git: Git, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    base = git.git.head.target
    git.pull_request(1, "将被改写的修改", lambda: git.repo.power(LICENCE, name="旧名"))
    assert read_trail(git.repo.root, cache=cache) is not None
    # A force push: main now starts again from the base with a different change.
    git.git.references["refs/heads/main"].set_target(base)
    git.git.reset(base, git.pygit2.enums.ResetMode.HARD)
    git.pull_request(9, "改写后的修改", lambda: git.repo.power(LICENCE, name="新名"))
    rewritten = read_trail(git.repo.root, cache=cache)
    assert rewritten is not None
    assert [c.pr for c in rewritten.of("power", "zq-a-xk-001")] == [9, None]
    assert rewritten.changes == read_trail(git.repo.root).changes  # type: ignore[union-attr]


def test_a_corrupt_cache_is_ignored(git: Git, tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text("{not json", encoding="utf-8")
    trail = read_trail(git.repo.root, cache=tmp_path)
    assert trail is not None and trail.changes


@pytest.mark.parametrize(
    ("message", "number", "title"),
    [
        ("Merge pull request #12 from zq-a/limit\n\n缩短承诺时限", 12, "缩短承诺时限"),
        ("缩短承诺时限 (#34)", 34, "缩短承诺时限"),
        (
            "Merge branch 'limit' into 'main'\n\n缩短承诺时限\n\nSee merge request zq/qingdan!56",
            56,
            "缩短承诺时限",
        ),
        ("直接提交的修改", None, "直接提交的修改"),
        ("说明 #12 不是合并请求", None, "说明 #12 不是合并请求"),
    ],
)
def test_pull_request_numbers_and_titles(message: str, number: int | None, title: str) -> None:
    assert pull_request(message) == number
    assert change_title(message) == title


def test_work_tree_reports_uncommitted_data(git: Git) -> None:
    repo = gitstore.open_repository(git.repo.root)
    assert repo is not None
    assert gitstore.work_tree(repo, git.repo.root).uncommitted == ()
    git.repo.power(PENALTY, name="未提交的修改")
    (git.repo.root / "templates/extra.html").write_text("x", encoding="utf-8")  # not data
    assert gitstore.work_tree(repo, git.repo.root).uncommitted == (
        "data/departments/zq-a/powers/zq-a-cf-001.yaml",
    )


def test_revisions_are_read_without_checkout(git: Git, tmp_path: Path) -> None:
    first = git.git.head.target
    git.pull_request(1, "改名", lambda: git.repo.power(LICENCE, name="新名字"))
    repo = gitstore.open_repository(git.repo.root)
    assert repo is not None
    out = gitstore.export(repo, gitstore.resolve(repo, str(first)), tmp_path / "old")
    assert "某某许可" in (out / "data/departments/zq-a/powers/zq-a-xk-001.yaml").read_text(
        encoding="utf-8"
    )
    assert "新名字" in (git.repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml").read_text(
        encoding="utf-8"
    )
    with pytest.raises(UsageError):
        gitstore.resolve(repo, "no-such-revision")


def test_the_cache_is_read_back_not_recomputed(git: Git, tmp_path: Path) -> None:
    import json

    git.pull_request(1, "第一次修改", lambda: git.repo.power(LICENCE, name="改名一"))
    first = read_trail(git.repo.root, cache=tmp_path)
    assert first is not None
    # Mark the cached copy: a trail that reads the cache returns the mark.
    index = json.loads((tmp_path / CACHE_FILE).read_text(encoding="utf-8"))
    [segment] = index["segments"]
    path = tmp_path / segment
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["commits"][0][5] = "来自缓存的标题"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    cached = read_trail(git.repo.root, cache=tmp_path)
    assert cached is not None and cached.changes[0].title == "来自缓存的标题"
    assert [(c.name, c.public) for c in cached.changes] == [
        (c.name, c.public) for c in first.changes
    ]
    # New commits are added to the cached trail, not recomputed from scratch.
    git.pull_request(2, "第二次修改", lambda: git.repo.power(LICENCE, name="改名二"))
    updated = read_trail(git.repo.root, cache=tmp_path)
    assert updated is not None
    assert [c.title for c in updated.of("power", "zq-a-xk-001")] == [
        "第二次修改",
        "来自缓存的标题",
        "初始版本：市甲局权责清单",
    ]


def test_the_cache_appends_segments_merges_them_and_cleans_up_after_a_rewrite(
    git: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setattr(TrailCache, "MAX_SEGMENTS", 3)
    cache = tmp_path / "cache"

    def segments() -> list[str]:
        return list(json.loads((cache / CACHE_FILE).read_text(encoding="utf-8"))["segments"])

    read_trail(git.repo.root, cache=cache)
    base = git.git.head.target
    for n in range(1, 4):
        git.pull_request(n, f"第{n}次修改", lambda n=n: git.repo.power(LICENCE, name=f"名称{n}"))
        read_trail(git.repo.root, cache=cache)
        assert (
            len(segments()) == n + 1 if n < 3 else len(segments()) == 1
        )  # merged past MAX_SEGMENTS
    assert sorted(p.name for p in cache.iterdir()) == sorted([CACHE_FILE, *segments()])
    cached = read_trail(git.repo.root, cache=cache)
    assert cached is not None and [c.pr for c in cached.of("power", "zq-a-xk-001")] == [
        3,
        2,
        1,
        None,
    ]
    # A force push: the stale segments go, and the trail is that of the new history.
    git.git.references["refs/heads/main"].set_target(base)
    git.git.reset(base, git.pygit2.enums.ResetMode.HARD)
    git.pull_request(9, "改写", lambda: git.repo.power(LICENCE, name="改写后"))
    rewritten = read_trail(git.repo.root, cache=cache)
    assert rewritten is not None and [c.pr for c in rewritten.of("power", "zq-a-xk-001")] == [
        9,
        None,
    ]
    assert sorted(p.name for p in cache.iterdir()) == sorted([CACHE_FILE, *segments()])
