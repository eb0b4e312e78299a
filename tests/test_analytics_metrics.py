"""Ranking metrics: against hand-computed examples and against scikit-learn / numpy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from leadqual import ValidationError
from leadqual.analytics import (
    deciles,
    gini,
    ks,
    median,
    percentile,
    precision_recall,
    psi,
    roc_auc,
)
from leadqual.analytics.metrics import average_ranks

# scores with many ties (a points model gives round numbers), labels with both classes
samples = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n).filter(lambda ls: 0 < sum(ls) < len(ls)),
        st.lists(
            st.one_of(st.integers(-50, 50).map(float), st.floats(-100, 100)),
            min_size=n,
            max_size=n,
        ),
    )
)


class TestHandExamples:
    # won: 90, 70; lost: 70, 20, 10. Pairs won > lost: 90 beats 3, 70 beats 2 and ties 1
    LABELS = (True, False, True, False, False)
    SCORES = (90.0, 20.0, 70.0, 70.0, 10.0)

    def test_auc_counts_ties_as_half(self) -> None:
        assert roc_auc(self.LABELS, self.SCORES) == pytest.approx((3 + 2 + 0.5) / 6)
        assert gini(self.LABELS, self.SCORES) == pytest.approx(2 * 5.5 / 6 - 1)

    def test_ks_is_the_widest_gap(self) -> None:
        # at >= 70: won 2/2, lost 1/3 -> gap 2/3
        assert ks(self.LABELS, self.SCORES) == pytest.approx(2 / 3)

    def test_perfect_and_reversed_rankings(self) -> None:
        assert roc_auc([True, False], [2, 1]) == 1.0
        assert roc_auc([True, False], [1, 2]) == 0.0
        assert roc_auc([True, False], [1, 1]) == 0.5

    def test_deciles(self) -> None:
        labels = [True, True, False, True, False, False, False, False, False, False]
        scores = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10]
        table = deciles(labels, scores, bands=5)
        assert [(d.count, d.won) for d in table] == [(2, 2), (2, 1), (2, 0), (2, 0), (2, 0)]
        assert table[0].win_rate == 1.0
        assert table[0].lift == pytest.approx(1 / 0.3)
        assert [d.captured for d in table] == pytest.approx([2 / 3, 1, 1, 1, 1])
        assert (table[1].min_score, table[1].max_score) == (70, 80)

    def test_deciles_with_a_remainder(self) -> None:
        table = deciles([True] * 3 + [False] * 4, list(range(7)), bands=3)
        assert [d.count for d in table] == [3, 2, 2]
        assert sum(d.won for d in table) == 3

    def test_precision_recall(self) -> None:
        pr = precision_recall([True, False, True, False], [True, True, False, False])
        assert (pr.selected, pr.true_positives, pr.positives) == (2, 1, 2)
        assert (pr.precision, pr.recall, pr.f1) == (0.5, 0.5, 0.5)
        empty = precision_recall([True, False], [False, False])
        assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)

    def test_psi(self) -> None:
        assert psi([1, 2, 3, 4] * 10, [1, 2, 3, 4] * 10) == 0
        shifted = psi(list(range(100)), [x + 50 for x in range(100)])
        assert shifted > 0.25  # "changed"
        # by hand: 2 bins split at the median 1.5: expected 50/50, actual 90/10
        expected = [1.0] * 50 + [2.0] * 50
        actual = [1.0] * 90 + [2.0] * 10
        by_hand = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
        assert psi(expected, actual, bins=2) == pytest.approx(by_hand)

    def test_average_ranks_and_percentiles(self) -> None:
        assert average_ranks([3, 1, 3, 2]) == [3.5, 1.0, 3.5, 2.0]
        assert median([5, 1, 3]) == 3
        assert median([4, 1, 3, 2]) == 2.5

    def test_bad_input_names_the_problem(self) -> None:
        with pytest.raises(ValidationError, match="won and lost"):
            roc_auc([True, True], [1, 2])
        with pytest.raises(ValidationError, match="as many scores"):
            ks([True, False], [1])
        with pytest.raises(ValidationError, match=r"scores\[1\]"):
            roc_auc([True, False], [1, float("nan")])
        with pytest.raises(ValidationError):
            deciles([True], [1], bands=0)
        with pytest.raises(ValidationError):
            percentile([], 50)


@given(samples)
def test_auc_equals_scikit_learn(sample: tuple[list[bool], list[float]]) -> None:
    labels, scores = sample
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-9)


@given(samples)
def test_ks_equals_a_brute_force_search(sample: tuple[list[bool], list[float]]) -> None:
    labels, scores = sample
    won, lost = sum(labels), len(labels) - sum(labels)
    gaps = [
        abs(
            sum(1 for s, lab in zip(scores, labels, strict=False) if lab and s >= t) / won
            - sum(1 for s, lab in zip(scores, labels, strict=False) if not lab and s >= t) / lost
        )
        for t in scores
    ]
    assert ks(labels, scores) == pytest.approx(max(gaps), abs=1e-12)


@given(samples, st.floats(-60, 60))
def test_precision_recall_equal_scikit_learn(
    sample: tuple[list[bool], list[float]], cut: float
) -> None:
    labels, scores = sample
    chosen = [s >= cut for s in scores]
    mine = precision_recall(labels, chosen)
    p, r, f, _ = precision_recall_fscore_support(labels, chosen, average="binary", zero_division=0)
    assert (mine.precision, mine.recall, mine.f1) == pytest.approx((p, r, f), abs=1e-12)


@given(st.lists(st.floats(-1000, 1000), min_size=1, max_size=30), st.floats(0, 100))
def test_percentile_equals_numpy(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-9)


@given(samples)
def test_deciles_account_for_every_lead(sample: tuple[list[bool], list[float]]) -> None:
    labels, scores = sample
    table = deciles(labels, scores)
    assert sum(d.count for d in table) == len(labels)
    assert sum(d.won for d in table) == sum(labels)
    assert table[-1].captured == pytest.approx(1.0)
    # bands run from high scores to low
    assert all(a.min_score >= b.max_score for a, b in itertools.pairwise(table))


@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 6)), min_size=1, max_size=60),
    st.integers(1, 12),
)
def test_bands_never_split_a_tie(rows: list[tuple[bool, int]], bands: int) -> None:
    labels = [label for label, _ in rows]
    scores = [float(score) for _, score in rows]
    table = deciles(labels, scores, bands=bands)
    assert sum(d.count for d in table) == len(rows)
    assert len(table) <= bands
    assert all(a.min_score > b.max_score for a, b in itertools.pairwise(table))
    assert sum(d.won for d in table) == sum(labels)
    # the same leads in another order give the same table
    assert deciles(labels[::-1], scores[::-1], bands=bands) == table
    if len(set(scores)) == len(scores):  # no tie: equal sizes, the first ones one larger
        n = len(rows)
        assert [d.count for d in table] == [
            n // bands + (1 if b < n % bands else 0) for b in range(min(bands, n))
        ]
