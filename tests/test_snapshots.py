"""Engine snapshots: state and checkpoints saved, restored without walking the logs again."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.oracle_qualifier import count_walked_events, oracle_qualify

import leadqual as lq
import leadqual.qualifier as qualifier_module
from leadqual import Decision, Engine, Event, Lead
from leadqual.engine import SNAPSHOT_VERSION
from leadqual.errors import SnapshotError
from leadqual.testing import events

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = START + timedelta(days=100)
RULES = lq.default_ruleset()
PEOPLE = [
    Lead("L-1"),
    Lead("L-2", attributes={"title": "VP Sales", "employees": 300, "budget": 50_000}),
    Lead("L-3", attributes={"title": "Engineer"}),
]


def _engine(stream: list[Event], decisions: list[tuple[str, Decision]]) -> Engine:
    engine = Engine(RULES)
    for lead in PEOPLE[:2]:
        engine.add_lead(lead)
    engine.apply(stream)  # L-3's events are held
    for lead_id, decision in decisions:
        engine._states[lead_id].apply_all((), [decision])
    return engine


def _roundtrip(engine: Engine) -> Engine:
    return Engine.from_dict(json.loads(json.dumps(engine.to_dict())), RULES)


streams = st.lists(
    events(lead_ids=("L-1", "L-2", "L-3"), span=timedelta(days=90), with_ids=None),
    max_size=40,
).map(lambda es: [attrs.evolve(e, id=f"e{i}") if e.id else e for i, e in enumerate(es)])
decision_lists = st.lists(
    st.tuples(
        st.sampled_from(["L-1", "L-2"]),
        st.builds(
            Decision,
            st.sampled_from(["SQL", "NURTURE", "DISQUALIFIED", "OPPORTUNITY"]),
            st.integers(0, 95 * 24).map(lambda h: START + timedelta(hours=h)),
            st.just("call"),
        ),
    ),
    max_size=3,
    unique_by=lambda pair: pair[1].at,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=streams, decisions=decision_lists, data=st.data())
def test_a_restored_engine_equals_the_one_saved_and_goes_on_alike(
    monkeypatch: pytest.MonkeyPatch,
    stream: list[Event],
    decisions: list[tuple[str, Decision]],
    data: st.DataObject,
) -> None:
    monkeypatch.setattr(qualifier_module, "CHECKPOINT_EVERY", 2)
    cut = data.draw(st.integers(0, len(stream)))
    first, rest = stream[:cut], stream[cut:]
    engine = _engine(first, decisions)
    restored = _roundtrip(engine)
    past = START + timedelta(hours=data.draw(st.integers(0, 95 * 24)))
    for lead in PEOPLE[:2]:
        for moment in (AS_OF, past):
            assert restored.get(lead.id, as_of=moment) == engine.get(lead.id, as_of=moment)
    assert restored.pending() == engine.pending()
    late = list(rest)
    random.Random(cut).shuffle(late)
    restored.apply(late)
    restored.add_lead(PEOPLE[2])
    q = RULES.qualifier()
    for lead in PEOPLE:
        mine = [e for e in stream if e.lead_id == lead.id]
        made = [d for who, d in decisions if who == lead.id]
        assert restored.get(lead.id, as_of=AS_OF) == oracle_qualify(q, lead, mine, AS_OF, made)


def test_restore_walks_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    history = [
        Event(lead.id, "content_download", at=START + timedelta(hours=h), id=f"{lead.id}-{h}")
        for lead in PEOPLE
        for h in range(0, 300, 3)
    ]
    engine = Engine(RULES)
    for lead in PEOPLE:
        engine.add_lead(lead)
    engine.apply(history)
    before = {lead.id: engine.get(lead.id, as_of=AS_OF) for lead in PEOPLE}
    engine.snapshot(tmp_path / "state.json")
    fed = count_walked_events(monkeypatch)
    restored = Engine.restore(tmp_path / "state.json", RULES)
    assert {lead.id: restored.get(lead.id, as_of=AS_OF) for lead in PEOPLE} == before
    assert fed[0] == 0
    # a late event walks from a restored checkpoint, not from the lead's start
    restored.apply(Event("L-1", "demo_request", at=START + timedelta(hours=290, minutes=1)))
    restored.get("L-1", as_of=AS_OF)
    assert 0 < fed[0] <= qualifier_module.CHECKPOINT_EVERY + 5


def test_a_snapshot_of_the_previous_format_is_read_by_walking_it_once() -> None:
    stream = [
        Event("L-1", "content_download", at=START + timedelta(days=d), id=f"e{d}") for d in range(5)
    ]
    decision = Decision("NURTURE", START + timedelta(days=10), "not now")
    old = {
        "format": "leadqual-engine-snapshot",
        "version": 1,
        "ruleset": {"name": RULES.name, "version": RULES.version},
        "unknown_leads": "hold",
        "leads": [
            {
                "lead": PEOPLE[0].to_dict(),
                "events": [e.to_dict() for e in stream],
                "decisions": [decision.to_dict()],
            }
        ],
        "pending": {"L-9": [Event("L-9", "page_view", at=START, id="x").to_dict()]},
    }
    restored = Engine.from_dict(old, RULES)
    q = RULES.qualifier()
    assert restored.get("L-1", as_of=AS_OF) == oracle_qualify(
        q, PEOPLE[0], stream, AS_OF, [decision]
    )
    assert restored.pending() == {"L-9": 1}
    assert restored.to_dict()["version"] == SNAPSHOT_VERSION


def test_a_snapshot_of_format_2_events_as_rows_is_read_without_walking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = [
        Event("L-1", "content_download", at=START + timedelta(days=d), id=f"e{d}") for d in range(5)
    ] + [
        Event("L-2", "page_view", at=START + timedelta(hours=h), properties={"url": "/pricing"})
        for h in range(3)
    ]
    engine = _engine(stream, [("L-1", Decision("NURTURE", START + timedelta(days=10), "later"))])
    saved = json.loads(json.dumps(engine.to_dict()))
    for item in saved["leads"]:  # format 2 wrote a row [at, type, properties, id, source]
        mine = [e for e in stream if e.lead_id == item["lead"]["id"]]
        item["events"] = [
            [e.at.isoformat(), e.type, dict(e.properties) or None, e.id, e.source] for e in mine
        ]
    saved["version"] = 2
    fed = count_walked_events(monkeypatch)
    restored = Engine.from_dict(saved, RULES)
    assert fed[0] == 0
    for lead in PEOPLE[:2]:
        assert restored.get(lead.id, as_of=AS_OF) == engine.get(lead.id, as_of=AS_OF)
        assert restored.state(lead.id).events == engine.state(lead.id).events


def test_rules_edited_without_a_version_bump_are_refused() -> None:
    engine = _engine([Event("L-1", "content_download", at=START, id="e1")], [])
    saved = json.loads(json.dumps(engine.to_dict()))
    edited = attrs.evolve(RULES, stages=lq.StageMachine.default(mql_score=5))
    assert edited.label == RULES.label
    with pytest.raises(SnapshotError) as info:
        Engine.from_dict(saved, edited)
    assert "changed since the snapshot" in str(info.value)
    assert "\n" not in str(info.value)
    bumped = attrs.evolve(edited, version="2")
    with pytest.raises(SnapshotError):
        Engine.from_dict(saved, bumped)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: '{"hello": "world"}',  # foreign
        lambda text: text.replace('"content_download"', "17", 1),  # a bad value inside
        lambda text: text.replace('"stage":"', '"stage":"NOPE', 1),  # an unknown stage
    ],
    ids=["truncated", "foreign", "bad-value", "unknown-stage"],
)
def test_a_damaged_snapshot_gives_one_line_and_changes_nothing(tmp_path: Path, damage: Any) -> None:
    engine = _engine([Event("L-1", "content_download", at=START, id="e1")], [])
    path = tmp_path / "state.json"
    engine.snapshot(path)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SnapshotError) as info:
        Engine.restore(path, RULES)
    assert "\n" not in str(info.value)
    assert engine.get("L-1", as_of=AS_OF).stage == "IQL"  # the live engine is untouched


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("leadqual.engine", "SnapshotError"),
        ("leadqual.rulesets", "CodecError"),
        ("leadqual.rulesets.codec", "CodecError"),
        ("leadqual.testing.golden", "GoldenError"),
    ],
)
def test_errors_that_moved_to_leadqual_errors_still_import_with_a_warning(
    module: str, name: str
) -> None:
    import importlib

    import leadqual.errors

    with pytest.warns(DeprecationWarning, match=f"import it from leadqual.errors as {name}"):
        found = getattr(importlib.import_module(module), name)
    assert found is getattr(leadqual.errors, name)
    with pytest.raises(AttributeError):
        importlib.import_module(module).NoSuchName  # noqa: B018


def test_the_snapshot_file_holds_to_dict(tmp_path: Path) -> None:
    stream = [
        Event(lead_id, "page_view", at=START + timedelta(hours=h), properties={"url": "/docs"})
        for h in range(4)
        for lead_id in ("L-1", "L-2", "L-3")  # L-3's are held
    ]
    engine = _engine(stream, [("L-2", Decision("SQL", START + timedelta(hours=2), "call"))])
    engine.snapshot(tmp_path / "state.json")
    written = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(engine.to_dict()))
    assert Engine(RULES).to_dict()["leads"] == []
    empty = tmp_path / "empty.json"
    Engine(RULES).snapshot(empty)
    assert Engine.restore(empty, RULES).to_dict() == Engine(RULES).to_dict()
