"""The CI definitions parse and run the commands they must, so they cannot silently rot."""

from __future__ import annotations

from typing import Any

import yaml
from conftest import PROJECT


def load(rel: str) -> Any:
    return yaml.safe_load((PROJECT / rel).read_text(encoding="utf-8"))


def commands(value: Any) -> str:
    """Every string in a parsed YAML document, joined: the commands and settings it holds."""
    if isinstance(value, dict):
        return "\n".join(f"{k}: {commands(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(commands(v) for v in value)
    return str(value)


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def trigger(workflow: dict[str, Any]) -> Any:
    # PyYAML reads the key `on` as True (YAML 1.1).
    return workflow.get("on", workflow.get(True))


def test_github_validate_workflow() -> None:
    workflow = load(".github/workflows/validate.yml")
    assert "pull_request" in trigger(workflow)
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    assert workflow["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in trigger(workflow)  # never secrets for a fork's code
    text = commands(workflow)
    assert "python-version: 3.11" in text and "node-version: 20" in text
    assert "pip install -e ." in text and "npm ci --ignore-scripts" in text
    assert "site-builder validate --format github" in text
    assert 'site-builder diff "origin/${BASE_REF}" HEAD --format markdown' in text
    assert "BASE_REF: ${{ github.base_ref }}" in text
    assert "$GITHUB_STEP_SUMMARY" in text and "exit $status" in text
    assert "site-builder codeowners --check" in text


def test_github_publish_workflow() -> None:
    workflow = load(".github/workflows/publish.yml")
    on = trigger(workflow)
    assert on["push"]["branches"] == ["main"] and on["push"]["tags"]
    # Least privilege: the build only reads; only the deploy job may publish.
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["persist-credentials"] is False
    text = commands(workflow)
    assert "site-builder build --strict" in text
    uses = [s.get("uses", "") for s in steps(workflow)]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert "path: public/" in text


def test_gitlab_ci() -> None:
    ci = load(".gitlab-ci.yml")
    assert ci["variables"]["GIT_DEPTH"] == 0
    assert ci["default"]["image"] == "python:3.11"
    assert "nodejs npm" in commands(ci["default"])
    assert ci["stages"] == ["validate", "publish"]
    validate = commands(ci["validate"])
    assert "merge_request_event" in validate
    assert "site-builder validate" in validate
    assert "site-builder diff" in validate and "--out diff.md" in validate
    assert "site-builder codeowners --check" in validate
    assert ci["validate"]["artifacts"]["paths"] == ["diff.md"]
    pages = ci["pages"]
    assert "site-builder build --strict" in commands(pages)
    assert pages["artifacts"]["paths"] == ["public"]
    assert "$CI_DEFAULT_BRANCH" in commands(pages["rules"])


def test_pull_request_template() -> None:
    text = (PROJECT / ".github/pull_request_template.md").read_text(encoding="utf-8")
    for heading in ("变更说明", "依据文件及文号", "涉及部门"):
        assert f"## {heading}" in text
    for item in (
        "site-builder validate",
        "site-builder fmt",
        "承诺时限不超过法定时限",
        "不公开事项已说明理由和依据",
    ):
        assert item in text
