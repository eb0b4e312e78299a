"""Where users wait: back-tests and what-ifs on the batch backend, equal to the engine's."""

from __future__ import annotations

import attrs
import pytest

import leadqual as lq
from leadqual._backend import resolve
from leadqual.analytics import backtest
from leadqual.errors import NotLowerable
from leadqual.stages import StageMachine


def test_a_backtest_reports_the_same_on_both_backends() -> None:
    ruleset = lq.default_ruleset()
    leads = lq.samples.sample_leads()
    events = lq.samples.sample_events()
    outcomes = lq.samples.sample_outcomes()
    python = backtest(ruleset, leads, events, outcomes, backend="python")
    polars = backtest(ruleset, leads, events, outcomes, backend="polars")
    assert [r.lead_id for r in polars.leads] == [r.lead_id for r in python.leads]
    for a, b in zip(python.leads, polars.leads, strict=True):
        assert attrs.evolve(b, score=a.score) == a
        assert abs(a.score - b.score) < 1e-9
    assert polars.auc == pytest.approx(python.auc, abs=1e-12)
    assert len(python.leads) > 20


def test_a_rescore_reports_the_same_changes_on_both_backends() -> None:
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.samples.sample_leads():
        engine.add_lead(lead)
    engine.apply(lq.samples.sample_events())
    stricter = attrs.evolve(lq.default_ruleset(), stages=StageMachine.default(mql_score=60))
    as_of = lq.samples.SAMPLE_AS_OF
    python = engine.rescore(stricter, as_of, backend="python")
    polars = engine.rescore(stricter, as_of, backend="polars")
    assert polars == python
    assert python.changes


def test_a_backend_that_cannot_run_the_rules_is_refused_or_passed_over() -> None:
    ruleset = attrs.evolve(lq.default_ruleset(), extra_models={"fit": lq.PointsModel()})
    with pytest.raises(NotLowerable, match="extra models"):
        resolve("polars", ruleset)
    told: list[str] = []
    assert resolve("auto", ruleset, told.append) == "python"
    assert told == [
        "running on the Python engine: extra_models['fit']: extra models run on the "
        "Python engine only"
    ]
    assert resolve("auto", lq.default_ruleset()) == "polars"
    assert resolve("python", lq.default_ruleset()) == "python"
    with pytest.raises(lq.ValidationError, match="backend"):
        resolve("spark", ruleset)
