"""The typing example file runs (mypy --strict checks it in CI)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import leadqual as lq

HERE = Path(__file__).parent


def test_api_usage_runs() -> None:
    spec = importlib.util.spec_from_file_location("api_usage", HERE / "typing" / "api_usage.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.mine, lq.ScoringModel)
    assert module.score.fit == 25
    assert module.field == "at"
