"""Assertions on a :class:`~leadqual.Qualification` whose failures say why.

Each raises :class:`AssertionError` when the lead is not as expected, and the message
ends with the lead's explanation (stage, path, score and its top rules, framework
checks), so a failing test shows why the lead is where it is, not just that it is
elsewhere. A typo (a stage or a rule the rules do not have) is not a failed
expectation but a :class:`~leadqual.errors.ValidationError`.

>>> from datetime import datetime, timezone
>>> import leadqual as lq
>>> rules = lq.default_ruleset()
>>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
>>> events = [lq.Event("L-1", "content_download", at=now),
...           lq.Event("L-1", "webinar_attended", at=now)]
>>> result = rules.qualifier().qualify(lq.Lead("L-1"), events, as_of=now)
>>> assert_score(result, at_least=50)
>>> assert_stage(result, "MQL")
Traceback (most recent call last):
...
AssertionError: expected L-1 in MQL, but it is in IQL
<BLANKLINE>
L-1 is IQL as of 2026-11-24T00:00:00+00:00
  no transition yet
  score 50 (fit 0, engagement 50), grade D
...
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from leadqual._text import short_number
from leadqual.errors import ValidationError
from leadqual.qualifier import Qualification

__all__ = ["assert_contribution", "assert_path", "assert_score", "assert_stage"]

#: Absolute tolerance of the score comparisons: decayed points are floats.
TOLERANCE = 1e-6


def _why(result: Qualification) -> str:
    return "\n\n" + result.explain(contributions=10)


def _check_result(result: object) -> Qualification:
    if not isinstance(result, Qualification):
        raise ValidationError(
            "result", result, "expected a Qualification (qualifier.qualify(...) or engine.get)"
        )
    return result


def assert_stage(result: Qualification, stage: str) -> None:
    """The lead is in ``stage``."""
    result = _check_result(result)
    if result.stage != stage:
        raise AssertionError(
            f"expected {result.lead.id} in {stage}, but it is in {result.stage}" + _why(result)
        )


def assert_path(result: Qualification, *stages: str) -> None:
    """The lead went through exactly ``stages``, in order (its first stage included).

    >>> from datetime import datetime, timezone
    >>> import leadqual as lq
    >>> now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    >>> q = lq.default_ruleset().qualifier().qualify(lq.Lead("L-1"), [], as_of=now)
    >>> assert_path(q, "IQL")
    """
    result = _check_result(result)
    reached = result.reached()
    if reached != stages:
        raise AssertionError(
            f"expected {result.lead.id} to go {' -> '.join(stages)}, "
            f"but it went {' -> '.join(reached)}" + _why(result)
        )


def _within(
    result: Qualification,
    what: str,
    value: float,
    limits: tuple[float | None, float | None, float | None],
    tolerance: float,
) -> None:
    """Fail unless ``value`` meets ``limits`` (equals, at least, at most)."""
    equals, at_least, at_most = limits
    for name, limit in zip(("equals", "at_least", "at_most"), limits, strict=True):
        number: Any = limit
        if number is not None and (
            isinstance(number, bool) or not isinstance(number, (int, float)) or math.isnan(number)
        ):
            raise ValidationError(name, limit, "expected a number")
    if equals is None and at_least is None and at_most is None:
        raise ValidationError("equals", None, "give equals, at_least or at_most")
    shown = short_number(value)
    wrong = None
    if equals is not None and abs(value - equals) > tolerance:
        wrong = f"expected {what} {short_number(equals)}, got {shown}"
    elif at_least is not None and value < at_least - tolerance:
        wrong = f"expected {what} of at least {short_number(at_least)}, got {shown}"
    elif at_most is not None and value > at_most + tolerance:
        wrong = f"expected {what} of at most {short_number(at_most)}, got {shown}"
    if wrong is not None:
        raise AssertionError(f"{result.lead.id}: {wrong}" + _why(result))


def assert_score(
    result: Qualification,
    *,
    equals: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    tolerance: float = TOLERANCE,
) -> None:
    """The lead's total score is ``equals`` (within ``tolerance``), or in the bounds."""
    result = _check_result(result)
    _within(result, "a score", result.score.total, (equals, at_least, at_most), tolerance)


def assert_contribution(
    result: Qualification,
    rule: str,
    points: float | None = None,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    tolerance: float = TOLERANCE,
    rules: Iterable[str] | None = None,
) -> None:
    """``rule`` added ``points`` to the score (its caps included), or points in the
    bounds; with none of them, that it added anything at all.

    A rule that contributed nothing counts as 0 points. Pass ``rules`` (the model's rule
    names) to have a misspelt rule name refused instead of read as 0.
    """
    result = _check_result(result)
    if rules is not None:
        names = tuple(rules)
        if rule not in names:
            raise ValidationError("rule", rule, f"no such rule (rules: {', '.join(names)})")
    by_rule = result.score.by_rule()
    got = by_rule.get(rule, 0.0)
    if points is None and at_least is None and at_most is None:
        if rule not in by_rule or got == 0:
            raise AssertionError(
                f"{result.lead.id}: expected rule {rule!r} to contribute, but it added nothing"
                + _why(result)
            )
        return
    _within(result, f"rule {rule!r} to add", got, (points, at_least, at_most), tolerance)
