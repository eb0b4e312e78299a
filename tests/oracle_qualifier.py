"""The qualifier as it was before checkpoints: a full replay of a lead's sorted history.

Slow and obvious on purpose (no checkpoints, no score bound, no deferred walks): the
property tests compare the engine's incremental, checkpointed states with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import pytest

import leadqual.qualifier as qualifier_module
from leadqual import Decision, Event, Lead, Qualification, Qualifier
from leadqual.errors import InvalidTransition
from leadqual.frameworks.checks import Activity, Facts
from leadqual.stages.guards import GuardContext

_UTC = timezone.utc


def oracle_qualify(
    qualifier: Qualifier,
    lead: Lead,
    events: Iterable[Event],
    as_of: datetime,
    decisions: Iterable[Decision] = (),
) -> Qualification:
    """Qualify by replaying every event (each id once) and decision up to ``as_of``."""
    unique: dict[object, Event] = {}
    for e in events:
        unique.setdefault(e.id if e.id is not None else object(), e)
    moment = as_of.timestamp()
    history = sorted((e for e in unique.values() if e.timestamp <= moment), key=Event.sort_key)
    made = [d for d in decisions if d.at <= as_of]
    scoring = qualifier.model.start(lead)
    activity: dict[str, Activity] = {}
    stages = qualifier.stages
    journey = stages.start()
    void: list[tuple[Decision, str]] = []

    def context(at: datetime) -> GuardContext:
        frozen = MappingProxyType(dict(activity))
        framework = qualifier.framework
        return GuardContext(
            lead=lead,
            score=lambda: scoring.score(at),
            as_of=at,
            activity=frozen,
            framework=lambda: (
                None if framework is None else framework.evaluate(Facts(lead, at, frozen))
            ),
            stage_entered_at=journey.entered_at,
        )

    def decide(decision: Decision) -> None:
        ctx = context(decision.at)
        try:
            stages.move(journey, decision.target, at=decision.at, reason=decision.reason, ctx=ctx)
        except InvalidTransition as exc:
            void.append((decision, str(exc)))
            return
        stages.advance(journey, ctx)

    pending = sorted(made, key=lambda d: d.at)
    i = 0
    while i < len(history):
        at = history[i].timestamp
        while pending and pending[0].at.timestamp() < at:
            decide(pending.pop(0))
        j = i
        while j < len(history) and history[j].timestamp == at:
            e = history[j]
            scoring.apply(e)
            seen = activity.get(e.type)
            first = e.at if seen is None else seen.first
            activity[e.type] = Activity(1 if seen is None else seen.count + 1, first, e.at)
            j += 1
        moment_at = datetime.fromtimestamp(at, _UTC)
        stages.advance(journey, context(moment_at))
        i = j
    for decision in pending:
        decide(decision)
    ctx = context(as_of)
    final = journey.copy()
    stages.advance(final, ctx)
    return Qualification(
        lead=lead,
        stage=final.stage,
        score=ctx.score,
        framework=ctx.framework,
        history=tuple(final.history),
        as_of=as_of,
        void=tuple(void),
    )


def count_walked_events(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the events the qualification states walk through from now on (in ``[0]``)."""
    fed = [0]
    original = qualifier_module.QualificationState._feed

    def feed(self: Any, walk: Any, events: list[Event], i: int, j: int) -> None:
        fed[0] += j - i
        original(self, walk, events, i, j)

    monkeypatch.setattr(qualifier_module.QualificationState, "_feed", feed)
    return fed
