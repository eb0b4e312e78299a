"""``leadqual backtest`` over lead, event and outcome files (run as a user would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import leadqual as lq
from leadqual.analytics import backtest
from leadqual.io import write_events, write_leads, write_outcomes


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadqual", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("history")
    paths = {
        "rules": str(folder / "rules.toml"),
        "looser": str(folder / "looser.toml"),
        "leads": str(folder / "leads.jsonl"),
        "events": str(folder / "events.csv"),
        "outcomes": str(folder / "outcomes.csv"),
    }
    rules = lq.default_ruleset()
    lq.dump(rules, paths["rules"])
    looser = attrs.evolve(rules, version="2026.12.0", stages=lq.StageMachine.default(60))
    lq.dump(looser, paths["looser"])
    write_leads(lq.samples.sample_leads(), paths["leads"])
    write_events(lq.samples.sample_events(), paths["events"])
    write_outcomes(lq.samples.sample_outcomes(), paths["outcomes"])
    return paths


def args(files: dict[str, str], *more: str) -> list[str]:
    return [
        "backtest",
        "--rules",
        files["rules"],
        "--leads",
        files["leads"],
        "--events",
        files["events"],
        "--outcomes",
        files["outcomes"],
        *more,
    ]


def test_prints_the_report(files: dict[str, str]) -> None:
    done = run(*args(files, "--top-k", "20"))
    assert done.returncode == 0, done.stderr
    expected = backtest(
        lq.default_ruleset(),
        lq.samples.sample_leads(),
        lq.samples.sample_events(),
        lq.samples.sample_outcomes(),
        top_k=20,
    )
    assert done.stdout.strip() == str(expected)
    assert "top 20: 20 selected" in done.stdout


def test_compares_two_rule_files(files: dict[str, str]) -> None:
    done = run(*args(files, "--compare", files["looser"]))
    assert done.returncode == 0, done.stderr
    assert "default@2026.11.0 -> default@2026.12.0: AUC" in done.stdout
    assert "leads change stage; promoted" in done.stdout


def test_as_of_decides_everyone_at_one_moment(files: dict[str, str]) -> None:
    done = run(*args(files, "--as-of", "2026-11-24T00:00:00Z"))
    assert done.returncode == 0, done.stderr
    assert "back-test of default@2026.11.0: 138 leads" in done.stdout


def test_errors_are_one_line(files: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "outcomes.jsonl"
    bad.write_text('{"lead_id": "L-0001", "result": "maybe"}\n', encoding="utf-8")
    done = run(*args({**files, "outcomes": str(bad)}))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "outcomes.jsonl:1: result" in done.stderr
    undated = tmp_path / "undated.jsonl"
    undated.write_text('{"lead_id": "L-0001", "result": "won"}\n', encoding="utf-8")
    done = run(*args({**files, "outcomes": str(undated)}))
    assert done.returncode == 1
    assert "pass as_of" in done.stderr
    assert run("backtest", "--rules", files["rules"]).returncode == 2


def test_calibrate_writes_a_rule_file_the_backtest_reads(
    files: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "calibrated.toml"
    done = run(
        "calibrate",
        "--leads",
        files["leads"],
        "--events",
        files["events"],
        "--outcomes",
        files["outcomes"],
        "--out",
        str(out),
        "--mql-capacity",
        "20",
    )
    assert done.returncode == 0, done.stderr
    assert "calibrated on 138 leads, 20 won" in done.stdout
    rules = lq.load(out)
    assert rules.name == "calibrated"
    assert rules.model.rule("demo-request").points > 0  # type: ignore[attr-defined]
    from leadqual.testing import check_ruleset

    assert check_ruleset(rules).findings_at("error") == ()  # every stage can be reached
    again = run(*args({**files, "rules": str(out)}))
    assert again.returncode == 0, again.stderr
    assert "back-test of calibrated@1: 138 leads" in again.stdout
    # without events, from the profiles alone
    profiles = run(
        "calibrate",
        "--leads",
        files["leads"],
        "--outcomes",
        files["outcomes"],
        "--out",
        str(tmp_path / "fit-only.toml"),
        "--as-of",
        "2026-11-24T00:00:00Z",
    )
    assert profiles.returncode == 0, profiles.stderr
    assert lq.load(tmp_path / "fit-only.toml").model.engagement == ()  # type: ignore[attr-defined]
    impossible = run(
        "calibrate",
        "--leads",
        files["leads"],
        "--outcomes",
        files["outcomes"],
        "--out",
        str(tmp_path / "x.toml"),
        "--as-of",
        "2026-11-24T00:00:00Z",
        "--mql-precision",
        "1.0",
    )
    # on the profiles alone no score band is all winners: a clear error, no file
    assert impossible.returncode == 1
    assert "--mql-precision" in impossible.stderr
    assert not (tmp_path / "x.toml").exists()


def test_html_reports(files: dict[str, str], tmp_path: Path) -> None:
    page = tmp_path / "backtest.html"
    done = run(*args(files, "--html", str(page)))
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert '<section id="charts">' in text
    assert text.count("<svg") == 3
    funnel_page = tmp_path / "funnel.html"
    done = run(
        "funnel",
        "--rules",
        files["rules"],
        "--leads",
        files["leads"],
        "--events",
        files["events"],
        "--cohort",
        "month",
        "--html",
        str(funnel_page),
    )
    assert done.returncode == 0, done.stderr
    assert '<section id="cohorts">' in funnel_page.read_text(encoding="utf-8")


def test_calibrate_is_honest_by_default(files: dict[str, str], tmp_path: Path) -> None:
    won = {o.lead_id: o.won for o in lq.samples.sample_outcomes()}
    leaky = tmp_path / "leads.jsonl"
    write_leads(
        [
            lead.with_attributes(**{"Deal Stage": "closed won" if won.get(lead.id) else "open"})
            for lead in lq.samples.sample_leads()
        ],
        leaky,
    )
    base = [
        "calibrate",
        "--leads",
        str(leaky),
        "--events",
        files["events"],
        "--outcomes",
        files["outcomes"],
        "--out",
        str(tmp_path / "c.toml"),
    ]
    refused = run(*base)
    assert refused.returncode == 1
    assert "'Deal Stage' alone separates won from lost leads (AUC 1.000)" in refused.stderr
    assert not (tmp_path / "c.toml").exists()
    done = run(*base, "--exclude", "Deal Stage")
    assert done.returncode == 0, done.stderr
    assert "cross-validated AUC" in done.stdout
    assert "Deal Stage" not in done.stdout
    # MQL at the score a fifth of the history reaches, never above everyone
    assert "leads of the history reach it" in done.stdout
    reach = done.stdout.split("MQL at ")[1].split("(")[1].split(" of ")[0]
    assert 0.2 * 138 <= int(reach) < 0.5 * 138
    allowed = run(*base, "--allow-leaks", "--folds", "0", "--attributes", "Deal Stage,industry")
    assert allowed.returncode == 0, allowed.stderr
    assert "cross-validated" not in allowed.stdout
    assert "Deal Stage = closed won" in allowed.stdout
    # a base rule file: its stages and framework, the calibrated points
    mine = attrs.evolve(
        lq.default_ruleset(), stages=lq.StageMachine.default(60, sql_requires=None), framework=None
    )
    lq.dump(mine, tmp_path / "mine.toml")
    kept = run(*base, "--exclude", "Deal Stage", "--rules", str(tmp_path / "mine.toml"))
    assert kept.returncode == 0, kept.stderr
    written = lq.load(tmp_path / "c.toml")
    assert written.framework is None
    assert [t.source for t in written.stages.transitions] == [
        t.source for t in mine.stages.transitions
    ]
    assert written.model != mine.model


def test_calibrate_methods_budget_and_plot(files: dict[str, str], tmp_path: Path) -> None:
    base = [
        "calibrate",
        "--leads",
        files["leads"],
        "--events",
        files["events"],
        "--outcomes",
        files["outcomes"],
        "--out",
        str(tmp_path / "c.toml"),
    ]
    small = run(*base, "--max-rules", "8", "--plot", str(tmp_path / "budget.svg"))
    assert small.returncode == 0, small.stderr
    assert len(lq.load(tmp_path / "c.toml").model.rules()) <= 8 + 1  # and the base rule
    assert "budget  rules  held-out AUC" in small.stdout
    assert (tmp_path / "budget.svg").read_text().lstrip().startswith("<?xml")
    logistic = run(*base, "--method", "logistic", "--interactions", "0")
    assert logistic.returncode == 0, logistic.stderr
    assert "budget  rules" not in logistic.stdout
    steady = run(*base, "--increasing", "employees,email_click", "--folds", "0")
    assert steady.returncode == 0, steady.stderr
    both = run(*base, "--increasing", "employees", "--decreasing", "employees")
    assert both.returncode == 1
    assert "--increasing" in both.stderr
    refused = run(*base, "--method", "logistic", "--plot", str(tmp_path / "x.png"))
    assert refused.returncode == 1
    assert "--plot" in refused.stderr
