"""``site-builder codeowners``: CODEOWNERS generated from department maintainers and site reviewers."""

from __future__ import annotations

from conftest import DEPARTMENT, PROJECT, Repo

from site_builder.tools import codeowners


def with_accounts(repo: Repo) -> None:
    repo.department(
        maintainers=[
            {"name": "市甲局法规科", "github": "zq-a-fagui"},
            {"name": "市甲局办公室"},
            {"name": "市甲局审批科", "github": "zq-a-shenpi"},
        ]
    )
    repo.department({**DEPARTMENT, "id": "zq-c", "maintainers": [{"name": "市丙局办公室"}]})
    repo.department({**DEPARTMENT, "id": "zq-b"})


def test_generated_content(repo: Repo) -> None:
    with_accounts(repo)
    result = repo.cli("codeowners")
    assert result.exit_code == 0, result.output
    assert "已生成：CODEOWNERS" in result.stderr
    text = (repo.root / "CODEOWNERS").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# 本文件由 site-builder codeowners 生成，请勿手工编辑")
    assert any("do not edit by hand" in line for line in lines[:4])
    site = "@zq-bianban @zq-sifaju"
    for path in (
        "/schema/",
        "/data/laws/",
        "/data/flows/",
        "/site.yaml",
        "/data/jurisdictions.yaml",
    ):
        assert f"{path} {site}" in lines
    assert f"* {site}" in lines
    # Accounts sorted; maintainers without an account are left out of the rule.
    assert "/data/departments/zq-a/ @zq-a-fagui @zq-a-shenpi" in lines
    owners = [
        line for line in lines if line.startswith(("/data/departments/", "# /data/departments/"))
    ]
    assert [line.split("/")[3] for line in owners] == ["zq-a", "zq-b", "zq-c"]
    # A department without any account is named in a comment, not silently skipped.
    for dept in ("zq-b", "zq-c"):
        assert any(
            line.startswith(f"# /data/departments/{dept}/：") and "没有填写账号" in line
            for line in lines
        )
        assert not any(line.startswith(f"/data/departments/{dept}/") for line in lines)
    # The catch-all rule comes first: in CODEOWNERS the last matching rule wins.
    assert lines.index(f"* {site}") < lines.index(f"/schema/ {site}")


def test_site_without_reviewer_accounts(repo: Repo) -> None:
    site = (repo.root / "site.yaml").read_text(encoding="utf-8")
    site = site.replace("    github: zq-bianban\n", "").replace("    github: zq-sifaju\n", "")
    repo.write("site.yaml", site)
    text = codeowners.generate(repo.root)
    assert "# /schema/：site.yaml 的 reviewers 中没有填写账号（github）" in text
    assert "\n/schema/" not in text


def test_check_exit_codes(repo: Repo) -> None:
    with_accounts(repo)
    missing = repo.cli("codeowners", "--check")
    assert missing.exit_code == 1
    assert "+++ b/CODEOWNERS" in missing.stdout
    assert "CODEOWNERS 缺失或已过期" in missing.stderr
    assert not (repo.root / "CODEOWNERS").exists()  # --check writes nothing

    assert repo.cli("codeowners").exit_code == 0
    current = repo.cli("codeowners", "--check")
    assert current.exit_code == 0, current.output
    assert current.stdout == ""

    repo.department(maintainers=[{"name": "市甲局法规科", "github": "zq-a-new"}])
    before = (repo.root / "CODEOWNERS").read_text(encoding="utf-8")
    stale = repo.cli("codeowners", "--check")
    assert stale.exit_code == 1
    assert "-/data/departments/zq-a/ @zq-a-fagui @zq-a-shenpi" in stale.stdout
    assert "+/data/departments/zq-a/ @zq-a-new" in stale.stdout
    assert (repo.root / "CODEOWNERS").read_text(encoding="utf-8") == before


def test_deterministic(repo: Repo) -> None:
    with_accounts(repo)
    first = codeowners.generate(repo.root)
    assert codeowners.generate(repo.root) == first
    repo.cli("codeowners")
    assert (repo.root / "CODEOWNERS").read_bytes() == first.encode("utf-8")


def test_broken_department_file_is_reported(repo: Repo) -> None:
    repo.write("data/departments/zq-a/department.yaml", "id: zq-a\nname: [\n")
    result = repo.cli("codeowners")
    assert result.exit_code == 1
    assert "data/departments/zq-a/department.yaml" in result.output
    assert "Traceback" not in result.output


def test_the_repository_codeowners_is_current() -> None:
    """The project's own CODEOWNERS matches its sample data (run site-builder codeowners after editing)."""
    assert codeowners.check(PROJECT).current, codeowners.check(PROJECT).diff
    text = (PROJECT / "CODEOWNERS").read_text(encoding="utf-8")
    assert "/data/departments/zq-ziran-ziyuan/ @zq-zrzy-fagui" in text
    assert "没有填写账号" not in text.split("# 各部门", 1)[1]
