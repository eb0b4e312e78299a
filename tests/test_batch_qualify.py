"""The batch backend's qualifications against the engine's (the oracle): stages, the
transition records, scores and framework verdicts, on generated rule sets and streams."""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import leadqual as lq
from batch_data import LEAD_IDS, MOMENTS, START, streams
from leadqual.errors import UnknownLeadsWarning
from leadqual.testing import leads, rule_sets

pl = pytest.importorskip("polars")
batch = pytest.importorskip("leadqual.batch")


@st.composite
def lowerable_rule_sets(draw: st.DrawFn) -> lq.RuleSet:
    ruleset = attrs.evolve(draw(rule_sets()), extra_models={})
    assume(not batch.lowerable(ruleset))
    return ruleset


@st.composite
def decisions_for(draw: st.DrawFn, ruleset: lq.RuleSet, ids: list[str]) -> dict[str, list[Any]]:
    names = [s.name for s in ruleset.stages.stages]
    out: dict[str, list[Any]] = {}
    for lead_id in ids:
        made = draw(
            st.lists(
                st.builds(
                    lq.Decision,
                    st.sampled_from(names),
                    st.integers(0, 400 * 86400).map(lambda s: START + timedelta(seconds=s)),
                    st.just("sales said so"),
                ),
                max_size=3,
            )
        )
        if made:
            out[lead_id] = made
    return out


def engine_view(
    ruleset: lq.RuleSet,
    lead_list: list[lq.Lead],
    events: list[lq.Event],
    as_of: datetime,
    decisions: dict[str, list[Any]],
) -> dict[str, lq.Qualification]:
    qualifier = ruleset.qualifier()
    return {
        lead.id: qualifier.qualify(
            lead,
            [e for e in events if e.lead_id == lead.id],
            as_of=as_of,
            decisions=decisions.get(lead.id, ()),
        )
        for lead in lead_list
    }


def assert_same(got: Any, want: dict[str, lq.Qualification]) -> None:
    rows = {row["lead_id"]: row for row in got.leads.iter_rows(named=True)}
    assert list(rows) == list(want)
    by_lead: dict[str, list[Any]] = {lead_id: [] for lead_id in want}
    for lead_id, record in got.transitions:
        by_lead[lead_id].append(record)
    for lead_id, q in want.items():
        row = rows[lead_id]
        assert row["stage"] == q.stage, (lead_id, row, q.history)
        assert tuple(by_lead[lead_id]) == q.history, lead_id
        assert math.isclose(row["total"], q.score.total, rel_tol=1e-9, abs_tol=1e-9)
        assert row["grade"] == q.score.grade
        if q.framework is None:
            assert row["verdict"] is None
        else:
            assert row["verdict"] == q.framework.verdict.value
            assert tuple(row["missing"]) == q.framework.missing
        voided = [(d, why) for lid, d, why in got.void if lid == lead_id]
        assert voided == list(q.void)
    transitions = [(r.at, lead_id) for lead_id, r in got.transitions]
    assert transitions == sorted(transitions, key=lambda item: item[0])


@settings(
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ]
)
@given(lowerable_rule_sets(), st.data(), streams(), MOMENTS)
def test_qualifications_equal_the_engine(
    ruleset: lq.RuleSet, data: st.DataObject, events: list[lq.Event], as_of: datetime
) -> None:
    ids = data.draw(st.lists(st.sampled_from(LEAD_IDS), min_size=1, max_size=3, unique=True))
    lead_list = [data.draw(leads(ids=[lead_id])) for lead_id in ids]
    decisions = data.draw(decisions_for(ruleset, ids))
    want = engine_view(ruleset, lead_list, events, as_of, decisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        got = batch.qualify(ruleset, lead_list, events, as_of=as_of, decisions=decisions)
    # a score within 1e-9 of a threshold is read again exactly: counted, and shown by
    # pytest --hypothesis-show-statistics
    event(f"moments near a threshold: {min(got.near_threshold, 3)}")
    event(f"transitions: {min(len(got.transitions), 3)}")
    assert_same(got, want)


def test_the_default_rules_on_the_sample_data_equal_the_engine() -> None:
    ruleset = lq.default_ruleset()
    sample_leads, events = lq.samples.sample_leads(), lq.samples.sample_events()
    as_of = lq.samples.SAMPLE_AS_OF
    got = batch.qualify(ruleset, sample_leads, events, as_of=as_of)
    assert_same(got, engine_view(ruleset, sample_leads, events, as_of, {}))
    assert got.near_threshold == 0
    assert {row["stage"] for row in got.leads.iter_rows(named=True)} > {"IQL", "MQL"}
