"""``calibrate(method="boosted")``: points from per-input shapes and chosen pairs.

1. each input's shape from a boosted additive model (:mod:`leadqual.analytics._shapes`);
2. the attributes' shapes cut into segments within the rule budget
   (:mod:`leadqual.analytics._bins`); an event type's count capped where its shape stops
   moving (one rule: points per event, at most the cap);
3. with ``interactions``, pairs of attributes chosen by held-out gain and each cut into
   boxes, AND rules (:mod:`leadqual.analytics._pairs`);
4. a logistic regression on all of them (an indicator per segment or box, the largest of
   each input or pair as the reference; the capped counts) sets the points jointly;
5. points rounded, adjacent segments whose points round alike merged, and the table
   written as fit rules and engagement rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from leadqual.analytics._bins import Binned, bin_shapes
from leadqual.analytics._history import ClosedLead
from leadqual.analytics._pairs import (
    Box,
    boxes,
    choose_pairs,
    listed,
    number,
    pair_matrix,
    shown,
)
from leadqual.analytics._shapes import (
    Array,
    Column,
    Shape,
    columns,
    fit_additive,
    matrix,
    raw_values,
    shapes,
)
from leadqual.analytics.calibrate import CalibratedRule, slug
from leadqual.conditions import Attr, Condition
from leadqual.errors import ValidationError
from leadqual.scoring.rules import EngagementRule, FitRule

__all__ = ["Table", "fit_tables"]


@attrs.frozen(eq=False)
class Pair:
    """A pair of attribute columns cut into ``boxes`` (``reference`` scores nothing)."""

    a: Column
    b: Column
    boxes: tuple[Box, ...]
    reference: int

    def members(
        self, values: Sequence[Array], odd: Sequence[np.ndarray | None] = (None, None)
    ) -> list[np.ndarray]:
        return [box.holds(values, odd) for box in self.boxes]


@attrs.frozen(eq=False)
class Table:
    """A fitted points table and what is needed to score other rows with it exactly:
    each attribute's segments (``binned``, with the reference segment of each), each
    event type's cap (``counts``), the pairs' boxes, the regression behind the points,
    and the rounded points of every segment, event and box."""

    fit: tuple[FitRule, ...]
    engagement: tuple[EngagementRule, ...]
    rules: tuple[CalibratedRule, ...]
    intercept: float
    error: float  # the largest a lead's total (less the base) can differ from unrounded
    binned: tuple[Binned, ...] = attrs.field(repr=False)
    reference: tuple[int, ...] = attrs.field(repr=False)
    counts: tuple[tuple[Column, int], ...] = attrs.field(repr=False)
    pairs: tuple[Pair, ...] = attrs.field(repr=False)
    regression: Any = attrs.field(repr=False)
    points: tuple[Array, ...] = attrs.field(repr=False)
    per_event: tuple[float, ...] = attrs.field(repr=False)
    per_box: tuple[Array, ...] = attrs.field(repr=False)

    def _inputs(
        self, rows: Sequence[ClosedLead]
    ) -> tuple[list[np.ndarray], list[Array], list[list[np.ndarray]]]:
        coded: dict[str, tuple[Array, np.ndarray]] = {}

        def values(column: Column) -> tuple[Array, np.ndarray]:
            if column.name not in coded:
                raw = raw_values(rows, column.name, "attribute")
                coded[column.name] = (column.codes_of(raw), column.odd(raw))
            return coded[column.name]

        indices = [b.index(*values(b.column)) for b in self.binned]
        capped = [
            np.minimum(np.array(raw_values(rows, col.name, "count"), dtype=np.float64), cap)
            for col, cap in self.counts
        ]
        members = [
            pair.members(
                [values(pair.a)[0], values(pair.b)[0]], [values(pair.a)[1], values(pair.b)[1]]
            )
            for pair in self.pairs
        ]
        return indices, capped, members

    def unrounded(self, rows: Sequence[ClosedLead]) -> Array:
        """The regression's log-odds of each row (before rounding)."""
        indices, capped, members = self._inputs(rows)
        design = _design(
            indices, self.binned, self.reference, capped=capped, members=members, pairs=self.pairs
        )
        return np.asarray(self.regression.decision_function(design), dtype=np.float64)

    def totals(self, rows: Sequence[ClosedLead]) -> Array:
        """Each row's rounded points, less the base (what the rules give it)."""
        indices, capped, members = self._inputs(rows)
        total = np.zeros(len(rows))
        for idx, pts in zip(indices, self.points, strict=True):
            total += np.where(idx >= 0, pts[np.clip(idx, 0, None)], 0.0)
        for counted, points in zip(capped, self.per_event, strict=True):
            total += counted * points
        for inside, pts in zip(members, self.per_box, strict=True):
            for holds, points in zip(inside, pts, strict=True):
                total += holds * points
        return total


def _reference(b: Binned) -> int:
    """The segment an attribute's points are measured against: its largest."""
    return max(range(len(b.segments)), key=lambda k: b.segments[k].weight)


def _cap(shape: Shape) -> int:
    """The count beyond which more events of a type move the log-odds no further: where
    its shape is farthest from no event (at most the 95th percentile of the counts)."""
    grid, effect, weights = shape.grid, shape.effect, shape.weights
    cumulative = np.cumsum(weights) / weights.sum()
    ceiling = float(grid[min(len(grid) - 1, int(np.searchsorted(cumulative, 0.95)))])
    zero = float(effect[0]) if grid[0] == 0 else 0.0
    best, cap = -1.0, 1
    for value, level in zip(grid, effect, strict=True):
        if 1 <= value <= max(1.0, ceiling) and abs(level - zero) > best + 1e-12:
            best, cap = abs(float(level) - zero), int(value)
    return cap


def _design(
    indices: Sequence[np.ndarray],
    binned: Sequence[Binned],
    reference: Sequence[int],
    *,
    capped: Sequence[Array],
    members: Sequence[Sequence[np.ndarray]],
    pairs: Sequence[Pair],
) -> Array:
    parts: list[Array] = []
    for idx, b, ref in zip(indices, binned, reference, strict=True):
        for k in range(len(b.segments) + (b.missing is not None)):
            if k != ref:
                parts.append((idx == k).astype(np.float64))
    parts.extend(capped)
    for inside, pair in zip(members, pairs, strict=True):
        parts.extend(h.astype(np.float64) for k, h in enumerate(inside) if k != pair.reference)
    n = len(indices[0]) if indices else (len(capped[0]) if capped else 0)
    return np.column_stack(parts) if parts else np.zeros((n, 0))


def _allot(budget: int, gains: Sequence[float]) -> list[int]:
    """Rules for each chosen pair: half the ``budget`` shared in proportion to the pairs'
    held-out gains (a pair left fewer than 2 gets none)."""
    total = sum(gains)
    if not gains or total <= 0:
        return []
    shares = [int(budget // 2 * g / total) for g in gains]
    return [share if share >= 2 else 0 for share in shares]


def fit_tables(
    rows: Sequence[ClosedLead],
    attribute_names: Sequence[str],
    type_names: Sequence[str],
    *,
    factor: float,
    budgets: Sequence[int],
    interactions: int,
    regularization: float,
    seed: int,
    monotonic: Mapping[str, int] | None = None,
) -> list[Table]:
    """One table per budget of rules (the boosted models are fitted once). ``monotonic``
    maps a numeric attribute or an event type to 1 (points never fall as it grows) or -1
    (never rise): its shape is fitted so, and the points too (neighbouring bins whose
    points disagree are merged, an event type whose points disagree dropped)."""
    from sklearn.linear_model import (  # type: ignore[import-untyped,unused-ignore]
        LogisticRegression,
    )

    cols = columns(rows, attribute_names, type_names)
    if not cols:
        raise ValidationError(
            "attributes",
            list(attribute_names),
            "nothing to score the leads by: no attribute held by 20 leads or more with two "
            "values or more, and no event type seen (method='logistic' fits smaller histories)",
        )
    signs = dict(monotonic or {})
    # (checked on the whole history; a fold may lack an input: its sign goes with it)
    ordered = {c.name for c in cols if c.kind != "category"}
    signs = {name: sign for name, sign in signs.items() if name in ordered}
    labels = np.array([won for *_, won, _ in rows], dtype=bool)
    truth = labels.astype(np.float64)
    additive = fit_additive(cols, [bool(v) for v in labels], seed=seed, monotonic=signs)
    found = shapes(additive, cols)
    attribute_shapes = [s for s in found if s.column.kind != "count"]
    count_shapes = [s for s in found if s.column.kind == "count"]
    counts = tuple((s.column, _cap(s)) for s in count_shapes)
    capped = [np.minimum(col.values, cap) for col, cap in counts]
    chosen: list[tuple[int, int]] = []
    gains: list[float] = []
    taught = np.zeros(0)
    if interactions:
        margin = np.asarray(additive.decision_function(matrix(cols)), dtype=np.float64)
        # a monotone input stays out of pairs: a box could score it the wrong way
        free = [k for k, c in enumerate(cols) if c.name not in signs]
        scored = choose_pairs([cols[k] for k in free], truth, margin, count=interactions, seed=seed)
        scored = [(free[a], free[b], gain) for a, b, gain in scored]
        chosen, gains = [(a, b) for a, b, _ in scored], [g for _, _, g in scored]
    if chosen:
        teacher = fit_additive(
            cols, [bool(v) for v in labels], pairs=chosen, seed=seed, monotonic=signs
        )
        taught = np.asarray(teacher.decision_function(matrix(cols)), dtype=np.float64)
    # what the count shapes add, for the residual the pairs are fitted to
    counted = sum(
        (np.interp(s.column.values, s.grid, s.effect) for s in count_shapes),
        np.zeros(len(labels)),
    )
    # the event types by how much their count moves the log-odds across leads
    ranked = sorted(range(len(counts)), key=lambda k: -_spread(count_shapes[k]))
    tables = []
    for budget in budgets:
        # a budget too small for every event type keeps the ones that matter most,
        # in at most half of it
        kept = sorted(ranked[: budget // 2] if len(counts) > budget // 2 else ranked)
        budget_counts = tuple(counts[k] for k in kept)
        budget_capped = [capped[k] for k in kept]
        allotted = _allot(budget - len(kept), gains)
        left = budget - len(kept) - sum(allotted)
        binned = bin_shapes(attribute_shapes, max(0, left), rate=float(labels.mean()))
        reference = [_reference(b) for b in binned]  # (lists: monotone repairs edit them)
        indices = [b.index(b.column.values) for b in binned]
        pairs: list[Pair] = []
        if any(allotted):
            explained = counted + sum(
                (_effects(b)[idx] for b, idx in zip(binned, indices, strict=True)),
                np.zeros(len(labels)),
            )
            pairs = _cut_pairs(
                cols,
                chosen=[pair for pair, n in zip(chosen, allotted, strict=True) if n],
                rules=[n for n in allotted if n],
                target=taught - taught.mean() - explained,
                weights=1 / (1 + np.exp(-taught)) * (1 - 1 / (1 + np.exp(-taught))),
                seed=seed,
            )
        members = [pair.members([pair.a.values, pair.b.values]) for pair in pairs]
        while True:
            design = _design(
                indices, binned, reference, capped=budget_capped, members=members, pairs=pairs
            )
            regression: Any = _Constant(labels)
            if design.shape[1]:
                regression = LogisticRegression(
                    C=regularization, max_iter=1000, solver="newton-cholesky", random_state=seed
                ).fit(design, labels)
            broken = _disagreeing(binned, reference, budget_counts, regression, signs)
            if broken is None:
                break
            which, k = broken
            if which < len(binned):  # two neighbouring bins: one bin
                binned[which] = binned[which].joined(k)
                reference[which] = _reference(binned[which])
                indices[which] = binned[which].index(binned[which].column.values)
            else:  # an event type whose points go the wrong way: left out
                gone = which - len(binned)
                budget_counts = budget_counts[:gone] + budget_counts[gone + 1 :]
                budget_capped = budget_capped[:gone] + budget_capped[gone + 1 :]
        tables.append(
            _table(
                labels,
                binned=binned,
                reference=reference,
                indices=indices,
                counts=budget_counts,
                pairs=pairs,
                members=members,
                regression=regression,
                factor=factor,
            )
        )
    return tables


def _betas(binned: Sequence[Binned], reference: Sequence[int], coef: Array) -> list[Array]:
    """Each attribute's coefficients by segment (then its missing segment), 0 for the
    reference, from a regression on :func:`_design`'s columns."""
    out, at = [], 0
    for b, ref in zip(binned, reference, strict=True):
        beta = np.zeros(len(b.segments) + (b.missing is not None))
        for k in range(len(beta)):
            if k != ref:
                beta[k] = coef[at]
                at += 1
        out.append(beta)
    return out


def _disagreeing(
    binned: Sequence[Binned],
    reference: Sequence[int],
    counts: Sequence[tuple[Column, int]],
    regression: Any,
    signs: Mapping[str, int],
) -> tuple[int, int] | None:
    """The first place where the points go against a monotone input: ``(attribute,
    segment)`` whose next segment scores the wrong way, or ``(len(binned) + event type,
    0)`` whose points per event have the wrong sign; None when they all agree."""
    if not signs:
        return None
    coef = np.asarray(regression.coef_[0], dtype=np.float64)
    for j, beta in enumerate(_betas(binned, reference, coef)):
        sign = signs.get(binned[j].column.name, 0)
        if sign and binned[j].column.kind == "number":
            steps = sign * np.diff(beta[: len(binned[j].segments)])
            wrong = np.flatnonzero(steps < 0)
            if len(wrong):
                return j, int(wrong[0])
    at = sum(len(b.segments) + (b.missing is not None) - 1 for b in binned)
    for k, (col, _) in enumerate(counts):
        if signs.get(col.name, 0) * coef[at + k] < 0:
            return len(binned) + k, 0
    return None


def _spread(shape: Shape) -> float:
    """The count-weighted variance of a shape: how much the input moves the log-odds."""
    mean = float(np.average(shape.effect, weights=shape.weights))
    return float(np.average((shape.effect - mean) ** 2, weights=shape.weights))


class _Constant:
    """The regression when nothing is left to score by: every lead the base rate."""

    def __init__(self, labels: np.ndarray) -> None:
        rate = float(labels.mean())
        self.coef_ = np.zeros((1, 0))
        self.intercept_ = np.array([np.log(rate / (1 - rate))])

    def decision_function(self, design: Array) -> Array:
        return np.full(len(design), float(self.intercept_[0]))


def _effects(b: Binned) -> Array:
    """Each segment's mean effect (then the missing segment's, then 0 for a category
    never seen), indexed as :meth:`Binned.index` numbers them."""
    values = [s.effect for s in b.segments]
    values.append(b.missing.effect if b.missing is not None else 0.0)
    values.append(0.0)  # index -1
    return np.array(values, dtype=np.float64)


def _cut_pairs(
    cols: Sequence[Column],
    *,
    chosen: Sequence[tuple[int, int]],
    rules: Sequence[int],
    target: Array,
    weights: Array,
    seed: int,
) -> list[Pair]:
    """Each chosen pair cut into at most its ``rules`` + 1 boxes by a regression tree
    fitted to what the teacher adds to the binned additive table (``target``, rows
    weighted by the teacher's ``p * (1 - p)``), one pair after the other, each on what
    the ones before left."""
    from sklearn.tree import DecisionTreeRegressor  # type: ignore[import-untyped,unused-ignore]

    left = target
    out = []
    for (a, b), allowed in zip(chosen, rules, strict=True):
        inputs = pair_matrix(cols[a], cols[b])
        tree = DecisionTreeRegressor(
            max_leaf_nodes=allowed + 1,
            min_samples_leaf=max(20, len(left) // 400),
            random_state=seed,
        ).fit(inputs, left, sample_weight=weights)
        left = left - tree.predict(inputs)
        found = boxes(tree, cols[a], cols[b])
        if len(found) < 2:
            continue
        inside = [box.holds([cols[a].values, cols[b].values]) for box in found]
        reference = max(range(len(found)), key=lambda k: int(inside[k].sum()))
        out.append(Pair(cols[a], cols[b], tuple(found), reference))
    return out


def _table(
    labels: np.ndarray,
    *,
    binned: Sequence[Binned],
    reference: Sequence[int],
    indices: Sequence[np.ndarray],
    counts: tuple[tuple[Column, int], ...],
    pairs: Sequence[Pair],
    members: Sequence[Sequence[np.ndarray]],
    regression: Any,
    factor: float,
) -> Table:
    coefficients = np.asarray(regression.coef_[0], dtype=np.float64)
    used = {"base"}  # the rule every lead gets

    def unique(name: str) -> str:
        found, k = name, 1
        while found in used:
            k += 1
            found = f"{name}-{k}"
        used.add(found)
        return found

    fit: list[FitRule] = []
    engagement: list[EngagementRule] = []
    calibrated: list[CalibratedRule] = []
    points_by_input: list[Array] = []
    error = 0.0
    at = 0
    betas = _betas(binned, reference, coefficients)
    for b, beta, idx in zip(binned, betas, indices, strict=True):
        at += len(beta) - 1
        exact = factor * beta
        rounded = np.round(exact)
        error += float(np.max(np.abs(exact - rounded)))
        points_by_input.append(rounded)
        for rule, (description, coefficient, members_of) in _attribute_rules(b, beta, rounded):
            rule = attrs.evolve(rule, name=unique(rule.name))
            fit.append(rule)
            calibrated.append(
                _evidence(rule, "fit", description, coefficient, labels[np.isin(idx, members_of)])
            )
    per_event = []
    for col, cap in counts:
        beta_one = float(coefficients[at])
        at += 1
        points = float(np.round(factor * beta_one))
        per_event.append(points)
        error += abs(factor * beta_one - points) * cap
        counted = EngagementRule(unique(slug(col.name)), col.name, points or 1, max_times=cap)
        if points:
            engagement.append(attrs.evolve(counted, points=points))
        calibrated.append(
            _evidence(
                counted,
                "engagement",
                f"each {col.name}, at most {cap}",
                beta_one,
                labels[col.values > 0],
                points=int(points),
            )
        )
    per_box = []
    for pair, inside in zip(pairs, members, strict=True):
        beta = np.zeros(len(pair.boxes))
        for k in range(len(pair.boxes)):
            if k != pair.reference:
                beta[k] = coefficients[at]
                at += 1
        rounded = np.round(factor * beta)
        error += float(np.max(np.abs(factor * beta - rounded)))
        per_box.append(rounded)
        for k, box in enumerate(pair.boxes):
            if not rounded[k]:
                continue
            condition, words = box.condition()
            rule = FitRule(
                unique(slug(words)),
                condition,
                float(rounded[k]),
                group=f"{pair.a.name} x {pair.b.name}",
            )
            fit.append(rule)
            calibrated.append(_evidence(rule, "fit", words, float(beta[k]), labels[inside[k]]))
    return Table(
        tuple(fit),
        tuple(engagement),
        tuple(calibrated),
        float(regression.intercept_[0]),
        error,
        tuple(binned),
        tuple(reference),
        counts,
        tuple(pairs),
        regression,
        tuple(points_by_input),
        tuple(per_event),
        tuple(per_box),
    )


def _evidence(
    rule: FitRule | EngagementRule,
    kind: str,
    description: str,
    coefficient: float,
    had: np.ndarray,
    *,
    points: int | None = None,
) -> CalibratedRule:
    return CalibratedRule(
        rule.name,
        kind,
        description,
        coefficient,
        int(rule.points) if points is None else points,
        len(had),
        float(had.mean()) if len(had) else None,
    )


def _attribute_rules(
    b: Binned, beta: Array, rounded: Array
) -> list[tuple[FitRule, tuple[str, float, list[int]]]]:
    """Fit rules of one attribute: adjacent segments whose points round alike as one (for
    a category: every segment with those points), the missing segment on its own."""
    field = Attr(b.column.name)
    name = b.column.name
    n = len(b.segments)
    groups: list[list[int]] = []
    if b.column.kind == "category":
        by_points: dict[float, list[int]] = {}
        for k in range(n):
            by_points.setdefault(float(rounded[k]), []).append(k)
        groups = sorted(by_points.values())
    else:
        for k in range(n):
            if groups and rounded[groups[-1][-1]] == rounded[k]:
                groups[-1].append(k)
            else:
                groups.append([k])
    out: list[tuple[FitRule, tuple[str, float, list[int]]]] = []
    for g, members in enumerate(groups):
        points = float(rounded[members[0]])
        if not points:
            continue
        condition: Condition
        if b.column.kind == "category":
            values = sorted(
                (b.column.categories[int(code)] for k in members for code in b.segments[k].members),
                key=lambda v: (type(v).__name__, str(v)),
            )
            condition = field.is_in(values)
            label = listed(values)
        else:
            low = number(b.segments[members[0]].low)
            high = number(b.segments[groups[g + 1][0]].low) if g + 1 < len(groups) else None
            if g == 0 and high is not None:
                condition, label = field < high, f"< {shown(high)}"
            elif high is None:
                condition, label = field >= low, f">= {shown(low)}"
            else:
                condition = (field >= low) & (field < high)
                label = f"{shown(low)} to {shown(high)}"
        coefficient = float(
            np.average(beta[members], weights=[b.segments[k].weight for k in members])
        )
        rule = FitRule(slug(f"{name} {label}"), condition, points, group=name)
        out.append((rule, (f"{name} {label}", coefficient, members)))
    if b.missing is not None and rounded[n]:
        rule = FitRule(slug(f"{name} missing"), ~field.exists(), float(rounded[n]), group=name)
        out.append((rule, (f"{name} missing", float(beta[n]), [n])))
    return out
