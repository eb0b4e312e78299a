"""Invariants of PointsModel, checked over generated models, leads and event streams."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual import Event, Lead, PointsModel
from leadqual.testing import event_streams, leads, points_models
from reference_scoring import reference_total

AS_OF = datetime(2026, 7, 1, tzinfo=timezone.utc)


@st.composite
def histories(draw: st.DrawFn, max_size: int = 40) -> list[Event]:
    """One lead's events in any order; ids unique when present (a different event never
    reuses one)."""
    return draw(event_streams(("L-1",), order="shuffled", max_size=max_size))


as_of_moments = st.sampled_from(
    [AS_OF, AS_OF - timedelta(days=90), AS_OF + timedelta(days=200), AS_OF - timedelta(days=200)]
)


@given(points_models(), leads(ids=["L-1"]), histories(), as_of_moments)
def test_every_point_is_accounted_for(
    model: PointsModel, lead: Lead, history: list[Event], as_of: datetime
) -> None:
    s = model.score(lead, history, as_of=as_of)
    assert sum(c.points for c in s.breakdown) == s.total
    assert math.isclose(s.fit + s.engagement + s.adjustment, s.total, abs_tol=1e-9)
    assert all(c.event is None or c.event.at <= as_of for c in s.breakdown)


@given(points_models(), leads(ids=["L-1"]), histories(), as_of_moments)
def test_matches_the_naive_reference(
    model: PointsModel, lead: Lead, history: list[Event], as_of: datetime
) -> None:
    s = model.score(lead, history, as_of=as_of)
    total, groups = reference_total(model, lead, history, as_of)
    assert math.isclose(s.total, total, rel_tol=1e-9, abs_tol=1e-9)
    assert set(s.groups) == set(groups)
    for group, points in groups.items():
        assert math.isclose(s.groups[group], points, rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]


@given(points_models(), leads(ids=["L-1"]), histories(), st.randoms(use_true_random=False))
def test_incremental_equals_batch_for_any_order(
    model: PointsModel, lead: Lead, history: list[Event], rnd: object
) -> None:
    batch = model.score(lead, sorted(history), as_of=AS_OF)
    shuffled = list(history)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    state = model.start(lead)
    for e in shuffled:
        state.apply(e)
    assert state.score(AS_OF) == batch


@given(points_models(), leads(ids=["L-1"]), histories(max_size=20))
def test_replaying_events_with_ids_changes_nothing(
    model: PointsModel, lead: Lead, history: list[Event]
) -> None:
    once = model.score(lead, history, as_of=AS_OF)
    with_ids = [e for e in history if e.id is not None]
    assert model.score(lead, history + with_ids[::-1], as_of=AS_OF) == once


@given(points_models(), leads(ids=["L-1"]), histories(), as_of_moments)
def test_later_events_do_not_change_an_earlier_score(
    model: PointsModel, lead: Lead, history: list[Event], as_of: datetime
) -> None:
    upto = [e for e in history if e.at <= as_of]
    assert model.score(lead, history, as_of=as_of) == model.score(lead, upto, as_of=as_of)


@given(points_models(), leads(ids=["L-1"]), histories())
def test_bounds_and_caps_hold(model: PointsModel, lead: Lead, history: list[Event]) -> None:
    s = model.score(lead, history, as_of=AS_OF)
    if model.max_score is not None:
        assert s.total <= model.max_score  # exactly: the bound's cut absorbs float rounding
    if model.min_score is not None:
        assert s.total >= model.min_score
    for group, cap in model.group_caps.items():
        assert abs(s.groups.get(group, 0)) <= cap + 1e-9  # type: ignore[operator]
    for rule in model.engagement:
        got = sum(c.points for c in s.breakdown if c.rule == rule.name)
        if rule.max_points is not None:
            assert abs(got) <= rule.max_points + 1e-9
        counted = [c for c in s.breakdown if c.rule == rule.name and c.event is not None]
        if rule.max_times is not None:
            assert len(counted) <= rule.max_times


@given(points_models(), leads(ids=["L-1"]), histories())
def test_the_model_does_not_mutate_its_inputs(
    model: PointsModel, lead: Lead, history: list[Event]
) -> None:
    before = ([e.to_dict() for e in history], lead.to_dict(), list(history))
    model.score(lead, history, as_of=AS_OF)
    assert ([e.to_dict() for e in history], lead.to_dict(), list(history)) == before


@pytest.mark.parametrize("days", [1, 30, 365])
def test_decay_never_increases_points_over_time(days: int) -> None:
    from leadqual import EngagementRule, HalfLife, Linear, Schedule

    lead = Lead("L-1")
    e = Event("L-1", "x", at=AS_OF)
    for decay in (
        HalfLife(days=days),
        Linear(points_per_day=1 / days),
        Schedule([(timedelta(days=days), 0.5)]),
    ):
        model = PointsModel(engagement=[EngagementRule("x", "x", 10)], decay=decay)
        totals = [
            model.score(lead, [e], as_of=AS_OF + timedelta(days=d)).total for d in range(0, 400, 7)
        ]
        assert totals == sorted(totals, reverse=True)
        assert totals[0] == 10


@given(points_models(), leads(ids=["L-1"]), histories(), st.randoms(use_true_random=False))
def test_without_the_id_index_the_result_is_the_same(
    model: PointsModel, lead: Lead, history: list[Event], rnd: object
) -> None:
    redelivered = history + [e for e in history if e.id is not None]
    rnd.shuffle(redelivered)  # type: ignore[attr-defined]
    state = model.start(lead, track_ids=False)
    for e in redelivered:
        state.apply(e)
    assert state.score(AS_OF) == model.score(lead, history, as_of=AS_OF)


@given(points_models(), leads(ids=["L-1"]), histories(), as_of_moments)
def test_upper_bound_is_never_exceeded(
    model: PointsModel, lead: Lead, history: list[Event], as_of: datetime
) -> None:
    state = model.start(lead)
    state.apply_all(history)
    bound = state.upper_bound()
    if bound is not None:
        assert state.score(as_of).total <= bound


@given(
    points_models(),
    leads(ids=["L-1"]),
    histories(),
    st.floats(0, 400),
    st.randoms(use_true_random=False),
)
def test_upper_bound_at_a_moment_is_never_exceeded_then(
    model: PointsModel, lead: Lead, history: list[Event], days_after: float, rnd: object
) -> None:
    # events in any order (the decayed sums are kept incrementally); any moment at or
    # after the latest event
    shuffled = list(history)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    state = model.start(lead)
    state.apply_all(shuffled)
    latest = max((e.at for e in history), default=AS_OF)
    moment = latest + timedelta(days=days_after)
    bound = state.upper_bound(moment)
    if bound is not None:
        assert state.score(moment).total <= bound
        assert bound <= state.upper_bound()  # type: ignore[operator]
