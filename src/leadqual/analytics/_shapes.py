"""The inputs of a boosted calibration as columns, and each input's shape.

A *shape* is what one input adds to a lead's log-odds of winning, value by value, read
off a gradient-boosting model whose trees each use one input (scikit-learn's
``HistGradientBoostingClassifier`` with ``interaction_cst``): such a model is a sum of
one function per input, so an input's function is the change of the model's output when
only that input changes. Everything here is fitted on the rows it is given (a training
fold inside cross-validation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from leadqual._fields import is_number
from leadqual.analytics._history import ClosedLead, count_of

__all__ = ["Column", "Shape", "columns", "fit_additive", "shapes"]

Array = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class Column:
    """One input over the rows: ``kind`` is ``number`` (an attribute), ``category`` (an
    attribute of text or booleans; ``values`` holds codes into ``categories``) or ``count``
    (an event type: events before the decision). A missing value is NaN."""

    name: str
    kind: str
    values: Array = attrs.field(repr=False)
    categories: tuple[Any, ...] = ()

    def codes_of(self, raw: Sequence[Any]) -> Array:
        """Values of other rows in this column's coding: a category's code, -1 for a
        value this column never held (another text, a number in a text column, 1 in a
        column of booleans: scored as the reference), NaN when missing. A number column
        reads a value that is no number as NaN too: :meth:`odd` tells them apart."""
        if self.kind != "category":
            return np.array([float(v) if is_number(v) else np.nan for v in raw], dtype=np.float64)
        index = {_key(value): i for i, value in enumerate(self.categories)}
        return np.array(
            [np.nan if v is None else float(index.get(_key(v), -1)) for v in raw],
            dtype=np.float64,
        )

    def odd(self, raw: Sequence[Any]) -> np.ndarray:
        """Which values are present but of no kind this column scores (text in a column of
        numbers): no range rule holds for them, and they are not missing either."""
        if self.kind == "category":
            return np.zeros(len(raw), dtype=bool)
        return np.array([v is not None and not is_number(v) for v in raw], dtype=bool)


def _key(value: Any) -> tuple[bool, Any]:
    # True and 1 are equal in Python, not in a rule: keep the kinds apart
    return (isinstance(value, bool), value)


_MIN_PRESENT = 20  # leads that hold an attribute, for a shape of it

#: scikit-learn's boosting takes at most 255 categories less one per input: values past the
#: most common 254 score as the reference (no rule names them)
MAX_CATEGORIES = 254


def raw_values(rows: Sequence[ClosedLead], name: str, kind: str) -> list[Any]:
    """An input's values, row by row (an event type's count)."""
    if kind == "count":
        return [count_of(before, name) for _, before, _, _ in rows]
    return [lead.attributes.get(name) for lead, *_ in rows]


def columns(
    rows: Sequence[ClosedLead], attributes: Sequence[str], event_types: Sequence[str]
) -> list[Column]:
    """The columns of ``rows``: attributes of text/booleans, then of numbers (others, such
    as lists or mixed kinds, are no scorecard input and left out), then event counts.
    (Categories come first because scikit-learn's boosting moves categorical columns to
    the front before it reads ``interaction_cst``: in this order its indices are ours.)"""
    out: list[Column] = []
    for name in attributes:
        raw = raw_values(rows, name, "attribute")
        present = [v for v in raw if v is not None]
        if not present:
            continue
        if len(present) < _MIN_PRESENT or len({_key(v) for v in present}) < 2:
            continue  # too few leads hold it (or one value) to draw a shape from
        if all(is_number(v) for v in present):
            out.append(
                Column(name, "number", np.array([np.nan if v is None else float(v) for v in raw]))
            )
        elif all(isinstance(v, (str, bool)) for v in present):
            sizes: dict[tuple[bool, Any], int] = {}
            for v in present:
                sizes[_key(v)] = sizes.get(_key(v), 0) + 1
            common = sorted(sizes, key=lambda k: (-sizes[k], type(k[1]).__name__, str(k[1])))
            kept = sorted(common[:MAX_CATEGORIES], key=lambda k: (type(k[1]).__name__, str(k[1])))
            column = Column(name, "category", np.empty(0), tuple(k[1] for k in kept))
            out.append(attrs.evolve(column, values=column.codes_of(raw)))
    out.sort(key=lambda c: c.kind != "category")  # stable: the given order otherwise
    for kind in event_types:
        counts = raw_values(rows, kind, "count")
        if any(counts):
            out.append(Column(kind, "count", np.array(counts, dtype=np.float64)))
    return out


def matrix(cols: Sequence[Column]) -> Array:
    """The columns side by side, a row per lead."""
    return np.column_stack([c.values for c in cols]).astype(np.float64)


def fit_additive(
    cols: Sequence[Column],
    labels: Sequence[bool],
    *,
    pairs: Sequence[tuple[int, int]] = (),
    seed: int = 0,
    max_iter: int = 1000,
    monotonic: Mapping[str, int] | None = None,
) -> Any:
    """A boosted model whose trees each use one input (or one of ``pairs``), stopped early
    on 15 % of the rows held out."""
    from sklearn.ensemble import (  # type: ignore[import-untyped,unused-ignore]
        HistGradientBoostingClassifier,
    )

    groups = [[j] for j in range(len(cols))] + [list(p) for p in pairs]
    won = sum(labels)
    # early stopping holds out 15 % of the rows, stratified: it needs both outcomes there
    stopping = min(won, len(labels) - won) >= 20
    model = HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=max_iter if stopping else 100,
        max_depth=3,
        interaction_cst=groups,
        monotonic_cst=[(monotonic or {}).get(c.name, 0) for c in cols],
        categorical_features=[c.kind == "category" for c in cols],
        early_stopping=stopping,
        validation_fraction=0.15,
        n_iter_no_change=30,
        random_state=seed,
    )
    return model.fit(matrix(cols), np.array(labels, dtype=bool))


@attrs.frozen(eq=False)
class Shape:
    """What one input adds to the log-odds at each of its ``grid`` values (sorted; codes
    for a category) and when missing (``missing``, None when no row lacked it), with how
    many rows hold each (``weights``, ``missing_weight``)."""

    column: Column
    grid: Array = attrs.field(repr=False)
    effect: Array = attrs.field(repr=False)
    weights: Array = attrs.field(repr=False)
    missing: float | None
    missing_weight: float


def shapes(model: Any, cols: Sequence[Column]) -> list[Shape]:
    """Each input's shape in an additive ``model`` (public API only: the model's output
    as one input moves over its values, every other input held at the first row's)."""
    reference = matrix(cols)[:1]
    out = []
    for j, col in enumerate(cols):
        present = col.values[~np.isnan(col.values)]
        if col.kind == "category":
            present = present[present >= 0]  # -1: past the most common categories
        grid, weights = np.unique(present, return_counts=True)
        missing_weight = float(np.isnan(col.values).sum())
        probes = np.repeat(reference, len(grid) + 1, axis=0)
        probes[: len(grid), j] = grid
        probes[len(grid), j] = np.nan
        output = model.decision_function(probes)
        base = float(np.average(output[: len(grid)], weights=weights))
        effect = output[: len(grid)] - base
        missing = float(output[len(grid)] - base) if missing_weight else None
        out.append(
            Shape(
                col,
                grid.astype(np.float64),
                effect,
                weights.astype(np.float64),
                missing,
                missing_weight,
            )
        )
    return out
