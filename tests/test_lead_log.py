"""One log per lead: any order and any split into calls give what one sorted batch gives.

Compared with a full replay of the sorted history (``oracle_qualifier``), for the
built-in points model (one state read at any moment), for a model whose state needs
events in order but can be copied (checkpoints keep copies), and for one that can
neither (walked again from the lead's start), with checkpoints every 1 to 64 events.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.oracle_qualifier import count_walked_events, oracle_qualify

import leadqual as lq
import leadqual.qualifier as qualifier_module
from leadqual import Decision, Engine, Event, Lead, PointsModel, Qualifier, RuleSet, StageMachine
from leadqual.testing import events, leads, points_models, stage_machines

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = START + timedelta(days=100)


class InOrderState:
    """A scoring state that insists on events in time order (ties allowed)."""

    def __init__(self, inner: lq.scoring.PointsState) -> None:
        self.inner = inner
        self.latest = float("-inf")

    def apply(self, event: Event) -> None:
        assert event.timestamp >= self.latest, "the qualifier fed an event out of order"
        self.latest = event.timestamp
        self.inner.apply(event)

    def score(self, as_of: datetime) -> lq.Score:
        return self.inner.score(as_of)


class CopyableState(InOrderState):
    def copy(self) -> CopyableState:
        other = CopyableState(self.inner.copy())
        other.latest = self.latest
        return other


class WrappedModel:
    """A custom model (not a PointsModel) over a points model's rules."""

    def __init__(self, model: PointsModel, copyable: bool) -> None:
        self.model = model
        self.copyable = copyable

    def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> lq.Score:
        return self.model.score(lead, events, as_of=as_of)

    def start(self, lead: Lead) -> InOrderState:
        inner = self.model.start(lead)
        return CopyableState(inner) if self.copyable else InOrderState(inner)


@pytest.fixture(params=[1, 3, 64], ids=lambda n: f"checkpoint-every-{n}")
def checkpoint_every(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(qualifier_module, "CHECKPOINT_EVERY", request.param)
    return int(request.param)


histories = st.lists(
    events(lead_ids=("L-1",), span=timedelta(days=90), with_ids=None), max_size=40
).map(
    lambda es: [
        e if e.id is None else lq.Event.from_dict({**e.to_dict(), "id": f"e{i}"})
        for i, e in enumerate(es)
    ]
)


@st.composite
def decisions_for(draw: st.DrawFn, machine: StageMachine) -> list[Decision]:
    """Sales decisions at distinct moments (the order made decides only ties)."""
    names = machine.names()
    days = draw(st.lists(st.integers(0, 95 * 24), unique=True, max_size=4))
    return [
        Decision(draw(st.sampled_from(names)), START + timedelta(hours=h), f"call {i}")
        for i, h in enumerate(days)
    ]


def _splits(rnd: random.Random, items: list[Any]) -> list[list[Any]]:
    out: list[list[Any]] = []
    i = 0
    while i < len(items):
        n = rnd.randint(1, 6)
        out.append(items[i : i + n])
        i += n
    return out


def _model(kind: str, points: PointsModel) -> Any:
    return points if kind == "points" else WrappedModel(points, copyable=kind == "copyable")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["points", "copyable", "replayed"]),
    model=points_models(),
    machine=stage_machines(),
    lead=leads(ids=["L-1"]),
    history=histories,
    data=st.data(),
    rnd=st.randoms(use_true_random=False),
)
def test_any_order_and_split_equals_a_full_replay(
    checkpoint_every: int,
    kind: str,
    model: PointsModel,
    machine: StageMachine,
    lead: Lead,
    history: list[Event],
    data: st.DataObject,
    rnd: random.Random,
) -> None:
    q = Qualifier(_model(kind, model), machine, lq.BANT())
    made = data.draw(decisions_for(machine))
    expected = oracle_qualify(q, lead, history, AS_OF, made)
    assert q.qualify(lead, history, as_of=AS_OF, decisions=made) == expected

    redelivered = [e for e in history[::3] if e.id is not None]  # an id counts once
    shuffled = list(history) + redelivered
    rnd.shuffle(shuffled)
    calls: list[tuple[list[Event], list[Decision]]] = [
        (part, []) for part in _splits(rnd, shuffled)
    ]
    for decision in made:
        calls.insert(rnd.randint(0, len(calls)), ([], [decision]))
    state = q.start(lead)
    past = START + timedelta(hours=data.draw(st.integers(0, 95 * 24)))
    for i, (part, decided) in enumerate(calls):
        state.apply_all(part, decided)
        if i % 2:  # reads between calls (at a past moment, and now) change nothing
            state.qualification(as_of=past)
    assert state.qualification(as_of=AS_OF) == expected
    assert state.qualification(as_of=past) == oracle_qualify(q, lead, history, past, made)
    assert (
        state.history
        == oracle_qualify(q, lead, history, state.last_moment or AS_OF, made).history[
            : len(state.history)
        ]
    )
    assert list(state.events) == sorted(
        {e.id or id(e): e for e in history}.values(), key=Event.sort_key
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    model=points_models(),
    lead=leads(ids=["L-1"]),
    history=histories,
    rnd=st.randoms(use_true_random=False),
)
def test_a_late_decision_is_checked_at_its_moment(
    checkpoint_every: int,
    model: PointsModel,
    lead: Lead,
    history: list[Event],
    rnd: random.Random,
) -> None:
    machine = StageMachine.default(mql_score=30, sql_requires=None)
    q = Qualifier(model, machine)
    state = q.start(lead)
    state.apply_all(history)
    moment = START + timedelta(hours=rnd.randint(0, 95 * 24))
    decision = Decision("DISQUALIFIED", moment, "no budget")
    before = state.qualification(as_of=AS_OF)
    try:
        record = state.decide(decision)
    except lq.InvalidTransition:
        assert state.qualification(as_of=AS_OF) == before  # refused: nothing changed
        assert oracle_qualify(q, lead, history, AS_OF, [decision]).void
        return
    assert record.target == "DISQUALIFIED"
    assert state.qualification(as_of=AS_OF) == oracle_qualify(q, lead, history, AS_OF, [decision])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stream=st.lists(
        events(lead_ids=("L-1", "L-2", "L-3"), span=timedelta(days=90), with_ids=True),
        max_size=40,
        unique_by=lambda e: e.id,
    ),
    chunk=st.integers(1, 7),
    rnd=st.randoms(use_true_random=False),
)
def test_engine_chunks_in_any_order_equal_a_full_replay(
    checkpoint_every: int, stream: list[Event], chunk: int, rnd: random.Random
) -> None:
    rules = lq.default_ruleset()
    people = [Lead("L-1"), Lead("L-2", attributes={"title": "VP Sales", "employees": 300})]
    engine = Engine(rules)
    engine.chunk_size = chunk
    for lead in people:
        engine.add_lead(lead)
    shuffled = list(stream)
    rnd.shuffle(shuffled)
    for part in _splits(rnd, shuffled):
        engine.apply(part)
    engine.add_lead(Lead("L-3"))  # its events were held
    q = rules.qualifier()
    for lead in [*people, Lead("L-3")]:
        mine = [e for e in stream if e.lead_id == lead.id]
        assert engine.get(lead.id, as_of=AS_OF) == oracle_qualify(q, lead, mine, AS_OF)


@pytest.mark.parametrize("kind", ["points", "copyable"])
def test_newest_first_one_per_call_walks_each_event_about_once(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    fed = count_walked_events(monkeypatch)
    rules = lq.default_ruleset()
    q = Qualifier(_model(kind, rules.model), rules.stages, rules.framework)
    n = 600
    history = [
        Event("L-1", "page_view", at=START + timedelta(minutes=7 * i), id=f"e{i}") for i in range(n)
    ]
    state = q.start(Lead("L-1"))
    for event in reversed(history):
        state.apply(event)
    result = state.qualification(as_of=AS_OF)
    assert fed[0] <= n  # one walk at the read, not one per late event
    assert result == oracle_qualify(q, Lead("L-1"), history, AS_OF)


def test_with_listeners_a_late_event_walks_from_the_checkpoint_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fed = count_walked_events(monkeypatch)
    rules = lq.default_ruleset()
    heard: list[str] = []
    q = Qualifier(
        rules.model,
        rules.stages,
        rules.framework,
        on_transition=[lambda lead, record: heard.append(record.target)],
    )
    n = 1000
    history = [
        Event("L-1", "page_view", at=START + timedelta(minutes=7 * i), id=f"e{i}") for i in range(n)
    ]
    state = q.start(Lead("L-1"))
    state.apply_all(history)
    fed[0] = 0
    state.apply(Event("L-1", "content_download", at=history[-10].at + timedelta(seconds=1)))
    assert fed[0] <= qualifier_module.CHECKPOINT_EVERY + 10
    state.apply(Event("L-1", "demo_request", at=history[500].at + timedelta(seconds=1)))
    assert heard == [r.target for r in state.history]  # each record told once, in order


def test_a_past_read_uses_a_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    fed = count_walked_events(monkeypatch)
    rules = lq.default_ruleset()
    q = rules.qualifier()
    history = [
        Event("L-1", "page_view", at=START + timedelta(hours=i), id=f"e{i}") for i in range(1000)
    ]
    state = q.start(Lead("L-1"))
    state.apply_all(history)
    state.qualification(as_of=AS_OF)
    fed[0] = 0
    past = history[900].at
    assert state.qualification(as_of=past) == oracle_qualify(q, Lead("L-1"), history, past)
    assert fed[0] <= qualifier_module.CHECKPOINT_EVERY


def test_a_custom_model_in_a_rule_set_runs_in_the_engine() -> None:
    rules = lq.default_ruleset()
    custom = WrappedModel(rules.model, copyable=True)
    ruleset = RuleSet("custom", "1", model=custom, stages=rules.stages, framework=rules.framework)
    engine = Engine(ruleset)
    engine.add_lead(Lead("L-1"))
    stream = [
        Event("L-1", "content_download", at=START + timedelta(days=d), id=f"e{d}") for d in range(6)
    ]
    engine.apply(reversed(stream))
    expected = oracle_qualify(ruleset.qualifier(), Lead("L-1"), stream, AS_OF)
    assert engine.get("L-1", as_of=AS_OF) == expected


def test_a_rule_file_holds_points_models_only_and_the_lint_checks_the_rest() -> None:
    rules = lq.default_ruleset()
    custom = WrappedModel(rules.model, copyable=False)
    ruleset = RuleSet("custom", "1", model=custom, stages=rules.stages, framework=rules.framework)
    with pytest.raises(lq.LeadqualError) as info:
        lq.rulesets.ruleset_to_dict(ruleset)
    assert "points models only" in str(info.value)
    assert info.value.field == "model"  # type: ignore[attr-defined]
    report = lq.testing.check_ruleset(ruleset)
    assert report.score.maximum == float("inf")
    assert any("not a points model" in f.message for f in report.findings)
    assert report.reachable == lq.testing.check_ruleset(rules).reachable
    with pytest.raises(lq.ValidationError):
        RuleSet("custom", "1", model=object(), stages=rules.stages)  # type: ignore[arg-type]


@given(
    framework=lq.testing.frameworks(),
    lead=leads(ids=["L-1"]),
    first=st.lists(events(span=timedelta(days=90)), max_size=6),
    more=st.lists(events(span=timedelta(days=90)), max_size=3),
    days=st.integers(0, 3),
    hours=st.integers(0, 30),
)
def test_equal_framework_inputs_give_equal_results(
    framework: lq.Framework,
    lead: Lead,
    first: list[Event],
    more: list[Event],
    days: int,
    hours: int,
) -> None:
    """The qualifier reuses a check's result while its inputs stay the same."""
    moment = AS_OF
    later = AS_OF + timedelta(days=days, hours=hours)
    a = lq.frameworks.Facts.from_events(lead, first, as_of=moment)
    b = lq.frameworks.Facts.from_events(lead, [*first, *more], as_of=later)

    def inputs(facts: lq.frameworks.Facts) -> object:
        keys = [None if r is None else r(facts.as_of, facts.activity) for r in framework._keys]
        return None if None in keys else tuple(keys)

    key_a, key_b = inputs(a), inputs(b)
    assert key_a is not None  # the presets are made of built-in checks
    if key_a == key_b:
        assert framework.evaluate(a) == framework.evaluate(b)
    memo: dict[int, Any] = {}
    assert framework._evaluate_reusing(lead, a.as_of, a.activity, memo) == framework.evaluate(a)
    assert framework._evaluate_reusing(lead, b.as_of, b.activity, memo) == framework.evaluate(b)


# --- found by review: each of these failed before its fix --------------------------------


def test_update_lead_keeps_the_extra_models_scores() -> None:
    points = PointsModel(engagement=[lq.EngagementRule("ebook", "content_download", 30)])
    q = Qualifier(points, StageMachine.default(), extra_models={"alt": points})
    lead = Lead("L-1")
    history = [
        Event("L-1", "content_download", at=START + timedelta(days=d), id=f"e{d}") for d in range(3)
    ]
    state = q.start(lead)
    state.apply_all(history)
    at = START + timedelta(days=5)
    assert state.qualification(as_of=at).extra_scores["alt"].total == 90
    state.update_lead(Lead("L-1", attributes={"title": "VP"}))
    assert state.qualification(as_of=at).extra_scores["alt"].total == 90


def test_an_extra_model_that_needs_order_is_always_fed_in_order() -> None:
    points = PointsModel(engagement=[lq.EngagementRule("ebook", "content_download", 30)])
    q = Qualifier(
        points,
        StageMachine.default(),
        extra_models={"x": WrappedModel(points, copyable=False)},
    )
    lead = Lead("L-1")
    state = q.start(lead)
    made = []
    for day in (10, 5, 20, 15, 1, 30):
        made.append(Event("L-1", "content_download", at=START + timedelta(days=day), id=f"{day}"))
        state.apply(made[-1])
        expected = points.score(lead, made, as_of=AS_OF)
        assert state.qualification(as_of=AS_OF).extra_scores["x"].total == expected.total


def test_a_check_that_fails_once_leaves_the_walk_as_it_was() -> None:
    calls = [0]

    def two_visits(facts: lq.frameworks.Facts) -> lq.frameworks.CheckResult:
        calls[0] += 1
        if calls[0] == 1:
            raise TimeoutError("the CRM lookup timed out")
        n = facts.count("visit")
        verdict = lq.Verdict.PASS if n >= 2 else lq.Verdict.FAIL
        return lq.frameworks.CheckResult("two", verdict, f"{n} visits")

    framework = lq.Framework("f", [lq.frameworks.FunctionCheck("two", two_visits)])
    machine = StageMachine(
        [lq.Stage("A", 0), lq.Stage("B", 1)], [lq.Transition("A", "B", lq.FrameworkPassed())]
    )
    q = Qualifier(PointsModel(), machine, framework)
    lead = Lead("L")
    history = [Event("L", "visit", at=START, id="e1")]
    state = q.start(lead)
    state.apply_all(history)
    with pytest.raises(TimeoutError):
        state.qualification(as_of=AS_OF)
    assert state.qualification(as_of=AS_OF) == oracle_qualify(q, lead, history, AS_OF)


def test_an_event_a_model_refuses_is_not_half_applied() -> None:
    class Picky(lq.ReplayState):
        def apply(self, event: Event) -> None:
            if event.properties.get("bad"):
                raise ValueError("refused by the model")
            super().apply(event)

    class PickyModel:
        def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> lq.Score:
            n = sum(1 for e in events if e.at <= as_of)
            return lq.Score(total=n, fit=0, engagement=n)

        def start(self, lead: Lead) -> Picky:
            return Picky(self, lead)

    engine = Engine(RuleSet("r", "1", model=PickyModel(), stages=StageMachine.default()))
    engine.add_lead(Lead("L"))
    bad = Event("L", "x", at=START, properties={"bad": True}, id="b")
    good = Event("L", "x", at=START + timedelta(days=1), id="g")
    with pytest.raises(ValueError, match="refused"):
        engine.apply([bad, good])
    engine.apply([good])  # delivered again: applied now, not taken for a copy
    assert [e.id for e in engine.state("L").events] == ["g"]
    assert sorted(engine._ids) == ["g"]
    assert engine.get("L", as_of=AS_OF).score.total == 1


def test_a_rule_set_with_a_guard_of_your_own_snapshots() -> None:
    class Always(lq.stages.Guard):
        def holds(self, ctx: lq.stages.GuardContext) -> bool:
            return True

    rules = RuleSet(
        "r",
        "1",
        model=PointsModel(),
        stages=StageMachine(
            [lq.Stage("A", 0), lq.Stage("B", 1)], [lq.Transition("A", "B", Always())]
        ),
    )
    engine = Engine(rules)
    engine.add_lead(Lead("L"))
    engine.apply(Event("L", "x", at=START))
    again = Engine.from_dict(engine.to_dict(), rules)
    assert again.get("L", as_of=AS_OF) == engine.get("L", as_of=AS_OF)


def test_a_snapshot_does_not_share_the_events_own_properties() -> None:
    engine = Engine(lq.default_ruleset())
    engine.add_lead(Lead("L"))
    engine.apply(Event("L", "page_view", at=START, properties={"url": "/pricing"}))
    saved = engine.to_dict()
    saved["leads"][0]["events"]["properties"][0]["url"] = "/redacted"
    assert engine.state("L").events[0].properties["url"] == "/pricing"


def test_a_batch_model_that_counts_future_events_still_qualifies_in_time_order() -> None:
    class Careless:  # counts every event it is given, whatever as_of says
        def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> lq.Score:
            n = 100 * len(list(events))
            return lq.Score(total=n, fit=0, engagement=n)

        def start(self, lead: Lead) -> lq.ReplayState:
            return lq.ReplayState(self, lead)

    q = Qualifier(Careless(), StageMachine.default(mql_score=100, sql_requires=None))
    lead = Lead("L")
    history = [Event("L", "x", at=START + timedelta(days=d), id=f"e{d}") for d in (1, 5)]
    state = q.start(lead)
    for event in reversed(history):
        state.apply(event)
    assert state.qualification(as_of=AS_OF) == oracle_qualify(q, lead, history, AS_OF)
    assert state.history[0].at == START + timedelta(days=1)
