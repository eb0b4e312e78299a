"""The one place that maps rule-set objects to plain data (dicts, lists, strings, numbers,
booleans) and back. Plain data has no ``None`` (TOML cannot hold it): an absent key means
the default. Decoding collects every problem with its path before it raises.

>>> import leadqual as lq
>>> data = ruleset_to_dict(lq.RuleSet("demo", "1", model=lq.PointsModel(
...     engagement=[lq.EngagementRule("ebook", "content_download", 30, max_times=3)]),
...     stages=lq.StageMachine.default(sql_requires=None)))
>>> data["scoring"]["engagement"]
[{'name': 'ebook', 'event_type': 'content_download', 'points': 30, 'max_times': 3}]
>>> ruleset_from_dict(data) == ruleset_from_dict(data)
True
>>> bad = dict(data, scoring={"engagement": [{"name": "x", "event_type": "t", "points": "ten"}]})
>>> ruleset_from_dict(bad)
Traceback (most recent call last):
...
leadqual.errors.RuleSetError: 1 problem
  scoring.engagement[0].points: expected a number, got 'ten'
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs

from leadqual import errors
from leadqual._fields import DAY, is_number
from leadqual._moved import moved
from leadqual.conditions import Condition, condition_from_dict
from leadqual.errors import Problem, RuleSetError, ValidationError
from leadqual.frameworks.checks import (
    AttributeCheck,
    Authority,
    Budget,
    ConditionCheck,
    Need,
    Timeline,
)
from leadqual.frameworks.framework import AllPass, AtLeast, Framework
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.decay import DecayFunction, Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel
from leadqual.scoring.rules import EngagementRule, FitRule
from leadqual.stages.guards import AttrCondition, guard_from_dict
from leadqual.stages.machine import Stage, StageMachine, Transition
from leadqual.typing import ScoringModel

__all__ = ["ruleset_fingerprint", "ruleset_from_dict", "ruleset_to_dict"]

_BAD: Any = object()


# --- objects to plain data -------------------------------------------------------------


def _days(delta: timedelta) -> float:
    days = delta.total_seconds() / DAY
    return int(days) if days == int(days) else days


def decay_to_dict(decay: DecayFunction, where: str = "decay") -> dict[str, Any]:
    """A built-in decay as plain data."""
    if isinstance(decay, NoDecay):
        return {"none": True}
    if isinstance(decay, HalfLife):
        return {"half_life_days": decay.days}
    if isinstance(decay, Linear):
        return {"points_per_day": decay.points_per_day}
    if isinstance(decay, Expire):
        return {"expire_after_days": _days(decay.after)}
    if isinstance(decay, Schedule):
        return {"schedule": [[_days(age), factor] for age, factor in decay.steps]}
    raise errors.CodecError(where, decay, "only the built-in decays can be saved in a rule file")


def _tree_to_dict(tree: Condition, where: str) -> dict[str, Any]:
    """A condition's or guard's plain data, refusing a node of your own (it is code)."""
    parts = [*tree.walk()]
    parts += [n for p in parts if isinstance(p, AttrCondition) for n in p.condition.walk()]
    for part in parts:
        if not type(part).__module__.startswith("leadqual."):
            raise errors.CodecError(
                where,
                part,
                f"{type(part).__name__} is a class of your own: a rule file holds leadqual's "
                "own conditions and guards only (it never runs code)",
            )
    return tree.to_dict()


def _model_to_dict(model: ScoringModel, where: str) -> dict[str, Any]:
    if not isinstance(model, PointsModel):
        raise errors.CodecError(
            where, model, "a rule file holds points models only (it never runs code)"
        )
    data: dict[str, Any] = {}
    if model.decay is not None:
        data["decay"] = decay_to_dict(model.decay)
    for key in ("min_score", "max_score"):
        if getattr(model, key) is not None:
            data[key] = getattr(model, key)
    if model.group_caps:
        data["group_caps"] = dict(model.group_caps)
    if model.grades:
        data["grades"] = [
            {"grade": g} if math.isinf(t) and t < 0 else {"grade": g, "at_least": t}
            for g, t in model.grades
        ]
    data["fit"] = [_fit_to_dict(r) for r in model.fit]
    data["engagement"] = [_engagement_to_dict(r, i) for i, r in enumerate(model.engagement)]
    return data


def _fit_to_dict(rule: FitRule) -> dict[str, Any]:
    condition = _tree_to_dict(rule.condition, f"fit[{rule.name!r}].condition")
    data = {"name": rule.name, "points": rule.points, "condition": condition}
    if rule.group is not None:
        data["group"] = rule.group
    return data


def _engagement_to_dict(rule: EngagementRule, i: int) -> dict[str, Any]:
    data: dict[str, Any] = {"name": rule.name, "event_type": rule.event_type, "points": rule.points}
    if rule.where is not None:
        data["where"] = _tree_to_dict(rule.where, f"engagement[{rule.name!r}].where")
    for key in ("max_times", "max_points", "max_per_day"):
        if getattr(rule, key) is not None:
            data[key] = getattr(rule, key)
    if rule.within is not None:
        data["within_days"] = _days(rule.within)
    if rule.decay is not None:
        data["decay"] = decay_to_dict(rule.decay, f"scoring.engagement[{i}].decay")
    if rule.group is not None:
        data["group"] = rule.group
    return data


def _machine_to_dict(machine: StageMachine) -> dict[str, Any]:
    stages = []
    for s in machine.stages:
        item: dict[str, Any] = {"name": s.name, "order": s.order}
        if not s.funnel:
            item["funnel"] = False
        if s.description:
            item["description"] = s.description
        stages.append(item)
    transitions = []
    for t in machine.transitions:
        item = {"source": t.source, "target": t.target}
        if t.guard is not None:
            item["guard"] = _tree_to_dict(t.guard, f"stages: {t.source} -> {t.target}")
        if not t.auto:
            item["auto"] = False
        transitions.append(item)
    return {"initial": machine.first_stage(), "stages": stages, "transitions": transitions}


_CHECK_KINDS: dict[type, str] = {
    Budget: "budget",
    Authority: "authority",
    Need: "need",
    Timeline: "timeline",
    ConditionCheck: "condition",
    AttributeCheck: "attribute",
}


def _check_to_dict(check: Any, i: int) -> dict[str, Any]:
    kind = _CHECK_KINDS.get(type(check))
    if kind is None:
        raise errors.CodecError(
            f"framework.checks[{i}]", check, "only the built-in checks can be saved in a rule file"
        )
    data: dict[str, Any] = {"kind": kind}
    for name in _init_fields(type(check)):
        value = getattr(check, name)
        if value is None or (value == "" and name == "description"):
            continue
        if kind == "condition" and name == "condition":
            value = _tree_to_dict(value, f"framework.checks[{i}].condition")
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data


def _framework_to_dict(framework: Framework) -> dict[str, Any]:
    policy: Any = (
        "all" if isinstance(framework.policy, AllPass) else {"at_least": framework.policy.k}
    )
    return {
        "name": framework.name,
        "policy": policy,
        "checks": [_check_to_dict(c, i) for i, c in enumerate(framework.checks)],
    }


def ruleset_to_dict(ruleset: RuleSet) -> dict[str, Any]:
    """Plain data for ``ruleset`` (what :func:`leadqual.dump` writes)."""
    data: dict[str, Any] = {"name": ruleset.name, "version": ruleset.version}
    if ruleset.description:
        data["description"] = ruleset.description
    data["scoring"] = _model_to_dict(ruleset.model, "model")
    if ruleset.extra_models:
        data["models"] = {
            name: _model_to_dict(m, f"extra_models.{name}")
            for name, m in ruleset.extra_models.items()
        }
    data["stages"] = _machine_to_dict(ruleset.stages)
    if ruleset.framework is not None:
        data["framework"] = _framework_to_dict(ruleset.framework)
    return data


def ruleset_fingerprint(ruleset: RuleSet) -> str:
    """A digest of everything ``ruleset`` holds (SHA-256 of its plain data, keys sorted).

    Two rule sets with one fingerprint qualify every lead alike; a rule file edited
    without a version bump gets another. A model a rule file cannot hold (your own
    :class:`~leadqual.ScoringModel`, a custom decay or check) counts by its class's
    name: its settings are not seen."""

    def part(to_dict: Callable[[Any], Any], value: Any) -> Any:
        try:
            return to_dict(value)
        except (errors.CodecError, NotImplementedError):  # a custom decay, check or guard
            return {"class": f"{type(value).__module__}.{type(value).__qualname__}"}

    def model(m: ScoringModel) -> Any:
        return part(lambda v: _model_to_dict(v, "model"), m)

    data: dict[str, Any] = {
        "name": ruleset.name,
        "version": ruleset.version,
        "scoring": model(ruleset.model),
        "models": {n: model(m) for n, m in ruleset.extra_models.items()},
        "stages": part(_machine_to_dict, ruleset.stages),
        "framework": (
            None if ruleset.framework is None else part(_framework_to_dict, ruleset.framework)
        ),
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _init_fields(cls: type) -> list[str]:
    return [a.name for a in attrs.fields(cls) if a.init]


def _required_fields(cls: type) -> list[str]:
    return [a.name for a in attrs.fields(cls) if a.init and a.default is attrs.NOTHING]


# --- plain data to objects ---------------------------------------------------------------


#: Where an object's field name differs from its key in the file.
_RENAMED = {"policy.k": "policy.at_least", "within": "within_days"}


def _number_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "expected a number"
    try:
        finite = math.isfinite(value)
    except OverflowError:
        return "is too large"
    return None if finite else "expected a finite number"


def _whole_problem(value: Any) -> str | None:
    return (
        "expected a whole number" if isinstance(value, bool) or not isinstance(value, int) else None
    )


def _text_problem(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "expected a non-empty string"


class _Reader:
    """Collects problems while reading plain data."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, problem: str, value: Any = None) -> Any:
        self.problems.append(Problem(path, problem, value))
        return _BAD

    def mapping(
        self, data: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Mapping[str, Any] | None:
        if not isinstance(data, Mapping):
            self.add(path, "expected a table (a mapping)", data)
            return None
        known = (*required, *optional)
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                where = f"{path}.{key}" if path else str(key)
                self.add(where, f"unknown key{hint}", None)
        for key in required:
            if key not in data:
                self.add(f"{path}.{key}" if path else key, "is required")
        return data

    def _read(
        self, data: Mapping[str, Any], key: str, path: str, problem: Callable[[Any], str | None]
    ) -> Any:
        """``data[key]`` if ``problem`` finds nothing wrong with it, else the problem."""
        if key not in data:
            return _BAD  # reported once, as required, by mapping()
        value = data[key]
        wrong = problem(value)
        return value if wrong is None else self.add(f"{path}.{key}" if path else key, wrong, value)

    def number(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        return self._read(data, key, path, _number_problem)

    def whole(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        return self._read(data, key, path, _whole_problem)

    def text(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        return self._read(data, key, path, _text_problem)

    def flag(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        value = data.get(key)
        if not isinstance(value, bool):
            return self.add(f"{path}.{key}", "expected true or false", value)
        return value

    def texts(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return self.add(f"{path}.{key}", "expected a list of strings", value)
        return tuple(value)

    def items(self, data: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(f"{path}.{key}", "expected a list", value)
            return []
        return value

    def each(
        self, data: Mapping[str, Any], key: str, path: str, read: Callable[[_Reader, Any, str], Any]
    ) -> list[Any]:
        """Read every item of the list at ``key`` with ``read``, each at its own path."""
        items = self.items(data, key, path)
        return [read(self, item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]

    def build(
        self, path: str, keys: Mapping[str, Any], make: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        """Call ``make(*args, **kw)``; a ValidationError becomes a problem at the key it names."""
        try:
            return make(*args, **kw)
        except OverflowError:
            return self.add(path, "a number is too large", dict(keys))
        except ValidationError as err:
            field = _RENAMED.get(err.field, err.field)
            first, last = field.split(".", 1)[0], field.rsplit(".", 1)[-1]
            last = _RENAMED.get(last, last)
            if first in keys:
                where = f"{path}.{field}"
            elif last in keys:
                where = f"{path}.{last}"
            else:
                where = path
            return self.add(where, err.problem, err.value)

    def nested(self, path: str, read: Callable[[Any, str], Any], data: Any) -> Any:
        """Read a condition or guard, whose own reader names paths below ``path``."""
        try:
            return read(data, path)
        except ValidationError as err:
            return self.add(err.field, err.problem, err.value)


def _decay(r: _Reader, data: Any, path: str) -> Any:
    forms = ("none", "half_life_days", "points_per_day", "expire_after_days", "schedule")
    table = r.mapping(data, path, (), forms)
    if table is None:
        return _BAD
    given = [k for k in forms if k in table]
    if len(given) != 1:
        return r.add(path, f"expected exactly one of {', '.join(forms)}", dict(table))
    key = given[0]
    if key == "none":
        if table[key] is not True:
            return r.add(f"{path}.none", "expected true", table[key])
        return NoDecay()
    if key == "schedule":
        steps = table[key]
        if not isinstance(steps, list) or not all(
            isinstance(s, list) and len(s) == 2 and all(is_number(x) for x in s) for s in steps
        ):
            return r.add(f"{path}.schedule", "expected a list of [days, factor] pairs", steps)
        return r.build(path, table, _schedule, steps)
    value = r.number(table, key, path)
    if value is _BAD:
        return _BAD
    if key == "half_life_days":
        return r.build(path, table, HalfLife, days=value)
    if key == "points_per_day":
        return r.build(path, table, Linear, points_per_day=value)
    return r.build(path, table, _expire, value)


def _schedule(steps: list[list[float]]) -> Schedule:
    return Schedule([(timedelta(days=d), f) for d, f in steps])


def _expire(days: float) -> Expire:
    return Expire(after=timedelta(days=days))


def _fit(r: _Reader, data: Any, path: str) -> Any:
    table = r.mapping(data, path, ("name", "points", "condition"), ("group",))
    if table is None:
        return _BAD
    name, points = r.text(table, "name", path), r.number(table, "points", path)
    condition = r.nested(f"{path}.condition", condition_from_dict, table.get("condition"))
    group = r.text(table, "group", path) if "group" in table else None
    if _BAD in (name, points, condition, group):
        return _BAD
    return r.build(path, table, FitRule, name, condition, points, group=group)


_ENGAGEMENT_OPTIONAL = (
    "where",
    "max_times",
    "max_points",
    "max_per_day",
    "within_days",
    "decay",
    "group",
)


def _engagement(r: _Reader, data: Any, path: str) -> Any:
    table = r.mapping(data, path, ("name", "event_type", "points"), _ENGAGEMENT_OPTIONAL)
    if table is None:
        return _BAD
    kwargs: dict[str, Any] = {
        "name": r.text(table, "name", path),
        "event_type": r.text(table, "event_type", path),
        "points": r.number(table, "points", path),
    }
    if "where" in table:
        kwargs["where"] = r.nested(f"{path}.where", condition_from_dict, table["where"])
    for key in ("max_times", "max_per_day"):
        if key in table:
            kwargs[key] = r.whole(table, key, path)
    if "max_points" in table:
        kwargs["max_points"] = r.number(table, "max_points", path)
    if "within_days" in table:
        days = r.number(table, "within_days", path)
        kwargs["within"] = _BAD if days is _BAD else _timedelta(r, days, f"{path}.within_days")
    if "decay" in table:
        kwargs["decay"] = _decay(r, table["decay"], f"{path}.decay")
    if "group" in table:
        kwargs["group"] = r.text(table, "group", path)
    if _BAD in kwargs.values():
        return _BAD
    return r.build(path, table, EngagementRule, **kwargs)


def _timedelta(r: _Reader, days: float, path: str) -> Any:
    try:
        return timedelta(days=days)
    except OverflowError:
        return r.add(path, "is too large", days)


def _model(r: _Reader, data: Any, path: str) -> Any:
    optional = ("fit", "engagement", "decay", "min_score", "max_score", "group_caps", "grades")
    table = r.mapping(data, path, (), optional)
    if table is None:
        return _BAD
    fit = r.each(table, "fit", path, _fit)
    engagement = r.each(table, "engagement", path, _engagement)
    kwargs: dict[str, Any] = {"fit": fit, "engagement": engagement}
    if "decay" in table:
        kwargs["decay"] = _decay(r, table["decay"], f"{path}.decay")
    for key in ("min_score", "max_score"):
        if key in table:
            kwargs[key] = r.number(table, key, path)
    if "group_caps" in table:
        caps = r.mapping(
            table["group_caps"],
            f"{path}.group_caps",
            tuple(table["group_caps"]) if isinstance(table["group_caps"], Mapping) else (),
        )
        if caps is None:
            kwargs["group_caps"] = _BAD
        else:
            kwargs["group_caps"] = {g: r.number(caps, g, f"{path}.group_caps") for g in caps}
            if _BAD in kwargs["group_caps"].values():
                kwargs["group_caps"] = _BAD
    if "grades" in table:
        kwargs["grades"] = _grades(r, table, path)
    if _BAD in fit or _BAD in engagement or _BAD in kwargs.values():
        return _BAD
    return r.build(path, table, PointsModel, **kwargs)


def _grades(r: _Reader, table: Mapping[str, Any], path: str) -> Any:
    grades: list[tuple[str, float | None]] = []
    for i, item in enumerate(r.items(table, "grades", path)):
        where = f"{path}.grades[{i}]"
        entry = r.mapping(item, where, ("grade",), ("at_least",))
        if entry is None:
            return _BAD
        letter = r.text(entry, "grade", where)
        at_least = r.number(entry, "at_least", where) if "at_least" in entry else None
        if _BAD in (letter, at_least):
            return _BAD
        grades.append((letter, at_least))
    return grades


def _machine(r: _Reader, data: Any, path: str) -> Any:
    table = r.mapping(data, path, ("stages", "transitions"), ("initial",))
    if table is None:
        return _BAD
    stages = r.each(table, "stages", path, _stage)
    transitions = r.each(table, "transitions", path, _transition)
    initial = r.text(table, "initial", path) if "initial" in table else None
    if _BAD in stages or _BAD in transitions or initial is _BAD:
        return _BAD
    try:
        return StageMachine(stages, transitions, initial=initial)
    except ValidationError as err:
        return r.add(f"{path}.{err.field}", err.problem, err.value)


def _stage(r: _Reader, data: Any, path: str) -> Any:
    entry = r.mapping(data, path, ("name", "order"), ("funnel", "description"))
    if entry is None:
        return _BAD
    name, order = r.text(entry, "name", path), r.whole(entry, "order", path)
    funnel = r.flag(entry, "funnel", path) if "funnel" in entry else True
    description = r.text(entry, "description", path) if "description" in entry else ""
    if _BAD in (name, order, funnel, description):
        return _BAD
    return r.build(path, entry, Stage, name, order, funnel=funnel, description=description)


def _transition(r: _Reader, data: Any, path: str) -> Any:
    entry = r.mapping(data, path, ("source", "target"), ("guard", "auto"))
    if entry is None:
        return _BAD
    source, target = r.text(entry, "source", path), r.text(entry, "target", path)
    guard = r.nested(f"{path}.guard", guard_from_dict, entry["guard"]) if "guard" in entry else None
    auto = r.flag(entry, "auto", path) if "auto" in entry else True
    if _BAD in (source, target, guard, auto):
        return _BAD
    return r.build(path, entry, Transition, source, target, guard, auto=auto)


_CHECK_CLASSES = {kind: cls for cls, kind in _CHECK_KINDS.items()}


def _check(r: _Reader, data: Any, path: str) -> Any:
    if not isinstance(data, Mapping) or "kind" not in data:
        return r.add(path, f"expected a table with a kind ({', '.join(_CHECK_CLASSES)})", data)
    kind = data["kind"]
    if not isinstance(kind, str):
        return r.add(f"{path}.kind", "expected a check kind (a string)", kind)
    cls = _CHECK_CLASSES.get(kind)
    if cls is None:
        close = difflib.get_close_matches(str(kind), list(_CHECK_CLASSES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return r.add(f"{path}.kind", f"unknown check kind{hint}", kind)
    fields = _init_fields(cls)
    required = tuple(_required_fields(cls))
    optional = tuple(f for f in fields if f not in required)
    table = r.mapping(data, path, ("kind", *required), optional)
    if table is None:
        return _BAD
    kwargs: dict[str, Any] = {}
    for key in fields:
        if key not in table:
            continue
        value = table[key]
        if value is None:
            kwargs[key] = r.add(f"{path}.{key}", "null is not allowed: leave the key out")
            continue
        if key == "condition":
            value = r.nested(f"{path}.condition", condition_from_dict, value)
        elif isinstance(value, list):
            value = r.texts(table, key, path)
        kwargs[key] = value
    if _BAD in kwargs.values() or any(key not in table for key in required):
        return _BAD
    return r.build(path, table, cls, **kwargs)


def _framework(r: _Reader, data: Any, path: str) -> Any:
    table = r.mapping(data, path, ("name", "checks"), ("policy",))
    if table is None:
        return _BAD
    name = r.text(table, "name", path)
    checks = r.each(table, "checks", path, _check)
    policy: Any = AllPass()
    raw = table.get("policy", "all")
    if raw != "all":
        entry = r.mapping(raw, f"{path}.policy", ("at_least",))
        k = _BAD if entry is None else r.whole(entry, "at_least", f"{path}.policy")
        policy = _BAD if k is _BAD else r.build(f"{path}.policy", {"at_least": k}, AtLeast, k)
    if _BAD in (name, policy) or _BAD in checks:
        return _BAD
    return r.build(path, table, Framework, name, checks, policy)


def ruleset_from_dict(data: Any, source: str | None = None) -> RuleSet:
    """Build a :class:`~leadqual.RuleSet` from plain data, or raise
    :class:`~leadqual.errors.RuleSetError` listing every problem with its path."""
    r = _Reader()
    table = r.mapping(
        data,
        "",
        ("name", "version", "scoring", "stages"),
        ("description", "models", "framework", "$schema"),
    )
    if table is None:
        raise RuleSetError(r.problems, source)
    name = r.text(table, "name", "ruleset") if "name" in table else _BAD
    version = r.text(table, "version", "ruleset") if "version" in table else _BAD
    for problem in r.problems:
        problem.path = problem.path.removeprefix("ruleset.")
    description = r.text(table, "description", "") if "description" in table else ""
    model = _model(r, table.get("scoring"), "scoring") if "scoring" in table else _BAD
    extra: dict[str, Any] = {}
    if "models" in table:
        models = r.mapping(
            table["models"],
            "models",
            tuple(table["models"]) if isinstance(table["models"], Mapping) else (),
        )
        for key, value in (models or {}).items():
            extra[key] = _model(r, value, f"models.{key}")
    stages = _machine(r, table.get("stages"), "stages") if "stages" in table else _BAD
    framework = _framework(r, table["framework"], "framework") if "framework" in table else None
    if r.problems:
        raise RuleSetError(r.problems, source)
    try:
        return RuleSet(
            name,
            version,
            model=model,
            stages=stages,
            framework=framework,
            extra_models=extra,
            description=description,
        )
    except ValidationError as err:
        field = err.field.replace("extra_models", "models", 1)
        raise RuleSetError([Problem(field, err.problem, err.value)], source) from None


__getattr__ = moved("leadqual.rulesets.codec", {"CodecError": "leadqual.errors.CodecError"})
