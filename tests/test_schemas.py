"""The JSON Schemas themselves: valid draft 2020-12, with Chinese help on every property."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT
from jsonschema import Draft202012Validator

from site_builder.reading import model

SCHEMAS = sorted((PROJECT / "schema").glob("*.schema.json"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, prop in node.get("properties", {}).items():
            yield f"{where}/{key}", prop
        for key, value in node.items():
            if key != "if":  # a condition's properties are not fields
                yield from properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{where}/{i}")


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(doc)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_has_a_chinese_title_and_description(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    found = list(properties(doc))
    assert found
    for where, prop in found:
        assert CJK.search(prop.get("title", "")), f"{path.name}{where}: no Chinese title"
        assert CJK.search(prop.get("description", "")), (
            f"{path.name}{where}: no Chinese description"
        )


def test_every_data_file_starts_with_its_schema_line() -> None:
    files, _ = model.discover(PROJECT)
    for kind, rel in [*files, ("site", "site.yaml")]:
        first = (PROJECT / rel).read_text(encoding="utf-8").splitlines()[0]
        depth = rel.count("/")
        assert (
            first == f"# yaml-language-server: $schema={'../' * depth}schema/{kind}.schema.json"
        ), rel
