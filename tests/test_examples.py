"""The programs in examples/ run and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_there_are_examples() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "compare_models.py",
        "stream_scores.py",
    ]


def test_stream_scores() -> None:
    out = run("stream_scores.py")
    assert "leads reached 100 points at some moment" in out
    assert "score " in out  # the explanation of the best lead


@pytest.mark.parametrize("name", ["compare_models.py"])
def test_compare_models(name: str) -> None:
    out = run(name)
    lines = out.splitlines()
    assert lines[0].split() == ["lead", "rank", "before", "rank", "after"]
    assert len(lines) == 10
    assert lines[-1].endswith("stay in the top 20")
