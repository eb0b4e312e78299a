"""Decay: how engagement points fade with the age of the event that earned them.

Decay is applied when a score is read ``as_of`` a moment, never by a background job,
and only to engagement points (fit does not age). Each decay is a small frozen value
with :meth:`~HalfLife.apply`, so rule sets stay plain data.

>>> from datetime import timedelta
>>> HalfLife(days=30).apply(40, timedelta(days=30).total_seconds())
20.0
>>> Linear(points_per_day=2).apply(10, timedelta(days=7).total_seconds())
0.0
>>> Schedule([(timedelta(days=45), 0.5), (timedelta(days=90), 0.0)]).apply(
...     30, timedelta(days=60).total_seconds())
15.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from leadqual._fields import DAY, checked, require_items, require_number, require_positive_timedelta
from leadqual._text import days
from leadqual.errors import ValidationError

__all__ = [
    "Decay",
    "DecayFunction",
    "Expire",
    "HalfLife",
    "Linear",
    "NoDecay",
    "Schedule",
    "describe_decay",
]


def _above_zero(field: str, value: Any) -> None:
    require_number(field, value)
    if value <= 0:
        raise ValidationError(field, value, "expected a number above zero")


def _positive(field: str) -> Any:
    return checked(_above_zero, field)


@runtime_checkable
class DecayFunction(Protocol):
    """What a decay needs: the points left of ``points`` at ``age_seconds``."""

    def apply(self, points: float, age_seconds: float) -> float:
        """Points remaining after ``age_seconds`` (never negative ages)."""
        ...


@attrs.frozen
class NoDecay:
    """Points never fade: use it on one rule to opt out of the model's decay."""

    def apply(self, points: float, age_seconds: float) -> float:
        return points

    def __str__(self) -> str:
        return "no decay"


@attrs.frozen
class HalfLife:
    """Points halve every ``days`` days: ``points * 0.5 ** (age / days)``."""

    days: float = attrs.field(validator=_positive("decay.days"))

    def apply(self, points: float, age_seconds: float) -> float:
        return points * math.pow(0.5, age_seconds / (self.days * DAY))

    def __str__(self) -> str:
        return f"half-life {days(self.days)}"


@attrs.frozen
class Linear:
    """Points shrink by ``points_per_day`` each day, stopping at zero for that event.

    A negative rule (an unsubscribe at -50) fades towards zero the same way.
    """

    points_per_day: float = attrs.field(validator=_positive("decay.points_per_day"))

    def apply(self, points: float, age_seconds: float) -> float:
        left = abs(points) - self.points_per_day * (age_seconds / DAY)
        if left <= 0:
            return 0.0
        return math.copysign(left, points)

    def __str__(self) -> str:
        return f"minus {self.points_per_day:g} a day"


@attrs.frozen
class Expire:
    """Points count in full while the event is at most ``after`` old, then not at all."""

    after: timedelta = attrs.field(validator=checked(require_positive_timedelta, "decay.after"))

    def apply(self, points: float, age_seconds: float) -> float:
        return points if age_seconds <= self.after.total_seconds() else 0.0

    def __str__(self) -> str:
        return f"expires after {days(self.after.total_seconds() / DAY)}"


def _steps(value: Iterable[Any]) -> tuple[tuple[timedelta, float], ...]:
    given = require_items("decay.steps", value, "expected a list of (age, factor) steps")
    steps: list[tuple[timedelta, float]] = []
    for i, step in enumerate(given):
        if not isinstance(step, (tuple, list)) or len(step) != 2:
            raise ValidationError(f"decay.steps[{i}]", step, "expected (age, factor)")
        age, factor = step
        require_positive_timedelta(f"decay.steps[{i}][0]", age)
        require_number(f"decay.steps[{i}][1]", factor)
        if factor < 0:
            raise ValidationError(f"decay.steps[{i}][1]", factor, "expected a factor of 0 or more")
        if steps and age <= steps[-1][0]:
            raise ValidationError(f"decay.steps[{i}][0]", age, "ages must increase step by step")
        steps.append((age, factor))
    if not steps:
        raise ValidationError("decay.steps", value, "expected at least one (age, factor) step")
    return tuple(steps)


@attrs.frozen
class Schedule:
    """Step factors by age: from each step's age on, points are multiplied by its factor.

    ``Schedule([(timedelta(days=45), 0.5), (timedelta(days=90), 0.0)])`` keeps full
    points for 45 days, half until day 90, nothing after.
    """

    steps: tuple[tuple[timedelta, float], ...] = attrs.field(converter=_steps)

    def apply(self, points: float, age_seconds: float) -> float:
        factor = 1.0
        for age, step_factor in self.steps:
            if age_seconds >= age.total_seconds():
                factor = step_factor
            else:
                break
        return points * factor

    def __str__(self) -> str:
        parts = [
            f"x{factor:g} from {days(age.total_seconds() / DAY)}" for age, factor in self.steps
        ]
        return "schedule " + ", ".join(parts)


def describe_decay(decay: DecayFunction) -> str:
    """The decay in words; a user's decay without ``__str__`` or ``__repr__`` is named
    by its class (never by a memory address, so explanations stay reproducible)."""
    cls = type(decay)
    if cls.__str__ is object.__str__ and cls.__repr__ is object.__repr__:
        return cls.__name__
    return str(decay)


#: The built-in decays.
Decay = NoDecay | HalfLife | Linear | Expire | Schedule
