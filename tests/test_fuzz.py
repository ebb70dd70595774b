"""Property-based tests: whatever a file holds, reading and checking it yields data or problems, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, Repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.build import check_repository
from site_builder.errors import Severity
from site_builder.reading import sources
from site_builder.reading.schemas import Schemas
from site_builder.tools import fmt

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# YAML-shaped documents: scalars, lists and mappings, with Chinese text and awkward strings
# (but none of the characters the reader refuses: test_security_text.py has those).
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)).filter(
        lambda ch: not sources.FORBIDDEN_CHARACTERS.match(ch)
    ),
    max_size=30,
) | st.sampled_from(
    ["", "yes", "8:30", "0758", "2016-13-45", "*x", "&a", "!!str", "<script>", "第三条", "行政许可"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=20,
)
FIELDS = sorted(Schemas(PROJECT / "schema").documents["power"]["properties"])
power_like = st.fixed_dictionaries({}, optional={key: documents for key in FIELDS})


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_data_or_problems(raw: bytes) -> None:
    text, problems = sources.decode("x.yaml", raw)
    if text is None:
        assert problems and problems[-1].rule == "encoding" and problems[-1].line >= 1
        return
    data, found = sources.parse("x.yaml", text)
    for p in found:
        assert p.path == "x.yaml" and p.message and p.line >= 1
    assert data is not None or any(p.severity == Severity.ERROR for p in found)


@SETTINGS
@given(documents)
def test_dumped_documents_parse_back_equal(doc: Any) -> None:
    """What the canonical writer writes, the strict reader reads back unchanged."""
    text = sources.dump({"v": doc})
    data, problems = sources.parse("x.yaml", text)
    assert not [p for p in problems if p.severity == Severity.ERROR], (text, problems)
    assert data == {"v": doc}


@SETTINGS
@given(power_like)
def test_any_power_shaped_document_validates_or_gives_problems(
    repo: Repo, doc: dict[str, Any]
) -> None:
    path = repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml"
    path.write_text(sources.dump({**doc, "id": "zq-a-xk-001"}), encoding="utf-8")
    checked = check_repository(repo.root)  # must not raise
    for p in checked.problems:
        assert p.path and p.message
        if p.path.endswith("zq-a-xk-001.yaml"):
            assert p.line >= 1


@SETTINGS
@given(power_like)
def test_fmt_keeps_the_meaning_of_any_document(doc: dict[str, Any]) -> None:
    schemas = Schemas(PROJECT / "schema")
    rel = "data/departments/zq-a/powers/zq-a-xk-001.yaml"
    text = fmt.canonical_text(sources.dump(doc), doc, "power", rel, schemas)
    data, problems = sources.parse(rel, text)
    if not fmt.prune(doc):  # nothing left: only the header line, which is reported as an empty file
        assert [p.rule for p in problems] == ["empty"]
        return
    assert not [p for p in problems if p.severity == Severity.ERROR], text
    assert (data or {}) == fmt.prune(doc)
    again = fmt.canonical_text(text, data or {}, "power", rel, schemas)
    assert again == text  # canonical is a fixed point


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    bomb += "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
        for p, c in zip("bcdefgh", "cdefghi", strict=True)
    )
    data, problems = sources.parse("bomb.yaml", bomb)
    assert data is None and {p.rule for p in problems} >= {"yaml-anchor", "yaml-alias"}


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    data, problems = sources.parse("evil.yaml", text)
    assert data is None and [p.rule for p in problems] == ["yaml-tag"]
    assert not marker.exists()


@pytest.mark.parametrize("value", ["", " ", "\t", "\u3000", "\ufeff"])
def test_blank_power_files_are_reported(repo: Repo, value: str) -> None:
    (repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml").write_text(
        value, encoding="utf-8"
    )
    result = repo.cli("validate")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "zq-a-xk-001.yaml:" in result.stdout
