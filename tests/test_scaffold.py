"""``new power``: a scaffold with a comment on every field that validates once filled in."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PROJECT, Repo

CATEGORIES = [
    "行政许可",
    "非行政许可审批",
    "行政处罚",
    "行政强制",
    "行政征收",
    "行政给付",
    "行政检查",
    "行政指导",
    "行政确认",
    "其他",
]


def fill(text: str) -> str:
    """Fill in the required values the way a person would: only the empty values, comments kept."""
    text = text.replace('law: ""', "law: xingzheng-xuke-fa")
    return text.replace('""', "已填写")


def file_problems(repo: Repo, rel: str) -> list[dict]:
    result = repo.cli("validate", "--format", "json")
    return [p for p in json.loads(result.stdout)["problems"] if p["path"] == rel]


@pytest.mark.parametrize("category", CATEGORIES)
def test_scaffold_validates_once_filled_in(repo: Repo, category: str) -> None:
    result = repo.cli(
        "new", "power", "--department", "zq-a", "--category", category, "--name", "新的职权"
    )
    assert result.exit_code == 0, result.output
    rel = result.stdout.strip()
    path = repo.root / rel
    assert path.is_file()
    before = file_problems(repo, rel)
    assert before and all(p["severity"] == "error" for p in before)
    assert "content" in {p["field"] for p in before}
    path.write_text(fill(path.read_text(encoding="utf-8")), encoding="utf-8")
    assert file_problems(repo, rel) == []


def test_scaffold_has_a_comment_on_every_field(repo: Repo) -> None:
    rel = repo.cli(
        "new", "power", "--department", "zq-a", "--category", "行政处罚", "--name", "某处罚"
    ).stdout.strip()
    text = (repo.root / rel).read_text(encoding="utf-8")
    schema = json.loads((PROJECT / "schema/power.schema.json").read_text(encoding="utf-8"))
    for key, prop in schema["properties"].items():
        if key in ("coercion", "levy"):
            assert not re.search(
                rf"^#? ?{key}:", text, re.MULTILINE
            )  # blocks of other categories are left out
            continue
        assert f"# {prop['title']}（" in text, key
        assert re.search(rf"^(# )?{key}:", text, re.MULTILINE), key
    assert "ref: xingzheng-chufa-yiban" in text


def test_scaffold_numbers_ids_per_department_and_category(repo: Repo) -> None:
    first = repo.cli(
        "new", "power", "--department", "zq-a", "--category", "行政许可", "--name", "甲"
    ).stdout.strip()
    assert first.endswith("zq-a-xk-002.yaml")  # zq-a-xk-001 exists in the fixture
    second = repo.cli(
        "new", "power", "--department", "zq-a", "--category", "行政许可", "--name", "乙"
    ).stdout.strip()
    assert second.endswith("zq-a-xk-003.yaml")
    custom = repo.cli(
        "new",
        "power",
        "--department",
        "zq-a",
        "--category",
        "其他",
        "--name",
        "丙",
        "--id",
        "zq-a-bingxiang",
    ).stdout.strip()
    assert custom.endswith("zq-a-bingxiang.yaml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--department", "zq-nobody", "--category", "行政许可", "--name", "甲"], "zq-a"),
        (["--department", "zq-a", "--category", "行政审批", "--name", "甲"], "行政许可"),
        (
            [
                "--department",
                "zq-a",
                "--category",
                "行政许可",
                "--name",
                "甲",
                "--id",
                "zq-a-xk-001",
            ],
            "已存在",
        ),
        (
            ["--department", "zq-a", "--category", "行政许可", "--name", "甲", "--id", "Bad_ID"],
            "无效",
        ),
        (["--department", "zq-a", "--category", "行政许可", "--name", " "], "不能为空"),
    ],
)
def test_scaffold_refuses_bad_requests(repo: Repo, args: list[str], message: str) -> None:
    before = sorted(p.name for p in (repo.root / "data/departments/zq-a/powers").iterdir())
    result = repo.cli("new", "power", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert sorted(p.name for p in (repo.root / "data/departments/zq-a/powers").iterdir()) == before
