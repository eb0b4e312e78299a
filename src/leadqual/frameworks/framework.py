"""Frameworks: a named set of checks and a pass policy (all of them, or at least k).

The verdict of a framework is tri-state, like the verdict of a check:

* PASS when enough checks pass to meet the policy;
* FAIL when the policy can no longer be met, even if every UNKNOWN check later passed;
* UNKNOWN otherwise: unknown is not fail.

>>> from datetime import datetime, timezone
>>> from leadqual import Lead
>>> from leadqual.frameworks import AtLeast, Authority, Budget, Facts, Framework
>>> fw = Framework("money-and-power", [Budget(min_amount=10_000), Authority()])
>>> lead = Lead("L-1", attributes={"budget": 25000})
>>> result = fw.evaluate(Facts(lead, datetime(2026, 11, 24, tzinfo=timezone.utc)))
>>> result.verdict, result.passed, result.missing
(<Verdict.UNKNOWN: 'unknown'>, False, ('authority',))
>>> print(result.explain())
money-and-power: unknown (all 2 checks must pass: 1 pass, 0 fail, 1 unknown)
  pass     budget     budget 25000 USD >= 10000 USD
  unknown  authority  title and role not known
  ask next: authority
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadqual._fields import checked, instance_of, require_count, require_items, require_text
from leadqual.errors import ValidationError
from leadqual.frameworks.checks import (
    Activity,
    AttributeCheck,
    Authority,
    Budget,
    Check,
    CheckResult,
    ConditionCheck,
    Facts,
    Need,
    Timeline,
    Verdict,
)
from leadqual.leads import Lead

__all__ = ["AllPass", "AtLeast", "Framework", "FrameworkResult", "Policy"]


def _tally(required: int, verdicts: Sequence[Verdict]) -> Verdict:
    passes = sum(1 for v in verdicts if v is Verdict.PASS)
    if passes >= required:
        return Verdict.PASS
    unknowns = sum(1 for v in verdicts if v is Verdict.UNKNOWN)
    if passes + unknowns < required:
        return Verdict.FAIL
    return Verdict.UNKNOWN


def _plural(n: int) -> str:
    return "check" if n == 1 else "checks"


@attrs.frozen
class AllPass:
    """Every check must pass.

    >>> AllPass().verdict([Verdict.PASS, Verdict.UNKNOWN])
    <Verdict.UNKNOWN: 'unknown'>
    >>> AllPass().verdict([Verdict.FAIL, Verdict.UNKNOWN])
    <Verdict.FAIL: 'fail'>
    """

    def required(self, total: int) -> int:
        """How many of ``total`` checks must pass: all of them."""
        return total

    def verdict(self, verdicts: Sequence[Verdict]) -> Verdict:
        """The tri-state verdict for the checks' ``verdicts``."""
        return _tally(self.required(len(verdicts)), verdicts)

    def describe(self, total: int) -> str:
        """The policy in words, for a framework of ``total`` checks."""
        return "the check must pass" if total == 1 else f"all {total} checks must pass"


@attrs.frozen
class AtLeast:
    """At least ``k`` checks must pass (``AtLeast(3)`` of BANT's four: the classic rule).

    >>> AtLeast(2).verdict([Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN])
    <Verdict.UNKNOWN: 'unknown'>
    >>> AtLeast(2).verdict([Verdict.PASS, Verdict.FAIL, Verdict.PASS])
    <Verdict.PASS: 'pass'>
    >>> AtLeast(2).verdict([Verdict.FAIL, Verdict.FAIL, Verdict.UNKNOWN])
    <Verdict.FAIL: 'fail'>
    """

    k: int = attrs.field(validator=checked(require_count, "k"))

    def required(self, total: int) -> int:
        """How many of ``total`` checks must pass: ``k``."""
        return self.k

    def verdict(self, verdicts: Sequence[Verdict]) -> Verdict:
        """The tri-state verdict for the checks' ``verdicts``."""
        return _tally(self.required(len(verdicts)), verdicts)

    def describe(self, total: int) -> str:
        """The policy in words, for a framework of ``total`` checks."""
        return f"at least {self.k} of {total} {_plural(total)} must pass"


#: A pass policy: :class:`AllPass` or :class:`AtLeast`.
Policy = AllPass | AtLeast


def _policy(where: str, value: Any) -> None:
    if not isinstance(value, (AllPass, AtLeast)):
        raise ValidationError(where, value, "expected a policy: AllPass() or AtLeast(k)")


_KeyReader = Callable[[datetime, Mapping[str, Activity]], Hashable]


def _lead_only(as_of: datetime, activity: Mapping[str, Activity]) -> Hashable:
    return ()


def _day(as_of: datetime, activity: Mapping[str, Activity]) -> Hashable:
    return (as_of.date(), as_of.tzinfo)


def _key_reader(check: Check) -> _KeyReader | None:
    """What a built-in check's result depends on besides the lead (exact classes only:
    a subclass may read more)."""
    kind = type(check)
    if kind in (Budget, Authority, ConditionCheck, AttributeCheck):
        return _lead_only
    if kind is Timeline:
        return _day
    if kind is Need:
        signals = tuple(check.signals)  # type: ignore[attr-defined]

        def seen(as_of: datetime, activity: Mapping[str, Activity]) -> Hashable:
            return tuple([activity[k].count if k in activity else 0 for k in signals])

        return seen
    return None


def _checks(value: Iterable[Check]) -> tuple[Check, ...]:
    return require_items("checks", value, "expected a list of checks")


@attrs.frozen
class Framework:
    """A named set of checks with a pass policy.

    ``checks`` are anything satisfying the :class:`~leadqual.frameworks.Check`
    protocol (the built-in checks, or your own), with unique, non-empty names; there
    must be at least one. ``policy`` is :class:`AllPass` (the default) or
    :class:`AtLeast` with ``k`` no larger than the number of checks.
    """

    name: str = attrs.field(validator=checked(require_text, "name"))
    checks: tuple[Check, ...] = attrs.field(converter=_checks)
    policy: Policy = attrs.field(default=AllPass())
    _keys: tuple[_KeyReader | None, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.checks:
            raise ValidationError("checks", list(self.checks), "expected at least one check")
        seen: set[str] = set()
        for i, check in enumerate(self.checks):
            if not isinstance(check, Check):
                raise ValidationError(
                    f"checks[{i}]",
                    check,
                    "expected a check: anything with a name and an evaluate(facts) method",
                )
            name = check.name
            require_text(f"checks[{i}].name", name)
            if name in seen:
                raise ValidationError(
                    f"checks[{i}].name", name, "check names must be unique within a framework"
                )
            seen.add(name)
        _policy("policy", self.policy)
        if isinstance(self.policy, AtLeast) and self.policy.k > len(self.checks):
            n = len(self.checks)
            raise ValidationError(
                "policy.k", self.policy.k, f"the framework has only {n} {_plural(n)}"
            )
        object.__setattr__(self, "_keys", tuple(_key_reader(check) for check in self.checks))

    def _evaluate_reusing(
        self,
        lead: Lead,
        as_of: datetime,
        activity: Mapping[str, Activity],
        memo: dict[int, tuple[Hashable, CheckResult]],
    ) -> FrameworkResult:
        """:meth:`evaluate` for one lead over time: a built-in check whose inputs are
        those of its result in ``memo`` is not run again (a qualifier keeps one memo per
        lead and walk)."""
        results: list[CheckResult] = []
        facts: Facts | None = None
        for i, (check, reader) in enumerate(zip(self.checks, self._keys, strict=True)):
            key = None if reader is None else reader(as_of, activity)
            if key is not None:
                seen = memo.get(i)
                if seen is not None and seen[0] == key:
                    results.append(seen[1])
                    continue
            if facts is None:
                facts = Facts._trusted(lead, as_of, activity)
            result = self._run(i, check, facts)
            if key is not None:
                memo[i] = (key, result)
            results.append(result)
        verdict = self.policy.verdict([r.verdict for r in results])
        return FrameworkResult(self.name, verdict, tuple(results), self.policy)

    @staticmethod
    def _run(i: int, check: Check, facts: Facts) -> CheckResult:
        result: Any = check.evaluate(facts)
        if not isinstance(result, CheckResult):
            raise ValidationError(f"checks[{i}]", result, "expected a CheckResult")
        if result.name != check.name:
            raise ValidationError(
                f"checks[{i}]",
                result,
                f"expected a CheckResult named {check.name!r}, not {result.name!r}",
            )
        return result

    def evaluate(self, facts: Facts) -> FrameworkResult:
        """Run every check on ``facts`` and apply the policy.

        A check that returns something other than a :class:`CheckResult` of its own
        name raises :class:`~leadqual.errors.ValidationError` naming ``checks[i]``.
        """
        if not isinstance(facts, Facts):
            raise ValidationError(
                "facts", facts, "expected Facts (see Facts.from_events(lead, events, as_of=...))"
            )
        results = [self._run(i, check, facts) for i, check in enumerate(self.checks)]
        verdict = self.policy.verdict([r.verdict for r in results])
        return FrameworkResult(self.name, verdict, tuple(results), self.policy)

    def with_checks(self, *extra: Check) -> Framework:
        """A new framework with ``extra`` checks after these (same name and policy).

        >>> from leadqual import Attr
        >>> from leadqual.frameworks import BANT, ConditionCheck
        >>> fw = BANT().with_checks(ConditionCheck("mid-market", Attr("employees") >= 50))
        >>> [check.name for check in fw.checks]
        ['budget', 'authority', 'need', 'timeline', 'mid-market']
        """
        return Framework(self.name, (*self.checks, *extra), self.policy)

    def check_names(self) -> tuple[str, ...]:
        """The names of the checks, in order."""
        return tuple(check.name for check in self.checks)


def _results(value: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    items = require_items("results", value, "expected a list of CheckResults")
    for i, item in enumerate(items):
        if not isinstance(item, CheckResult):
            raise ValidationError(f"results[{i}]", item, "expected a CheckResult")
    return items


_verdict = checked(instance_of(Verdict, "a Verdict"), "verdict")


@attrs.frozen
class FrameworkResult:
    """What a framework concluded about one lead: its ``verdict`` and every check's result.

    ``missing`` names the checks whose answer is not known yet, in framework order:
    what sales should ask next.
    """

    name: str = attrs.field(validator=checked(require_text, "name"))
    verdict: Verdict = attrs.field(validator=_verdict)
    results: tuple[CheckResult, ...] = attrs.field(converter=_results)
    policy: Policy = attrs.field(default=AllPass(), validator=checked(_policy, "policy"))

    @property
    def passed(self) -> bool:
        """Whether the framework's verdict is PASS."""
        return self.verdict is Verdict.PASS

    @property
    def missing(self) -> tuple[str, ...]:
        """The names of the UNKNOWN checks: what sales should ask next."""
        return self._names(Verdict.UNKNOWN)

    @property
    def failed(self) -> tuple[str, ...]:
        """The names of the checks that failed."""
        return self._names(Verdict.FAIL)

    def _names(self, verdict: Verdict) -> tuple[str, ...]:
        return tuple(r.name for r in self.results if r.verdict is verdict)

    def result(self, name: str) -> CheckResult:
        """The result of the check called ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.results)
        raise ValidationError("name", name, f"no check has this name (checks: {known})")

    def explain(self) -> str:
        """The verdict and why: a headline, one line per check, and what to ask next.

        >>> result = FrameworkResult("BANT", Verdict.FAIL, [
        ...     CheckResult("budget", Verdict.FAIL, "budget 5000 USD < 10000 USD"),
        ...     CheckResult("timeline", Verdict.UNKNOWN, "purchase_date not known"),
        ... ], AtLeast(2))
        >>> print(result.explain())
        BANT: fail (at least 2 of 2 checks must pass: 0 pass, 1 fail, 1 unknown)
          fail     budget    budget 5000 USD < 10000 USD
          unknown  timeline  purchase_date not known
          ask next: timeline
        """
        total = len(self.results)
        counts = {v: sum(1 for r in self.results if r.verdict is v) for v in Verdict}
        head = (
            f"{self.name}: {self.verdict} ({self.policy.describe(total)}: "
            f"{counts[Verdict.PASS]} pass, {counts[Verdict.FAIL]} fail, "
            f"{counts[Verdict.UNKNOWN]} unknown)"
        )
        lines = [head]
        width = max((len(r.name) for r in self.results), default=0)
        for r in self.results:
            lines.append(f"  {r.verdict.value:<7}  {r.name.ljust(width)}  {r.reason}")
        if self.missing:
            lines.append(f"  ask next: {', '.join(self.missing)}")
        return "\n".join(lines)
