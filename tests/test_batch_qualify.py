"""The batch backend's qualifications against the engine's (the oracle): stages, the
transition records, scores and framework verdicts, on generated rule sets and streams."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import leadqual as lq
from batch_data import (
    LEAD_IDS,
    MOMENTS,
    assert_score_and_verdict,
    decisions_for,
    engine_view,
    lowerable_rule_sets,
    streams,
)
from leadqual import batch
from leadqual.errors import UnknownLeadsWarning
from leadqual.testing import leads


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
        assert_score_and_verdict(row, q)
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
    if events and data.draw(st.booleans()):  # as_of on an event's moment, in its zone
        as_of = data.draw(st.sampled_from(events)).at
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


T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def check(
    ruleset: lq.RuleSet,
    lead_list: list[lq.Lead],
    events: list[lq.Event],
    as_of: Any,
    decisions: dict[str, list[Any]] | None = None,
) -> Any:
    made = decisions or {}
    if isinstance(as_of, dict):
        want = {
            lead.id: engine_view(ruleset, [lead], events, as_of[lead.id], made)[lead.id]
            for lead in lead_list
        }
    else:
        want = engine_view(ruleset, lead_list, events, as_of, made)
    got = batch.qualify(ruleset, lead_list, events, as_of=as_of, decisions=made)
    assert_same(got, want)
    return got


def two_stages(
    guard: Any, *, model: lq.PointsModel | None = None, framework: Any = None
) -> lq.RuleSet:
    """Stages A and B, A -> B when ``guard`` holds; one point a visit unless ``model``."""
    return lq.RuleSet(
        "t",
        "1",
        model=model or lq.PointsModel(engagement=[lq.EngagementRule("v", "visit", 1)]),
        stages=lq.StageMachine(
            [lq.Stage("A", 0), lq.Stage("B", 1)], [lq.Transition("A", "B", guard)]
        ),
        framework=framework,
    )


def test_the_final_move_reads_as_of_even_on_an_event_no_guard_marks() -> None:
    model = lq.PointsModel(
        engagement=[lq.EngagementRule("demo", "demo", 60, decay=lq.Expire(timedelta(days=1)))]
    )
    stages = lq.StageMachine(
        [lq.Stage("A", 0), lq.Stage("F", 1), lq.Stage("G", 2)],
        [
            lq.Transition("A", "F", lq.ScoreAtLeast(10)),
            lq.Transition("F", "G", lq.ScoreAtLeast(10)),
            lq.Transition("G", "F", lq.ScoreAtLeast(50)),
        ],
    )
    ruleset = lq.RuleSet("t", "1", model=model, stages=stages)
    as_of = T0 + timedelta(days=5)
    events = [lq.Event("L", "demo", at=T0), lq.Event("L", "ping", at=as_of)]
    got = check(ruleset, [lq.Lead("L")], events, as_of)
    assert got.leads["stage"].to_list() == ["G"]


def test_a_dotted_purchase_date_makes_the_framework_read_the_day() -> None:
    from leadqual.frameworks import Timeline

    ruleset = two_stages(
        lq.FrameworkPassed(),
        framework=lq.Framework("T", [Timeline(days=90, date_attribute="deal.close")]),
    )
    lead = lq.Lead("L", attributes={"deal": {"close": "2026-06-01"}})
    events = [lq.Event("L", "visit", at=T0), lq.Event("L", "visit", at=T0 + timedelta(days=90))]
    got = check(ruleset, [lead], events, T0 + timedelta(days=104))
    assert got.leads["stage"].to_list() == ["B"]


def test_a_rule_of_no_points_with_linear_decay() -> None:
    model = lq.PointsModel(
        engagement=[lq.EngagementRule("z", "visit", 0, decay=lq.Linear(points_per_day=1))]
    )
    ruleset = two_stages(lq.ScoreAtLeast(1), model=model)
    events = [lq.Event("L", "visit", at=T0), lq.Event("L", "visit", at=T0 + timedelta(days=1))]
    check(ruleset, [lq.Lead("L")], events, T0 + timedelta(days=2))


def test_verdicts_are_shared_only_within_one_time_zone() -> None:
    from zoneinfo import ZoneInfo

    from leadqual.frameworks import Timeline

    ruleset = two_stages(lq.FrameworkPassed(), framework=lq.Framework("T", [Timeline(days=121)]))
    same = {"purchase_date": "2026-07-01T04:30:00+00:00"}
    leads_ = [lq.Lead("L1", attributes=same), lq.Lead("L2", attributes=same)]
    as_of = {  # one offset that day, not on the purchase day
        "L1": datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("America/New_York")),
        "L2": datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=-5))),
    }
    got = check(ruleset, leads_, [], as_of)
    assert got.leads["verdict"].to_list() == ["fail", "pass"]


def test_old_half_life_points_do_not_vanish_far_from_the_first_event() -> None:
    model = lq.PointsModel(
        engagement=[lq.EngagementRule("v", "visit", 1e9, decay=lq.HalfLife(days=1))]
    )
    events = [lq.Event("L", "visit", at=T0), lq.Event("L", "visit", at=T0 + timedelta(days=1023))]
    as_of = T0 + timedelta(days=1075)  # 0.5 ** 1075 is 0 in floats: 2 ** (1023 - 1075) is not
    want = model.score(lq.Lead("L"), events, as_of=as_of).total
    ruleset = lq.RuleSet("t", "1", model=model, stages=lq.StageMachine.default())
    got = batch.qualify(ruleset, [lq.Lead("L")], events, as_of=as_of).leads["total"][0]
    assert want > 0
    assert abs(got - want) <= 1e-9 * want


def test_slices_of_leads_give_what_all_at_once_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = lq.default_ruleset()
    sample_leads, events = lq.samples.sample_leads(), lq.samples.sample_events()
    as_of = lq.samples.SAMPLE_AS_OF
    whole = batch.qualify(ruleset, sample_leads, events, as_of=as_of)
    monkeypatch.setattr("leadqual.batch._qualify.CHUNK_LEADS", 7)
    sliced = batch.qualify(ruleset, sample_leads, events, as_of=as_of)
    assert sliced.leads.equals(whole.leads)
    assert sliced.transitions == whole.transitions
    assert len(whole.transitions) > 5


def test_large_points_that_cancel_decide_a_threshold_as_the_engine() -> None:
    model = lq.PointsModel(
        engagement=[
            lq.EngagementRule("big", "visit", 1e9, decay=lq.HalfLife(days=3)),
            lq.EngagementRule("back", "refund", -1e9, decay=lq.HalfLife(days=3)),
            lq.EngagementRule("small", "click", 0.1),
        ]
    )
    ruleset = two_stages(lq.ScoreAtLeast(0.3), model=model)
    events = [
        lq.Event("L", "visit", at=T0),
        lq.Event("L", "refund", at=T0),
        *[lq.Event("L", "click", at=T0 + timedelta(hours=h)) for h in (1, 2, 3, 4)],
    ]
    got = check(ruleset, [lq.Lead("L")], events, T0 + timedelta(days=1))
    assert got.near_threshold >= 0
