"""What of a rule set the batch backends (Polars, Spark) run, and why not the rest.

Only what reads events needs lowering: the ``where`` condition of each engagement rule
and its per-event arithmetic (caps, windows, decay). Lead-level parts (fit rules,
attribute guards, framework checks) are evaluated in Python once per lead, exactly as
the engine evaluates them. What stops a rule set from running on the backend is code
the backend cannot know: a scoring model, decay, condition, guard or check class of
the user's own, a :class:`~leadqual.frameworks.FunctionCheck`, extra models.

>>> from leadqual import default_ruleset
>>> lowerable(default_ruleset())
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from leadqual._fields import require_aware
from leadqual._kinds import encode
from leadqual.conditions import AllOf, AnyOf, Compare, Condition, Not, _getter
from leadqual.errors import NotLowerable, ValidationError
from leadqual.frameworks import checks as _checks
from leadqual.frameworks.framework import AllPass, AtLeast, Framework
from leadqual.leads import Lead
from leadqual.qualifier import Decision
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.decay import Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel
from leadqual.stages import guards as _guards

__all__ = [
    "decisions_by_lead",
    "fields_read",
    "fit_values",
    "lowerable",
    "model_reasons",
    "moment_per_lead",
    "points_model",
    "unique_leads",
]

_DECAYS = (NoDecay, HalfLife, Linear, Expire, Schedule)
_COMBINATIONS = (AllOf, AnyOf, Not)
_GUARDS = (
    _guards.ScoreAtLeast,
    _guards.FitAtLeast,
    _guards.EngagementAtLeast,
    _guards.EventSeen,
    _guards.NewActivity,
    _guards.FrameworkPassed,
    _guards.AttrCondition,
    Compare,  # a condition on the lead, as a guard
    *_COMBINATIONS,
)
_CHECKS = (
    _checks.Budget,
    _checks.Authority,
    _checks.Need,
    _checks.Timeline,
    _checks.ConditionCheck,
    _checks.AttributeCheck,
)


def _name(obj: Any) -> str:
    return type(obj).__name__


def _condition_reasons(condition: Condition, where: str) -> list[str]:
    return [
        f"{where}: {_name(part)} is a condition class of your own"
        for part in condition.walk()
        if type(part) not in (Compare, *_COMBINATIONS)
    ]


def model_reasons(model: Any, where: str = "model") -> list[str]:
    """Why ``model`` cannot be scored on the backend (empty when it can)."""
    if type(model) is not PointsModel:
        return [f"{where}: {_name(model)} is a scoring model of your own (not a PointsModel)"]
    reasons: list[str] = []
    if model.decay is not None and type(model.decay) not in _DECAYS:
        reasons.append(f"{where}.decay: {_name(model.decay)} is a decay of your own")
    for rule in model.fit:
        reasons += _condition_reasons(rule.condition, f"{where}.fit[{rule.name!r}]")
    for counted in model.engagement:
        place = f"{where}.engagement[{counted.name!r}]"
        if counted.decay is not None and type(counted.decay) not in _DECAYS:
            reasons.append(f"{place}.decay: {_name(counted.decay)} is a decay of your own")
        if counted.where is not None:
            reasons += _condition_reasons(counted.where, f"{place}.where")
    return reasons


def _framework_reasons(framework: Framework) -> list[str]:
    reasons: list[str] = []
    if type(framework) is not Framework:
        reasons.append(f"framework: {_name(framework)} is a framework class of your own")
    if type(framework.policy) not in (AllPass, AtLeast):
        reasons.append(f"framework.policy: {_name(framework.policy)} is a policy of your own")
    for i, check in enumerate(framework.checks):
        place = f"framework.checks[{i}]"
        if isinstance(check, _checks.FunctionCheck):
            reasons.append(f"{place}: a FunctionCheck runs Python code of its own")
        elif type(check) not in _CHECKS:
            reasons.append(f"{place}: {_name(check)} is a check of your own")
        elif isinstance(check, _checks.ConditionCheck):
            reasons += _condition_reasons(check.condition, f"{place}.condition")
    return reasons


def lowerable(target: RuleSet | PointsModel, *, backend: str = "polars") -> list[str]:
    """Why ``target`` (a rule set or a points model) cannot run on the batch backend
    (``"polars"`` or ``"spark"``), one reason per place, each naming the rule or part;
    empty when all of it can. The two backends lower alike: conditions are tested in
    Python on each distinct value, so no regular expression or case folding of Polars'
    or of Java's ever decides anything, and the reasons are the same for both."""
    if backend not in ("polars", "spark"):
        raise ValidationError("backend", backend, "expected 'polars' or 'spark'")
    if not isinstance(target, RuleSet):
        return model_reasons(target)
    reasons = model_reasons(target.model)
    for name in target.extra_models:
        reasons.append(f"extra_models[{name!r}]: extra models run on the Python engine only")
    for transition in target.stages.transitions:
        if transition.guard is None:
            continue
        place = f"stages: {transition.source} -> {transition.target}"
        for guard in transition.guard.walk():
            if type(guard) not in _GUARDS:
                reasons.append(f"{place}: {_name(guard)} is a guard of your own")
            elif isinstance(guard, _guards.AttrCondition):
                reasons += _condition_reasons(guard.condition, place)
    if target.framework is not None:
        reasons += _framework_reasons(target.framework)
    return reasons


def points_model(target: RuleSet | PointsModel) -> PointsModel:
    """The points model of ``target``, or :class:`NotLowerable` saying why not."""
    model = target.model if isinstance(target, RuleSet) else target
    reasons = model_reasons(model)
    if reasons:
        raise NotLowerable(reasons)
    assert isinstance(model, PointsModel)  # model_reasons says so
    return model


def unique_leads(leads: Iterable[Lead]) -> dict[str, Lead]:
    """The leads by id; the same lead twice is kept once, two leads sharing an id raise."""
    if isinstance(leads, (str, bytes, Mapping)) or not isinstance(leads, Iterable):
        raise ValidationError("leads", leads, "expected Lead objects")
    out: dict[str, Lead] = {}
    for i, lead in enumerate(leads):
        if not isinstance(lead, Lead):
            raise ValidationError(f"leads[{i}]", lead, "expected a Lead")
        seen = out.setdefault(lead.id, lead)
        if seen is not lead and seen != lead:
            raise ValidationError("leads", lead.id, "two different leads share this id")
    return out


def fields_read(model: PointsModel) -> tuple[list[str], list[str]]:
    """The event properties and lead attributes the ``where`` conditions read."""
    props: dict[str, None] = {}
    attributes: dict[str, None] = {}
    for rule in model.engagement:
        if rule.where is not None:
            for source, name in rule.where.fields():
                (props if source == "prop" else attributes)[name] = None
    return list(props), list(attributes)


def fit_values(model: PointsModel, leads: Iterable[Lead]) -> Iterator[tuple[float, ...]]:
    """Per lead, in order, its fit points and their share in each group of the model (in
    the model's order): the engine's own tests, run once per distinct combination of
    the attributes the fit rules read."""
    names = sorted({name for rule in model.fit for _, name in rule.condition.fields()})
    getters = [_getter("attr", name) for name in names]
    groups = list(model._group_kinds)
    known: dict[tuple[str, ...], tuple[float, ...]] = {}
    fit_parts = model._fit_parts
    for lead in leads:
        key = tuple(encode(get(lead, None)) for get in getters)
        found = known.get(key)
        if found is None:
            fit: float = 0.0
            shares = dict.fromkeys(groups, 0.0)
            for test, part in fit_parts:
                if test(lead, None):
                    fit += part[1]
                    if part[6] is not None:
                        shares[part[6]] += part[1]
            found = known[key] = (fit, *shares.values())
        yield found


def decisions_by_lead(
    decisions: Mapping[str, Iterable[Decision]] | None, by_id: Mapping[str, Lead]
) -> dict[str, list[Decision]]:
    """The sales decisions per lead id, checked (every lead given, every item a
    :class:`Decision`), in time order."""
    if decisions is None:
        return {}
    if not isinstance(decisions, Mapping):
        raise ValidationError("decisions", decisions, "expected a mapping of lead id to decisions")
    out: dict[str, list[Decision]] = {}
    for lead_id, made in decisions.items():
        if lead_id not in by_id:
            raise ValidationError("decisions", lead_id, "no such lead among the leads given")
        items = list(made)
        for i, decision in enumerate(items):
            if not isinstance(decision, Decision):
                raise ValidationError(
                    f"decisions[{lead_id!r}][{i}]", decision, "expected a Decision"
                )
        out[lead_id] = sorted(items, key=lambda d: d.at)
    return out


def moment_per_lead(
    as_of: datetime | Mapping[str, datetime], by_id: Mapping[str, Lead]
) -> dict[str, datetime]:
    """Each lead's moment: ``as_of`` for all, or the mapping's, which must give every
    lead a timezone-aware one."""
    if not isinstance(as_of, Mapping):
        return dict.fromkeys(by_id, require_aware("as_of", as_of))
    out = {}
    for lead_id in by_id:
        if lead_id not in as_of:
            raise ValidationError("as_of", lead_id, "no moment for this lead")
        out[lead_id] = require_aware(f"as_of[{lead_id!r}]", as_of[lead_id])
    return out
