"""The stage machine: stages, the transitions between them, and a lead's journey.

>>> from leadqual.stages import StageMachine
>>> machine = StageMachine.default(mql_score=100)
>>> [s.name for s in machine.stages]
['IQL', 'MQL', 'SQL', 'OPPORTUNITY', 'CUSTOMER', 'NURTURE', 'DISQUALIFIED']
>>> machine.allowed("SQL")
('OPPORTUNITY', 'NURTURE', 'DISQUALIFIED')
>>> print(machine.transition("IQL", "MQL"))
IQL -> MQL when score >= 100 (automatic)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from leadqual._fields import (
    check_keys,
    checked,
    instance_of,
    optional_text,
    parse_timestamp,
    require_aware,
    require_items,
    require_text,
)
from leadqual.errors import InvalidTransition, ValidationError
from leadqual.stages.guards import (
    EventSeen,
    FrameworkPassed,
    Guard,
    GuardContext,
    NewActivity,
    ScoreAtLeast,
    check_guard,
)

__all__ = [
    "CUSTOMER",
    "DEFAULT_INTENT_EVENTS",
    "DISQUALIFIED",
    "IQL",
    "MQL",
    "NURTURE",
    "OPPORTUNITY",
    "SQL",
    "Stage",
    "StageMachine",
    "StageState",
    "Transition",
    "TransitionRecord",
]

IQL, MQL, SQL = "IQL", "MQL", "SQL"
OPPORTUNITY, CUSTOMER = "OPPORTUNITY", "CUSTOMER"
NURTURE, DISQUALIFIED = "NURTURE", "DISQUALIFIED"

#: Events that show buying intent in the default funnel.
DEFAULT_INTENT_EVENTS = ("demo_request", "pricing_inquiry", "contact_sales")

_DEFAULT = object()


_flag = checked(instance_of(bool, "True or False"))


@attrs.frozen
class Stage:
    """A named stage. ``order`` places it in the funnel; ``funnel=False`` marks a side
    stage (recycled, disqualified) that is not a step forward."""

    name: str = attrs.field(validator=checked(require_text))
    order: int = attrs.field()
    funnel: bool = attrs.field(default=True, kw_only=True, validator=_flag)
    description: str = attrs.field(default="", kw_only=True)

    @order.validator
    def _check_order(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{self.name}.order", value, "expected a whole number")


_guard = checked(
    check_guard, lambda inst, _: f"{inst.source} -> {inst.target}.guard", optional=True
)


@attrs.frozen
class Transition:
    """A move from ``source`` to ``target``.

    An automatic transition (``auto=True``, the default) fires by itself as soon as
    its ``guard`` holds; a manual one is a decision (sales accepts, wins, recycles)
    made with :meth:`StageMachine.move`, allowed only while its guard, if any, holds.
    """

    source: str = attrs.field(validator=checked(require_text))
    target: str = attrs.field(validator=checked(require_text))
    guard: Guard | None = attrs.field(default=None, validator=_guard)
    auto: bool = attrs.field(default=True, kw_only=True, validator=_flag)

    def __str__(self) -> str:
        text = f"{self.source} -> {self.target}"
        if self.guard is not None:
            text += f" when {self.guard}"
        return text + (" (automatic)" if self.auto else " (manual)")


@attrs.frozen
class TransitionRecord:
    """One move of one lead: from ``source`` to ``target`` at ``at``, and why.

    ``at`` is the time of the event (or decision) that caused it, never the clock.
    ``reason`` explains it with the values the guard read (``"score 112 >= 100"``), or
    is the reason given for a manual move. ``guard`` is the guard that fired, as text
    (``None`` for a manual move without one); ``auto`` tells the two kinds apart.
    """

    source: str
    target: str
    at: datetime
    reason: str
    guard: str | None = None
    auto: bool = True

    def __str__(self) -> str:
        how = "" if self.auto else " (manual)"
        return f"{self.at.isoformat()} {self.source} -> {self.target}{how}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "source": self.source,
            "target": self.target,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "guard": self.guard,
            "auto": self.auto,
        }

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "record") -> TransitionRecord:
        """Rebuild a record from :meth:`to_dict` output (unknown keys are refused; errors
        name ``where``).

        >>> from datetime import datetime, timezone
        >>> r = TransitionRecord("IQL", "MQL", datetime(2026, 1, 2, tzinfo=timezone.utc), "ok")
        >>> TransitionRecord.from_dict(r.to_dict()) == r
        True
        """
        check_keys(where, data, ("source", "target", "at"), ("reason", "guard", "auto"))
        auto = data.get("auto", True)
        if not isinstance(auto, bool):
            raise ValidationError(f"{where}.auto", auto, "expected true or false")
        reason = data.get("reason") or ""
        if not isinstance(reason, str):
            raise ValidationError(f"{where}.reason", reason, "expected text")
        return cls(
            require_text(f"{where}.source", data["source"]),
            require_text(f"{where}.target", data["target"]),
            parse_timestamp(f"{where}.at", data["at"]),
            reason,
            optional_text(f"{where}.guard", data.get("guard")),
            auto,
        )


@attrs.define
class StageState:
    """Where one lead is: its stage, since when, and how it got there (mutable).

    Owned by whoever drives the lead (a qualifier state); changed only through
    :meth:`StageMachine.advance` and :meth:`StageMachine.move`.
    """

    stage: str
    entered_at: datetime | None = None
    history: list[TransitionRecord] = attrs.field(factory=list)

    def copy(self) -> StageState:
        """An independent copy."""
        return StageState(self.stage, self.entered_at, list(self.history))

    def visited(self) -> list[str]:
        """Every stage the lead has been in, in order (the current one last)."""
        if not self.history:
            return [self.stage]
        return [self.history[0].source, *(r.target for r in self.history)]


def _stages(value: Any) -> tuple[Stage, ...]:
    return require_items("stages", value, "expected a list of stages", of=Stage)


def _transitions(value: Any) -> tuple[Transition, ...]:
    return require_items("transitions", value, "expected a list of transitions", of=Transition)


@attrs.frozen
class StageMachine:
    """Stages and the transitions between them; the rules of a funnel, as data.

    Checked when built: stage names are unique, funnel orders are unique, every
    transition names known stages (once per pair), automatic transitions have a
    guard, every stage is reachable from ``initial`` (the first stage by default),
    and an automatic transition that skips funnel stages only skips stages that have
    an entry guard of their own.
    """

    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    initial: str | None = attrs.field(default=None, kw_only=True)
    _by_name: dict[str, Stage] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _outgoing: dict[str, tuple[Transition, ...]] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    # the stages with an automatic transition out: elsewhere advance() has nothing to try
    _auto_sources: frozenset[str] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.stages:
            raise ValidationError("stages", self.stages, "expected at least one stage")
        by_name: dict[str, Stage] = {}
        orders: dict[int, str] = {}
        for i, stage in enumerate(self.stages):
            if stage.name in by_name:
                raise ValidationError(f"stages[{i}].name", stage.name, "duplicate stage name")
            by_name[stage.name] = stage
            if stage.funnel:
                if stage.order in orders:
                    raise ValidationError(
                        f"stages[{i}].order",
                        stage.order,
                        f"the funnel stage {orders[stage.order]} has this order already",
                    )
                orders[stage.order] = stage.name
        optional_text("initial", self.initial)
        initial = self.stages[0].name if self.initial is None else self.initial
        if initial not in by_name:
            raise ValidationError("initial", self.initial, "no stage has this name")
        object.__setattr__(self, "initial", initial)
        outgoing: dict[str, list[Transition]] = {name: [] for name in by_name}
        pairs: set[tuple[str, str]] = set()
        for i, t in enumerate(self.transitions):
            for end in ("source", "target"):
                if getattr(t, end) not in by_name:
                    raise ValidationError(
                        f"transitions[{i}].{end}", getattr(t, end), "no stage has this name"
                    )
            if t.source == t.target:
                raise ValidationError(f"transitions[{i}]", str(t), "a stage cannot lead to itself")
            if (t.source, t.target) in pairs:
                raise ValidationError(f"transitions[{i}]", str(t), "duplicate transition")
            pairs.add((t.source, t.target))
            if t.auto and t.guard is None:
                raise ValidationError(
                    f"transitions[{i}].guard", None, "an automatic transition needs a guard"
                )
            outgoing[t.source].append(t)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_outgoing", {k: tuple(v) for k, v in outgoing.items()})
        object.__setattr__(
            self, "_auto_sources", frozenset(t.source for t in self.transitions if t.auto)
        )
        reachable = {initial}
        frontier = [initial]
        while frontier:
            for t in self._outgoing[frontier.pop()]:
                if t.target not in reachable:
                    reachable.add(t.target)
                    frontier.append(t.target)
        for i, stage in enumerate(self.stages):
            if stage.name not in reachable:
                raise ValidationError(
                    f"stages[{i}]", stage.name, f"no transition reaches it from {initial}"
                )
        for i, t in enumerate(self.transitions):
            if t.auto:
                for skipped in self.skipped(t.source, t.target):
                    if self.entry_guard(skipped) is None:
                        raise ValidationError(
                            f"transitions[{i}]",
                            str(t),
                            f"it skips {skipped}, which has no automatic entry guard to check",
                        )

    # --- reading the rules --------------------------------------------------------------

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError("stage", name, "no stage has this name") from None

    def names(self) -> tuple[str, ...]:
        """Every stage name, in definition order."""
        return tuple(s.name for s in self.stages)

    def funnel(self) -> tuple[str, ...]:
        """The funnel stages in order (side stages left out)."""
        return tuple(s.name for s in sorted(self.stages, key=lambda s: s.order) if s.funnel)

    def outgoing(self, source: str) -> tuple[Transition, ...]:
        """The transitions out of ``source``, in definition order."""
        self.stage(source)
        return self._outgoing[source]

    def allowed(self, source: str) -> tuple[str, ...]:
        """The stages a lead in ``source`` may move to (automatically or by hand)."""
        return tuple(t.target for t in self.outgoing(source))

    def transition(self, source: str, target: str) -> Transition:
        """The transition from ``source`` to ``target``."""
        for t in self.outgoing(source):
            if t.target == target:
                return t
        raise InvalidTransition(source, target, self.allowed(source))

    def entry_guard(self, name: str) -> Guard | None:
        """The guard of the automatic transition into ``name`` from the funnel stage before it."""
        stage = self.stage(name)
        if not stage.funnel:
            return None
        before = [s for s in self.stages if s.funnel and s.order < stage.order]
        if not before:
            return None
        previous = max(before, key=lambda s: s.order).name
        for t in self._outgoing[previous]:
            if t.target == name and t.auto:
                return t.guard
        return None

    def skipped(self, source: str, target: str) -> tuple[str, ...]:
        """The funnel stages a move from ``source`` to ``target`` jumps over, in order."""
        a, b = self.stage(source), self.stage(target)
        if not (a.funnel and b.funnel) or b.order <= a.order + 1:
            return ()
        return tuple(
            s.name
            for s in sorted(self.stages, key=lambda s: s.order)
            if s.funnel and a.order < s.order < b.order
        )

    # --- driving one lead -------------------------------------------------------------

    def start(self) -> StageState:
        """A lead's state on entering the funnel: at the initial stage."""
        return StageState(self.first_stage())

    def first_stage(self) -> str:
        """The stage every lead starts in."""
        assert self.initial is not None  # set when the machine is built
        return self.initial

    def has_automatic(self, stage: str) -> bool:
        """Whether an automatic transition leads out of ``stage`` (else :meth:`advance`
        has nothing to try there)."""
        self.stage(stage)
        return stage in self._auto_sources

    def advance(self, state: StageState, ctx: GuardContext) -> list[TransitionRecord]:
        """Fire every automatic transition whose guard holds at ``ctx.as_of``.

        Transitions out of the current stage are tried in definition order; after a
        move, the new stage's are tried, so several can fire at once. A transition
        that skips funnel stages fires only if each skipped stage's entry guard holds
        too, and is recorded as passing through them. A stage is entered at most once
        per call, so two stages whose guards both hold cannot loop. Returns the new
        records (also appended to ``state.history``).
        """
        records: list[TransitionRecord] = []
        entered = {state.stage}
        while True:
            here = ctx.entered(state.entered_at)
            step = self._first_firing(state.stage, here, entered)
            if step is None:
                return records
            for record in step:
                state.history.append(record)
                records.append(record)
                entered.add(record.target)
            state.stage = step[-1].target
            state.entered_at = ctx.as_of

    def _first_firing(
        self, source: str, ctx: GuardContext, entered: set[str]
    ) -> list[TransitionRecord] | None:
        for t in self._outgoing[source]:
            if not t.auto or t.target in entered or t.guard is None or not t.guard.holds(ctx):
                continue
            path = [*self.skipped(source, t.target), t.target]
            steps: list[TransitionRecord] = []
            at_stage = source
            for stage in path:
                guard = t.guard if stage == t.target else self.entry_guard(stage)
                if guard is None or stage in entered or not guard.holds(ctx):
                    break
                reason = guard.explain(ctx) or str(guard) or str(t)
                if stage != t.target:
                    reason += f" (passed on the way to {t.target})"
                steps.append(
                    TransitionRecord(at_stage, stage, ctx.as_of, reason, str(guard), auto=True)
                )
                at_stage = stage
            else:
                return steps
        return None

    def move(
        self,
        state: StageState,
        target: str,
        *,
        at: datetime,
        reason: str,
        ctx: GuardContext | None = None,
    ) -> TransitionRecord:
        """Move a lead by hand (sales accepts it, wins it, recycles it, ...).

        Raises :class:`~leadqual.errors.InvalidTransition`, naming the allowed targets,
        when no transition leads from the current stage to ``target`` or its guard does
        not hold (a guarded move needs ``ctx`` to check it).
        """
        require_aware("at", at)
        require_text("reason", reason)
        allowed = self.allowed(state.stage)
        if target not in allowed:
            raise InvalidTransition(state.stage, target, allowed)
        transition = self.transition(state.stage, target)
        if state.history and at < state.history[-1].at:
            raise ValidationError(
                "at", at, f"is before the lead's last move ({state.history[-1].at.isoformat()})"
            )
        guard = transition.guard
        if guard is not None:
            if ctx is None:
                raise InvalidTransition(
                    state.stage, target, allowed, f"its guard ({guard}) needs a context to check"
                )
            here = ctx.entered(state.entered_at)
            if not guard.holds(here):
                raise InvalidTransition(
                    state.stage, target, allowed, f"{guard} does not hold ({guard.explain(here)})"
                )
        record = TransitionRecord(
            state.stage, target, at, reason, None if guard is None else str(guard), auto=False
        )
        state.history.append(record)
        state.stage = target
        state.entered_at = at
        return record

    # --- the default funnel -------------------------------------------------------------

    @classmethod
    def default(
        cls,
        mql_score: float = 100,
        *,
        intent_events: Iterable[str] = DEFAULT_INTENT_EVENTS,
        sql_requires: Guard | Any | None = _DEFAULT,
        recycle_below: float | None = None,
    ) -> StageMachine:
        """The funnel most B2B teams run.

        ``IQL -> MQL`` when the score reaches ``mql_score``; ``MQL -> SQL`` when an
        intent event (``intent_events``) was seen and ``sql_requires`` holds (by
        default :class:`~leadqual.stages.guards.FrameworkPassed`; pass ``None`` for
        intent alone). Sales moves ``SQL -> OPPORTUNITY -> CUSTOMER`` by hand, recycles
        MQL, SQL and OPPORTUNITY leads to ``NURTURE`` and disqualifies from any open
        stage. A nurtured lead returns to MQL automatically once its score reaches
        ``mql_score`` again with new activity. With ``recycle_below``, an MQL whose
        score decays below it goes to NURTURE by itself.
        """
        if recycle_below is not None and recycle_below > mql_score:
            raise ValidationError(
                "recycle_below",
                recycle_below,
                f"is above mql_score ({mql_score}): a new MQL would be recycled at once",
            )
        requires = FrameworkPassed() if sql_requires is _DEFAULT else sql_requires
        if requires is not None:
            check_guard("sql_requires", requires)
        intent: Guard = EventSeen(tuple(intent_events))
        sql_guard = intent if requires is None else intent & requires
        mql = ScoreAtLeast(mql_score)
        stages = [
            Stage(IQL, 0, description="information qualified: gave contact details"),
            Stage(MQL, 1, description="marketing qualified: engaged enough to score"),
            Stage(SQL, 2, description="sales qualified: intent shown, criteria met"),
            Stage(OPPORTUNITY, 3, description="sales is working a deal"),
            Stage(CUSTOMER, 4, description="won"),
            Stage(NURTURE, 10, funnel=False, description="recycled to marketing"),
            Stage(DISQUALIFIED, 11, funnel=False, description="not a fit, or lost"),
        ]
        transitions = [
            Transition(IQL, MQL, mql),
            Transition(MQL, SQL, sql_guard),
        ]
        if recycle_below is not None:
            transitions.append(Transition(MQL, NURTURE, ~ScoreAtLeast(recycle_below)))
        transitions += [
            Transition(SQL, OPPORTUNITY, auto=False),
            Transition(OPPORTUNITY, CUSTOMER, auto=False),
            Transition(NURTURE, MQL, mql & NewActivity()),
        ]
        for source in (MQL, SQL, OPPORTUNITY):
            if not (source == MQL and recycle_below is not None):
                transitions.append(Transition(source, NURTURE, auto=False))
        for source in (IQL, MQL, SQL, OPPORTUNITY, NURTURE):
            transitions.append(Transition(source, DISQUALIFIED, auto=False))
        transitions.append(Transition(DISQUALIFIED, NURTURE, auto=False))
        return cls(stages, transitions)
