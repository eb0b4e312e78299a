"""Ranking metrics in pure Python: how well scores separate won from lost leads.

Every function takes ``labels`` (``True`` for won) and ``scores`` of equal length. No
numpy or scikit-learn is needed; the results equal scikit-learn's where it has the
metric (``roc_auc_score``; ``precision_recall_fscore_support`` for one class).

>>> labels = [True, False, True, False, False]
>>> scores = [90, 20, 70, 70, 10]
>>> roc_auc(labels, scores)
0.916666...
>>> round(gini(labels, scores), 4), ks(labels, scores)
(0.8333, 0.666666...)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from leadqual._fields import require_count
from leadqual.errors import ValidationError

__all__ = [
    "Decile",
    "PrecisionRecall",
    "average_ranks",
    "deciles",
    "gini",
    "ks",
    "median",
    "percentile",
    "precision_recall",
    "psi",
    "roc_auc",
]


def _check(labels: Sequence[bool], scores: Sequence[float]) -> None:
    if len(labels) != len(scores):
        raise ValidationError(
            "scores", len(scores), f"expected as many scores as labels ({len(labels)})"
        )
    values: Sequence[Any] = scores  # callers without type checks too
    for i, score in enumerate(values):
        if isinstance(score, bool) or not isinstance(score, (int, float)) or math.isnan(score):
            raise ValidationError(f"scores[{i}]", score, "expected a number")


def _both_classes(labels: Sequence[bool]) -> tuple[int, int]:
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValidationError(
            "labels",
            f"{positives} won, {negatives} lost",
            "needs won and lost leads both: the metric is undefined for one class",
        )
    return positives, negatives


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing the average of the ranks they span.

    >>> average_ranks([10, 30, 20, 30])
    [1.0, 3.5, 2.0, 3.5]
    """
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    return ranks


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """The area under the ROC curve: the chance that a random won lead scores above a
    random lost one (ties count half). 0.5 is a coin, 1.0 a perfect ranking."""
    _check(labels, scores)
    positives, negatives = _both_classes(labels)
    ranks = average_ranks(scores)
    won_ranks = math.fsum(rank for rank, label in zip(ranks, labels, strict=True) if label)
    return (won_ranks - positives * (positives + 1) / 2) / (positives * negatives)


def gini(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """The Gini coefficient of the ranking: ``2 * AUC - 1``."""
    return 2 * roc_auc(labels, scores) - 1


def ks(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """The Kolmogorov-Smirnov statistic: the widest gap, over every score threshold,
    between the share of won and the share of lost leads scoring at or above it."""
    _check(labels, scores)
    positives, negatives = _both_classes(labels)
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    best = won = lost = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            won += pairs[j][1]
            lost += not pairs[j][1]
            j += 1
        best = max(best, abs(won / positives - lost / negatives))
        i = j
    return best


@attrs.frozen
class PrecisionRecall:
    """Precision, recall and F1 of a selection of leads, with its counts."""

    selected: int
    true_positives: int
    positives: int
    precision: float
    recall: float
    f1: float


def precision_recall(labels: Sequence[bool], selected: Sequence[bool]) -> PrecisionRecall:
    """How good a selection is: ``precision`` (the share of selected leads that won),
    ``recall`` (the share of won leads selected) and their harmonic mean ``f1``; each is 0
    when undefined (nothing selected, nothing won), as scikit-learn reports it."""
    if len(labels) != len(selected):
        raise ValidationError("selected", len(selected), f"expected {len(labels)} values")
    chosen = sum(1 for s in selected if s)
    hits = sum(1 for label, s in zip(labels, selected, strict=True) if label and s)
    positives = sum(1 for label in labels if label)
    precision = hits / chosen if chosen else 0.0
    recall = hits / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PrecisionRecall(chosen, hits, positives, precision, recall, f1)


@attrs.frozen
class Decile:
    """One band of leads ranked by score, the highest band first.

    ``lift`` is the band's win rate over the base rate; ``captured`` the share of every
    won lead found in this band and the bands above it.
    """

    band: int
    count: int
    won: int
    win_rate: float
    lift: float
    captured: float
    min_score: float
    max_score: float


def deciles(labels: Sequence[bool], scores: Sequence[float], bands: int = 10) -> tuple[Decile, ...]:
    """Rank the leads by score, highest first, and cut them into ``bands`` bands of about
    equal size (the first bands one larger when the count does not divide).

    Leads with equal scores always share a band: a band ends after the tie that reaches
    its share, so the next band is smaller (and a tie larger than a band leaves fewer
    bands). The win rate of a band then never depends on the order of tied leads.

    >>> [(d.count, d.min_score, d.max_score) for d in deciles(
    ...     [True, False, True, False, False, False], [30, 20, 20, 20, 10, 0], bands=3)]
    [(4, 20, 30), (2, 0, 10)]
    """
    _check(labels, scores)
    require_count("bands", bands)
    n = len(labels)
    if n == 0:
        return ()
    positives = sum(1 for label in labels if label)
    base = positives / n
    order = sorted(range(n), key=lambda i: -scores[i])
    # where each band would end without ties (the first n % bands bands one larger)
    ends = [(b + 1) * (n // bands) + min(b + 1, n % bands) for b in range(bands)]
    groups: list[list[int]] = [[]]
    target = 0
    for k, i in enumerate(order):
        groups[-1].append(i)
        last_of_tie = k + 1 == n or scores[order[k + 1]] != scores[i]
        if last_of_tie and k + 1 >= ends[target] and k + 1 < n:
            while target < bands - 1 and ends[target] <= k + 1:
                target += 1
            groups.append([])
    out: list[Decile] = []
    captured = 0
    for band, members in enumerate(groups, start=1):
        size = len(members)
        won = sum(1 for i in members if labels[i])
        captured += won
        rate = won / size
        out.append(
            Decile(
                band=band,
                count=size,
                won=won,
                win_rate=rate,
                lift=rate / base if base else 0.0,
                captured=captured / positives if positives else 0.0,
                min_score=min(scores[i] for i in members),
                max_score=max(scores[i] for i in members),
            )
        )
    return tuple(out)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) with linear interpolation, as numpy's default.

    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 90)
    (2.5, 3.7)
    """
    if not values:
        raise ValidationError("values", [], "expected at least one value")
    if not 0 <= q <= 100:
        raise ValidationError("q", q, "expected a percentile from 0 to 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float:
    """The median (the 50th percentile)."""
    return percentile(values, 50)


def psi(expected: Sequence[float], actual: Sequence[float], bins: int = 10) -> float:
    """The population stability index of ``actual`` scores against ``expected`` ones.

    Bins are the deciles (``bins`` quantiles) of ``expected``; an empty bin counts as
    0.0001 of its population, so the index stays finite. Common reading: below 0.1 the
    distribution is stable, 0.1 to 0.25 it moved, above 0.25 it changed.
    """
    if not expected or not actual:
        raise ValidationError("expected", len(expected), "expected scores in both periods")
    cuts = sorted({percentile(expected, 100 * k / bins) for k in range(1, bins)})

    def shares(values: Sequence[float]) -> list[float]:
        counts = [0] * (len(cuts) + 1)
        for value in values:
            index = 0
            while index < len(cuts) and value > cuts[index]:
                index += 1
            counts[index] += 1
        return [max(c / len(values), 1e-4) for c in counts]

    e, a = shares(expected), shares(actual)
    return math.fsum((x - y) * math.log(x / y) for x, y in zip(a, e, strict=True))
