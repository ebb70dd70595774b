"""A deterministic synthetic repository of any size, for benchmarks (not a test module).

    python3 benchmarks/generate.py --records 10000 --out /tmp/qingdan
    python3 benchmarks/generate.py --records 1000 --out /tmp/qingdan --history 200 --seed 7

Writes a complete repository that ``site-builder validate --strict`` accepts: site.yaml,
the jurisdictions of one prefecture-level city (the city and its counties), about twenty
bureaus in each, a register of laws per bureau, the project's standard flows, schema/
and templates/ (copied from the project), and ``--records`` powers spread over the
departments. Each power file holds 1-4 KB of Chinese text: content, legal basis with the
article's text, a flow (a standard flow, a standard flow with an inserted step, or a flow
of its own of 5-9 steps, some with branches), responsibilities, integrity risks,
accountability, remedies, a service guide for powers on application, and for penalties
(行政处罚) the penalty and its discretion standard (自由裁量基准).

Names are unique within a jurisdiction and no two powers cite the same article of the same
law, as the overlap checks (防止职权交叉) require. The same arguments give byte-identical
files. With ``--history K``, the result is a git repository whose first commit holds the
records, followed by K pull requests, each merged by a first-parent merge commit
(benchmarks/synthetic_history.py).

``generate(out, records, ...)`` does the same from Python (another benchmark puts this
folder on sys.path and runs ``from generate import generate``).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
for _path in (PROJECT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from site_builder.reading import sources  # noqa: E402

MIN_BYTES = 1024
MAX_BYTES = 4096
MIN_STEPS = 5
MAX_STEPS = 9
SCHEMA_LINE = "# yaml-language-server: $schema="


# -- word lists -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bureau:
    """A kind of bureau: its sections, the objects it regulates and the words of its laws."""

    code: str
    name: str
    sections: tuple[str, ...]
    objects: tuple[str, ...]
    law_words: tuple[str, ...]


BUREAUS = (
    Bureau(
        "fzgg",
        "发展和改革局",
        ("投资科", "价格科", "能源科"),
        ("固定资产投资项目", "企业投资项目", "政府定价商品", "节能审查项目", "粮食收购"),
        ("价格", "节约能源", "粮食流通"),
    ),
    Bureau(
        "gyxx",
        "工业和信息化局",
        ("产业发展科", "信息化科", "节能与综合利用科"),
        ("技术改造项目", "无线电台站", "民用爆炸物品", "工业节能", "软件企业"),
        ("无线电管理", "民用爆炸物品安全", "中小企业促进"),
    ),
    Bureau(
        "jy",
        "教育局",
        ("基础教育科", "民办教育科", "学生资助管理中心"),
        ("民办学校", "中小学教师资格", "校外培训机构", "幼儿园", "学生资助"),
        ("教育", "民办教育促进", "教师"),
    ),
    Bureau(
        "kj",
        "科学技术局",
        ("高新技术科", "成果转化科"),
        ("科技成果登记", "高新技术企业", "科技计划项目", "实验动物", "技术合同"),
        ("科学技术进步", "促进科技成果转化"),
    ),
    Bureau(
        "mz",
        "民政局",
        ("社会组织管理科", "养老服务科", "社会救助科", "区划地名科"),
        ("社会团体", "民办非企业单位", "养老机构", "最低生活保障", "殡葬设施", "慈善组织"),
        ("社会团体登记管理", "社会救助", "殡葬管理", "地名管理"),
    ),
    Bureau(
        "sf",
        "司法局",
        ("律师工作科", "公证管理科", "法律援助中心"),
        ("律师事务所", "法律援助", "基层法律服务所", "公证机构", "司法鉴定机构"),
        ("律师", "法律援助", "公证"),
    ),
    Bureau(
        "cz",
        "财政局",
        ("会计科", "政府采购监管科"),
        ("代理记账机构", "政府采购项目", "行政事业性收费票据", "会计人员"),
        ("会计", "政府采购"),
    ),
    Bureau(
        "rlsb",
        "人力资源和社会保障局",
        ("就业促进科", "劳动关系科", "社会保险科", "劳动保障监察支队"),
        ("劳务派遣", "人力资源服务机构", "职业技能培训机构", "工伤", "失业保险金", "工资支付"),
        ("劳动合同", "就业促进", "社会保险", "工伤保险"),
    ),
    Bureau(
        "zrzy",
        "自然资源局",
        ("国土空间规划科", "耕地保护科", "不动产登记中心", "矿产资源管理科"),
        ("建设用地", "不动产登记", "采矿权", "测绘资质", "地质灾害治理工程", "临时用地"),
        ("土地管理", "矿产资源", "测绘", "城乡规划"),
    ),
    Bureau(
        "sthj",
        "生态环境局",
        ("环境影响评价科", "大气环境科", "水生态环境科", "固体废物与化学品科"),
        ("建设项目环境影响评价", "排污许可", "危险废物经营", "辐射安全", "入河排污口"),
        ("环境保护", "大气污染防治", "水污染防治", "固体废物污染环境防治"),
    ),
    Bureau(
        "zfjs",
        "住房和城乡建设局",
        ("建筑业管理科", "房地产市场科", "城市建设科", "建设工程质量安全站"),
        ("建筑工程施工", "建筑业企业资质", "商品房预售", "物业服务", "燃气经营", "城镇排水"),
        ("建筑", "城市房地产管理", "城镇燃气管理", "城镇排水与污水处理"),
    ),
    Bureau(
        "jtys",
        "交通运输局",
        ("运输管理科", "公路管理科", "港航管理科", "交通运输综合行政执法支队"),
        ("道路旅客运输", "道路货物运输", "机动车维修", "公路超限运输", "港口经营", "出租汽车"),
        ("道路运输", "公路", "港口"),
    ),
    Bureau(
        "sw",
        "水务局",
        ("水资源管理科", "河湖管理科", "水土保持科"),
        ("取水", "河道采砂", "水工程建设规划", "水土保持方案", "涉河建设项目"),
        ("水", "防洪", "水土保持", "河道管理"),
    ),
    Bureau(
        "nync",
        "农业农村局",
        ("种植业管理科", "畜牧兽医科", "渔政大队", "农产品质量安全监管科"),
        ("农药经营", "兽药经营", "种子生产经营", "生猪屠宰", "渔业捕捞", "动物防疫条件"),
        ("农药管理", "兽药管理", "种子", "渔业", "动物防疫"),
    ),
    Bureau(
        "swj",
        "商务局",
        ("对外贸易科", "市场建设科"),
        ("单用途商业预付卡", "对外贸易经营者", "报废机动车回收", "成品油零售", "拍卖企业"),
        ("对外贸易", "拍卖", "成品油市场管理"),
    ),
    Bureau(
        "wglt",
        "文化广电旅游体育局",
        ("文化市场科", "旅游市场科", "文物科", "体育科"),
        (
            "营业性演出",
            "娱乐场所",
            "互联网上网服务营业场所",
            "旅行社",
            "文物保护单位",
            "出版物零售",
        ),
        ("文物保护", "旅游", "营业性演出管理", "娱乐场所管理"),
    ),
    Bureau(
        "wsjk",
        "卫生健康局",
        ("医政医管科", "公共卫生科", "职业健康科"),
        ("医疗机构执业", "医师执业", "公共场所卫生", "放射诊疗", "母婴保健技术服务", "职业病诊断"),
        ("基本医疗卫生与健康促进", "医师", "传染病防治", "职业病防治"),
    ),
    Bureau(
        "yjgl",
        "应急管理局",
        ("危险化学品安全监督管理科", "安全生产基础科", "防灾减灾科"),
        ("危险化学品经营", "烟花爆竹经营", "非煤矿山", "安全培训", "有限空间作业"),
        ("安全生产", "危险化学品安全管理", "烟花爆竹安全管理"),
    ),
    Bureau(
        "scjg",
        "市场监督管理局",
        ("登记注册科", "食品经营监管科", "特种设备安全监察科", "计量科", "广告监管科"),
        ("食品经营", "食品生产", "药品零售", "特种设备", "计量器具", "广告发布", "医疗器械经营"),
        ("食品安全", "药品管理", "特种设备安全", "计量", "广告"),
    ),
    Bureau(
        "cgzf",
        "城市管理和综合执法局",
        ("市容环境卫生科", "市政设施科", "综合行政执法大队"),
        ("户外广告设施", "城市道路挖掘", "临时占用城市道路", "城市生活垃圾", "建筑垃圾处置"),
        ("城市市容和环境卫生管理", "城市道路管理", "城市绿化"),
    ),
    Bureau(
        "lyj",
        "林业局",
        ("森林资源管理科", "自然保护地管理科", "森林防火办公室"),
        ("林木采伐", "林地占用", "陆生野生动物", "林草种子", "古树名木"),
        ("森林", "野生动物保护", "森林防火"),
    ),
    Bureau(
        "ybj",
        "医疗保障局",
        ("待遇保障科", "基金监管科"),
        ("定点医药机构", "医疗保障基金", "医疗救助", "生育保险待遇"),
        ("医疗保障基金使用监督管理", "医疗保障"),
    ),
)
BUREAU = {b.code: b for b in BUREAUS}

# Prefecture-level cities of Guangdong: (id, name, area code).
CITIES = (
    ("zhaoqing", "肇庆市", "441200"),
    ("guangzhou", "广州市", "440100"),
    ("shaoguan", "韶关市", "440200"),
    ("shenzhen", "深圳市", "440300"),
    ("zhuhai", "珠海市", "440400"),
    ("shantou", "汕头市", "440500"),
    ("foshan", "佛山市", "440600"),
    ("jiangmen", "江门市", "440700"),
    ("zhanjiang", "湛江市", "440800"),
    ("maoming", "茂名市", "440900"),
    ("huizhou", "惠州市", "441300"),
    ("meizhou", "梅州市", "441400"),
    ("shanwei", "汕尾市", "441500"),
    ("heyuan", "河源市", "441600"),
    ("yangjiang", "阳江市", "441700"),
    ("qingyuan", "清远市", "441800"),
    ("dongguan", "东莞市", "441900"),
    ("zhongshan", "中山市", "442000"),
    ("chaozhou", "潮州市", "445100"),
    ("jieyang", "揭阳市", "445200"),
    ("yunfu", "云浮市", "445300"),
)
# Zhaoqing's real county-level units; other cities get names from COUNTY_STEMS.
ZHAOQING_COUNTIES = (
    ("duanzhou", "端州", "市辖区", "441202"),
    ("dinghu", "鼎湖", "市辖区", "441203"),
    ("gaoyao", "高要", "市辖区", "441204"),
    ("guangning", "广宁", "县", "441223"),
    ("huaiji", "怀集", "县", "441224"),
    ("fengkai", "封开", "县", "441225"),
    ("deqing", "德庆", "县", "441226"),
    ("sihui", "四会", "县级市", "441284"),
)
COUNTY_STEMS = (
    ("dongcheng", "东城"),
    ("xijiang", "西江"),
    ("nanshan", "南山"),
    ("beihu", "北湖"),
    ("qingxi", "清溪"),
    ("pingan", "平安"),
    ("yonghe", "永和"),
    ("changle", "长乐"),
    ("xingning", "兴宁"),
    ("longmen", "龙门"),
    ("fengshun", "丰顺"),
    ("heping", "和平"),
    ("lianshan", "连山"),
    ("zijin", "紫金"),
    ("xinfeng", "新丰"),
    ("luoding", "罗定"),
)

CATEGORY_WEIGHTS = (
    ("行政处罚", 45),
    ("行政许可", 12),
    ("行政检查", 10),
    ("行政强制", 6),
    ("行政确认", 6),
    ("其他", 7),
    ("行政给付", 4),
    ("行政指导", 4),
    ("非行政许可审批", 3),
    ("行政征收", 3),
)
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
ON_APPLICATION = ("行政许可", "非行政许可审批", "行政确认", "行政给付", "其他")
STANDARD_FLOW = {
    "行政许可": "xingzheng-xuke-yiban",
    "行政处罚": "xingzheng-chufa-yiban",
    "行政检查": "xingzheng-jiancha-shuangsuiji",
    "行政确认": "xingzheng-queren-yiban",
    "行政给付": "xingzheng-geifu-yiban",
    "行政征收": "xingzheng-zhengshou-yiban",
}
NAMES = {
    "行政许可": ("{o}许可", "{o}经营许可", "{o}资质认定", "{o}核准", "{o}证核发", "{o}审批"),
    "非行政许可审批": ("{o}审核", "{o}年度审核", "{o}备案审查"),
    "行政检查": ("对{o}的监督检查", "{o}日常检查", "{o}专项检查", "{o}安全检查"),
    "行政强制": ("查封、扣押{o}相关设施和财物", "{o}强制拆除", "暂停{o}相关活动"),
    "行政确认": ("{o}登记", "{o}认定", "{o}确认", "{o}信息变更登记"),
    "其他": ("{o}备案", "{o}奖励", "{o}信息公示", "{o}投诉处理"),
    "行政给付": ("{o}补助发放", "{o}补贴发放", "{o}待遇支付"),
    "行政指导": ("{o}行政指导", "{o}合规指导", "{o}行政约谈"),
    "行政征收": ("{o}费征收", "{o}补偿费征收"),
}
VIOLATIONS = (
    "未经许可从事{o}活动",
    "违反{o}管理规定",
    "擅自变更{o}用途",
    "{o}未按规定报告",
    "伪造、变造{o}相关证件",
    "超越许可范围从事{o}",
    "{o}未建立管理制度",
    "拒绝、阻碍{o}监督检查",
    "{o}提供虚假材料",
    "{o}未按规定公示信息",
    "{o}未按规定进行检验",
    "{o}未按规定保存记录",
)
SUBITEMS = ("首次申请", "延续", "变更", "注销", "补证", "新设立", "迁移", "分立合并")
PENALTY_TYPES = ("警告", "通报批评", "罚款", "没收违法所得", "暂扣许可证件", "吊销许可证件")
TIER_LEVELS = ("轻微", "较轻", "一般", "较重", "严重")
CIRCUMSTANCES = (
    "首次违法且危害后果轻微，及时改正",
    "违法行为持续时间不超过三个月",
    "主动消除或者减轻违法行为危害后果",
    "一年内因同一违法行为被处罚两次以上",
    "违法所得数额较大或者造成较大社会影响",
    "拒不配合调查，隐匿、销毁证据",
    "造成人身伤害或者重大财产损失",
    "受他人胁迫或者诱骗实施违法行为",
    "在突发事件期间实施违法行为",
    "经责令改正拒不改正",
)
ACCOUNTABILITY = (
    "对符合法定条件的申请不予受理、不予办理的",
    "对不符合法定条件的申请准予办理的",
    "不在法定期限内作出决定的",
    "违反法定程序实施的",
    "发现违法行为不及时查处，造成不良后果的",
    "违反裁量基准，处理畸轻畸重的",
    "索取或者收受他人财物、谋取其他利益的",
    "泄露国家秘密、商业秘密或者个人隐私的",
    "不依法履行监督职责或者监督不力的",
    "其他玩忽职守、滥用职权、徇私舞弊的",
)
RISKS = (
    ("对申请材料审查不严，降低标准办理", ("严格执行审查标准，实行一次性告知", "审查意见全程留痕")),
    ("选择性执法，对熟人“放水”", ("执法全程使用执法记录仪", "案件信息录入执法办案系统")),
    ("滥用裁量权，处理畸轻畸重", ("严格执行裁量基准，裁量理由写入决定书", "重大案件集体讨论")),
    ("故意拖延办理，吃拿卡要", ("公开办理时限，实行超时默认", "设立投诉举报电话")),
    ("现场核查走过场，弄虚作假", ("两人以上共同核查", "核查结果由被核查人签字确认")),
    ("泄露申请人商业秘密", ("严格执行保密制度", "限定信息查阅权限")),
)
DUTIES = (
    "公示依法应当提交的材料，一次性告知补正材料，依法受理或者不予受理并说明理由",
    "对申请材料进行审查，需要现场核查的，指派两名以上工作人员核查",
    "依法作出决定，不予办理的书面说明理由并告知救济权利",
    "按时送达决定文书，并在政务服务网公开办理结果",
    "全面、客观、公正地调查，收集、调取证据，制作笔录",
    "对违法事实、证据、依据、程序进行审核，提出处理意见",
    "告知当事人拟作出决定的事实、理由、依据和依法享有的权利",
    "督促当事人履行决定，逾期不履行的依法强制执行",
    "建立监管档案，对办理情况开展事中事后监督检查",
    "将办理材料整理归档，按规定保存并接受监督",
)
CONDITIONS = (
    "申请人具有独立承担民事责任的能力",
    "有与申请事项相适应的场所、设施和设备",
    "有健全的管理制度和安全保障措施",
    "有与申请事项相适应的专业技术人员",
    "近三年内无重大违法违规记录",
    "符合国土空间规划和相关行业发展规划",
)
MATERIALS = (
    "申请书",
    "营业执照或者法人登记证书",
    "法定代表人身份证明",
    "场所使用权证明",
    "专业技术人员资格证明",
    "管理制度文本",
    "设施设备清单",
    "授权委托书",
)
STEPS_ON_APPLICATION = (
    ("shenqing", "申请", "申请人", "申请人通过窗口或者网上办事大厅提交申请材料。"),
    (
        "shouli",
        "受理",
        "政务服务窗口",
        "审查申请材料是否齐全、是否符合法定形式，当场或者在5日内作出受理决定。",
    ),
    ("chushen", "初审", "{section}", "对申请材料的实质内容进行初步审查，提出初审意见。"),
    (
        "xianchang",
        "现场核查",
        "{section}",
        "指派两名以上工作人员对申请人的场所、设施进行现场核查，制作核查记录。",
    ),
    ("zhuanjia", "专家评审", "{section}", "组织专家对技术性内容进行评审，评审时间不计入办理时限。"),
    ("shenhe", "审核", "{section}", "对初审意见和核查结果进行审核，提出办理意见。"),
    ("gongshi", "公示", "{section}", "在部门网站公示拟办理结果，公示期5个工作日。"),
    ("jueding", "决定", "分管领导", "作出准予或者不予办理的决定，不予办理的书面说明理由。"),
    ("zhizheng", "制证", "{section}", "制作证件或者决定文书。"),
    ("songda", "送达", "政务服务窗口", "向申请人送达证件或者决定文书，并公开办理结果。"),
    ("guidang", "归档", "{section}", "整理办理材料，立卷归档。"),
)
STEPS_EX_OFFICIO = (
    ("faxian", "发现", "{section}", "通过日常检查、投诉举报、部门移送等途径发现线索。"),
    ("dengji", "登记", "{section}", "对线索进行登记，报经负责人批准后启动程序。"),
    (
        "diaocha",
        "调查",
        "{section}",
        "执法人员不少于两人，出示执法证件，调查核实有关情况，制作笔录。",
    ),
    ("gaozhi", "告知", "{section}", "告知当事人拟采取措施的事实、理由、依据和依法享有的权利。"),
    ("chenshu", "陈述申辩", "当事人", "当事人在规定期限内陈述、申辩，执法机构应当充分听取意见。"),
    ("shenpi", "审批", "分管领导", "负责人审查后作出决定；情节复杂的，集体讨论决定。"),
    ("shishi", "实施", "{section}", "依法实施，制作现场笔录和清单，由当事人签字确认。"),
    ("songda", "送达", "{section}", "依法送达决定文书，告知申请行政复议或者提起行政诉讼的权利。"),
    ("jieguo", "处理", "{section}", "根据调查结果依法作出处理，督促当事人整改。"),
    ("guidang", "结案归档", "{section}", "整理案卷材料，结案归档。"),
)
INSERTED = (
    ("xianchang", "现场核查", "指派两名以上工作人员实地核查，制作核查记录。"),
    ("jiti", "集体讨论", "重大、复杂事项提交负责人集体讨论决定。"),
    ("fazhi", "法制审核", "法制机构对合法性、适当性进行审核。"),
)
LAW_PATTERNS = (
    ("fa", "中华人民共和国{w}法", "法律", "全国人民代表大会常务委员会", "主席令第{n}号"),
    ("tl", "{w}条例", "行政法规", "国务院", "国务院令第{n}号"),
    (
        "gd",
        "广东省{w}条例",
        "地方性法规",
        "广东省人民代表大会常务委员会",
        "广东省第十三届人民代表大会常务委员会公告第{n}号",
    ),
    ("bf", "{w}管理办法", "部门规章", "国务院有关部门", "部令第{n}号"),
    ("gz", "广东省{w}管理规定", "地方政府规章", "广东省人民政府", "广东省人民政府令第{n}号"),
)
NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 105 -> 一百零五 (up to 9999)."""
    if n < 10:
        return NUMERALS[n]
    if n < 20:
        return "十" + (NUMERALS[n % 10] if n % 10 else "")
    if n < 100:
        return NUMERALS[n // 10] + "十" + (NUMERALS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + NUMERALS[rest] if rest < 10 else _tens(rest))
        return NUMERALS[n // 100] + "百" + tail
    rest = n % 1000
    tail = "" if rest == 0 else ("零" if rest < 100 else "") + chinese_number(rest)
    return NUMERALS[n // 1000] + "千" + tail


def _tens(n: int) -> str:
    return NUMERALS[n // 10] + "十" + (NUMERALS[n % 10] if n % 10 else "")


# -- the canonical YAML form, written fast --------------------------------------------------

_PLAIN_UNSAFE = re.compile(r"[:#,\[\]{}&*!|>'\"%@`?\\\t\n\r\x85\u2028\u2029]|^[-\s]|\s$")
_QUOTED_OK = re.compile(r"^[0-9A-Za-z.+-]+$")
_NON_STR = re.compile(
    r"^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])*|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|~|null|Null|NULL"
    r"|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|0[xob].*)$"
)


class _Unsafe(Exception):
    """A value the fast writer does not handle: sources.dump writes the file instead."""


def _scalar(value: Any) -> tuple[str, bool]:
    """(text, is_block) of a scalar in canonical form."""
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int):
        return str(value), False
    if not isinstance(value, str) or not value:
        raise _Unsafe(value)
    if _NON_STR.match(value):
        if _QUOTED_OK.match(value):
            return f'"{value}"', False
        raise _Unsafe(value)
    if len(value) > sources.LONG_TEXT:
        if value[0].isspace() or value[-1].isspace() or _BREAKS.search(value):
            raise _Unsafe(value)
        return value, True
    if _PLAIN_UNSAFE.search(value):
        raise _Unsafe(value)
    return value, False


_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]")


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            _entry(f"{pad}{key}:", item, indent, out)
    elif isinstance(value, list):
        raise _Unsafe("list at top level")
    else:
        raise _Unsafe(value)


def _entry(prefix: str, item: Any, indent: int, out: list[str]) -> None:
    """``prefix`` is ``key:`` or ``- `` already indented; ``indent`` is the prefix's indentation."""
    if isinstance(item, dict):
        if not item:
            raise _Unsafe(item)
        out.append(prefix + "\n")
        _emit(item, indent + 2, out)
    elif isinstance(item, list):
        if not item:
            raise _Unsafe(item)
        out.append(prefix + "\n")
        pad = " " * (indent + 2)
        for element in item:
            if isinstance(element, dict):
                if not element:
                    raise _Unsafe(element)
                first = True
                for key, sub in element.items():
                    lead = f"{pad}- {key}:" if first else f"{pad}  {key}:"
                    _entry(lead, sub, indent + 4, out)
                    first = False
            elif isinstance(element, list):
                raise _Unsafe("nested list")
            else:
                text, block = _scalar(element)
                if block:
                    out.append(f"{pad}- |-\n{pad}  {text}\n")
                else:
                    out.append(f"{pad}- {text}\n")
    else:
        text, block = _scalar(item)
        if block:
            out.append(f"{prefix} |-\n{' ' * (indent + 2)}{text}\n")
        else:
            out.append(f"{prefix} {text}\n")


def dump(data: dict[str, Any]) -> str:
    """The canonical form of ``data`` (as sources.dump), without the header line."""
    out: list[str] = []
    try:
        _emit(data, 0, out)
    except _Unsafe:
        return sources.dump(data)
    return "".join(out)


def file_text(kind: str, rel: str, data: dict[str, Any]) -> str:
    """A data file as `site-builder fmt` writes it: the $schema line, then the data."""
    depth = rel.count("/")
    if kind in ("power", "law", "department"):
        data = ordered(kind, data)
    return f"{SCHEMA_LINE}{'../' * depth}schema/{kind}.schema.json\n" + dump(data)


def write(root: Path, rel: str, kind: str, data: dict[str, Any]) -> int:
    """Write one data file; return its size in bytes."""
    raw = file_text(kind, rel, data).encode("utf-8")
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return len(raw)


# -- the repository's parts -------------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    id: str
    name: str
    kind: str
    full_name: str
    area_code: str


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    short_name: str
    jurisdiction: Jurisdiction
    bureau: Bureau


@dataclass(frozen=True)
class Law:
    id: str
    title: str
    kind: str
    bureau: str


@dataclass
class State:
    """What must stay unique while powers are written."""

    names: set[tuple[str, str, str]] = field(default_factory=set)  # (jurisdiction, name, subitem)
    articles: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # (jurisdiction, law) -> next


@functools.cache
def standard_flows() -> dict[str, list[dict[str, Any]]]:
    """The project's standard flows (copied into every generated repository): id -> steps."""
    flows: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((PROJECT / "data/flows").glob("*.yaml")):
        data, problems = sources.parse(path.name, path.read_text(encoding="utf-8"))
        assert not problems, problems
        flows[data["id"]] = data["steps"]
    return flows


def jurisdictions_of(city: int, counties: int) -> list[dict[str, Any]]:
    """The jurisdictions file's entries: the city (市本级) and ``counties`` county-level units."""
    city_id, city_name, code = CITIES[city % len(CITIES)]
    items: list[dict[str, Any]] = [
        {
            "id": city_id,
            "name": f"{city_name.removesuffix('市')}市本级",
            "full_name": city_name,
            "kind": "市本级",
            "area_code": code,
            "government": f"{city_name}人民政府",
        }
    ]
    if city_id == "zhaoqing":
        table = list(ZHAOQING_COUNTIES)
    else:
        table = [
            (
                f"{city_id[:4]}{stem}",
                name,
                ("市辖区", "县", "县级市")[i % 3],
                f"{code[:4]}{i + 2:02d}",
            )
            for i, (stem, name) in enumerate(COUNTY_STEMS)
        ]
    for jid, name, kind, area in table[:counties]:
        full = name + {"市辖区": "区", "县": "县", "县级市": "市"}[kind]
        items.append(
            {
                "id": jid,
                "name": full,
                "full_name": f"{city_name}{full}" if kind == "市辖区" else full,
                "kind": kind,
                "area_code": area,
                "parent": city_id,
                "government": f"{city_name if kind == '市辖区' else ''}{full}人民政府",
            }
        )
    return items


def laws_of() -> list[tuple[Law, dict[str, Any]]]:
    """The register: each bureau's laws, one per (word, pattern)."""
    laws = []
    for b in BUREAUS:
        for w, word in enumerate(b.law_words):
            for slug, pattern, kind, issuer, number in LAW_PATTERNS:
                law_id = f"{b.code}-{slug}-{w + 1}"
                title = pattern.format(w=word)
                seq = (sum(map(ord, law_id)) % 250) + 1
                year = 1995 + seq % 25
                record = {
                    "id": law_id,
                    "title": title,
                    "kind": kind,
                    "issuer": issuer,
                    "doc_number": number.format(n=seq),
                    "promulgated": f"{year}-{seq % 12 + 1:02d}-{seq % 27 + 1:02d}",
                    "effective": f"{year}-{(seq + 2) % 12 + 1:02d}-01",
                    "status": "现行有效",
                }
                laws.append((Law(law_id, title, kind, b.code), record))
    return laws


def department_record(d: Department, rng: random.Random) -> dict[str, Any]:
    city = d.jurisdiction.full_name
    return {
        "id": d.id,
        "name": d.name,
        "short_name": d.short_name,
        "jurisdiction": d.jurisdiction.id,
        "kind": "政府工作部门",
        "address": f"{city}{rng.choice(('政务服务中心', '行政服务中心', '市民中心'))}{rng.randint(1, 9)}楼",
        "phone": f"0758-{rng.randint(2000000, 2999999)}",
        "office_hours": "工作日 上午8时30分至12时，下午2时30分至5时30分（法定节假日除外）",
        "complaint_channels": [{"name": "12345政务服务便民热线", "phone": "12345"}],
        "maintainers": [{"name": f"{d.short_name}政策法规科"}],
        "reviewers": [{"name": "编办"}, {"name": "司法局"}],
    }


def article(state: State, jur: str, law: Law) -> str:
    """An article of ``law`` that no other power of ``jur`` cites."""
    key = (jur, law.id)
    n = state.articles.get(key, 0)
    state.articles[key] = n + 1
    a, rest = divmod(n, 12)
    paragraph, item = divmod(rest, 4)
    return f"第{chinese_number(a + 1)}条第{chinese_number(paragraph + 1)}款第（{chinese_number(item + 1)}）项"


def law_text(rng: random.Random, category: str, obj: str, violation: str) -> str:
    low = rng.choice((1, 2, 3, 5))
    high = low * rng.choice((5, 10))
    if category == "行政处罚":
        return (
            f"违反本法规定，{violation}的，由县级以上人民政府有关主管部门责令改正，给予警告；"
            f"有违法所得的，没收违法所得；情节严重的，处{low}万元以上{high}万元以下的罚款，"
            f"并可以责令停产停业整顿，直至吊销有关许可证件。"
        )
    if category in ("行政许可", "非行政许可审批"):
        return (
            f"从事{obj}活动的，应当向县级以上人民政府有关主管部门提出申请，"
            f"并提交符合本法规定条件的证明材料。主管部门应当自受理申请之日起二十日内作出决定；"
            f"予以批准的，颁发许可证件；不予批准的，书面通知申请人并说明理由。"
        )
    if category == "行政强制":
        return (
            f"有关主管部门履行监督检查职责时，对有证据证明不符合{obj}安全标准的设施、设备和物品，"
            f"可以予以查封或者扣押，并在三十日内依法作出处理决定。"
        )
    return (
        f"县级以上人民政府有关主管部门负责本行政区域内{obj}的监督管理工作，"
        f"依法开展{category.removeprefix('行政')}，建立健全管理制度，并将办理结果向社会公开。"
    )


def own_steps(rng: random.Random, category: str, section: str) -> list[dict[str, Any]]:
    """A flow of MIN_STEPS..MAX_STEPS steps, linear or with branches."""
    pool = STEPS_ON_APPLICATION if category in ON_APPLICATION else STEPS_EX_OFFICIO
    count = rng.randint(MIN_STEPS, min(MAX_STEPS, len(pool)))
    middle = sorted(rng.sample(range(1, len(pool) - 1), count - 2))
    chosen = [pool[0], *(pool[i] for i in middle), pool[-1]]
    steps: list[dict[str, Any]] = []
    for sid, name, unit, description in chosen:
        step: dict[str, Any] = {"id": sid, "name": name, "unit": unit.format(section=section)}
        if rng.random() < 0.4:
            step["time_limit"] = {"value": rng.choice((1, 2, 3, 5, 10)), "unit": "工作日"}
        step["description"] = description
        steps.append(step)
    for i, step in enumerate(steps[:-1]):
        step["next"] = steps[i + 1]["id"]
    if rng.random() < 0.6:
        for i in sorted(rng.sample(range(1, len(steps) - 1), rng.randint(1, 2))):
            step, following = steps[i], steps[i + 1]["id"]
            branches: list[dict[str, Any]] = [{"label": "符合规定", "to": following}]
            if rng.random() < 0.5:
                branches.append({"label": "需要补充材料或者重新核实", "to": steps[i - 1]["id"]})
            branches.append(
                {"label": "不符合规定", "outcome": f"终止办理，书面告知理由（{step['name']}环节）"}
            )
            del step["next"]
            step["branches"] = branches
    return steps


def flow_of(rng: random.Random, category: str, section: str) -> tuple[dict[str, Any], list[str]]:
    """The power's ``flow`` block and the ids of its resolved steps."""
    ref = STANDARD_FLOW.get(category)
    roll = rng.random()
    if ref is not None and roll < 0.75:
        steps = standard_flows()[ref]
        ids = [s["id"] for s in steps]
        linear = [s for s in steps if "next" in s and len(steps) < MAX_STEPS]
        if roll < 0.6 or not linear:
            return {"ref": ref}, ids
        base = rng.choice(linear)
        sid, name, description = rng.choice([x for x in INSERTED if x[0] not in ids])
        new = {
            "id": sid,
            "name": name,
            "unit": section,
            "description": description,
            "next": base["next"],
            "after": base["id"],
        }
        ids.insert(ids.index(base["id"]) + 1, sid)
        return {"ref": ref, "steps": [{"id": base["id"], "next": sid}, new]}, ids
    steps = own_steps(rng, category, section)
    return {"steps": steps}, [s["id"] for s in steps]


def pick_name(
    rng: random.Random, state: State, d: Department, category: str
) -> tuple[str, str, str]:
    """(name, subitem or "", the object) unique in the department's jurisdiction."""
    jur = d.jurisdiction.id
    for attempt in range(60):
        obj = rng.choice(d.bureau.objects)
        if category == "行政处罚":
            name = f"对{rng.choice(VIOLATIONS).format(o=obj)}的行政处罚"
        else:
            name = rng.choice(NAMES[category]).format(o=obj)
        subitem = ""
        if attempt >= 10:
            subitem = SUBITEMS[rng.randrange(len(SUBITEMS))]
        if attempt >= 30:
            subitem = f"第{chinese_number(rng.randint(1, 999))}类情形"
        if (jur, name, subitem) not in state.names:
            state.names.add((jur, name, subitem))
            return name, subitem, obj
    raise RuntimeError(f"no unique name left in {d.id}")


def power_record(
    rng: random.Random,
    d: Department,
    number: int,
    laws: list[Law],
    state: State,
    *,
    category: str | None = None,
    subitem: str | None = None,
    article_text: str | None = None,
) -> dict[str, Any]:
    """One power of department ``d``: 1-4 KB of text in the schema's key order.

    ``subitem`` and ``article_text`` override the unique name and article (the history
    generator uses them for powers added later, when ``state`` is not at hand).
    """
    if category is None:
        category = rng.choices([c for c, _ in CATEGORY_WEIGHTS], [w for _, w in CATEGORY_WEIGHTS])[
            0
        ]
    name, sub, obj = pick_name(rng, state, d, category)
    if subitem is not None:
        sub = subitem
    letter = LETTERS[category]
    violation = name.removeprefix("对").removesuffix("的行政处罚")
    section = rng.choice(d.bureau.sections)
    own_laws = [law for law in laws if law.bureau == d.bureau.code]
    cited = rng.sample(own_laws, rng.choice((1, 1, 2, 2, 3)))
    bases = []
    for law in cited:
        art = article_text or article(state, d.jurisdiction.id, law)
        bases.append(
            {
                "kind": law.kind,
                "law": law.id,
                "article": art,
                "text": law_text(rng, category, obj, violation),
            }
        )
    statutory = rng.choice((10, 15, 20, 30, 60)) if category != "行政处罚" else 90
    unit = "工作日" if category != "行政处罚" else "自然日"
    flow, step_ids = flow_of(rng, category, section)
    core: dict[str, Any] = {
        "id": f"{d.id}-{letter}-{number:05d}",
        "code": f"{d.jurisdiction.area_code}-{letter.upper()}-{number:05d}",
        "name": name,
    }
    if sub:
        core["subitem"] = sub
    core["category"] = category
    core["content"] = (
        f"依据{'、'.join('《' + law.title + '》' for law in cited)}，{d.short_name}对本行政区域内"
        f"{obj}{'违法行为实施行政处罚' if category == '行政处罚' else '依法实施' + category}。"
        + rng.choice(
            (
                "",
                "办理过程中涉及其他部门职责的，按照职责分工移送有关部门处理。",
                f"本事项由{section}具体承办，办理结果通过政务服务网公开。",
            )
        )
    )
    core["handling_unit"] = section
    core["power_source"] = rng.choice(("法定本级行使",) * 8 + ("上级下放", "上级委托"))
    core["levels"] = ["市级", "县级"] if rng.random() < 0.6 else ["市级"]
    core["target"] = rng.sample(("自然人", "法人", "其他组织"), rng.randint(1, 3))
    core["legal_basis"] = bases
    core["statutory_time_limit"] = {"value": statutory, "unit": unit}
    core["committed_time_limit"] = {
        "value": rng.randint(max(1, statutory // 3), statutory),
        "unit": unit,
    }
    extra: dict[str, Any] = {}
    if category in ("行政许可", "非行政许可审批") and rng.random() < 0.5:
        extra["fees"] = [{"item": "不收费"}]
    if category == "行政处罚":
        core["penalty"] = {
            "violation": violation,
            "types": sorted(rng.sample(PENALTY_TYPES, rng.randint(1, 3)), key=PENALTY_TYPES.index),
        }
    elif category == "行政强制":
        core["coercion"] = {
            "target": f"涉及{obj}的场所、设施或者财物",
            "measures": ["查封场所、设施或者财物", "扣押财物"],
        }
    elif category == "行政征收":
        core["levy"] = {"item": f"{obj}相关费用", "standard": "按照省物价、财政部门核定的标准征收"}
    core["flow"] = flow
    duty_steps = sorted(
        rng.sample(step_ids, min(len(step_ids), rng.randint(2, 4))), key=step_ids.index
    )
    core["responsibilities"] = [{"step": s, "duty": rng.choice(DUTIES) + "。"} for s in duty_steps]
    extra["accountability"] = rng.sample(ACCOUNTABILITY, rng.randint(3, 5))
    risks = []
    for s in rng.sample(step_ids, rng.randint(1, 2)):
        risk, measures = rng.choice(RISKS)
        risks.append(
            {
                "step": s,
                "risk": risk,
                "level": rng.choice(("高", "中", "低")),
                "measures": list(measures),
            }
        )
    extra["integrity_risks"] = risks
    if category == "行政处罚":
        entries = []
        for law in cited[: rng.randint(1, 2)]:
            tiers = []
            for level in sorted(rng.sample(TIER_LEVELS, rng.randint(2, 3)), key=TIER_LEVELS.index):
                low = (TIER_LEVELS.index(level) + 1) * rng.choice((1, 2))
                tiers.append(
                    {
                        "level": level,
                        "circumstances": rng.sample(CIRCUMSTANCES, rng.randint(1, 2)),
                        "standard": f"责令改正，处{low}千元以上{low * 3}千元以下的罚款",
                    }
                )
            entries.append(
                {
                    "violation": violation,
                    "basis": f"《{law.title}》{bases[cited.index(law)]['article']}",
                    "tiers": tiers,
                }
            )
        core["discretion"] = entries
    if rng.random() < 0.2:
        extra["related_departments"] = [
            {
                "name": "同级有关部门",
                "relation": rng.choice(("前置", "后置", "并联")),
                "matter": "办理结果抄送相关部门",
            }
        ]
    if category in ON_APPLICATION:
        extra["service_guide"] = {
            "conditions": rng.sample(CONDITIONS, rng.randint(2, 4)),
            "materials": [
                {"name": m, "copies": "原件1份"} for m in rng.sample(MATERIALS, rng.randint(3, 5))
            ],
            "place": f"{d.jurisdiction.full_name}政务服务中心{d.short_name}窗口",
            "hours": "工作日 上午9时至12时，下午2时至5时",
            "phone": f"0758-{rng.randint(2000000, 2999999)}",
        }
    extra["remedies"] = [
        {
            "kind": "行政复议",
            "body": f"{d.jurisdiction.full_name}人民政府",
            "deadline": "自知道该行政行为之日起六十日内",
        },
        {
            "kind": "行政诉讼",
            "body": "有管辖权的人民法院",
            "deadline": "自知道或者应当知道作出行政行为之日起六个月内",
        },
    ]
    disclosure: dict[str, Any] = {"public": True}
    if rng.random() < 0.01:
        disclosure = {
            "public": False,
            "reason": "涉及国家秘密",
            "basis": "《中华人民共和国保守国家秘密法》第九条",
        }
    tail: dict[str, Any] = {
        "disclosure": disclosure,
        "status": "在用" if rng.random() < 0.98 else "暂停",
    }
    tail["effective_from"] = f"20{rng.randint(16, 23)}-{rng.randint(1, 12):02d}-01"
    return fit(rng, core, extra, tail)


@functools.cache
def key_order(kind: str) -> tuple[str, ...]:
    """The top-level keys of a file kind in the order of its schema (as fmt writes them)."""
    schema = json.loads((PROJECT / f"schema/{kind}.schema.json").read_text(encoding="utf-8"))
    return tuple(schema["properties"])


def ordered(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record's top-level keys in the schema's order (nested blocks are written in order)."""
    order = key_order(kind)
    return {key: record[key] for key in sorted(record, key=order.index)}


def fit(
    rng: random.Random, core: dict[str, Any], extra: dict[str, Any], tail: dict[str, Any]
) -> dict[str, Any]:
    """Keep the optional blocks that fit a target size drawn in MIN_BYTES..MAX_BYTES."""
    target = rng.triangular(MIN_BYTES + 200, MAX_BYTES - 300, 2300)
    header = 70  # the $schema line
    size = header + len(dump({**core, **tail}).encode("utf-8"))
    kept = dict(core)
    for key, value in extra.items():
        block = len(dump({key: value}).encode("utf-8"))
        if size + block <= target:
            kept[key] = value
            size += block
    kept.update(tail)
    record = ordered("power", kept)
    while (size := header + len(dump(record).encode("utf-8"))) > MAX_BYTES - 64:
        if not shrink(record, extra):
            break
    pad = 0
    while size < MIN_BYTES + 64:  # too short: the legal text is quoted in full
        basis = record["legal_basis"][pad % len(record["legal_basis"])]
        addition = "违反前款规定，情节严重的，依法追究有关人员的责任。"
        basis["text"] += addition
        size += len(addition.encode("utf-8"))
        pad += 1
    return record


def shrink(record: dict[str, Any], extra: dict[str, Any]) -> bool:
    """Drop one thing from an oversized record, the least essential first; False if nothing is left."""
    for key in reversed(extra):
        if key in record:
            del record[key]
            return True
    for key in ("legal_basis", "discretion", "responsibilities"):
        if len(record.get(key, ())) > 1:
            record[key].pop()
            return True
    for step in record["flow"].get("steps", []):
        if "description" in step and "after" not in step:
            del step["description"]
            return True
    for basis in record["legal_basis"]:
        if len(basis.get("text", "")) > 60:
            basis["text"] = basis["text"][:60].rstrip("，；") + "。"
            return True
    return False


def site_config(city: int, base_url: str | None) -> dict[str, Any]:
    """The project's site.yaml, retitled for the city."""
    parsed, problems = sources.parse(
        "site.yaml", (PROJECT / "site.yaml").read_text(encoding="utf-8")
    )
    assert not problems and isinstance(parsed, dict), problems
    data: dict[str, Any] = parsed
    city_id, city_name, _ = CITIES[city % len(CITIES)]
    data["title"] = f"{city_name}行政职权权责清单"
    data["description"] = (
        f"{city_name}本级及所辖县（市、区）政府部门的行政职权、运行流程、责任事项和自由裁量基准（合成的基准测试数据）。"
    )
    data["jurisdiction"] = city_id
    data["publisher"] = f"{city_name}推行政府部门权责清单制度改革工作联席会议办公室"
    data["base_url"] = base_url or f"https://qingdan.example/{city_id}"
    repo = f"https://git.example.org/{city_id}/quanze-qingdan"
    data["repository"] = {
        "url": repo,
        "branch": "main",
        "edit_url": repo + "/edit/main/{path}",
        "commit_url": repo + "/commit/{commit}",
        "pull_url": repo + "/pull/{number}",
    }
    return data


@dataclass
class Generated:
    """What generate() wrote."""

    records: int = 0
    record_bytes: int = 0
    departments: int = 0
    laws: int = 0
    jurisdictions: int = 0
    seconds: float = 0.0
    history: dict[str, Any] = field(default_factory=dict)


def departments_of(jurisdictions: list[dict[str, Any]], bureaus: int) -> list[Department]:
    out = []
    for item in jurisdictions:
        jur = Jurisdiction(
            item["id"], item["name"], item["kind"], item["full_name"], item["area_code"]
        )
        prefix = "市" if jur.kind == "市本级" else jur.name
        for b in BUREAUS[:bureaus]:
            out.append(
                Department(f"{jur.id}-{b.code}", jur.full_name + b.name, prefix + b.name, jur, b)
            )
    return out


def generate(
    out: Path,
    records: int,
    *,
    seed: int = 2016,
    history: int = 0,
    city: int = 0,
    counties: int = 8,
    bureaus: int = len(BUREAUS),
    base_url: str | None = None,
) -> Generated:
    """Write a repository of ``records`` powers into ``out`` (replaced if present).

    ``city`` indexes CITIES (0 is Zhaoqing); ``counties`` county-level units beside the city;
    ``bureaus`` departments in each jurisdiction; ``history`` > 0 makes ``out`` a git
    repository with that many pull-request merges after the first commit.
    """
    started = time.perf_counter()
    rng = random.Random(f"generate:{seed}:{city}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("schema", "templates"):
        shutil.copytree(PROJECT / name, out / name)
    shutil.copytree(PROJECT / "data/flows", out / "data/flows")
    # As a real site repository would: the build's cache and output are not committed.
    (out / ".gitignore").write_text("/.cache/\n/public/\n/.public.*\n", encoding="utf-8")
    result = Generated()
    config = site_config(city, base_url)
    (out / "site.yaml").write_text(
        f"{SCHEMA_LINE}schema/site.schema.json\n" + sources.dump(config), encoding="utf-8"
    )
    jurisdictions = jurisdictions_of(city, counties)
    (out / "data/jurisdictions.yaml").write_text(
        f"{SCHEMA_LINE}../schema/jurisdictions.schema.json\n"
        + sources.dump({"jurisdictions": jurisdictions}),
        encoding="utf-8",
    )
    result.jurisdictions = len(jurisdictions)
    laws = []
    for law, record in laws_of():
        if law.bureau in {b.code for b in BUREAUS[:bureaus]}:
            write(out, f"data/laws/{law.id}.yaml", "law", record)
            laws.append(law)
    result.laws = len(laws)
    departments = departments_of(jurisdictions, bureaus)
    for d in departments:
        write(
            out, f"data/departments/{d.id}/department.yaml", "department", department_record(d, rng)
        )
    result.departments = len(departments)
    state = State()
    for n in range(records):
        d = (
            departments[rng.randrange(len(departments))]
            if n >= len(departments)
            else departments[n]
        )
        record = power_record(rng, d, n, laws, state)
        result.record_bytes += write(
            out, f"data/departments/{d.id}/powers/{record['id']}.yaml", "power", record
        )
    result.records = records
    if history:
        import synthetic_history

        stats = synthetic_history.commit(out, pull_requests=history, seed=seed)
        result.history = {
            "commits": stats.commits,
            "pull_requests": stats.pull_requests,
            "merges": stats.pull_requests - stats.squashed,
            "edits": dict(sorted(stats.edits.items())),
        }
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000, help="powers to write")
    parser.add_argument("--out", type=Path, required=True, help="folder (replaced if present)")
    parser.add_argument("--history", type=int, default=0, metavar="K", help="K pull-request merges")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument(
        "--city", type=int, default=0, help=f"index into CITIES (0-{len(CITIES) - 1})"
    )
    parser.add_argument(
        "--counties", type=int, default=8, help="county-level units beside the city"
    )
    parser.add_argument(
        "--base-url", help="site.yaml base_url (default https://qingdan.example/<city>)"
    )
    args = parser.parse_args()
    result = generate(
        args.out,
        args.records,
        seed=args.seed,
        history=args.history,
        city=args.city,
        counties=args.counties,
        base_url=args.base_url,
    )
    print(json.dumps(result.__dict__, ensure_ascii=False))


if __name__ == "__main__":
    main()
