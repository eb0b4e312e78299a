"""``check_ruleset``: what a rule set can and cannot do, before any lead meets it.

It reports, with a level (``error``, ``warning`` or ``info``):

- fit rules no lead can meet and engagement rules no event can trigger (their
  condition has no example), and rules worth 0 points;
- the range of scores the model can give (fit, engagement, total), from the rules'
  points and caps (no score falls outside it), with the highest-scoring example lead
  and events the search found;
- automatic transitions whose guard can never hold (a score threshold above the highest
  attainable score, a framework check without a framework, a condition no lead meets),
  thresholds every lead meets from the start, and stages no lead can reach at all.

Examples are found by search: candidate values are drawn from the literals in the
conditions (a value compared with, a range's ends, a prefix, a pattern's matches) and
combined until the condition holds. A search that finds nothing is reported as "no
example found", which is very likely, but not proof, that the rule cannot fire.

>>> import leadqual as lq
>>> report = check_ruleset(lq.default_ruleset())
>>> report.ok
True
>>> print(report.score, "/", report.fit)
-170 to unbounded / -120 to 35
>>> print(report.findings_at("info")[1])
info: stage OPPORTUNITY: reached by hand only (from SQL)

A threshold no lead can reach is an error, and so is every stage behind it:

>>> import attrs
>>> rules = lq.default_ruleset()
>>> capped = attrs.evolve(rules, model=attrs.evolve(rules.model, max_score=90))
>>> for finding in check_ruleset(capped).findings_at("error"):
...     print(finding)
error: stages.transitions[0] (IQL -> MQL): needs a score of 100; at most 90 is attainable
error: stages.transitions[4] (NURTURE -> MQL): needs a score of 100; at most 90 is attainable
error: stage MQL: no lead can reach it
error: stage SQL: no lead can reach it
error: stage OPPORTUNITY: no lead can reach it
error: stage CUSTOMER: no lead can reach it
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import attrs

try:  # the regex parser, to build examples of a pattern (its module moved in 3.11)
    import re._constants as _sre_constants  # type: ignore[import-not-found,unused-ignore]
    import re._parser as _sre_parse  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef,unused-ignore]
    import sre_parse as _sre_parse  # type: ignore[no-redef,unused-ignore]

from leadqual.conditions import MAX_MATCH_TEXT, AllOf, AnyOf, Compare, Condition, Not
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.jsonvalues import lookup
from leadqual.leads import Lead
from leadqual.rulesets import RuleSet
from leadqual.scoring.decay import Expire
from leadqual.scoring.points import PointsModel, _never_grows
from leadqual.scoring.rules import EngagementRule
from leadqual.stages.guards import (
    AttrCondition,
    EngagementAtLeast,
    FitAtLeast,
    FrameworkPassed,
    Guard,
    ScoreAtLeast,
)
from leadqual.stages.machine import Transition

__all__ = [
    "Example",
    "Finding",
    "Level",
    "Range",
    "RulesetCheck",
    "check_ruleset",
    "numbers_as_text",
]

Level = Literal["error", "warning", "info"]
_LEVELS: tuple[Level, ...] = ("error", "warning", "info")
_AS_OF = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
_TRIES = 2000  # combinations tried per condition
_MAX_EXAMPLE_EVENTS = 1000  # events per rule in the highest-scoring example


@attrs.frozen
class Finding:
    """One thing :func:`check_ruleset` found: its ``level``, what it is about, and why."""

    level: Level
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.subject}: {self.message}"


@attrs.frozen
class Range:
    """Bounds no score goes beyond (``-inf`` / ``inf`` when unbounded). They add up
    each rule's best and worst, so when two rules exclude each other the top may be out
    of reach; it is never below what a lead can score."""

    minimum: float
    maximum: float

    def __str__(self) -> str:
        return f"{_show(self.minimum)} to {_show(self.maximum)}"


@attrs.frozen
class Example:
    """A lead and events found by search, and the score they get as of ``as_of``."""

    lead: Lead
    events: tuple[Event, ...]
    as_of: datetime
    score: float


@attrs.frozen
class RulesetCheck:
    """The report of :func:`check_ruleset`."""

    label: str
    findings: tuple[Finding, ...]
    fit: Range
    engagement: Range
    score: Range
    best: Example | None
    reachable: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No error and no warning (information only)."""
        return not any(f.level != "info" for f in self.findings)

    def findings_at(self, level: Level) -> tuple[Finding, ...]:
        """The findings of one level."""
        return tuple(f for f in self.findings if f.level == level)

    def __str__(self) -> str:
        lines = [f"{self.label}: {'ok' if self.ok else 'problems found'}"]
        lines.append(f"  score {self.score} (fit {self.fit}, engagement {self.engagement})")
        if self.best is not None:
            lines.append(
                f"  the highest-scoring example found scores {_show(self.best.score)} "
                f"({len(self.best.events)} events)"
            )
        lines.append(f"  stages reachable: {', '.join(self.reachable)}")
        lines.extend(f"  {finding}" for finding in self.findings)
        return "\n".join(lines)


def _show(value: float) -> str:
    if math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    return f"{value:g}"


# --- finding examples -------------------------------------------------------------------


def _compares(condition: Condition) -> Iterator[Compare]:
    return (c for c in condition.walk() if isinstance(c, Compare))


def _regex_examples(pattern: str) -> list[str]:
    """Strings that match ``pattern``, built from its parsed form (the first branch of
    each alternation, each repeat at its least and at one more), checked with the
    pattern itself. Hypothesis is not used: this may run inside a user's ``@given``."""
    compiled = re.compile(pattern)
    found: list[str] = []
    try:
        tree = _sre_parse.parse(pattern, compiled.flags)
    except Exception:  # a parser detail of this Python version: no example, then
        tree = None
    if tree is not None:
        for extra in (0, 1):
            for pad in ("", " "):
                try:
                    text = pad + _build_text(list(tree), extra) + pad
                except _Unsupported:
                    continue
                if compiled.search(text[:MAX_MATCH_TEXT]) and text not in found:
                    found.append(text)
    return found


class _Unsupported(Exception):
    """A regex construct the example builder does not handle."""


def _first_char(items: list[tuple[Any, Any]]) -> str:
    """A character of a ``[...]`` class."""
    c = _sre_constants
    negate = any(op is c.NEGATE for op, _ in items)
    if negate:  # any character the class leaves out: try a few common ones
        for ch in "a0 _-x":
            if not _in_class(ch, items):
                return ch
        raise _Unsupported
    for op, arg in items:
        if op is c.LITERAL:
            return chr(arg)
        if op is c.RANGE:
            return chr(arg[0])
        if op is c.CATEGORY:
            return {
                c.CATEGORY_DIGIT: "0",
                c.CATEGORY_WORD: "a",
                c.CATEGORY_SPACE: " ",
                c.CATEGORY_NOT_DIGIT: "a",
                c.CATEGORY_NOT_WORD: " ",
                c.CATEGORY_NOT_SPACE: "a",
            }.get(arg, "a")
    raise _Unsupported


def _in_class(ch: str, items: list[tuple[Any, Any]]) -> bool:
    c = _sre_constants
    for op, arg in items:
        if op is c.LITERAL and chr(arg) == ch:
            return True
        if op is c.RANGE and arg[0] <= ord(ch) <= arg[1]:
            return True
        if op is c.CATEGORY:
            return True  # conservative: a category may hold it
    return False


def _build_text(items: list[tuple[Any, Any]], extra: int) -> str:
    c = _sre_constants
    out: list[str] = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_first_char(list(arg)))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            times = low + extra if high is c.MAXREPEAT or low + extra <= high else low
            out.append(_build_text(list(sub), extra) * times)
        elif op is c.SUBPATTERN:
            out.append(_build_text(list(arg[-1]), extra))
        elif op is c.BRANCH:
            out.append(_build_text(list(arg[1][0]), extra))
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        else:
            raise _Unsupported
    return "".join(out)


def _other_than(value: Any) -> list[Any]:
    """Values of the same kind as ``value`` that differ from it (and one of another kind)."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, (int, float)):
        return [value + 1, value - 1]
    if isinstance(value, str):
        return [value + "x", "other"]
    return ["other"]


def _candidates(compare: Compare) -> list[Any]:
    """Values that may make ``compare`` true, or false, for a search to combine."""
    op, value = compare.op, compare.value
    out: list[Any] = []
    if op in ("eq", "ne"):
        out += [value, *_other_than(value)]
    elif op in ("in", "not_in"):
        out += [*value, "none of these"]
        for item in value:
            out += _other_than(item)
    elif op in ("lt", "lte", "gt", "gte"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out += [value - 1, value, value + 1]
        else:
            out += [value, str(value) + "z", ""]
    elif op == "between":
        low, high = value
        if isinstance(low, (int, float)):
            out += [low, high, (low + high) / 2, low - 1, high + 1]
        else:
            out += [low, high]
    elif op == "contains":
        out += [f"x{value}x", [value], value]
    elif op in ("startswith", "endswith"):
        for text in value if isinstance(value, tuple) else (value,):
            out.append(f"{text}x" if op == "startswith" else f"x{text}")
        out.append("x")
    elif op == "matches":
        out += _regex_examples(value)
    elif op == "exists":
        out += ["x"]
    return out


def _fields(condition: Condition) -> dict[tuple[str, str], list[Any]]:
    """Per (source, field) the candidate values, the field's absence included."""
    fields: dict[tuple[str, str], list[Any]] = {}
    for compare in _compares(condition):
        values = fields.setdefault((compare.source, compare.field), [None])
        for value in _candidates(compare):
            if value not in values:
                values.append(value)
    return fields


def _build(choice: Mapping[tuple[str, str], Any], lead_id: str = "example") -> tuple[Lead, Event]:
    attributes: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    email: str | None = None
    for (source, name), value in choice.items():
        if value is None:
            continue
        if source == "attr" and name == "email":
            email = value if isinstance(value, str) and "@" in value else f"ana@{value}"
        elif source == "attr" and name == "id":
            if isinstance(value, str) and value.strip():
                lead_id = value
            continue
        else:
            _put(attributes if source == "attr" else properties, name, value)
    lead = Lead(lead_id, email=email, attributes=attributes)
    return lead, Event(lead_id, "example", at=_AS_OF, properties=properties)


def _put(target: dict[str, Any], name: str, value: Any) -> None:
    """Set ``name`` (dots reach into nested mappings, as conditions read them)."""
    target[name] = value
    if "." in name:
        head, _, rest = name.partition(".")
        nested = target.setdefault(head, {})
        if isinstance(nested, dict):
            _put(nested, rest, value)


def find_example(
    condition: Condition,
    seed: int = 0,
    extra: Mapping[tuple[str, str], Any] | None = None,
    pool: Mapping[tuple[str, str], list[Any]] | None = None,
) -> tuple[Lead, Event] | None:
    """A lead and an event for which ``condition`` holds, found by search; or None.

    ``extra`` fixes other fields (an example that must meet other rules too); ``pool``
    offers more candidate values per field (those of the other rules' conditions).
    """
    fields = _fields(condition)
    for key, values in (pool or {}).items():
        if key in fields:
            fields[key] += [v for v in values if v not in fields[key]]
    for key, value in (extra or {}).items():
        fields.setdefault(key, [value])
    keys = list(fields)
    test = condition._tester()
    total = math.prod(len(fields[k]) for k in keys)
    if total <= _TRIES:
        choices: Iterator[tuple[Any, ...]] = itertools.product(*(fields[k] for k in keys))
    else:
        rng = random.Random(seed)
        choices = (tuple(rng.choice(fields[k]) for k in keys) for _ in range(_TRIES))
    for choice in choices:
        try:
            lead, event = _build(dict(zip(keys, choice, strict=True)))
        except (ValidationError, TypeError):
            continue
        if test(lead, event):
            return lead, event
    return None


# --- score ranges -----------------------------------------------------------------------


def _engagement_limits(rule: EngagementRule, model: PointsModel) -> float:
    """The most (in absolute value) one engagement rule can add."""
    worth = abs(rule.points)
    limits = [math.inf]
    if rule.max_points is not None:
        limits.append(rule.max_points)
    decay = rule.decay if rule.decay is not None else model.decay
    if not _never_grows(decay):
        return min(limits)  # a decay that can raise points: only a points cap bounds it
    if rule.max_times is not None:
        limits.append(rule.max_times * worth)
    if rule.max_per_day is not None and (rule.within is not None or isinstance(decay, Expire)):
        window = rule.within if rule.within is not None else decay.after  # type: ignore[union-attr]
        days = math.ceil(window / timedelta(days=1)) + 1  # UTC days the window can touch
        limits.append(rule.max_per_day * days * worth)
    return min(limits)


def _grouped(
    model: PointsModel, parts: list[tuple[str | None, float, float]], kind: str | None = None
) -> tuple[float, float]:
    """Add up (group, low, high) parts, each group within its cap. For the fit or the
    engagement score alone (``kind``), a cap counts only on a group of that kind: the cut
    of a mixed group is an adjustment, outside both."""
    low = high = 0.0
    groups: dict[str, list[float]] = {}
    for group, lo, hi in parts:
        if (
            group is not None
            and group in model.group_caps
            and (kind is None or model._group_kinds[group] == kind)
        ):
            sums = groups.setdefault(group, [0.0, 0.0])
            sums[0] += lo
            sums[1] += hi
        else:
            low += lo
            high += hi
    for group, (lo, hi) in groups.items():
        cap: float = model.group_caps[group]  # type: ignore[assignment]
        low += max(lo, -cap)
        high += min(hi, cap)
    return low, high


# --- the check --------------------------------------------------------------------------


class _Checker:
    def __init__(self, ruleset: RuleSet, seed: int) -> None:
        self.ruleset = ruleset
        self.seed = seed
        self.findings: list[Finding] = []
        self.pool: dict[tuple[str, str], list[Any]] = {}  # the main model's candidates

    def add(self, level: Level, subject: str | None, message: str) -> None:
        """Report a finding about ``subject`` (``None``: a silent check, nothing reported)."""
        if subject is not None:
            self.findings.append(Finding(level, subject, message))

    def rules(self, model: PointsModel, prefix: str) -> None:
        pool: dict[tuple[str, str], list[Any]] = {}
        for fit in model.fit:
            for key, values in _fields(fit.condition).items():
                pool.setdefault(key, []).extend(values)
        for i, fit in enumerate(model.fit):
            subject = f"{prefix}.fit[{i}] ({fit.name})"
            example = find_example(fit.condition, self.seed, pool=pool)
            if prefix == "scoring":
                self.pool = pool
            if example is None:
                self.add(
                    "warning",
                    subject,
                    f"no lead found that meets {fit.condition}: it may never apply",
                )
            if fit.points == 0:
                self.add("warning", subject, "worth 0 points: it changes nothing")
        for i, rule in enumerate(model.engagement):
            subject = f"{prefix}.engagement[{i}] ({rule.name})"
            if rule.where is not None and find_example(rule.where, self.seed) is None:
                self.add(
                    "warning",
                    subject,
                    f"no event found that meets {rule.where}: it may never count",
                )
            if rule.points == 0:
                self.add("warning", subject, "worth 0 points: it changes nothing")

    def ranges(self, model: PointsModel) -> tuple[Range, Range, Range]:
        # every fit rule counts, even one without an example: a search that missed an
        # example must not make the range claim less than is possible
        fit_parts = [(r.group, min(r.points, 0.0), max(r.points, 0.0)) for r in model.fit]
        engagement_parts = []
        for rule in model.engagement:
            most = _engagement_limits(rule, model)
            engagement_parts.append(
                (rule.group, -most if rule.points < 0 else 0.0, most if rule.points > 0 else 0.0)
            )
        open_ended = [
            rule.name
            for rule in model.engagement
            if rule.points > 0 and math.isinf(_engagement_limits(rule, model))
        ]
        if open_ended:
            self.add(
                "info",
                "scoring",
                f"no cap on {', '.join(open_ended)}: engagement has no upper bound"
                + (" (group caps aside)" if model.group_caps else ""),
            )
        fit = Range(*_grouped(model, fit_parts, "fit"))
        engagement = Range(*_grouped(model, engagement_parts, "engagement"))
        low, high = _grouped(model, fit_parts + engagement_parts)
        if model.min_score is not None:
            low, high = max(low, model.min_score), max(high, model.min_score)
        if model.max_score is not None:
            low, high = min(low, model.max_score), min(high, model.max_score)
        return fit, engagement, Range(low, high)

    def best(self, model: PointsModel) -> Example | None:
        """A lead meeting every positive fit rule it can, and events earning every positive
        engagement rule's most (to a bound, when a rule has no cap)."""
        choice: dict[tuple[str, str], Any] = {}
        for fit in sorted(model.fit, key=lambda r: -r.points):
            if fit.points <= 0:
                continue
            found = find_example(fit.condition, self.seed, extra=choice, pool=self.pool)
            if found is not None:
                lead, _ = found
                merged = dict(choice)
                merged.update(_lead_fields(lead))
                try:
                    candidate, _ = _build(merged)
                except (ValidationError, TypeError):
                    continue
                if fit.condition._tester()(candidate, None):
                    choice = merged
        lead, _ = _build(choice, "best")
        events: list[Event] = []
        for rule in model.engagement:
            if rule.points <= 0:
                continue
            most = _engagement_limits(rule, model)
            count = 1 if math.isinf(most) else max(1, math.ceil(most / rule.points))
            count = min(count, _MAX_EXAMPLE_EVENTS)  # a tiny step to a big cap: enough
            props: Mapping[str, Any] = {}
            if rule.where is not None:
                found = find_example(rule.where, self.seed)
                if found is None:
                    continue
                props = found[1].properties
            per_day = rule.max_per_day or count
            for i in range(count):
                at = _AS_OF - timedelta(days=i // per_day, seconds=i % per_day)
                events.append(
                    Event(lead.id, rule.event_type, at=at, properties=props, id=f"{rule.name}-{i}")
                )
        total = model.score(lead, events, as_of=_AS_OF).total
        return Example(lead, tuple(events), _AS_OF, total)

    def guard_possible(
        self, guard: Guard | None, ranges: tuple[Range, Range, Range], where: str | None
    ) -> bool:
        fit, engagement, score = ranges
        if guard is None:
            return True
        if isinstance(guard, ScoreAtLeast):
            return self._threshold(guard.points, score, "score", where)
        if isinstance(guard, FitAtLeast):
            return self._threshold(guard.points, fit, "fit score", where)
        if isinstance(guard, EngagementAtLeast):
            return self._threshold(guard.points, engagement, "engagement score", where)
        if isinstance(guard, FrameworkPassed):
            if self.ruleset.framework is None:
                self.add("error", where, "needs a framework to pass, and the rule set has none")
                return False
            return True
        condition = _on_lead(guard)
        if condition is not None:  # a condition on the lead, however written
            if find_example(condition, self.seed) is None:
                # a search that finds nothing proves nothing: warn, and go on as if it could
                self.add("warning", where, f"no lead found that meets {condition}")
            return True
        if isinstance(guard, AllOf):
            # every part is checked (and reported), not just up to the first answer; the
            # parts on the lead together, as one lead must meet them all
            on_lead = [c for c in map(_on_lead, guard.conditions) if c is not None]
            rest = [g for g in guard.conditions if _on_lead(g) is None]
            if len(on_lead) > 1:
                rest.append(AllOf(on_lead))
            elif on_lead:
                rest.append(on_lead[0])
            results = tuple(self.guard_possible(g, ranges, where) for g in rest)
            return all(results)
        if isinstance(guard, AnyOf):
            before = len(self.findings)
            results = tuple(self.guard_possible(g, ranges, where) for g in guard.conditions)
            if any(results):  # a dead alternative is worth a warning, not an error
                self.findings[before:] = [
                    attrs.evolve(f, level="warning") if f.level == "error" else f
                    for f in self.findings[before:]
                ]
                return True
            return False
        return True  # EventSeen, NewActivity, custom guards: assume they can hold

    def _threshold(self, points: float, reach: Range, what: str, where: str | None) -> bool:
        if points > reach.maximum:
            self.add(
                "error",
                where,
                f"needs a {what} of {points:g}; at most {_show(reach.maximum)} is attainable",
            )
            return False
        if points <= reach.minimum:
            self.add(
                "warning",
                where,
                f"needs a {what} of {points:g}, which every lead has from the start "
                f"(the lowest is {_show(reach.minimum)})",
            )
        return True

    def stages(self, ranges: tuple[Range, Range, Range]) -> tuple[str, ...]:
        machine = self.ruleset.stages
        possible: list[Transition] = []
        for i, t in enumerate(machine.transitions):
            where = f"stages.transitions[{i}] ({t.source} -> {t.target})"
            if not self.guard_possible(t.guard, ranges, where):
                continue
            # an automatic move past funnel stages fires only if each one's entry guard holds
            blocked = [
                stage
                for stage in (machine.skipped(t.source, t.target) if t.auto else ())
                if not self.guard_possible(machine.entry_guard(stage), ranges, None)
            ]
            if blocked:
                self.add(
                    "error",
                    where,
                    f"skips {', '.join(blocked)}, whose entry guard can never hold, so it "
                    "never fires",
                )
                continue
            possible.append(t)
        reached = [machine.first_stage()]
        by_hand_only: dict[str, list[str]] = {}
        frontier = list(reached)
        while frontier:
            source = frontier.pop(0)
            for t in possible:
                if t.source != source:
                    continue
                if not t.auto:
                    by_hand_only.setdefault(t.target, []).append(t.source)
                if t.target not in reached:
                    reached.append(t.target)
                    frontier.append(t.target)
        automatic = {t.target for t in possible if t.auto and t.source in reached}
        for name in machine.names():
            if name not in reached:
                self.add("error", f"stage {name}", "no lead can reach it")
            elif name in by_hand_only and name not in automatic:
                sources = ", ".join(by_hand_only[name])
                self.add("info", f"stage {name}", f"reached by hand only (from {sources})")
        order = {name: i for i, name in enumerate(machine.names())}
        return tuple(sorted(reached, key=order.__getitem__))


def _lead_fields(lead: Lead) -> dict[tuple[str, str], Any]:
    fields: dict[tuple[str, str], Any] = {("attr", k): v for k, v in lead.attributes.items()}
    if lead.email is not None:
        fields[("attr", "email")] = lead.email
    return fields


_ORDERED = ("gt", "gte", "lt", "lte", "between")


def _number_comparisons(condition: Condition) -> Iterator[Compare]:
    """The comparisons of a lead attribute with a number inside ``condition``."""
    for compare in _compares(condition):
        values = compare.value if compare.op == "between" else (compare.value,)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if compare.source == "attr" and compare.op in _ORDERED and numeric:
            yield compare


def _looks_numeric(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def numbers_as_text(ruleset: RuleSet, leads: Iterable[Lead]) -> list[Finding]:
    """Warnings for the fit rules that compare a number with attributes ``leads`` hold as
    text that looks like a number (such a rule never holds for those leads).

    >>> import leadqual as lq
    >>> rules = lq.RuleSet("r", "1", stages=lq.StageMachine.default(), model=lq.PointsModel(
    ...     fit=[lq.FitRule("big", lq.Attr("employees") >= 500, 20)]))
    >>> for finding in numbers_as_text(rules, [lq.Lead("L-1", attributes={"employees": "900"})]):
    ...     print(finding.subject, "|", finding.message[:60])
    scoring.fit[0] (big) | 1 of 1 leads hold employees as text that looks like a number
    """
    checker = _Checker(ruleset, 0)
    _check_numbers_as_text(checker, ruleset, list(leads))
    return checker.findings


def _check_numbers_as_text(checker: _Checker, ruleset: RuleSet, leads: list[Lead]) -> None:
    model = ruleset.model
    if not isinstance(model, PointsModel):
        return
    for i, rule in enumerate(model.fit):
        for compare in _number_comparisons(rule.condition):
            texts = [
                value
                for lead in leads
                if _looks_numeric(value := lookup(lead.attributes, compare.field))
            ]
            if texts:
                checker.add(
                    "warning",
                    f"scoring.fit[{i}] ({rule.name})",
                    f"{len(texts)} of {len(leads)} leads hold {compare.field} as text that "
                    f"looks like a number (such as {texts[0]!r}), and text never compares "
                    "with a number: read the file with infer_types=True (the command line "
                    "does) or give its types",
                )


def _check_firing(
    checker: _Checker,
    ruleset: RuleSet,
    leads: list[Lead],
    events: list[Event],
    as_of: datetime | None,
) -> None:
    from leadqual.engine import Engine  # a layer above the rules it checks

    engine = Engine(ruleset)
    for lead in leads:
        engine.add_lead(lead)
    engine.apply(e for e in events if e.lead_id in engine)
    moment = as_of if as_of is not None else max((e.at for e in events), default=None)
    if moment is None:
        return
    fired: set[tuple[str, str]] = set()
    for lead_id in engine.lead_ids():
        for record in engine.get(lead_id, as_of=moment).history:
            fired.add((record.source, record.target))
    for i, t in enumerate(ruleset.stages.transitions):
        if t.auto and (t.source, t.target) not in fired:
            checker.add(
                "warning",
                f"stages.transitions[{i}] ({t.source} -> {t.target})",
                f"never fires on the {len(leads)} leads given (as of {moment.isoformat()})",
            )


def check_ruleset(
    ruleset: RuleSet,
    *,
    seed: int = 0,
    leads: Iterable[Lead] | None = None,
    events: Iterable[Event] | None = None,
    as_of: datetime | None = None,
) -> RulesetCheck:
    """Check ``ruleset`` for rules that cannot fire, thresholds out of reach and stages no
    lead can reach, and find the range of scores it gives (see the module's text).

    The search is seeded (``seed``), so the same rule set always gives the same report.

    Given sample data (``leads``, and ``events`` to qualify them at ``as_of``, by default
    the latest event), it also reports what only data shows: fit rules that compare a
    number with attributes the data holds as text that looks like a number (they never
    hold for those leads: read the file with ``infer_types=True``), and automatic
    transitions that never fire on those leads.
    The rules and score ranges of a :class:`~leadqual.PointsModel` are analysed; another
    :class:`~leadqual.ScoringModel` is opaque, so its scores count as unbounded (an info
    finding says so) and only the stages and guards are checked.
    """
    if not isinstance(ruleset, RuleSet):
        raise ValidationError("ruleset", ruleset, "expected a RuleSet")
    model = ruleset.model
    checker = _Checker(ruleset, seed)
    places = [("scoring", model)]
    places += [(f"extra_models.{name}", m) for name, m in ruleset.extra_models.items()]
    for where, extra in places:
        if isinstance(extra, PointsModel):
            checker.rules(extra, where)
        else:
            checker.add(
                "info", where, f"{type(extra).__name__} is not a points model: not analysed"
            )
    if isinstance(model, PointsModel):
        ranges = checker.ranges(model)
        best = checker.best(model)
    else:
        unbounded = Range(-math.inf, math.inf)
        ranges, best = (unbounded, unbounded, unbounded), None
    reachable = checker.stages(ranges)
    if leads is not None:
        sample = list(leads)
        _check_numbers_as_text(checker, ruleset, sample)
        if events is not None:
            _check_firing(checker, ruleset, sample, list(events), as_of)
    order = {level: i for i, level in enumerate(_LEVELS)}
    findings = sorted(checker.findings, key=lambda f: order[f.level])
    return RulesetCheck(ruleset.label, tuple(findings), *ranges, best, reachable)


def _on_lead(guard: Guard) -> Condition | None:
    """``guard`` as a condition on the lead (``AttrCondition`` unwrapped), or ``None``
    when some part of it reads more than the lead (a score, events, the framework)."""
    if isinstance(guard, AttrCondition):
        return guard.condition
    if isinstance(guard, Compare):
        return guard
    if isinstance(guard, (AllOf, AnyOf)):
        parts = [_on_lead(c) for c in guard.conditions]
        if any(part is None for part in parts):
            return None
        return type(guard)(tuple(part for part in parts if part is not None))
    if isinstance(guard, Not):
        inner = _on_lead(guard.condition)
        return None if inner is None else Not(inner)
    return None
