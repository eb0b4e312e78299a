"""Golden cases: JSON files of expected results (leadqual.testing.golden)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import leadqual as lq
from leadqual.errors import GoldenError
from leadqual.testing.golden import load_cases

RULES = lq.default_ruleset()

VP = {
    "name": "engaged VP is an MQL",
    "lead": {"id": "L-7", "attributes": {"title": "VP Sales", "employees": 300}},
    "events": [
        {"type": "content_download", "days_ago": 3},
        {"type": "webinar_attended", "days_ago": 2},
        {"type": "email_click", "days_ago": 1, "times": 3},
    ],
    "expect": {
        "stage": "MQL",
        "path": ["IQL", "MQL"],
        "score": {"at_least": 100},
        "contributions": {"senior-title": 15, "email-click": {"at_least": 25}},
        "grade": "A",
        "framework": "unknown",
    },
}


def write(folder: Path, name: str, content: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_a_true_case_passes(tmp_path: Path) -> None:
    write(tmp_path, "vp.json", VP)
    (case,) = load_cases(tmp_path)
    assert case.name == "engaged VP is an MQL"
    assert case.id == "engaged-VP-is-an-MQL"
    case.check(RULES)
    assert case.scenario(RULES).lead_value.id == "L-7"


def test_a_false_case_fails_with_its_name_file_and_explanation(tmp_path: Path) -> None:
    wrong = dict(VP, expect={"stage": "SQL"})
    path = write(tmp_path, "wrong.json", wrong)
    (case,) = load_cases(path)
    with pytest.raises(AssertionError) as info:
        case.check(RULES)
    message = str(info.value)
    assert "golden case 'engaged VP is an MQL'" in message
    assert str(path) in message
    assert "expected L-7 in SQL, but it is in MQL" in message
    assert "senior-title" in message  # the explanation follows


def test_files_with_lists_folders_and_default_names(tmp_path: Path) -> None:
    write(tmp_path, "b/more.json", [{"expect": {"stage": "IQL"}}, {"expect": {"score": 0}}])
    write(tmp_path, "a.json", {"expect": {"stage": "IQL"}})
    write(tmp_path, "notes.txt", "not a case")
    cases = load_cases(tmp_path)
    assert [c.name for c in cases] == ["a", "b/more[0]", "b/more[1]"]
    for case in cases:
        case.check(RULES)


def test_decisions_and_absolute_times(tmp_path: Path) -> None:
    case_data = {
        "now": "2026-03-01T00:00:00Z",
        "events": [
            {"type": "content_download", "at": "2026-02-27T00:00:00Z", "times": 4},
            {"type": "webinar_attended", "at": "2026-02-28T00:00:00+01:00"},
        ],
        "decisions": [{"target": "NURTURE", "days_ago": 0.5, "reason": "no budget"}],
        "expect": {"path": ["IQL", "MQL", "NURTURE"]},
    }
    write(tmp_path, "nurtured.json", case_data)
    (case,) = load_cases(tmp_path)
    case.check(RULES)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ({"expect": {"stag": "MQL"}}, "expect.stag: unknown key"),
        ({"events": [{"days_ago": 1}], "expect": {"stage": "IQL"}}, "events[0].type"),
        ({"events": [{"type": "x", "days_ago": "2"}], "expect": {"stage": "IQL"}}, "days_ago"),
        ({"expect": {}}, "expects nothing"),
        ({"lead": {"title": "VP"}, "expect": {"stage": "IQL"}}, "lead.title: unknown key"),
        ({"expect": {"score": {"over": 3}}}, "expect.score.over"),
        ({"expect": {"contributions": {"x": "ten"}}}, "expect.contributions.x"),
        ({"now": "yesterday", "expect": {"stage": "IQL"}}, "now"),
        ([{"expect": {"stage": "IQL"}}, {"expekt": {}}], "[1].expect: is required"),
    ],
)
def test_mistakes_in_a_file_name_the_file_and_place(
    tmp_path: Path, content: Any, found: str
) -> None:
    path = write(tmp_path, "case.json", content)
    with pytest.raises(GoldenError) as info:
        load_cases(tmp_path)
    assert str(path) in str(info.value)
    assert found in str(info.value)


def test_mistakes_found_when_run_are_golden_errors(tmp_path: Path) -> None:
    write(tmp_path, "typo.json", {"expect": {"stage": "MQLL"}})
    (case,) = load_cases(tmp_path)
    with pytest.raises(GoldenError, match=r"typo\.json.*MQLL"):
        case.check(RULES)


def test_nothing_to_run_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GoldenError, match="no golden case"):
        load_cases(tmp_path)
    with pytest.raises(GoldenError, match="no such file"):
        load_cases(tmp_path / "missing")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(GoldenError, match="not valid JSON"):
        load_cases(tmp_path)


def test_two_cases_with_one_name_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.json", {"name": "same", "expect": {"stage": "IQL"}})
    write(tmp_path, "b.json", {"name": "same", "expect": {"stage": "IQL"}})
    with pytest.raises(GoldenError, match="used in"):
        load_cases(tmp_path)


def test_review_edge_cases(tmp_path: Path) -> None:
    # one name per folder: emea/vp and us/vp do not collide
    write(tmp_path, "emea/vp.json", {"expect": {"stage": "IQL"}})
    write(tmp_path, "us/vp.json", {"expect": {"stage": "IQL"}})
    assert [c.name for c in load_cases(tmp_path)] == ["emea/vp", "us/vp"]
    # an event dated after the default now moves now, instead of silently not counting
    write(
        tmp_path,
        "later.json",
        {
            "events": [{"type": "demo_request", "at": "2026-03-01T00:00:00Z"}],
            "expect": {"contributions": {"demo-request": 40}},
        },
    )
    # numbers that cannot be times, and lists where mappings belong, are golden errors
    write(
        tmp_path,
        "bad/nan.json",
        {"events": [{"type": "x", "days_ago": 1e20}], "expect": {"stage": "IQL"}},
    )
    write(
        tmp_path,
        "bad/props.json",
        {"events": [{"type": "x", "properties": [1, 2]}], "expect": {"stage": "IQL"}},
    )
    with pytest.raises(GoldenError, match=r"nan\.json"):
        load_cases(tmp_path)
    cases = {c.name: c for c in load_cases(tmp_path, broken=True)}
    cases["later"].check(RULES)
    with pytest.raises(GoldenError, match="sensible size"):
        cases["bad/nan.json"].check(RULES)
    with pytest.raises(GoldenError, match=r"props\.json"):
        cases["bad/props"].check(RULES)
    write(tmp_path / "empty", "list.json", [])
    with pytest.raises(GoldenError, match="empty list"):
        load_cases(tmp_path / "empty")
