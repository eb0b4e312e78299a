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

import inspect
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, MutableMapping, Sequence
from datetime import datetime, timezone
from operator import attrgetter
from types import MappingProxyType
from typing import Any, overload

import attrs
from typing_extensions import deprecated

from leadqual._fields import (
    as_of_by_keyword,
    check_keys,
    checked,
    instance_of,
    parse_timestamp,
    require_aware,
    require_text,
)
from leadqual._text import short_number as _num
from leadqual.errors import (
    DuplicateEventError,
    InvalidTransition,
    ListenerError,
    ValidationError,
)
from leadqual.events import Event, EventDecoder, event_columns
from leadqual.frameworks.checks import Activity, CheckResult
from leadqual.frameworks.framework import Framework, FrameworkResult
from leadqual.leads import Lead
from leadqual.scoring.protocol import Score
from leadqual.stages.guards import GuardContext
from leadqual.stages.machine import StageMachine, StageState, TransitionRecord
from leadqual.typing import Listener, ScoringModel, ScoringState

_UTC = timezone.utc
_TS = attrgetter("_ts")
_LAST = attrgetter("last")

__all__ = [
    "CHECKPOINT_EVERY",
    "Decision",
    "Listener",
    "Qualification",
    "QualificationState",
    "Qualifier",
    "claim_id",
]


@attrs.frozen
class Decision:
    """A manual move decided by sales: move the lead to ``target`` at ``at``, and why."""

    target: str = attrs.field(validator=checked(require_text, "Decision.target"))
    at: datetime = attrs.field(validator=checked(require_aware, "Decision.at"))
    reason: str = attrs.field(validator=checked(require_text, "Decision.reason"))

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


def _takes_track_ids(model: ScoringModel) -> bool:
    try:
        parameters = inspect.signature(model.start).parameters
    except (TypeError, ValueError):
        return False
    option = parameters.get("track_ids")
    return option is not None and option.kind is inspect.Parameter.KEYWORD_ONLY


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


#: The validators of a qualifier's parts (a RuleSet's too).
MODEL = checked(instance_of(ScoringModel, "a scoring model (score and start)"), "model")
STAGES = checked(instance_of(StageMachine, "a StageMachine"), "stages")
FRAMEWORK = checked(instance_of(Framework, "a Framework or None"), "framework", optional=True)


@attrs.frozen
class Qualifier:
    """One lead through a scoring model, a stage machine and (optionally) a framework.

    ``qualify`` is the batch form; ``start`` gives a :class:`QualificationState` fed
    one event at a time. Both give the same result for the same events, whatever
    order they arrive in. ``on_transition`` listeners are called by a state for each
    transition it commits (never by ``qualify``, which is a pure what-if).
    """

    model: ScoringModel = attrs.field(validator=MODEL)
    stages: StageMachine = attrs.field(validator=STAGES)
    framework: Framework | None = attrs.field(default=None, validator=FRAMEWORK)
    on_transition: tuple[Listener, ...] = attrs.field(
        default=(), converter=_listeners, kw_only=True
    )
    extra_models: Mapping[str, ScoringModel] = attrs.field(
        factory=dict, converter=_extra_models, kw_only=True, hash=False
    )

    _automatic: frozenset[str] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _start_options: dict[str, bool] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        automatic = frozenset(s for s in self.stages.names() if self.stages.has_automatic(s))
        object.__setattr__(self, "_automatic", automatic)
        # a model whose start() can skip its own id index gets told the log keeps one
        object.__setattr__(
            self, "_start_options", {"track_ids": False} if _takes_track_ids(self.model) else {}
        )

    def _open_state(self, lead: Lead) -> ScoringState:
        """A scoring state for ``lead`` (the qualification state deduplicates ids)."""
        return self.model.start(lead, **self._start_options)

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
        return state.qualification(as_of=as_of)


def claim_id(
    claimed: MutableMapping[str, Event], event: Event, known: Mapping[str, Event] | None = None
) -> bool:
    """Whether ``event`` is new, recording its id in ``claimed`` (event id -> event) if so.

    The one id check of leadqual's logs. An exact copy of an event in ``known`` or
    ``claimed`` (a redelivery, perhaps written with another UTC offset) is not new; a
    *different* event reusing an id raises :class:`~leadqual.errors.DuplicateEventError`.
    Events without an id are always new.
    """
    event_id = event.id
    if event_id is None:
        return True
    previous = None if known is None else known.get(event_id)
    if previous is None:
        previous = claimed.get(event_id)
        if previous is None:
            claimed[event_id] = event
            return True
    if previous.same_occurrence(event):
        return False
    raise DuplicateEventError(event_id, previous, event)


#: Events walked between two checkpoints of a lead's state (see ``QualificationState``).
CHECKPOINT_EVERY = 64


class _Walk:
    """How far a lead's walk through its log has got, and where it stands there.

    ``i`` events and ``k`` decisions (in time order) have been processed; ``last`` is the
    latest instant processed. ``scoring`` is the scoring state the walk reads: the
    lead's one state when it accepts late events, else the walk's own, fed in order.
    """

    __slots__ = (
        "activity",
        "bound",
        "framework",
        "i",
        "journey",
        "k",
        "last",
        "scoring",
        "void",
    )

    def __init__(
        self,
        scoring: ScoringState,
        journey: StageState,
        activity: dict[str, Activity],
        void: list[tuple[Decision, str]],
        *,
        i: int = 0,
        k: int = 0,
        last: float | None = None,
    ) -> None:
        self.scoring = scoring
        # the optional score bound of the state (ScoringState), looked up once
        self.bound: Callable[[datetime], float | None] | None = getattr(
            scoring, "upper_bound", None
        )
        self.journey = journey
        self.activity = activity
        self.void = void
        self.i = i
        self.k = k
        self.last = last
        # each framework check's last result and the inputs it was computed from (a
        # result is reused while they stay the same)
        self.framework: dict[int, tuple[Hashable, CheckResult]] = {}


class _Checkpoint:
    """A walk's state between two instants, from which a later walk can resume.

    The history and void lists are shared with the walk that took the checkpoint (they
    only grow; a walk resumed from here starts with copies of their first items)."""

    __slots__ = (
        "activity",
        "entered_at",
        "history",
        "i",
        "k",
        "last",
        "n_history",
        "n_void",
        "scoring",
        "stage",
        "void",
    )

    def __init__(  # noqa: PLR0917 (private: every field, in its order)
        self,
        last: float,
        i: int,
        k: int,
        activity: dict[str, Activity],
        stage: str,
        entered_at: datetime | None,
        history: list[TransitionRecord],
        n_history: int,
        void: list[tuple[Decision, str]],
        n_void: int,
        scoring: ScoringState | None,
    ) -> None:
        self.last, self.i, self.k = last, i, k
        self.activity = activity
        self.stage, self.entered_at = stage, entered_at
        self.history, self.n_history = history, n_history
        self.void, self.n_void = void, n_void
        self.scoring = scoring

    @classmethod
    def of(cls, walk: _Walk, scoring: ScoringState | None) -> _Checkpoint:
        """A checkpoint of ``walk`` after an instant (``scoring``: a copy of its state,
        when it is not the lead's one state)."""
        journey = walk.journey
        assert walk.last is not None  # taken after an instant
        return cls(
            walk.last,
            walk.i,
            walk.k,
            dict(walk.activity),
            journey.stage,
            journey.entered_at,
            journey.history,
            len(journey.history),
            walk.void,
            len(walk.void),
            scoring,
        )

    def resume(self, scoring: ScoringState) -> _Walk:
        journey = StageState(self.stage, self.entered_at, self.history[: self.n_history])
        return _Walk(
            scoring,
            journey,
            dict(self.activity),
            self.void[: self.n_void],
            i=self.i,
            k=self.k,
            last=self.last,
        )


class QualificationState:
    """One lead's log and where it stands (owned by one caller; not thread-safe).

    The log holds the lead's events in time order (each id once: the one place where an
    event is deduplicated and checked as this lead's) and its sales decisions. The lead
    walks through them instant by instant: each instant's events are scored together,
    then the automatic transitions are tried at that instant.

    Events may arrive in any order. One that lands before the part of the log already
    walked marks the state *dirty* from its moment; the walk is redone once, from the
    latest checkpoint before that moment (checkpoints are kept every
    :data:`CHECKPOINT_EVERY` events along the walk), when it is needed: at the end of
    the ``apply`` call if there are listeners to tell, else at the next read. So the
    result always equals batch qualification, and delivering a history newest-first
    costs about what delivering it in order does.

    A listener learns of each record the walk adds, after the lead's earlier
    announcements; after a redone walk, of the records past the part of the path that
    did not change (a walk that only retimes a move the listener already heard of is
    not announced again).

    ``ids`` maps event ids to events: pass one mapping to the states of many leads to
    refuse an id that two leads' events share (an :class:`~leadqual.Engine` does).
    """

    __slots__ = (
        "_checkpoints",
        "_dirty",
        "_dts",
        "_events",
        "_extra",
        "_ids",
        "_live",
        "_made",
        "_ordered",
        "_walk",
        "lead",
        "notify",
        "qualifier",
    )

    def __init__(
        self,
        qualifier: Qualifier,
        lead: Lead,
        *,
        notify: bool = True,
        ids: MutableMapping[str, Event] | None = None,
    ) -> None:
        self.qualifier = qualifier
        self.lead = lead
        self.notify = notify
        self._ids: MutableMapping[str, Event] = {} if ids is None else ids
        self._events: list[Event] = []
        self._made: list[Decision] = []  # in the order made
        self._ordered: list[Decision] = []  # in time order (stable: the order made)
        self._dts: list[float] = []  # their timestamps
        self._checkpoints: list[_Checkpoint] = []
        self._dirty = math.inf  # the walk must resume from a checkpoint before this
        self._extra = self._extras(lead, ())
        scoring = qualifier._open_state(lead)
        # one scoring state, read at any moment by every walk, when it takes late events
        self._live = bool(getattr(scoring, "accepts_late_events", False))
        self._walk = self._fresh_walk(scoring)

    # --- reading -------------------------------------------------------------------------

    @property
    def stage(self) -> str:
        """The stage after the last event or decision applied."""
        return self._settled().journey.stage

    @property
    def history(self) -> tuple[TransitionRecord, ...]:
        """The transitions committed so far."""
        return tuple(self._settled().journey.history)

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event applied (each id once), in time order."""
        return tuple(self._events)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Every decision applied, in the order made."""
        return tuple(self._made)

    @property
    def void(self) -> tuple[tuple[Decision, str], ...]:
        """Decisions that could not apply after a late event, with the reason."""
        return tuple(self._settled().void)

    @property
    def last_moment(self) -> datetime | None:
        """The time of the latest event or decision applied."""
        moments = [e.at for e in self._events[-1:]] + [d.at for d in self._ordered[-1:]]
        return max(moments) if moments else None

    @overload
    def qualification(self, *, as_of: datetime) -> Qualification: ...

    @overload
    @deprecated("pass as_of by keyword: state.qualification(as_of=...)")
    def qualification(self, as_of: datetime, /) -> Qualification: ...

    def qualification(  # type: ignore[misc]  # mypy misreads a keyword-only first overload
        self, _as_of: datetime | None = None, /, *, as_of: datetime | None = None
    ) -> Qualification:
        """Where the lead stands at ``as_of`` (a pure read: nothing is committed).

        Automatic transitions are tried once more at ``as_of`` (a score that decayed
        can demote a lead); such records appear in the result with ``at == as_of``.
        Events and decisions after ``as_of`` do not count.
        """
        as_of = as_of_by_keyword(_as_of, as_of, "QualificationState.qualification")
        if as_of is None:
            raise ValidationError("as_of", None, "is required (as_of=...)")
        require_aware("as_of", as_of)
        moment = as_of.timestamp()
        walk = self._resumed()
        if walk.last is None or walk.last <= moment:
            self._walk_on(walk, moment, self._checkpoints)  # progress on the lead's own walk
        else:  # the walk is past as_of: walk again from a checkpoint, on the side
            walk = self._resume_at(moment)
            self._forward(walk, moment, None)
        ctx = self._context(walk, as_of)
        journey = walk.journey.copy()
        self.qualifier.stages.advance(journey, ctx)
        result = Qualification(
            lead=self.lead,
            stage=journey.stage,
            score=ctx.score,
            framework=ctx.framework,
            history=tuple(journey.history),
            as_of=as_of,
            void=tuple(walk.void),
        )
        walk.framework.clear()  # reused along a walk, not kept with every lead
        if not self._extra:
            return result
        scores = {
            name: extra.score(self._events, moment, as_of) for name, extra in self._extra.items()
        }
        return attrs.evolve(result, extra_scores=scores)

    # --- feeding -------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Take one event into account (the same event id twice counts once)."""
        self.apply_all((event,))

    def apply_all(self, events: Iterable[Event], decisions: Iterable[Decision] = ()) -> None:
        """Apply many events (and decisions) at once, in any order.

        Everything is checked before anything is applied: an event of another lead, a
        different event reusing an id, or something that is not an event or a decision
        raises and changes nothing. A decision that the machine refuses at its moment is
        kept as void (see :attr:`void`); :meth:`decide` refuses it instead.
        """
        batch: dict[str, Event] = {}
        fresh = self._check_new(events, batch)
        heard = tuple(self._settled().journey.history) if self._listening else ()
        made = list(decisions)
        for decision in made:
            if not isinstance(decision, Decision):
                raise ValidationError("decision", decision, "expected a Decision")
        for event in fresh:
            self._insert(event)  # an id is claimed once its event is in the log
            if event.id is not None:
                self._ids[event.id] = event
        for decision in made:
            self._insert_decision(decision)
        if fresh or made:
            self._announce_after(heard)

    def decide(self, decision: Decision) -> TransitionRecord:
        """Apply a sales decision (a manual move) at ``decision.at``.

        Raises :class:`~leadqual.errors.InvalidTransition` if the machine does not
        allow it from the stage the lead is in at that moment; the state is then
        unchanged. A decision accepted now may become void later, if a late event
        changes where the lead stood at ``decision.at`` (see :attr:`void`).
        """
        if not isinstance(decision, Decision):
            raise ValidationError("decision", decision, "expected a Decision")
        walk = self._settled()
        heard = tuple(walk.journey.history)
        moment = decision.at.timestamp()
        if walk.last is None or moment >= walk.last:
            try:
                self._decide(walk, decision)
            except InvalidTransition:
                raise  # refused before anything changed
            except BaseException:
                self._restart()  # a guard failed half-way: walk again from the start
                raise
            self._insert_decision(decision)  # the latest: at the end, nothing to walk again
            walk.k += 1
            walk.last = moment
        else:  # in the walked past: walk again from there, on the side, then adopt it
            ordered, dts = list(self._ordered), list(self._dts)
            at = bisect_right(dts, moment)
            ordered.insert(at, decision)
            dts.insert(at, moment)
            kept = [cp for cp in self._checkpoints if cp.last <= moment]
            side = self._resume_from(kept[-1] if kept else None)
            self._forward(side, math.inf, kept, ordered=ordered, dts=dts, strict=decision)
            self._ordered, self._dts, self._checkpoints, self._walk = ordered, dts, kept, side
            self._made.append(decision)
        self._announce_after(heard)
        return next(
            r
            for r in reversed(self._walk.journey.history)
            if not r.auto and r.at == decision.at and r.target == decision.target
        )

    def move(self, target: str, *, at: datetime, reason: str) -> TransitionRecord:
        """Shorthand for :meth:`decide` with a :class:`Decision`."""
        return self.decide(Decision(target, at, reason))

    def update_lead(self, lead: Lead) -> None:
        """Replace the lead's profile (same id) and walk its log again under the new one;
        listeners hear only of the part of the lead's path that changed."""
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        if lead.id != self.lead.id:
            raise ValidationError("lead.id", lead.id, f"this state is lead {self.lead.id!r}'s")
        heard = tuple(self._settled().journey.history)
        self.lead = lead
        self._extra = self._extras(lead, self._events)
        self._restart(self._replayed(self._events))
        self._announce_after(heard)

    # --- saving --------------------------------------------------------------------------

    def to_saved(self) -> dict[str, Any]:
        """The lead's log and where its walk stands, as plain JSON data (what an
        :class:`~leadqual.Engine` snapshot holds per lead; see :meth:`from_saved`).

        Events are columns (see :func:`~leadqual.events.event_columns`); the walk is saved
        after the last event, with its checkpoints, so that restoring walks nothing."""
        walk = self._settled()
        journey = walk.journey
        made = {id(d): i for i, d in enumerate(self._made)}
        return {
            "lead": self.lead.to_dict(),
            "events": event_columns(self._events),
            "decisions": [d.to_dict() for d in self._made],
            "walk": {
                "stage": journey.stage,
                "entered_at": None
                if journey.entered_at is None
                else journey.entered_at.isoformat(),
                "history": [r.to_dict() for r in journey.history],
                "void": [[made[id(d)], why] for d, why in walk.void],
                "last": walk.last,
                "checkpoints": [
                    [
                        cp.i,
                        cp.k,
                        cp.last,
                        cp.stage,
                        None if cp.entered_at is None else cp.entered_at.isoformat(),
                        cp.n_history,
                        cp.n_void,
                    ]
                    for cp in self._checkpoints
                ]
                if self._live
                else [],
            },
        }

    @classmethod
    def from_saved(
        cls,
        qualifier: Qualifier,
        data: Mapping[str, Any],
        *,
        notify: bool = True,
        ids: MutableMapping[str, Event] | None = None,
        decoder: EventDecoder | None = None,
    ) -> QualificationState:
        """Rebuild a state from :meth:`to_saved` output without walking its log again
        (the scoring state takes the events again; a state that needs them in order is
        fed them in order). Damaged data raises :class:`~leadqual.errors.ValidationError`
        or ``KeyError``/``TypeError``/``ValueError``/``IndexError``; the caller's ``ids``
        may then hold some of the state's ids."""
        check_keys("saved", data, ("lead", "events", "decisions", "walk"))
        lead = Lead.from_dict(data["lead"])
        state = cls(qualifier, lead, notify=notify, ids=ids)
        lead_id = lead.id
        decoder = decoder or EventDecoder()
        logged = data["events"]
        if type(logged) is list:  # format 2: a row per event
            events = [decoder.row(lead_id, item) for item in logged]
        else:
            events = decoder.columns(lead_id, logged)
        claimed = state._ids
        fresh: dict[str, Event] = {}  # claimed only once every event is checked
        before: Event | None = None
        for event in events:
            if event.id is not None:
                if event.id in claimed or event.id in fresh:
                    raise ValidationError("saved.events", event.id, "one id twice")
                fresh[event.id] = event
            if before is not None and not before._sorts_by(event):
                raise ValidationError("saved.events", event.at, "events out of time order")
            before = event
        claimed.update(fresh)
        made = [Decision.from_dict(d) for d in data["decisions"]]
        state._events = events
        state._made = list(made)
        state._ordered = sorted(made, key=lambda d: d.at)
        state._dts = [d.at.timestamp() for d in state._ordered]
        saved = data["walk"]
        check_keys(
            "saved.walk", saved, ("stage", "entered_at", "history", "void", "last", "checkpoints")
        )
        stages = qualifier.stages
        stage = stages.stage(saved["stage"]).name
        entered = saved["entered_at"]
        history = [TransitionRecord.from_dict(r) for r in saved["history"]]
        void = [(made[n], require_text("saved.walk.void", why)) for n, why in saved["void"]]
        last = saved["last"]
        if last is not None and not isinstance(last, (int, float)):
            raise ValidationError("saved.walk.last", last, "expected a number")
        walk = state._walk
        scoring = walk.scoring
        for event in events:
            scoring.apply(event)  # a live state takes any order; the other one is fed in order
        state._extra = state._extras(lead, events)
        walk.journey = StageState(
            stage, None if entered is None else parse_timestamp("entered_at", entered), history
        )
        walk.void, walk.last = void, last
        walk.i, walk.k = len(events), len(made)
        cps = sorted(saved["checkpoints"]) if state._live else []
        activity: dict[str, Activity] = {}
        done = 0
        for i, k, at, cp_stage, cp_entered, n_history, n_void in cps:
            _count_all(activity, events, done, i)
            done = i
            state._checkpoints.append(
                _Checkpoint(
                    float(at),
                    i,
                    k,
                    dict(activity),
                    stages.stage(cp_stage).name,
                    None if cp_entered is None else parse_timestamp("at", cp_entered),
                    history,
                    int(n_history),
                    void,
                    int(n_void),
                    None,
                )
            )
        _count_all(activity, events, done, len(events))
        walk.activity = activity
        return state

    # --- the log -------------------------------------------------------------------------

    def _check_new(self, events: Iterable[Event], batch: dict[str, Event]) -> list[Event]:
        """The events not yet in the log (each once), after checking all of them; their
        ids go to ``batch``, not yet to the log's index."""
        lead_id = self.lead.id
        ids = self._ids
        fresh: list[Event] = []
        for event in events:
            if not isinstance(event, Event):
                raise ValidationError("event", event, "expected an Event")
            if event.lead_id != lead_id:
                raise ValidationError(
                    "event.lead_id",
                    event.lead_id,
                    f"this state qualifies lead {lead_id!r}, not another lead",
                )
            if claim_id(batch, event, ids):
                fresh.append(event)
        return fresh

    def _insert(self, event: Event) -> None:
        """Place a new, checked event in the log, and mark the walk dirty if it lands
        in the part already walked."""
        walk = self._walk
        try:
            if self._live:
                walk.scoring.apply(event)
            for extra in self._extra.values():
                extra.apply(event)
        except BaseException:  # a model refused it: the states go back to the log
            self._extra = self._extras(self.lead, self._events)
            if self._live:
                self._restart(self._replayed(self._events))
            raise
        events = self._events
        ts = event._ts
        if not events or events[-1]._ts < ts:
            events.append(event)
        else:
            at = bisect_right(events, ts, key=_TS)
            if at and events[at - 1]._ts == ts:  # simultaneous events: a total order
                lo = bisect_left(events, ts, key=_TS)
                key = event.sort_key()
                keys = [e.sort_key() for e in events[lo:at]]
                at = lo + bisect_right(keys, key)
            events.insert(at, event)
        if walk.last is not None and ts <= walk.last and ts < self._dirty:
            self._dirty = ts

    def _extras(self, lead: Lead, events: Iterable[Event]) -> dict[str, _ExtraScore]:
        """The extra models' states for ``lead``, fed ``events`` (in time order)."""
        extras = {n: _ExtraScore(m, lead) for n, m in self.qualifier.extra_models.items()}
        for event in events:
            for extra in extras.values():
                extra.apply(event)
        return extras

    def _replayed(self, events: Iterable[Event]) -> ScoringState:
        """A new scoring state for the lead, fed ``events`` when it takes late events."""
        scoring = self.qualifier._open_state(self.lead)
        if self._live:
            for event in events:
                scoring.apply(event)
        return scoring

    def _restart(self, scoring: ScoringState | None = None) -> None:
        """Forget the walk and its checkpoints: the next read walks from the lead's start
        (after an exception in the middle of a walk, whose state cannot be trusted)."""
        self._checkpoints = []
        self._walk = self._fresh_walk(self._walk.scoring if scoring is None else scoring)
        self._dirty = math.inf

    def _walk_on(self, walk: _Walk, limit: float, checkpoints: list[_Checkpoint] | None) -> None:
        """:meth:`_forward` on the lead's own walk; an exception (from a check or guard of
        your own, say) leaves the lead to be walked again from its start."""
        try:
            self._forward(walk, limit, checkpoints)
        except BaseException:
            if walk is self._walk:
                self._restart()
            raise

    def _insert_decision(self, decision: Decision) -> None:
        moment = decision.at.timestamp()
        at = bisect_right(self._dts, moment)
        self._ordered.insert(at, decision)
        self._dts.insert(at, moment)
        self._made.append(decision)
        last = self._walk.last
        if last is not None and moment < last:
            self._dirty = min(self._dirty, math.nextafter(moment, math.inf))

    # --- walking -------------------------------------------------------------------------

    def _fresh_walk(self, scoring: ScoringState) -> _Walk:
        return _Walk(scoring, self.qualifier.stages.start(), {}, [])

    def _resume_from(self, checkpoint: _Checkpoint | None) -> _Walk:
        """A walk starting at ``checkpoint`` (the lead's start when None)."""
        if checkpoint is None:
            if self._live:
                return self._fresh_walk(self._walk.scoring)
            return self._fresh_walk(self.qualifier._open_state(self.lead))
        if self._live:
            return checkpoint.resume(self._walk.scoring)
        copied = checkpoint.scoring.copy()  # type: ignore[union-attr]
        return checkpoint.resume(copied)

    def _resume_at(self, moment: float) -> _Walk:
        """A walk from the latest checkpoint at or before ``moment``."""
        cps = self._checkpoints
        j = bisect_right(cps, moment, key=_LAST)
        return self._resume_from(cps[j - 1] if j else None)

    def _resumed(self) -> _Walk:
        """The lead's walk, resumed from the checkpoint before the earliest late change
        (if any): consistent with the log up to its position (which may lag)."""
        if self._dirty != math.inf:
            moment = self._dirty
            cps = self._checkpoints
            del cps[bisect_left(cps, moment, key=_LAST) :]
            self._walk = self._resume_from(cps[-1] if cps else None)
            self._dirty = math.inf
        return self._walk

    def _settled(self) -> _Walk:
        """The lead's walk brought to the end of its log."""
        walk = self._resumed()
        if walk.i < len(self._events) or walk.k < len(self._ordered):
            self._walk_on(walk, math.inf, self._checkpoints)
        return walk

    def _forward(
        self,
        walk: _Walk,
        limit: float,
        checkpoints: list[_Checkpoint] | None,
        *,
        ordered: list[Decision] | None = None,
        dts: list[float] | None = None,
        strict: Decision | None = None,
    ) -> None:
        """Walk on through the log's events and decisions up to ``limit`` (a timestamp),
        keeping a checkpoint every :data:`CHECKPOINT_EVERY` events in ``checkpoints``."""
        events = self._events
        n = len(events)
        if ordered is None:
            ordered, dts = self._ordered, self._dts
        assert dts is not None
        m = len(ordered)
        i, k = walk.i, walk.k
        keep = checkpoints is not None and (self._live or hasattr(walk.scoring, "copy"))
        since = checkpoints[-1].i if keep and checkpoints else 0
        while i < n:
            at = events[i]._ts
            if at > limit:
                break
            while k < m and dts[k] < at:
                walk.k = k + 1
                self._decide_or_void(walk, ordered[k], strict)
                k += 1
            j = i + 1
            while j < n and events[j]._ts == at:
                j += 1
            self._feed(walk, events, i, j)
            walk.i = i = j
            if keep and i - since >= CHECKPOINT_EVERY:
                copied = None if self._live else walk.scoring.copy()  # type: ignore[attr-defined]
                checkpoints.append(_Checkpoint.of(walk, copied))  # type: ignore[union-attr]
                since = i
        while k < m and dts[k] <= limit:
            walk.k = k + 1
            self._decide_or_void(walk, ordered[k], strict)
            k += 1

    def _feed(self, walk: _Walk, events: list[Event], i: int, j: int) -> None:
        """Process the events ``events[i:j]`` of one instant."""
        activity = walk.activity
        if not self._live:
            apply = walk.scoring.apply
            for n in range(i, j):
                apply(events[n])
        for n in range(i, j):
            _count(activity, events[n])
        first = events[i]
        walk.last = first._ts
        if walk.journey.stage not in self.qualifier._automatic:
            return  # no automatic transition out of this stage: nothing to try
        # in UTC: checks that read calendar dates must not depend on the offset an
        # event happened to be written with
        at = first.at
        moment = at if at.tzinfo is _UTC else datetime.fromtimestamp(first._ts, _UTC)
        self.qualifier.stages.advance(walk.journey, self._context(walk, moment))

    def _decide_or_void(self, walk: _Walk, decision: Decision, strict: Decision | None) -> None:
        try:
            self._decide(walk, decision)
        except InvalidTransition as exc:
            if decision is strict:
                raise
            walk.void.append((decision, str(exc)))
        walk.last = decision.at.timestamp()

    def _decide(self, walk: _Walk, decision: Decision) -> None:
        ctx = self._context(walk, decision.at)
        stages = self.qualifier.stages
        stages.move(walk.journey, decision.target, at=decision.at, reason=decision.reason, ctx=ctx)
        stages.advance(walk.journey, ctx)

    def _context(self, walk: _Walk, moment: datetime) -> GuardContext:
        """The guards' view of ``moment``; score and framework are computed if read."""
        framework = self.qualifier.framework
        activity = MappingProxyType(walk.activity)  # read now, while the guards run
        scoring = walk.scoring
        lead = self.lead

        def evaluate() -> FrameworkResult | None:
            if framework is None:
                return None
            return framework._evaluate_reusing(lead, moment, activity, walk.framework)

        bound = walk.bound
        return GuardContext(
            lead=lead,
            score=lambda: scoring.score(moment),
            as_of=moment,
            activity=activity,
            framework=evaluate,
            stage_entered_at=walk.journey.entered_at,
            score_bound=None if bound is None else (lambda: bound(moment)),
        )

    # --- telling listeners ---------------------------------------------------------------

    @property
    def _listening(self) -> bool:
        return self.notify and bool(self.qualifier.on_transition)

    def _announce_after(self, heard: Sequence[TransitionRecord]) -> None:
        """Walk on now if listeners are waiting, and tell them of the records past the
        path ``heard`` and the new history share."""
        if not self._listening:
            return
        new = self._settled().journey.history
        same = 0
        while same < min(len(heard), len(new)) and (heard[same].source, heard[same].target) == (
            new[same].source,
            new[same].target,
        ):
            same += 1
        records = new[same:]
        if not records:
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


def _count(activity: dict[str, Activity], event: Event) -> None:
    """Add ``event`` to the lead's activity (how often, first and last, per type)."""
    seen = activity.get(event.type)
    if seen is None:
        activity[event.type] = Activity._trusted(1, event.at, event.at)
    else:
        activity[event.type] = Activity._trusted(seen.count + 1, seen.first, event.at)


def _count_all(activity: dict[str, Activity], events: list[Event], i: int, j: int) -> None:
    """Add ``events[i:j]`` (in time order) to the lead's activity."""
    runs: dict[str, list[Any]] = {}  # type -> [count, first, last]
    for n in range(i, j):
        event = events[n]
        run = runs.get(event.type)
        if run is None:
            runs[event.type] = [1, event.at, event.at]
        else:
            run[0] += 1
            run[2] = event.at
    for kind, (count, first, last) in runs.items():
        seen = activity.get(kind)
        if seen is None:
            activity[kind] = Activity._trusted(count, first, last)
        else:
            activity[kind] = Activity._trusted(seen.count + count, seen.first, last)


class _ExtraScore:
    """One extra model's incremental state for a lead: fed as events arrive, read at any
    moment; a state that needs events in order is started again after a late one."""

    __slots__ = ("last", "late_ok", "lead", "model", "stale", "state")

    def __init__(self, model: ScoringModel, lead: Lead) -> None:
        self.model = model
        self.lead = lead
        self.state = model.start(lead)
        self.late_ok = bool(getattr(self.state, "accepts_late_events", False))
        self.stale = False
        self.last = -math.inf

    def apply(self, event: Event) -> None:
        ts = event._ts
        if self.late_ok or (not self.stale and ts > self.last):
            self.state.apply(event)
        else:
            self.stale = True
        if ts > self.last:
            self.last = ts

    def score(self, events: Sequence[Event], moment: float, as_of: datetime) -> Score:
        if self.late_ok:
            return self.state.score(as_of)
        if self.stale:  # start again, in time order
            self.state = self.model.start(self.lead)
            for event in events:
                self.state.apply(event)
            self.stale = False
            self.last = events[-1]._ts if events else -math.inf
        if moment < self.last:
            return self.model.score(self.lead, [e for e in events if e._ts <= moment], as_of=as_of)
        return self.state.score(as_of)
