"""docs/testing.md shows a complete test module: run it, with its files, as a user would."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

import leadqual as lq

DOC = Path(__file__).resolve().parent.parent / "docs" / "testing.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)\n```", re.S)


def files_in_the_doc() -> dict[str, str]:
    return {m["path"]: m["body"] + "\n" for m in FILE_BLOCK.finditer(DOC.read_text("utf-8"))}


def test_the_doc_names_its_files() -> None:
    assert set(files_in_the_doc()) == {
        "pyproject.toml",
        "tests/golden/engaged-vp.json",
        "tests/golden/nurtured.json",
        "tests/test_lead_rules.py",
    }


def lay_out(pytester: pytest.Pytester, rules: lq.RuleSet) -> None:
    """The doc's project: its files, and ``rules`` where its pyproject.toml says."""
    for name, body in files_in_the_doc().items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    (pytester.path / "rules").mkdir()
    lq.dump(rules, pytester.path / "rules" / "leads.toml")


def test_the_example_test_module_passes(pytester: pytest.Pytester) -> None:
    lay_out(pytester, lq.default_ruleset())
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    # 8 tests besides the golden one, which runs once per case (3)
    result.assert_outcomes(passed=11)
    result.stdout.fnmatch_lines(
        [
            "leadqual rules: *leads.toml",
            "*test_golden[[]engaged-VP-is-an-MQL[]] PASSED*",
            "*test_golden[[]recycled-MQL-stays-in-nurture[]] PASSED*",
        ]
    )


def test_a_broken_rule_breaks_the_example_module(pytester: pytest.Pytester) -> None:
    # the module really tests the rules: halve the ebook's points and it fails
    rules = lq.default_ruleset()
    model = rules.model
    assert isinstance(model, lq.PointsModel)
    ebook = model.rule("content-download")
    weaker = attrs.evolve(
        model,
        engagement=[attrs.evolve(r, points=15) if r is ebook else r for r in model.engagement],
    )
    lay_out(pytester, attrs.evolve(rules, model=weaker))
    result = pytester.runpytest("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3
