"""``site-builder init``: a new list repository for one government, ready to validate and build.

It holds the site's configuration (the ten categories, the 12345 hotline, the notice that
the law governs, placeholders for the repository's addresses), the main jurisdiction, the
standard flows, the schemas made the list's own (``schemagen``), empty folders for the
departments and the laws, and the files around the data: ``.gitignore``, CI for GitHub and
GitLab, a pull-request template, a README and a CONTRIBUTING naming that government. Those
are package data in ``new_list/``, filled with ``@{name}`` placeholders (``$`` and ``{{ }}``
belong to the CI files' own languages). Nothing of the reference list's data comes along.

Everything is checked before anything is written; the repository is made in a hidden
sibling folder and renamed into place at the end, so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder import __version__
from site_builder.errors import UsageError
from site_builder.history import gitstore
from site_builder.reading import defaults, formats, layout, pinyin, schemagen, slugs, tree
from site_builder.reading.schemas import Schemas
from site_builder.tools.fmt import canonical_text

TEMPLATES = Path(__file__).resolve().parent / "new_list"

# The power categories of the reference list (2015 中央编办、国务院法制办 guidance), with
# their local codes and letters: a new list starts with them, and may change them later.
CATEGORIES = (
    ("行政许可", "1", "XK"),
    ("非行政许可审批", "2", "SP"),
    ("行政处罚", "3", "CF"),
    ("行政强制", "4", "QZ"),
    ("行政征收", "5", "ZS"),
    ("行政给付", "6", "GF"),
    ("行政检查", "7", "JC"),
    ("行政指导", "8", "ZD"),
    ("行政确认", "9", "QR"),
    ("其他", "10", "QT"),
)
HOTLINE = {"name": "12345政务服务便民热线", "phone": "12345"}
NOTICE = (
    "本清单依据法律、法规、规章和“三定”方案编制，仅供查询参考；"
    "与法律、法规、规章规定不一致的，以法律、法规、规章为准。"
)
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "知识共享署名 4.0 国际许可协议",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
TAG_PATTERN = "edition-*"
BRANCH = "main"
# The repository's addresses until the list has its own (site.yaml says so).
PLACEHOLDER = "https://git.example.org"

# The files around the data: the template's name in new_list/ -> its place in the list.
FILES = {
    "gitignore": ".gitignore",
    "README.md": "README.md",
    "CONTRIBUTING.md": "CONTRIBUTING.md",
    "github-site.yml": ".github/workflows/site.yml",
    "review-template.md": ".github/pull_request_template.md",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "gitlab-review-template.md": ".gitlab/merge_request_templates/Default.md",
}
# An empty file that makes git keep a folder that holds nothing yet (validate skips it).
KEEP = ".gitkeep"

MAX_TITLE = 100
MAX_NAME = 50
DEFAULT_KIND = "市本级"
# The provinces of GB/T 2260 (the first two digits of every area code).
PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63"}
    | {"64", "65", "71", "81", "82"}
)
# What a place's name ends with, left out of the id made from it (江门市 → jiangmen).
_SUFFIXES = ("本级", "自治县", "自治州", "自治旗", "市", "县", "区", "旗")


@dataclass(frozen=True)
class Plan:
    """What ``init`` writes, checked: the site's title and its main jurisdiction."""

    folder: Path
    title: str
    name: str
    kind: str
    jurisdiction: str
    government: str
    area_code: str | None = None


@dataclass(frozen=True)
class Created:
    """The repository written, and whether its first commit was made."""

    folder: Path
    jurisdiction: str
    committed: bool


def plan(
    folder: Path,
    title: str,
    name: str,
    kind: str | None = None,
    area_code: str | None = None,
    jurisdiction: str | None = None,
) -> Plan:
    """Check what ``init`` was given; raise a UsageError naming the first thing wrong."""
    _check_folder(folder)
    title = _text(title, "清单标题（--title）", MAX_TITLE, "例如 某某市行政职权权责清单")
    name = _text(name, "行政区域名称（--jurisdiction）", MAX_NAME, "例如 某某市本级、某某县")
    kind = kind or DEFAULT_KIND
    kinds = _kinds()
    if kind not in kinds:
        raise UsageError(f"区域类型（--kind）“{kind}”无效。可选：{'、'.join(kinds)}")
    if area_code is not None:
        _check_area_code(area_code)
    jurisdiction = jurisdiction if jurisdiction is not None else _id_of(name)
    why = slugs.problem(jurisdiction)
    if why is not None:
        raise UsageError(f"行政区域标识（--id）“{slugs.shown(jurisdiction)}”无效：{why}")
    return Plan(folder, title, name, kind, jurisdiction, _government(name, kind), area_code)


def _check_folder(folder: Path) -> None:
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UsageError(f"{folder} 已存在且不是文件夹：请换一个文件夹。")
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(
            f"文件夹 {folder} 不是空的：init 只在新的或空的文件夹中建立清单，不会改动已有文件。"
            "请换一个文件夹名。"
        )
    if not folder.parent.is_dir():
        raise UsageError(f"上级文件夹 {folder.parent} 不存在：请先创建它，或换一个位置。")


def _text(value: str, label: str, limit: int, hint: str) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"{label}不能为空：{hint}。")
    if len(value) > limit:
        raise UsageError(f"{label}太长（{len(value)} 个字）：最多 {limit} 个字。")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise UsageError(f"{label}中有换行、制表符或其他控制字符：请只写一行文字。")
    return value


def _check_area_code(code: str) -> None:
    if not re.fullmatch(r"[0-9]{6}", code):
        raise UsageError(
            f"行政区划代码（--area-code）“{slugs.shown(code)}”无效：应为 GB/T 2260 的六位数字，"
            "例如 440100。"
        )
    if code[:2] not in PROVINCES:
        raise UsageError(
            f"行政区划代码（--area-code）“{code}”无效：前两位“{code[:2]}”不是 GB/T 2260 中的省级代码。"
        )


def _kinds() -> list[str]:
    """The kinds of jurisdiction the schema a new list is given allows."""
    raw = schemagen.generate()[layout.schema_file("jurisdictions")]
    doc = json.loads(raw.decode("utf-8"))
    kinds: list[str] = doc["properties"]["jurisdictions"]["items"]["properties"]["kind"]["enum"]
    return kinds


def _id_of(name: str) -> str:
    base = name
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base.removesuffix(suffix)
    found = pinyin.letters(base)
    if not found:
        raise UsageError(
            f"无法从名称“{name}”生成行政区域标识：请用 --id 指定，例如 --id jiangmen"
            "（小写英文字母、数字和连字符）。"
        )
    return found[: slugs.MAX_LENGTH]


def _government(name: str, kind: str) -> str:
    place = name.removesuffix("本级")
    return f"{place}管委会" if kind == "功能区" else f"{place}人民政府"


def create(p: Plan) -> Created:
    """Write the repository ``p`` describes into its folder and start its git history."""
    files = contents(p)
    temp = Path(tempfile.mkdtemp(prefix=f".{p.folder.name}.init-", dir=p.folder.parent))
    try:
        for rel, data in files.items():
            target = temp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        committed = gitstore.start_repository(temp, f"建立{p.title}", BRANCH)
        if p.folder.is_dir():
            p.folder.rmdir()  # empty, as checked: the new repository takes its place
        temp.rename(p.folder)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise UsageError(
            f"无法写入 {p.folder}：{exc.strerror or exc}。请检查磁盘空间和写入权限。"
        ) from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Created(p.folder, p.jurisdiction, committed)


def contents(p: Plan) -> dict[str, bytes]:
    """Every file of the new repository (its path: bytes)."""
    names = [name for name, _, _ in CATEGORIES]
    out = dict(schemagen.generate(names))
    schemas = Schemas(p.folder / layout.SCHEMA, names)  # none there yet: the generated ones
    out[layout.CONFIG] = _record(_site_header(p), site_config(p), "site", layout.CONFIG, schemas)
    jurisdiction: dict[str, Any] = {
        "id": p.jurisdiction,
        "name": p.name,
        "kind": p.kind,
        "area_code": p.area_code,
        "government": p.government,
    }
    out[layout.JURISDICTIONS] = _record(
        [], {"jurisdictions": [jurisdiction]}, "jurisdictions", layout.JURISDICTIONS, schemas
    )
    flows = defaults.flows()
    for path in tree.files(flows, defaults.base(flows)):
        if path.parent == flows and path.suffix == ".yaml":
            out[f"{layout.FLOWS}/{path.name}"] = tree.read(path, defaults.base(flows))
    for folder in (layout.DEPARTMENTS, layout.LAWS):
        out[f"{folder}/{KEEP}"] = b""
    values = {
        "title": p.title,
        "name": p.name,
        "government": p.government,
        "jurisdiction": p.jurisdiction,
        "version": __version__,
        "branch": BRANCH,
    }
    for name, rel in FILES.items():
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        out[rel] = _fill(text, values).encode("utf-8")
    return out


# A placeholder of the templates: ``@{name}`` (``$`` and ``{{ }}`` are the CI files' own).
_PLACEHOLDER = re.compile(r"@\{([a-z_]+)\}")


def _fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (an unknown one is a KeyError)."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def site_config(p: Plan) -> dict[str, Any]:
    """The settings of the new list's site.yaml."""
    repo = f"{PLACEHOLDER}/{p.jurisdiction}/quanze-qingdan"
    return {
        "format": formats.CURRENT,  # what a later tool upgrades from
        "title": p.title,
        "description": (
            f"{p.name}政府部门的行政职权、运行流程、责任事项、廉政风险防控措施和自由裁量基准，"
            "以开放数据形式公布，每一次修改都有记录可查。"
        ),
        "jurisdiction": p.jurisdiction,
        "publisher": p.government,
        "repository": {
            "url": repo,
            "branch": BRANCH,
            "edit_url": f"{repo}/edit/{BRANCH}/{{path}}",
            "commit_url": f"{repo}/commit/{{commit}}",
            "pull_url": f"{repo}/pull/{{number}}",
        },
        "editions": {"tag_pattern": TAG_PATTERN},
        "licence": dict(LICENCE),
        "categories": [
            {"name": name, "code": code, "letter": letter} for name, code, letter in CATEGORIES
        ],
        "hotline": dict(HOTLINE),
        "notice": NOTICE,
    }


def _site_header(p: Plan) -> list[str]:
    return [
        f"# {p.title}的站点配置。",
        f"# repository 下的地址是占位符（{PLACEHOLDER}）：请换成本清单仓库的实际网页地址。",
        "#   GitHub：edit_url 为 <仓库地址>/edit/main/{path}，commit_url 为 <仓库地址>/commit/{commit}，",
        "#           pull_url 为 <仓库地址>/pull/{number}；",
        "#   GitLab：edit_url 为 <仓库地址>/-/edit/main/{path}，commit_url 为 <仓库地址>/-/commit/{commit}，",
        "#           pull_url 为 <仓库地址>/-/merge_requests/{number}。",
        f"# publisher（发布机关）暂填为{p.government}：请改为实际负责本清单的机关。",
        "# 网站有了正式地址后，可增加 base_url（例如 https://qingdan.example.gov.cn）；",
        "# 审核人（编办、司法部门）可写在 reviewers 中，site-builder codeowners 据此生成 CODEOWNERS。",
    ]


def _record(header: list[str], data: Any, kind: str, rel: str, schemas: Schemas) -> bytes:
    """A data file in the canonical form ``fmt`` writes, with ``header``'s comments on top."""
    text = "".join(f"{line}\n" for line in header)
    return canonical_text(text, data, kind, rel, schemas).encode("utf-8")


def next_steps(created: Created) -> list[str]:
    """What to do next, in the words ``init`` ends with."""
    where = created.folder.as_posix()
    commit = (
        "已建立 git 仓库并提交了第一个版本（分支 main）。"
        if created.committed
        else "已建立 git 仓库，文件已暂存但尚未提交：git 还不知道提交人是谁。请先运行\n"
        '  git config --global user.name "姓名"\n'
        '  git config --global user.email "邮箱"\n'
        '然后在清单文件夹中运行 git commit -m "建立清单"。'
    )
    return [
        f"已建立清单仓库：{where}",
        commit,
        "下一步：",
        f"  cd {where}",
        "  site-builder new department --id 部门标识 --name 部门全称",
        "  site-builder new power --department 部门标识 --category 行政许可 --name 职权名称",
        "  site-builder validate",
        '  git add -A && git commit -m "新增部门和职权"',
        "  site-builder build",
        "发布前请把 site.yaml 中 repository 下的占位地址换成本清单仓库的地址（见 README.md）。",
    ]
