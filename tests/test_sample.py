"""The bundled sample: the pilot units of the 2016 Zhaoqing plan, clean and complete."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import PROJECT, Repo

from site_builder.build import check_repository
from site_builder.reading.model import Dataset


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    checked = check_repository(PROJECT, strict=True)
    assert checked.problems == []
    return checked.dataset


def test_sample_validates_strictly(sample: Repo) -> None:
    result = sample.cli("validate", "--strict")
    assert result.exit_code == 0, result.stdout
    assert sample.cli("fmt", "--check").exit_code == 0


def test_sample_with_one_broken_file_names_that_file_and_line(sample: Repo) -> None:
    rel = "data/departments/zq-ziran-ziyuan/powers/zq-ziran-ziyuan-xk-001.yaml"
    path = sample.root / rel
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("category:"))
    lines[index] = "category: 行政审批\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = sample.cli("validate", "--format", "json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert (problem["path"], problem["line"], problem["field"]) == (rel, index + 1, "category")


def test_pilot_units_are_present(dataset: Dataset) -> None:
    city = {
        d.data["name"] for d in dataset.departments.values() if d.data["jurisdiction"] == "zhaoqing"
    }
    # The plan's ten pilot bureaus, under today's names (发展改革局 … 安全监管局 became 应急管理局).
    assert city >= {
        "肇庆市发展和改革局",
        "肇庆市工业和信息化局",
        "肇庆市人力资源和社会保障局",
        "肇庆市自然资源局",
        "肇庆市生态环境局",
        "肇庆市住房和城乡建设局",
        "肇庆市交通运输局",
        "肇庆市商务局",
        "肇庆市文化广电旅游体育局",
        "肇庆市应急管理局",
    }
    counties = Counter(d.data["jurisdiction"] for d in dataset.departments.values())
    assert counties["duanzhou"] >= 1 and counties["dinghu"] >= 1 and counties["deqing"] >= 1
    old_names = {a for d in dataset.departments.values() for a in d.data.get("aliases", [])}
    assert {"肇庆市国土资源局", "肇庆市环境保护局", "肇庆市安全生产监督管理局"} <= old_names
    short = [d.data["short_name"] for d in dataset.departments.values()]
    assert len(short) == len(set(short))


def test_volume_and_every_category(dataset: Dataset) -> None:
    assert len(dataset.powers) >= 200
    categories = Counter(p.data["category"] for p in dataset.powers.values())
    assert set(dataset.config.category_names) <= set(categories)


def test_every_adjustment_action_and_non_public_powers(dataset: Dataset) -> None:
    actions = {
        p.data["adjustment"]["action"] for p in dataset.powers.values() if "adjustment" in p.data
    }
    assert actions == {"取消", "转移", "下放", "整合", "加强", "委托"}
    hidden = [p for p in dataset.powers.values() if not p.data["disclosure"]["public"]]
    assert len(hidden) >= 2
    assert all(
        p.data["disclosure"].get("reason") and p.data["disclosure"].get("basis") for p in hidden
    )


def test_every_basis_is_registered_and_a_repealed_law_is_cited_only_by_cancelled_powers(
    dataset: Dataset,
) -> None:
    citations: dict[str, list[str]] = {}
    for p in dataset.powers.values():
        for basis in p.data["legal_basis"]:
            assert "law" in basis, f"{p.path}: basis without a register entry"
            citations.setdefault(basis["law"], []).append(p.data["status"])
    repealed = [law for law in dataset.laws.values() if law.data["status"] == "已废止"]
    cited = [law for law in repealed if law.id in citations]
    assert cited
    for law in cited:
        assert set(citations[law.id]) == {"已取消"}, law.id


def test_flows_have_the_branches_of_real_procedures(dataset: Dataset) -> None:
    licence = dataset.flows["xingzheng-xuke-yiban"].data["steps"]
    labels = " ".join(b["label"] for s in licence for b in s.get("branches", []))
    assert (
        "材料不全" in labels
        and "不属于" in labels
        and "符合法定条件" in labels
        and "不符合" in labels
    )
    penalty = {s["name"] for s in dataset.flows["xingzheng-chufa-yiban"].data["steps"]}
    assert {"告知", "听证", "决定"} <= penalty


def test_penalties_have_discretion_and_powers_have_integrity_risks(dataset: Dataset) -> None:
    active = [p for p in dataset.powers.values() if p.data["status"] == "在用"]
    penalties = [p for p in active if p.data["category"] == "行政处罚"]
    assert penalties and all(len(p.data["discretion"][0]["tiers"]) >= 2 for p in penalties)
    with_risks = [p for p in active if p.data.get("integrity_risks")]
    assert len(with_risks) >= 0.8 * len(active)


def test_every_file_is_a_department_of_a_known_jurisdiction(dataset: Dataset) -> None:
    assert {d.data["jurisdiction"] for d in dataset.departments.values()} <= set(
        dataset.jurisdictions
    )
    assert (PROJECT / "data/jurisdictions.yaml").is_file()
