"""Import a penalty discretion-standard table (行政处罚自由裁量基准) into the ``discretion``
blocks of a department's penalty powers.

The table has the columns 序号 / 违法行为 / 法律依据 / 类别 / 裁量情节 / 裁量标准 / 备注
(header synonyms below). Rows of one 序号 form one violation (a row with an empty 序号
and an empty 违法行为 continues the violation above). A row whose 类别 is empty continues
the tier above: its 裁量情节 joins that tier's circumstances. With merged cells (filled by
``spreadsheet.read_table``) a continuation repeats the 类别 and 裁量标准 of the tier above,
which is read the same way. Every sheet of a workbook is read.

Each violation is matched to one of the department's penalty powers: first by its legal
basis (the same law title and the same 第…条 as one of the power's legal_basis entries),
else by its violation text found in the power's penalty.violation or name (a guess, reported).
The plan is a report: nothing is written unless ``apply`` is called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.errors import UsageError
from site_builder.tools import importer, spreadsheet
from site_builder.tools.powersheet import PowerFile, department_powers, law_titles

# Header synonyms (compared without spaces); the first is the canonical header.
HEADERS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号"),
    "violation": ("违法行为", "违法行为名称", "违法行为表述"),
    "basis": ("法律依据", "处罚依据", "依据"),
    "level": ("类别", "阶次", "裁量阶次", "裁量等级", "违法程度"),
    "circumstance": ("裁量情节", "情节", "违法情节"),
    "standard": ("裁量标准", "处罚标准", "处罚裁量标准"),
    "remark": ("备注", "说明"),
}
REQUIRED = ("violation", "level", "circumstance", "standard")

_INTEGRAL = re.compile(r"^(\d+)\.0+$")
_TITLE = re.compile(r"《([^》]+)》")
_ARTICLE = re.compile(r"第([零〇一二两三四五六七八九十百千\d]+)条")
_CLAUSE = re.compile(r"第([零〇一二两三四五六七八九十百千\d]+)款")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


@dataclass
class Entry:
    """One violation read from the table, with the discretion item it becomes."""

    where: str  # file, sheet and first row, for messages
    seq: str
    violation: str
    row: int = 0  # its first row in the sheet
    basis: str = ""
    remark: str = ""
    tiers: list[dict[str, Any]] = field(default_factory=list)

    def item(self) -> dict[str, Any]:
        """The ``discretion`` item: {violation, basis, tiers[{level, circumstances, standard}], remark}."""
        out: dict[str, Any] = {"violation": self.violation}
        if self.basis:
            out["basis"] = self.basis
        out["tiers"] = [
            {k: v for k, v in tier.items() if k != "at" and v not in ("", [])}
            for tier in self.tiers
        ]
        if self.remark:
            out["remark"] = self.remark
        return out

    @property
    def label(self) -> str:
        return f"{self.where}（序号 {self.seq or '无'}：{_short(self.violation)}）"


@dataclass
class Match:
    entry: Entry
    power: str
    how: str  # in words, for the report


@dataclass
class DiscretionPlan:
    """What importing the table would do: new discretion blocks by power, and the report."""

    table: str
    department: str
    entries: list[Entry] = field(default_factory=list)
    blocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # power id → block
    paths: dict[str, str] = field(default_factory=dict)  # power id → file
    matched: list[Match] = field(default_factory=list)
    guesses: list[Match] = field(default_factory=list)  # matched on the violation text only
    unmatched: list[tuple[Entry, str]] = field(default_factory=list)  # with the reason
    problems: list[str] = field(default_factory=list)  # rows or tiers left out, and why
    notes: list[str] = field(default_factory=list)  # how the file was read
    tables: list[spreadsheet.Table] = field(default_factory=list)


# --- reading the table -----------------------------------------------------------------


def _short(text: str, size: int = 24) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= size else line[:size] + "…"


def _clean(text: str) -> str:
    """Strip each line; a run of spaces standing for a line break becomes one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    text = re.sub(r" {4,}", "\n", text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def _level(text: str) -> str:
    """A level as written; ``1.0`` (a number read as text) becomes ``1``."""
    m = _INTEGRAL.match(text)
    return m.group(1) if m else text


def _columns(table: spreadsheet.Table, where: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in spreadsheet.columns(table):
        for key, names in HEADERS.items():
            if header in names and key not in found:
                found[key] = index
    missing = [HEADERS[k][0] for k in REQUIRED if k not in found]
    if missing:
        raise UsageError(
            f"{where} 不是裁量基准表：缺少列 {'、'.join(missing)}。"
            f"裁量基准表的表头应为 {' / '.join(names[0] for names in HEADERS.values())}；"
            f"现有表头：{'、'.join(h for _, h in spreadsheet.columns(table)) or '无'}。"
        )
    return found


def is_discretion_table(table: spreadsheet.Table) -> bool:
    """Whether ``table`` has the columns of a discretion-standard table."""
    headers = {h for _, h in spreadsheet.columns(table)}
    return all(any(n in headers for n in HEADERS[k]) for k in REQUIRED)


def read_entries(path: Path | str) -> tuple[list[Entry], list[str], list[str]]:
    """Read every sheet of the table: (violations, problems, notes)."""
    entries, problems, notes, _ = _read_file(Path(path))
    return entries, problems, notes


def _read_file(path: Path) -> tuple[list[Entry], list[str], list[str], list[spreadsheet.Table]]:
    tables = spreadsheet.read_tables(path)
    entries: list[Entry] = []
    problems: list[str] = []
    notes: list[str] = []
    usable = [t for t in tables if is_discretion_table(t)]
    if not usable:  # let the first table explain what is missing
        _columns(tables[0], _where(path, tables[0]))
    for table in tables:
        where = _where(path, table)
        if table not in usable:
            notes.append(f"{where}：表头不是裁量基准表的表头，已跳过该工作表。")
            continue
        if table.encoding:
            notes.append(f"{where}：文字编码 {table.encoding}。")
        notes += [f"{where}：{n}" for n in table.notes]
        more, found = _read_sheet(table, where, _columns(table, where))
        entries += more
        problems += found
    return entries, problems, notes, usable


def _where(path: Path, table: spreadsheet.Table) -> str:
    return path.name + (f" 工作表“{table.sheet}”" if table.sheet else "")


def _read_sheet(
    table: spreadsheet.Table, where: str, cols: dict[str, int]
) -> tuple[list[Entry], list[str]]:
    entries: list[Entry] = []
    problems: list[str] = []
    current: Entry | None = None
    for row in table.rows:
        cell = {key: _clean(row.get(i)) for key, i in cols.items()}
        get = cell.get
        at = f"{where} 第 {row.number} 行"
        seq, violation = get("seq", ""), get("violation", "")
        level, circumstance = _level(get("level", "")), get("circumstance", "")
        standard = get("standard", "")
        filled = [v for v in row.cells if v.strip()]
        if not (level or circumstance or standard) or (len(filled) >= 3 and len(set(filled)) == 1):
            problems.append(f"{at}：没有裁量情节和裁量标准（标题行或空行），已跳过。")
            continue
        starts = (seq and (current is None or seq != current.seq)) or (
            not seq and violation and (current is None or violation != current.violation)
        )
        if starts:
            if not violation:
                problems.append(
                    f"{at}：序号 {seq} 没有填写违法行为，该行已跳过。请在“违法行为”列填写。"
                )
                current = None
                continue
            current = Entry(at, seq, violation, row.number)
            entries.append(current)
        elif current is None:
            problems.append(
                f"{at}：没有序号和违法行为，上面也没有可接续的违法行为，该行已跳过。请填写序号和违法行为。"
            )
            continue
        for key in ("basis", "remark"):
            value = get(key, "")
            old = getattr(current, key)
            if value and value not in old.split("\n"):
                setattr(current, key, f"{old}\n{value}" if old else value)
        _add_tier(current, level, circumstance, standard, at, problems)
    for entry in entries:
        kept = []
        for tier in entry.tiers:
            if not tier["standard"] or not tier["circumstances"]:
                what = "裁量标准" if not tier["standard"] else "裁量情节"
                problems.append(
                    f"{tier['at']}（序号 {entry.seq or '无'}）：阶次“{tier['level'] or '（无）'}”没有{what}，该阶次未导入。请在表格中补充后重新导入。"
                )
                continue
            kept.append(tier)
        entry.tiers = kept
    dropped = [e for e in entries if not e.tiers]
    for entry in dropped:
        problems.append(f"{entry.label}：没有可导入的裁量阶次，该违法行为未导入。")
    return [e for e in entries if e.tiers], problems


def _add_tier(
    entry: Entry, level: str, circumstance: str, standard: str, at: str, problems: list[str]
) -> None:
    last = entry.tiers[-1] if entry.tiers else None
    circumstances = [circumstance] if circumstance else []
    if last is not None and (
        (not level and (not standard or standard == last["standard"]))
        or (level and level == last["level"] and (not standard or standard == last["standard"]))
    ):
        last["circumstances"] += [c for c in circumstances if c not in last["circumstances"]]
        return
    if not level and last is not None:
        problems.append(
            f"{at}：类别为空，但裁量标准与上一阶次不同，已作为单独的阶次（没有阶次名称）导入。请核对并填写类别。"
        )
    elif not level:
        problems.append(f"{at}：第一个阶次没有类别，已按没有阶次名称导入。请核对并填写类别。")
    entry.tiers.append(
        {"level": level, "circumstances": circumstances, "standard": standard, "at": at}
    )


# --- matching ------------------------------------------------------------------------


def _number(text: str) -> int | None:
    """A Chinese or Arabic numeral as an int: 三十一 → 31, 一百零七 → 107."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
        else:
            return None
    return total + digit


def _title_key(title: str) -> str:
    key = re.sub(r"[\s《》〈〉<>]", "", title)
    return key.removeprefix("中华人民共和国")


def _articles(text: str) -> set[int]:
    return {n for m in _ARTICLE.findall(text) if (n := _number(m)) is not None}


def _clauses(text: str) -> set[int]:
    return {n for m in _CLAUSE.findall(text) if (n := _number(m)) is not None}


def _same_provision(cited: str, article: str) -> bool:
    """The same 条, and no conflicting 款 when both name their 款."""
    if not _articles(cited) & _articles(article):
        return False
    mine, theirs = _clauses(cited), _clauses(article)
    return not (mine and theirs and not mine & theirs)


def _article_key(text: str) -> str:
    table = str.maketrans("（）", "()")
    return re.sub(r"\s", "", text).translate(table)


def _cited(entry: Entry) -> tuple[str, set[int], str]:
    """(title key, article numbers, article text) cited by the entry's basis header."""
    m = _TITLE.search(entry.basis)
    if m is None:
        return "", set(), ""
    head = re.split(r"[：:\n]", entry.basis[m.end() :], maxsplit=1)[0]
    head = re.sub(r"^（[^）]*）", "", head.strip())  # （2018年修订）
    return _title_key(m.group(1)), _articles(head), _article_key(head)


def _power_citations(
    power: dict[str, Any], laws: dict[str, dict[str, Any]]
) -> list[tuple[set[str], set[int], str]]:
    out = []
    for basis in power.get("legal_basis") or []:
        if not isinstance(basis, dict):
            continue
        titles = {basis.get("title")}
        law = laws.get(str(basis.get("law")))
        if law:
            titles |= {law.get("title"), law.get("short_title")}
        keys = {_title_key(t) for t in titles if isinstance(t, str) and t}
        article = str(basis.get("article") or "")
        out.append((keys, _articles(article), _article_key(article)))
    return out


def _texts(power: dict[str, Any]) -> list[str]:
    penalty = power.get("penalty") if isinstance(power.get("penalty"), dict) else {}
    return [
        re.sub(r"\s", "", str(t))
        for t in ((penalty or {}).get("violation"), power.get("name"))
        if t
    ]


def _by_violation(entry: Entry, powers: list[PowerFile]) -> list[PowerFile]:
    lines = [re.sub(r"\s", "", line).rstrip("的") for line in entry.violation.splitlines()]
    lines = [line for line in lines if len(line) >= 4]
    return [p for p in powers if any(line in t for line in lines for t in _texts(p.data))]


def _match(
    entry: Entry, powers: list[PowerFile], laws: dict[str, dict[str, Any]]
) -> tuple[PowerFile | None, str, list[PowerFile]]:
    """(the power, how it was matched or why not, the candidates when ambiguous)."""
    title, articles, article_text = _cited(entry)
    if title and articles:
        scored: list[tuple[int, PowerFile]] = []
        for p in powers:
            best = -1
            for keys, numbers, text in _power_citations(p.data, laws):
                if title in keys and articles & numbers and _same_provision(article_text, text):
                    best = max(best, len(text) if article_text.startswith(text) else 0)
            if best >= 0:
                scored.append((best, p))
        if scored:
            top = max(s for s, _ in scored)
            chosen = [p for s, p in scored if s == top]
            if len(chosen) > 1:
                narrowed = _by_violation(entry, chosen)
                chosen = narrowed if len(narrowed) == 1 else chosen
            if len(chosen) == 1:
                return chosen[0], "法律依据条款相同", []
            return None, "多项职权引用了同一条款，无法确定", chosen
    found = _by_violation(entry, powers)
    if len(found) == 1:
        return found[0], "违法行为表述相同（推测）", []
    if found:
        return None, "违法行为表述与多项职权相符，无法确定", found
    return None, "没有引用同一法律条款、违法行为表述也不相符的处罚职权", []


def _is_penalty(data: dict[str, Any]) -> bool:
    return data.get("category") == "行政处罚" or isinstance(data.get("penalty"), dict)


def plan_discretion(root: Path, table_path: Path | str, department: str) -> DiscretionPlan:
    """Read the table and match each violation to a penalty power of ``department``."""
    files, unreadable = department_powers(root, department)
    entries, problems, notes, tables = _read_file(Path(table_path))
    plan = DiscretionPlan(str(table_path), department, entries, problems=problems, notes=notes)
    plan.tables = tables
    plan.problems += unreadable
    powers = [p for p in files if _is_penalty(p.data)]
    laws = law_titles(root)
    for entry in entries:
        power, how, candidates = _match(entry, powers, laws)
        if power is None:
            listed = "、".join(str(p.data.get("id")) for p in candidates)
            plan.unmatched.append((entry, how + (f"（候选：{listed}）" if listed else "")))
            continue
        pid = str(power.data.get("id") or Path(power.path).stem)
        match = Match(entry, pid, how)
        (plan.guesses if "推测" in how else plan.matched).append(match)
        plan.blocks.setdefault(pid, []).append(entry.item())
        plan.paths[pid] = power.path
    return plan


def report(plan: DiscretionPlan, root: Path | None = None) -> list[str]:
    """The plan in words, for staff: what would change, and what needs a decision."""
    lines = [
        f"读取 {plan.table}：{len(plan.entries)} 项违法行为的裁量基准；"
        f"匹配到 {len(plan.blocks)} 项职权，未匹配 {len(plan.unmatched)} 项。"
    ]
    lines += plan.notes
    existing = _existing(root, plan) if root is not None else {}
    for pid in sorted(plan.blocks):
        block = plan.blocks[pid]
        old = existing.get(pid)
        change = "（将替换原有的裁量基准，写入时需要 --update）" if old and old != block else ""
        change = "（与原有的裁量基准相同，无变化）" if old == block else change
        lines.append(f"{plan.paths[pid]}：{len(block)} 项裁量基准{change}")
    for m in plan.matched:
        lines.append(f"匹配：{m.entry.label} → {m.power}（{m.how}）")
    for m in plan.guesses:
        lines.append(f"推测：{m.entry.label} → {m.power}（{m.how}，请核对）")
    for entry, why in plan.unmatched:
        lines.append(f"未匹配：{entry.label}：{why}。请在职权的法律依据中写明该条款，或手工填写。")
    lines += [f"问题：{p}" for p in plan.problems]
    return lines


def _existing(root: Path, plan: DiscretionPlan) -> dict[str, Any]:
    from site_builder.reading import sources

    out: dict[str, Any] = {}
    for pid, rel in plan.paths.items():
        source, _ = sources.read(root, rel)
        if source is not None and isinstance(source.data, dict):
            out[pid] = source.data.get("discretion")
    return out


def as_import_plan(root: Path, plan: DiscretionPlan) -> importer.ImportPlan:
    """The plan as an ``importer.ImportPlan``: each matched power with its new discretion block."""
    from site_builder.reading import sources
    from site_builder.tools import fmt

    out = importer.ImportPlan(root, plan.tables[0], plan.department, "（裁量基准表）")
    rows = {m.power: m.entry.row for m in plan.matched + plan.guesses}
    for pid in sorted(plan.blocks):
        rel = plan.paths[pid]
        source, _ = sources.read(root, rel)
        if source is None or not isinstance(source.data, dict):
            continue
        old = fmt.prune(source.data)
        new = fmt.prune({**source.data, "discretion": plan.blocks[pid]})
        changed = old.get("discretion") != new.get("discretion")
        changes = [f"discretion（自由裁量基准）：{len(plan.blocks[pid])} 项"] if changed else []
        status = "变更" if changed else "未变"
        out.records[rel] = importer.Planned(rel, rows[pid], new, status, source.text, changes)
    out.rows_read = sum(len(t.rows) for t in plan.tables)
    return out


def apply(root: Path, plan: DiscretionPlan, update: bool) -> list[str]:
    """Write the new discretion blocks through ``importer.apply`` (canonical YAML); return the
    paths written. A power that already has a different discretion block changes only with ``update``.
    """
    if not plan.blocks:
        return []
    return importer.apply(as_import_plan(root, plan), update)
