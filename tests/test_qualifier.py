"""Qualifier: one lead through a model, a stage machine and a framework."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadqual as lq
from leadqual import (
    BANT,
    Decision,
    EngagementRule,
    Event,
    InvalidTransition,
    Lead,
    PointsModel,
    Qualifier,
    StageMachine,
    TransitionRecord,
)
from leadqual.errors import ListenerError
from leadqual.testing import events, leads, points_models

UTC = timezone.utc
T0 = datetime(2026, 11, 1, tzinfo=UTC)
MODEL = PointsModel(
    engagement=[
        EngagementRule("ebook", "content_download", 60),
        EngagementRule("demo", "demo_request", 50),
        EngagementRule("view", "page_view", 5),
    ],
    decay=lq.HalfLife(days=30),
)
READY = Lead(
    "L-1",
    attributes={
        "budget": 50_000,
        "title": "VP Sales",
        "pain_points": ["slow pipeline"],
        "timeline_days": 30,
    },
)


def ev(type_: str, day: float, **kw: object) -> Event:
    return Event("L-1", type_, at=T0 + timedelta(days=day), **kw)  # type: ignore[arg-type]


def qualifier(**kw: object) -> Qualifier:
    args: dict[str, object] = {
        "model": MODEL,
        "stages": StageMachine.default(mql_score=100),
        "framework": BANT(min_budget=10_000),
    }
    args.update(kw)
    return Qualifier(**args)  # type: ignore[arg-type]


class TestBatch:
    def test_iql_until_the_score_reaches_the_threshold(self) -> None:
        q = qualifier().qualify(READY, [ev("content_download", 1)], as_of=T0 + timedelta(days=2))
        assert q.stage == "IQL"
        assert q.history == ()
        assert q.reached() == ("IQL",)

    def test_sales_ready_at_once_passes_through_mql(self) -> None:
        events = [ev("content_download", 1), ev("demo_request", 1)]
        q = qualifier().qualify(READY, events, as_of=T0 + timedelta(days=2))
        assert q.stage == "SQL"
        assert q.reached() == ("IQL", "MQL", "SQL")
        assert {r.at for r in q.history} == {T0 + timedelta(days=1)}
        assert q.framework is not None
        assert q.framework.passed

    def test_framework_blocks_sql(self) -> None:
        student = Lead("L-1", attributes={"budget": 500, "title": "student"})
        events = [ev("content_download", 1), ev("demo_request", 2)]
        q = qualifier().qualify(student, events, as_of=T0 + timedelta(days=3))
        assert q.stage == "MQL"
        assert q.framework is not None
        assert not q.framework.passed
        assert "BANT: fail" in q.explain()

    def test_record_times_come_from_events(self) -> None:
        events = [ev("content_download", 1), ev("page_view", 3), ev("content_download", 4)]
        q = qualifier().qualify(READY, events, as_of=T0 + timedelta(days=30))
        assert [(r.target, r.at) for r in q.history] == [("MQL", T0 + timedelta(days=4))]
        assert q.history[0].reason.startswith("score ")

    def test_decay_demotes_at_read_time(self) -> None:
        q = qualifier(stages=StageMachine.default(mql_score=100, recycle_below=50))
        events = [ev("content_download", 1), ev("demo_request", 1)]
        lead = Lead("L-1")  # no BANT facts: stays MQL
        assert q.qualify(lead, events, as_of=T0 + timedelta(days=2)).stage == "MQL"
        later = T0 + timedelta(days=60)
        result = q.qualify(lead, events, as_of=later)
        assert result.stage == "NURTURE"
        assert result.history[-1].at == later

    def test_decisions(self) -> None:
        events = [ev("content_download", 1), ev("demo_request", 1)]
        won = [
            Decision("OPPORTUNITY", T0 + timedelta(days=3), "accepted"),
            Decision("CUSTOMER", T0 + timedelta(days=20), "signed"),
        ]
        q = qualifier().qualify(READY, events, as_of=T0 + timedelta(days=30), decisions=won)
        assert q.stage == "CUSTOMER"
        assert [r.auto for r in q.history] == [True, True, False, False]
        early = qualifier().qualify(
            READY, events[:1], as_of=T0 + timedelta(days=5), decisions=won[:1]
        )
        assert early.stage == "IQL"  # the decision could not apply: kept as void, not lost
        ((decision, why),) = early.void
        assert decision == won[0]
        assert "cannot move a lead from IQL to OPPORTUNITY" in why
        assert "decision not applied: OPPORTUNITY" in early.explain()

    def test_explain(self) -> None:
        events = [ev("content_download", 1), ev("demo_request", 2)]
        text = qualifier().qualify(Lead("L-1"), events, as_of=T0 + timedelta(days=3)).explain()
        assert text.startswith("L-1 is MQL as of")
        assert "path: IQL -> MQL" in text
        assert "ask next: budget, authority, timeline" in text  # need: the demo request


class TestIncremental:
    def test_listeners_receive_committed_records(self) -> None:
        seen: list[tuple[str, TransitionRecord]] = []
        q = qualifier(on_transition=[lambda lead, record: seen.append((lead.id, record))])
        state = q.start(READY)
        state.apply(ev("content_download", 1))
        assert seen == []
        state.apply(ev("demo_request", 2))
        assert [(lead_id, r.target) for lead_id, r in seen] == [("L-1", "MQL"), ("L-1", "SQL")]
        state.qualification(as_of=T0 + timedelta(days=90))  # a read notifies nobody
        assert len(seen) == 2

    def test_a_failing_listener_does_not_corrupt_the_state(self) -> None:
        calls: list[str] = []

        def crm(lead: Lead, record: TransitionRecord) -> None:
            calls.append(record.target)
            raise ConnectionError("CRM down")

        state = qualifier(on_transition=[crm, lambda lead, r: calls.append("audit")]).start(READY)
        with pytest.raises(ListenerError) as info:
            state.apply_all([ev("content_download", 1), ev("demo_request", 1)])
        assert calls == ["MQL", "audit", "SQL", "audit"]  # every listener still ran
        assert len(info.value.errors) == 2
        assert state.stage == "SQL"
        state.apply(ev("page_view", 3))  # the state goes on working
        assert state.stage == "SQL"

    def test_late_event_replays_history(self) -> None:
        state = qualifier().start(Lead("L-1"))
        state.apply(ev("page_view", 10))
        state.apply(ev("content_download", 5))  # late
        state.apply(ev("content_download", 6))  # late too
        result = state.qualification(as_of=T0 + timedelta(days=11))
        batch = qualifier().qualify(
            Lead("L-1"),
            [ev("page_view", 10), ev("content_download", 5), ev("content_download", 6)],
            as_of=T0 + timedelta(days=11),
        )
        assert result == batch
        assert result.history[0].at == T0 + timedelta(days=6)

    def test_reading_the_past(self) -> None:
        state = qualifier().start(READY)
        state.apply_all([ev("content_download", 1), ev("demo_request", 2)])
        assert state.qualification(as_of=T0 + timedelta(days=1, hours=12)).stage == "IQL"
        assert state.stage == "SQL"

    def test_duplicates_and_decisions(self) -> None:
        state = qualifier().start(READY)
        demo = ev("demo_request", 2, id="d1")
        state.apply_all([ev("content_download", 1), demo, demo])
        state.apply(demo)
        record = state.move("OPPORTUNITY", at=T0 + timedelta(days=3), reason="accepted")
        assert record.target == "OPPORTUNITY"
        with pytest.raises(InvalidTransition):
            state.move("MQL", at=T0 + timedelta(days=4), reason="oops")
        assert state.stage == "OPPORTUNITY"
        with pytest.raises(lq.errors.DuplicateEventError):
            state.apply(ev("page_view", 9, id="d1"))


def _machine(threshold: int, needs_framework: bool) -> StageMachine:
    if needs_framework:
        return StageMachine.default(mql_score=threshold)
    return StageMachine.default(mql_score=threshold, sql_requires=None, recycle_below=threshold / 2)


histories = st.lists(
    events(lead_ids=("L-1",), span=timedelta(days=120), with_ids=None), max_size=25
).map(lambda es: [attrs.evolve(e, id=f"e{i}") if e.id else e for i, e in enumerate(es)])


@given(
    points_models(),
    leads(ids=["L-1"]),
    histories,
    st.integers(0, 150),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_incremental_equals_batch_for_any_order(
    model: PointsModel,
    lead: Lead,
    history: list[Event],
    threshold: int,
    needs_framework: bool,
    rnd: object,
) -> None:
    q = Qualifier(model, _machine(threshold, needs_framework), BANT())
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    batch = q.qualify(lead, history, as_of=as_of)
    shuffled = list(history)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    state = q.start(lead)
    for e in shuffled:
        state.apply(e)
    assert state.qualification(as_of=as_of) == batch

    # invariants of every history
    records = batch.history
    assert all(a.at <= b.at for a, b in pairwise(records))
    assert all(r.reason for r in records)
    path = batch.reached()
    assert path[0] == "IQL"
    assert path[-1] == batch.stage
    assert all(a.target == b.source for a, b in pairwise(records))
    machine = q.stages
    assert all(r.target in machine.allowed(r.source) for r in records)
    assert all(r.at <= as_of for r in records)


def test_a_replay_announces_only_what_changed_in_the_path() -> None:
    seen: list[str] = []
    q = qualifier(on_transition=[lambda lead, record: seen.append(record.target)])
    state = q.start(READY)
    state.apply(ev("content_download", 4))
    state.apply(ev("content_download", 5))
    assert seen == ["MQL"]
    state.apply(ev("content_download", 2))  # late: MQL now happens earlier, same path
    assert seen == ["MQL"]
    assert state.history[0].at == T0 + timedelta(days=4)
    state.apply(ev("demo_request", 3))  # late: the path gains SQL
    assert seen == ["MQL", "SQL"]


def test_a_late_event_never_blocks_and_a_decision_it_invalidates_becomes_void() -> None:
    lead = Lead("L-1")
    ebooks = [ev("content_download", 1), ev("content_download", 2)]
    recycle = Decision("NURTURE", T0 + timedelta(days=5), "not ready")
    late = ev("email_unsubscribe", 0)
    q = Qualifier(
        PointsModel(
            engagement=[*MODEL.engagement, EngagementRule("unsub", "email_unsubscribe", -100)]
        ),
        StageMachine.default(mql_score=100),
    )
    state = q.start(lead)
    state.apply_all(ebooks)
    state.decide(recycle)
    state.apply(late)  # no longer an MQL on day 5: the decision is void, the event kept
    assert late in state.events
    assert [d for d, _ in state.void] == [recycle]
    as_of = T0 + timedelta(days=6)
    batch = q.qualify(lead, [late, *ebooks], as_of=as_of, decisions=[recycle])
    assert state.qualification(as_of=as_of) == batch
    assert q.qualify(lead, ebooks, as_of=as_of, decisions=[recycle]).stage == "NURTURE"


def test_the_offset_an_event_is_written_with_changes_nothing() -> None:
    lead = Lead(
        "L-1",
        attributes={"budget": 50_000, "title": "VP", "purchase_date": "2026-12-15"},
    )
    q = Qualifier(
        PointsModel(engagement=[EngagementRule("demo", "demo_request", 150)]),
        StageMachine.default(mql_score=100),
        BANT(timeline_days=30),
    )
    instant = datetime(2026, 11, 15, 4, 30, tzinfo=UTC)
    as_utc = Event("L-1", "demo_request", at=instant)
    as_ny = Event("L-1", "demo_request", at=instant.astimezone(timezone(timedelta(hours=-5))))
    as_of = instant + timedelta(days=1)
    a, b = q.qualify(lead, [as_utc], as_of=as_of), q.qualify(lead, [as_ny], as_of=as_of)
    assert (a.stage, a.history) == (b.stage, b.history)
