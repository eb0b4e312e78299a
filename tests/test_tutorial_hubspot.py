"""The shell-only HubSpot tutorial runs as written, on the files it ships."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "howto" / "hubspot-export-to-rules.md"


def commands() -> list[list[str]]:
    """Every ``leadqual`` line of the page's ``sh`` blocks, split as a shell would."""
    blocks = re.findall(r"```sh\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    lines = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert all(line.startswith("leadqual ") for line in lines), lines
    return [shlex.split(line) for line in lines]


def test_every_command_of_the_tutorial_runs_on_the_shipped_files(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "hubspot", tmp_path / "examples" / "hubspot")
    rules = tmp_path / "src" / "leadqual" / "data"
    rules.mkdir(parents=True)
    shutil.copy(ROOT / "src" / "leadqual" / "data" / "default_rules.toml", rules)
    found = commands()
    assert [c[1] for c in found] == ["calibrate", "validate", "backtest", "score", "funnel"]
    for command in found:
        done = subprocess.run(
            [sys.executable, "-m", "leadqual", *command[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr[-2000:])
    for name in ("hubspot-rules.toml", "compare.html", "scores.csv", "funnel.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    scores = (tmp_path / "scores.csv").read_text(encoding="utf-8").splitlines()
    assert len(scores) == 1 + 200  # a row per contact, keyed by HubSpot's Record ID
    assert scores[1].startswith("1001,")


def test_the_shipped_files_are_what_the_script_writes(tmp_path: Path) -> None:
    shipped = ROOT / "examples" / "hubspot"
    script = ROOT / "scripts" / "make_hubspot_example.py"
    copy = tmp_path / "scripts" / "make_hubspot_example.py"
    copy.parent.mkdir()
    shutil.copy(script, copy)
    subprocess.run([sys.executable, str(copy)], check=True, timeout=120)
    for name in ("contacts.csv", "activities.csv", "deals.csv"):
        written = (tmp_path / "examples" / "hubspot" / name).read_bytes()
        assert written == (shipped / name).read_bytes(), name
