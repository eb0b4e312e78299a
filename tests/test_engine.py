"""Engine: many leads over one stream, out-of-order and duplicate events, snapshots."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadqual as lq
import leadqual.engine as engine_module
from leadqual import Engine, Event, Lead, ValidationError
from leadqual.errors import SnapshotError
from leadqual.testing import events

UTC = timezone.utc
T0 = datetime(2026, 11, 1, tzinfo=UTC)
RULES = lq.RuleSet(
    "test",
    "1",
    model=lq.PointsModel(
        engagement=[
            lq.EngagementRule("ebook", "content_download", 60),
            lq.EngagementRule("demo", "demo_request", 50),
            lq.EngagementRule("view", "page_view", 10, max_per_day=1),
        ],
        decay=lq.HalfLife(days=30),
    ),
    stages=lq.StageMachine.default(mql_score=100, sql_requires=None),
)


def ev(lead: str, type_: str, day: float, id_: str | None = None) -> Event:
    return Event(lead, type_, at=T0 + timedelta(days=day), id=id_)


def test_many_leads() -> None:
    engine = Engine(RULES)
    for i in range(3):
        engine.add_lead(Lead(f"L-{i}"))
    engine.apply([ev("L-0", "content_download", 1), ev("L-0", "demo_request", 2)])
    engine.apply(ev("L-1", "content_download", 1))
    assert engine.lead_ids(stage="SQL") == ["L-0"]
    assert engine.lead_ids(stage="IQL") == ["L-1", "L-2"]
    assert engine.get("L-0").stage == "SQL"
    assert [(lid, r.target) for lid, r in engine.transitions()] == [("L-0", "MQL"), ("L-0", "SQL")]
    assert list(engine.transitions(since=T0 + timedelta(days=3))) == []
    assert len(engine) == 3
    assert "L-1" in engine
    assert engine.now() == T0 + timedelta(days=2)


def test_unknown_leads_are_held_or_refused() -> None:
    engine = Engine(RULES)
    engine.apply([ev("L-9", "content_download", 1), ev("L-9", "demo_request", 2)])
    assert engine.pending() == {"L-9": 2}
    engine.add_lead(Lead("L-9"))
    assert engine.pending() == {}
    assert engine.get("L-9").stage == "SQL"
    strict = Engine(RULES, unknown_leads="raise")
    with pytest.raises(lq.ValidationError) as info:
        strict.apply(ev("L-9", "content_download", 1))
    assert info.value.field == "event.lead_id"


def test_duplicates_across_the_stream() -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    e = ev("L-1", "content_download", 1, "e1")
    engine.apply([e, e, Event.from_dict(e.to_dict())])
    assert engine.get("L-1").score.total == 60
    engine.add_lead(Lead("L-2"))
    with pytest.raises(lq.errors.DuplicateEventError):
        engine.apply(ev("L-2", "page_view", 1, "e1"))  # one id, another lead


def test_errors() -> None:
    engine = Engine(RULES)
    with pytest.raises(lq.ValidationError):
        engine.get("nobody")
    engine.add_lead(Lead("L-1"))
    with pytest.raises(lq.ValidationError, match="pass as_of"):
        engine.get("L-1")
    engine.add_lead(Lead("L-2"))
    with pytest.raises(lq.ValidationError, match="already"):
        engine.add_lead(Lead("L-2"))
    with pytest.raises(lq.ValidationError):
        Engine(RULES, unknown_leads="drop")  # type: ignore[arg-type]


def test_injected_clock() -> None:
    engine = Engine(RULES, clock=lambda: T0 + timedelta(days=90))
    engine.add_lead(Lead("L-1"))
    engine.apply([ev("L-1", "content_download", 1), ev("L-1", "content_download", 2)])
    assert engine.get("L-1").as_of == T0 + timedelta(days=90)
    assert engine.get("L-1").score.total < 60  # decayed by the clock's time


def test_update_lead_replays_history() -> None:
    rules = attrs.evolve(
        RULES,
        model=lq.PointsModel(
            fit=[lq.FitRule("big", lq.Attr("employees") >= 100, 50)],
            engagement=list(RULES.model.engagement),
        ),
    )
    engine = Engine(rules)
    engine.add_lead(Lead("L-1"))
    engine.apply(ev("L-1", "content_download", 1))
    assert engine.get("L-1").stage == "IQL"
    engine.update_lead(Lead("L-1", attributes={"employees": 500}))
    assert engine.get("L-1").stage == "MQL"


def test_manual_moves_and_rescore() -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    engine.add_lead(Lead("L-2"))
    engine.apply([ev("L-1", "content_download", 1), ev("L-1", "demo_request", 1)])
    engine.apply(ev("L-2", "content_download", 1))
    engine.move("L-1", "OPPORTUNITY", at=T0 + timedelta(days=2), reason="accepted")
    assert engine.lead_ids(stage="OPPORTUNITY") == ["L-1"]
    stricter = attrs.evolve(
        RULES, version="2", stages=lq.StageMachine.default(mql_score=50, sql_requires=None)
    )
    report = engine.rescore(stricter)
    assert report.leads == 2
    assert report.moved("IQL", "MQL") == ("L-2",)
    assert "1 of 2 leads change stage" in str(report)
    assert engine.get("L-2").stage == "IQL"  # the engine itself is unchanged


def test_snapshot_round_trip(tmp_path: Path) -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1", attributes={"title": "VP"}))
    engine.apply([ev("L-1", "content_download", 1, "a"), ev("L-1", "demo_request", 2, "b")])
    engine.apply(ev("L-7", "page_view", 3, "c"))  # held
    engine.move("L-1", "OPPORTUNITY", at=T0 + timedelta(days=4), reason="accepted")
    path = tmp_path / "state.json"
    engine.snapshot(path)
    restored = Engine.restore(path, RULES)
    assert restored.to_dict() == engine.to_dict()
    assert restored.get("L-1") == engine.get("L-1")
    assert restored.pending() == {"L-7": 1}
    restored.apply(ev("L-1", "demo_request", 2, "b"))  # the id index survived
    assert restored.get("L-1") == engine.get("L-1")


def test_restore_refuses_other_rules_and_damage(tmp_path: Path) -> None:
    engine = Engine(RULES)
    path = tmp_path / "state.json"
    engine.snapshot(path)
    with pytest.raises(SnapshotError, match="test@1, not test@2"):
        Engine.restore(path, attrs.evolve(RULES, version="2"))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SnapshotError, match="not valid JSON"):
        Engine.restore(path, RULES)
    path.write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(SnapshotError, match="not a leadqual engine snapshot"):
        Engine.restore(path, RULES)
    with pytest.raises(SnapshotError, match="cannot be read"):
        Engine.restore(tmp_path / "missing.json", RULES)
    good = engine.to_dict()
    del good["leads"]
    with pytest.raises(SnapshotError, match="damaged"):
        Engine.from_dict(good, RULES)


def test_a_crash_while_writing_leaves_the_old_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    path = tmp_path / "state.json"
    engine.snapshot(path)
    before = path.read_bytes()
    engine.apply(ev("L-1", "content_download", 1))

    real = engine_module.atomic_path_writer

    @contextlib.contextmanager
    def crash(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real(*args, **kwargs) as out:
            out.write('{"format": "leadqual-engine-snap')  # half written, then the disk fills
            raise OSError("disk full")
            yield out

    monkeypatch.setattr(engine_module, "atomic_path_writer", crash)
    with pytest.raises(OSError, match="disk full"):
        engine.snapshot(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left
    monkeypatch.undo()
    assert Engine.restore(path, RULES).lead_ids() == ["L-1"]


streams = st.lists(
    events(lead_ids=("L-1", "L-2", "L-3"), span=timedelta(days=60), with_ids=True), max_size=30
).map(lambda es: list({e.id: e for e in es}.values()))


@given(streams, st.integers(0, 30), st.randoms(use_true_random=False))
def test_out_of_order_and_restore_equal_one_sorted_run(
    stream: list[Event], cut: int, rnd: object
) -> None:
    as_of = datetime(2026, 3, 15, tzinfo=UTC)
    leads = [Lead("L-1"), Lead("L-2", attributes={"title": "VP"}), Lead("L-3")]
    reference = Engine(RULES)
    for lead in leads:
        reference.add_lead(lead)
    reference.apply(sorted(stream))

    shuffled = list(stream)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, rest = shuffled[:cut], shuffled[cut:]
    engine = Engine(RULES)
    engine.add_lead(leads[0])
    engine.apply(first)
    for lead in leads[1:]:
        engine.add_lead(lead)
    restored = Engine.from_dict(json.loads(json.dumps(engine.to_dict())), RULES)
    restored.apply(rest)
    restored.apply(first[:3])  # redelivered
    for lead in leads:
        assert restored.get(lead.id, as_of=as_of) == reference.get(lead.id, as_of=as_of)


def test_update_lead_announces_only_changes() -> None:
    heard: list[str] = []
    engine = Engine(RULES, on_transition=[lambda lead, record: heard.append(record.target)])
    engine.add_lead(Lead("L-1"))
    engine.apply([ev("L-1", "content_download", 1), ev("L-1", "demo_request", 2)])
    assert heard == ["MQL", "SQL"]
    engine.update_lead(Lead("L-1", attributes={"employees": 301}))
    assert heard == ["MQL", "SQL"]
    with pytest.raises(lq.ValidationError):
        engine.update_lead("L-1")  # type: ignore[arg-type]


def test_a_failing_listener_loses_no_event_of_the_batch() -> None:
    def crm(lead: Lead, record: lq.TransitionRecord) -> None:
        raise ConnectionError("down")

    engine = Engine(RULES, on_transition=[crm])
    engine.add_lead(Lead("L-1"))
    batch = [
        ev("L-1", "content_download", 1, "d0"),
        ev("L-1", "content_download", 2, "d1"),
        ev("L-1", "demo_request", 3, "d2"),
        ev("L-1", "page_view", 4, "d3"),
    ]
    with pytest.raises(lq.errors.ListenerError) as info:
        engine.apply(batch)
    assert len(info.value.errors) == 2  # MQL and SQL could not be pushed
    assert set(engine._ids) == {"d0", "d1", "d2", "d3"}
    assert len(engine._states["L-1"].events) == 4
    engine.apply(batch[1])  # a redelivery is still recognised


def test_rescore_with_rules_that_lack_a_decided_stage() -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    engine.apply(ev("L-1", "page_view", 1))
    engine.move("L-1", "DISQUALIFIED", at=T0 + timedelta(days=2), reason="competitor")
    small = lq.RuleSet(
        "small",
        "1",
        model=RULES.model,
        stages=lq.StageMachine(
            [lq.Stage("A", 0), lq.Stage("B", 1)], [lq.Transition("A", "B", lq.ScoreAtLeast(1))]
        ),
    )
    report = engine.rescore(small)
    assert [(c.before, c.after) for c in report.changes] == [("DISQUALIFIED", "B")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(ruleset="x"),
        lambda d: d.update(pending=[1]),
        lambda d: d.update(unknown_leads="drop"),
        lambda d: d["pending"].update({"L-1": []}),
        lambda d: d["pending"].update(
            {"L-9": [{"lead_id": "L-8", "type": "t", "at": "2026-11-01T00:00:00+00:00"}]}
        ),
    ],
)
def test_damaged_snapshots_are_snapshot_errors(damage: object) -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    data = engine.to_dict()
    damage(data)  # type: ignore[operator]
    with pytest.raises(SnapshotError):
        Engine.from_dict(data, RULES)


def test_snapshot_in_another_encoding(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(SnapshotError, match="not valid JSON"):
        Engine.restore(path, RULES)


def test_extra_models_are_reported_beside_the_main_score() -> None:
    product_a = lq.PointsModel(engagement=[lq.EngagementRule("a-demo", "demo_request", 70)])
    rules = attrs.evolve(RULES, extra_models={"product-a": product_a})
    engine = Engine(rules)
    engine.add_lead(Lead("L-1"))
    engine.apply([ev("L-1", "content_download", 1), ev("L-1", "demo_request", 2)])
    q = engine.get("L-1")
    assert q.extra_scores["product-a"].total == 70
    assert "score product-a: 70" in q.explain()
    early = engine.get("L-1", as_of=T0 + timedelta(days=1, hours=1))
    assert early.extra_scores["product-a"].total == 0  # the demo came later
    batch = rules.qualifier().qualify(
        Lead("L-1"),
        [ev("L-1", "content_download", 1), ev("L-1", "demo_request", 2)],
        as_of=engine.now(),
    )
    assert batch == q


def test_a_copy_written_with_another_offset_counts_once() -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    e = ev("L-1", "content_download", 1, "e1")
    copy = Event.from_dict({**e.to_dict(), "at": e.at.astimezone(timezone(timedelta(hours=2)))})
    assert copy != e
    assert copy.same_occurrence(e)
    engine.apply([e, copy])
    assert engine.get("L-1").score.total == 60
    state = RULES.model.start(Lead("L-1"), track_ids=False)
    state.apply(e)
    state.apply(copy)
    assert state.score(engine.now()).total == 60


def test_lead_ids_by_stage_now_or_as_of_a_moment_and_the_old_name_warns() -> None:
    engine = Engine(RULES)
    engine.add_lead(Lead("L-1"))
    engine.add_lead(Lead("L-2"))
    engine.apply([ev("L-1", "content_download", 1, "a"), ev("L-1", "content_download", 2, "b")])
    now = engine.lead_ids(stage="MQL")
    assert now == [i for i in engine.lead_ids() if engine.get(i).stage == "MQL"]
    much_later = engine.now() + timedelta(days=3650)
    assert engine.lead_ids(stage="MQL", as_of=much_later) == [
        i for i in engine.lead_ids() if engine.get(i, as_of=much_later).stage == "MQL"
    ]
    with pytest.warns(DeprecationWarning, match="lead_ids"):
        assert engine.leads("MQL") == now  # type: ignore[deprecated]
    with pytest.raises(lq.ValidationError):
        engine.lead_ids(stage="NOPE")


def test_as_of_by_position_still_works_with_a_warning_naming_the_call() -> None:
    from leadqual.analytics.funnel import journeys_from_engine
    from leadqual.frameworks import Facts

    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    engine = Engine(lq.default_ruleset())
    engine.add_lead(Lead("L-1"))
    engine.apply(Event("L-1", "content_download", at=at, id="e1"))
    later = at + timedelta(days=1)
    expected = engine.get("L-1", as_of=later)
    with pytest.warns(DeprecationWarning, match="Engine.get: pass as_of by keyword"):
        assert engine.get("L-1", later) == expected  # type: ignore[call-overload]
    state = engine.state("L-1")
    with pytest.warns(DeprecationWarning, match="QualificationState.qualification: pass as_of"):
        assert state.qualification(later) == expected  # type: ignore[call-overload]
    with pytest.warns(DeprecationWarning, match="journeys_from_engine: pass as_of"):
        assert journeys_from_engine(engine, later) == journeys_from_engine(engine, as_of=later)
    with pytest.warns(DeprecationWarning, match="Facts.from_events: pass as_of"):
        old = Facts.from_events(Lead("L-1"), [], later)
    assert old == Facts.from_events(Lead("L-1"), [], as_of=later)
    with (
        pytest.warns(DeprecationWarning, match="Engine.get"),
        pytest.raises(ValidationError, match="given twice"),
    ):
        engine.get("L-1", later, as_of=later)  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="as_of: is required"):
        state.qualification()  # type: ignore[call-overload]
