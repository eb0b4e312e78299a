"""Leads, moments and event streams the batch backend's tests share."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import assume
from hypothesis import strategies as st

import leadqual as lq
from leadqual._lowering import lowerable
from leadqual.testing import event_streams, rule_sets

LEAD_IDS = ("L-1", "L-2", "L-3")
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
#: moments before, at and long after the streams' events
MOMENTS = st.sampled_from(
    [START + timedelta(days=d, hours=h) for d in (0, 1, 30, 200, 400) for h in (0, 13)]
)


@st.composite
def streams(draw: st.DrawFn) -> list[lq.Event]:
    """Events of all LEAD_IDS in any order, redeliveries included; over a year, two days
    (same-day caps) or one hour (ties in time)."""
    span = draw(st.sampled_from([timedelta(days=365), timedelta(days=2), timedelta(hours=1)]))
    return draw(
        event_streams(
            LEAD_IDS, order="shuffled", max_size=40, start=START, span=span, redeliveries=True
        )
    )


@st.composite
def lowerable_rule_sets(draw: st.DrawFn) -> lq.RuleSet:
    ruleset = attrs.evolve(draw(rule_sets()), extra_models={})
    assume(not lowerable(ruleset))
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


def assert_score_and_verdict(row: Any, q: lq.Qualification) -> None:
    """A backend's row for a lead (``total``, ``grade``, ``verdict``, ``missing``) says
    what the engine's qualification ``q`` says."""
    assert math.isclose(row["total"], q.score.total, rel_tol=1e-9, abs_tol=1e-9)
    assert row["grade"] == q.score.grade
    if q.framework is None:
        assert row["verdict"] is None
    else:
        assert row["verdict"] == q.framework.verdict.value
        assert tuple(row["missing"]) == q.framework.missing
