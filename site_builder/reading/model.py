"""Gather every record of a repository into one dataset, checking each file on its own.

First gather all data from all files, so that the cross-record checks and the
pages all see one consistent dataset; nothing is written here.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.engine import cache, parallel
from site_builder.errors import DataError, Problem, error, warning
from site_builder.history import gitstore
from site_builder.publishing import manifest
from site_builder.reading import formats, layout, slugs, sources, textrules, tree
from site_builder.reading.config import SiteConfig
from site_builder.reading.disclosure import is_public
from site_builder.reading.schemas import Schemas


@dataclass(frozen=True)
class Record:
    """One record read from one file. ``department`` is set for powers and departments."""

    kind: str
    id: str
    path: str
    data: dict[str, Any]
    department: str = ""

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.data.get("title") or self.id)

    @property
    def public(self) -> bool:
        """Whether the record may be published: a power's ``disclosure``; every other kind is."""
        return is_public(self.data.get("disclosure"))


class Texts(Mapping[str, str]):
    """The text of every data file that could be read, read again from disk when asked for.

    Records come from the cache; their texts are needed only to place a problem on a
    line or to keep a file's leading comments, so they are not held in memory. What is
    read again must be the bytes read first (``digests``), so that everything a build
    publishes comes from one snapshot: a file changed since is refused, not published.
    """

    def __init__(self, root: Path, digests: Mapping[str, str]) -> None:
        self.root = root
        self.digests = digests
        self.readable: set[str] = set()

    def __getitem__(self, rel: str) -> str:
        if rel not in self.readable:
            raise KeyError(rel)
        return sources.decode(rel, self.raw(rel))[0] or ""

    def raw(self, rel: str) -> bytes:
        """The bytes of ``rel``, as they were when the build read them; DataError if they changed."""
        try:
            data = (self.root / rel).read_bytes()
        except OSError:
            data = None
        if data is None or manifest.digest(data) != self.digests.get(rel):
            message = (
                "该文件在构建过程中被修改或删除：网站只发布构建开始时读取并核对过的内容。"
                "请等修改完成（并提交）后重新构建。"
            )
            raise DataError([error(rel, (), message, "changed-during-build", 1, 1)])
        return data

    def __contains__(self, rel: object) -> bool:
        return rel in self.readable

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.readable))

    def __len__(self) -> int:
        return len(self.readable)


@dataclass
class Dataset:
    """Every record of a repository; only schema-valid records are in the dicts."""

    root: Path
    config: SiteConfig
    jurisdictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    departments: dict[str, Record] = field(default_factory=dict)
    powers: dict[str, Record] = field(default_factory=dict)
    # The register: the powers that a public view (``public``) leaves out, by id. Empty in
    # the dataset as read, which holds every power in ``powers``. The register of withheld
    # powers shows their code, department, reason and basis, never their content.
    withheld: list[Record] = field(default_factory=list)
    laws: dict[str, Record] = field(default_factory=dict)
    flows: dict[str, Record] = field(default_factory=dict)
    texts: Texts = field(init=False)
    # The SHA-256 of every file read (data, site.yaml, schema/), by path: what the data of a build was.
    digests: dict[str, str] = field(default_factory=dict)
    # The git blob id of the same bytes: checked against the commit built (history.published).
    blobs: dict[str, str] = field(default_factory=dict)
    # The bytes of site.yaml and of the schema files, as read: what the downloads publish.
    files: dict[str, bytes] = field(default_factory=dict)
    # Chinese titles of each kind's top-level fields, from the schemas.
    field_titles: dict[str, dict[str, str]] = field(default_factory=dict)
    # Ids that exist on disk, valid or not, so references to a broken record are not reported twice.
    known: dict[str, set[str]] = field(
        default_factory=lambda: {"power": set(), "department": set(), "law": set(), "flow": set()}
    )

    def powers_of(self, department: str) -> list[Record]:
        """Return the powers of ``department``, sorted by id."""
        return sorted(
            (p for p in self.powers.values() if p.department == department), key=lambda p: p.id
        )

    def __post_init__(self) -> None:
        self.texts = Texts(self.root, self.digests)

    def public(self, withheld: Collection[str] = ()) -> Dataset:
        """The dataset as published: every output is made from this view, never from the whole.

        It holds no power that is not public, nor any in ``withheld`` (ids: those not
        public now, for an edition read from an older commit), and nothing read from their
        files (texts, digests, blob ids); other kinds of record are all public. What it
        leaves out is in its ``withheld``, the register. A view of a view leaves out both.
        """
        hidden = {p.id: p for p in self.powers.values() if not (p.public and p.id not in withheld)}
        paths = {p.path for p in hidden.values()}
        view = dataclasses.replace(
            self,
            powers={pid: p for pid, p in self.powers.items() if pid not in hidden},
            withheld=sorted([*self.withheld, *hidden.values()], key=lambda p: p.id),
            digests={rel: d for rel, d in self.digests.items() if rel not in paths},
            blobs={rel: b for rel, b in self.blobs.items() if rel not in paths},
            known={
                kind: ids - hidden.keys() if kind == "power" else ids
                for kind, ids in self.known.items()
            },
        )
        view.texts.readable = self.texts.readable - paths
        return view

    def keep(self, rel: str, raw: bytes) -> None:
        """Remember the bytes of a file read that is published as read (site.yaml, a schema)."""
        self.files[rel] = raw
        self.digests[rel] = manifest.digest(raw)
        self.blobs[rel] = gitstore.blob_id(raw)


def discover(root: Path) -> tuple[list[tuple[str, str]], list[Problem]]:
    """List (kind, relative path) of every data file, sorted; report files that fit no kind."""
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    data = root / layout.DATA
    if not (root / layout.JURISDICTIONS).is_file():
        problems.append(
            error(layout.JURISDICTIONS, (), "缺少行政区域文件 data/jurisdictions.yaml。", "layout")
        )
    else:
        found.append(("jurisdictions", layout.JURISDICTIONS))
    for sub, kind in ((layout.LAWS, "law"), (layout.FLOWS, "flow")):
        for path in _files(root / sub):
            found.append((kind, path.relative_to(root).as_posix()))
    dept_root = root / layout.DEPARTMENTS
    for dept_dir in (
        sorted(p for p in dept_root.iterdir() if p.is_dir()) if dept_root.is_dir() else []
    ):
        rel = layout.department_file(dept_dir.name)
        if (root / rel).is_file():
            found.append(("department", rel))
        else:
            problems.append(
                error(
                    rel,
                    (),
                    "部门文件夹中缺少 department.yaml：请补充部门信息。",
                    "layout",
                )
            )
        for path in _files(root / layout.powers_folder(dept_dir.name)):
            found.append(("power", path.relative_to(root).as_posix()))
    refused = tree.refused(root / layout.DATA, root)  # links and special files, never read
    problems += refused
    submodules = _submodules(root)
    for rel in submodules:
        message = (
            "这里是一个子模块（指向另一个仓库的某次提交，而不是文件）：网站无法发布其中的内容。"
            f"请删除子模块（git rm --cached {rel}），把需要的文件直接放入本仓库。"
        )
        problems.append(error(rel, (), message, "submodule", 1, 1))
        problems = [
            p
            for p in problems
            if not (p.rule == "layout" and p.path == f"{rel}/{layout.DEPARTMENT_FILE}")
        ]
    links = sorted({*(p.path for p in refused), *submodules})
    found = [
        (kind, rel)
        for kind, rel in found
        if not any(rel == link or rel.startswith(link + "/") for link in links)
    ]
    known = {p for _, p in found} | set(links)
    for path in sorted(data.rglob("*")) if data.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(link + "/") for link in links):
            continue  # inside a linked folder: the link itself is reported
        if path.is_file() and rel not in known and not path.name.startswith("."):
            if path.suffix == ".yml":
                problems.append(
                    error(rel, (), "文件扩展名应为 .yaml（不是 .yml）：请改名。", "layout")
                )
            else:
                problems.append(
                    warning(
                        rel,
                        (),
                        "该文件不属于任何记录类型，已忽略：职权应放在 data/departments/<部门>/powers/ 下。",
                        "layout",
                    )
                )
    return found, problems


def _submodules(root: Path) -> list[str]:
    """Submodules under data/: gitlinks in git, and folders holding a repository of their own
    (a ``.git`` file or folder: an initialised submodule, or a repository copied in)."""
    found = set(gitstore.gitlinks(root, layout.DATA))
    for current, dirs, files in os.walk(root / layout.DATA, followlinks=False):
        if ".git" in dirs or ".git" in files:
            found.add(Path(current).relative_to(root).as_posix())
        dirs[:] = [d for d in dirs if d != ".git"]
    return sorted(found)


def _files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".yaml")


# The pattern of ids in schema/common.schema.json.
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _expected_id(kind: str, rel: str) -> str:
    path = Path(rel)
    return path.parent.name if kind == "department" else path.stem


def load(
    root: Path,
    config: SiteConfig,
    schemas: Schemas,
    jobs: int = 1,
    cache_dir: Path | None = None,
) -> tuple[Dataset, list[Problem]]:
    """Read every data file, check each against its schema, and gather the valid records,
    each as the current data format has it (``formats.migrate``).

    Each file's reading and schema check is cached by its content in ``cache_dir``
    (``records.json``; None: no cache); files not in the cache are checked on ``jobs``
    processes.
    """
    files, problems = discover(root)
    dataset = Dataset(root=root, config=config)
    if config.source:
        dataset.keep(layout.CONFIG, config.source)
    for rel, raw in schemas.files.items():
        if schemas.generated:  # the tool's, published as the list's, never in its commits
            dataset.files[rel] = raw
            dataset.digests[rel] = manifest.digest(raw)
        else:
            dataset.keep(rel, raw)
    dataset.field_titles = {kind: schemas.titles.of(kind) for kind in schemas.documents}
    power_paths: dict[str, str] = {}
    for (kind, rel), (data, found, errors) in zip(
        files,
        _checked_files(root, files, schemas, jobs, dataset.digests, dataset.blobs, cache_dir),
        strict=True,
    ):
        problems += found
        if data is None:
            continue
        dataset.texts.readable.add(rel)
        problems += errors
        data, moved = formats.migrate(kind, rel, data, config.format)
        problems += moved
        errors = [*errors, *(p for p in moved if p.severity == "error")]
        if kind == "jurisdictions":
            if not errors:
                problems += _gather_jurisdictions(dataset, rel, data)
            continue
        expected = _expected_id(kind, rel)
        mismatch = _id_mismatch(kind, rel, data, expected)
        if mismatch is not None:
            problems.append(mismatch)
            errors.append(mismatch)
        department = Path(rel).parts[2] if kind in ("power", "department") else ""
        if kind == "power" and expected in power_paths:
            # Ids are file names, so only powers in two department folders can collide.
            problems.append(
                error(
                    rel,
                    ("id",),
                    f"职权标识“{expected}”重复：{power_paths[expected]} 已使用该标识，请改用新标识。",
                    "duplicate-id",
                )
            )
            continue
        if kind == "power":
            power_paths[expected] = rel
        dataset.known[kind].add(expected)
        why = slugs.problem(expected)
        if why is not None and not errors:  # the schema may have let it through: it names pages
            problems.append(_unsafe(rel, ("id",), expected, why))
            errors.append(problems[-1])
        if not errors:
            record = Record(kind, expected, rel, data, department)
            getattr(dataset, _COLLECTIONS[kind])[expected] = record
    return dataset, problems


def _gather_jurisdictions(dataset: Dataset, rel: str, data: Any) -> list[Problem]:
    """Keep the valid file's jurisdictions (the first of an id); a problem for each unsafe id."""
    problems = []
    for i, item in enumerate(data["jurisdictions"]):
        why = slugs.problem(item["id"])
        if why is not None:  # its id names its page: jurisdictions/<id>/
            problems.append(_unsafe(rel, ("jurisdictions", i, "id"), item["id"], why))
            continue
        dataset.jurisdictions.setdefault(item["id"], item)
    return problems


def _id_mismatch(kind: str, rel: str, data: Any, expected: str) -> Problem | None:
    """The problem of a record whose id is not its file's (or folder's) name, if it is not."""
    declared = data.get("id") if isinstance(data, dict) else None
    if not isinstance(declared, str) or declared == expected:
        return None
    what = "文件夹名" if kind == "department" else "文件名"
    rename = (
        f"{what}只能使用小写英文字母、数字和连字符，请把{what}改为“{declared}”。"
        if _ID.match(declared) and not _ID.match(expected)
        else ""
    )
    return error(
        rel,
        ("id",),
        f"标识“{declared}”与{what}“{expected}”不一致：两者必须相同。{rename}",
        "id-mismatch",
    )


def _unsafe(rel: str, pointer: tuple[str | int, ...], value: str, why: str) -> Problem:
    """An id that cannot name a page or a download (``powers/<id>.html``...)."""
    return error(rel, pointer, f"标识“{slugs.shown(value)}”不能用作网页文件名：{why}", "slug")


# Per file: its data (None when unreadable), its reading problems, its schema errors.
Checked = tuple[Any, list[Problem], list[Problem]]
CACHE_FILE = "records.json"
PARALLEL_FROM = 200  # fewer uncached files than this are not worth starting processes for


def _checked_files(
    root: Path,
    files: list[tuple[str, str]],
    schemas: Schemas,
    jobs: int,
    digests: dict[str, str],
    blobs: dict[str, str],
    cache_dir: Path | None,
) -> list[Checked]:
    """Read and schema-check every file, reusing the cached result for the same bytes.

    ``digests`` receives the SHA-256 of every file read, ``blobs`` its git blob id.
    """
    entries = cache.Entries(cache_dir / CACHE_FILE if cache_dir else None, schemas.fingerprint)
    results: list[Checked | None] = []
    todo: list[tuple[int, str, str, bytes]] = []
    for kind, rel in files:
        raw, problems = sources.read_bytes(root, rel)
        if raw is None:
            results.append((None, problems, []))
            continue
        digests[rel] = manifest.digest(raw)
        blobs[rel] = gitstore.blob_id(raw)
        hit = entries.get(f"{kind}:{rel}", digests[rel])
        results.append(_from_json(hit) if hit is not None else None)
        if hit is None:
            todo.append((len(results) - 1, kind, rel, raw))

    def check(batch: Sequence[tuple[int, str, str, bytes]]) -> list[Checked]:
        return [_check_file(kind, rel, raw, schemas) for _, kind, rel, raw in batch]

    batches = parallel.split(todo, jobs if len(todo) >= PARALLEL_FROM else 1)
    done = parallel.run([functools.partial(check, batch) for batch in batches], jobs)
    for batch, checked in zip(batches, done, strict=True):
        for (i, kind, rel, _), result in zip(batch, checked, strict=True):
            results[i] = result
            entries.put(f"{kind}:{rel}", digests[rel], _to_json(result))
    entries.close()
    return [r for r in results if r is not None]


def _check_file(kind: str, rel: str, raw: bytes, schemas: Schemas) -> Checked:
    source, problems = sources.from_bytes(rel, raw)
    if source is None:
        return None, problems, []
    errors = [
        error(rel, pointer, message, "schema")
        for pointer, message in schemas.check(kind, source.data)
    ]
    errors += [
        error(rel, pointer, message, rule)
        for pointer, message, rule in textrules.check(source.data)
    ]
    return source.data, problems, errors


def _to_json(result: Checked) -> list[Any]:
    data, found, errors = result
    return [data, [p.to_json() for p in found], [p.to_json() for p in errors]]


def _from_json(value: list[Any]) -> Checked:
    data, found, errors = value
    return data, [Problem.from_json(p) for p in found], [Problem.from_json(p) for p in errors]


_COLLECTIONS = {"power": "powers", "department": "departments", "law": "laws", "flow": "flows"}


class FlowError(Exception):
    """A flow could not be resolved; carries the pointer and the message."""

    def __init__(self, pointer: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


def resolve_flow(power: dict[str, Any], flows: dict[str, Record]) -> list[dict[str, Any]]:
    """Return the power's steps: its standard flow with its own steps merged in.

    A step whose id is in the standard flow overrides that step's fields (its exits,
    ``next`` and ``branches``, as a whole); a new step goes after the step named by
    ``after``, or at the end. Raises FlowError.
    """
    flow = power.get("flow") or {}
    own = flow.get("steps", [])
    ref = flow.get("ref")
    if not ref:
        return [dict(s) for s in own]
    if ref not in flows:
        raise FlowError(("flow", "ref"), f"标准流程“{ref}”不存在：请检查 data/flows/ 中的文件名。")
    # Copies of the steps, not of what they hold: only the steps themselves are changed
    # below (an override makes a new dict), and nothing reads a resolved flow to change it,
    # as with the power's own steps above. Deep copies, for every power, cost a third of planning.
    steps = [dict(s) for s in flows[ref].data["steps"]]
    index = {s["id"]: i for i, s in enumerate(steps)}
    for i, step in enumerate(own):
        if step["id"] in index:
            base = steps[index[step["id"]]]
            if "next" in step or "branches" in step:
                # A step's exits are replaced as a whole: new branches drop the standard next.
                base = {k: v for k, v in base.items() if k not in ("next", "branches")}
            steps[index[step["id"]]] = {**base, **{k: v for k, v in step.items() if k != "after"}}
            continue
        after = step.get("after")
        if after is None:
            position = len(steps)
        else:
            ids = [s["id"] for s in steps]
            if after not in ids:
                raise FlowError(
                    ("flow", "steps", i, "after"), f"插入位置“{after}”不是流程中的环节。"
                )
            position = ids.index(after) + 1
            while position < len(steps) and steps[position].get("_inserted_after") == after:
                position += 1
        new = {k: v for k, v in step.items() if k != "after"}
        new["_inserted_after"] = after
        steps.insert(position, new)
        index = {s["id"]: j for j, s in enumerate(steps)}
    for s in steps:
        s.pop("_inserted_after", None)
    return steps
