"""Every check, each with a failing and a passing fixture, through ``site-builder validate``."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import LICENCE, PENALTY, Check, Repo

from site_builder.build import check_repository
from site_builder.reading import sources


def test_fixture_repository_is_clean(repo: Repo, problems: Check) -> None:
    assert problems() == []


# --- per file ---------------------------------------------------------------


def test_schema_error_is_mapped_to_the_line_of_the_value(repo: Repo, problems: Check) -> None:
    path = repo.power(LICENCE, category="行政审批")
    found = problems("schema")
    assert len(found) == 1
    line = path.read_text(encoding="utf-8").splitlines().index("category: 行政审批") + 1
    column = len("category: ") + 1  # the value, not the key
    assert (found[0]["path"], found[0]["line"], found[0]["column"]) == (
        path.relative_to(repo.root).as_posix(),
        line,
        column,
    )
    assert found[0]["field"] == "category"
    assert "可选：行政许可" in found[0]["message"]


def test_every_problem_of_a_run_is_reported(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, content="", status="作废")
    repo.power(PENALTY, name="")
    assert {(p["path"].rsplit("/", 1)[1], p["field"]) for p in problems("schema")} == {
        ("zq-a-xk-001.yaml", "content"),
        ("zq-a-xk-001.yaml", "status"),
        ("zq-a-cf-001.yaml", "name"),
    }


def test_unknown_field_is_named(repo: Repo, problems: Check) -> None:
    repo.power(
        LICENCE, legal_basis=[{"kind": "法律", "law": "xingzheng-xuke-fa", "artcle": "第十二条"}]
    )
    [found] = problems("schema")
    assert found["field"] == "legal_basis[0].artcle"
    assert "未知字段" in found["message"] and "是否应为 article" in found["message"]


def test_number_where_text_is_expected_suggests_quotes(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, code=441200)
    [found] = problems("schema")
    assert "加引号" in found["message"]


@pytest.mark.parametrize(
    "kind",
    [
        "法律",
        "行政法规",
        "地方性法规",
        "部门规章",
        "地方政府规章",
        "三定方案",
        "规范性文件",
        "上级机关批准文件",
        "经政府同意的部门文件",
    ],
)
def test_valid_basis_kinds_are_accepted(repo: Repo, problems: Check, kind: str) -> None:
    repo.power(LICENCE, legal_basis=[{"kind": kind, "title": "某某文件"}])
    assert problems("schema") == []


@pytest.mark.parametrize("kind", ["会议纪要", "领导批示", "其他", "部门内部文件"])
def test_invalid_basis_kinds_are_rejected(repo: Repo, problems: Check, kind: str) -> None:
    repo.power(LICENCE, legal_basis=[{"kind": kind, "title": "某某文件"}])
    [found] = problems("schema")
    assert found["field"] == "legal_basis[0].kind"


def test_basis_needs_a_law_reference_or_a_title(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, legal_basis=[{"kind": "法律", "article": "第十二条"}])
    [found] = problems("schema")
    assert "law" in found["message"] and "title" in found["message"]


def test_category_set_comes_from_site_configuration(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, category="行政奖励")
    assert [p["field"] for p in problems("schema")] == ["category"]
    config, _ = sources.parse("site.yaml", (repo.root / "site.yaml").read_text(encoding="utf-8"))
    config["categories"].append({"name": "行政奖励", "code": "11", "letter": "JL"})
    repo.write("site.yaml", config)
    assert problems("schema") == []


@pytest.mark.parametrize(
    ("category", "block", "value"),
    [
        ("行政处罚", "penalty", {"violation": "某行为", "types": ["罚款"]}),
        ("行政强制", "coercion", {"target": "涉案财物", "measures": ["扣押财物"]}),
        ("行政征收", "levy", {"item": "某费", "standard": "每平方米10元"}),
    ],
)
def test_category_blocks_are_required_and_exclusive(
    repo: Repo, problems: Check, category: str, block: str, value: dict
) -> None:
    base = {k: v for k, v in copy.deepcopy(LICENCE).items() if k != "responsibilities"}
    base["flow"] = {"steps": [{"id": "a", "name": "办理"}]}
    repo.power(base, category=category)
    [missing] = problems("schema")
    assert missing["field"] == block and category in missing["message"]
    repo.power(base, category=category, **{block: value})
    assert problems("schema") == []
    repo.power(base, **{block: value})  # a licence with the block
    [extra] = problems("schema")
    assert extra["field"] == block and "不应填写" in extra["message"]


def test_non_public_power_needs_reason_and_basis(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, disclosure={"public": False, "reason": "涉及国家秘密"})
    assert [p["field"] for p in problems("schema")] == ["disclosure.basis"]
    repo.power(
        LICENCE,
        disclosure={
            "public": False,
            "reason": "涉及国家秘密",
            "basis": "《中华人民共和国保守国家秘密法》第十三条",
        },
    )
    assert problems() == []


def test_cancelled_power_needs_an_adjustment(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, status="已取消")
    assert [p["field"] for p in problems("schema")] == ["adjustment"]
    repo.power(
        LICENCE,
        status="已取消",
        adjustment={"action": "取消", "reason": "国务院决定取消", "doc_number": "国发〔2017〕46号"},
    )
    assert problems() == []


def test_delegation_names_its_target(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, adjustment={"action": "下放", "reason": "便民"})
    assert len(problems("schema")) == 1
    repo.power(LICENCE, adjustment={"action": "下放", "reason": "便民", "target": "各县（市、区）"})
    assert problems() == []


def test_file_name_and_id_must_match(repo: Repo, problems: Check) -> None:
    repo.write("data/departments/zq-a/powers/zq-a-xk-009.yaml", {**LICENCE, "id": "zq-a-xk-001"})
    [found] = problems("id-mismatch")
    assert found["path"].endswith("zq-a-xk-009.yaml") and found["field"] == "id"


def test_department_folder_and_id_must_match(repo: Repo, problems: Check) -> None:
    text = (repo.root / "data/departments/zq-a/department.yaml").read_text(encoding="utf-8")
    repo.write("data/departments/zq-a/department.yaml", text.replace("id: zq-a", "id: zq-b"))
    assert [p["rule"] for p in problems()] == ["id-mismatch"]


def test_duplicate_power_id_across_departments(repo: Repo, problems: Check) -> None:
    repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    repo.power(LICENCE, department="zq-b", name="另一项许可")
    [found] = problems("duplicate-id")
    assert "zq-a/powers/zq-a-xk-001.yaml" in found["message"]


def test_yml_extension_and_stray_files(repo: Repo, problems: Check) -> None:
    repo.write("data/departments/zq-a/powers/x.yml", "id: x\n")
    repo.write("data/notes.txt", "hello")
    found = {(p["path"], p["severity"]) for p in problems("layout")}
    assert found == {("data/departments/zq-a/powers/x.yml", "error"), ("data/notes.txt", "warning")}


def test_department_folder_without_department_file(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, department="zq-c", id="zq-c-xk-001")
    assert [p["path"] for p in problems("layout")] == ["data/departments/zq-c/department.yaml"]


def test_bad_yaml_does_not_stop_the_other_files(repo: Repo, problems: Check) -> None:
    repo.write("data/departments/zq-a/powers/zq-a-xk-002.yaml", "id: zq-a-xk-002\nname: [未闭合\n")
    repo.power(PENALTY, content="")
    rules = sorted(p["rule"] for p in problems())
    assert rules == ["schema", "yaml-syntax"]


# --- across records -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"legal_basis": [{"kind": "法律", "law": "no-such-law"}]}, "legal_basis[0].law"),
        (
            {"related_departments": [{"department": "zq-nobody", "relation": "前置"}]},
            "related_departments[0].department",
        ),
        (
            {
                "related_departments": [
                    {"name": "某局", "relation": "后置", "power": "no-such-power"}
                ]
            },
            "related_departments[0].power",
        ),
        (
            {"subordinate_departments": [{"department": "zq-nobody", "duties": ["受理"]}]},
            "subordinate_departments[0].department",
        ),
        (
            {
                "adjustment": {
                    "action": "整合",
                    "reason": "合并",
                    "target": "甲",
                    "target_power": "no-such-power",
                }
            },
            "adjustment.target_power",
        ),
        ({"flow": {"ref": "no-such-flow"}}, "flow.ref"),
    ],
)
def test_references_must_exist(repo: Repo, problems: Check, changes: dict, field: str) -> None:
    repo.power(LICENCE, **changes)
    found = problems("reference") + problems("flow")
    assert field in [p["field"] for p in found]


def test_references_that_exist_pass(repo: Repo, problems: Check) -> None:
    repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    repo.power(
        LICENCE,
        related_departments=[{"department": "zq-b", "relation": "前置", "power": "zq-a-cf-001"}],
        adjustment={"action": "委托", "reason": "便民", "target_department": "zq-b"},
    )
    assert problems() == []


def test_responsibility_step_must_be_in_the_flow(repo: Repo, problems: Check) -> None:
    repo.power(LICENCE, responsibilities=[{"step": "shenpi", "duty": "审批"}])
    [found] = problems("flow")
    assert found["field"] == "responsibilities[0].step"
    assert "shouli" in found["message"]


def test_flow_override_and_insertion(repo: Repo, problems: Check) -> None:
    steps = [
        {"id": "kancha", "name": "现场勘查", "after": "shencha", "next": "jueding"},
        {"id": "shencha", "next": "kancha"},
    ]
    repo.power(
        LICENCE,
        flow={"ref": "xingzheng-xuke-yiban", "steps": steps},
        integrity_risks=[
            {"step": "kancha", "risk": "走过场", "level": "中", "measures": ["全程记录"]}
        ],
    )
    assert problems() == []


def test_overriding_a_steps_exits_replaces_them_as_a_whole(repo: Repo) -> None:
    from site_builder.reading.model import resolve_flow

    repo.power(LICENCE)
    ds = check_repository(repo.root).dataset
    branches = [{"label": "需要听证", "to": "jueding"}, {"label": "无需听证", "to": "jueding"}]
    data = {
        **LICENCE,
        "flow": {"ref": "xingzheng-xuke-yiban", "steps": [{"id": "shencha", "branches": branches}]},
    }
    shencha = next(s for s in resolve_flow(data, ds.flows) if s["id"] == "shencha")
    assert shencha["branches"] == branches and "next" not in shencha
    assert shencha["name"] == "审查"  # other fields still come from the standard step
    data = {
        **LICENCE,
        "flow": {"ref": "xingzheng-xuke-yiban", "steps": [{"id": "shouli", "next": "shencha"}]},
    }
    shouli = next(s for s in resolve_flow(data, ds.flows) if s["id"] == "shouli")
    assert shouli["next"] == "shencha" and "branches" not in shouli


def test_flow_branch_to_missing_step_and_unreachable_step(repo: Repo, problems: Check) -> None:
    steps = [
        {
            "id": "a",
            "name": "申请",
            "branches": [{"label": "是", "to": "b"}, {"label": "否", "to": "z"}],
        },
        {"id": "b", "name": "决定"},
        {"id": "c", "name": "孤立环节"},
    ]
    repo.power(LICENCE, flow={"steps": steps}, responsibilities=[{"step": "a", "duty": "受理"}])
    found = {(p["field"], p["severity"]) for p in problems("flow")}
    assert found == {("flow.steps[0].branches[1].to", "error"), ("flow.steps[2].id", "warning")}


def test_insertion_after_unknown_step(repo: Repo, problems: Check) -> None:
    repo.power(
        LICENCE,
        flow={
            "ref": "xingzheng-xuke-yiban",
            "steps": [{"id": "x", "name": "某环节", "after": "nowhere"}],
        },
    )
    assert [p["field"] for p in problems("flow")] == ["flow.steps[0].after"]


@pytest.mark.parametrize(
    ("statutory", "committed", "bad"),
    [
        ({"value": 20, "unit": "工作日"}, {"value": 21, "unit": "工作日"}, True),
        ({"value": 20, "unit": "工作日"}, {"value": 20, "unit": "工作日"}, False),
        ({"value": 20, "unit": "工作日"}, {"value": 29, "unit": "自然日"}, True),
        ({"value": 20, "unit": "工作日"}, {"value": 28, "unit": "自然日"}, False),
        ({"value": 60, "unit": "自然日"}, {"value": 30, "unit": "工作日"}, False),
        ({"value": 1, "unit": "月"}, {"value": 31, "unit": "自然日"}, True),
        ({"value": 1, "unit": "自然日"}, {"value": 24, "unit": "小时"}, False),
    ],
)
def test_committed_time_limit_not_longer_than_statutory(
    repo: Repo, problems: Check, statutory: dict, committed: dict, bad: bool
) -> None:
    repo.power(LICENCE, statutory_time_limit=statutory, committed_time_limit=committed)
    found = problems("time-limit")
    assert bool(found) is bad
    if bad:
        assert found[0]["field"] == "committed_time_limit.value"


def test_active_power_citing_repealed_law_is_an_error(repo: Repo, problems: Check) -> None:
    repo.law(
        id="chaiqian-tiaoli",
        title="城市房屋拆迁管理条例",
        kind="行政法规",
        status="已废止",
        repealed="2011-01-21",
    )
    repo.power(
        LICENCE, legal_basis=[{"kind": "行政法规", "law": "chaiqian-tiaoli", "article": "第六条"}]
    )
    [found] = problems("repealed-law")
    assert found["severity"] == "error" and "已废止" in found["message"]


def test_cancelled_power_may_cite_repealed_law(repo: Repo, problems: Check) -> None:
    repo.law(
        id="chaiqian-tiaoli",
        title="城市房屋拆迁管理条例",
        kind="行政法规",
        status="已废止",
        repealed="2011-01-21",
    )
    repo.power(
        LICENCE,
        legal_basis=[{"kind": "行政法规", "law": "chaiqian-tiaoli", "article": "第六条"}],
        status="已取消",
        adjustment={"action": "取消", "reason": "条例废止", "doc_number": "国务院令第590号"},
    )
    assert problems() == []


def test_superseded_law_is_a_warning_naming_the_replacement(repo: Repo, problems: Check) -> None:
    repo.law(
        id="old-law", title="旧法", kind="法律", status="已修订", replaced_by="xingzheng-xuke-fa"
    )
    repo.power(LICENCE, legal_basis=[{"kind": "法律", "law": "old-law"}])
    [found] = problems("amended-law")
    assert found["severity"] == "warning" and "行政许可法" in found["message"]


def test_law_replaced_by_must_exist(repo: Repo, problems: Check) -> None:
    repo.law(id="old-law", title="旧法", kind="法律", status="已废止", replaced_by="no-such-law")
    assert [p["field"] for p in problems("reference")] == ["replaced_by"]


def test_penalty_without_discretion_is_a_warning(repo: Repo, problems: Check) -> None:
    repo.power({k: v for k, v in PENALTY.items() if k != "discretion"})
    [found] = problems()
    assert (found["rule"], found["severity"]) == ("discretion", "warning")


def test_same_name_in_two_departments_of_one_jurisdiction(repo: Repo, problems: Check) -> None:
    repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    repo.power(
        LICENCE,
        department="zq-b",
        id="zq-b-xk-001",
        legal_basis=[{"kind": "法律", "title": "另一法"}],
    )
    repo.power(
        LICENCE,
        department="zq-b",
        id="zq-b-xk-002",
        legal_basis=[{"kind": "法律", "title": "另一法"}],
    )
    found = problems("overlap-name")
    assert len(found) == 3 and all(p["severity"] == "warning" for p in found)
    message = next(p for p in found if "zq-a/" in p["path"])["message"]
    assert message.count("市乙局") == 1  # named once, however many of its powers share the name


def test_same_article_in_two_departments(repo: Repo, problems: Check) -> None:
    repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    repo.power(
        LICENCE,
        department="zq-b",
        id="zq-b-xk-001",
        name="另一项许可",
        legal_basis=[{"kind": "法律", "law": "xingzheng-xuke-fa", "article": "第 十二 条"}],
    )
    found = problems("overlap-basis")
    assert {p["field"] for p in found} == {"legal_basis[0].article"} and len(found) == 2


def test_no_overlap_across_jurisdictions_or_for_cancelled_powers(
    repo: Repo, problems: Check
) -> None:
    repo.department(
        id="dz-a", name="肇庆市端州区甲局", short_name="区甲局", jurisdiction="duanzhou"
    )
    repo.power(LICENCE, department="dz-a", id="dz-a-xk-001")
    repo.department(id="zq-b", name="肇庆市乙局", short_name="市乙局")
    repo.power(
        LICENCE,
        department="zq-b",
        id="zq-b-xk-001",
        status="已取消",
        adjustment={"action": "取消", "reason": "取消"},
    )
    assert problems() == []


def test_warnings_become_errors_with_strict(repo: Repo) -> None:
    repo.power({k: v for k, v in PENALTY.items() if k != "discretion"})
    assert repo.cli("validate").exit_code == 0
    result = repo.cli("validate", "--strict")
    assert result.exit_code == 1
    assert ": error: " in result.stdout


def test_department_jurisdiction_must_exist(repo: Repo, problems: Check) -> None:
    repo.department(jurisdiction="nowhere")
    assert [p["field"] for p in problems("reference")] == ["jurisdiction"]


def test_yaml_written_by_hand_with_comments(repo: Repo, problems: Check) -> None:
    text = sources.dump(LICENCE).replace("name: 某某许可", "# 名称\nname: 某某许可  # 行尾注释")
    repo.write("data/departments/zq-a/powers/zq-a-xk-001.yaml", text)
    assert problems() == []


def test_symbolic_links_in_data_are_refused(repo: Repo, problems: Check, tmp_path: Path) -> None:
    powers = repo.root / "data/departments/zq-a/powers"
    (powers / "zq-a-xk-009.yaml").symlink_to(powers / "zq-a-xk-001.yaml")  # inside the repository
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "department.yaml").write_text("id: zq-x\n", encoding="utf-8")
    (repo.root / "data/departments/zq-x").symlink_to(
        outside, target_is_directory=True
    )  # outside it
    found = problems()
    assert {(p["path"], p["rule"]) for p in found} == {
        ("data/departments/zq-a/powers/zq-a-xk-009.yaml", "symlink"),
        ("data/departments/zq-x", "symlink"),
    }
    assert all(p["severity"] == "error" and p["line"] == 1 for p in found)


def test_a_file_over_the_size_limit_is_not_parsed(repo: Repo, problems: Check) -> None:
    path = repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml"
    path.write_text("id: zq-a-xk-001\ncontent: " + "甲" * 400_000 + "\n", encoding="utf-8")
    [found] = problems("too-large")
    assert found["path"].endswith("zq-a-xk-001.yaml") and "1 MB" in found["message"]
