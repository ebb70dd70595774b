"""A deterministic synthetic git history of pull-request merges, for benchmarks (not a test module).

    python3 benchmarks/synthetic_history.py OUT --records 10000 --commits 20000
    python3 benchmarks/synthetic_history.py OUT --extend 100            # append to an existing one
    python3 benchmarks/synthetic_history.py OUT --extend 100 --base main~50 --seed 7   # a force push

(``python3 benchmarks/generate.py --records N --out OUT --history K`` makes K pull requests,
all merged by merge commits.)

The first commit holds a synthetic repository (benchmarks/generate.py, ``--records``
powers plus its departments and laws). Then come pull requests: each is one or two
commits on a side branch (editing one to three files of a department: a time limit,
a power's name or content, a new power, a cancelled power with its adjustment
block, now and then a power moved to another department keeping its id, a deleted
power, a department's phone or a law's document number), merged into main by a
merge commit "Merge pull request #N from dept/branch" or, for about one PR in five
(``squash``; none with generate.py's ``--history``), squashed into a single commit "标题 (#N)".
Every state of main passes ``site-builder validate --strict``: added powers get a unique
sub-item and article, as the overlap checks require.

``--commits`` counts every commit reachable from main (as ``git rev-list --count``
and GitHub count them), side-branch commits included; the first-parent history is
about 45 % of it. Objects are written with pygit2 (blobs and only the trees on the
changed paths), never by running git commit; the result is repacked like a clone.
Commit and author times increase from a fixed start; seed and signatures are fixed,
so the same arguments give the same commit ids.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate as synthetic

from site_builder.reading import sources

BRANCH = "refs/heads/main"
START = int(datetime(2017, 1, 3, 9, 0, tzinfo=timezone(timedelta(hours=8))).timestamp())
OFFSET = 8 * 60  # minutes east of UTC: China Standard Time
CST = timezone(timedelta(minutes=OFFSET))
POWERS = "data/departments/{dept}/powers/{pid}.yaml"
FILE = pygit2.enums.FileMode.BLOB
TREE = pygit2.enums.FileMode.TREE

AUTHORS = [
    ("张伟", "zhangwei"),
    ("王芳", "wangfang"),
    ("李娜", "lina"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
    ("杨磊", "yanglei"),
    ("黄敏", "huangmin"),
    ("赵军", "zhaojun"),
    ("周婷", "zhouting"),
    ("吴斌", "wubin"),
    ("徐丽", "xuli"),
    ("孙强", "sunqiang"),
]
REVIEWERS = [("编办审核组", "bianban"), ("司法局合法性审查", "sifa")]
CANCEL_REASONS = [
    "上位法已修改，该事项不再保留",
    "国务院决定取消该行政审批事项",
    "与其他事项合并办理",
    "实际工作中已无办件",
    "广东省人民政府决定取消",
]
RENAME_SUFFIXES = ["（首次申请）", "（延续）", "（变更）", "（注销）"]
# (action, weight) for one file edit of a pull request.
ACTIONS = [
    ("time_limit", 32),
    ("rename", 20),
    ("content", 12),
    ("add", 14),
    ("cancel", 10),
    ("move", 4),
    ("delete", 2),
    ("department", 3),
    ("law", 3),
]
TITLES = {
    "time_limit": "调整{name}的办理时限",
    "rename": "{name}更名",
    "content": "修改{name}的职权内容",
    "add": "新增{name}",
    "cancel": "取消{name}",
    "move": "{name}划转至{target}",
    "delete": "删除重复录入的{name}",
    "department": "更新{name}的咨询电话",
    "law": "补充{name}的文号",
}


@dataclass
class Stats:
    """What a run wrote."""

    commits: int = 0
    first_parent: int = 0
    pull_requests: int = 0
    squashed: int = 0
    edits: dict[str, int] = field(default_factory=dict)


class History:
    """The state of main while pull requests are appended: its tree, records and clock."""

    def __init__(
        self, repo: pygit2.Repository, head: pygit2.Commit, rng: random.Random, squash: float = 0.2
    ) -> None:
        self.repo = repo
        self.rng = rng
        self.squash = squash
        self.head: pygit2.Oid = head.id
        self.tree: pygit2.Oid = head.tree_id
        self.clock = max(head.commit_time, head.author.time)
        match = re.search(r"#(\d+)", head.message)
        self.next_pr = int(match.group(1)) + 1 if match else 1
        self.powers: dict[str, str] = {}  # power id -> department
        self.by_dept: dict[str, list[str]] = {}
        self.laws: list[str] = []
        self.records: dict[str, dict[str, Any]] = {}  # path -> parsed record (read lazily)
        data = tree_of(repo, head.tree["data"].id)
        for dept_entry in tree_of(repo, data["departments"].id):
            dept = str(dept_entry.name)
            self.by_dept[dept] = []
            dept_tree = tree_of(repo, dept_entry.id)
            if "powers" in dept_tree:
                for entry in tree_of(repo, dept_tree["powers"].id):
                    pid = str(entry.name).removesuffix(".yaml")
                    self.powers[pid] = dept
                    self.by_dept[dept].append(pid)
        self.departments = sorted(self.by_dept)
        self.laws = sorted(str(e.name) for e in tree_of(repo, data["laws"].id))
        numbers = [int(pid.rsplit("-", 1)[1]) for pid in self.powers if pid[-1].isdigit()]
        self.next_number = max(numbers, default=-1) + 1
        self.stats = Stats()

    # -- reading and writing files -------------------------------------------------

    def read(self, tree: pygit2.Oid, path: str) -> dict[str, Any]:
        if path not in self.records:
            blob = self.repo[tree_of(self.repo, tree)[path].id]
            assert isinstance(blob, pygit2.Blob)
            data, problems = sources.parse(path, blob.data.decode("utf-8"))
            assert not problems and isinstance(data, dict), (path, problems)
            self.records[path] = data
        return self.records[path]

    def commit(
        self,
        tree: pygit2.Oid,
        changes: dict[str, dict[str, Any] | None],
        message: str,
        author: pygit2.Signature,
        committer: pygit2.Signature,
        parents: list[pygit2.Oid],
    ) -> tuple[pygit2.Oid, pygit2.Oid]:
        """Write ``changes`` (path -> record, or None to delete) onto ``tree``; return (commit, tree)."""
        blobs: dict[str, pygit2.Oid | None] = {}
        for path, record in changes.items():
            if record is None:
                blobs[path] = None
                self.records.pop(path, None)
            else:
                text = synthetic.file_text(kind_of(path), path, record)
                blobs[path] = self.repo.create_blob(text.encode("utf-8"))
                self.records[path] = record
        new_tree = apply(self.repo, tree, blobs)
        assert new_tree is not None
        oid = self.repo.create_commit(None, author, committer, message, new_tree, parents)
        self.stats.commits += 1
        return oid, new_tree

    def tick(self, low: int = 120, high: int = 5400) -> int:
        self.clock += self.rng.randint(low, high)
        return self.clock

    def signature(self, who: tuple[str, str], when: int) -> pygit2.Signature:
        return pygit2.Signature(who[0], f"{who[1]}@example.gov.cn", when, OFFSET)

    # -- one pull request -------------------------------------------------------

    def pull_request(self) -> int:
        """Append one pull request to main; return the number of commits it added."""
        rng = self.rng
        number = self.next_pr
        self.next_pr += 1
        dept = rng.choice(self.departments)
        author = AUTHORS[self.departments.index(dept) % len(AUTHORS)]
        files = rng.choice((1, 1, 1, 2, 2, 3))
        changes: dict[str, dict[str, Any] | None] = {}
        titles: list[str] = []
        moves: list[tuple[str, str]] = []  # (pid, new department) applied after the commit
        for _ in range(files):
            action = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
            done = self.edit(action, dept, changes, moves)
            if done:
                title, action = done
                titles.append(title)
                self.stats.edits[action] = self.stats.edits.get(action, 0) + 1
        if not changes:
            self.next_pr -= 1
            return 0
        for pid, target in moves:
            old = self.powers[pid]
            self.by_dept[old].remove(pid)
            self.by_dept[target].append(pid)
            self.powers[pid] = target
        title = titles[0] if len(titles) == 1 else f"{titles[0]}等{len(titles)}项"
        squash = rng.random() < self.squash
        two_commits = not squash and rng.random() < 0.35
        added = 0
        if squash:
            when = self.tick()
            self.head, self.tree = self.commit(
                self.tree,
                changes,
                f"{title} (#{number})",
                self.signature(author, when),
                self.signature(rng.choice(REVIEWERS), when),
                [self.head],
            )
            self.stats.squashed += 1
            added = 1
        else:
            when = self.tick()
            side, side_tree = self.commit(
                self.tree,
                changes,
                title,
                self.signature(author, when),
                self.signature(author, when),
                [self.head],
            )
            added = 1
            if two_commits:
                fix = self.review_fix(side_tree, changes)
                when = self.tick(60, 1800)
                side, side_tree = self.commit(
                    side_tree,
                    fix,
                    "根据审核意见修改",
                    self.signature(author, when),
                    self.signature(author, when),
                    [side],
                )
                added += 1
            when = self.tick(300, 7200)
            reviewer = self.signature(rng.choice(REVIEWERS), when)
            branch = f"{dept}/pr-{number}"
            merge = self.repo.create_commit(
                None,
                reviewer,
                reviewer,
                f"Merge pull request #{number} from {branch}\n\n{title}",
                side_tree,
                [self.head, side],
            )
            self.head, self.tree = merge, side_tree
            self.stats.commits += 1
            added += 1
        self.stats.pull_requests += 1
        self.stats.first_parent += 1
        return added

    def pick(self, dept: str, changes: dict[str, dict[str, Any] | None]) -> str | None:
        """A power of ``dept`` (or, failing that, of any department) not yet edited in this PR."""
        for _ in range(20):
            pool = self.by_dept[dept] or self.by_dept[self.rng.choice(self.departments)]
            if not pool:
                continue
            pid = self.rng.choice(pool)
            if POWERS.format(dept=self.powers[pid], pid=pid) not in changes:
                return pid
        return None

    def edit(
        self,
        action: str,
        dept: str,
        changes: dict[str, dict[str, Any] | None],
        moves: list[tuple[str, str]],
    ) -> tuple[str, str] | None:
        """Make one edit of ``action`` into ``changes``; return its title and the action made."""
        rng = self.rng
        if action == "add":
            pid, record = self.new_power(dept)
            changes[POWERS.format(dept=dept, pid=pid)] = record
            self.powers[pid] = dept
            self.by_dept[dept].append(pid)
            return TITLES[action].format(name=record["name"]), action
        if action == "department":
            path = f"data/departments/{dept}/department.yaml"
            if path in changes:
                return None
            record = dict(self.read(self.tree, path))
            record["phone"] = f"0758-{rng.randint(2000000, 2999999)}"
            changes[path] = record
            return TITLES[action].format(name=record["name"]), action
        if action == "law":
            path = f"data/laws/{rng.choice(self.laws)}"
            if path in changes:
                return None
            record = dict(self.read(self.tree, path))
            record["doc_number"] = f"粤府令第{rng.randint(1, 300)}号"
            changes[path] = record
            return TITLES[action].format(name=record["title"]), action
        picked = self.pick(dept, changes)
        if picked is None:
            return None
        pid = picked
        owner = self.powers[pid]
        path = POWERS.format(dept=owner, pid=pid)
        record = dict(self.read(self.tree, path))
        name = str(record["name"])
        if action == "cancel" and record["status"] == "已取消":
            action = "time_limit"
        if action in ("move", "delete") and any(p == pid for p, _ in moves):
            return None
        if action == "time_limit":
            statutory = rng.choice((5, 10, 15, 20, 30, 60))
            record["statutory_time_limit"] = {"value": statutory, "unit": "工作日"}
            record["committed_time_limit"] = {
                "value": rng.randint(0, statutory),
                "unit": "工作日",
            }
        elif action == "rename":
            base = re.sub(r"（[^）]*）$", "", name)
            record["name"] = base + rng.choice([s for s in RENAME_SUFFIXES if s not in name])
        elif action == "content":
            record["content"] = f"{record['content'].rstrip('。')}，第{rng.randint(2, 9)}次修订。"
        elif action == "cancel":
            record["status"] = "已取消"
            record["adjustment"] = {
                "action": "取消",
                "reason": rng.choice(CANCEL_REASONS),
                "date": datetime.fromtimestamp(self.clock, CST).date().isoformat(),
            }
        elif action == "move":
            jur = owner.rsplit("-", 1)[0]
            targets = [d for d in self.departments if d != owner and d.startswith(jur + "-")]
            target = rng.choice(targets or [d for d in self.departments if d != owner])
            changes[path] = None
            changes[POWERS.format(dept=target, pid=pid)] = record
            moves.append((pid, target))
            return TITLES[action].format(name=name, target=target), action
        elif action == "delete":
            changes[path] = None
            del self.powers[pid]
            self.by_dept[owner].remove(pid)
            return TITLES[action].format(name=name), action
        changes[path] = record
        return TITLES[action].format(name=name), action

    def review_fix(
        self, tree: pygit2.Oid, changes: dict[str, dict[str, Any] | None]
    ) -> dict[str, dict[str, Any] | None]:
        """A second commit of a PR: the reviewers asked for one more change to a changed power."""
        paths = [p for p, r in changes.items() if r is not None and "/powers/" in p]
        if not paths:
            paths = [p for p, r in changes.items() if r is not None]
        if not paths:  # only deletions: touch the department's file instead
            dept = next(iter(changes)).split("/")[2]
            paths = [f"data/departments/{dept}/department.yaml"]
        path = self.rng.choice(paths)
        record = dict(self.read(tree, path))
        if "/powers/" in path:
            record["committed_time_limit"] = {"value": self.rng.randint(0, 5), "unit": "工作日"}
            if "statutory_time_limit" not in record:
                record["statutory_time_limit"] = {"value": 20, "unit": "工作日"}
        elif path.startswith("data/laws/"):
            record["note"] = "根据审核意见补充。"
        else:
            record["remark"] = "根据审核意见修改。"
        return {path: record}

    def new_power(self, dept: str) -> tuple[str, dict[str, Any]]:
        """A power as generate.py writes them, with a sub-item and an article no other has."""
        rng = self.rng
        n = self.next_number
        self.next_number += 1
        info = self.read(self.tree, f"data/departments/{dept}/department.yaml")
        jur = info["jurisdiction"]
        bureau = synthetic.BUREAU[dept.removeprefix(jur + "-")]
        listed = self.read(self.tree, "data/jurisdictions.yaml")["jurisdictions"]
        where = next(j for j in listed if j["id"] == jur)
        department = synthetic.Department(
            dept,
            info["name"],
            info["short_name"],
            synthetic.Jurisdiction(
                jur, where["name"], where["kind"], where["full_name"], where["area_code"]
            ),
            bureau,
        )
        laws = []
        for name in self.laws:
            if name.startswith(bureau.code + "-"):
                law = self.read(self.tree, f"data/laws/{name}")
                laws.append(synthetic.Law(law["id"], law["title"], law["kind"], bureau.code))
        # Generated powers use paragraphs 1-3 of an article; these use 4-6.
        article, rest = divmod(n, 450)
        record = synthetic.power_record(
            rng,
            department,
            n,
            laws,
            synthetic.State(),
            category=rng.choice(["行政许可", "行政检查", "行政确认", "其他", "行政给付"]),
            subitem=f"{datetime.fromtimestamp(self.clock, CST).year}年新增第{n}项",
            article_text=(
                f"第{synthetic.chinese_number(rest % 150 + 1)}条"
                f"第{synthetic.chinese_number(4 + rest // 150)}款"
                f"第（{synthetic.chinese_number(article + 1)}）项"
            ),
        )
        return record["id"], record


def apply(
    repo: pygit2.Repository, tree: pygit2.Oid | None, changes: dict[str, pygit2.Oid | None]
) -> pygit2.Oid | None:
    """Return ``tree`` with ``changes`` (path -> blob id, or None to delete) applied.

    Only the trees on the changed paths are written; an emptied tree is dropped (None).
    """
    builder = repo.TreeBuilder(tree_of(repo, tree)) if tree is not None else repo.TreeBuilder()
    nested: dict[str, dict[str, pygit2.Oid | None]] = {}
    for path, blob in changes.items():
        head, sep, rest = path.partition("/")
        if sep:
            nested.setdefault(head, {})[rest] = blob
        elif blob is None:
            if builder.get(head) is not None:
                builder.remove(head)
        else:
            builder.insert(head, blob, FILE)
    for name, sub_changes in nested.items():
        entry = builder.get(name)
        sub = apply(repo, entry.id if entry is not None else None, sub_changes)
        if sub is None:
            if entry is not None:
                builder.remove(name)
        else:
            builder.insert(name, sub, TREE)
    if len(builder) == 0:
        return None
    return builder.write()


def kind_of(path: str) -> str:
    """The schema kind of a data file."""
    if path.startswith("data/laws/"):
        return "law"
    if path.endswith("/department.yaml"):
        return "department"
    return "power"


def tree_of(repo: pygit2.Repository, oid: pygit2.Oid) -> pygit2.Tree:
    tree = repo[oid]
    assert isinstance(tree, pygit2.Tree)
    return tree


def _checkout(repo: pygit2.Repository) -> None:
    repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]


def _run(history: History, commits: int | None, pull_requests: int | None = None) -> Stats:
    while (commits is not None and history.stats.commits < commits) or (
        pull_requests is not None and history.stats.pull_requests < pull_requests
    ):
        history.pull_request()
    history.repo.references.create(BRANCH, history.head, force=True)
    return history.stats


def generate(
    out: Path, records: int, commits: int, seed: int = 2016, *, repack: bool = True
) -> Stats:
    """Write into ``out`` (replaced) a repository of ``records`` powers and ``commits`` commits."""
    synthetic.generate(out, records, seed=seed)
    return commit(out, commits=commits, seed=seed, squash=0.2, repack=repack)


def commit(
    out: Path,
    *,
    commits: int | None = None,
    pull_requests: int | None = None,
    seed: int = 2016,
    squash: float = 0.0,
    repack: bool = True,
) -> Stats:
    """Make the files in ``out`` a git repository: one first commit, then pull requests.

    Stops when ``commits`` commits are reachable from main or ``pull_requests`` have been
    merged; ``squash`` is the share of pull requests squashed instead of merged.
    """
    repo = pygit2.init_repository(str(out), initial_head="main")
    gitignore = out / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("/.cache/\n/public/\n/.public.*\n", encoding="utf-8")
    blobs: dict[str, pygit2.Oid | None] = {
        path.relative_to(out).as_posix(): repo.create_blob(path.read_bytes())
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(out).parts[:1]
    }
    tree = apply(repo, None, blobs)
    assert tree is not None
    who = pygit2.Signature("编办", "bianban@example.gov.cn", START, OFFSET)
    first = repo.create_commit(BRANCH, who, who, "导入权责清单", tree, [])
    # The files on disk are the first commit's: index them, so that the checkout at the end
    # removes the files later commits delete or move.
    repo.index.read_tree(tree_of(repo, tree))
    repo.index.write()
    history = History(repo, repo[first].peel(pygit2.Commit), random.Random(seed), squash)
    history.stats.commits = history.stats.first_parent = 1
    stats = _run(history, commits, pull_requests)
    if repack:
        subprocess.run(["git", "-C", str(out), "repack", "-a", "-d", "-q"], check=True)
    _checkout(repo)
    return stats


def extend(
    repo_path: Path,
    commits: int,
    *,
    base: str | None = None,
    seed: int | None = None,
    checkout: bool = True,
) -> Stats:
    """Append pull requests to main until ``commits`` new commits are written.

    With ``base`` (e.g. ``main~50``), main is first reset to that commit: the history
    is rewritten, as by a force push. The default seed derives from the base commit,
    so a rewrite with another ``seed`` produces different commits.
    """
    repo = pygit2.Repository(str(repo_path))
    start = repo.revparse_single(base or BRANCH).peel(pygit2.Commit)
    rng = random.Random(f"{seed if seed is not None else 0}:{start.id}")
    history = History(repo, start, rng)
    stats = _run(history, commits)
    if checkout:
        _checkout(repo)
    return stats


def describe(out: Path) -> str:
    repo = pygit2.Repository(str(out))
    head = repo.revparse_single(BRANCH).peel(pygit2.Commit)
    first_parent = 0
    commit: pygit2.Commit | None = head
    while commit is not None:
        first_parent += 1
        commit = commit.parents[0] if commit.parents else None
    count = subprocess.run(
        ["git", "-C", str(out), "rev-list", "--count", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    records = sum(
        1
        for line in subprocess.run(
            ["git", "-C", str(out), "ls-tree", "-r", "--name-only", "main", "data/"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        if line.endswith(".yaml") and line != "data/jurisdictions.yaml"
    )
    when = datetime.fromtimestamp(head.commit_time, UTC).astimezone(CST)
    return (
        f"{out}: {count} commits ({first_parent} first-parent), {records} record files, "
        f"head {head.id} at {when:%Y-%m-%d %H:%M}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=10_000, help="powers in the first commit")
    parser.add_argument("--commits", type=int, default=20_000, help="commits reachable from main")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--extend", type=int, metavar="N", help="append N commits to OUT instead")
    parser.add_argument("--base", help="with --extend: first reset main to this revision")
    parser.add_argument("--no-repack", action="store_true", help="leave the objects loose")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.extend is not None:
        stats = extend(args.out, args.extend, base=args.base, seed=args.seed)
    else:
        seed = 2016 if args.seed is None else args.seed
        stats = generate(args.out, args.records, args.commits, seed, repack=not args.no_repack)
    print(
        f"wrote {stats.commits} commits, {stats.pull_requests} pull requests "
        f"({stats.squashed} squashed), edits {dict(sorted(stats.edits.items()))} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(describe(args.out))


if __name__ == "__main__":
    main()
