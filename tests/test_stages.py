"""StageMachine and guards: construction checks, automatic and manual moves, records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from leadqual import Attr, InvalidTransition, Lead, Score, ValidationError
from leadqual.frameworks.checks import Activity
from leadqual.stages import (
    AttrCondition,
    EngagementAtLeast,
    EventSeen,
    FitAtLeast,
    FrameworkPassed,
    Guard,
    GuardContext,
    NewActivity,
    ScoreAtLeast,
    Stage,
    StageMachine,
    Transition,
    guard_from_dict,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 1, tzinfo=UTC)
LEAD = Lead("L-1", attributes={"country": "DE"})


def ctx(
    total: float = 0,
    *,
    fit: float = 0,
    at: datetime = T0,
    seen: dict[str, datetime] | None = None,
    framework: Any = None,
) -> GuardContext:
    activity = {t: Activity(1, when, when) for t, when in (seen or {}).items()}
    score = Score(total=total, fit=fit, engagement=total - fit)
    return GuardContext(lead=LEAD, score=score, as_of=at, activity=activity, framework=framework)


PASSED = SimpleNamespace(passed=True, name="BANT")
NOT_PASSED = SimpleNamespace(passed=False, name="BANT")


class TestGuards:
    def test_thresholds(self) -> None:
        assert ScoreAtLeast(100).holds(ctx(100))
        assert not ScoreAtLeast(100).holds(ctx(99.9))
        assert FitAtLeast(20).holds(ctx(50, fit=20))
        assert EngagementAtLeast(40).holds(ctx(60, fit=20))
        assert ScoreAtLeast(100).explain(ctx(112)) == "score 112 >= 100"
        assert ScoreAtLeast(100).explain(ctx(12.5)) == "score 12.5 < 100"

    def test_event_seen_and_window(self) -> None:
        guard = EventSeen(["demo_request", "pricing_inquiry"], within=timedelta(days=30))
        assert not guard.holds(ctx())
        assert guard.holds(ctx(at=T0, seen={"pricing_inquiry": T0 - timedelta(days=30)}))
        assert not guard.holds(ctx(at=T0, seen={"demo_request": T0 - timedelta(days=31)}))
        assert guard.explain(ctx(seen={"demo_request": T0})) == "demo_request on 2026-11-01"

    def test_new_activity_since_entering_the_stage(self) -> None:
        c = ctx(seen={"page_view": T0})
        assert NewActivity().holds(c)
        entered_later = GuardContext(
            lead=LEAD, score=c.score, as_of=T0, activity=c.activity, stage_entered_at=T0
        )
        assert not NewActivity().holds(entered_later)
        assert not NewActivity(["demo_request"]).holds(c)

    def test_framework_and_attribute_guards(self) -> None:
        assert FrameworkPassed().holds(ctx(framework=PASSED))
        assert not FrameworkPassed().holds(ctx(framework=NOT_PASSED))
        assert not FrameworkPassed().holds(ctx())
        assert FrameworkPassed().explain(ctx()) == "no qualification framework"
        assert AttrCondition(Attr("country") == "DE").holds(ctx())
        with pytest.raises(ValidationError):
            AttrCondition("country == DE")  # type: ignore[arg-type]

    def test_combinators(self) -> None:
        high, low = ScoreAtLeast(10), ScoreAtLeast(1000)
        assert (high & ~low).holds(ctx(50))
        assert (low | high).holds(ctx(50))
        assert not (high & low).holds(ctx(50))
        assert str(high & ~low) == "(score >= 10) and (not (score >= 1000))"
        with pytest.raises(TypeError):
            bool(high)

    @pytest.mark.parametrize(
        "guard",
        [
            ScoreAtLeast(100),
            FitAtLeast(5) & EngagementAtLeast(7.5),
            EventSeen("demo_request", within=timedelta(days=14)) | FrameworkPassed(),
            ~NewActivity(["page_view"]),
            NewActivity(),
            AttrCondition(Attr("country").is_in(["DE", "FR"])),
        ],
        ids=str,
    )
    def test_round_trip(self, guard: Guard) -> None:
        assert guard_from_dict(guard.to_dict()) == guard

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"score_at_least": "high"}, "guard.score_at_least"),
            ({"all": []}, "guard.all"),
            ({"bogus": 1}, "guard"),
            ({"any": [{"fit_at_least": 1}, {"nope": 2}]}, "guard.any[1]"),
        ],
    )
    def test_from_dict_errors(self, data: object, field: str) -> None:
        with pytest.raises(ValidationError) as info:
            guard_from_dict(data)
        assert info.value.field == field


class TestMachineConstruction:
    def test_default_funnel(self) -> None:
        m = StageMachine.default(mql_score=80)
        assert m.funnel() == ("IQL", "MQL", "SQL", "OPPORTUNITY", "CUSTOMER")
        assert m.initial == "IQL"
        assert m.allowed("IQL") == ("MQL", "DISQUALIFIED")
        assert m.allowed("NURTURE") == ("MQL", "DISQUALIFIED")
        assert m.entry_guard("MQL") == ScoreAtLeast(80)
        assert m.transition("SQL", "OPPORTUNITY").auto is False

    @pytest.mark.parametrize(
        ("stages", "transitions", "field"),
        [
            ([Stage("A", 0), Stage("A", 1)], [], "stages[1].name"),
            ([Stage("A", 0), Stage("B", 0)], [Transition("A", "B", auto=False)], "stages[1].order"),
            ([Stage("A", 0)], [Transition("A", "Z", auto=False)], "transitions[0].target"),
            ([Stage("A", 0), Stage("B", 1)], [], "stages[1]"),  # unreachable
            ([Stage("A", 0), Stage("B", 1)], [Transition("A", "B")], "transitions[0].guard"),
            (
                [Stage("A", 0), Stage("B", 1)],
                [Transition("A", "B", auto=False), Transition("A", "B", auto=False)],
                "transitions[1]",
            ),
            (
                [Stage("A", 0), Stage("B", 1), Stage("C", 2)],
                [Transition("A", "C", ScoreAtLeast(1)), Transition("A", "B", auto=False)],
                "transitions[0]",  # skips B, which has no automatic entry guard
            ),
            ([], [], "stages"),
        ],
    )
    def test_invalid_machines(
        self, stages: list[Stage], transitions: list[Transition], field: str
    ) -> None:
        with pytest.raises(ValidationError) as info:
            StageMachine(stages, transitions)
        assert info.value.field == field


class TestAdvance:
    def test_automatic_transitions_fire_in_order_and_chain(self) -> None:
        m = StageMachine.default(mql_score=100, sql_requires=None)
        state = m.start()
        assert m.advance(state, ctx(50)) == []
        at = T0 + timedelta(days=3)
        records = m.advance(state, ctx(120, at=at, seen={"demo_request": at}))
        assert [(r.source, r.target) for r in records] == [("IQL", "MQL"), ("MQL", "SQL")]
        assert all(r.at == at and r.auto for r in records)
        assert records[0].reason == "score 120 >= 100"
        assert records[0].guard == "score >= 100"
        assert state.stage == "SQL"
        assert state.entered_at == at
        assert state.visited() == ["IQL", "MQL", "SQL"]

    def test_a_skip_is_allowed_only_when_the_skipped_stage_qualifies(self) -> None:
        stages = [Stage("IQL", 0), Stage("MQL", 1), Stage("SQL", 2)]
        m = StageMachine(
            stages,
            [
                Transition("IQL", "MQL", ScoreAtLeast(100)),
                Transition("IQL", "SQL", EventSeen("demo_request")),
                Transition("MQL", "SQL", EventSeen("demo_request")),
            ],
        )
        demo = {"demo_request": T0}
        blocked = m.start()
        assert m.advance(blocked, ctx(30, seen=demo)) == []  # sales-ready but not an MQL
        assert blocked.stage == "IQL"
        ready = m.start()
        records = m.advance(ready, ctx(130, seen=demo))
        assert [(r.source, r.target) for r in records] == [("IQL", "MQL"), ("MQL", "SQL")]

    def test_two_stages_that_both_qualify_do_not_loop(self) -> None:
        m = StageMachine(
            [Stage("A", 0), Stage("B", 1)],
            [Transition("A", "B", ScoreAtLeast(1)), Transition("B", "A", ScoreAtLeast(1))],
        )
        state = m.start()
        records = m.advance(state, ctx(5))
        assert [(r.source, r.target) for r in records] == [("A", "B")]

    def test_demotion_when_the_score_decays(self) -> None:
        m = StageMachine.default(mql_score=100, recycle_below=60)
        state = m.start()
        m.advance(state, ctx(120))
        assert state.stage == "MQL"
        records = m.advance(state, ctx(59, at=T0 + timedelta(days=90)))
        assert [(r.source, r.target) for r in records] == [("MQL", "NURTURE")]
        assert records[0].reason == "score 59 < 60"

    def test_nurtured_leads_return_only_with_new_activity(self) -> None:
        m = StageMachine.default(mql_score=100)
        state = m.start()
        m.advance(state, ctx(120, seen={"page_view": T0}))
        m.move(state, "NURTURE", at=T0 + timedelta(days=1), reason="not ready")
        later = T0 + timedelta(days=5)
        assert m.advance(state, ctx(120, at=later, seen={"page_view": T0})) == []
        back = m.advance(state, ctx(120, at=later, seen={"page_view": later}))
        assert [(r.source, r.target) for r in back] == [("NURTURE", "MQL")]


class TestManualMoves:
    def test_move_records_the_decision(self) -> None:
        m = StageMachine.default(sql_requires=None)
        state = m.start()
        m.advance(state, ctx(150, seen={"demo_request": T0}))
        at = T0 + timedelta(days=2)
        record = m.move(state, "OPPORTUNITY", at=at, reason="accepted by sales")
        assert (record.source, record.target, record.at, record.auto) == (
            "SQL",
            "OPPORTUNITY",
            at,
            False,
        )
        assert record.reason == "accepted by sales"
        assert state.stage == "OPPORTUNITY"

    def test_illegal_move_names_the_allowed_targets(self) -> None:
        m = StageMachine.default()
        state = m.start()
        with pytest.raises(InvalidTransition) as info:
            m.move(state, "CUSTOMER", at=T0, reason="won")
        err = info.value
        assert (err.current, err.target, err.allowed) == (
            "IQL",
            "CUSTOMER",
            ("MQL", "DISQUALIFIED"),
        )
        assert "allowed from IQL: MQL, DISQUALIFIED" in str(err)
        assert state.stage == "IQL"
        assert state.history == []

    def test_guarded_manual_move(self) -> None:
        m = StageMachine(
            [Stage("A", 0), Stage("B", 1)],
            [Transition("A", "B", FitAtLeast(10), auto=False)],
        )
        state = m.start()
        with pytest.raises(InvalidTransition, match="needs a context"):
            m.move(state, "B", at=T0, reason="x")
        with pytest.raises(InvalidTransition, match="fit 5 < 10"):
            m.move(state, "B", at=T0, reason="x", ctx=ctx(5, fit=5))
        assert m.move(state, "B", at=T0, reason="x", ctx=ctx(20, fit=20)).guard == "fit >= 10"

    def test_moves_may_not_go_back_in_time(self) -> None:
        m = StageMachine.default()
        state = m.start()
        m.move(state, "DISQUALIFIED", at=T0, reason="competitor")
        with pytest.raises(ValidationError) as info:
            m.move(state, "NURTURE", at=T0 - timedelta(days=1), reason="re-open")
        assert info.value.field == "at"

    def test_move_validation(self) -> None:
        m = StageMachine.default()
        with pytest.raises(ValidationError):
            m.move(m.start(), "MQL", at=datetime(2026, 1, 1), reason="x")
        with pytest.raises(ValidationError):
            m.move(m.start(), "MQL", at=T0, reason="")
        with pytest.raises(InvalidTransition):  # names the stages that are allowed
            m.move(m.start(), "NOPE", at=T0, reason="x")


def test_review_fixes_for_guards_and_the_default_funnel() -> None:
    with pytest.raises(ValidationError) as info:
        StageMachine.default(mql_score=100, recycle_below=150)
    assert info.value.field == "recycle_below"
    assert ScoreAtLeast(100).explain(ctx(99.96)) == "score 99.96 < 100"
    not_us = ~AttrCondition(Attr("country") == "US")
    assert not_us.explain(ctx()) == 'not (country == "US")'
    assert (~ScoreAtLeast(40)).explain(ctx(38)) == "score 38 < 40"


def test_flags_must_be_booleans() -> None:
    with pytest.raises(ValidationError) as info:
        Transition("A", "B", auto="no")  # type: ignore[arg-type]
    assert info.value.field == "Transition.auto"
    with pytest.raises(ValidationError):
        Stage("A", 0, funnel="no")  # type: ignore[arg-type]
