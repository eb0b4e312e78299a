"""What changed between two versions of a rule set, in the words of the rule file.

Rules, checks and stages are matched by name and transitions by their ends, so a rule
moved in the file is not reported as changed, and a renamed rule shows as removed and
added.

>>> import attrs, leadqual as lq
>>> old = lq.default_ruleset()
>>> model = attrs.evolve(old.model, engagement=[
...     attrs.evolve(r, points=50) if r.name == "demo-request" else r
...     for r in old.model.engagement])
>>> for change in diff_rulesets(old, attrs.evolve(old, version="2026.12.0", model=model)):
...     print(change)
version: '2026.11.0' -> '2026.12.0'
scoring.engagement[demo-request].points: 40 -> 50
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from leadqual.rulesets.codec import ruleset_to_dict
from leadqual.rulesets.ruleset import RuleSet

__all__ = ["Change", "diff_rulesets"]

_ABSENT: Any = object()


@attrs.frozen
class Change:
    """One difference: at ``path``, something ``added``, ``removed`` or ``changed``."""

    path: str
    kind: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {_show(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed {_show(self.old)}"
        return f"{self.path}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return repr(value)


def _key(item: Any) -> str | None:
    if isinstance(item, Mapping):
        if "name" in item:
            return str(item["name"])
        if "source" in item and "target" in item:
            return f"{item['source']} -> {item['target']}"
    return None


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    keys = [_key(item) for item in items]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        return None
    return {k: item for k, item in zip(keys, items, strict=True) if k is not None}


def _walk(path: str, old: Any, new: Any, out: list[Change]) -> None:
    if old is _ABSENT:
        out.append(Change(path, "added", None, new))
    elif new is _ABSENT:
        out.append(Change(path, "removed", old, None))
    elif isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            _walk(sub, old.get(key, _ABSENT), new.get(key, _ABSENT), out)
    elif isinstance(old, list) and isinstance(new, list):
        a, b = _keyed(old), _keyed(new)
        if a is not None and b is not None:
            for key in [*a, *(k for k in b if k not in a)]:
                _walk(f"{path}[{key}]", a.get(key, _ABSENT), b.get(key, _ABSENT), out)
            if [k for k in a if k in b] != [k for k in b if k in a]:
                out.append(Change(f"{path} (order)", "changed", list(a), list(b)))
        elif old != new:
            out.append(Change(path, "changed", old, new))
    elif old != new or type(old) is not type(new):
        out.append(Change(path, "changed", old, new))


def diff_rulesets(old: RuleSet, new: RuleSet) -> list[Change]:
    """Every difference between two rule sets, in file order."""
    changes: list[Change] = []
    _walk("", ruleset_to_dict(old), ruleset_to_dict(new), changes)
    return changes
