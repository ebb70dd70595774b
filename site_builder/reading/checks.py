"""Checks across records: references, flows, time limits, repealed laws, overlaps.

Each check is a small function from the dataset to problems; ``check`` runs them all.
Only schema-valid records reach these checks, so fields have the shapes the schemas promise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from site_builder.errors import Problem, error, warning
from site_builder.reading import layout
from site_builder.reading.model import Dataset, FlowError, Record, resolve_flow

ACTIVE = ("在用", "暂停")
# Natural days per unit, to compare limits given in different units.
# A working week is 5 working days in 7 natural days.
_DAYS = {"自然日": 1.0, "工作日": 7 / 5, "小时": 1 / 24, "月": 30.0}


def check(dataset: Dataset) -> list[Problem]:
    """Run every cross-record check."""
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(dataset))
    return problems


def _jurisdictions(ds: Dataset) -> Iterator[Problem]:
    path = layout.JURISDICTIONS
    items = list(ds.jurisdictions.values())
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            yield error(
                path,
                ("jurisdictions", i, "id"),
                f"行政区域标识“{item['id']}”重复。",
                "duplicate-id",
            )
        seen.add(item["id"])
        if item.get("parent") and item["parent"] not in ds.jurisdictions:
            yield error(
                path,
                ("jurisdictions", i, "parent"),
                f"上级区域“{item['parent']}”不存在。",
                "reference",
            )
    if ds.jurisdictions and ds.config.jurisdiction not in ds.jurisdictions:
        yield error(
            layout.CONFIG,
            ("jurisdiction",),
            f"主行政区域“{ds.config.jurisdiction}”不在 data/jurisdictions.yaml 中。",
            "reference",
        )


def _departments(ds: Dataset) -> Iterator[Problem]:
    for d in ds.departments.values():
        if ds.jurisdictions and d.data["jurisdiction"] not in ds.jurisdictions:
            yield error(
                d.path,
                ("jurisdiction",),
                f"行政区域“{d.data['jurisdiction']}”不存在：可选 {'、'.join(ds.jurisdictions)}。",
                "reference",
            )
        parent = d.data.get("parent")
        if parent and parent not in ds.known["department"]:
            yield error(d.path, ("parent",), f"上级部门“{parent}”不存在。", "reference")


def _laws(ds: Dataset) -> Iterator[Problem]:
    for law in ds.laws.values():
        replaced = law.data.get("replaced_by")
        if replaced and replaced not in ds.known["law"]:
            yield error(
                law.path,
                ("replaced_by",),
                f"取代者“{replaced}”不在法律法规登记簿中：请先在 data/laws/ 中登记。",
                "reference",
            )
        if replaced == law.id:
            yield error(law.path, ("replaced_by",), "取代者不能是本文件自身。", "reference")


def _references(ds: Dataset) -> Iterator[Problem]:
    """Every department, power and law a power names exists."""
    for p in ds.powers.values():
        d = p.data
        for i, basis in enumerate(d["legal_basis"]):
            if "law" in basis and basis["law"] not in ds.known["law"]:
                yield error(
                    p.path,
                    ("legal_basis", i, "law"),
                    f"法律法规“{basis['law']}”不在登记簿中：请在 data/laws/{basis['law']}.yaml 登记，或改正标识。",
                    "reference",
                )
        for i, rel in enumerate(d.get("related_departments", [])):
            yield from _ref(
                ds, p, ("related_departments", i, "department"), rel.get("department"), "department"
            )
            yield from _ref(ds, p, ("related_departments", i, "power"), rel.get("power"), "power")
            if rel.get("department") == p.department:
                yield warning(
                    p.path,
                    ("related_departments", i, "department"),
                    "相关部门是本部门自身：相关部门应为其他同级部门。",
                    "reference",
                )
        for i, sub in enumerate(d.get("subordinate_departments", [])):
            yield from _ref(
                ds,
                p,
                ("subordinate_departments", i, "department"),
                sub.get("department"),
                "department",
            )
        adj = d.get("adjustment", {})
        yield from _ref(
            ds, p, ("adjustment", "target_department"), adj.get("target_department"), "department"
        )
        yield from _ref(ds, p, ("adjustment", "target_power"), adj.get("target_power"), "power")


def _ref(
    ds: Dataset, p: Record, pointer: tuple[str | int, ...], target: str | None, kind: str
) -> Iterator[Problem]:
    if target and target not in ds.known[kind]:
        what = {"department": "部门", "power": "职权"}[kind]
        yield error(
            p.path,
            pointer,
            f"{what}“{target}”不存在：请检查标识拼写（{what}标识即文件夹名或文件名）。",
            "reference",
        )


def _flows(ds: Dataset) -> Iterator[Problem]:
    """Every standard flow is well formed; every power's resolved flow too, and its steps are named right."""
    # A problem a power inherits from its standard flow is reported once, on the flow's file.
    inherited: dict[str, set[str]] = {}
    for f in ds.flows.values():
        found = list(_flow_graph(f.path, ("steps",), f.data["steps"], f.data["steps"]))
        inherited[f.id] = {problem.message for problem in found}
        yield from found
    for p in ds.powers.values():
        try:
            steps = resolve_flow(p.data, ds.flows)
        except FlowError as exc:
            if not (exc.pointer == ("flow", "ref") and p.data["flow"]["ref"] in ds.known["flow"]):
                yield error(p.path, exc.pointer, exc.message, "flow")
            continue
        own = p.data.get("flow", {}).get("steps", [])
        known = inherited.get(p.data.get("flow", {}).get("ref", ""), set())
        for problem in _flow_graph(p.path, ("flow", "steps"), steps, own):
            # Problems of the power's own steps point into them; the others point at "flow".
            if not (problem.pointer == ("flow",) and problem.message in known):
                yield problem
        ids = {s["id"] for s in steps}
        for block in ("responsibilities", "integrity_risks"):
            for i, item in enumerate(p.data.get(block, [])):
                step = item.get("step")
                if step and step not in ids:
                    hint = f"可选：{'、'.join(ids)}" if ids else "本职权没有运行流程，请先填写 flow"
                    yield error(
                        p.path,
                        (block, i, "step"),
                        f"环节“{step}”不在本职权的运行流程中：{hint}。",
                        "flow",
                    )


def _flow_graph(
    path: str, base: tuple[str | int, ...], steps: list[dict[str, Any]], own: list[dict[str, Any]]
) -> Iterator[Problem]:
    """Check ids, names, targets and reachability. Problems point into ``own`` (the file's steps) when they can."""
    where = {s["id"]: i for i, s in enumerate(own)}

    def at(step_id: str, *rest: str | int) -> tuple[str | int, ...]:
        return (*base, where[step_id], *rest) if step_id in where else base[:-1] or base

    seen: set[str] = set()
    for i, s in enumerate(own):
        if s["id"] in seen:
            yield error(path, (*base, i, "id"), f"环节标识“{s['id']}”重复。", "flow")
        seen.add(s["id"])
    ids = [s["id"] for s in steps]
    for s in steps:
        if not s.get("name"):
            yield error(path, at(s["id"], "id"), f"环节“{s['id']}”缺少名称（name）。", "flow")
        targets = [("next", s.get("next"))] + [
            (j, b.get("to")) for j, b in enumerate(s.get("branches", []))
        ]
        for key, target in targets:
            if target and target not in ids:
                pointer = (
                    at(s["id"], "next") if key == "next" else at(s["id"], "branches", key, "to")
                )
                yield error(
                    path,
                    pointer,
                    f"环节“{s['id']}”指向的环节“{target}”不存在：可选 {'、'.join(ids)}。",
                    "flow",
                )
    if not steps:
        return
    by_id = {s["id"]: s for s in steps}
    reached = _reachable(steps[0]["id"], by_id)
    for s in steps:
        if s["id"] not in reached:
            yield warning(
                path,
                at(s["id"], "id"),
                f"环节“{s['id']}”从第一个环节出发无法到达：请检查 next 和 branches。",
                "flow",
            )
    # A step from which no end can be reached traps the case in a loop. Report where the
    # flow enters such a loop (the first step, or a step entered from one that can end).
    ending = _ending(by_id)
    for s in steps:
        sid = s["id"]
        if sid not in reached or sid in ending:
            continue
        entered = sid == steps[0]["id"] or any(
            sid in _exits(other) for other in steps if other["id"] in ending
        )
        if entered:
            loop = [t for t in by_id if t in _reachable(sid, by_id)]
            yield error(
                path,
                at(sid, "id"),
                f"环节“{sid}”无法到达流程的结束：从这里起只在 {'、'.join(loop)} 之间流转，"
                "没有出口。请让最后一个环节不填 next 和 branches，或增加一个不填 to、写明 outcome（结果）的分支。",
                "flow",
            )


def _exits(step: dict[str, Any]) -> list[str]:
    """The steps a step leads to, by ``next`` and by its branches."""
    return [t for t in [step.get("next"), *(b.get("to") for b in step.get("branches", []))] if t]


def _reachable(start: str, by_id: dict[str, dict[str, Any]]) -> set[str]:
    """The steps reachable from ``start`` (itself included)."""
    reached: set[str] = set()
    todo = [start]
    while todo:
        sid = todo.pop()
        if sid in reached or sid not in by_id:
            continue
        reached.add(sid)
        todo += _exits(by_id[sid])
    return reached


def _ending(by_id: dict[str, dict[str, Any]]) -> set[str]:
    """The steps from which the flow can end.

    A flow ends at a step with neither ``next`` nor branches, and at a branch without
    ``to`` (its ``outcome`` ends the flow). A target that does not exist is reported on
    its own, so it counts as an end here rather than as a second error.
    """
    ending = {
        sid
        for sid, s in by_id.items()
        if ("next" not in s and not s.get("branches"))
        or any("to" not in b for b in s.get("branches", []))
        or any(t not in by_id for t in _exits(s))
    }
    changed = True
    while changed:
        changed = False
        for sid, s in by_id.items():
            if sid not in ending and any(t in ending for t in _exits(s)):
                ending.add(sid)
                changed = True
    return ending


def _days(limit: dict[str, Any]) -> float:
    return float(limit["value"]) * _DAYS[limit["unit"]]


def _time_limits(ds: Dataset) -> Iterator[Problem]:
    """The committed time limit is not longer than the statutory one."""
    for p in ds.powers.values():
        statutory, committed = (
            p.data.get("statutory_time_limit"),
            p.data.get("committed_time_limit"),
        )
        if not (statutory and committed):
            continue
        same = statutory["unit"] == committed["unit"]
        longer = (
            committed["value"] > statutory["value"] if same else _days(committed) > _days(statutory)
        )
        if longer:
            shown = f"{committed['value']}{committed['unit']}"
            legal = f"{statutory['value']}{statutory['unit']}"
            extra = "" if same else "（换算为自然日比较，5个工作日按7个自然日计）"
            yield error(
                p.path,
                ("committed_time_limit", "value"),
                f"承诺时限 {shown} 长于法定时限 {legal}{extra}：承诺时限不得超过法定时限。",
                "time-limit",
            )


def _repealed(ds: Dataset) -> Iterator[Problem]:
    """An active power does not cite a repealed law; a superseded one gets a warning."""
    for p in ds.powers.values():
        for i, basis in enumerate(p.data["legal_basis"]):
            law = ds.laws.get(basis.get("law", ""))
            if law is None:
                continue
            status = law.data["status"]
            if basis["kind"] != law.data["kind"]:
                yield warning(
                    p.path,
                    ("legal_basis", i, "kind"),
                    f"依据类别“{basis['kind']}”与登记簿中“{law.name}”的类别“{law.data['kind']}”不一致。",
                    "basis-kind",
                )
            if p.data["status"] not in ACTIVE:
                continue
            replacement = ds.laws.get(law.data.get("replaced_by", ""))
            instead = f"，现行依据为《{replacement.name}》" if replacement else ""
            if status == "已废止":
                yield error(
                    p.path,
                    ("legal_basis", i, "law"),
                    f"引用的《{law.name}》已废止{instead}：在用职权不得以已废止的法律法规为依据，请更新依据或调整职权。",
                    "repealed-law",
                )
            elif status == "已修订":
                yield warning(
                    p.path,
                    ("legal_basis", i, "law"),
                    f"引用的《{law.name}》已修订{instead}：请核对条款是否仍然有效。",
                    "amended-law",
                )


def _disclosure(ds: Dataset) -> Iterator[Problem]:
    """A non-public power states its reason and its basis (also enforced by the schema)."""
    for p in ds.powers.values():
        disclosure = p.data["disclosure"]
        if disclosure["public"] is False:
            for key, label in (("reason", "不公开理由"), ("basis", "不公开依据")):
                if not str(disclosure.get(key, "")).strip():
                    yield error(
                        p.path, ("disclosure", key), f"不公开的职权必须说明{label}。", "disclosure"
                    )


def _penalties(ds: Dataset) -> Iterator[Problem]:
    """A penalty in use has a discretion standard."""
    for p in ds.powers.values():
        if (
            p.data["category"] == "行政处罚"
            and p.data["status"] in ACTIVE
            and not p.data.get("discretion")
        ):
            yield warning(
                p.path,
                ("category",),
                "行政处罚缺少自由裁量基准（discretion）：请细化量化裁量标准。",
                "discretion",
            )


def _dates(ds: Dataset) -> Iterator[Problem]:
    for p in ds.powers.values():
        start, end = p.data.get("effective_from"), p.data.get("effective_to")
        if start and end and end < start:
            yield error(
                p.path, ("effective_to",), f"失效日期 {end} 早于生效日期 {start}。", "dates"
            )


_ARTICLE_SPACE = re.compile(r"\s+")


def _overlaps(ds: Dataset) -> Iterator[Problem]:
    """Powers of two departments of one jurisdiction with the same name, or citing the same article."""
    by_name: dict[tuple[str, str], list[Record]] = defaultdict(list)
    by_article: dict[tuple[str, str, str], list[tuple[Record, int]]] = defaultdict(list)
    for p in ds.powers.values():
        dept = ds.departments.get(p.department)
        if dept is None or p.data["status"] not in ACTIVE:
            continue
        jur = dept.data["jurisdiction"]
        name = p.data["name"] + ("/" + p.data["subitem"] if p.data.get("subitem") else "")
        by_name[(jur, name)].append(p)
        for i, basis in enumerate(p.data["legal_basis"]):
            if basis.get("article"):
                law = basis.get("law") or basis.get("title", "")
                by_article[(jur, law, _ARTICLE_SPACE.sub("", basis["article"]))].append((p, i))
    for (_, name), powers in sorted(by_name.items()):
        if len({p.department for p in powers}) > 1:
            for p in powers:
                others = "、".join(
                    sorted({_dept_name(ds, o) for o in powers if o.department != p.department})
                )
                yield warning(
                    p.path,
                    ("name",),
                    f"可能的职权交叉：{others} 也有名为“{name}”的职权，请核实职责分工。",
                    "overlap-name",
                )
    for (_, law, article), cites in sorted(by_article.items()):
        if len({p.department for p, _ in cites}) > 1:
            title = ds.laws[law].name if law in ds.laws else law
            for p, i in cites:
                others = "、".join(
                    f"{_dept_name(ds, o)}的“{o.name}”"
                    for o, _ in cites
                    if o.department != p.department
                )
                yield warning(
                    p.path,
                    ("legal_basis", i, "article"),
                    f"可能的职权交叉：{others} 也以《{title}》{article}为依据，请核实是否重复。",
                    "overlap-basis",
                )


def _dept_name(ds: Dataset, p: Record) -> str:
    dept = ds.departments.get(p.department)
    return dept.data["short_name"] if dept else p.department


RULES: tuple[Callable[[Dataset], Iterator[Problem]], ...] = (
    _jurisdictions,
    _departments,
    _laws,
    _references,
    _flows,
    _time_limits,
    _repealed,
    _disclosure,
    _penalties,
    _dates,
    _overlaps,
)
