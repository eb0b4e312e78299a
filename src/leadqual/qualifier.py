"""The qualifier: one lead through a scoring model, a stage machine and a framework.

>>> from datetime import datetime, timezone
>>> import leadqual as lq
>>> qualifier = lq.Qualifier(
...     model=lq.PointsModel(engagement=[
...         lq.EngagementRule("ebook", "content_download", 60),
...         lq.EngagementRule("demo", "demo_request", 50)]),
...     stages=lq.StageMachine.default(mql_score=100, sql_requires=None),
... )
>>> def at(day):
...     return datetime(2026, 11, day, tzinfo=timezone.utc)
>>> events = [lq.Event("L-1", "content_download", at=at(2)),
...           lq.Event("L-1", "demo_request", at=at(5))]
>>> result = qualifier.qualify(lq.Lead("L-1"), events, as_of=at(24))
>>> result.stage
'SQL'
>>> for record in result.history:
...     print(record)
2026-11-05T00:00:00+00:00 IQL -> MQL: score 110 >= 100
2026-11-05T00:00:00+00:00 MQL -> SQL: demo_request on 2026-11-05
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs

from leadqual._fields import check_keys, parse_timestamp, require_aware, require_text
from leadqual._text import short_number as _num
from leadqual.errors import InvalidTransition, ListenerError, ValidationError
from leadqual.events import Event
from leadqual.frameworks.checks import Activity, Facts
from leadqual.frameworks.framework import Framework, FrameworkResult
from leadqual.leads import Lead
from leadqual.scoring.points import PointsModel, PointsState, check_event
from leadqual.scoring.protocol import Score, ScoringModel
from leadqual.stages.guards import GuardContext
from leadqual.stages.machine import StageMachine, StageState, TransitionRecord

_UTC = timezone.utc

__all__ = ["Decision", "Listener", "Qualification", "QualificationState", "Qualifier"]

#: Called with the lead and each transition record, after the lead's state holds it.
Listener = Callable[[Lead, TransitionRecord], None]


def _target(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    require_text("Decision.target", value)


@attrs.frozen
class Decision:
    """A manual move decided by sales: move the lead to ``target`` at ``at``, and why."""

    target: str = attrs.field(validator=_target)
    at: datetime = attrs.field(validator=lambda i, a, v: require_aware("Decision.at", v))
    reason: str = attrs.field(validator=lambda i, a, v: require_text("Decision.reason", v))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"target": self.target, "at": self.at.isoformat(), "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Rebuild a decision from :meth:`to_dict` output."""
        check_keys("decision", data, ("target", "at", "reason"))
        return cls(data["target"], parse_timestamp("decision.at", data["at"]), data["reason"])


@attrs.frozen
class Qualification:
    """Where a lead stands at ``as_of``, and why.

    ``stage`` is the current stage, ``score`` the score then, ``framework`` the
    framework's result then (``None`` without a framework), and ``history`` every
    transition so far, in time order. ``void`` lists the sales decisions that could
    not apply (a late event changed where the lead stood when the decision was
    dated), each with the reason: decisions are kept as facts, never dropped.
    ``extra_scores`` holds the score of each of the qualifier's extra models (one per
    product line, say) at ``as_of``.
    """

    lead: Lead
    stage: str
    score: Score
    framework: FrameworkResult | None
    history: tuple[TransitionRecord, ...]
    as_of: datetime
    void: tuple[tuple[Decision, str], ...] = ()
    extra_scores: Mapping[str, Score] = attrs.field(factory=dict, hash=False)

    def reached(self) -> tuple[str, ...]:
        """Every stage the lead has been in, in order, the current one last."""
        if not self.history:
            return (self.stage,)
        return (self.history[0].source, *(r.target for r in self.history))

    def explain(self, contributions: int = 3) -> str:
        """Why the lead is where it is, in plain words."""
        lines = [f"{self.lead.id} is {self.stage} as of {self.as_of.isoformat()}"]
        if self.history:
            last = self.history[-1]
            lines.append(
                f"  since {last.at.isoformat()}: {last.source} -> {last.target} ({last.reason})"
            )
            path = " -> ".join(self.reached())
            lines.append(f"  path: {path}")
        else:
            lines.append("  no transition yet")
        score = self.score
        lines.append(
            f"  score {_num(score.total)} (fit {_num(score.fit)}, "
            f"engagement {_num(score.engagement)})"
            + (f", grade {score.grade}" if score.grade is not None else "")
        )
        for rule, points in score.top_rules(contributions):
            lines.append(f"    {points:+.1f} {rule}")
        for name, extra in self.extra_scores.items():
            lines.append(f"  score {name}: {_num(extra.total)}")
        for decision, why in self.void:
            lines.append(
                f"  decision not applied: {decision.target} on {decision.at.isoformat()} ({why})"
            )
        if self.framework is not None:
            lines.append(f"  {self.framework.name}: {self.framework.verdict.value}")
            for result in self.framework.results:
                lines.append(f"    {result}")
            if self.framework.missing:
                lines.append(f"  ask next: {', '.join(self.framework.missing)}")
        return "\n".join(lines)


def _listeners(value: Iterable[Listener]) -> tuple[Listener, ...]:
    items = tuple(value)
    for i, item in enumerate(items):
        if not callable(item):
            raise ValidationError(f"on_transition[{i}]", item, "expected a callable")
    return items


def _extra_models(value: Mapping[str, ScoringModel] | None) -> Mapping[str, ScoringModel]:
    models = dict(value or {})
    for name, model in models.items():
        require_text("extra_models", name)
        if not isinstance(model, ScoringModel):
            raise ValidationError(f"extra_models.{name}", model, "expected a scoring model")
    return models


def _model(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, ScoringModel):
        raise ValidationError("model", value, "expected a scoring model (score and start)")


def _stages(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, StageMachine):
        raise ValidationError("stages", value, "expected a StageMachine")


def _framework(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Framework):
        raise ValidationError("framework", value, "expected a Framework or None")


@attrs.frozen
class Qualifier:
    """One lead through a scoring model, a stage machine and (optionally) a framework.

    ``qualify`` is the batch form; ``start`` gives a :class:`QualificationState` fed
    one event at a time. Both give the same result for the same events, whatever
    order they arrive in. ``on_transition`` listeners are called by a state for each
    transition it commits (never by ``qualify``, which is a pure what-if).
    """

    model: ScoringModel = attrs.field(validator=_model)
    stages: StageMachine = attrs.field(validator=_stages)
    framework: Framework | None = attrs.field(default=None, validator=_framework)
    on_transition: tuple[Listener, ...] = attrs.field(
        default=(), converter=_listeners, kw_only=True
    )
    extra_models: Mapping[str, ScoringModel] = attrs.field(
        factory=dict, converter=_extra_models, kw_only=True, hash=False
    )

    def start(self, lead: Lead) -> QualificationState:
        """A fresh incremental state for ``lead``."""
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        return QualificationState(self, lead)

    def qualify(
        self,
        lead: Lead,
        events: Iterable[Event],
        *,
        as_of: datetime,
        decisions: Iterable[Decision] = (),
    ) -> Qualification:
        """Qualify ``lead`` from ``events`` (and sales ``decisions``) as of ``as_of``."""
        require_aware("as_of", as_of)
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        state = QualificationState(self, lead, notify=False)
        state.apply_all(events, decisions)
        return state.qualification(as_of)


class QualificationState:
    """A lead's incremental qualification (owned by one caller; not thread-safe).

    Events are applied in time order: each instant's events are scored together,
    then the automatic transitions are tried at that instant. An event that arrives
    late (at or before the latest instant already processed) makes the state replay
    the lead's history, so the result always equals batch qualification. A listener
    learns of each record the state commits; after a replay, of the records past the
    part of the path that did not change (a replay that only retimes a move the
    listener already heard of is not announced again).
    """

    __slots__ = (
        "_decisions",
        "_events",
        "_ids",
        "_timeline",
        "lead",
        "notify",
        "qualifier",
    )

    def __init__(
        self, qualifier: Qualifier, lead: Lead, *, notify: bool = True, track_ids: bool = True
    ) -> None:
        self.qualifier = qualifier
        self.lead = lead
        self.notify = notify
        self._events: list[Event] = []
        # None when the owner (an Engine) deduplicates event ids across all its leads
        self._ids: dict[str, Event] | None = {} if track_ids else None
        self._decisions: list[Decision] = []
        self._timeline = _Timeline(qualifier, lead)

    @property
    def stage(self) -> str:
        """The stage after the last event or decision applied."""
        return self._timeline.journey.stage

    @property
    def history(self) -> tuple[TransitionRecord, ...]:
        """The transitions committed so far."""
        return tuple(self._timeline.journey.history)

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event applied (each id once), in time order."""
        return tuple(self._events)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Every decision applied, in the order made."""
        return tuple(self._decisions)

    @property
    def void(self) -> tuple[tuple[Decision, str], ...]:
        """Decisions that could not apply after a late event, with the reason."""
        return tuple(self._timeline.void)

    @property
    def last_moment(self) -> datetime | None:
        """The time of the latest event or decision processed."""
        moments = [e.at for e in self._events[-1:]] + [d.at for d in self._decisions]
        return max(moments) if moments else None

    def apply(self, event: Event) -> None:
        """Take one event into account (the same event id twice counts once)."""
        check_event(self.lead, event, self._ids)
        if event.id is not None and self._ids is not None and event.id in self._ids:
            return
        self._apply_checked(event)

    def _apply_checked(self, event: Event) -> None:
        """Apply an event of this lead whose id is known to be new."""
        timeline = self._timeline
        if timeline.last is not None and event._ts <= timeline.last:
            self._replace([*self._events, event], self._decisions)
        else:
            history = timeline.journey.history
            before = len(history)
            timeline.feed(event)
            self._commit_ids(event)
            self._events.append(event)  # later than every event so far: stays sorted
            if len(history) != before:
                self._announce(history[before:])

    def apply_all(self, events: Iterable[Event], decisions: Iterable[Decision] = ()) -> None:
        """Apply many events (and decisions) at once: one replay, in time order."""
        fresh: list[Event] = []
        ids = None if self._ids is None else dict(self._ids)
        for event in events:
            check_event(self.lead, event, ids)
            if event.id is not None and ids is not None:
                if event.id in ids:
                    continue
                ids[event.id] = event
            fresh.append(event)
        new_decisions = list(decisions)
        for decision in new_decisions:
            if not isinstance(decision, Decision):
                raise ValidationError("decision", decision, "expected a Decision")
        if fresh or new_decisions:
            self._replace([*self._events, *fresh], [*self._decisions, *new_decisions])

    def decide(self, decision: Decision) -> TransitionRecord:
        """Apply a sales decision (a manual move) at ``decision.at``.

        Raises :class:`~leadqual.errors.InvalidTransition` if the machine does not
        allow it from the stage the lead is in at that moment; the state is then
        unchanged. A decision accepted now may become void later, if a late event
        changes where the lead stood at ``decision.at`` (see :attr:`void`).
        """
        if not isinstance(decision, Decision):
            raise ValidationError("decision", decision, "expected a Decision")
        timeline = self._timeline
        if timeline.last is not None and decision.at.timestamp() < timeline.last:
            self._replace(self._events, [*self._decisions, decision], strict=decision)
        else:
            before = len(timeline.journey.history)
            timeline.decide(decision)
            self._decisions.append(decision)
            self._announce(timeline.journey.history[before:])
        return next(
            r
            for r in reversed(self._timeline.journey.history)
            if not r.auto and r.at == decision.at and r.target == decision.target
        )

    def move(self, target: str, *, at: datetime, reason: str) -> TransitionRecord:
        """Shorthand for :meth:`decide` with a :class:`Decision`."""
        return self.decide(Decision(target, at, reason))

    def qualification(self, as_of: datetime) -> Qualification:
        """Where the lead stands at ``as_of`` (a pure read: nothing is committed).

        Automatic transitions are tried once more at ``as_of`` (a score that decayed
        can demote a lead); such records appear in the result with ``at == as_of``.
        """
        require_aware("as_of", as_of)
        moment = as_of.timestamp()
        timeline = self._timeline
        if timeline.last is not None and moment < timeline.last:
            timeline = _Timeline(self.qualifier, self.lead)
            timeline.replay(
                [e for e in self._events if e.timestamp <= moment],
                [d for d in self._decisions if d.at <= as_of],
            )
        result = timeline.read(as_of)
        extra = self.qualifier.extra_models
        if not extra:
            return result
        events = [e for e in self._events if e.timestamp <= moment]
        scores = {name: m.score(self.lead, events, as_of=as_of) for name, m in extra.items()}
        return attrs.evolve(result, extra_scores=scores)

    def _replace(
        self, events: list[Event], decisions: list[Decision], strict: Decision | None = None
    ) -> None:
        """Replay everything; a past decision that no longer applies becomes void, except
        ``strict`` (a decision being made now), which raises and changes nothing."""
        ordered = sorted(events, key=Event.sort_key)
        timeline = _Timeline(self.qualifier, self.lead)
        timeline.replay(ordered, decisions, strict=strict)
        old = list(self._timeline.journey.history)
        self._timeline = timeline
        self._events = ordered
        self._decisions = list(decisions)
        for event in ordered:
            self._commit_ids(event)
        self._announce_changes(old)

    def _announce_changes(self, old: Sequence[TransitionRecord]) -> None:
        """Announce the records past the path ``old`` and the current history share (a
        replay may only retime moves listeners already heard of)."""
        new = self._timeline.journey.history
        same = 0
        while same < min(len(old), len(new)) and (old[same].source, old[same].target) == (
            new[same].source,
            new[same].target,
        ):
            same += 1
        self._announce(new[same:])

    def _commit_ids(self, event: Event) -> None:
        if event.id is not None and self._ids is not None:
            self._ids[event.id] = event

    def _announce(self, records: Sequence[TransitionRecord]) -> None:
        if not self.notify or not records:
            return
        errors: list[tuple[Any, BaseException]] = []
        for record in records:
            for listener in self.qualifier.on_transition:
                try:
                    listener(self.lead, record)
                except Exception as exc:  # a listener must not corrupt the state
                    errors.append((record, exc))
        if errors:
            raise ListenerError(errors)


class _Timeline:
    """The lead's history processed in time order: scoring state, activity, stage."""

    __slots__ = ("_auto", "activity", "journey", "last", "lead", "qualifier", "scoring", "void")

    def __init__(self, qualifier: Qualifier, lead: Lead) -> None:
        self.qualifier = qualifier
        self.lead = lead
        model = qualifier.model
        # the qualification state guards event ids itself: the points state needs no index
        self.scoring = (
            model.start(lead, track_ids=False)
            if isinstance(model, PointsModel)
            else model.start(lead)
        )
        self.activity: dict[str, Activity] = {}
        self.journey: StageState = qualifier.stages.start()
        self.last: float | None = None  # the latest instant processed
        self.void: list[tuple[Decision, str]] = []
        self._auto = qualifier.stages._auto_sources

    def replay(
        self,
        events: Sequence[Event],
        decisions: Sequence[Decision],
        strict: Decision | None = None,
    ) -> None:
        """Process sorted ``events`` and ``decisions`` in time order, instant by instant.

        Decisions of one instant apply after its events, in the order they were made.
        One that the machine refuses then is kept as void (``strict`` raises instead).
        """
        pending = sorted(decisions, key=lambda d: d.at)  # stable: the order made
        i, n = 0, len(events)
        while i < n:
            at = events[i].timestamp
            while pending and pending[0].at.timestamp() < at:
                self._decide_or_void(pending.pop(0), strict)
            j = i
            while j < n and events[j].timestamp == at:
                j += 1
            self._feed_instant(events[i:j])
            i = j
        for decision in pending:
            self._decide_or_void(decision, strict)

    def _decide_or_void(self, decision: Decision, strict: Decision | None) -> None:
        try:
            self.decide(decision)
        except InvalidTransition as exc:
            if decision is strict:
                raise
            self.void.append((decision, str(exc)))

    def feed(self, event: Event) -> None:
        """Process one event later than everything processed so far."""
        self._feed_instant([event])

    def _feed_instant(self, events: Sequence[Event]) -> None:
        apply = self.scoring.apply
        activity = self.activity
        for event in events:
            apply(event)
            seen = activity.get(event.type)
            if seen is None:
                activity[event.type] = Activity._trusted(1, event.at, event.at)
            else:
                activity[event.type] = Activity._trusted(seen.count + 1, seen.first, event.at)
        first = events[0]
        self.last = first._ts
        if self.journey.stage not in self._auto:
            return  # no automatic transition out of this stage: nothing to try
        # in UTC: checks that read calendar dates must not depend on the offset an
        # event happened to be written with
        at = first.at
        moment = at if at.tzinfo is _UTC else datetime.fromtimestamp(first._ts, _UTC)
        self.qualifier.stages.advance(self.journey, self._context(moment))

    def decide(self, decision: Decision) -> None:
        ctx = self._context(decision.at)
        self.qualifier.stages.move(
            self.journey, decision.target, at=decision.at, reason=decision.reason, ctx=ctx
        )
        self.last = decision.at.timestamp()
        self.qualifier.stages.advance(self.journey, ctx)

    def _context(self, moment: datetime) -> GuardContext:
        """The guards' view of ``moment``; score and framework are computed if read."""
        framework = self.qualifier.framework
        activity = MappingProxyType(self.activity)  # read now, while the guards run
        scoring = self.scoring

        def evaluate() -> FrameworkResult | None:
            if framework is None:
                return None
            return framework.evaluate(Facts._trusted(self.lead, moment, activity))

        return GuardContext(
            lead=self.lead,
            score=lambda: scoring.score(moment),
            as_of=moment,
            activity=activity,
            framework=evaluate,
            stage_entered_at=self.journey.entered_at,
            score_bound=(
                (lambda: scoring._upper_bound(moment.timestamp()))
                if isinstance(scoring, PointsState)
                else None
            ),
        )

    def read(self, as_of: datetime) -> Qualification:
        ctx = self._context(as_of)
        journey = self.journey.copy()
        self.qualifier.stages.advance(journey, ctx)
        return Qualification(
            lead=self.lead,
            stage=journey.stage,
            score=ctx.score,
            framework=ctx.framework,
            history=tuple(journey.history),
            as_of=as_of,
            void=tuple(self.void),
        )
