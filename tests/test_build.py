"""``build``: validates first, writes the whole site or nothing, never clobbers a folder it did not write."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LICENCE, Repo


def test_build_writes_pages_for_departments_and_public_powers(repo: Repo) -> None:
    repo.power(
        LICENCE,
        id="zq-a-xk-002",
        name="不公开的许可",
        disclosure={"public": False, "reason": "涉密", "basis": "保密法"},
    )
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    out = repo.root / "public"
    assert (out / "index.html").is_file()
    assert (out / "departments/zq-a/index.html").is_file()
    page = (out / "powers/zq-a-xk-001.html").read_text(encoding="utf-8")
    assert "某某许可" in page and 'lang="zh-CN"' in page
    assert "受理" in page  # the standard flow's steps are on the page
    assert not (out / "powers/zq-a-xk-002.html").exists()
    everything = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "不公开的许可" not in everything


def test_build_links_are_relative(repo: Repo) -> None:
    repo.cli("build")
    page = (repo.root / "public/powers/zq-a-xk-001.html").read_text(encoding="utf-8")
    assert 'href="../assets/site.css"' in page
    assert 'href="/' not in page and 'src="/' not in page
    assert 'src="http' not in page and '<link rel="stylesheet" href="http' not in page


def test_build_refuses_bad_data_and_keeps_previous_output(repo: Repo) -> None:
    assert repo.cli("build").exit_code == 0
    before = {p: p.read_bytes() for p in (repo.root / "public").rglob("*") if p.is_file()}
    repo.power(LICENCE, category="行政审批")
    result = repo.cli("build")
    assert result.exit_code == 1
    assert "category" in result.stdout
    after = {p: p.read_bytes() for p in (repo.root / "public").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in repo.root.iterdir() if ".building-" in p.name]


def test_build_into_a_new_folder_and_rebuild(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert repo.cli("build", "--out", str(out)).exit_code == 0
    (repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml").unlink()
    assert repo.cli("build", "--out", str(out)).exit_code == 0
    assert not (out / "powers/zq-a-cf-001.html").exists()  # stale pages do not survive a rebuild


def test_build_never_replaces_a_folder_it_did_not_write(repo: Repo) -> None:
    result = repo.cli("build", "--out", "data")
    assert result.exit_code == 2
    assert (repo.root / "data/laws/xingzheng-xuke-fa.yaml").is_file()


def test_templates_compiled_before_the_workers_fork_need_no_recompiling(repo: Repo) -> None:
    """The environment a build makes once holds every template its pages use, with those
    they extend and import, so a worker renders without reading a template again."""
    from site_builder.build import check_repository
    from site_builder.rendering import render
    from site_builder.structure.pages import plan

    site, pages = plan(check_repository(repo.root).dataset)
    power_pages = [p for p in pages if p.template == "power.html"]
    env = render.templates(site, {"power.html"})

    def no_more_reading(*args: object) -> None:
        raise AssertionError(f"a template was read again: {args[1:]}")

    env.loader.get_source = no_more_reading  # type: ignore[method-assign, union-attr]
    html = dict(render.rendered(site, power_pages, env))[power_pages[0].path].decode()
    assert power_pages[0].context["power"].name in html
    fresh = render.environment(render.template_dirs(site.ds))
    fresh.loader.get_source = no_more_reading  # type: ignore[method-assign, union-attr]
    with pytest.raises(AssertionError, match="read again"):  # a new one reads them
        dict(render.rendered(site, power_pages[:1], fresh))
