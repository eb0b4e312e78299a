"""Shapes turned into bins within a budget of rules.

Each input's shape is a step function over its values; adjacent values (for a category:
categories next to each other in the order of their effect) with the same effect are one
segment to begin with. Segments are then merged, across every input at once, always the
adjacent pair whose merge loses least (the count-weighted squared change of the effect),
until the table fits its budget of rules. A missing value keeps a segment of its own.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import attrs
import numpy as np

from leadqual.analytics._shapes import Array, Column, Shape

__all__ = ["Binned", "Segment", "bin_shapes"]


@attrs.frozen
class Segment:
    """Grid values (codes for a category) that score alike: for a number or a count, the
    values from ``low`` on, up to the next segment's ``low``; for a category, ``members``."""

    members: tuple[float, ...]
    weight: float
    effect: float

    @property
    def low(self) -> float:
        return self.members[0]


@attrs.frozen(eq=False)
class Binned:
    """One input's segments, in value order (a category's in order of effect), and its
    missing segment (None when no training row lacked the input)."""

    column: Column
    segments: tuple[Segment, ...]
    missing: Segment | None

    def joined(self, k: int) -> Binned:
        """These bins with segments ``k`` and ``k + 1`` made one."""
        both = _merged(self.segments[k], self.segments[k + 1])
        return attrs.evolve(self, segments=(*self.segments[:k], both, *self.segments[k + 2 :]))

    def index(self, values: Array, odd: np.ndarray | None = None) -> np.ndarray:
        """The segment of each value (``len(segments)`` for a missing one; -1, scored as
        the reference, for a category never seen in training, and for a missing value
        when no missing segment was kept)."""
        out = np.full(len(values), -1, dtype=np.int64)
        nan = np.isnan(values)
        out[nan] = len(self.segments) if self.missing is not None else -1
        if self.column.kind == "category":
            lookup = {code: k for k, seg in enumerate(self.segments) for code in seg.members}
            for i in np.flatnonzero(~nan):
                out[i] = lookup.get(float(values[i]), -1)
            return out
        lows = np.array([seg.low for seg in self.segments[1:]], dtype=np.float64)
        out[~nan] = np.searchsorted(lows, values[~nan], side="right")
        if odd is not None:
            out[odd] = -1  # present, but no number: no range holds, nor "missing"
        return out


def _initial(shape: Shape) -> list[Segment]:
    order = np.argsort(shape.effect, kind="stable") if shape.column.kind == "category" else None
    idx = order if order is not None else np.arange(len(shape.grid))
    out: list[Segment] = []
    for i in idx:
        value, effect, weight = (
            float(shape.grid[i]),
            float(shape.effect[i]),
            float(shape.weights[i]),
        )
        if out and abs(out[-1].effect - effect) < 1e-12:
            last = out[-1]
            out[-1] = Segment((*last.members, value), last.weight + weight, last.effect)
        else:
            out.append(Segment((value,), weight, effect))
    return out


def _merged(a: Segment, b: Segment) -> Segment:
    weight = a.weight + b.weight
    return Segment(
        (*a.members, *b.members), weight, (a.weight * a.effect + b.weight * b.effect) / weight
    )


def _cost(a: Segment, b: Segment) -> float:
    return a.weight * b.weight / (a.weight + b.weight) * (a.effect - b.effect) ** 2


def bin_shapes(
    shapes: Sequence[Shape], max_rules: int, *, rate: float, evidence: float = 3.84
) -> list[Binned]:
    """Every shape's segments, merged (least loss first, across inputs) until the rules
    they need number at most ``max_rules`` and every two adjacent segments differ by more
    than noise: the Wald statistic of their difference in log-odds (the merge's loss times
    ``rate * (1 - rate)``, the win rate's variance) at least ``evidence`` (3.84: 5 %).
    Missing segments go last, the same way, measured against the rest of their input."""
    chains = [_initial(s) for s in shapes]
    missing = [
        None if s.missing is None else Segment((float("nan"),), s.missing_weight, s.missing)
        for s in shapes
    ]
    # a doubly linked list per chain; a heap of candidate merges checked when popped
    alive = [[True] * len(c) for c in chains]
    nxt = [list(range(1, len(c) + 1)) for c in chains]
    prv = [list(range(-1, len(c) - 1)) for c in chains]
    heap: list[tuple[float, int, int, int, int]] = []
    version = [[0] * len(c) for c in chains]
    for j, chain in enumerate(chains):
        for k in range(len(chain) - 1):
            heapq.heappush(heap, (_cost(chain[k], chain[k + 1]), j, k, 0, 0))
    total = sum(len(c) - 1 for c in chains) + sum(m is not None for m in missing)
    spread = rate * (1 - rate)
    while heap:
        cost, j, k, vk, vn = heapq.heappop(heap)
        n = nxt[j][k]
        if not alive[j][k] or n >= len(chains[j]) or not alive[j][n]:
            continue
        if version[j][k] != vk or version[j][n] != vn:
            continue
        if total <= max_rules and cost * spread >= evidence:
            break
        chains[j][k] = _merged(chains[j][k], chains[j][n])
        version[j][k] += 1
        alive[j][n] = False
        nxt[j][k] = nxt[j][n]
        if nxt[j][n] < len(chains[j]):
            prv[j][nxt[j][n]] = k
        total -= 1
        p, after = prv[j][k], nxt[j][k]
        if p >= 0:
            heapq.heappush(
                heap, (_cost(chains[j][p], chains[j][k]), j, p, version[j][p], version[j][k])
            )
        if after < len(chains[j]):
            heapq.heappush(
                heap,
                (_cost(chains[j][k], chains[j][after]), j, k, version[j][k], version[j][after]),
            )

    # a missing segment too close to the rest to tell apart, or one the budget cannot
    # hold, joins the reference (a missing value then scores as the largest segment)
    def missing_cost(j: int) -> float:
        m = missing[j]
        assert m is not None
        live = [seg for seg, keep in zip(chains[j], alive[j], strict=True) if keep]
        weight = sum(seg.weight for seg in live)
        mean = sum(seg.weight * seg.effect for seg in live) / weight
        return m.weight * weight / (m.weight + weight) * (m.effect - mean) ** 2

    costs = sorted((missing_cost(j), j) for j in range(len(shapes)) if missing[j] is not None)
    for cost, j in costs:
        if total > max_rules or cost * spread < evidence:
            missing[j] = None
            total -= 1
    out = []
    for j, shape in enumerate(shapes):
        segments = tuple(seg for seg, live in zip(chains[j], alive[j], strict=True) if live)
        if shape.column.kind == "category":
            # members in code order inside each segment, segments in order of effect
            segments = tuple(attrs.evolve(s, members=tuple(sorted(s.members))) for s in segments)
        out.append(Binned(shape.column, segments, missing[j]))
    return out
