"""A deterministic synthetic repository of any size, for benchmarks (not a test module).

    python3 tests/synthetic.py OUT_DIR --powers 10000

Copies the project's schema, templates, site.yaml, jurisdictions and flows, then
writes departments, laws and powers with realistic names built from word lists,
so that search and build figures can be measured at city and province scale.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from site_builder import sources  # noqa: E402

BUREAUS = [
    ("fzgg", "发展和改革局"),
    ("gyxx", "工业和信息化局"),
    ("jy", "教育局"),
    ("kj", "科学技术局"),
    ("mz", "民政局"),
    ("sf", "司法局"),
    ("cz", "财政局"),
    ("rlsb", "人力资源和社会保障局"),
    ("zrzy", "自然资源局"),
    ("sthj", "生态环境局"),
    ("zfjs", "住房和城乡建设局"),
    ("jtys", "交通运输局"),
    ("sl", "水利局"),
    ("nyncj", "农业农村局"),
    ("sw", "商务局"),
    ("wglt", "文化广电旅游体育局"),
    ("wsjk", "卫生健康局"),
    ("tyjr", "退役军人事务局"),
    ("yjgl", "应急管理局"),
    ("scjg", "市场监督管理局"),
    ("ybj", "医疗保障局"),
    ("lyj", "林业局"),
    ("cgj", "城市管理和综合执法局"),
    ("mzzj", "民族宗教事务局"),
    ("tjj", "统计局"),
]
OBJECTS = [
    "建设工程",
    "道路运输",
    "危险化学品",
    "食品经营",
    "药品零售",
    "医疗机构",
    "民办学校",
    "养老机构",
    "排污单位",
    "建筑业企业",
    "房地产开发",
    "物业服务",
    "渔业捕捞",
    "林木采伐",
    "取水",
    "河道采砂",
    "烟花爆竹",
    "特种设备",
    "计量器具",
    "广告发布",
    "娱乐场所",
    "网吧",
    "旅行社",
    "出版物",
    "文物保护",
    "宗教活动场所",
    "社会团体",
    "民办非企业单位",
    "劳务派遣",
    "人力资源服务",
    "测绘",
    "地质灾害",
    "矿产资源",
    "土地",
    "城镇排水",
    "燃气经营",
    "供水",
    "户外广告",
    "临时占用城市道路",
    "公路超限运输",
    "港口经营",
    "船舶",
    "生猪屠宰",
    "兽药经营",
    "农药经营",
    "种子生产",
    "饲料",
    "粮食收购",
    "价格",
    "招标投标",
]
LICENCE = ["许可", "经营许可", "资质认定", "备案", "审批", "核准", "登记", "证核发", "延续", "变更"]
PENALTY = [
    "未经许可从事{o}活动",
    "违反{o}管理规定",
    "擅自变更{o}用途",
    "{o}未按规定报告",
    "伪造{o}证件",
    "超范围从事{o}",
]
CATEGORIES = [
    "行政许可",
    "行政处罚",
    "行政检查",
    "行政强制",
    "行政确认",
    "其他",
    "行政给付",
    "行政指导",
    "行政征收",
    "非行政许可审批",
]
LETTERS = {
    "行政许可": "xk",
    "非行政许可审批": "sp",
    "行政处罚": "cf",
    "行政强制": "qz",
    "行政征收": "zs",
    "行政给付": "gf",
    "行政检查": "jc",
    "行政指导": "zd",
    "行政确认": "qr",
    "其他": "qt",
}
LAW_WORDS = [
    "安全生产",
    "环境保护",
    "城乡规划",
    "土地管理",
    "食品安全",
    "药品管理",
    "道路运输",
    "建筑",
    "消防",
    "水",
    "森林",
    "渔业",
    "矿产资源",
    "文物保护",
    "旅游",
    "广告",
    "计量",
    "招标投标",
    "价格",
    "劳动合同",
]
LAW_KINDS = [
    ("中华人民共和国{w}法", "法律"),
    ("{w}条例", "行政法规"),
    ("广东省{w}条例", "地方性法规"),
    ("{w}管理办法", "部门规章"),
    ("广东省{w}管理规定", "地方政府规章"),
]


def generate(out: Path, powers: int, seed: int = 2016) -> None:
    """Write a repository with ``powers`` powers into ``out`` (replaced if present)."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("schema", "templates"):
        shutil.copytree(PROJECT / name, out / name)
    shutil.copy(PROJECT / "site.yaml", out / "site.yaml")
    (out / "data").mkdir()
    shutil.copy(PROJECT / "data/jurisdictions.yaml", out / "data/jurisdictions.yaml")
    shutil.copytree(PROJECT / "data/flows", out / "data/flows")
    shutil.copytree(PROJECT / "data/laws", out / "data/laws")
    laws = []
    combinations = [(pattern, kind, word) for pattern, kind in LAW_KINDS for word in LAW_WORDS]
    for i, (pattern, kind, word) in enumerate(combinations):
        law_id = f"syn-law-{i:03d}"
        write(
            out / f"data/laws/{law_id}.yaml",
            {"id": law_id, "title": pattern.format(w=word), "kind": kind, "status": "现行有效"},
        )
        laws.append((law_id, kind))
    jurisdictions = sources.parse(
        "j", (PROJECT / "data/jurisdictions.yaml").read_text(encoding="utf-8")
    )[0]["jurisdictions"]
    departments = []
    for jur in jurisdictions:
        prefix = "市" if jur["kind"] == "市本级" else jur["name"]
        for code, bureau in BUREAUS:
            dept_id = f"{jur['id']}-{code}"
            full = (
                ("肇庆市" if jur["kind"] in ("市本级", "市辖区") else "")
                + ("" if jur["kind"] == "市本级" else jur["name"])
                + bureau
            )
            write(
                out / f"data/departments/{dept_id}/department.yaml",
                {
                    "id": dept_id,
                    "name": full,
                    "short_name": prefix + bureau,
                    "jurisdiction": jur["id"],
                    "kind": "政府工作部门",
                },
            )
            departments.append(dept_id)
    for n in range(powers):
        dept = departments[n % len(departments)]
        category = CATEGORIES[rng.randrange(len(CATEGORIES)) if n % 3 else n % 2]
        obj = rng.choice(OBJECTS)
        if category == "行政处罚":
            name = f"对{rng.choice(PENALTY).format(o=obj)}的行政处罚"
        elif category in ("行政许可", "非行政许可审批"):
            name = f"{obj}{rng.choice(LICENCE)}"
        else:
            name = f"{obj}{category.removeprefix('行政')}"
        letter = LETTERS[category]
        pid = f"{dept}-{letter}-{n:05d}"
        law_id, kind = rng.choice(laws)
        record = {
            "id": pid,
            "code": f"441200-{letter.upper()}-{n:05d}",
            "name": name,
            "category": category,
            "content": f"依法对{obj}实施{category}。",
            "legal_basis": [{"kind": kind, "law": law_id, "article": f"第{rng.randint(1, 90)}条"}],
            "disclosure": {"public": True},
            "status": "在用",
        }
        if category == "行政处罚":
            record["penalty"] = {
                "violation": name.removeprefix("对").removesuffix("的行政处罚"),
                "types": ["警告", "罚款"],
            }
            record["discretion"] = [
                {
                    "violation": "同上",
                    "tiers": [{"circumstances": ["初次违法"], "standard": "警告"}],
                }
            ]
        elif category == "行政强制":
            record["coercion"] = {"target": "涉案财物", "measures": ["扣押财物"]}
        elif category == "行政征收":
            record["levy"] = {"item": f"{obj}费", "standard": "按规定标准征收"}
        flow = {
            "行政许可": "xingzheng-xuke-yiban",
            "行政处罚": "xingzheng-chufa-yiban",
            "行政检查": "xingzheng-jiancha-shuangsuiji",
        }.get(category)
        if flow:
            record["flow"] = {"ref": flow}
        write(out / f"data/departments/{dept}/powers/{pid}.yaml", record)


def write(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sources.dump(data), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--powers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    generate(args.out, args.powers, args.seed)
