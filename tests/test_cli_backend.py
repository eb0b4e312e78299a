"""``--backend``: the commands give the same output on the batch backend as on the engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import leadqual as lq
from leadqual.io import write_events, write_leads
from leadqual.stages import StageMachine


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadqual", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("data")
    rules, leads, events = folder / "rules.toml", folder / "leads.csv", folder / "events.jsonl"
    lq.dump(lq.default_ruleset(), rules)
    write_leads(lq.samples.sample_leads(), leads)
    write_events(list(reversed(lq.samples.sample_events())), events)
    return ["--rules", str(rules), "--leads", str(leads), "--events", str(events)]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_score_writes_the_same_files_on_both_backends(
    files: list[str], tmp_path: Path, suffix: str
) -> None:
    written = {}
    for backend in ("python", "polars"):
        out, moves = tmp_path / f"{backend}{suffix}", tmp_path / f"{backend}-moves.jsonl"
        done = run(
            "score", *files, "--backend", backend, "--out", str(out), "--transitions", str(moves)
        )
        assert done.returncode == 0, done.stderr
        written[backend] = (out.read_bytes(), moves.read_bytes())
    assert written["python"] == written["polars"]
    assert written["python"][0].count(b"MQL") > 0


def test_funnel_prints_the_same_report_on_both_backends(files: list[str]) -> None:
    reports = [
        run("funnel", *files, "--backend", backend, "--sla", "MQL=3d").stdout
        for backend in ("python", "polars")
    ]
    assert reports[0] == reports[1]
    assert "MQL" in reports[0]


def test_auto_says_why_it_runs_on_the_engine(files: list[str], tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    ruleset = attrs.evolve(lq.default_ruleset(), extra_models={"fit": lq.PointsModel()})
    lq.dump(ruleset, rules)
    given = [*files]
    given[1] = str(rules)
    auto = run("score", *given)
    assert auto.returncode == 0, auto.stderr
    assert "running on the Python engine: extra_models['fit']" in auto.stderr
    forced = run("score", *given, "--backend", "polars")
    assert forced.returncode != 0
    assert "extra models run on the Python engine only" in forced.stderr


def test_backtest_prints_the_same_report_on_both_backends(files: list[str], tmp_path: Path) -> None:
    from leadqual.io import write_outcomes

    outcomes = tmp_path / "outcomes.jsonl"
    write_outcomes(lq.samples.sample_outcomes(), outcomes)
    stricter = tmp_path / "stricter.toml"
    lq.dump(attrs.evolve(lq.default_ruleset(), stages=StageMachine.default(mql_score=60)), stricter)
    for extra in ([], ["--compare", str(stricter)]):
        reports = [
            run("backtest", *files, "--outcomes", str(outcomes), *extra, "--backend", backend)
            for backend in ("python", "polars")
        ]
        assert reports[0].returncode == 0, reports[0].stderr
        assert reports[0].stdout == reports[1].stdout
        assert "AUC" in reports[0].stdout
