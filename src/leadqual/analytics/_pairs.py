"""Interactions of a boosted calibration: which pairs of attributes, and their AND rules.

Pairs are screened on the additive model's output (a Newton step per cell of the two
inputs' coarse bins, fitted on four fifths of the training rows and judged by the
log-loss it saves on the other fifth: held-out gain, inside the training fold). For the
chosen pairs, a boosted model allowed those pairs (a *teacher*) says what the additive
table misses; a small regression tree per pair fitted to that residual cuts the pair's
plane into boxes, each box an AND rule of a condition on each input.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from leadqual.analytics._shapes import Array, Column
from leadqual.conditions import Attr, Condition

__all__ = ["Box", "boxes", "choose_pairs", "listed", "number", "pair_matrix", "shown"]


def _log_loss(margin: Array, labels: Array) -> float:
    return float(np.mean(np.logaddexp(0, margin) - labels * margin))


def _coarse(column: Column, train: np.ndarray, bins: int = 8) -> np.ndarray:
    """Codes of a column in at most ``bins`` quantile bins of the training rows (a
    category: its own codes; missing: a code of its own)."""
    values = column.values
    nan = np.isnan(values)
    if column.kind == "category":
        codes = np.where(nan, len(column.categories), values)
        return np.where(codes < 0, len(column.categories) + 1, codes).astype(np.int64)
    seen = values[train][~nan[train]]
    edges: Array = (
        np.unique(np.quantile(seen, np.linspace(0, 1, bins + 1)[1:-1]))
        if len(seen)
        else np.zeros(0)
    )
    codes = np.searchsorted(edges, np.where(nan, 0, values), side="right")
    return np.where(nan, len(edges) + 1, codes).astype(np.int64)


def choose_pairs(
    cols: Sequence[Column], labels: Array, margin: Array, *, count: int, seed: int
) -> list[tuple[int, int, float]]:
    """Up to ``count`` pairs of attribute columns whose cells most improve the held-out
    log-loss over the additive ``margin``, with that gain: only pairs that improve it by
    at least half as much as the best pair (a pair needs many rules to pay: a weak one
    would take them from the strong one and from the inputs' own bins)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    held_out = np.zeros(n, dtype=bool)
    for label in (True, False):  # a stratified fifth
        members = np.flatnonzero(labels == label)
        held_out[rng.choice(members, size=len(members) // 5, replace=False)] = True
    train = ~held_out
    p = 1 / (1 + np.exp(-margin))
    gradient, hessian = p - labels, p * (1 - p)
    codes = [_coarse(c, train) for c in cols]
    base = _log_loss(margin[held_out], labels[held_out])
    gains = []
    for a, b in itertools.combinations(range(len(cols)), 2):
        if "count" in (cols[a].kind, cols[b].kind):
            continue  # pairs are between lead attributes
        cell = codes[a] * (int(codes[b].max()) + 1) + codes[b]
        size = int(cell.max()) + 1
        g = np.bincount(cell[train], gradient[train], size)
        h = np.bincount(cell[train], hessian[train], size)
        step = -g / (h + 20.0)  # a Newton step per cell, shrunk towards none
        gain = base - _log_loss(margin[held_out] + step[cell[held_out]], labels[held_out])
        if gain > 0:
            gains.append((gain, a, b))
    gains.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [(a, b, gain) for gain, a, b in gains[:count] if gain >= 0.5 * gains[0][0]]


def pair_matrix(a: Column, b: Column, values: Sequence[Array] | None = None) -> Array:
    """The inputs of a pair's tree: a category as one column per category (1 when the
    lead has it), a number as itself (NaN when missing)."""
    parts: list[Array] = []
    for column, raw in zip((a, b), values or (a.values, b.values), strict=True):
        if column.kind == "category":
            parts.extend((raw == code).astype(np.float64) for code in range(len(column.categories)))
        else:
            parts.append(raw)
    return np.column_stack(parts)


@attrs.frozen
class Side:
    """What a box asks of one input: a number in ``(low, high]`` and, when ``missing`` is
    False, present; a category in ``only`` (when set) and not in ``without``. An input
    that no training row lacked (``optional`` False) says nothing of missing values: a
    range leaves them out."""

    column: Column
    optional: bool
    low: float = -math.inf
    high: float = math.inf
    missing: bool = True
    only: frozenset[int] | None = None
    without: frozenset[int] = frozenset()

    def restricts(self) -> bool:
        return (
            self.low > -math.inf
            or self.high < math.inf
            or (self.optional and not self.missing)
            or self.only is not None
            or bool(self.without)
        )

    def holds(self, raw: Array, odd: np.ndarray | None = None) -> np.ndarray:
        """Which values the side admits (as :meth:`condition` reads leads); ``odd``: values
        present but of no kind the column scores (NaN in ``raw``, yet not missing)."""
        nan = np.isnan(raw) if odd is None else np.isnan(raw) & ~odd
        if self.column.kind == "category":
            if self.only is not None:
                return np.isin(raw, sorted(self.only)) & ~nan
            return ~np.isin(raw, sorted(self.without)) | nan
        inside = (raw > self.low) & (raw <= self.high) & ~nan
        ranged = self.low > -math.inf or self.high < math.inf
        if not self.optional:
            return inside if ranged else np.ones(len(raw), dtype=bool)
        if self.missing:
            return (inside | nan) if ranged else np.ones(len(raw), dtype=bool)
        return inside if ranged else ~nan

    def condition(self) -> tuple[Condition, str]:
        """The side as a condition on the lead's attribute, and in words."""
        field = Attr(self.column.name)
        name = self.column.name
        if self.column.kind == "category":
            if self.only is not None:
                values = self._values(self.only)
                return field.is_in(values), f"{name} {listed(values)}"
            values = self._values(self.without)
            said = f"!= {values[0]}" if len(values) == 1 else f"not {listed(values)}"
            return ~field.is_in(values), f"{name} {said}"
        parts: list[Condition] = []
        words = []
        if self.low > -math.inf:
            parts.append(field > number(self.low))
            words.append(f"> {shown(self.low)}")
        if self.high < math.inf:
            parts.append(field <= number(self.high))
            words.append(f"<= {shown(self.high)}")
        if not parts:
            return field.exists(), f"{name} known"
        condition = parts[0] if len(parts) == 1 else parts[0] & parts[1]
        text = f"{name} {' and '.join(words)}"
        if self.optional and self.missing:
            return condition | ~field.exists(), f"({text}, or {name} unknown)"
        return condition, text

    def _values(self, codes: frozenset[int]) -> list[Any]:
        chosen = [self.column.categories[c] for c in sorted(codes)]
        return sorted(chosen, key=lambda v: (type(v).__name__, str(v)))


def listed(values: Sequence[Any]) -> str:
    """Values as a rule prints them: ``= a`` or ``in a, b, c, d, ...``."""
    text = ", ".join(str(v) for v in values[:4]) + (", ..." if len(values) > 4 else "")
    return f"= {text}" if len(values) == 1 else f"in {text}"


def shown(value: float) -> str:
    """A number as a rule prints it: whole numbers without a point, never in exponent form.

    >>> shown(1253227.0), shown(17.5), shown(-4902), shown(0.00000012)
    ('1253227', '17.5', '-4902', '0.00000012')
    """
    exact = number(value)
    return str(exact) if isinstance(exact, int) else np.format_float_positional(exact, trim="-")


def number(value: float) -> float | int:
    """A whole number as an int (rules and files read ``5`` rather than ``5.0``)."""
    return int(value) if float(value).is_integer() else float(value)


@attrs.frozen
class Box:
    """One leaf of a pair's tree: what it asks of each input (``sides``)."""

    sides: tuple[Side, ...]

    def holds(
        self, values: Sequence[Array], odd: Sequence[np.ndarray | None] = (None, None)
    ) -> np.ndarray:
        out = np.ones(len(values[0]), dtype=bool)
        for side, raw, strange in zip(self.sides, values, odd, strict=True):
            out &= side.holds(raw, strange)
        return out

    def condition(self) -> tuple[Condition, str]:
        parts = [side.condition() for side in self.sides if side.restricts()]
        condition = parts[0][0]
        for more, _ in parts[1:]:
            condition = condition & more
        return condition, " and ".join(text for _, text in parts)


def boxes(tree: Any, a: Column, b: Column) -> list[Box]:
    """The leaves of a regression tree fitted on :func:`pair_matrix` as boxes (through
    the tree's public ``tree_`` arrays)."""
    owners: list[tuple[int, int | None]] = []  # each matrix column: (input, category code)
    for which, column in enumerate((a, b)):
        if column.kind == "category":
            owners.extend((which, code) for code in range(len(column.categories)))
        else:
            owners.append((which, None))
    structure = tree.tree_
    missing_left = getattr(structure, "missing_go_to_left", None)
    out: list[Box] = []

    def visit(node: int, sides: list[Side]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            out.append(Box(tuple(sides)))
            return
        which, code = owners[structure.feature[node]]
        side = sides[which]
        # a tree's thresholds sit between two values: 6 decimals read better (same leads)
        threshold = round(float(structure.threshold[node]), 6)
        if code is not None:  # a category's column: <= 0.5 is "not this one"
            without = attrs.evolve(side, without=side.without | {code})
            only = {code} if side.only is None else set(side.only) & {code}
            visit(left, _replaced(sides, which, without))
            visit(right, _replaced(sides, which, attrs.evolve(side, only=frozenset(only))))
            return
        to_left = bool(missing_left[node]) if missing_left is not None else False
        lower = attrs.evolve(side, high=min(side.high, threshold), missing=side.missing and to_left)
        upper = attrs.evolve(
            side, low=max(side.low, threshold), missing=side.missing and not to_left
        )
        visit(left, _replaced(sides, which, lower))
        visit(right, _replaced(sides, which, upper))

    visit(0, [Side(c, optional=bool(np.isnan(c.values).any())) for c in (a, b)])
    return out


def _replaced(sides: list[Side], which: int, side: Side) -> list[Side]:
    return [side if k == which else s for k, s in enumerate(sides)]
