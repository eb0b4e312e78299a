"""``leadqual score``, ``explain`` and ``funnel`` over lead and event files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

import leadqual as lq
from leadqual.io import write_events, write_leads


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadqual", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("data")
    paths = {
        "rules": str(folder / "rules.toml"),
        "leads": str(folder / "leads.csv"),
        "events": str(folder / "events.jsonl"),
    }
    lq.dump(lq.default_ruleset(), paths["rules"])
    write_leads(lq.samples.sample_leads(), paths["leads"])
    events = lq.samples.sample_events()
    write_events(list(reversed(events)), paths["events"])  # any order is fine
    return paths


def inputs(files: dict[str, str]) -> list[str]:
    return ["--rules", files["rules"], "--leads", files["leads"], "--events", files["events"]]


AS_OF = "2026-11-24T00:00:00Z"


def expected() -> dict[str, lq.Qualification]:
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.samples.sample_leads():
        engine.add_lead(lead)
    engine.apply(lq.samples.sample_events())
    return {lid: engine.get(lid, as_of=lq.samples.SAMPLE_AS_OF) for lid in engine.lead_ids()}


def test_score_to_jsonl_matches_the_library(files: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = run("score", *inputs(files), "--as-of", AS_OF, "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    want = expected()
    assert [r["lead_id"] for r in rows] == sorted(want)
    for row in rows:
        q = want[row["lead_id"]]
        assert row["stage"] == q.stage
        assert row["score"] == round(q.score.total, 2)
    assert "200 leads qualified" in result.stderr


def test_score_to_csv_and_to_the_terminal(files: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    assert run("score", *inputs(files), "--as-of", AS_OF, "--out", str(out)).returncode == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 200
    assert {"lead_id", "stage", "score", "framework", "ask_next"} <= set(rows[0])
    printed = run("score", *inputs(files), "--as-of", AS_OF)
    assert printed.returncode == 0
    assert len(printed.stdout.splitlines()) == 201


def test_explain(files: dict[str, str]) -> None:
    lead_id = max(expected().items(), key=lambda item: item[1].score.total)[0]
    result = run("explain", *inputs(files), "--as-of", AS_OF, lead_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{lead_id} is ")
    assert "points  rule" in result.stdout
    missing = run("explain", *inputs(files), "NOBODY")
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert "no lead with this id" in missing.stderr


def test_funnel(files: dict[str, str]) -> None:
    result = run("funnel", *inputs(files), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    now = {q.stage for q in expected().values()}
    for stage in now:
        assert f"\n  {stage}" in result.stdout


def test_unknown_leads_are_reported(files: dict[str, str], tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    write_events(
        [
            *lq.samples.sample_events()[:5],
            lq.Event("STRANGER", "page_view", at=lq.samples.SAMPLE_AS_OF),
        ],
        events,
    )
    result = run(
        "funnel", "--rules", files["rules"], "--leads", files["leads"], "--events", str(events)
    )
    assert result.returncode == 0
    assert "1 events name 1 leads that are not in" in result.stderr
    assert "STRANGER" in result.stderr


def test_bad_input_is_one_line_and_exit_1(files: dict[str, str], tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"lead_id": "L-0001", "type": "page_view", "at": "2026-11-01T00:00:00Z"}\n'
        '{"lead_id": "L-0001", "type": "page_view", "at": "yesterday"}\n',
        encoding="utf-8",
    )
    result = run(
        "score", "--rules", files["rules"], "--leads", files["leads"], "--events", str(events)
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "events.jsonl:2" in result.stderr
    bad_time = run("score", *inputs(files), "--as-of", "tomorrow")
    assert bad_time.returncode == 1
    assert "--as-of" in bad_time.stderr
    assert run("score", "--rules", files["rules"]).returncode == 2


def test_file_problems_are_one_line_errors(files: dict[str, str], tmp_path: Path) -> None:
    missing = run(
        "score",
        "--rules",
        files["rules"],
        "--leads",
        str(tmp_path / "nope.jsonl"),
        "--events",
        files["events"],
    )
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert "nope.jsonl" in missing.stderr
    nowhere = run("score", *inputs(files), "--out", str(tmp_path / "no" / "dir" / "x.csv"))
    assert nowhere.returncode == 1
    assert "Traceback" not in nowhere.stderr
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 100_000 + "\n", encoding="utf-8")
    nested = run(
        "score", "--rules", files["rules"], "--leads", files["leads"], "--events", str(deep)
    )
    assert nested.returncode == 1
    assert "deep.jsonl:1" in nested.stderr
    assert "Traceback" not in nested.stderr


def test_funnel_options(files: dict[str, str]) -> None:
    result = run(
        "funnel",
        *inputs(files),
        "--as-of",
        AS_OF,
        "--cohort",
        "month",
        "--by",
        "lead_source",
        "--mode",
        "any",
        "--sla",
        "MQL=3d",
        "--period",
        "2026-09-01T00:00:00Z",
        "2026-10-01T00:00:00Z",
    )
    assert result.returncode == 0, result.stderr
    assert "funnel (any) as of 2026-11-24T00:00:00+00:00" in result.stdout
    assert "cohort 2026-09, lead_source " in result.stdout
    assert "SLA: stage, limit, in stage, due, past due" in result.stdout
    assert "flow: stage, at start, in, out, at end" in result.stdout
    for bad in ("MQL", "MQL=3", "MQL=xh", "=3d", "MQL=-1d", "MQL=nanh", "MQL=infd"):
        wrong = run("funnel", *inputs(files), "--sla", bad)
        assert wrong.returncode == 1, bad
        assert "--sla" in wrong.stderr
    unknown = run("funnel", *inputs(files), "--sla", "LEADS=3d")
    assert unknown.returncode == 1
    assert "no stage has this name" in unknown.stderr


def test_score_writes_transitions_for_the_funnel(files: dict[str, str], tmp_path: Path) -> None:
    from leadqual.analytics import funnel, read_journeys

    path = tmp_path / "transitions.jsonl"
    result = run("score", *inputs(files), "--as-of", AS_OF, "--transitions", str(path))
    assert result.returncode == 0, result.stderr
    journeys = read_journeys(path)
    assert len(journeys) == 200
    from_file = funnel(path, stages=lq.default_ruleset(), as_of=lq.samples.SAMPLE_AS_OF)
    now = {row["stage"]: row["now"] for row in from_file.rows()}
    expected_now: dict[str, int] = {}
    for q in expected().values():
        expected_now[q.stage] = expected_now.get(q.stage, 0) + 1
    assert {k: v for k, v in now.items() if v} == expected_now
