"""Nothing is written outside the output, and no two outputs share a path (#15).

Real repositories (the ``repo`` fixture, committed with git where the build needs it), the
real CLI and the real output stage: names from the repository that become part of paths
are refused where they are read, and the output stage refuses any path that could lead
out of the new output even if a name got through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import LAW, LICENCE, Git, Repo

from site_builder.errors import SiteBuilderError
from site_builder.history.editions import Edition
from site_builder.publishing import output
from site_builder.reading.schemas import Schemas
from site_builder.structure.pages import distinct, publishable_editions


def _config(repo: Repo) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((repo.root / "site.yaml").read_text(encoding="utf-8"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _built(repo: Repo) -> dict[str, bytes]:
    repo.write(".gitignore", "/public/\n/.cache/\n")
    Git(repo).commit("初始版本")
    assert repo.cli("build").exit_code == 0
    return _snapshot(repo.root / "public")


def test_a_category_code_that_climbs_out_is_a_configuration_error(
    repo: Repo, tmp_path: Path
) -> None:
    """The reported case: no letter, a code of ``../``: it once wrote tmp_path/x.html."""
    before = _built(repo)
    config = _config(repo)
    del config["categories"][-1]["letter"]
    config["categories"][-1]["code"] = "../../../x"
    repo.write("site.yaml", config)
    Git(repo).commit("改类别编码")
    for command in ("validate", "build"):
        result = repo.cli(command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "site.yaml:" in result.output and "不能用作网页文件名" in result.output
    assert not list(tmp_path.rglob("x.html"))
    assert _snapshot(repo.root / "public") == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(categories=5), "职权类别应为列表"),
        (lambda c: c.update(repository="abc"), "应为一组字段"),
        (lambda c: c["repository"].update(edit_url="javascript:alert(1)//{path}"), "http://"),
        (lambda c: c["repository"].update(commit_url="data:text/html,x{commit}"), "http://"),
        (lambda c: c["repository"].update(pull_url="https://x.example/ {number}"), "不含空格"),
        (lambda c: c["categories"][1].update(letter="XK"), "字母代码“XK”重复"),
        (lambda c: c["categories"][1].update(letter="PRN"), "Windows 保留的名称"),
        (lambda c: [x.pop("letter") for x in c["categories"][:2]] and None, ""),
    ],
    ids=["categories-5", "repository-text", "javascript", "data", "space", "letter", "prn", "ok"],
)
def test_site_configuration_errors_exit_2_with_the_line(
    repo: Repo, change: object, message: str
) -> None:
    config = _config(repo)
    change(config)  # type: ignore[operator]
    repo.write("site.yaml", config)
    result = repo.cli("validate")
    if not message:  # codes "1" and "2" name the pages when there is no letter: fine
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("site.yaml:")]
    assert message in line and int(line.split(":")[1]) > 1


def test_codes_that_differ_only_in_case_are_refused(repo: Repo) -> None:
    config = _config(repo)
    for c, code in zip(config["categories"][:2], ("ab", "AB"), strict=True):
        del c["letter"]
        c["code"] = code
    repo.write("site.yaml", config)
    result = repo.cli("validate")
    assert result.exit_code == 2 and "只差大小写" in result.output, result.output


def test_a_schema_loosened_in_the_repository_does_not_let_unsafe_names_through(
    repo: Repo,
) -> None:
    """schema/ is in the repository: the id rule holds in the code whatever it says."""
    path = repo.root / "schema/common.schema.json"
    path.write_text(path.read_text(encoding="utf-8").replace("^[a-z0-9][a-z0-9-]*$", "^.+$"))
    site = repo.root / "schema/site.schema.json"
    site.write_text(
        site.read_text(encoding="utf-8").replace('"type": "array",\n      "minItems"', '"minItems"')
    )
    repo.power(LICENCE, id="ZQ-A-XK-001")  # the upper-case twin of zq-a-xk-001
    found = json.loads(repo.cli("validate", "--format", "json").stdout)["problems"]
    assert [p["path"] for p in found if p["rule"] == "slug"] == [
        "data/departments/zq-a/powers/ZQ-A-XK-001.yaml"
    ]
    config = _config(repo)
    config["categories"] = 5
    repo.write("site.yaml", config)
    result = repo.cli("validate")
    assert result.exit_code == 2 and "categories 应为列表" in result.output, result.output


@pytest.mark.parametrize("name", ["index", "con", "lpt1"])
def test_reserved_record_ids_are_data_errors(repo: Repo, name: str) -> None:
    repo.law({**LAW, "id": name})
    found = json.loads(repo.cli("validate", "--format", "json").stdout)["problems"]
    [problem] = [p for p in found if p["rule"] == "slug"]
    assert problem["path"] == f"data/laws/{name}.yaml" and problem["line"] == 1


def test_an_id_ending_in_a_newline_fails_the_schema(repo: Repo, tmp_path: Path) -> None:
    """Python's ``$`` matches before a final newline; JSON Schema's (ECMA-262) does not."""
    schemas = Schemas(repo.root / "schema")
    assert schemas.check("power", {**LICENCE, "id": "zq-a-xk-001\n"})
    assert not schemas.check("power", LICENCE)
    # A real record, its id quoted in YAML, in a file whose name ends in the newline too.
    text = (repo.root / "data/laws/xingzheng-xuke-fa.yaml").read_text(encoding="utf-8")
    text = text.replace("id: xingzheng-xuke-fa", 'id: "zq-a-xk-001\\n"')
    (repo.root / "data/laws/zq-a-xk-001\n.yaml").write_text(text, encoding="utf-8")
    result = repo.cli("validate", "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["problems"]
    assert any(p["path"] == "data/laws/zq-a-xk-001\n.yaml" and p["rule"] == "schema" for p in found)
    result = repo.cli("build", "--allow-dirty", "--out", str(tmp_path / "site"))
    assert result.exit_code == 1 and not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    "rel",
    ["/etc/x", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "", "a/", "x\n.html", "C:x"],
)
def test_the_output_stage_refuses_a_path_that_could_lead_out(tmp_path: Path, rel: str) -> None:
    out = tmp_path / "site"
    with pytest.raises(SiteBuilderError, match="内部错误"), output.staged(out) as staging:
        staging.put({rel: b"x"})
    assert not out.exists() and not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # the staging folder removed, nothing else


def test_the_output_stage_refuses_a_folder_that_leads_out(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with pytest.raises(SiteBuilderError, match="输出目录之外"), output.staged(out) as staging:
        (staging.folder / "assets").symlink_to(tmp_path)
        staging.put({"assets/x.css": b"x"})
    assert not (tmp_path / "x.css").exists()


def test_two_outputs_at_one_path_stop_the_build() -> None:
    with pytest.raises(SiteBuilderError, match=r"index\.html.*Index\.html"):
        output.joined({"powers/index.html": 1}, {"powers/Index.html": 2})
    with pytest.raises(
        SiteBuilderError, match=r"laws/x\.html（模板 a\.html）.*laws/x\.html（模板 b\.html）"
    ):
        distinct([("laws/x.html", "模板 a.html"), ("laws/x.html", "模板 b.html")])
    assert output.joined({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}


def _edition(tag: str, when: int) -> Edition:
    return Edition(tag, "0" * 40, "2024-01-01", when, "", {})


def test_edition_tags_that_share_a_page_keep_the_older_and_warn() -> None:
    editions = [
        _edition("edition-2024", 1),
        _edition("Edition-2024", 2),  # case
        _edition("edition_2024".replace("_", " "), 3),  # punctuation: "edition 2024"
        _edition("edition-2025", 4),
        _edition("edition 2025", 5),
        _edition("edition-第一版", 6),
        _edition("edition-第二版", 7),  # non-ASCII: both edition----
        _edition("index", 8),
        _edition("..x", 9),
    ]
    kept, problems = publishable_editions(editions)
    assert [e.tag for e in kept] == ["edition-2024", "edition-2025", "edition-第一版"]
    assert len(problems) == 6 and all(p.severity == "warning" for p in problems)
    assert "edition-2024" in problems[0].message and "Edition-2024" in problems[0].message


def test_colliding_edition_tags_build_with_a_warning(repo: Repo) -> None:
    repo.write(".gitignore", "/public/\n/.cache/\n")
    git = Git(repo)
    first = git.commit("初始版本")
    git.git.create_tag("edition-2024-1", first, 1, git.signature("编办"), "第一版")  # 1: a commit
    repo.power(LICENCE, name="改名的许可")
    second = git.commit("改名")
    git.git.create_tag("edition-2024+1", second, 1, git.signature("编办"), "同名")
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    assert "edition-2024+1" in result.output and "未发布该版本" in result.output
    page = (repo.root / "public/editions/edition-2024-1.html").read_text(encoding="utf-8")
    assert "第一版" in page and "edition-2024+1" not in page
    # A pushed tag is not something a commit can fix: --strict keeps it a warning.
    strict = repo.cli("build", "--strict")
    assert strict.exit_code == 0 and "edition-2024+1" in strict.output, strict.output
