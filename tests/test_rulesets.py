"""Rule sets: plain data, TOML and JSON files, validation that reports every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given

import leadqual as lq
from leadqual.errors import CodecError, Problem, RuleSetError
from leadqual.rulesets import dumps, loads, ruleset_from_dict, ruleset_to_dict
from leadqual.rulesets import toml as toml_io
from leadqual.testing import rule_sets


@given(rule_sets())
def test_plain_data_round_trip(rules: lq.RuleSet) -> None:
    data = ruleset_to_dict(rules)
    assert ruleset_from_dict(data) == rules
    assert json.loads(json.dumps(data)) == data  # plain JSON data, nothing else


@given(rule_sets())
def test_toml_and_json_round_trip(rules: lq.RuleSet) -> None:
    for fmt in ("toml", "json"):
        text = dumps(rules, fmt)
        back = loads(text, fmt)
        assert back == rules
        assert back.extra_models == rules.extra_models
        assert dumps(back, fmt) == text  # stable text: diffs show real changes only


def test_files_round_trip(tmp_path: Path) -> None:
    rules = lq.default_ruleset()
    for name in ("rules.toml", "rules.json"):
        lq.dump(rules, tmp_path / name)
        assert lq.load(tmp_path / name) == rules
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.json", "rules.toml"]


def test_default_ruleset_is_the_bundled_toml() -> None:
    rules = lq.default_ruleset()
    assert (rules.name, rules.stages.entry_guard("MQL")) == ("default", lq.ScoreAtLeast(100))
    assert rules.framework is not None
    assert rules.framework.name == "BANT"
    assert rules.model == lq.default_model()  # the Python default, rule for rule


def test_dumping_the_default_rules_writes_the_bundled_files_byte_for_byte(tmp_path: Path) -> None:
    from importlib.resources import files

    bundled = files("leadqual") / "data"
    rules = lq.default_ruleset()
    lq.dump(rules, tmp_path / "rules.json")
    assert (tmp_path / "rules.json").read_bytes() == (bundled / "default_rules.json").read_bytes()
    lq.dump(rules, tmp_path / "rules.toml")
    shipped = (bundled / "default_rules.toml").read_text(encoding="utf-8")
    body = "".join(line for line in shipped.splitlines(keepends=True) if not line.startswith("#"))
    assert (tmp_path / "rules.toml").read_text(encoding="utf-8") == body.lstrip("\n")


def test_every_problem_is_reported_with_its_path() -> None:
    data = ruleset_to_dict(lq.default_ruleset())
    data["scoring"]["engagement"][3]["points"] = "ten"
    data["scoring"]["engagement"][0]["max_time"] = 3
    data["scoring"]["fit"][1]["condition"] = {"attr": "employees", "op": "between", "value": [9]}
    data["stages"]["transitions"][0]["guard"] = {"score_at_least": "high"}
    data["framework"]["checks"][0]["kind"] = "budgett"
    data["versoin"] = "2"
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data, source="rules.toml")
    problems = {p.path: p for p in info.value.problems}
    assert problems["scoring.engagement[3].points"].problem == "expected a number"
    assert problems["scoring.engagement[3].points"].value == "ten"
    assert "did you mean 'max_times'?" in problems["scoring.engagement[0].max_time"].problem
    assert "scoring.fit[1].condition.value" in problems
    assert "stages.transitions[0].guard.score_at_least" in problems
    assert "did you mean 'budget'?" in problems["framework.checks[0].kind"].problem
    assert "did you mean 'version'?" in problems["versoin"].problem
    text = str(info.value)
    assert text.startswith("rules.toml: 6 problems")
    assert "scoring.engagement[3].points: expected a number, got 'ten'" in text


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda d: d.pop("name"), "name", "is required"),
        (
            lambda d: d["scoring"]["engagement"][0].update(max_times=0),
            "scoring.engagement[0].max_times",
            "expected a whole number >= 1",
        ),
        (
            lambda d: d["scoring"]["engagement"][0].update(decay={"half_life_days": 0}),
            "scoring.engagement[0].decay",
            "expected a number above zero",
        ),
        (
            lambda d: d["scoring"].update(grades=[{"grade": "A", "at_least": "x"}]),
            "scoring.grades[0].at_least",
            "expected a number",
        ),
        (
            lambda d: d["stages"]["transitions"].append({"source": "IQL", "target": "NOWHERE"}),
            "stages.transitions[14].target",
            "no stage has this name",
        ),
        (
            lambda d: d["framework"].update(policy={"at_least": 9}),
            "framework.policy.at_least",
            "the framework has only 4 checks",
        ),
        (
            lambda d: d["scoring"].update(group_caps={"nobody": 5}),
            "scoring.group_caps.nobody",
            "no rule belongs to this group",
        ),
    ],
)
def test_semantic_problems(change: object, path: str, problem: str) -> None:
    data = ruleset_to_dict(lq.default_ruleset())
    change(data)  # type: ignore[operator]
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data)
    found = {p.path: p.problem for p in info.value.problems}
    assert path in found, found
    assert problem in found[path]


def test_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="not valid TOML"):
        lq.load(broken)
    with pytest.raises(RuleSetError, match="cannot be read"):
        lq.load(tmp_path / "missing.toml")
    with pytest.raises(RuleSetError, match=r"\.toml or \.json"):
        lq.load(tmp_path / "rules.yaml")


def test_loading_never_runs_code(tmp_path: Path) -> None:
    path = tmp_path / "evil.toml"
    path.write_text(
        "name = \"__import__('os').system('touch pwned')\"\nversion = \"1\"\n"
        '[scoring]\n[stages]\nstages = [{name = "A", order = 0}]\ntransitions = []\n',
        encoding="utf-8",
    )
    rules = lq.load(path)
    assert rules.name.startswith("__import__")
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_objects_without_a_plain_form_are_refused() -> None:
    class Halve:
        def apply(self, points: float, age: float) -> float:
            return points / 2

    model = lq.PointsModel(engagement=[lq.EngagementRule("x", "x", 1, decay=Halve())])
    rules = lq.RuleSet("r", "1", model=model, stages=lq.StageMachine.default(sql_requires=None))
    with pytest.raises(CodecError) as info:
        ruleset_to_dict(rules)
    assert info.value.field == "scoring.engagement[0].decay"


def test_toml_writer_quotes_what_needs_quoting() -> None:
    data = {"name": 'a "quoted" \\ name\nnext', "keys": {"with space": 1, "é": 2.5}}
    assert toml_io.loads(toml_io.dumps(data)) == data


def test_problem_equality() -> None:
    assert Problem("a", "b", 1) == Problem("a", "b", 1)
    assert Problem("a", "b") != Problem("a", "c")


def test_diff_lists_changes_by_name() -> None:
    import attrs

    from leadqual.rulesets import diff_rulesets

    old = lq.default_ruleset()
    engagement = [r for r in old.model.engagement if r.name != "linkedin-message"]
    engagement.insert(0, lq.EngagementRule("trial", "trial_started", 40))
    engagement = [attrs.evolve(r, points=50) if r.name == "demo-request" else r for r in engagement]
    engagement.sort(key=lambda r: r.name != "demo-request")  # demo-request moves first
    new = attrs.evolve(
        old,
        version="2",
        model=attrs.evolve(old.model, engagement=engagement),
        stages=lq.StageMachine.default(mql_score=80),
    )
    changes = {c.path: c for c in diff_rulesets(old, new)}
    assert changes["version"].kind == "changed"
    assert changes["scoring.engagement[trial]"].kind == "added"
    assert changes["scoring.engagement[linkedin-message]"].kind == "removed"
    assert (
        changes["scoring.engagement[demo-request].points"].old,
        changes["scoring.engagement[demo-request].points"].new,
    ) == (40, 50)
    assert "stages.transitions[IQL -> MQL].guard.score_at_least" in changes
    assert "scoring.engagement (order)" in changes
    assert diff_rulesets(old, old) == []


def test_codec_edge_cases_are_problems_not_crashes() -> None:
    data = ruleset_to_dict(lq.default_ruleset())
    del data["scoring"]["engagement"][0]["points"]
    data["stages"]["transitions"][0]["guard"] = {"event_seen": 5}
    data["scoring"]["engagement"][1]["decay"] = {"expire_after_days": 1e300}
    data["framework"]["checks"][0]["min_amount"] = None
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data)
    paths = [p.path for p in info.value.problems]
    assert paths.count("scoring.engagement[0].points") == 1  # reported once
    assert "stages.transitions[0].guard.event_seen" in paths
    assert "scoring.engagement[1].decay" in paths
    assert "framework.checks[0].min_amount" in paths


def test_a_schema_key_is_allowed() -> None:
    data = ruleset_to_dict(lq.default_ruleset())
    data["$schema"] = "./rules.schema.json"
    assert ruleset_from_dict(data) == lq.default_ruleset()


def test_toml_escapes_delete_and_checks_kinds() -> None:
    assert toml_io.loads(toml_io.dumps({"name": "a\x7fb"})) == {"name": "a\x7fb"}
    data = ruleset_to_dict(lq.default_ruleset())
    data["framework"]["checks"][0]["kind"] = ["budget"]
    with pytest.raises(RuleSetError) as info:
        ruleset_from_dict(data)
    assert info.value.problems[0].path == "framework.checks[0].kind"
