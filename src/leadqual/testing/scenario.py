"""Scenarios: example tests that read as the rule they check.

>>> import leadqual as lq
>>> rules = lq.default_ruleset()
>>> (scenario(rules)
...     .lead(title="VP Sales", employees=300, industry="software")
...     .after("content_download", days_ago=3)
...     .after("webinar_attended", days_ago=2)
...     .after("email_click", days_ago=1, times=2)
...     .expect_stage("MQL")
...     .expect_contribution("senior-title", 15))
Scenario(L-1: 4 events, 0 decisions, now 2026-01-01T12:00:00+00:00)

A scenario is a value: every step returns a new one, so a shared starting point can
branch into many tests without one test changing another's lead.

>>> engaged = scenario(rules).lead(title="Analyst").after("content_download", times=3)
>>> engaged.expect_stage("IQL").after("webinar_attended").expect_stage("MQL").stage
'MQL'
>>> engaged.stage
'IQL'

Times are given relative to the scenario's ``now`` (:data:`DEFAULT_NOW` unless set with
``scenario(rules, now=...)`` or :meth:`Scenario.at`), so tests do not depend on the day
they run. Expectations raise :class:`AssertionError` with the lead's explanation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from leadqual._fields import require_aware, require_count, require_text
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.frameworks.checks import Verdict
from leadqual.leads import Lead
from leadqual.qualifier import Decision, Qualification, Qualifier
from leadqual.rulesets import RuleSet, load
from leadqual.testing.assertions import (
    TOLERANCE,
    assert_contribution,
    assert_path,
    assert_score,
    assert_stage,
)

__all__ = ["DEFAULT_NOW", "Scenario", "scenario"]

#: The moment a scenario's relative times count back from, unless told otherwise.
DEFAULT_NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)

_UNSET: Any = object()


def _ago(
    now: datetime, at: datetime | None, days_ago: float, hours_ago: float, minutes_ago: float
) -> datetime:
    if at is not None:
        if days_ago or hours_ago or minutes_ago:
            raise ValidationError("at", at, "give either at or days/hours/minutes_ago, not both")
        return require_aware("at", at)
    for name, value in (
        ("days_ago", days_ago),
        ("hours_ago", hours_ago),
        ("minutes_ago", minutes_ago),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(name, value, "expected a number")
    return now - timedelta(days=days_ago, hours=hours_ago, minutes=minutes_ago)


@attrs.frozen(repr=False)
class Scenario:
    """One lead, its events and sales decisions, under one qualifier, as of ``now``.

    Build one with :func:`scenario`; each method returns a new scenario.
    """

    qualifier: Qualifier
    now: datetime = DEFAULT_NOW
    lead_value: Lead = attrs.field(default=Lead("L-1"))
    events: tuple[Event, ...] = ()
    decisions: tuple[Decision, ...] = ()

    def __repr__(self) -> str:
        n, d = len(self.events), len(self.decisions)
        return (
            f"Scenario({self.lead_value.id}: {n} event{'s' if n != 1 else ''}, "
            f"{d} decision{'s' if d != 1 else ''}, now {self.now.isoformat()})"
        )

    # --- building ----------------------------------------------------------------------

    def lead(
        self,
        id: str | None = None,
        *,
        email: str | None = _UNSET,
        attributes: Mapping[str, Any] | None = None,
        **more: Any,
    ) -> Scenario:
        """The lead: its ``id`` (``"L-1"`` by default), ``email``, and attributes given
        as keywords (``title="VP Sales"``) and/or as ``attributes`` (for names that are
        not Python identifiers). Replaces the attributes given before; events follow the
        lead to its new id."""
        old = self.lead_value
        merged = dict(attributes or {})
        merged.update(more)
        lead = Lead(
            old.id if id is None else id,
            email=old.email if email is _UNSET else email,
            attributes=merged if (attributes is not None or more) else old.attributes,
        )
        events = self.events
        if lead.id != old.id:
            events = tuple(attrs.evolve(e, lead_id=lead.id) for e in events)
        return attrs.evolve(self, lead_value=lead, events=events)

    def after(
        self,
        event_type: str,
        *,
        days_ago: float = 0,
        hours_ago: float = 0,
        minutes_ago: float = 0,
        at: datetime | None = None,
        times: int = 1,
        every: timedelta = timedelta(days=1),
        properties: Mapping[str, Any] | None = None,
        source: str | None = None,
        **props: Any,
    ) -> Scenario:
        """The lead did ``event_type`` ``days_ago`` (and/or hours or minutes ago) before
        ``now``, or ``at`` a given moment. With ``times``, it did it that many times, the
        last then and each earlier one ``every`` before (a day by default). Event
        properties come as keywords (``url="/pricing"``) and/or ``properties``.

        Every event gets an id of its own, so the scenario never trips on duplicates.
        """
        require_text("event_type", event_type)
        require_count("times", times)
        step: Any = every
        if not isinstance(step, timedelta) or step < timedelta(0):
            raise ValidationError("every", every, "expected a timedelta of 0 or more")
        last = _ago(self.now, at, days_ago, hours_ago, minutes_ago)
        merged = dict(properties or {})
        merged.update(props)
        start = len(self.events)
        new = tuple(
            Event(
                self.lead_value.id,
                event_type,
                at=last - every * (times - 1 - i),
                properties=merged,
                id=f"scenario-{start + i + 1}",
                source=source,
            )
            for i in range(times)
        )
        return attrs.evolve(self, events=self.events + new)

    def decide(
        self,
        target: str,
        *,
        days_ago: float = 0,
        hours_ago: float = 0,
        minutes_ago: float = 0,
        at: datetime | None = None,
        reason: str = "decided in a test",
    ) -> Scenario:
        """Sales moved the lead to ``target`` then (a manual move)."""
        self.qualifier.stages.stage(target)
        moment = _ago(self.now, at, days_ago, hours_ago, minutes_ago)
        return attrs.evolve(self, decisions=(*self.decisions, Decision(target, moment, reason)))

    def at(self, now: datetime) -> Scenario:
        """The same lead and history, qualified as of ``now`` instead (events already
        added keep their moments; later ``days_ago`` count back from the new ``now``)."""
        return attrs.evolve(self, now=require_aware("now", now))

    def later(self, **delta: float) -> Scenario:
        """The same scenario, qualified some time later: ``later(days=30)``."""
        try:
            step = timedelta(**delta)
        except TypeError as exc:
            raise ValidationError("later", delta, f"expected timedelta keywords ({exc})") from None
        return self.at(self.now + step)

    # --- reading -----------------------------------------------------------------------

    def qualify(self) -> Qualification:
        """Where the lead stands at ``now``: the full :class:`~leadqual.Qualification`."""
        return self.qualifier.qualify(
            self.lead_value,
            [e for e in self.events if e.at <= self.now],
            as_of=self.now,
            decisions=[d for d in self.decisions if d.at <= self.now],
        )

    @property
    def stage(self) -> str:
        """The lead's stage at ``now``."""
        return self.qualify().stage

    @property
    def score(self) -> float:
        """The lead's total score at ``now``."""
        return self.qualify().score.total

    def explain(self) -> str:
        """Why the lead is where it is at ``now``."""
        return self.qualify().explain(contributions=10)

    # --- expecting ---------------------------------------------------------------------

    def expect_stage(self, stage: str) -> Scenario:
        """Assert the lead is in ``stage`` at ``now``; returns the scenario to go on."""
        self.qualifier.stages.stage(stage)
        assert_stage(self.qualify(), stage)
        return self

    def expect_path(self, *stages: str) -> Scenario:
        """Assert the lead went through exactly ``stages`` (its first stage included)."""
        for name in stages:
            self.qualifier.stages.stage(name)
        assert_path(self.qualify(), *stages)
        return self

    def expect_score(
        self,
        equals: float | None = None,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        tolerance: float = TOLERANCE,
    ) -> Scenario:
        """Assert the total score at ``now``: ``equals`` it, or within the bounds."""
        assert_score(
            self.qualify(), equals=equals, at_least=at_least, at_most=at_most, tolerance=tolerance
        )
        return self

    def expect_contribution(
        self,
        rule: str,
        points: float | None = None,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        tolerance: float = TOLERANCE,
    ) -> Scenario:
        """Assert what ``rule`` added to the score (anything at all, when no number is
        given). A rule name the model does not have is refused."""
        assert_contribution(
            self.qualify(),
            rule,
            points,
            at_least=at_least,
            at_most=at_most,
            tolerance=tolerance,
            rules=self._rule_names(),
        )
        return self

    def expect_grade(self, grade: str | None) -> Scenario:
        """Assert the lead's fit grade."""
        result = self.qualify()
        if result.score.grade != grade:
            raise AssertionError(
                f"expected {result.lead.id} graded {grade}, got {result.score.grade}\n\n"
                + result.explain(contributions=10)
            )
        return self

    def expect_framework(self, verdict: Verdict | str) -> Scenario:
        """Assert the framework's verdict (``"pass"``, ``"fail"`` or ``"unknown"``)."""
        try:
            wanted = Verdict(verdict)
        except ValueError:
            raise ValidationError(
                "verdict", verdict, "expected 'pass', 'fail' or 'unknown'"
            ) from None
        result = self.qualify()
        if result.framework is None:
            raise ValidationError("framework", None, "these rules have no framework")
        if result.framework.verdict is not wanted:
            raise AssertionError(
                f"expected {result.lead.id}'s {result.framework.name} to {wanted.value}, "
                f"got {result.framework.verdict.value}\n\n" + result.explain(contributions=10)
            )
        return self

    def _rule_names(self) -> tuple[str, ...] | None:
        rules = getattr(self.qualifier.model, "rules", None)
        if rules is None:
            return None  # a custom model: rule names are not known in advance
        return tuple(rule.name for rule in rules())


def scenario(
    rules: RuleSet | Qualifier | str | os.PathLike[str], *, now: datetime = DEFAULT_NOW
) -> Scenario:
    """Start a scenario under ``rules``: a :class:`~leadqual.RuleSet`, a
    :class:`~leadqual.Qualifier`, or the path of a rule file."""
    if isinstance(rules, (str, os.PathLike)):
        rules = load(rules)
    if isinstance(rules, RuleSet):
        qualifier = rules.qualifier()
    elif isinstance(rules, Qualifier):
        qualifier = rules
    else:
        raise ValidationError("rules", rules, "expected a RuleSet, a Qualifier or a rule file path")
    return Scenario(qualifier, now=require_aware("now", now))
