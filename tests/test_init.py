"""``site-builder init`` and ``new department``: a new government's list, from nothing to a
built site, with nothing of the sample (肇庆) in it; and every bad input refused whole."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygit2
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import PROJECT
from pygit2.enums import ConfigLevel

from site_builder.cli import main
from site_builder.reading import sources

TITLE = "江门市行政职权权责清单"
# What the sample list holds and a new list must not: its places, codes and abbreviation.
SAMPLE = ("肇庆", "端州", "鼎湖", "德庆", "0758", "441200", "zhaoqing", "驻肇")
LEVELS = (ConfigLevel.GLOBAL, ConfigLevel.XDG, ConfigLevel.SYSTEM)


def cli(*args: str, root: Path | None = None) -> Result:
    pre = ["-C", str(root)] if root else []
    return CliRunner().invoke(main, [*pre, *args], catch_exceptions=False)


@pytest.fixture
def git_config(tmp_path: Path) -> Iterator[Path]:
    """git's configuration read from an empty folder only (no user.name / user.email), put back after."""
    home = tmp_path / "git-home"
    home.mkdir()
    saved = {level: pygit2.settings.search_path[level] for level in LEVELS}
    for level in LEVELS:
        pygit2.settings.search_path[level] = str(home)
    yield home
    for level, path in saved.items():
        pygit2.settings.search_path[level] = path


@pytest.fixture
def identity(git_config: Path) -> Path:
    """A git configuration that knows who commits."""
    (git_config / ".gitconfig").write_text(
        "[user]\n\tname = 江门市委编办\n\temail = bianban@example.org\n", encoding="utf-8"
    )
    return git_config


def init(folder: Path, *extra: str, title: str = TITLE, name: str = "江门市本级") -> Result:
    return cli("init", str(folder), "--title", title, "--jurisdiction", name, *extra)


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (git's own folder left out), by path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def everything(folder: Path) -> list[str]:
    """Every path under ``folder``, git's own folder included: what a refusal must not change."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def sample_text(folder: Path) -> list[str]:
    """The files under ``folder`` (and the members of its zips) holding text of the sample."""
    found = []
    for rel, data in files(folder).items():
        if data[:2] == b"PK":
            with zipfile.ZipFile(folder / rel) as archive:
                data += b"".join(archive.read(n) for n in archive.namelist())
        found += [f"{rel}: {word}" for word in SAMPLE if word.encode() in data]
    return found


def problems(root: Path) -> list[dict[str, Any]]:
    result = cli("validate", "--format", "json", root=root)
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return found


def commit(root: Path, message: str) -> None:
    repo = pygit2.Repository(str(root))
    repo.index.add_all()
    repo.index.write()
    who = pygit2.Signature("江门市委编办", "bianban@example.org", 1_700_000_000, 480)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", who, who, message, repo.index.write_tree(), parents)


def test_a_new_list_validates_and_builds_with_nothing_of_the_sample(
    tmp_path: Path, identity: Path
) -> None:
    home = tmp_path / "jiangmen"
    result = init(home, "--area-code", "440700")
    assert result.exit_code == 0, result.output
    assert "已建立清单仓库" in result.stderr and "提交了第一个版本" in result.stderr
    repo = pygit2.Repository(str(home))
    assert not repo.head_is_unborn and repo.head.shorthand == "main"
    assert repo.status() == {}  # everything written is in the first commit
    assert problems(home) == []
    assert cli("fmt", "--check", root=home).exit_code == 0
    assert cli("schema", "--check", root=home).exit_code == 0  # the schemas are current
    built = cli("build", root=home)  # committed: no --allow-dirty needed
    assert built.exit_code == 0, built.output
    public = home / "public"
    assert f"<title>{TITLE}" in (public / "index.html").read_text(encoding="utf-8")
    assert "440700-XK" in (public / "search/index.html").read_text(encoding="utf-8")
    assert sample_text(home) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".jiangmen")]  # no temp left


def test_without_a_git_identity_the_files_are_staged_for_the_first_commit(
    tmp_path: Path, git_config: Path
) -> None:
    home = tmp_path / "taishan"
    result = init(home, "--kind", "县级市", title="台山市权责清单", name="台山市")
    assert result.exit_code == 0, result.output
    assert "尚未提交" in result.stderr and "git config --global user.name" in result.stderr
    repo = pygit2.Repository(str(home))
    assert repo.head_is_unborn
    assert {e.path for e in repo.index} == set(files(home))
    refused = cli("build", root=home)
    assert refused.exit_code == 2 and "未提交" in refused.stderr
    commit(home, "建立清单")
    built = cli("build", root=home)
    assert built.exit_code == 0, built.output
    assert "台山市权责清单" in (home / "public/index.html").read_text(encoding="utf-8")
    assert sample_text(home) == []


def test_what_the_new_list_holds(tmp_path: Path, git_config: Path) -> None:
    home = tmp_path / "jiangmen"
    assert init(home, "--area-code", "440700").exit_code == 0
    written = files(home)
    site = sources.load_lenient(written["site.yaml"].decode("utf-8"))
    reference = yaml.safe_load((PROJECT / "site.yaml").read_text(encoding="utf-8"))
    assert written["site.yaml"].startswith(
        b"# yaml-language-server: $schema=schema/site.schema.json\n"
    )
    assert site["title"] == TITLE and site["jurisdiction"] == "jiangmen"
    assert site["categories"] == reference["categories"]
    for key in ("hotline", "notice", "licence", "editions"):
        assert site[key] == reference[key], key
    assert site["repository"]["url"].startswith("https://git.example.org/")
    assert "占位符" in written["site.yaml"].decode("utf-8")
    places = yaml.safe_load(written["data/jurisdictions.yaml"])["jurisdictions"]
    assert places == [
        {
            "id": "jiangmen",
            "name": "江门市本级",
            "kind": "市本级",
            "area_code": "440700",
            "government": "江门市人民政府",
        }
    ]
    flows = {p.name for p in (PROJECT / "data/flows").glob("*.yaml")}
    assert {r.removeprefix("data/flows/") for r in written if r.startswith("data/flows/")} == flows
    assert {"data/departments/.gitkeep", "data/laws/.gitkeep"} <= set(written)
    assert {r for r in written if r.startswith("schema/")} == {
        f"schema/{p.name}" for p in (PROJECT / "schema").glob("*.schema.json")
    }
    ignored = written[".gitignore"].decode("utf-8").split()
    assert "/.cache/" in ignored and "/public/" in ignored
    for rel in ("README.md", "CONTRIBUTING.md"):
        assert "江门市人民政府" in written[rel].decode("utf-8"), rel
    for rel in (".github/pull_request_template.md", ".gitlab/merge_request_templates/Default.md"):
        assert "site-builder validate" in written[rel].decode("utf-8"), rel
    assert not [rel for rel, data in written.items() if b"@{" in data]  # every placeholder filled


def _steps(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_steps(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_steps(v) for v in value)
    return str(value)


def test_the_ci_templates_validate_build_and_publish(tmp_path: Path, git_config: Path) -> None:
    home = tmp_path / "jiangmen"
    assert init(home).exit_code == 0
    github = yaml.safe_load((home / ".github/workflows/site.yml").read_text(encoding="utf-8"))
    assert github["permissions"] == {}
    assert github["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    text = _steps(github)
    assert "python -m venv .venv" in text and 'pip install "$SITE_BUILDER"' in text
    for command in ("site-builder validate --format github", "site-builder build", "public/"):
        assert command in text, command
    assert "actions/deploy-pages" in text and "fetch-depth: 0" in text
    gitlab = yaml.safe_load((home / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["pages"]["artifacts"]["paths"] == ["public"]
    assert "site-builder build" in gitlab["pages"]["script"]
    assert "site-builder validate" in _steps(gitlab["validate"])
    assert gitlab["variables"]["SITE_BUILDER"].startswith("site-builder==")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--area-code", "44070"), "六位数字"),
        (("--area-code", "abcdef"), "六位数字"),
        (("--area-code", "000000"), "省级代码"),
        (("--title", "权" * 200), "太长"),
        (("--title", "  "), "不能为空"),
        (("--jurisdiction", ""), "不能为空"),
        (("--id", "Bad_Id"), "小写英文字母"),
        (("--id", "con"), "保留"),
        (("--kind", "省"), "可选：市本级"),
        (("--jurisdiction", "ABC"), "--id"),  # no Chinese to make an id of
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    tmp_path: Path, git_config: Path, args: tuple[str, ...], message: str
) -> None:
    before = everything(tmp_path)
    base = {"--title": TITLE, "--jurisdiction": "江门市"}
    options = dict(zip(args[::2], args[1::2], strict=True))
    flat = [x for k, v in {**base, **options}.items() for x in (k, v)]
    result = cli("init", str(tmp_path / "jiangmen"), *flat)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "错误" in result.stderr
    assert everything(tmp_path) == before


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path, git_config: Path) -> None:
    home = tmp_path / "jiangmen"
    home.mkdir()
    (home / "notes.txt").write_text("已有文件", encoding="utf-8")
    before = everything(tmp_path)
    result = init(home)
    assert result.exit_code == 2
    assert "不是空的" in result.stderr
    assert everything(tmp_path) == before


def test_an_empty_folder_is_used(tmp_path: Path, git_config: Path) -> None:
    home = tmp_path / "jiangmen"
    home.mkdir()
    assert init(home).exit_code == 0
    assert (home / "site.yaml").is_file() and (home / ".git").is_dir()


def test_missing_title_without_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("init", str(tmp_path / "x"), "--jurisdiction", "江门市")
    assert result.exit_code == 2
    assert "缺少 --title" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_in_a_terminal_init_asks_for_what_is_missing(
    tmp_path: Path, git_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("site_builder.cli._interactive", lambda: True)
    home = tmp_path / "kaiping"
    result = CliRunner().invoke(main, ["init", str(home)], input="开平市权责清单\n开平市\n")
    assert result.exit_code == 0, result.output
    assert "清单标题" in result.output
    site = yaml.safe_load((home / "site.yaml").read_bytes())
    assert (site["title"], site["jurisdiction"]) == ("开平市权责清单", "kaiping")


@pytest.mark.parametrize(
    ("name", "kind", "jid", "government"),
    [
        ("江门市", "市本级", "jiangmen", "江门市人民政府"),
        ("台山市", "县级市", "taishan", "台山市人民政府"),
        ("蓬江区", "市辖区", "pengjiang", "蓬江区人民政府"),
        ("江门高新区", "功能区", "jiangmengaoxin", "江门高新区管委会"),
    ],
)
def test_the_jurisdiction_id_and_government_come_from_the_name(
    tmp_path: Path, git_config: Path, name: str, kind: str, jid: str, government: str
) -> None:
    home = tmp_path / "list"
    assert init(home, "--kind", kind, name=name).exit_code == 0
    (place,) = yaml.safe_load((home / "data/jurisdictions.yaml").read_bytes())["jurisdictions"]
    assert (place["id"], place["government"], place["kind"]) == (jid, government, kind)
    assert "area_code" not in place


@pytest.fixture
def home(tmp_path: Path, identity: Path) -> Path:
    home = tmp_path / "jiangmen"
    assert init(home).exit_code == 0
    return home


def fill(text: str) -> str:
    """What a person fills in: the power's content, and its basis by name (no register yet)."""
    text = text.replace('law: ""', "title: 中华人民共和国土地管理法")
    return text.replace('""', "已填写")


def test_new_department_then_new_power(home: Path) -> None:
    result = cli(
        "new", "department", "--id", "ziran-ziyuan", "--name", "江门市自然资源局", root=home
    )
    assert result.exit_code == 0, result.output
    rel = "data/departments/ziran-ziyuan/department.yaml"
    assert result.stdout.strip() == rel
    text = (home / rel).read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../../schema/department.schema.json\n"
    )
    assert "# 办公地址（可选）" in text and "# complaint_channels:" in text
    assert yaml.safe_load(text) == {
        "id": "ziran-ziyuan",
        "name": "江门市自然资源局",
        "short_name": "市自然资源局",
        "jurisdiction": "jiangmen",
        "kind": "政府工作部门",
    }
    assert (home / "data/departments/ziran-ziyuan/powers").is_dir()
    assert problems(home) == []
    assert cli("fmt", "--check", root=home).exit_code == 0
    power = cli(
        "new", "power", "--department", "ziran-ziyuan", "--category", "行政许可",
        "--name", "建设用地规划许可", root=home,
    )  # fmt: skip
    assert power.exit_code == 0, power.output
    path = home / power.stdout.strip()
    assert {p["severity"] for p in problems(home)} == {"error"}  # until it is filled in
    path.write_text(fill(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert problems(home) == []
    commit(home, "新增市自然资源局及其职权")
    built = cli("build", root=home)
    assert built.exit_code == 0, built.output
    assert "建设用地规划许可" in (home / "public/powers/ziran-ziyuan-xk-001.html").read_text(
        "utf-8"
    )
    assert sample_text(home) == []


def test_new_department_options(home: Path) -> None:
    result = cli(
        "new", "department", "--id", "zhongxin", "--name", "市政务服务中心",
        "--short-name", "政务服务中心", "--kind", "公共服务单位", "--jurisdiction", "jiangmen",
        root=home,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((home / "data/departments/zhongxin/department.yaml").read_bytes())
    assert (data["short_name"], data["kind"]) == ("政务服务中心", "公共服务单位")
    assert problems(home) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--id", "ziran-ziyuan", "--name", "江门市自然资源局"), "已存在"),
        (("--id", "Ziran_Ziyuan", "--name", "江门市自然资源局"), "小写英文字母"),
        (("--id", "index", "--name", "江门市自然资源局"), "保留"),
        (("--id", "shuiwu", "--name", "税务局", "--jurisdiction", "kaiping"), "可选：jiangmen"),
        (
            ("--id", "shuiwu", "--name", "税务局", "--kind", "中央和省驻肇单位"),
            "可选：政府工作部门",
        ),
        (("--id", "shuiwu", "--name", "  "), "不能为空"),
    ],
)
def test_new_department_refuses_bad_input_and_writes_nothing(
    home: Path, args: tuple[str, ...], message: str
) -> None:
    assert (
        cli("new", "department", "--id", "ziran-ziyuan", "--name", "甲", root=home).exit_code == 0
    )
    before = everything(home)
    result = cli("new", "department", *args, root=home)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "错误" in result.stderr
    assert everything(home) == before


def test_a_new_list_is_written_in_the_current_format(tmp_path: Path) -> None:
    from site_builder.reading import formats

    home = tmp_path / "jm"
    result = CliRunner().invoke(
        main, ["init", str(home), "--title", "江门市行政职权权责清单", "--jurisdiction", "江门市"]
    )
    assert result.exit_code == 0, result.output
    site = yaml.safe_load((home / "site.yaml").read_text(encoding="utf-8"))
    assert site["format"] == formats.CURRENT
    upgraded = CliRunner().invoke(main, ["-C", str(home), "upgrade", "--check"])
    assert upgraded.exit_code == 0, upgraded.output
