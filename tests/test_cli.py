"""The ``leadqual`` command line, run as a real process and in-process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import leadqual
from leadqual.cli.main import main
from leadqual.samples import sample_leads

LEAD_ID = re.compile(r"^(L-\d{4})\s", re.MULTILINE)


def run(*args: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = command if command is not None else [sys.executable, "-m", "leadqual"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, encoding="utf-8", env=env, timeout=120
    )


def known_ids() -> set[str]:
    return {lead.id for lead in sample_leads()}


def test_demo_lists_sample_leads_best_first() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "200 sample leads" in lines[0]
    ids = LEAD_ID.findall(result.stdout)
    assert len(ids) == 15
    assert set(ids) <= known_ids()
    rows = [line.split() for line in lines if LEAD_ID.match(line)]
    stages = {"IQL", "MQL", "SQL", "OPPORTUNITY", "CUSTOMER", "NURTURE", "DISQUALIFIED"}
    assert {row[1] for row in rows} <= stages
    scores = [float(row[2]) for row in rows]
    assert scores == sorted(scores, reverse=True)


def test_demo_prints_a_consistent_funnel() -> None:
    out = run("demo").stdout
    section = out[out.index("funnel: 200 leads") : out.index("back-test of")]
    funnel = [line for line in section.splitlines()[2:] if line.strip()]
    table = {line.split()[0]: [int(x) for x in line.split()[1:3]] for line in funnel}
    assert list(table)[:5] == ["IQL", "MQL", "SQL", "OPPORTUNITY", "CUSTOMER"]
    assert sum(now for now, _ in table.values()) == 200
    assert table["IQL"][1] == 200  # every lead starts at IQL
    reached = [table[s][1] for s in ("IQL", "MQL", "SQL", "OPPORTUNITY", "CUSTOMER")]
    assert reached == sorted(reached, reverse=True)
    assert table["MQL"][1] > 0  # the sample really produces MQLs
    mql_line = next(line for line in funnel if line.split()[0] == "MQL")
    assert mql_line.split()[-1] == f"{table['MQL'][1] / 200:.1%}"


def test_demo_ends_with_a_back_test() -> None:
    out = run("demo").stdout
    tail = out[out.index("back-test of") :]
    assert tail.startswith("back-test of default@2026.11.0: 138 leads, 20 won")
    auc = float(tail.split("AUC ")[1].split()[0])
    assert auc > 0.65  # the sample's outcomes follow fit and engagement


def test_demo_top_limits_rows() -> None:
    result = run("demo", "--top", "3")
    assert result.returncode == 0, result.stderr
    assert len(LEAD_ID.findall(result.stdout)) == 3


def test_demo_lead_prints_the_explanation() -> None:
    top = LEAD_ID.findall(run("demo", "--top", "1").stdout)[0]
    result = run("demo", "--lead", top)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"lead {top}")
    assert "score " in result.stdout
    assert "points  rule" in result.stdout
    assert f"{top} is " in result.stdout  # the qualification: stage, path, BANT
    assert "BANT: " in result.stdout


def test_unknown_lead_is_one_clear_line_and_exit_1() -> None:
    result = run("demo", "--lead", "L-9999")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "L-9999" in lines[0]
    assert lines[0].startswith("leadqual: error:")


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--no-such-option"],
        ["demo", "--top", "0"],
        ["demo", "--top", "many"],
        ["demo", "--top", "3", "--lead", "L-0001"],
        ["no-such-command"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"leadqual {leadqual.__version__}"


def test_console_script() -> None:
    bindir = str(Path(sys.executable).parent)
    script = shutil.which("leadqual", path=os.pathsep.join([bindir, os.environ.get("PATH", "")]))
    assert script is not None, "installing leadqual must install the leadqual command"
    assert run("--version", command=[script]).stdout.strip() == f"leadqual {leadqual.__version__}"
    result = run("demo", "--top", "2", command=[script])
    assert result.returncode == 0, result.stderr
    assert len(LEAD_ID.findall(result.stdout)) == 2
    assert run("demo", "--lead", "nope", command=[script]).returncode == 1


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert set(LEAD_ID.findall(out)) <= known_ids()
    assert main(["demo", "--lead", "L-0000"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert main(["demo", "--bogus"]) == 2
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
