"""Guards: the conditions under which a lead moves from one stage to another, as data.

A guard looks at a :class:`GuardContext`: the lead, its score and framework result at
the moment, what it did (per event type) and when it entered its current stage.

>>> from datetime import timedelta
>>> g = ScoreAtLeast(100) & EventSeen(["demo_request", "pricing_inquiry"])
>>> print(g)
(score >= 100) and (demo_request or pricing_inquiry seen)
>>> guard_from_dict(g.to_dict()) == g
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from leadqual._fields import (
    DAY,
    checked,
    require_number,
    require_points,
    require_positive_timedelta,
    require_text,
)
from leadqual._moved import moved
from leadqual._text import days
from leadqual._text import short_number as _num
from leadqual.conditions import (
    Condition,
    Source,
    condition_from_dict,
    require_testable,
    tree_from_dict,
)
from leadqual.errors import ValidationError
from leadqual.leads import Lead
from leadqual.scoring.protocol import Score

if TYPE_CHECKING:
    from leadqual.frameworks.checks import Activity
    from leadqual.frameworks.framework import FrameworkResult

__all__ = [
    "AttrCondition",
    "EngagementAtLeast",
    "EventSeen",
    "FitAtLeast",
    "FrameworkPassed",
    "Guard",
    "GuardContext",
    "NewActivity",
    "ScoreAtLeast",
    "check_guard",
    "guard_from_dict",
]

# the guards' own combinators are the conditions' now: one tree
__getattr__ = moved(
    "leadqual.stages.guards",
    {
        "GuardAll": "leadqual.conditions.AllOf",
        "GuardAny": "leadqual.conditions.AnyOf",
        "GuardNot": "leadqual.conditions.Not",
    },
)


class _Lazy:
    """A value computed on first use, shared by the copies of one context."""

    __slots__ = ("make", "value")

    def __init__(self, value: Any) -> None:
        self.make: Callable[[], Any] | None = value if callable(value) else None
        self.value = None if callable(value) else value

    def get(self) -> Any:
        if self.make is not None:
            self.value = self.make()
            self.make = None
        return self.value


class GuardContext:
    """Everything a guard may look at, at one moment (``as_of``).

    ``score``, ``framework`` and ``score_bound`` may be given as values, or as
    callables that compute them: they are then computed the first time a guard reads
    them (so a stage whose guards never read the framework never evaluates it).
    ``score_bound``, when known, is a number the total score at ``as_of`` cannot
    exceed: a score threshold above it fails without the score being computed.

    >>> from datetime import datetime, timezone
    >>> ctx = GuardContext(lead=Lead("L"), score=lambda: Score(total=5, fit=5, engagement=0),
    ...                    as_of=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> ctx.score.total
    5
    """

    __slots__ = (
        "_bound",
        "_framework",
        "_score",
        "activity",
        "as_of",
        "lead",
        "stage_entered_at",
    )

    def __init__(
        self,
        lead: Lead,
        score: Score | Callable[[], Score],
        as_of: datetime,
        *,
        activity: Mapping[str, Activity] | None = None,
        framework: FrameworkResult | Callable[[], FrameworkResult | None] | None = None,
        stage_entered_at: datetime | None = None,
        score_bound: float | Callable[[], float | None] | None = None,
    ) -> None:
        self.lead = lead
        self._bound = _Lazy(score_bound)
        self.as_of = as_of
        self.activity: Mapping[str, Activity] = {} if activity is None else activity
        self.stage_entered_at = stage_entered_at
        self._score = _Lazy(score)
        self._framework = _Lazy(framework)

    @property
    def score(self) -> Score:
        """The lead's score at ``as_of``."""
        value: Score = self._score.get()
        return value

    @property
    def score_bound(self) -> float | None:
        """A number the score at ``as_of`` cannot exceed (``None`` when unknown)."""
        value: float | None = self._bound.get()
        return value

    @property
    def framework(self) -> FrameworkResult | None:
        """The framework's result at ``as_of`` (``None`` without a framework)."""
        value: FrameworkResult | None = self._framework.get()
        return value

    def entered(self, at: datetime | None) -> GuardContext:
        """The same moment, for a lead that entered its current stage at ``at``."""
        copy = GuardContext.__new__(GuardContext)
        copy.lead, copy.as_of, copy.activity = self.lead, self.as_of, self.activity
        copy.stage_entered_at = at
        copy._bound = self._bound
        copy._score, copy._framework = self._score, self._framework
        return copy


#: The base class of guards, and of leadqual's whole expression tree: a guard is a
#: :class:`~leadqual.conditions.Condition` over a lead's facts at an instant. Subclass it
#: for a guard of your own: implement ``holds(ctx)`` (and ``explain(ctx)``, ``to_dict()``
#: and ``__str__`` to taste); it combines with ``&``, ``|`` and ``~`` like any condition.
Guard = Condition


def check_guard(field: str, value: Any) -> Condition:
    """``value`` if it can guard a transition: a tree whose conditions on the lead read
    no event property (a transition happens at an instant, not on one event)."""
    if not isinstance(value, Condition):
        raise ValidationError(field, value, "expected a guard or None")
    reads = getattr(value, "fields", None)  # a guard of yours may have a field so named
    for source, name in reads() if callable(reads) else ():
        if source == "prop":
            raise ValidationError(
                field, str(value), f"a guard reads the lead, not event properties ({name!r})"
            )
    return value


@attrs.frozen
class _Threshold(Guard):
    """What the three score thresholds share."""

    points: float = attrs.field(validator=checked(require_points))
    _what: ClassVar[str] = "score"  # the word; ``_reads``: the Score attribute read
    _reads: ClassVar[str] = "total"
    _key: ClassVar[str] = "score_at_least"
    _explains_negation: ClassVar[bool] = True  # "score 38 < 40" says what ~ means

    def _value(self, score: Score) -> float:
        value: float = getattr(score, self._reads)
        return value

    def holds(self, ctx: GuardContext) -> bool:
        return self._value(ctx.score) >= self.points

    def explain(self, ctx: GuardContext) -> str:
        value = self._value(ctx.score)
        sign = ">=" if value >= self.points else "<"
        shown = _num(value)
        if shown == _num(self.points) and value != self.points:
            shown = f"{value:.6g}"  # never "100 < 100"
        return f"{self._what} {shown} {sign} {_num(self.points)}"

    def to_dict(self) -> dict[str, Any]:
        return {self._key: self.points}

    def __str__(self) -> str:
        return f"{self._what} >= {_num(self.points)}"


@attrs.frozen
class ScoreAtLeast(_Threshold):
    """The total score reaches ``points``."""

    def holds(self, ctx: GuardContext) -> bool:
        bound = ctx.score_bound
        if bound is not None and bound < self.points:
            return False  # cannot be reached: no need to compute the score
        return ctx.score.total >= self.points


@attrs.frozen
class FitAtLeast(_Threshold):
    """The fit score reaches ``points``."""

    _what = _reads = "fit"
    _key = "fit_at_least"


@attrs.frozen
class EngagementAtLeast(_Threshold):
    """The engagement score reaches ``points``."""

    _what = _reads = "engagement"
    _key = "engagement_at_least"


def _types(value: str | Iterable[str]) -> tuple[str, ...]:
    if not isinstance(value, (str, list, tuple)):
        raise ValidationError("event_types", value, "expected an event type or a list of them")
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items:
        raise ValidationError("event_types", value, "expected at least one event type")
    for i, item in enumerate(items):
        require_text(f"event_types[{i}]", item)
    return items


@attrs.frozen
class EventSeen(Guard):
    """An event of one of ``event_types`` happened (no older than ``within``, if given)."""

    event_types: tuple[str, ...] = attrs.field(converter=_types)
    within: timedelta | None = attrs.field(
        default=None, validator=checked(require_positive_timedelta, "within", optional=True)
    )

    def _latest(self, ctx: GuardContext) -> tuple[str, datetime] | None:
        best: tuple[str, datetime] | None = None
        for event_type in self.event_types:
            seen = ctx.activity.get(event_type)
            if seen is not None and seen.count and (best is None or seen.last > best[1]):
                best = (event_type, seen.last)
        return best

    def holds(self, ctx: GuardContext) -> bool:
        latest = self._latest(ctx)
        if latest is None:
            return False
        return self.within is None or ctx.as_of - latest[1] <= self.within

    def explain(self, ctx: GuardContext) -> str:
        latest = self._latest(ctx)
        if latest is None:
            return f"no {' or '.join(self.event_types)} seen"
        text = f"{latest[0]} on {latest[1].astimezone(timezone.utc).date().isoformat()}"
        if self.within is not None and not self.holds(ctx):
            text += f", older than {days(self.within.total_seconds() / DAY)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event_seen": list(self.event_types)}
        if self.within is not None:
            data["within_days"] = self.within.total_seconds() / DAY
        return data

    def __str__(self) -> str:
        text = f"{' or '.join(self.event_types)} seen"
        if self.within is not None:
            text += f" within {days(self.within.total_seconds() / DAY)}"
        return text


def _optional_types(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _types(value)


@attrs.frozen
class NewActivity(Guard):
    """An event (of ``event_types``, or of any type) since the lead entered its stage.

    Used to bring a recycled lead back: a lead in NURTURE returns to MQL only after
    it engages again, not because an old score still stands.
    """

    event_types: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_types)

    def holds(self, ctx: GuardContext) -> bool:
        since = ctx.stage_entered_at
        types = self.event_types if self.event_types is not None else tuple(ctx.activity)
        for event_type in types:
            seen = ctx.activity.get(event_type)
            if seen is not None and seen.count and (since is None or seen.last > since):
                return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {"new_activity": True if self.event_types is None else list(self.event_types)}

    def __str__(self) -> str:
        what = "activity" if self.event_types is None else " or ".join(self.event_types)
        return f"new {what} since entering the stage"


@attrs.frozen
class FrameworkPassed(Guard):
    """The qualification framework (BANT, ...) passes."""

    def holds(self, ctx: GuardContext) -> bool:
        return ctx.framework is not None and ctx.framework.passed

    def explain(self, ctx: GuardContext) -> str:
        if ctx.framework is None:
            return "no qualification framework"
        verdict = "passed" if ctx.framework.passed else "not passed"
        return f"{ctx.framework.name} {verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {"framework_passed": True}

    def __str__(self) -> str:
        return "framework passed"


def _condition(value: Any) -> Condition:
    condition = check_guard("AttrCondition.condition", value)
    return require_testable("AttrCondition.condition", condition)  # on the lead: no guard in it


@attrs.frozen
class AttrCondition(Guard):
    """A condition on the lead's attributes holds (``Attr("country").is_in([...])``)."""

    condition: Condition = attrs.field(converter=_condition)

    def holds(self, ctx: GuardContext) -> bool:
        return self.condition.test(ctx.lead)

    def fields(self) -> Iterator[tuple[Source, str]]:
        return self.condition.fields()

    def to_dict(self) -> dict[str, Any]:
        return {"attr_condition": self.condition.to_dict()}

    def __str__(self) -> str:
        return str(self.condition)


_THRESHOLDS: dict[str, type[_Threshold]] = {
    "score_at_least": ScoreAtLeast,
    "fit_at_least": FitAtLeast,
    "engagement_at_least": EngagementAtLeast,
}


def guard_from_dict(data: Any, path: str = "guard") -> Guard:
    """Rebuild a guard from :meth:`~leadqual.conditions.Condition.to_dict` output; errors
    name their path. Its leaves are the guards here, and conditions on the lead (written
    ``{"attr": ...}`` or, as older files do, ``{"attr_condition": {...}}``)."""
    try:
        return tree_from_dict(data, path, leaf_from_dict, "guard")
    except ValidationError as err:
        if err.field.startswith(path):
            raise
        raise ValidationError(f"{path}.{err.field}", err.value, err.problem) from None


def leaf_from_dict(data: Mapping[str, Any], path: str) -> Guard:
    """One leaf of a guard from its plain data (a threshold, ``event_seen``, ...)."""
    keys = set(data)
    if not keys:
        raise ValidationError(path, dict(data), "expected a mapping describing a guard")
    for key, threshold in _THRESHOLDS.items():
        if keys == {key}:
            require_number(f"{path}.{key}", data[key])
            return threshold(data[key])
    if "event_seen" in keys and keys <= {"event_seen", "within_days"}:
        within = data.get("within_days")
        if within is not None:
            require_number(f"{path}.within_days", within)
            try:
                within = timedelta(days=within)
            except OverflowError:
                raise ValidationError(f"{path}.within_days", within, "is too large") from None
        try:
            return EventSeen(data["event_seen"], within=within)
        except ValidationError as err:
            where = "within_days" if err.field == "within" else "event_seen"
            raise ValidationError(f"{path}.{where}", err.value, err.problem) from None
    if keys == {"new_activity"}:
        types = data["new_activity"]
        if types is True:
            return NewActivity()
        if not isinstance(types, list):
            raise ValidationError(f"{path}.new_activity", types, "expected true or a list of types")
        try:
            return NewActivity(types)
        except ValidationError as err:
            raise ValidationError(f"{path}.new_activity", err.value, err.problem) from None
    if keys == {"framework_passed"} and data["framework_passed"] is True:
        return FrameworkPassed()
    if keys == {"attr_condition"}:
        condition = condition_from_dict(data["attr_condition"], f"{path}.attr_condition")
        try:
            return AttrCondition(condition)
        except ValidationError as err:
            raise ValidationError(f"{path}.attr_condition", err.value, err.problem) from None
    if "attr" in keys or "prop" in keys:
        return check_guard(path, condition_from_dict(data, path))
    raise ValidationError(path, dict(data), "not a guard this version of leadqual knows")
