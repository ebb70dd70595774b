"""Golden files: the small fixture site must build to exactly the committed pages.

After an intended change to the output, regenerate them and review the diff:

    python3 -m pytest tests/test_golden.py --regenerate-golden
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import LICENCE, PENALTY, Repo

GOLDEN = Path(__file__).parent / "golden" / "site"


def pages(folder: Path) -> dict[str, bytes]:
    # assets/ are copies of templates/static and are not pinned here.
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.relative_to(folder).as_posix().startswith("assets/")
        and p.name != ".site-builder-output"
    }


def test_fixture_site_matches_golden_files(
    repo: Repo, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    repo.power(
        LICENCE,
        id="zq-a-xk-002",
        name="已取消的许可",
        status="已取消",
        adjustment={"action": "取消", "reason": "国务院决定取消", "doc_number": "国发〔2017〕46号"},
    )
    repo.power(
        PENALTY,
        id="zq-a-cf-002",
        name="不公开的处罚",
        disclosure={"public": False, "reason": "涉及国家秘密", "basis": "保密法"},
    )
    out = tmp_path / "site"
    result = repo.cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    built = pages(out)
    if request.config.getoption("--regenerate-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in built.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
        pytest.skip("golden files regenerated: review the diff with git diff tests/golden")
    golden = pages(GOLDEN)
    assert golden, "no golden files: run python3 -m pytest tests/test_golden.py --regenerate-golden"
    assert sorted(built) == sorted(golden)
    changed = [rel for rel in built if built[rel] != golden[rel]]
    assert not changed, (
        f"pages differ from tests/golden/site: {changed[:10]} (regenerate with --regenerate-golden if intended)"
    )
