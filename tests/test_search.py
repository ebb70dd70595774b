"""Search: the tokenizer, the index, and the query table over the sample (recall 1.0).

The same two tables (search_tokens.json, search_queries.json) are run in the
browser by test_browser.py, so Python and JavaScript cannot drift apart.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import LICENCE, PROJECT, Repo
from lunr.index import Index

from site_builder.build import check_repository
from site_builder.publishing import search
from site_builder.reading import defaults
from site_builder.structure.pages import Site

TOKENS = json.loads((Path(__file__).parent / "search_tokens.json").read_text(encoding="utf-8"))
QUERIES = json.loads((Path(__file__).parent / "search_queries.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample_index() -> tuple[dict[str, Any], Index]:
    site = Site(check_repository(PROJECT).dataset)
    [shard] = search.shards(site)
    # Round-trip through JSON, as the browser receives it.
    payload = json.loads(json.dumps(shard.payload, ensure_ascii=False))
    return payload, Index.load(payload["index"])


def ids(payload: dict[str, Any], rows: list[int]) -> list[str]:
    return [payload["rows"][r][0] for r in rows]


@pytest.mark.parametrize("case", TOKENS, ids=[c["text"] or "(empty)" for c in TOKENS])
def test_tokenizer_cases(case: dict[str, Any]) -> None:
    assert search.tokenize(case["text"]) == case["terms"]


def test_query_table_is_large_enough() -> None:
    kinds = {q["kind"] for q in QUERIES}
    assert len(QUERIES) >= 30
    assert kinds == {"fragment", "single-character", "code", "department", "law", "no-match"}


@pytest.mark.parametrize("case", QUERIES, ids=[q["query"] for q in QUERIES])
def test_query_recall_on_the_sample(
    sample_index: tuple[dict[str, Any], Index], case: dict[str, Any]
) -> None:
    payload, index = sample_index
    found = ids(payload, search.query(payload, case["query"], index))
    if case["kind"] == "no-match":
        assert found == []
    else:
        assert case["expect"], "a query that expects results must name them"
        missing = sorted(set(case["expect"]) - set(found))
        assert not missing, f"{case['query']}: missing {missing}"


def test_name_hits_rank_above_department_and_law_hits(
    sample_index: tuple[dict[str, Any], Index],
) -> None:
    payload, index = sample_index
    rows = search.query(payload, "安全生产", index)
    in_name = ["安全生产" in payload["rows"][r][1] for r in rows]
    # Every power named for it ranks above every power found only through a law or a department.
    assert any(in_name) and not all(in_name)
    assert in_name == sorted(in_name, reverse=True)


def test_every_term_is_required_before_falling_back_to_any(
    sample_index: tuple[dict[str, Any], Index],
) -> None:
    payload, index = sample_index
    both = set(ids(payload, search.query(payload, "工伤认定", index)))
    assert both and all(
        "工伤认定" in payload["rows"][r][1] for r in search.query(payload, "工伤认定", index)
    )
    # No power is about both 工伤 and 量子: the fallback returns the 工伤 powers.
    fallback = set(ids(payload, search.query(payload, "工伤量子", index)))
    assert both <= fallback


def test_index_holds_no_legal_text_and_no_withheld_power(repo: Repo) -> None:
    repo.power(
        LICENCE,
        legal_basis=[
            {
                "kind": "法律",
                "law": "xingzheng-xuke-fa",
                "article": "第十二条",
                "text": "独一无二的条文内容",
            }
        ],
    )
    repo.power(
        LICENCE,
        id="zq-a-jc-009",
        name="秘密核查事项",
        category="行政检查",
        disclosure={"public": False, "reason": "涉密", "basis": "保密法"},
    )
    assert repo.cli("build").exit_code == 0
    script = (repo.root / "public/search/all.js").read_text(encoding="utf-8")
    assert "某某许可" in script
    for secret in ("秘密核查", "zq-a-jc-009", "独一无二", "条文内容"):
        assert secret not in script


def test_build_copies_lunr_with_its_licence(repo: Repo) -> None:
    assert repo.cli("build").exit_code == 0
    out = repo.root / "public"
    assert (out / "assets/lunr/lunr.min.js").read_bytes() == (
        PROJECT / "node_modules/lunr/lunr.min.js"
    ).read_bytes()
    assert "Oliver Nightingale" in (out / "assets/lunr/LICENSE").read_text(encoding="utf-8")
    assert '"version":"2.3.9"' in (PROJECT / "node_modules/lunr/package.json").read_text(
        encoding="utf-8"
    ).replace(" ", "")
    page = (out / "search/index.html").read_text(encoding="utf-8")
    assert 'src="../assets/lunr/lunr.min.js"' in page and "data-search-results" in page


def test_large_sites_are_sharded_per_jurisdiction(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.department(
        id="dz-a", name="肇庆市端州区甲局", short_name="端州区甲局", jurisdiction="duanzhou"
    )
    repo.power(LICENCE, department="dz-a", id="dz-a-xk-001", name="端州区的许可")
    monkeypatch.setattr(search, "SHARD_THRESHOLD", 2)
    site = Site(check_repository(repo.root).dataset)
    shards = {s.id: s for s in search.shards(site)}
    assert set(shards) == {"zhaoqing", "duanzhou"}
    assert [row[1] for row in shards["duanzhou"].payload["rows"]] == ["端州区的许可"]
    manifest = json.loads(search.page(site, list(shards.values())).context["manifest"])
    assert manifest["defaultJurisdiction"] == "zhaoqing"
    assert {s["file"] for s in manifest["shards"]} == {"zhaoqing.js", "duanzhou.js"}


def test_small_sites_have_one_index(repo: Repo) -> None:
    site = Site(check_repository(repo.root).dataset)
    [shard] = search.shards(site)
    assert shard.id == "all" and shard.jurisdiction is None
    assert json.loads(search.page(site, [shard]).context["manifest"])["defaultJurisdiction"] is None


def test_index_is_deterministic(repo: Repo) -> None:
    site = Site(check_repository(repo.root).dataset)
    assert (
        search.shards(site)[0].script
        == search.shards(Site(check_repository(repo.root).dataset))[0].script
    )


def test_lunr_js_is_the_repositorys_else_the_tools(tmp_path: Path) -> None:
    assert search.lunr_dir(tmp_path) == PROJECT / "node_modules" / "lunr"
    own = tmp_path / "node_modules" / "lunr"
    shutil.copytree(PROJECT / "node_modules" / "lunr", own)
    assert search.lunr_dir(tmp_path) == own


def test_missing_lunr_js_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defaults, "CHECKOUT", tmp_path / "no-tool")
    with pytest.raises(search.SiteBuilderError, match="重新安装"):
        search.lunr_dir(tmp_path)


def test_index_script_round_trips_awkward_text_in_javascript(tmp_path: Path) -> None:
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node, "node is needed (it comes with npm, which bash .ci/run uses)"
    payload = {"a": 'it\'s \\ "q" \u2028 \u2029 </script> 甲\n乙', "b": [1, 2.5, None, True]}
    script = tmp_path / "shard.js"
    script.write_text(
        search.Shard("all", None, 1, payload).script
        + "process.stdout.write(JSON.stringify(window.siteSearchShards.all));",
        encoding="utf-8",
    )
    out = subprocess.run(
        [node, "-e", f"global.window = global; require({json.dumps(str(script))})"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == payload
