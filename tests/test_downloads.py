"""The open-data downloads (issue #6): CSV, JSON, Excel, YAML sources, schemas, data package."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import LICENCE, Repo
from test_site import HIDDEN

from site_builder.structure.tables import TABLES

FLAT = [
    "code",
    "name",
    "subitem",
    "category",
    "content",
    "handling_unit",
    "power_source",
    "status",
    "effective_from",
    "effective_to",
    "remark",
]


def build(repo: Repo, out: Path | None = None) -> Path:
    args = ["build"] + (["--out", str(out)] if out else [])
    result = repo.cli(*args)
    assert result.exit_code == 0, result.output
    return out or repo.root / "public"


def rich(repo: Repo) -> None:
    """Add a hidden power, a reference to it, discretion, risks and a flow step of its own."""
    repo.power(HIDDEN)
    path = repo.power(
        LICENCE,
        levels=["市级", "县级"],
        related_departments=[
            {"name": "某局", "relation": "后置", "power": HIDDEN["id"], "matter": "后续核查"}
        ],
        integrity_risks=[
            {
                "step": "shencha",
                "risk": "放宽审查标准",
                "level": "高",
                "measures": ["集体审议", "留痕"],
            }
        ],
        flow={
            "ref": "xingzheng-xuke-yiban",
            "steps": [
                {"id": "xianchang", "name": "现场踏勘", "unit": "业务科室", "after": "shouli"}
            ],
        },
        effective_from="2020-01-01",
    )
    header = "# yaml-language-server: $schema=../../../../schema/power.schema.json\n"
    path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")


def validate(path: Path) -> Any:
    """Validate a data package with frictionless, which leaves zip files open (a ResourceWarning)."""
    frictionless = pytest.importorskip("frictionless")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        report = frictionless.validate(str(path))
        gc.collect()
    return report


def read_csv(out: Path, name: str) -> list[dict[str, str]]:
    raw = (out / "data" / f"{name}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def test_csv_tables_match_the_json(repo: Repo) -> None:
    rich(repo)
    out = build(repo)
    powers = json.loads((out / "data/powers.json").read_text(encoding="utf-8"))
    rows = read_csv(out, "powers")
    assert [r["id"] for r in rows] == [p["id"] for p in powers] == ["zq-a-cf-001", "zq-a-xk-001"]
    for row, power in zip(rows, powers, strict=True):
        for key in FLAT:
            assert row[key] == text(power.get(key)), key
        assert row["department"] == power["department"] == "zq-a"
        assert row["levels"] == text(power.get("levels"))
        assert row["legal_basis_count"] == str(len(power["legal_basis"]))
        limit = power.get("statutory_time_limit") or {}
        assert row["statutory_time_limit_value"] == text(limit.get("value"))
        assert row["statutory_time_limit_unit"] == text(limit.get("unit"))
        one = json.loads((out / f"data/powers/{power['id']}.json").read_text(encoding="utf-8"))
        assert one == power
    bases = read_csv(out, "legal_basis")
    assert [(b["power_id"], b["law_id"], b["article"]) for b in bases] == [
        (p["id"], b.get("law", ""), b["article"]) for p in powers for b in p["legal_basis"]
    ]
    assert bases[1]["title"] == "中华人民共和国行政许可法"  # taken from the register
    steps = [s for s in read_csv(out, "flow_steps") if s["power_id"] == "zq-a-xk-001"]
    ids = [s["step_id"] for s in steps]
    assert ids[ids.index("shouli") + 1] == "xianchang"  # the power's own step, placed after 受理
    assert [s["seq"] for s in steps] == [str(i) for i in range(1, len(steps) + 1)]
    assert any("→" in s["branches"] for s in steps)
    tiers = read_csv(out, "discretion")
    assert [(t["item_seq"], t["tier_seq"], t["circumstances"]) for t in tiers] == [
        ("1", "1", "首次违法"),
        ("1", "2", "多次违法"),
    ]
    risks = read_csv(out, "integrity_risks")
    assert risks == [
        {
            "power_id": "zq-a-xk-001",
            "seq": "1",
            "step": "shencha",
            "risk": "放宽审查标准",
            "level": "高",
            "measures": "集体审议、留痕",
        }
    ]
    assert [d["id"] for d in read_csv(out, "departments")] == [
        d["id"] for d in json.loads((out / "data/departments.json").read_text(encoding="utf-8"))
    ]
    assert [law["id"] for law in read_csv(out, "laws")] == ["xingzheng-xuke-fa"]
    department = json.loads((out / "data/departments/zq-a.json").read_text(encoding="utf-8"))
    assert department["name"] == "肇庆市甲局" and department["powers"] == powers
    assert read_csv(out, "changes") == []  # not a git repository: no changes, the header only


def test_json_is_sorted_and_indented(repo: Repo) -> None:
    out = build(repo)
    raw = (out / "data/powers/zq-a-xk-001.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    assert "某某许可" in raw  # not \u-escaped


def test_xlsx_matches_the_csvs(repo: Repo) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    rich(repo)
    out = build(repo)
    book = openpyxl.load_workbook(out / "data/powers.xlsx")
    assert book.sheetnames == [t.sheet for t in TABLES]
    for table in TABLES:
        sheet = book[table.sheet]
        assert sheet.freeze_panes == "A2"
        values = [[text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        header, body = values[0], values[1:]
        assert all(header) and header[0] in ("标识", "职权标识", "日期")
        rows = [list(r.values()) for r in read_csv(out, table.name)]
        assert body == rows, table.name


def test_data_package_validates_and_describes_every_file(repo: Repo) -> None:
    rich(repo)
    out = build(repo)
    path = out / "data/datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    report = validate(path)
    assert report.valid, report.flatten(["type", "note"])
    described = {r["path"] for r in package["resources"]}
    on_disk = {
        p.relative_to(out / "data").as_posix()
        for p in (out / "data").rglob("*")
        if p.is_file() and p.name != "datapackage.json"
    }
    assert described == on_disk
    for resource in package["resources"]:
        data = (out / "data" / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert ("schema" in resource) == (resource["format"] == "csv")
    powers = next(r for r in package["resources"] if r["name"] == "powers")
    fields = {f["name"]: f for f in powers["schema"]["fields"]}
    assert (
        fields["name"]["title"] == "职权名称"
        and fields["statutory_time_limit_value"]["type"] == "number"
    )
    basis = next(r for r in package["resources"] if r["name"] == "legal_basis")
    assert {"fields": ["law_id"], "reference": {"resource": "laws", "fields": ["id"]}} in basis[
        "schema"
    ]["foreignKeys"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["id"] == "https://qingdan.zhaoqing.example/"
    assert "created" not in package and "version" not in package  # no git, no SOURCE_DATE_EPOCH


def test_broken_foreign_key_is_caught_by_the_data_package(repo: Repo) -> None:
    out = build(repo)
    steps = out / "data/flow_steps.csv"
    steps.write_bytes(steps.read_bytes() + b"zq-a-nowhere,1,x,x,,,,,,,\n")
    package = json.loads((out / "data/datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        resource.pop("bytes", None)
        resource.pop("hash", None)
    (out / "data/datapackage.json").write_text(json.dumps(package, ensure_ascii=False))
    report = validate(out / "data/datapackage.json")
    assert not report.valid
    assert "foreign-key" in {e.type for task in report.tasks for e in task.errors}


def test_columns_are_documented_from_the_schemas(repo: Repo) -> None:
    out = build(repo)
    page = (out / "downloads/dictionary.html").read_text(encoding="utf-8")
    schema = json.loads((repo.root / "schema/power.schema.json").read_text(encoding="utf-8"))
    for key in ("content", "handling_unit", "status"):
        prop = schema["properties"][key]
        assert prop["title"] in page and prop["description"] in page
    for table in TABLES:
        assert f'id="table-{table.name}"' in page
        for column in table.columns:
            assert f'<th scope="row" class="code">{column.name}</th>' in page


def test_non_public_power_is_in_no_download(repo: Repo) -> None:
    rich(repo)
    out = build(repo)
    secrets = [HIDDEN["id"], HIDDEN["name"], HIDDEN["content"], HIDDEN["code"]]

    def scan(name: str, data: bytes) -> None:
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for entry in archive.namelist():
                    scan(f"{name}!{entry}", archive.read(entry))
            return
        body = data.decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in body, (name, secret)

    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    for path in files:
        if path.parts[len(out.parts)] in ("data", "schema", "downloads"):
            scan(str(path.relative_to(out)), path.read_bytes())
    with zipfile.ZipFile(out / "data/sources.zip") as archive:
        names = archive.namelist()
        assert "data/departments/zq-a/powers/zq-a-xk-001.yaml" in names
        assert "site.yaml" in names and "schema/power.schema.json" in names
        assert not any(HIDDEN["id"] in n for n in names)
        licence = archive.read("data/departments/zq-a/powers/zq-a-xk-001.yaml").decode("utf-8")
        assert licence.startswith("# yaml-language-server: $schema=") and "后续核查" in licence


@pytest.mark.parametrize("epoch", [None, "1700000000"])
def test_downloads_are_reproducible(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: str | None
) -> None:
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    rich(repo)
    first = build(repo, tmp_path / "a")
    second = build(repo, tmp_path / "b")
    files = sorted(p.relative_to(first) for p in (first / "data").rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(second) for p in (second / "data").rglob("*") if p.is_file()
    )
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    year = 2023 if epoch else 1980
    for rel in ("data/sources.zip", "data/powers.xlsx", "data/departments/zq-a.zip"):
        with zipfile.ZipFile(first / rel) as archive:
            infos = archive.infolist()
            assert [i.filename for i in infos] == sorted(i.filename for i in infos)
            assert {i.date_time[0] for i in infos} == {year}
            assert {i.external_attr >> 16 for i in infos} == {0o100644}
            assert all(i.extra == b"" for i in infos)
    package = json.loads((first / "data/datapackage.json").read_text(encoding="utf-8"))
    assert package.get("created") == ("2023-11-14T22:13:20Z" if epoch else None)


def test_schemas_are_published_with_absolute_ids(repo: Repo) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    out = build(repo)
    docs = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "schema").glob("*.json")
    }
    assert docs["power.schema.json"]["$id"] == (
        "https://qingdan.zhaoqing.example/schema/power.schema.json"
    )
    registry = referencing.Registry().with_resources(
        (doc["$id"], referencing.Resource.from_contents(doc)) for doc in docs.values()
    )
    record = {**LICENCE}
    validator = jsonschema.Draft202012Validator(docs["power.schema.json"], registry=registry)
    assert list(validator.iter_errors(record)) == []  # relative $refs still resolve
    assert list(validator.iter_errors({**record, "statutory_time_limit": {"value": -1}}))


def test_every_published_power_validates_against_the_published_schema(repo: Repo) -> None:
    """The data files add ``department``: the published schema says so (it forbids other keys)."""
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    rich(repo)
    out = build(repo)
    docs = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in (out / "schema").glob("*.json")
    }
    schema = docs["power.schema.json"]
    assert schema["additionalProperties"] is False and "department" in schema["properties"]
    registry = referencing.Registry().with_resources(
        (doc["$id"], referencing.Resource.from_contents(doc)) for doc in docs.values()
    )
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    powers = sorted((out / "data/powers").glob("*.json"))
    assert powers
    for path in powers:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["department"]
        assert [e.message for e in validator.iter_errors(data)] == [], path.name


def test_downloads_page_lists_every_file(repo: Repo) -> None:
    rich(repo)
    out = build(repo)
    page = (out / "downloads/index.html").read_text(encoding="utf-8")
    for path in (out / "data").rglob("*"):
        if path.is_file():
            assert f'href="../{path.relative_to(out).as_posix()}"' in page, path
    for path in (out / "schema").glob("*.json"):
        assert f'href="../schema/{path.name}"' in page
    assert "Excel" in page and "乱码" in page
    assert 'href="dictionary.html"' in page


def test_powers_withheld_now_can_be_left_out_of_an_edition(repo: Repo) -> None:
    from site_builder.build import check_repository
    from site_builder.publishing.download_pages import files
    from site_builder.structure.pages import Site

    site = Site(check_repository(repo.root).dataset)
    everything = files(site, withheld=["zq-a-xk-001"])
    assert "data/powers/zq-a-xk-001.json" not in everything
    for path, data in everything.items():
        if not path.endswith((".zip", ".xlsx")):
            assert "某某许可" not in data.decode("utf-8"), path
    assert "data/powers/zq-a-cf-001.json" in everything
