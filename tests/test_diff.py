"""``site-builder diff``: a semantic diff between two revisions, on real git repositories."""

from __future__ import annotations

import copy
import json
from typing import Any

import pygit2
import pytest
from click.testing import Result
from conftest import LICENCE, PENALTY, Repo

_TIME = [1_700_000_000]


def commit(repo: Repo, message: str, tag: str | None = None) -> str:
    """Commit the whole work tree of ``repo`` (creating the git repository if needed); return the id."""
    root = str(repo.root)
    git = (
        pygit2.Repository(root)
        if (repo.root / ".git").exists()
        else pygit2.init_repository(root, initial_head="main")
    )
    _TIME[0] += 3600
    index = git.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    parents = [] if git.head_is_unborn else [git.head.target]
    sig = pygit2.Signature("市甲局", "zq-a@example.org", _TIME[0], 480)
    oid = git.create_commit("HEAD", sig, sig, message, tree, parents)
    if tag:
        git.references.create(f"refs/tags/{tag}", oid)
    return str(oid)


def remove(repo: Repo, rel: str) -> None:
    (repo.root / rel).unlink()


def power(pid: str, name: str, article: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(LICENCE)
    record.update(id=pid, name=name)
    record["legal_basis"][0]["article"] = article
    record.update(changes)
    return record


DEPT_B = {
    "id": "zq-b",
    "name": "肇庆市乙局",
    "short_name": "市乙局",
    "jurisdiction": "zhaoqing",
    "kind": "政府工作部门",
    "maintainers": [{"name": "市乙局办公室"}],
}


@pytest.fixture
def base(repo: Repo) -> Repo:
    """The fixture repository with a second department and three more powers, committed and tagged ``base``."""
    repo.department(
        maintainers=[{"name": "市甲局法规科", "github": "zq-a-fagui"}],
        reviewers=[{"name": "市委编办"}],
    )
    repo.department(DEPT_B)
    repo.power(power("zq-a-xk-002", "乙类许可", "第十三条"))
    repo.power(power("zq-a-xk-003", "丙类许可", "第十四条"))
    repo.power(power("zq-a-xk-004", "丁类许可", "第十五条"))
    commit(repo, "初始版本", tag="base")
    return repo


def diff_json(repo: Repo, *args: str) -> tuple[Result, dict[str, Any]]:
    result = repo.cli("diff", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(result.stdout)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_changes_between_two_commits(base: Repo) -> None:
    base.power(power("zq-a-xk-005", "戊类许可", "第十六条"))
    remove(base, "data/departments/zq-a/powers/zq-a-xk-002.yaml")
    base.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"})
    base.power(
        power(
            "zq-a-xk-003",
            "丙类许可",
            "第十四条",
            status="已取消",
            adjustment={"action": "取消", "reason": "国务院决定取消该许可。"},
        )
    )
    remove(base, "data/departments/zq-a/powers/zq-a-xk-004.yaml")
    base.power(power("zq-a-xk-004", "丁类许可", "第十五条"), department="zq-b")
    commit(base, "调整市甲局权责清单")

    result, doc = diff_json(base, "base", "HEAD")
    assert result.exit_code == 0
    powers = doc["powers"]
    assert ids(powers["added"]) == ["zq-a-xk-005"]
    assert ids(powers["removed"]) == ["zq-a-xk-002"]
    assert ids(powers["cancelled"]) == ["zq-a-xk-003"]
    assert ids(powers["changed"]) == ["zq-a-xk-001", "zq-a-xk-004"]
    limit = powers["changed"][0]["fields"]
    assert limit == [
        {
            "field": "committed_time_limit",
            "title": "承诺时限",
            "old": "10 工作日",
            "new": "5 工作日",
            "detail": "",
        }
    ]
    status = {f["field"]: f for f in powers["cancelled"][0]["fields"]}
    assert (status["status"]["old"], status["status"]["new"]) == ("在用", "已取消")
    assert "adjustment" in status
    moved = powers["changed"][1]
    assert moved["department"] == "zq-b"
    assert moved["fields"][0] == {
        "field": "department",
        "title": "所属部门",
        "old": "zq-a",
        "new": "zq-b",
        "detail": "",
    }
    assert doc["summary"] == {
        "added": 1,
        "cancelled": 1,
        "changed": 2,
        "removed": 1,
        "introduced_errors": 0,
        "introduced_warnings": 0,
        "fixed": 0,
    }
    assert doc["touched_departments"] == ["zq-a", "zq-b"]
    assert doc["introduced"] == []

    md = base.cli("diff", "base", "HEAD")
    assert md.exit_code == 0, md.output
    text = md.stdout
    assert "新增 1 项、取消 1 项、变更 2 项、删除 1 项；引入 0 个错误、0 个警告" in text
    assert "`committed_time_limit`（承诺时限）：10 工作日 → 5 工作日" in text
    assert "`status`（状态）：在用 → 已取消" in text
    assert "`department`（所属部门）：zq-a → zq-b" in text
    for heading in (
        "### 职权",
        "#### 新增（1）",
        "#### 取消（1）",
        "#### 变更（2）",
        "#### 删除（1）",
    ):
        assert heading in text
    assert "没有引入新的错误或警告。" in text


def test_introduced_error_and_warning(base: Repo) -> None:
    # The committed time limit longer than the statutory one is an error.
    base.power(LICENCE, committed_time_limit={"value": 30, "unit": "工作日"})
    # A power of the same name in another department of the jurisdiction is a warning.
    base.power(power("zq-b-xk-001", "乙类许可", "第二十条", id="zq-b-xk-001"), department="zq-b")
    commit(base, "引入问题")

    result, doc = diff_json(base, "base", "main")
    assert result.exit_code == 1
    errors = [p for p in doc["introduced"] if p["severity"] == "error"]
    warnings = [p for p in doc["introduced"] if p["severity"] == "warning"]
    assert [(p["path"], p["field"]) for p in errors] == [
        ("data/departments/zq-a/powers/zq-a-xk-001.yaml", "committed_time_limit.value")
    ]
    assert errors[0]["line"] > 0
    assert {p["rule"] for p in warnings} == {"overlap-name"}
    assert {p["path"] for p in warnings} == {
        "data/departments/zq-a/powers/zq-a-xk-002.yaml",
        "data/departments/zq-b/powers/zq-b-xk-001.yaml",
    }
    assert doc["summary"]["introduced_errors"] == 1
    assert doc["summary"]["introduced_warnings"] == 2

    md = base.cli("diff", "base", "main")
    assert md.exit_code == 1
    assert "引入 1 个错误、2 个警告" in md.stdout
    assert "**错误** `data/departments/zq-a/powers/zq-a-xk-001.yaml:" in md.stdout
    assert "**警告**" in md.stdout
    assert "引入 1 个错误、2 个警告" in md.stderr


def test_shifted_lines_are_not_new_problems(repo: Repo) -> None:
    penalty = {k: v for k, v in PENALTY.items() if k != "discretion"}
    repo.power(penalty)  # a penalty in use without a discretion standard: a warning
    commit(repo, "初始版本", tag="base")
    before = json.loads(repo.cli("validate", "--format", "json").stdout)["problems"]
    assert [p["rule"] for p in before] != []

    # The warning is placed on the record's first line; aliases before it push it down.
    aliases = [f"某某处罚别名{i}" for i in range(1, 6)]
    repo.power({"aliases": aliases, **penalty})
    after = json.loads(repo.cli("validate", "--format", "json").stdout)["problems"]
    assert [p["line"] for p in after] != [p["line"] for p in before]  # the lines did move
    assert [p["message"] for p in after] == [p["message"] for p in before]

    result, doc = diff_json(repo, "base")
    assert result.exit_code == 0
    assert doc["introduced"] == []
    assert doc["summary"]["fixed"] == 0
    field = doc["powers"]["changed"][0]["fields"][0]
    assert field["field"] == "aliases"
    assert field["old"] is None and field["new"] is None
    assert field["detail"] == "新增（5 项）"


def test_fixed_problems_are_counted(repo: Repo) -> None:
    repo.power(LICENCE, committed_time_limit={"value": 30, "unit": "工作日"})
    commit(repo, "有错误的版本", tag="base")
    repo.power(LICENCE)
    result, doc = diff_json(repo, "base")
    assert result.exit_code == 0
    assert doc["summary"]["fixed"] == 1
    assert "修复了 1 个原有问题" in repo.cli("diff", "base").stdout


def test_reviewers_of_touched_departments_and_site(base: Repo) -> None:
    base.power(LICENCE, content="对某某活动实施许可，并公开办理结果。")
    md = base.cli("diff", "base")
    assert md.exit_code == 0, md.output
    review = md.stdout.split("### 审核人", 1)[1]
    assert "@zq-a-fagui（市甲局法规科）" in review
    assert "审核人 市委编办" in review
    assert "@zq-bianban" in review and "@zq-sifaju" in review
    assert "市乙局办公室" not in review  # zq-b was not touched
    # 市委编办 has an account as a site reviewer: mentioned once, by the account.
    assert "请审核：@zq-a-fagui @zq-bianban @zq-sifaju\n" in md.stdout

    _, doc = diff_json(base, "base")
    assert doc["touched_departments"] == ["zq-a"]
    assert doc["reviewers"]["departments"][0]["maintainers"] == [
        {"name": "市甲局法规科", "github": "zq-a-fagui", "handle": "@zq-a-fagui"}
    ]
    assert [p["handle"] for p in doc["reviewers"]["site"]] == ["@zq-bianban", "@zq-sifaju"]
    assert doc["reviewers"]["central_files"] == []


def test_law_change_needs_the_site_reviewers(base: Repo) -> None:
    base.law(doc_number="中华人民共和国主席令第七号")
    _, doc = diff_json(base, "base")
    assert ids(doc["laws"]["changed"]) == ["xingzheng-xuke-fa"]
    assert doc["laws"]["changed"][0]["fields"][0]["new"] == "中华人民共和国主席令第七号"
    assert doc["touched_departments"] == []
    assert doc["reviewers"]["central_files"] == ["data/laws/xingzheng-xuke-fa.yaml"]
    md = base.cli("diff", "base").stdout
    assert "### 法律法规登记簿" in md
    assert "修改了 `data/laws/xingzheng-xuke-fa.yaml`，必须审核" in md


def test_work_tree_is_the_default_head(base: Repo) -> None:
    _, doc = diff_json(base, "HEAD")
    assert doc["head"] == {"revision": "工作区", "commit": ""}
    assert doc["files"] == [] and doc["summary"]["changed"] == 0

    base.power(LICENCE, statutory_time_limit={"value": 15, "unit": "工作日"})  # not committed
    _, doc = diff_json(base, "HEAD")
    assert doc["files"] == [
        {"status": "修改", "path": "data/departments/zq-a/powers/zq-a-xk-001.yaml"}
    ]
    field = doc["powers"]["changed"][0]["fields"][0]
    assert (field["old"], field["new"]) == ("20 工作日", "15 工作日")
    assert "工作区" in base.cli("diff", "HEAD").stdout


def test_broken_site_yaml_in_head_is_an_error(base: Repo) -> None:
    base.write("site.yaml", "title: [\n")
    result, doc = diff_json(base, "base")
    assert result.exit_code == 1
    assert [p["path"] for p in doc["introduced"]] == ["site.yaml"]


def test_unknown_revision_is_a_usage_error(base: Repo) -> None:
    result = base.cli("diff", "no-such-branch")
    assert result.exit_code == 2
    assert "找不到版本“no-such-branch”" in result.stderr
    assert "Traceback" not in result.output
    result = base.cli("diff", "base", "no-such-tag")
    assert result.exit_code == 2
    assert "找不到版本“no-such-tag”" in result.stderr


def test_outside_git_is_a_usage_error(repo: Repo) -> None:
    result = repo.cli("diff", "HEAD")
    assert result.exit_code == 2
    assert "不在 git 仓库中" in result.stderr


def test_output_is_deterministic_and_can_go_to_a_file(base: Repo) -> None:
    base.power(power("zq-a-xk-006", "己类许可", "第十七条"))
    base.power(power("zq-a-xk-005", "戊类许可", "第十六条"))
    out = base.root.parent / "diff.md"
    result = base.cli("diff", "base", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text == base.cli("diff", "base").stdout
    assert text.index("zq-a-xk-005") < text.index("zq-a-xk-006")
    assert base.cli("diff", "base", "--format", "json").stdout == (
        base.cli("diff", "base", "--format", "json").stdout
    )
    doc = json.loads(base.cli("diff", "base", "--format", "json").stdout)
    assert list(doc) == [
        "base",
        "head",
        "summary",
        "powers",
        "departments",
        "laws",
        "flows",
        "files",
        "introduced",
        "touched_departments",
        "reviewers",
    ]


def test_repository_in_a_subfolder(tmp_path: Any, repo: Repo) -> None:
    """The data repository may be a folder inside a larger git repository."""
    import shutil

    outer = tmp_path / "outer"
    shutil.copytree(repo.root, outer / "qingdan")
    inner = Repo(outer / "qingdan")
    commit(Repo(outer), "初始版本", tag="base")
    inner.power(LICENCE, name="某某许可（新）")
    _, doc = diff_json(inner, "base")
    assert ids(doc["powers"]["changed"]) == ["zq-a-xk-001"]
    assert doc["introduced"] == []
