"""site.yaml is typed once, in site_builder/reading/config.py, and read through ``SiteConfig``.

A source scan fails when code outside config.py reads the untyped mapping (``config.raw``,
``….raw.get(…)``, ``….raw[…]``); the one reader left is render.py, which hands the mapping
to the templates as ``config``. The rules that type the nested settings hold when the
schema in the repository no longer says anything about them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import PROJECT, Repo

from site_builder.errors import ConfigError
from site_builder.reading.config import (
    Editions,
    Hotline,
    Licence,
    Repository,
    Reviewer,
    SiteConfig,
    load_config,
)

# Reading site.yaml's mapping instead of the typed fields.
UNTYPED = re.compile(r"\bconfig\.raw\b|\.raw\s*\.get\(|\.raw\s*\[")
# Templates read site.yaml as written, so that a theme may read keys of its own.
ALLOWED = {("render.py", '"config": site.config.raw,')}


def untyped_reads(folder: Path) -> list[str]:
    """Where a module other than config.py reads the configuration untyped: file:line."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path.name == "config.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNTYPED.search(line) and (path.name, line.strip()) not in ALLOWED:
                found.append(f"{path.name}:{number}: {line.strip()}")
    return found


def test_only_config_reads_site_yaml_untyped() -> None:
    assert untyped_reads(PROJECT / "site_builder") == []


@pytest.mark.parametrize(
    "line",
    [
        '    base = site.config.raw.get("base_url")',
        "    raw = ds.config.raw",
        '    pattern = (config.raw or {})["repository"]',
        '    tag = loaded.raw.get("editions", {})',
    ],
)
def test_the_scan_finds_an_untyped_read(tmp_path: Path, line: str) -> None:
    (tmp_path / "pages.py").write_text(f"def f():\n{line}\n", encoding="utf-8")
    assert untyped_reads(tmp_path) == [f"pages.py:2: {line.strip()}"]


def test_every_setting_of_the_sample_is_typed() -> None:
    config = load_config(PROJECT)
    assert isinstance(config, SiteConfig)
    assert config.repository == Repository(
        url="https://git.example.org/zhaoqing/quanze-qingdan",
        branch="main",
        edit_url="https://git.example.org/zhaoqing/quanze-qingdan/edit/main/{path}",
        commit_url="https://git.example.org/zhaoqing/quanze-qingdan/commit/{commit}",
        pull_url="https://git.example.org/zhaoqing/quanze-qingdan/pull/{number}",
    )
    assert config.licence == Licence(
        "CC-BY-4.0", "知识共享署名 4.0 国际许可协议", "https://creativecommons.org/licenses/by/4.0/"
    )
    assert config.editions == Editions("edition-*") and config.tag_pattern == "edition-*"
    assert config.hotline == Hotline("12345政务服务便民热线", "12345")
    assert config.reviewers == (
        Reviewer("市委编办", "zq-bianban"),
        Reviewer("市司法局", "zq-sifaju"),
    )
    assert config.base == "https://qingdan.zhaoqing.example"
    assert config.publisher and config.description and config.notice
    assert config.theme_overrides is None
    assert [c.slug for c in config.categories][:2] == ["xk", "sp"]
    # Every top-level key of the schema is a field of SiteConfig, but an old name kept for the
    # files of an older format (``deprecated``), which is read under its new one.
    schema = json.loads((PROJECT / "schema/site.schema.json").read_text(encoding="utf-8"))
    current = {k for k, v in schema["properties"].items() if not v.get("deprecated")}
    assert current <= set(SiteConfig.__dataclass_fields__)
    assert current != set(schema["properties"])  # format 1's custom_dir


def test_a_configuration_without_the_optional_settings(repo: Repo) -> None:
    text = (repo.root / "site.yaml").read_text(encoding="utf-8")
    kept = [
        block
        for block in re.split(r"\n(?=\S)", text)
        if block.split(":")[0] in ("title", "jurisdiction", "categories", "licence")
    ]
    repo.write("site.yaml", "\n".join(kept) + "\n")
    config = load_config(repo.root)
    assert (config.repository, config.editions, config.hotline, config.base_url) == (None,) * 4
    assert config.reviewers == () and config.base == "" and config.tag_pattern is None


def loosened(repo: Repo) -> None:
    """A site schema that says nothing about the nested settings."""
    path = repo.root / "schema/site.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for key in ("repository", "licence", "hotline"):
        schema["properties"][key] = {"type": "object"}
    schema["properties"]["reviewers"] = {"type": "array"}
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("repository:\n  url: 5\n", "repository.url 应为文字，实际是数字。"),
        ("repository:\n  branch: main\n", "缺少必填字段 repository.url。"),
        ("licence:\n  name: [a]\n", "licence.name 应为文字，实际是列表。"),
        ("hotline:\n  name: 热线\n", "缺少必填字段 hotline.phone。"),
        (
            "reviewers:\n  - 市委编办\n",
            "审核人应为一组字段（映射）（name、github、email），实际是文字。",
        ),
        ("reviewers:\n  - name: 甲\n    github: true\n", "审核人（第 1 个）的 github 应为文字"),
    ],
)
def test_nested_settings_are_checked_whatever_the_schema_says(
    repo: Repo, setting: str, message: str
) -> None:
    loosened(repo)
    path = repo.root / "site.yaml"
    key = setting.split(":")[0]
    kept = [
        b for b in re.split(r"\n(?=\S)", path.read_text(encoding="utf-8")) if not b.startswith(key)
    ]
    path.write_text("\n".join(kept).rstrip("\n") + "\n" + setting, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(repo.root)
    assert [p.message for p in caught.value.problems if message in p.message], [
        p.message for p in caught.value.problems
    ]
