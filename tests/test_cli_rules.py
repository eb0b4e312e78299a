"""``leadqual validate`` and ``leadqual diff``, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs

import leadqual as lq


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadqual", *args], capture_output=True, text=True, timeout=120
    )


def test_validate_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    lq.dump(lq.default_ruleset(), path)
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "valid: default@" in result.stdout
    assert "5 fit and 9 engagement rules" in result.stdout


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    lq.dump(lq.default_ruleset(), good)
    bad = tmp_path / "bad.toml"
    text = good.read_text(encoding="utf-8")
    bad.write_text(
        text.replace("points = 30", 'points = "thirty"').replace("max_times", "max_time"),
        encoding="utf-8",
    )
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"leadqual: error: {bad}: 2 problems"
    assert "scoring.engagement[0].points: expected a number, got 'thirty'" in result.stderr
    assert "did you mean 'max_times'?" in result.stderr


def test_validate_usage_and_missing_file(tmp_path: Path) -> None:
    assert run("validate").returncode == 2
    missing = run("validate", str(tmp_path / "none.toml"))
    assert missing.returncode == 1
    assert "cannot be read" in missing.stderr


def test_diff(tmp_path: Path) -> None:
    rules = lq.default_ruleset()
    old, new = tmp_path / "old.toml", tmp_path / "new.json"
    lq.dump(rules, old)
    lq.dump(attrs.evolve(rules, version="2", stages=lq.StageMachine.default(mql_score=80)), new)
    result = run("diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("3 changes from default@")
    assert "stages.transitions[IQL -> MQL].guard.score_at_least: 100 -> 80" in result.stdout
    same = run("diff", str(old), str(old))
    assert same.stdout.startswith("no changes")


def test_schema_command_prints_the_schema() -> None:
    import json

    from leadqual.rulesets import schema

    result = run("schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema()


def test_validate_odd_files(tmp_path: Path) -> None:
    binary = tmp_path / "bad.toml"
    binary.write_bytes(b"\xff\xfe")
    result = run("validate", str(binary))
    assert result.returncode == 1
    assert "not UTF-8 text" in result.stderr
    huge = tmp_path / "huge.toml"
    text = lq.rulesets.dumps(lq.default_ruleset()).replace("points = 30", "points = " + "9" * 400)
    huge.write_text(text, encoding="utf-8")
    result = run("validate", str(huge))
    assert result.returncode == 1
    assert "is too large" in result.stderr
    assert "Traceback" not in result.stderr
