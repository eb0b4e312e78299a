"""Each rule's points at many moments, computed from running sums, against the engine's
score read at each moment (the breakdown's contributions of that rule)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadqual as lq
from leadqual.batch._frames import event_frame
from leadqual.batch._instants import rule_at_instants
from leadqual.batch._score import counted_events, lower_where
from leadqual.testing import event_streams, points_models

START = datetime(2025, 7, 1, tzinfo=timezone.utc)
LEADS = ("L-1", "L-2")


@st.composite
def streams(draw: st.DrawFn) -> list[lq.Event]:
    span = draw(st.sampled_from([timedelta(days=365), timedelta(days=3), timedelta(hours=2)]))
    return draw(event_streams(LEADS, order="shuffled", max_size=40, start=START, span=span))


def capped_rules() -> lq.PointsModel:
    """Every combination of the caps, windows and decays on one event type."""
    decays = [
        None,
        lq.HalfLife(days=1),
        lq.Linear(points_per_day=4),
        lq.Expire(after=timedelta(hours=20)),
        lq.scoring.Schedule([(timedelta(hours=12), 0.5), (timedelta(days=2), 0.25)]),
    ]
    rules = []
    for i, decay in enumerate(decays):
        for per_day in (None, 1, 2):
            for times in (None, 1, 3):
                for within in (None, timedelta(days=1)):
                    rules.append(
                        lq.EngagementRule(
                            f"r{len(rules)}",
                            "page_view",
                            10 if i % 2 else -7.5,
                            decay=decay if decay is not None else lq.NoDecay(),
                            max_per_day=per_day,
                            max_times=times,
                            within=within,
                            max_points=25 if len(rules) % 4 == 0 else None,
                        )
                    )
    return lq.PointsModel(engagement=rules)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], max_examples=25)
@given(
    event_streams(
        LEADS,
        ("page_view",),
        order="shuffled",
        min_size=5,
        max_size=30,
        start=START,
        span=timedelta(days=4),
    ),
    st.lists(st.integers(0, 5 * 86400), max_size=8),
)
def test_caps_windows_and_decays_combined_at_each_moment(
    events: list[lq.Event], offsets: list[int]
) -> None:
    check_each_rule(capped_rules(), events, offsets)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(points_models(), streams(), st.lists(st.integers(-2 * 86400, 400 * 86400), max_size=12))
def test_each_rule_at_each_moment_equals_the_engine(
    model: lq.PointsModel, events: list[lq.Event], offsets: list[int]
) -> None:
    check_each_rule(model, events, offsets)


def check_each_rule(model: lq.PointsModel, events: list[lq.Event], offsets: list[int]) -> None:
    lead_of = {lead_id: lq.Lead(lead_id) for lead_id in LEADS}
    # the events' own moments, and others
    moments = sorted({e.timestamp for e in events} | {START.timestamp() + o for o in offsets})
    instants = pl.DataFrame(
        {"lead_id": [lid for lid in LEADS for _ in moments], "t": moments * len(LEADS)}
    ).sort("lead_id", "t")
    props = sorted(
        {
            n
            for r in model.engagement
            if r.where is not None
            for s, n in r.where.fields()
            if s == "prop"
        }
    )
    table = event_frame(events, props, model.event_types())
    frame = counted_events(table.frame, table.origin)
    by_rule: dict[tuple[str, float], dict[str, float]] = {}
    for lead_id, t in instants.iter_rows():
        mine = [e for e in events if e.lead_id == lead_id]
        score = model.score(lead_of[lead_id], mine, as_of=datetime.fromtimestamp(t, timezone.utc))
        totals: dict[str, float] = {}
        for c in score.breakdown:
            totals[c.rule] = totals.get(c.rule, 0.0) + c.points
        by_rule[lead_id, t] = totals
    for slot, (rule, plan) in enumerate(zip(model.engagement, model._plans, strict=True)):
        if any(s == "attr" for s, _ in (rule.where.fields() if rule.where is not None else ())):
            continue  # attribute columns are joined by the caller
        mask = pl.col("type") == rule.event_type
        if rule.where is not None:
            mask &= lower_where(rule.where, frame, table.native)
        got = rule_at_instants(plan, frame.filter(mask), instants)
        for (lead_id, t), value in zip(instants.iter_rows(), got, strict=True):
            want = by_rule[lead_id, t].get(rule.name, 0.0)
            assert math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-9), (
                slot,
                rule,
                lead_id,
                t,
                value,
                want,
            )


def test_a_history_longer_than_the_running_sums_hold_is_refused() -> None:
    rule = lq.EngagementRule("view", "page_view", 1, decay=lq.HalfLife(days=0.01))
    model = lq.PointsModel(engagement=[rule])
    events = [
        lq.Event("L-1", "page_view", at=START),
        lq.Event("L-1", "page_view", at=START + timedelta(days=30)),  # 3,000 half-lives later
    ]
    instants = pl.DataFrame({"lead_id": ["L-1"], "t": [events[1].timestamp]})
    table = event_frame(events, (), model.event_types())
    with pytest.raises(lq.errors.NotLowerable, match="1,000 half-lives"):
        rule_at_instants(model._plans[0], table.frame, instants)
