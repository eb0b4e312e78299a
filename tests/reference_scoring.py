"""A deliberately naive re-statement of PointsModel's documented semantics.

Slow and obvious on purpose: property tests compare the fast incremental engine with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from leadqual import Event, Lead, NoDecay, PointsModel


def reference_total(
    model: PointsModel, lead: Lead, events: Iterable[Event], as_of: datetime
) -> tuple[float, dict[str, float]]:
    """(total, points per group) as the docs define them."""
    unique: dict[object, Event] = {}
    for e in events:
        unique.setdefault(e.id if e.id is not None else object(), e)
    history = list(unique.values())

    per_rule: dict[str, float] = {}
    group_of: dict[str, str | None] = {}
    for rule in model.fit:
        group_of[rule.name] = rule.group
        if rule.condition.test(lead):
            per_rule[rule.name] = rule.points
    for rule in model.engagement:
        group_of[rule.name] = rule.group
        matched = [
            e
            for e in history
            if e.type == rule.event_type
            and (rule.where is None or rule.where.test(lead, e))
            and e.at <= as_of
            and (rule.within is None or as_of - e.at <= rule.within)
        ]
        matched.sort(key=lambda e: e.sort_key(), reverse=True)  # newest first
        if rule.max_per_day is not None:
            kept, per_day = [], {}  # type: ignore[var-annotated]
            for e in matched:
                day = e.at.timestamp() // 86400
                if per_day.get(day, 0) < rule.max_per_day:
                    per_day[day] = per_day.get(day, 0) + 1
                    kept.append(e)
            matched = kept
        if rule.max_times is not None:
            matched = matched[: rule.max_times]
        decay = rule.decay if rule.decay is not None else model.decay
        if decay is None:
            decay = NoDecay()
        points = sum(decay.apply(rule.points, (as_of - e.at).total_seconds()) for e in matched)
        if rule.max_points is not None and abs(points) > rule.max_points:
            points = math.copysign(rule.max_points, points)
        if matched:
            per_rule[rule.name] = points

    groups: dict[str, float] = {
        rule.group: 0.0 for rule in (*model.fit, *model.engagement) if rule.group is not None
    }
    total = 0.0
    for name, points in per_rule.items():
        group = group_of[name]
        if group is None:
            total += points
        else:
            groups[group] = groups.get(group, 0.0) + points
    for group, points in groups.items():
        cap = model.group_caps.get(group)
        if cap is not None and abs(points) > cap:
            groups[group] = math.copysign(cap, points)
    total += sum(groups.values())
    if model.min_score is not None:
        total = max(total, model.min_score)
    if model.max_score is not None:
        total = min(total, model.max_score)
    return total, groups
