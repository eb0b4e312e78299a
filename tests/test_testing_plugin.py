"""The pytest plugin (entry point pytest11), run through pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import leadqual as lq

USES_FIXTURES = """
import leadqual as lq

def test_ruleset(ruleset):
    assert ruleset.name == "default"

def test_qualify(qualify):
    from datetime import datetime, timezone
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events = [lq.Event("L-1", "content_download", at=at, id=f"e{i}") for i in range(3)]
    events.append(lq.Event("L-1", "webinar_attended", at=at))
    assert qualify({"title": "VP Sales"}, events).stage == "MQL"
    assert qualify(lq.Lead("L-1"), events[:1]).stage == "IQL"
    assert qualify({"title": "Analyst"}).stage == "IQL"

def test_scenario(scenario):
    scenario().after("content_download", times=3).after("webinar_attended").expect_stage("MQL")
"""


@pytest.fixture
def rules_file(pytester: pytest.Pytester) -> Path:
    path = pytester.path / "rules" / "leads.toml"
    path.parent.mkdir()
    lq.dump(lq.default_ruleset(), path)
    return path


def test_rules_from_the_command_line(pytester: pytest.Pytester, rules_file: Path) -> None:
    pytester.makepyfile(test_rules=USES_FIXTURES)
    result = pytester.runpytest("--leadqual-rules", "rules/leads.toml")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["leadqual rules: *leads.toml"])


def test_rules_from_the_ini_file(pytester: pytest.Pytester, rules_file: Path) -> None:
    pytester.makeini("[pytest]\nleadqual_rules = rules/leads.toml\n")
    pytester.makepyfile(test_rules=USES_FIXTURES)
    # run from elsewhere: the ini path is relative to the ini file, not to the cwd
    sub = pytester.mkdir("elsewhere")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = pytester.runpytest(str(pytester.path))
    result.assert_outcomes(passed=3)


def test_no_rules_configured_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_rules=USES_FIXTURES)
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*no rule file for the ruleset fixture*--leadqual-rules*"])


def test_a_bad_rule_file_fails_with_its_problems(pytester: pytest.Pytester) -> None:
    bad = pytester.path / "bad.toml"
    bad.write_text('name = "x"\nversion = "1"\n[scoring]\nfit = [{ name = "a" }]\n')
    pytester.makepyfile(test_rules=USES_FIXTURES)
    result = pytester.runpytest("--leadqual-rules", "bad.toml")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*leadqual: *bad.toml*"])


def test_failures_explain_the_lead(pytester: pytest.Pytester, rules_file: Path) -> None:
    pytester.makepyfile(
        test_rules="""
def test_wrong(scenario):
    scenario().lead(title="Analyst").after("content_download").expect_stage("MQL")
"""
    )
    result = pytester.runpytest("--leadqual-rules", str(rules_file))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*AssertionError: expected L-1 in MQL, but it is in IQL*", "*+30.0 content-download*"]
    )


def test_golden_cases_run_as_parametrized_tests(
    pytester: pytest.Pytester, rules_file: Path
) -> None:
    golden = pytester.path / "golden"
    golden.mkdir()
    cases = {
        "cold.json": {"name": "cold lead", "expect": {"stage": "IQL", "score": 0}},
        "hot.json": {
            "name": "hot lead",
            "events": [{"type": "content_download", "times": 3}, {"type": "webinar_attended"}],
            "expect": {"stage": "MQL"},
        },
        "wrong.json": {"name": "wrong guess", "expect": {"stage": "SQL"}},
    }
    for name, case in cases.items():
        (golden / name).write_text(json.dumps(case))
    pytester.makepyfile(
        test_golden="""
from pathlib import Path
from leadqual.testing import golden

@golden.parametrize(Path(__file__).parent / "golden")
def test_golden(case, ruleset):
    case.check(ruleset)
"""
    )
    result = pytester.runpytest("-v", "--leadqual-rules", str(rules_file))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_golden[[]cold-lead[]] PASSED*",
            "*test_golden[[]hot-lead[]] PASSED*",
            "*test_golden[[]wrong-guess[]] FAILED*",
        ]
    )


def test_a_project_fixture_of_the_same_name_wins(
    pytester: pytest.Pytester, rules_file: Path
) -> None:
    pytester.makeconftest(
        """
import pytest, leadqual as lq

@pytest.fixture
def ruleset():
    return "mine"
"""
    )
    pytester.makepyfile(test_mine="def test_it(ruleset):\n    assert ruleset == 'mine'\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_plugin_and_the_helpers_load_without_hypothesis() -> None:
    # the plugin is loaded by every pytest run where leadqual is installed: it must not
    # need the testing extra; the strategies then say what to install
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import leadqual.testing.plugin, leadqual.testing as t\n"
        "t.scenario(__import__('leadqual').default_ruleset()).expect_stage('IQL')\n"
        "try:\n"
        "    t.events\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'leadqual[testing]'" in out


def test_fixtures_work_in_given_tests_and_with_email(
    pytester: pytest.Pytester, rules_file: Path
) -> None:
    pytester.makepyfile(
        test_given="""
from hypothesis import given, settings, strategies as st

@settings(max_examples=5, deadline=None)
@given(st.sampled_from(["VP Sales", "Analyst"]))
def test_any_title(qualify, scenario, title):
    assert qualify({"title": title}).stage == "IQL"
    scenario().lead(title=title).expect_stage("IQL")

def test_email_in_the_mapping(qualify):
    result = qualify({"title": "Student", "email": "bo@uni.edu", "id": "S-1"})
    assert result.lead.id == "S-1"
    assert result.score.by_rule()["student-email"] == -20
"""
    )
    result = pytester.runpytest("--leadqual-rules", str(rules_file))
    result.assert_outcomes(passed=2)
