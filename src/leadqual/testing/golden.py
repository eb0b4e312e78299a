"""Golden cases: expected results as JSON files, run as parametrized tests.

A business analyst adds a case by adding a file; a developer writes the test once::

    from pathlib import Path
    from leadqual.testing import golden

    @golden.parametrize(Path(__file__).parent / "golden")
    def test_golden(case, ruleset):
        case.check(ruleset)

A file holds one case, or a list of cases. A case names a lead, what it did (times
relative to ``now``, or absolute), sales decisions, and what is expected::

    {
      "name": "a VP who read an ebook and came to a webinar is an MQL",
      "lead": {"attributes": {"title": "VP Sales", "employees": 300}},
      "events": [
        {"type": "content_download", "days_ago": 3},
        {"type": "webinar_attended", "days_ago": 2},
        {"type": "page_view", "days_ago": 1, "properties": {"url": "/pricing"}},
        {"type": "email_click", "days_ago": 1, "times": 2}
      ],
      "expect": {
        "stage": "MQL",
        "score": {"at_least": 100},
        "contributions": {"senior-title": 15}
      }
    }

Keys, all optional but ``expect``: ``name`` (default: the file's path in the folder), ``now``
(ISO 8601; default :data:`~leadqual.testing.scenario.DEFAULT_NOW`, or the latest ``at`` of
the case when that is later), ``lead`` (``id``,
``email``, ``attributes``), ``events`` (``type``; ``days_ago``, ``hours_ago``,
``minutes_ago`` or ``at``; ``times``, ``every_days``, ``properties``, ``source``),
``decisions`` (``target``; ``days_ago`` or ``at``; ``reason``). ``expect`` holds any of
``stage``, ``path`` (the stages in order), ``score``, ``grade``, ``framework`` (``"pass"``,
``"fail"`` or ``"unknown"``) and ``contributions`` (points per rule); a number may be
``{"at_least": x, "at_most": y}`` instead. A mistake in a file (an unknown key, a
missing type) raises :class:`GoldenError` naming the file and the place in it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs

from leadqual import errors
from leadqual._fields import check_keys, parse_timestamp, require_text
from leadqual._moved import moved
from leadqual.errors import ValidationError
from leadqual.qualifier import Qualifier
from leadqual.rulesets import RuleSet
from leadqual.testing.scenario import DEFAULT_NOW, Scenario, scenario

__all__ = ["GoldenCase", "load_cases", "parametrize"]

_F = TypeVar("_F", bound=Callable[..., Any])

_CASE_KEYS = ("name", "now", "lead", "events", "decisions", "expect", "description")
_LEAD_KEYS = ("id", "email", "attributes")
_EVENT_KEYS = (
    "type",
    "days_ago",
    "hours_ago",
    "minutes_ago",
    "at",
    "times",
    "every_days",
    "properties",
    "source",
)
_DECISION_KEYS = ("target", "days_ago", "hours_ago", "at", "reason")
_EXPECT_KEYS = ("stage", "path", "score", "grade", "framework", "contributions")


def _bounds(where: str, value: Any) -> dict[str, float | None]:
    """A number, or ``{"at_least": x, "at_most": y}``, as assertion keywords."""
    if isinstance(value, Mapping):
        check_keys(where, value, (), ("equals", "at_least", "at_most"))
        if not value:
            raise ValidationError(where, dict(value), "give equals, at_least or at_most")
        out: dict[str, float | None] = {}
        for key in ("equals", "at_least", "at_most"):
            out[key] = _number(f"{where}.{key}", value.get(key))
        return out
    return {"equals": _number(where, value), "at_least": None, "at_most": None}


def _number(where: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(where, value, "expected a number")
    if not math.isfinite(value) or abs(value) > 1e6:
        raise ValidationError(where, value, "expected a finite number of a sensible size")
    return value


def _moment(where: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The timing keywords of an event or decision."""
    out: dict[str, Any] = {}
    if "at" in item:
        out["at"] = parse_timestamp(f"{where}.at", item["at"])
    for key in ("days_ago", "hours_ago", "minutes_ago"):
        if key in item:
            out[key] = _number(f"{where}.{key}", item[key])
    return out


@attrs.frozen
class GoldenCase:
    """One case read from a file: ``name``, the ``source`` file, and its parsed ``data``."""

    name: str
    source: str
    data: Mapping[str, Any] = attrs.field(repr=False, eq=False)
    #: why the file could not be read, for a case that stands for a broken file
    error: str | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def id(self) -> str:
        """The test id pytest shows: the name, made safe to print."""
        return self.name.replace(" ", "-")

    def scenario(self, rules: RuleSet | Qualifier) -> Scenario:
        """The case as a :class:`~leadqual.testing.scenario.Scenario` under ``rules``."""
        if self.error is not None:
            raise errors.GoldenError(self.error)
        data = self.data
        try:
            built = scenario(rules, now=_now_of(data))
            lead = data.get("lead") or {}
            built = built.lead(
                lead.get("id", "L-1"),
                email=lead.get("email"),
                attributes=lead.get("attributes") or {},
            )
            for i, event in enumerate(data.get("events") or ()):
                where = f"events[{i}]"
                every = _number(f"{where}.every_days", event.get("every_days", 1))
                built = built.after(
                    event["type"],
                    times=event.get("times", 1),
                    every=timedelta(days=every or 0),
                    properties=event.get("properties"),
                    source=event.get("source"),
                    **_moment(where, event),
                )
            for i, decision in enumerate(data.get("decisions") or ()):
                built = built.decide(
                    decision["target"],
                    reason=decision.get("reason", "decided in a golden case"),
                    **_moment(f"decisions[{i}]", decision),
                )
        except (ValidationError, TypeError, ValueError, OverflowError) as exc:
            raise errors.GoldenError(f"{self.source}: case {self.name!r}: {exc}") from None
        return built

    def check(self, rules: RuleSet | Qualifier) -> None:
        """Run the case under ``rules``: :class:`AssertionError` (naming the case and its
        file, and explaining the lead) when the lead is not as expected."""
        built = self.scenario(rules)
        expect = self.data["expect"]
        try:
            if "stage" in expect:
                built.expect_stage(expect["stage"])
            if "path" in expect:
                built.expect_path(*expect["path"])
            if "score" in expect:
                score = _bounds("expect.score", expect["score"])
                built.expect_score(
                    score["equals"], at_least=score["at_least"], at_most=score["at_most"]
                )
            if "grade" in expect:
                built.expect_grade(expect["grade"])
            if "framework" in expect:
                built.expect_framework(expect["framework"])
            for rule, points in (expect.get("contributions") or {}).items():
                wanted = _bounds(f"expect.contributions.{rule}", points)
                built.expect_contribution(
                    rule, wanted["equals"], at_least=wanted["at_least"], at_most=wanted["at_most"]
                )
        except AssertionError as exc:
            raise AssertionError(f"golden case {self.name!r} ({self.source}): {exc}") from None
        except ValidationError as exc:
            raise errors.GoldenError(f"{self.source}: case {self.name!r}: {exc}") from None


def _validate(case: Any, where: str) -> None:
    check_keys(where, case, ("expect",), _CASE_KEYS)
    if "name" in case:
        require_text(f"{where}.name", case["name"])
    if "now" in case:
        parse_timestamp(f"{where}.now", case["now"])
    lead = case.get("lead")
    if lead is not None:
        check_keys(f"{where}.lead", lead, (), _LEAD_KEYS)
    for key, keys, required in (
        ("events", _EVENT_KEYS, ("type",)),
        ("decisions", _DECISION_KEYS, ("target",)),
    ):
        items = case.get(key) or []
        if not isinstance(items, list):
            raise ValidationError(f"{where}.{key}", items, "expected a list")
        for i, item in enumerate(items):
            check_keys(
                f"{where}.{key}[{i}]", item, required, tuple(k for k in keys if k not in required)
            )
            _moment(f"{where}.{key}[{i}]", item)
    expect = case["expect"]
    check_keys(f"{where}.expect", expect, (), _EXPECT_KEYS)
    if not expect:
        raise ValidationError(f"{where}.expect", {}, "expects nothing: name what to check")
    if "score" in expect:
        _bounds(f"{where}.expect.score", expect["score"])
    contributions = expect.get("contributions") or {}
    if not isinstance(contributions, Mapping):
        raise ValidationError(f"{where}.expect.contributions", contributions, "expected a mapping")
    for rule, points in contributions.items():
        _bounds(f"{where}.expect.contributions.{rule}", points)
    path = expect.get("path")
    if path is not None and (
        not isinstance(path, list) or not all(isinstance(s, str) for s in path)
    ):
        raise ValidationError(f"{where}.expect.path", path, "expected a list of stage names")


def _now_of(data: Mapping[str, Any]) -> datetime:
    """The case's ``now``: as given, else the default, or the latest absolute time in the
    case when that is later (an event dated after ``now`` would not count)."""
    if data.get("now") is not None:
        return parse_timestamp("now", data["now"])
    moments = [DEFAULT_NOW]
    for key in ("events", "decisions"):
        for i, item in enumerate(data.get(key) or ()):
            if "at" in item:
                moments.append(parse_timestamp(f"{key}[{i}].at", item["at"]))
    return max(moments)


def _read(path: Path, root: Path) -> list[GoldenCase]:
    try:
        with path.open(encoding="utf-8") as handle:
            content = json.load(handle)
    except OSError as exc:
        raise errors.GoldenError(f"{path}: cannot be read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.GoldenError(f"{path}: not valid JSON ({exc})") from None
    many = isinstance(content, list)
    cases = content if many else [content]
    out = []
    for i, case in enumerate(cases):
        where = f"[{i}]" if many else ""
        try:
            _validate(case, where)
        except ValidationError as exc:
            raise errors.GoldenError(f"{path}: {exc}") from None
        stem = path.relative_to(root).with_suffix("").as_posix() if root != path else path.stem
        default = stem if not many else f"{stem}[{i}]"
        out.append(GoldenCase(case.get("name", default), str(path), case))
    if many and not out:
        raise errors.GoldenError(f"{path}: an empty list: no case in it")
    return out


def load_cases(where: str | os.PathLike[str], *, broken: bool = False) -> list[GoldenCase]:
    """Every case in a ``.json`` file, or in the ``.json`` files under a directory
    (searched recursively, in path order; a case is named after its path in the folder,
    ``emea/vp``, unless it has a ``name``). No case at all raises :class:`GoldenError`: an
    empty folder is more likely a wrong path than a choice.

    A file that cannot be read raises :class:`GoldenError`, or with ``broken=True`` becomes
    one case that fails with that error when it runs (so one bad file does not stop a test
    run, and is still seen)."""
    path = Path(where)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        root = path
    elif path.is_file():
        files = [path]
        root = path
    else:
        raise errors.GoldenError(f"{path}: no such file or directory")
    cases: list[GoldenCase] = []
    for file in files:
        try:
            cases += _read(file, root)
        except errors.GoldenError as exc:
            if not broken:
                raise
            name = file.relative_to(root).as_posix() if root != file else file.name
            cases.append(GoldenCase(name, str(file), {}, error=str(exc)))
    if not cases:
        raise errors.GoldenError(f"{path}: no golden case (*.json) found")
    names: dict[str, str] = {}
    for case in cases:
        if case.name in names:
            raise errors.GoldenError(
                f"{case.source}: case name {case.name!r} is used in {names[case.name]} too"
            )
        names[case.name] = case.source
    return cases


def parametrize(where: str | os.PathLike[str], argname: str = "case") -> Callable[[_F], _F]:
    """``pytest.mark.parametrize`` over the cases in ``where``: one test per case, named
    after it; a file that cannot be read is one test that fails with the reason."""
    import pytest

    cases: Sequence[GoldenCase] = load_cases(where, broken=True)
    mark: Callable[[_F], _F] = pytest.mark.parametrize(argname, cases, ids=[c.id for c in cases])
    return mark


__getattr__ = moved("leadqual.testing.golden", {"GoldenError": "leadqual.errors.GoldenError"})
