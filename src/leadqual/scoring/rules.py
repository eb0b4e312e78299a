"""The rules of the built-in points model: fit rules read the lead, engagement rules
count its events.

>>> from datetime import timedelta
>>> from leadqual import Attr, Prop
>>> FitRule("mid-market", Attr("employees").between(50, 5000), points=10)
FitRule(name='mid-market', condition=Compare(...), points=10, group=None)
>>> rule = EngagementRule("pricing-visit", "page_view", points=15,
...                       where=Prop("url").startswith("/pricing"), max_per_day=1,
...                       within=timedelta(days=30))
>>> print(rule.describe())
page_view where event.url starts with "/pricing": +15 each, at most 1 a day, within 30 days
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from leadqual._fields import (
    DAY,
    checked,
    instance_of,
    require_count,
    require_points,
    require_positive_timedelta,
    require_text,
)
from leadqual._text import days
from leadqual.conditions import Condition, require_testable
from leadqual.errors import ValidationError
from leadqual.scoring.decay import DecayFunction, NoDecay, describe_decay

__all__ = ["EngagementRule", "FitRule"]


def _of_rule(inst: Any, attribute: attrs.Attribute[Any]) -> str:
    """A rule's field, named after the rule: ``demo_request.points``."""
    return f"{inst.name}.{attribute.name}"


def _above_zero(field: str, value: Any) -> None:
    require_points(field, value)
    if value <= 0:
        raise ValidationError(field, value, "expected a number above zero")


def _where(field: str, value: Any) -> None:
    instance_of(Condition, "a condition or None")(field, value)
    require_testable(field, value)


_points = checked(require_points, _of_rule)
_group = checked(require_text, _of_rule, optional=True)
_positive_int = checked(require_count, _of_rule, optional=True)
_positive_number = checked(_above_zero, _of_rule, optional=True)


def _days(delta: timedelta) -> str:
    return days(delta.total_seconds() / DAY)


@attrs.frozen
class FitRule:
    """Points once per lead when ``condition`` holds for its profile.

    The condition may read only the lead (:class:`~leadqual.Attr`); a fit rule that
    reads event properties is refused, since it would never hold.
    """

    name: str = attrs.field(validator=checked(require_text))
    condition: Condition = attrs.field()
    points: float = attrs.field(validator=_points)
    group: str | None = attrs.field(default=None, kw_only=True, validator=_group)

    @condition.validator
    def _check_condition(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Condition):
            raise ValidationError(f"{self.name}.condition", value, "expected a condition")
        require_testable(f"{self.name}.condition", value)
        for source, field in value.fields():
            if source == "prop":
                raise ValidationError(
                    f"{self.name}.condition",
                    str(value),
                    f"a fit rule reads the lead only, but this reads the event property {field!r}",
                )

    def attribute(self) -> str | None:
        """The attribute the condition reads, when it reads exactly one."""
        names = {field for _, field in self.condition.fields()}
        return names.pop() if len(names) == 1 else None

    def describe(self) -> str:
        """The rule in words."""
        return f"{self.condition}: {self.points:+g}"


@attrs.frozen
class EngagementRule:
    """Points for each event of ``event_type`` (and matching ``where``, if given).

    Caps: ``max_times`` counts at most that many events, ``max_per_day`` at most that
    many per UTC calendar day (the most recent ones count), ``max_points`` bounds the
    rule's total in either direction. ``within`` counts only events no older than that
    at the moment the score is read. ``decay`` overrides the model's decay for this
    rule (:class:`~leadqual.scoring.decay.NoDecay` opts out). ``group`` names a group
    for per-group totals and caps.
    """

    name: str = attrs.field(validator=checked(require_text))
    event_type: str = attrs.field(validator=checked(require_text, _of_rule))
    points: float = attrs.field(validator=_points)
    where: Condition | None = attrs.field(
        default=None,
        kw_only=True,
        validator=checked(_where, _of_rule, optional=True),
    )
    max_times: int | None = attrs.field(default=None, kw_only=True, validator=_positive_int)
    max_points: float | None = attrs.field(default=None, kw_only=True, validator=_positive_number)
    max_per_day: int | None = attrs.field(default=None, kw_only=True, validator=_positive_int)
    within: timedelta | None = attrs.field(
        default=None,
        kw_only=True,
        validator=checked(require_positive_timedelta, _of_rule, optional=True),
    )
    decay: DecayFunction | None = attrs.field(
        default=None,
        kw_only=True,
        validator=checked(
            instance_of(DecayFunction, "a decay (HalfLife, ...)"), _of_rule, optional=True
        ),
    )
    group: str | None = attrs.field(default=None, kw_only=True, validator=_group)

    def describe(self, decay: DecayFunction | None = None) -> str:
        """The rule in words (``decay``: the model's, when the rule has none)."""
        text = self.event_type
        if self.where is not None:
            text += f" where {self.where}"
        text += f": {self.points:+g} each"
        if self.max_per_day is not None:
            text += f", at most {self.max_per_day} a day"
        if self.max_times is not None:
            text += ", at most once" if self.max_times == 1 else f", at most {self.max_times} times"
        if self.max_points is not None:
            text += f", at most {self.max_points:g} points"
        if self.within is not None:
            text += f", within {_days(self.within)}"
        effective = self.decay if self.decay is not None else decay
        if effective is not None and not isinstance(effective, NoDecay):
            text += f", {describe_decay(effective)}"
        return text
