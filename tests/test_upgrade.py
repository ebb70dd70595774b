"""Data formats and ``site-builder upgrade`` (site_builder/reading/formats.py, tools/upgrade.py).

Format 1 → 2 renames site.yaml's ``custom_dir`` to ``theme_overrides``. A format-1 list with
the old name is read under the new one, with a warning naming the file and the line; the
``upgrade`` command rewrites it in place (comments kept), sets ``format: 2``, and the list
then builds exactly as one written with the new name. A list newer than the tool stops every
command, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import LICENCE, Git, Repo, make_repo

from site_builder.history import gitstore
from site_builder.reading import formats, schemagen, sources
from site_builder.tools import upgrade

MARKER = "本市定制的页脚"
FOOTER = f'<footer class="site-footer"><p>{MARKER}</p></footer>\n'
# The lines a person added to the reference site.yaml, in format 1 and as format 2 spells them.
OLD_LINES = "# 本市只改页脚，其余沿用默认主题\ncustom_dir: overrides  # 覆盖默认主题的文件夹\n"
NEW_LINES = "# 本市只改页脚，其余沿用默认主题\ntheme_overrides: overrides  # 覆盖默认主题的文件夹\n"


def site_text(repo: Repo) -> str:
    return (repo.root / "site.yaml").read_text(encoding="utf-8")


def with_lines(text: str, lines: str) -> str:
    """``text`` (site.yaml) with ``lines`` after its title: the second field, line 3 on."""
    head, title, rest = text.split("\n", 2)
    return f"{head}\n{title}\n{lines}{rest}"


def format_one(root: Path) -> Repo:
    """A list in format 1 (no ``format``) that names its overrides folder the old way."""
    repo = make_repo(root)
    repo.write("site.yaml", with_lines(site_text(repo), OLD_LINES))
    repo.write("overrides/_footer.html", FOOTER)
    repo.write(".gitignore", ".cache/\n")  # what validate caches is not committed
    return repo


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def built(repo: Repo, out: Path) -> dict[str, bytes]:
    result = repo.cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".site-builder-output"
    }


@pytest.fixture
def old(tmp_path: Path) -> Repo:
    repo = format_one(tmp_path / "old")
    Git(repo).commit("初始版本：格式 1")
    return repo


# --- a format-1 list is read, with a warning -------------------------------------------


def test_format_one_warns_at_the_old_name_and_builds_with_it(old: Repo, tmp_path: Path) -> None:
    result = old.cli("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    found = [p for p in json.loads(result.stdout)["problems"] if p["rule"] == "format-old-name"]
    assert len(found) == 1, result.stdout
    assert found[0]["path"] == "site.yaml" and found[0]["line"] == 4  # custom_dir's line
    assert found[0]["severity"] == "warning"
    assert (
        "theme_overrides" in found[0]["message"] and "site-builder upgrade" in found[0]["message"]
    )
    text = old.cli("validate")
    assert text.stdout.startswith("site.yaml:4:")
    strict = old.cli("validate", "--strict")
    assert strict.exit_code == 1 and "custom_dir" in strict.stdout
    pages = built(old, tmp_path / "site")
    assert MARKER in pages["index.html"].decode("utf-8")  # the old name still names the folder


def test_a_format_two_list_with_the_old_name_is_a_clear_error(tmp_path: Path) -> None:
    repo = format_one(tmp_path / "repo")
    repo.write("site.yaml", "format: 2\n" + site_text(repo))
    result = repo.cli("validate")
    assert result.exit_code == 2
    assert "site.yaml:5:" in result.stdout
    assert "已在数据格式 2 中改名为 theme_overrides" in result.stdout
    assert "请把 custom_dir 改为 theme_overrides" in result.stdout


def test_both_names_at_once_is_an_error(tmp_path: Path) -> None:
    repo = format_one(tmp_path / "repo")
    repo.write("site.yaml", site_text(repo) + "theme_overrides: overrides\n")
    result = repo.cli("validate")
    assert result.exit_code == 2 and "两者不能同时填写" in result.stdout
    assert repo.cli("upgrade").exit_code == 1
    assert "custom_dir" in site_text(repo)  # nothing written


# --- upgrade ---------------------------------------------------------------------------


def test_upgrade_check_lists_the_change_and_writes_nothing(old: Repo) -> None:
    before = snapshot(old.root)
    result = old.cli("upgrade", "--check")
    assert result.exit_code == 1, result.output
    assert "数据格式 1 → 2" in result.stdout
    assert "site.yaml 第 4 行：custom_dir → theme_overrides" in result.stdout
    assert "format: 2" in result.stdout
    assert "需要升级" in result.stderr
    assert snapshot(old.root) == before


def test_upgrade_rewrites_in_place_and_builds_as_the_new_name_does(
    old: Repo, tmp_path: Path
) -> None:
    original = site_text(old)
    result = old.cli("upgrade")
    assert result.exit_code == 0, result.output
    assert "site.yaml 第 4 行：custom_dir → theme_overrides" in result.stdout
    assert "已升级到数据格式 2" in result.stderr
    # Only the key changed and format came first: comments and every other line kept.
    expected = with_lines(original.replace(OLD_LINES, ""), NEW_LINES)
    expected = expected.replace("title:", "format: 2\ntitle:", 1)
    assert site_text(old) == expected
    assert "# 覆盖默认主题的文件夹" in site_text(old)
    clean = old.cli("validate", "--strict")
    assert clean.exit_code == 0 and clean.stdout == "", clean.output
    again = old.cli("upgrade")
    assert again.exit_code == 0 and "无需升级" in again.stderr and again.stdout == ""
    Git(old).commit("升级到数据格式 2")

    # The same list, changed by hand in the same way: the same commits (trees and times).
    written = format_one(tmp_path / "new")
    Git(written).commit("初始版本：格式 1")
    written.write("site.yaml", expected)
    Git(written).commit("升级到数据格式 2")
    upgraded = built(old, tmp_path / "upgraded")
    assert MARKER in upgraded["index.html"].decode("utf-8")
    assert upgraded == built(written, tmp_path / "written")


def test_upgrade_on_an_up_to_date_list_has_nothing_to_do(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.write("site.yaml", f"format: {formats.CURRENT}\n" + site_text(repo))
    before = snapshot(repo.root)
    for args in (("upgrade", "--check"), ("upgrade",)):
        result = repo.cli(*args)
        assert result.exit_code == 0, result.output
        assert result.stdout == "" and f"已是数据格式 {formats.CURRENT}，无需升级" in result.stderr
    assert snapshot(repo.root) == before


def test_a_format_one_list_without_old_names_only_gets_its_format(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")  # like the reference list: no format, no old name
    assert repo.cli("validate", "--strict").exit_code == 0
    result = repo.cli("upgrade")
    assert result.exit_code == 0, result.output
    assert "site.yaml 第 2 行：在此行之前加上 format: 2（原先未写，即格式 1）" in result.stdout
    assert site_text(repo).startswith(
        "# yaml-language-server: $schema=schema/site.schema.json\nformat: 2\ntitle:"
    )


def test_upgrade_writes_nothing_when_any_file_cannot_be_read(old: Repo) -> None:
    old.write("data/laws/broken.yaml", "title: [未闭合\n")
    before = snapshot(old.root)
    result = old.cli("upgrade")
    assert result.exit_code == 1
    assert "data/laws/broken.yaml" in result.stderr and "未改写任何文件" in result.stderr
    assert snapshot(old.root) == before


def test_a_hand_kept_schema_that_refuses_the_upgrade_stops_it(old: Repo) -> None:
    path = old.root / "schema/site.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    del schema["properties"]["format"], schema["properties"]["theme_overrides"]
    path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert old.cli("validate").exit_code == 0  # its own old schema still reads format 1
    before = snapshot(old.root)
    result = old.cli("upgrade")
    assert result.exit_code == 1
    assert "schema/site.schema.json" in result.stderr and "本仓库自己维护" in result.stderr
    assert snapshot(old.root) == before


def test_upgrade_rewrites_the_schemas_the_tool_wrote(tmp_path: Path) -> None:
    repo = format_one(tmp_path / "repo")
    written = schemagen.generate(["行政许可", "行政处罚"])
    site = json.loads(written["schema/site.schema.json"])
    del site["properties"]["format"]  # as an older tool wrote it
    written["schema/site.schema.json"] = schemagen.dump(site)
    for rel, raw in written.items():
        repo.write(rel, raw)
    result = repo.cli("upgrade")
    assert result.exit_code == 0, result.output
    assert "schema/site.schema.json：按已安装的 site-builder" in result.stdout
    categories = [c["name"] for c in sources.parse("", site_text(repo))[0]["categories"]]
    assert (repo.root / "schema/site.schema.json").read_bytes() == schemagen.generate(categories)[
        "schema/site.schema.json"
    ]
    assert repo.cli("validate", "--strict").exit_code == 0


# --- a list newer than the tool --------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("validate",),
        ("build", "--out", "site"),
        ("upgrade",),
        ("upgrade", "--check"),
        ("fmt",),
        ("codeowners",),
        ("new", "power", "--department", "zq-a", "--category", "行政许可", "--name", "某许可"),
    ],
)
def test_a_list_newer_than_the_tool_stops_every_command(tmp_path: Path, args: tuple[str]) -> None:
    repo = format_one(tmp_path / "repo")
    repo.write("site.yaml", "format: 99\n" + site_text(repo).replace("custom_dir", "future_key"))
    before = snapshot(repo.root)
    result = repo.cli(*[a if a != "site" else str(tmp_path / "site") for a in args])
    assert result.exit_code == 2, result.output
    assert "数据格式为 99" in result.stderr and "site-builder 0.1.0" in result.stderr
    assert "pip install --upgrade site-builder" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(repo.root) == before and not (tmp_path / "site").exists()


@pytest.mark.parametrize("value", ["0", "二", "1.5", "true", "'2'"])
def test_a_format_that_is_not_a_whole_number_is_a_configuration_error(
    tmp_path: Path, value: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    repo.write("site.yaml", site_text(repo) + f"format: {value}\n")
    result = repo.cli("validate")
    assert result.exit_code == 2
    assert "format（数据格式版本）应为不小于 1 的整数" in result.stdout
    assert result.stdout.startswith("site.yaml:")


# --- the table and the edits it makes --------------------------------------------------


def test_the_steps_lead_from_the_first_format_to_the_current_one() -> None:
    versions = [formats.FIRST] + [step.target for step in formats.STEPS]
    assert [step.source for step in formats.STEPS] == versions[:-1]
    assert versions == list(range(formats.FIRST, formats.CURRENT + 1))


def test_the_old_name_of_each_rename_is_unknown_to_the_reference_data() -> None:
    from conftest import PROJECT

    texts = [(PROJECT / "site.yaml").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (PROJECT / "data").rglob("*.yaml")]
    for step in formats.STEPS:
        for rename in step.renames:
            assert not any(f"{rename.old}:" in text for text in texts), rename


def test_a_rename_inside_lists_of_a_record_is_read_and_rewritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rename = formats.Rename("power", ("fees", "*"), "standard", "amount")
    step = formats.Step(1, 2, "测试", (rename,))
    monkeypatch.setattr(formats, "STEPS", (step,))
    monkeypatch.setattr(formats, "_BY_KIND", {"power": [(step, rename)]})
    text = (
        "id: a\nfees:\n  # 第一项\n  - item: 工本费\n    standard: 10 元  # 按件\n"
        '  - item: 其他\n  - {item: 证书, "standard": 免费}\n'
    )
    data = sources.parse("p.yaml", text)[0]
    migrated, problems = formats.migrate("power", "p.yaml", data, 1)
    assert migrated["fees"] == [
        {"item": "工本费", "amount": "10 元"},
        {"item": "其他"},
        {"item": "证书", "amount": "免费"},
    ]
    assert data["fees"][0] == {"item": "工本费", "standard": "10 元"}  # not changed in place
    assert [p.pointer for p in problems] == [("fees", 0, "standard"), ("fees", 2, "standard")]
    new, changes = formats.rewrite("power", "p.yaml", text, data, 1)
    assert new == text.replace("    standard:", "    amount:").replace('"standard"', "amount")
    assert [(c.line, c.what) for c in changes] == [
        (5, "standard → amount"),
        (7, "standard → amount"),
    ]
    assert formats.migrate("power", "p.yaml", data, 2)[1][0].severity == "error"


def test_edits_in_place_keep_line_endings_and_refuse_what_they_cannot_do() -> None:
    assert (
        sources.set_top_level("a: 1\r\nb: 2\r\n", "format", "2") == "format: 2\r\na: 1\r\nb: 2\r\n"
    )
    assert sources.set_top_level("# x\nformat: 1 # y\n", "format", "2") == "# x\nformat: 2 # y\n"
    with pytest.raises(sources.EditError):
        sources.set_top_level("{a: 1}\n", "format", "2")
    with pytest.raises(sources.EditError):
        sources.rename_keys("a: 1\n", [(("b",), "c")])


def test_an_edition_in_format_one_brings_its_overrides_folder(old: Repo, tmp_path: Path) -> None:
    site, _ = gitstore.export_revision(old.root, "HEAD", tmp_path / "export")
    assert (site / "overrides/_footer.html").read_text(encoding="utf-8") == FOOTER


def test_upgrade_leaves_nothing_behind_when_a_file_changes_meanwhile(old: Repo) -> None:
    found = upgrade.plan(old.root)
    assert found.changes and not found.problems
    old.write("site.yaml", site_text(old) + "# 另一个人刚改的\n")
    before = snapshot(old.root)
    with pytest.raises(Exception, match="在升级过程中被修改"):
        upgrade.write(old.root, found)
    assert snapshot(old.root) == before  # no temporary files left either


def test_a_record_of_an_older_format_warns_at_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rename = formats.Rename("power", (), "remark", "note")
    step = formats.Step(1, 2, "测试", (rename,))
    monkeypatch.setattr(formats, "_BY_KIND", {"power": [(step, rename)]})
    repo = make_repo(tmp_path / "repo")
    path = repo.power(LICENCE, remark="备注文字")
    result = repo.cli("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.stdout)["problems"]
    line = path.read_text(encoding="utf-8").splitlines().index("remark: 备注文字") + 1
    assert (found["path"], found["line"], found["rule"]) == (
        "data/departments/zq-a/powers/zq-a-xk-001.yaml",
        line,
        "format-old-name",
    )
