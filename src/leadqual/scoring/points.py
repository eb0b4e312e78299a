"""The built-in points model and its incremental state.

>>> from datetime import datetime, timedelta, timezone
>>> from leadqual import Attr, Event, EngagementRule, FitRule, HalfLife, Lead, PointsModel
>>> model = PointsModel(
...     fit=[FitRule("mid-market", Attr("employees").between(50, 5000), points=10)],
...     engagement=[EngagementRule("ebook", "content_download", points=30, max_times=3)],
...     decay=HalfLife(days=30),
... )
>>> lead = Lead("L-1", attributes={"employees": 400})
>>> at = datetime(2026, 11, 1, tzinfo=timezone.utc)
>>> state = model.start(lead)
>>> state.apply(Event("L-1", "content_download", at=at, id="e1"))
>>> score = state.score(as_of=at + timedelta(days=30))
>>> score.total, score.fit, score.engagement
(25.0, 10, 15.0)
>>> model.score(lead, [Event("L-1", "content_download", at=at, id="e1")],
...             as_of=at + timedelta(days=30)) == score
True
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar

import attrs

from leadqual._fields import (
    DAY,
    checked,
    require_aware,
    require_items,
    require_points,
    require_text,
)
from leadqual.conditions import Test
from leadqual.errors import DuplicateEventError, ValidationError
from leadqual.events import Event
from leadqual.jsonvalues import JsonMap
from leadqual.leads import Lead
from leadqual.scoring.decay import DecayFunction, Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.protocol import Part, Score
from leadqual.scoring.rules import EngagementRule, FitRule
from leadqual.typing import Kind

__all__ = ["PointsModel", "PointsState", "check_event"]

_NOTHING_FOLDED = (0, -math.inf, 0.0)
_TS = attrgetter("_ts")


def check_event(lead: Lead, event: Any, seen: Mapping[str, Event] | None = None) -> None:
    """Refuse what is not an event of ``lead``, and a different event reusing a seen id."""
    if not isinstance(event, Event):
        raise ValidationError("event", event, "expected an Event")
    if event.lead_id != lead.id:
        raise ValidationError(
            "event.lead_id", event.lead_id, f"this state scores lead {lead.id!r}, not another lead"
        )
    if seen and event.id is not None:
        previous = seen.get(event.id)
        if previous is not None and not previous.same_occurrence(event):
            raise DuplicateEventError(event.id, previous, event)


def _unique_names(fit: Sequence[FitRule], engagement: Sequence[EngagementRule]) -> None:
    seen: set[str] = set()
    for kind, rules, cls in (("fit", fit, FitRule), ("engagement", engagement, EngagementRule)):
        for i, rule in enumerate(rules):
            if not isinstance(rule, cls):
                raise ValidationError(f"{kind}[{i}]", rule, f"expected a {cls.__name__}")
            if rule.name in seen:
                raise ValidationError(
                    f"{kind}[{i}].name", rule.name, "rule names must be unique within a model"
                )
            seen.add(rule.name)


def _rule_list(field: str, value: Any) -> tuple[Any, ...]:
    return require_items(field, value, "expected a list of rules")


def _fit_rules(value: Iterable[FitRule]) -> tuple[FitRule, ...]:
    return _rule_list("fit", value)


def _engagement_rules(value: Iterable[EngagementRule]) -> tuple[EngagementRule, ...]:
    return _rule_list("engagement", value)


def _group_caps(value: Mapping[str, float] | None) -> JsonMap:
    caps = JsonMap(value or {}, _field="group_caps")
    for group, cap in caps.items():
        require_text("group_caps", group)
        require_points(f"group_caps.{group}", cap)
        if cap <= 0:  # type: ignore[operator]
            raise ValidationError(f"group_caps.{group}", cap, "expected a number above zero")
    return caps


def _grades(
    value: Any,
) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not isinstance(value, (Mapping, Iterable)):
        raise ValidationError("grades", value, "expected a mapping of grade to threshold")
    items = list(value.items()) if isinstance(value, Mapping) else list(value)
    grades: list[tuple[str, float]] = []
    for item in items:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ValidationError("grades", item, "expected (grade, threshold) pairs")
        letter, threshold = item
        require_text("grades", letter)
        if threshold is None:  # the grade for everything below the others
            threshold = -math.inf
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ValidationError(f"grades.{letter}", threshold, "expected a number or None")
        if not math.isinf(threshold) or threshold > 0:
            require_points(f"grades.{letter}", threshold)
        grades.append((letter, threshold))
    if len({letter for letter, _ in grades}) != len(grades):
        raise ValidationError("grades", value, "grade letters must be unique")
    if len({threshold for _, threshold in grades}) != len(grades):
        raise ValidationError("grades", value, "two grades share a threshold")
    return tuple(sorted(grades, key=lambda g: -g[1]))


@attrs.frozen
class PointsModel:
    """Points for who a lead is (fit) and what it does (engagement).

    See the scoring guide in the docs for every rule option. In short: fit rules count
    once, engagement rules count per event with caps, windows and decay; ``group_caps``
    bound the points of a named group in either direction; ``min_score`` and
    ``max_score`` bound the total; ``grades`` turns the fit score into a letter (the
    highest grade whose threshold the fit score reaches; a threshold of ``None`` is the
    grade for everything below the others, as in ``{"A": 40, "B": 25, "D": None}``).
    """

    fit: tuple[FitRule, ...] = attrs.field(default=(), converter=_fit_rules)
    engagement: tuple[EngagementRule, ...] = attrs.field(default=(), converter=_engagement_rules)
    decay: DecayFunction | None = attrs.field(default=None, kw_only=True)
    min_score: float | None = attrs.field(
        default=None, kw_only=True, validator=checked(require_points, "min_score", optional=True)
    )
    max_score: float | None = attrs.field(
        default=None, kw_only=True, validator=checked(require_points, "max_score", optional=True)
    )
    group_caps: JsonMap = attrs.field(default=None, kw_only=True, converter=_group_caps)
    grades: tuple[tuple[str, float], ...] = attrs.field(
        default=None, kw_only=True, converter=_grades
    )
    _index: dict[str, tuple[tuple[int, Test | None], ...]] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    _plans: tuple[_RulePlan, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _fit_parts: tuple[tuple[Test, Part], ...] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    _group_kinds: dict[str, Kind] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _gains: tuple[float, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _bounded: bool = attrs.field(init=False, eq=False, repr=False, hash=False)
    # per engagement rule, what bounds its points: half-life (s), cap, group
    _limits: tuple[tuple[float | None, float | None, str | None], ...] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    _positive_slots: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _unique_names(self.fit, self.engagement)
        if self.decay is not None and not isinstance(self.decay, DecayFunction):
            raise ValidationError("decay", self.decay, "expected a decay (HalfLife, ...)")
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score > self.max_score
        ):
            raise ValidationError("min_score", self.min_score, "is above max_score")
        group_kinds: dict[str, Kind] = {}
        for rule in self.rules():
            if rule.group is not None:
                kind: Kind = "fit" if isinstance(rule, FitRule) else "engagement"
                seen = group_kinds.setdefault(rule.group, kind)
                if seen != kind:
                    group_kinds[rule.group] = "adjustment"
        for group in self.group_caps:
            if group not in group_kinds:
                raise ValidationError(
                    f"group_caps.{group}", self.group_caps[group], "no rule belongs to this group"
                )
        index: dict[str, list[tuple[int, Test | None]]] = {}
        for slot, rule in enumerate(self.engagement):
            where = rule.where._tester() if rule.where is not None else None
            index.setdefault(rule.event_type, []).append((slot, where))
        fit_parts = tuple(
            (
                rule.condition._tester(),
                (
                    rule.name,
                    rule.points,
                    None,
                    rule.attribute(),
                    str(rule.condition),
                    "fit",
                    rule.group,
                ),
            )
            for rule in self.fit
        )
        setattr_ = object.__setattr__
        setattr_(self, "_index", {t: tuple(v) for t, v in index.items()})
        setattr_(self, "_plans", tuple(_RulePlan.build(r, self.decay) for r in self.engagement))
        setattr_(self, "_fit_parts", fit_parts)
        setattr_(self, "_group_kinds", group_kinds)
        setattr_(self, "_gains", tuple(max(r.points, 0) for r in self.engagement))
        setattr_(self, "_bounded", all(_never_grows(plan.decay) for plan in self._plans))
        setattr_(self, "_limits", tuple(_limit(plan) for plan in self._plans))
        setattr_(self, "_positive_slots", tuple(i for i, g in enumerate(self._gains) if g > 0))

    def start(self, lead: Lead, *, track_ids: bool = True) -> PointsState:
        """A fresh incremental state for ``lead``.

        With ``track_ids`` (the default) the state keeps an index of event ids, so that
        two *different* events sharing an id raise
        :class:`~leadqual.errors.DuplicateEventError`. Without it, a redelivered copy of
        an event still counts once (it is found by its time), but a conflicting event is
        not detected; use that when the caller already guards ids over the whole stream,
        to save the index's memory and time.
        """
        if not isinstance(lead, Lead):
            raise ValidationError("lead", lead, "expected a Lead")
        return PointsState(self, lead, track_ids=track_ids)

    def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> Score:
        """Score ``lead`` from ``events`` as of ``as_of`` (later events are ignored)."""
        state = self.start(lead)
        apply = state.apply
        for event in events:
            apply(event)
        return state.score(as_of)

    def event_types(self) -> frozenset[str]:
        """Every event type some engagement rule counts."""
        return frozenset(self._index)

    def groups(self) -> tuple[str, ...]:
        """Every group some rule names, in rule order."""
        return tuple(self._group_kinds)

    def rules(self) -> tuple[FitRule | EngagementRule, ...]:
        """Every rule, fit rules first."""
        return (*self.fit, *self.engagement)

    def rule(self, name: str) -> FitRule | EngagementRule:
        """The rule called ``name``."""
        for rule in self.rules():
            if rule.name == name:
                return rule
        raise ValidationError("rule", name, "no rule of this model has that name")


@attrs.frozen
class _RulePlan:
    """What scoring needs of one engagement rule, precomputed once per model."""

    name: str
    points: float
    within: float | None
    max_times: int | None
    max_per_day: int | None
    max_points: float | None
    decay: DecayFunction | None
    half_life: float | None  # seconds, when the decay is a HalfLife (computed inline)
    reason: str
    group: str | None

    @classmethod
    def build(cls, rule: EngagementRule, model_decay: DecayFunction | None) -> _RulePlan:
        decay = rule.decay if rule.decay is not None else model_decay
        if isinstance(decay, NoDecay):
            decay = None
        return cls(
            name=rule.name,
            points=rule.points,
            within=rule.within.total_seconds() if rule.within is not None else None,
            max_times=rule.max_times,
            max_per_day=rule.max_per_day,
            max_points=rule.max_points,
            decay=decay,
            half_life=decay.days * DAY if type(decay) is HalfLife else None,
            reason=rule.describe(model_decay),
            group=rule.group,
        )


def _order_ties(events: list[Event]) -> None:
    """Order runs of events at the same instant by :meth:`Event.sort_key` (in place).

    The list is already sorted by time; this makes the order of simultaneous events
    independent of the order they arrived in.
    """
    i, n = 0, len(events)
    while i < n - 1:
        ts = events[i]._ts
        j = i + 1
        while j < n and events[j]._ts == ts:
            j += 1
        if j - i > 1:
            events[i:j] = sorted(events[i:j], key=Event.sort_key)
        i = j


class PointsState:
    """A lead's incremental state under a :class:`PointsModel`.

    Applying an event costs a dictionary look-up for its type and a test of each rule
    that counts that type. The state keeps, per rule, the events that rule counted,
    sorted by time (not the others), so a score can be read at any moment, with caps,
    windows and decay applied then. It is owned by one caller: not thread-safe.
    """

    __slots__ = (
        "_bound",
        "_decayed",
        "_fit",
        "_fit_bound",
        "_fit_split",
        "_fit_total",
        "_index",
        "_lead_id",
        "_lists",
        "_seen",
        "_ties",
        "lead",
        "model",
    )

    #: Events may be applied in any order, and a score read at a moment counts only the
    #: events at or before it: a qualifier keeps one such state per lead and reads it at
    #: any moment, with no copies and no replays (see the ``ScoringState`` protocol).
    accepts_late_events: ClassVar[bool] = True

    def __init__(self, model: PointsModel, lead: Lead, *, track_ids: bool = True) -> None:
        self.model = model
        self.lead = lead
        self._lead_id = lead.id
        self._index = model._index
        self._lists: list[list[Event] | None] = [None] * len(model.engagement)
        self._seen: dict[str, Event] | None = {} if track_ids else None
        self._ties = False
        self._fit = tuple(part for test, part in model._fit_parts if test(lead, None))
        self._fit_total = sum(part[1] for part in self._fit)
        # what the score can never exceed: every positive point, undecayed and uncapped
        self._bound: float = sum(part[1] for part in self._fit if part[1] > 0)
        self._fit_bound = self._bound
        # for the tighter bound of upper_bound(), built on first use (applying an event
        # costs nothing more): per half-life rule, how many of its events are folded into
        # a decayed sum, the time of the last one, and the sum then
        self._decayed: dict[int, tuple[int, float, float]] | None = None
        self._fit_split: tuple[float, dict[str, float]] | None = None

    def apply(self, event: Event) -> None:
        """Take one event into account (the same event id twice counts once)."""
        try:
            if event.lead_id != self._lead_id:
                check_event(self.lead, event)
            entries = self._index.get(event.type)
        except AttributeError:
            check_event(self.lead, event)
            raise
        if entries is None:
            return
        event_id = event.id
        seen = self._seen
        if seen is not None and event_id is not None:
            previous = seen.get(event_id)
            if previous is not None:
                if previous.same_occurrence(event):
                    return
                raise DuplicateEventError(event_id, previous, event)
            seen[event_id] = event
        ts = event._ts
        lists = self._lists
        lead = self.lead
        gains = self.model._gains
        for slot, where in entries:
            if where is None or where(lead, event):
                counted = lists[slot]
                if counted is None:
                    lists[slot] = [event]
                    self._bound += gains[slot]
                elif counted[-1]._ts < ts:
                    counted.append(event)
                    self._bound += gains[slot]
                else:  # out of order, simultaneous, or a redelivered copy
                    at = bisect_right(counted, ts, key=_TS)
                    if event_id is not None and seen is None:
                        before = at - 1
                        while before >= 0 and counted[before]._ts == ts:
                            if counted[before].same_occurrence(event):
                                return  # a copy: the first rule that counts it has it
                            before -= 1
                    if at and counted[at - 1]._ts == ts:
                        self._ties = True
                    counted.insert(at, event)
                    self._bound += gains[slot]
                    if self._decayed is not None:
                        self._decayed.pop(slot, None)  # not appended: fold it all again

    def apply_all(self, events: Iterable[Event]) -> None:
        """Apply each event in turn."""
        apply = self.apply
        for event in events:
            apply(event)

    def upper_bound(self, as_of: datetime | None = None) -> float | None:
        """A number the score cannot exceed: at any moment, or at ``as_of`` if given.

        It adds up every positive point applied so far (at ``as_of``: of the events at
        or before it), each rule's within its ``max_points`` and ``max_times`` caps and
        each group's within its cap, and half-lives decayed to ``as_of``;
        ``max_score`` and ``min_score`` bound it as they bound the score. It costs a few
        operations per rule, not per event: guards use it to skip computing a score that
        cannot reach their threshold. ``None`` when a decay might make points grow (a
        custom decay, a schedule factor above 1).
        """
        if as_of is not None:
            require_aware("as_of", as_of)
        return self._upper_bound(None if as_of is None else as_of.timestamp())

    def _upper_bound(self, now: float | None) -> float | None:
        model = self.model
        if not model._bounded:
            return None
        total = self._bound
        if self._bound != self._fit_bound or model.group_caps:
            total = self._capped_bound(now)
        if model.max_score is not None and total > model.max_score:
            total = model.max_score
        floor = model.min_score
        if floor is not None and total < floor:
            total = floor
        # float sums in another order can differ in the last bits: stay above the score
        return total + abs(total) * 1e-9 + 1e-9

    def _capped_bound(self, now: float | None) -> float:
        model = self.model
        caps = model.group_caps
        folded = self._decayed
        if folded is None:
            folded = self._decayed = {}
            # the positive fit points, outside capped groups and in each of them
            free: float = 0.0
            in_groups: dict[str, float] = dict.fromkeys(caps, 0.0)
            for part in self._fit:
                if part[1] > 0:
                    if part[6] in in_groups:
                        in_groups[part[6]] += part[1]
                    else:
                        free += part[1]
            self._fit_split = (free, in_groups)
        assert self._fit_split is not None  # set with _decayed
        total, fit_groups = self._fit_split
        groups = dict(fit_groups) if caps else fit_groups
        lists, gains, limits = self._lists, model._gains, model._limits
        power = math.pow
        for slot in model._positive_slots:
            counted = lists[slot]
            if counted is None:
                continue
            half_life, cap, group = limits[slot]
            if now is None:
                hi = len(counted)
                bound = gains[slot] * hi
            elif half_life is None:
                hi = len(counted)
                if counted[-1]._ts > now:  # a moment in the past
                    hi = bisect_right(counted, now, key=_TS)
                    if not hi:
                        continue
                bound = gains[slot] * hi
            else:
                # how many of the rule's events are at or before the moment last read
                # (moments mostly grow along a walk: count on from there), and their
                # decayed sum as of the last of them
                n, ref, acc = folded.get(slot, _NOTHING_FOLDED)
                if n and counted[n - 1]._ts > now:  # an earlier moment: start again
                    n, ref, acc = _NOTHING_FOLDED
                hi, size = n, len(counted)
                while hi < size and counted[hi]._ts <= now:
                    hi += 1
                if not hi:
                    continue
                gain = gains[slot]
                bound = gain * hi
                if n != hi:
                    for event in counted[n:hi]:  # in time order, up to the moment
                        acc = acc * power(0.5, (event._ts - ref) / half_life) + gain
                        ref = event._ts
                    folded[slot] = (hi, ref, acc)
                decayed = acc * power(0.5, (now - ref) / half_life)
                if decayed < bound:
                    bound = decayed
            if cap is not None and bound > cap:
                bound = cap
            if group in groups:
                groups[group] += bound
            else:
                total += bound
        for group, got in groups.items():
            cap_ = caps[group]
            total += got if got < cap_ else cap_  # type: ignore[operator]
        return total

    def copy(self) -> PointsState:
        """An independent copy of the state (the events are shared: they are values)."""
        other = PointsState.__new__(PointsState)
        other.model, other.lead, other._lead_id = self.model, self.lead, self._lead_id
        other._index = self._index
        other._lists = [None if lst is None else list(lst) for lst in self._lists]
        other._seen = None if self._seen is None else dict(self._seen)
        other._ties = self._ties
        other._fit, other._fit_total = self._fit, self._fit_total
        other._bound, other._fit_bound = self._bound, self._fit_bound
        other._decayed = other._fit_split = None
        return other

    def matched_events(self) -> tuple[Event, ...]:
        """The events some rule counted (each once), in time order."""
        unique = {id(e): e for lst in self._lists if lst for e in lst}
        out = sorted(unique.values(), key=_TS)
        _order_ties(out)
        return tuple(out)

    def score(self, as_of: datetime) -> Score:
        """The score at ``as_of``; events after it are ignored.

        The numbers are computed now; the :class:`~leadqual.Contribution` objects of the
        breakdown are built the first time ``breakdown`` (or ``explain()``) is read.
        """
        require_aware("as_of", as_of)
        now = as_of.timestamp()
        model = self.model
        if self._ties:
            for lst in self._lists:
                if lst:
                    _order_ties(lst)
            self._ties = False
        parts: list[Part] = list(self._fit)
        fit_total = self._fit_total
        engagement_total: float = 0
        for plan, lst in zip(model._plans, self._lists, strict=True):
            if lst:
                engagement_total += _score_rule(plan, lst, now, parts)
        adjustment: float = 0
        groups: dict[str, float] = {}
        if model._group_kinds:
            groups = dict.fromkeys(model._group_kinds, 0)
            for part in parts:
                group = part[6]
                if group is not None:
                    groups[group] += part[1]
            for group, cap in model.group_caps.items():
                got = groups[group]
                if abs(got) > cap:  # type: ignore[operator]
                    cut = math.copysign(cap, got) - got  # type: ignore[arg-type]
                    kind = model._group_kinds[group]
                    reason = f"group {group!r} capped at {cap:g} points"
                    parts.append((f"group:{group}", cut, None, None, reason, kind, group))
                    groups[group] = got + cut
                    if kind == "fit":
                        fit_total += cut
                    elif kind == "engagement":
                        engagement_total += cut
                    else:
                        adjustment += cut
        if model.min_score is not None or model.max_score is not None:
            raw = sum([part[1] for part in parts])  # noqa: C419 (a list sums faster)
            for bound, limit, beyond in (
                (
                    "min_score",
                    model.min_score,
                    model.min_score is not None and raw < model.min_score,
                ),
                (
                    "max_score",
                    model.max_score,
                    model.max_score is not None and raw > model.max_score,
                ),
            ):
                if beyond and limit is not None:
                    cut = _exact_cut(parts, limit)
                    reason = f"score bounded at {bound.split('_')[0]} {limit:g}"
                    parts.append((bound, cut, None, None, reason, "adjustment", None))
                    adjustment += cut
        grade = None
        for letter, threshold in model.grades:
            if fit_total >= threshold:
                grade = letter
                break
        return Score._deferred(
            total=sum([part[1] for part in parts]),  # noqa: C419 (a list sums faster)
            fit=fit_total,
            engagement=engagement_total,
            parts=parts,
            adjustment=adjustment,
            groups=groups,
            grade=grade,
            as_of=as_of,
        )


def _limit(plan: _RulePlan) -> tuple[float | None, float | None, str | None]:
    """What bounds one rule's points: its half-life, its cap, its group."""
    caps = [plan.max_points] if plan.max_points is not None else []
    if plan.max_times is not None:
        caps.append(plan.max_times * max(plan.points, 0))
    return (plan.half_life, min(caps) if caps else None, plan.group)


def _never_grows(decay: DecayFunction | None) -> bool:
    """Whether a decay never makes an event worth more than its points."""
    if decay is None or isinstance(decay, (HalfLife, Linear, Expire, NoDecay)):
        return True
    return isinstance(decay, Schedule) and all(factor <= 1 for _, factor in decay.steps)


def _exact_cut(parts: list[Part], limit: float) -> float:
    """The points that bring ``sum`` of ``parts`` exactly to ``limit`` (floats round, so
    ``limit - raw`` alone can overshoot by a hair)."""
    points = [part[1] for part in parts]
    cut = limit - sum(points)
    for _ in range(4):
        error = limit - sum([*points, cut])
        if error == 0:
            break
        cut += error
    return cut


def _score_rule(plan: _RulePlan, events: list[Event], now: float, out: list[Part]) -> float:
    """Append one rule's contribution parts at ``now``; return the points they add up to."""
    hi = bisect_right(events, now, key=_TS)
    lo = 0 if plan.within is None else bisect_left(events, now - plan.within, key=_TS)
    if hi <= lo:
        return 0
    counted: Sequence[Event] = events[lo:hi]
    dropped = 0
    if plan.max_per_day is not None:
        per_day: dict[int, int] = {}
        keep: list[Event] = []
        limit = plan.max_per_day
        for event in reversed(counted):
            day = int(event._ts // DAY)
            n = per_day.get(day, 0)
            if n < limit:
                per_day[day] = n + 1
                keep.append(event)
        keep.reverse()
        dropped += len(counted) - len(keep)
        counted = keep
    if plan.max_times is not None and len(counted) > plan.max_times:
        dropped += len(counted) - plan.max_times
        counted = counted[len(counted) - plan.max_times :]
    points = plan.points
    name, reason, group = plan.name, plan.reason, plan.group
    total: float = 0
    decay = plan.decay
    append = out.append
    if decay is None:
        for event in counted:
            append((name, points, event, None, reason, "engagement", group))
        total = points * len(counted)
    elif plan.half_life is not None:
        half_life = plan.half_life
        power = math.pow
        for event in counted:
            earned = points * power(0.5, (now - event._ts) / half_life)
            total += earned
            append((name, earned, event, None, reason, "engagement", group))
    else:
        for event in counted:
            earned = decay.apply(points, now - event._ts)
            total += earned
            append((name, earned, event, None, reason, "engagement", group))
    if dropped:
        why = []
        if plan.max_per_day is not None:
            why.append(f"at most {plan.max_per_day} a day")
        if plan.max_times is not None:
            why.append(f"at most {_times(plan.max_times)} in all")
        s = "s" if dropped != 1 else ""
        note = f"{dropped} more event{s} not counted ({', '.join(why)})"
        append((name, 0, None, None, note, "engagement", group))
    if plan.max_points is not None and abs(total) > plan.max_points:
        cut = math.copysign(plan.max_points, total) - total
        append(
            (name, cut, None, None, f"capped at {plan.max_points:g} points", "engagement", group)
        )
        total += cut
    return total


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"
