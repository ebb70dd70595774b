"""The update trail on the site: power pages, changelogs, feeds, changes.csv, editions, dirty and shallow repositories."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import LICENCE, PENALTY, Git, Repo

from site_builder.build import build

SECRET = {
    **PENALTY,
    "id": "zq-a-cf-009",
    "name": "绝密核查处罚事项",
    "disclosure": {
        "public": False,
        "reason": "涉及国家秘密",
        "basis": "《中华人民共和国保守国家秘密法》第十三条",
    },
}


def built(repo: Repo, *args: str) -> Path:
    result = repo.cli("build", *args)
    assert result.exit_code == 0, result.output
    return repo.root / "public"


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def everything(out: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(out.rglob("*")) if p.is_file()
    )


def history_fixture(git: Git) -> None:
    git.pull_request(
        12,
        "缩短承诺时限",
        lambda: git.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"}),
        author="张三",
    )
    git.tag("edition-2023-1")
    git.pull_request(13, "新增秘密事项", lambda: git.repo.power(SECRET))
    cancel = {"status": "已取消", "adjustment": {"action": "取消", "reason": "国务院决定取消"}}
    git.pull_request(14, "取消处罚事项", lambda: git.repo.power(PENALTY, **cancel), squash=True)
    git.tag("edition-2023-2")


def test_power_page_shows_its_trail_with_links(git: Git) -> None:
    history_fixture(git)
    page = read(built(git.repo), "powers/zq-a-xk-001.html")
    trail = page.split('id="trail"', 1)[1]
    assert "缩短承诺时限" in trail and "承诺时限：10个工作日 → 5个工作日" in trail
    assert 'href="https://git.example.org/zhaoqing/quanze-qingdan/pull/12"' in trail
    assert "/commit/" in trail and "新增" in trail
    merge = git.git[git.git.references["refs/tags/edition-2023-1"].target]  # the merge of #12
    published = (
        datetime.fromtimestamp(merge.commit_time, timezone(timedelta(hours=8))).date().isoformat()
    )
    assert f'最后更新：<time datetime="{published}">' in page
    assert "初始版本" in trail and str(merge.id)[:8] in trail


def test_site_and_department_changelogs_feed_and_csv(git: Git) -> None:
    history_fixture(git)
    out = built(git.repo)
    changelog = read(out, "changes/index.html")
    assert changelog.index("取消处罚事项") < changelog.index("缩短承诺时限")  # newest first
    assert "缩短承诺时限" in read(out, "departments/zq-a/changes.html")
    feed = ET.fromstring(read(out, "changes/feed.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert entries and len({e.findtext("a:id", namespaces=ns) for e in entries}) == len(entries)
    assert entries[0].findtext("a:title", namespaces=ns) == "【取消】对某某违法行为的行政处罚"
    assert all(e.findtext("a:updated", namespaces=ns).endswith("Z") for e in entries)  # type: ignore[union-attr]
    ET.fromstring(read(out, "departments/zq-a/feed.xml"))
    rows = list(csv.DictReader(io.StringIO(read(out, "data/changes.csv"))))
    limit = next(r for r in rows if r["pull_request"] == "12")
    assert (limit["change"], limit["record_id"], limit["fields"], limit["author"]) == (
        "变更",
        "zq-a-xk-001",
        "承诺时限",
        "张三",
    )
    assert next(r for r in rows if r["pull_request"] == "14")["change"] == "取消"


def test_non_public_powers_never_appear_in_any_history_output(git: Git) -> None:
    history_fixture(git)
    # A public power made non-public later: its earlier, public changes must disappear too.
    git.pull_request(
        15, "调整公开属性", lambda: git.repo.power(LICENCE, disclosure=SECRET["disclosure"])
    )
    out = built(git.repo)
    text = everything(out)
    for secret in (
        "绝密核查处罚事项",
        "zq-a-cf-009",
        "新增秘密事项",
        "某某许可",
        "缩短承诺时限",
        "调整公开属性",
    ):
        assert secret not in text, secret


def test_editions_from_tags(git: Git) -> None:
    history_fixture(git)
    out = built(git.repo)
    listing = read(out, "editions/index.html")
    assert listing.index("edition-2023-2") < listing.index("edition-2023-1")
    second = read(out, "editions/edition-2023-2.html")
    cancelled = second.split("<h3>取消（", 1)[1].split("</ul>", 1)[0]
    assert cancelled.startswith("1 项") and "对某某违法行为的行政处罚" in cancelled
    assert "绝密核查处罚事项" not in second and "另有 1 项依法不公开的职权" in second
    first = read(out, "editions/edition-2023-1.html")
    assert "对某某违法行为的行政处罚" in first and "与上一版本" not in first


def test_a_site_without_git_says_so(repo: Repo) -> None:
    out = built(repo)
    assert "未使用 git 管理" in read(out, "powers/zq-a-xk-001.html")
    assert "未使用 git 管理" in read(out, "changes/index.html")
    assert read(out, "data/changes.csv").splitlines() == [
        "date,commit,pull_request,change,record_type,record_id,name,department,fields,note,author"
    ]


def test_uncommitted_data_is_refused_unless_allowed_and_marked_in_previews(
    git: Git, tmp_path: Path
) -> None:
    git.repo.power(LICENCE, name="尚未提交的名称")
    result = git.repo.cli("build")
    assert (
        result.exit_code == 2 and "未提交" in result.stderr and "zq-a-xk-001.yaml" in result.stderr
    )
    assert not (git.repo.root / "public").exists()
    out = built(git.repo, "--allow-dirty")
    assert "尚未提交的名称" in read(out, "powers/zq-a-xk-001.html")
    assert "<strong>未提交</strong>" not in read(out, "powers/zq-a-xk-001.html")
    build(git.repo.root, tmp_path / "preview", preview=True)
    assert "<strong>未提交</strong>" in read(tmp_path / "preview", "powers/zq-a-xk-001.html")
    assert "<strong>未提交</strong>" not in read(tmp_path / "preview", "powers/zq-a-cf-001.html")


def test_shallow_clone_is_a_warning_and_strict_fails(git: Git) -> None:
    git.pull_request(1, "修改", lambda: git.repo.power(LICENCE, name="新名"))
    # git marks a shallow clone's boundary commits in .git/shallow.
    (git.repo.root / ".git" / "shallow").write_text(f"{git.git.head.target}\n", encoding="utf-8")
    result = git.repo.cli("build")
    assert result.exit_code == 0 and ".git: warning:" in result.stdout and "浅克隆" in result.stdout
    strict = git.repo.cli("build", "--strict")
    assert strict.exit_code == 1 and ".git: error:" in strict.stdout


def test_each_edition_has_its_own_downloads_read_from_its_tag(git: Git) -> None:
    import json

    history_fixture(git)
    out = built(git.repo)
    first = json.loads(read(out, "editions/edition-2023-1/data/powers.json"))
    second = json.loads(read(out, "editions/edition-2023-2/data/powers.json"))
    status = {p["id"]: p["status"] for p in first}
    assert status == {"zq-a-cf-001": "在用", "zq-a-xk-001": "在用"}  # before the cancellation
    assert {p["id"]: p["status"] for p in second}["zq-a-cf-001"] == "已取消"
    assert "绝密核查处罚事项" not in read(out, "editions/edition-2023-2/data/powers.json")
    assert 'href="edition-2023-1/data/datapackage.json"' in read(
        out, "editions/edition-2023-1.html"
    )
