"""Points derived from won / lost history: a readable scorecard fitted to your outcomes.

``calibrate`` turns each lead attribute into bins (numeric values into ``between`` ranges,
categories into ``is_in`` groups with rare values pooled, a missing value as a bin of its
own) and each event type into a count (capped where more events stop helping), fits a
logistic regression of winning on them (scikit-learn, the ``analytics`` extra), and turns the
coefficients into integer points with the scorecard convention, oriented to the odds of
winning::

    factor = pdo / ln 2          (every ``pdo`` points double the odds of winning)
    offset = base_score - factor * ln(base_odds)
    points of a bin or an event = round(factor * coefficient)
    base points (every lead)     = round(offset + factor * intercept)

so that a lead's total is about ``offset + factor * ln(odds of winning)``. The result is an
ordinary :class:`~leadqual.PointsModel`, ready for a rule set, ``dump()`` and
``check_ruleset``. Each lead is described at its decision time (its outcome's close, or
``as_of``) from its events strictly before then, as in a back-test; leads whose attributes
carry everything (no events) and outcomes without a close time work too, with ``as_of``.
"""

from __future__ import annotations

import bisect
import inspect
import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple

import attrs

from leadqual._fields import is_number, require_count
from leadqual.analytics._history import ClosedLead, count_of, decisions
from leadqual.analytics.metrics import roc_auc
from leadqual.conditions import AllOf, AnyOf, Attr, Condition, Not
from leadqual.errors import LeakError, MissingExtra, ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.outcomes import Outcome
from leadqual.rulesets import RuleSet, default_ruleset
from leadqual.scoring.points import PointsModel
from leadqual.scoring.rules import EngagementRule, FitRule
from leadqual.stages import MQL, StageMachine
from leadqual.stages.guards import Guard, ScoreAtLeast
from leadqual.typing import ScoringModel

__all__ = [
    "CalibratedRule",
    "Calibration",
    "CrossValidation",
    "MissingExtra",
    "calibrate",
    "cross_validate",
    "history_scores",
    "separation",
    "stratified_folds",
]

_UNDATED = datetime(2000, 1, 1, tzinfo=timezone.utc)  # when neither close nor as_of is known


def _sklearn() -> Any:
    try:
        from sklearn.linear_model import (  # type: ignore[import-untyped,unused-ignore]
            LogisticRegression,
        )
    except ImportError:
        raise MissingExtra(
            "calibrate needs scikit-learn: pip install 'leadqual[analytics]'"
        ) from None
    return LogisticRegression


@attrs.frozen
class _Feature:
    """One column of the design: a bin of an attribute, or an event type's capped count."""

    name: str
    kind: str  # "fit" or "engagement"
    label: str  # fit: the bin as people read it (``= fintech``, ``10 to 20``)
    condition: Condition | None  # fit: the bin
    event_type: str | None  # engagement: the type
    cap: int | None  # engagement: counts above it add nothing
    attribute: str | None


@attrs.frozen
class CalibratedRule:
    """One rule of the calibrated model, and the evidence behind it: the fitted
    ``coefficient`` (log-odds per unit), the ``points`` it became, how many leads had it
    (``count``; for an event type, leads with at least one) and their ``win_rate``."""

    name: str
    kind: str
    description: str
    coefficient: float
    points: int
    count: int
    win_rate: float | None


@attrs.frozen
class Calibration:
    """What :func:`calibrate` fitted: ``model`` (a :class:`~leadqual.PointsModel`), the
    ``rules`` with their evidence, the scale (``factor``, ``offset``, ``base_points``), the
    worst-case rounding error of a total, the training AUC of the points (``auc``, on the
    leads they were fitted to: it flatters) and ``cross_validation``, the AUC on leads each
    fit did not see (``cv_auc``: the figure to trust)."""

    model: PointsModel
    rules: tuple[CalibratedRule, ...]
    intercept: float
    factor: float
    offset: float
    base_points: int
    rounding_error: float
    n: int
    won: int
    auc: float | None
    scores: tuple[float, ...] = attrs.field(repr=False)
    labels: tuple[bool, ...] = attrs.field(repr=False)
    cross_validation: CrossValidation | None = None
    method: str = "logistic"
    budget: tuple[BudgetPoint, ...] = ()

    @property
    def cv_auc(self) -> float | None:
        """The mean AUC on held-out leads (None when calibrated with ``folds=None``)."""
        return None if self.cross_validation is None else self.cross_validation.points_auc

    def threshold_for_share(self, share: float) -> float:
        """The score that about ``share`` of the history reaches (the best
        ``ceil(share * n)`` leads, ties included): never one that selects nobody."""
        if not is_number(share) or not 0 < share <= 1:
            raise ValidationError("share", share, "expected a share above 0, up to 1")
        return self.threshold_for_capacity(max(1, math.ceil(share * len(self.scores))))

    def threshold_for_precision(self, precision: float) -> float | None:
        """The lowest score at or above which, on the history, at least ``precision`` of the
        leads won (None when no threshold reaches it)."""
        if not 0 < precision <= 1:
            raise ValidationError("precision", precision, "expected a share above 0, up to 1")
        best = None
        for cut in sorted(set(self.scores), reverse=True):
            chosen = [won for s, won in zip(self.scores, self.labels, strict=True) if s >= cut]
            if sum(chosen) / len(chosen) >= precision:
                best = cut
        return best

    def threshold_for_capacity(self, leads: int) -> float:
        """The score of the ``leads``-th best lead of the history: what a team that can work
        that many leads would set as its threshold."""
        require_count("leads", leads)
        ordered = sorted(self.scores, reverse=True)
        return ordered[min(leads, len(ordered)) - 1]

    def ruleset(
        self,
        name: str,
        version: str,
        *,
        mql_score: float,
        base: RuleSet | None = None,
        base_scores: Sequence[float] | None = None,
    ) -> RuleSet:
        """A rule set with these points and MQL at ``mql_score``: the default funnel and
        framework (BANT), or, with ``base``, the base's stages and framework kept and
        only the points replaced. A base's score thresholds were set on its own points:
        those into MQL become ``mql_score``, and every other one (a recycle below 40,
        say) moves to the score that selects the same share of this history as it did
        under the base points, which ``base_scores`` gives (the base model's totals of
        the calibration's leads, in their order)."""
        described = (
            f"calibrated on {self.n} leads ({self.won} won); every "
            f"{self.factor * math.log(2):g} points double the odds of winning; "
            f"MQL at {mql_score:g}"
        )
        if base is None:
            return RuleSet(
                name,
                version,
                model=self.model,
                stages=StageMachine.default(mql_score=mql_score),
                framework=default_ruleset().framework,
                description=described,
            )
        old = sorted(base_scores or ())
        if len(old) != len(self.scores):
            raise ValidationError(
                "base_scores", len(old), f"expected the base's {len(self.scores)} totals"
            )
        new = sorted(self.scores, reverse=True)

        def moved(points: float) -> float:
            reached = len(old) - bisect.bisect_left(old, points)  # leads at or above
            return new[0] + 1 if reached == 0 else new[reached - 1]

        transitions = [
            attrs.evolve(
                t,
                guard=_rethreshold(t.guard, (lambda _: mql_score) if t.target == MQL else moved),
            )
            if t.guard is not None
            else t
            for t in base.stages.transitions
        ]
        return attrs.evolve(
            base,
            name=name,
            version=version,
            model=self.model,
            stages=attrs.evolve(base.stages, transitions=transitions),
            description=described,
        )

    def probability(self, score: float) -> float:
        """The chance of winning a score stands for on this scale."""
        return 1 / (1 + math.exp(-(score - self.offset) / self.factor))

    def __str__(self) -> str:
        auc = "n/a" if self.auc is None else f"{self.auc:.3f}"
        held_out = "" if self.cross_validation is None else f"; {self.cross_validation}"
        lines = [
            f"calibrated on {self.n} leads, {self.won} won; training AUC {auc}{held_out}",
            f"  every {self.factor * math.log(2):g} points double the odds of winning; "
            f"base {self.base_points} points for every lead; totals within "
            f"{self.rounding_error:.1f} points of the unrounded scale",
            "  points  coefficient  leads  win rate  rule",
        ]
        for rule in self.rules:
            rate = "n/a" if rule.win_rate is None else f"{rule.win_rate:.1%}"
            lines.append(
                f"  {rule.points:>+6}  {rule.coefficient:>+11.3f}  {rule.count:>5}  "
                f"{rate:>8}  {rule.name}: {rule.description}"
            )
        if self.budget:
            lines.append("  budget  rules  held-out AUC  (the table with fewer rules)")
            seen: set[float] = set()
            for point in sorted(self.budget, key=lambda p: p.max_rules):
                if point.rules in seen:
                    continue  # a larger budget the table did not use
                seen.add(point.rules)
                lines.append(f"  {point.max_rules:>6}  {point.rules:>5.1f}  {point.auc:>12.3f}")
        return "\n".join(lines)


def _rethreshold(guard: Guard, points: Callable[[float], float]) -> Guard:
    """``guard`` with each total-score threshold moved by ``points``."""
    if type(guard) is ScoreAtLeast:
        return ScoreAtLeast(points(guard.points))
    if isinstance(guard, (AllOf, AnyOf)):
        return type(guard)(tuple(_rethreshold(g, points) for g in guard.conditions))
    if isinstance(guard, Not):
        return Not(_rethreshold(guard.condition, points))
    return guard


# --- describing leads -------------------------------------------------------------------


def _decisions(
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    as_of: datetime | None,
) -> list[ClosedLead]:
    """Each lead with an outcome, its events before its decision time, won, and that time
    (profiles alone, with neither events nor close times, are decided at one moment)."""
    return decisions(leads, events, outcomes, as_of=as_of, undated_at=_UNDATED)[0]


def history_scores(
    model: ScoringModel,
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    as_of: datetime | None = None,
) -> list[float]:
    """``model``'s total of each lead :func:`calibrate` would fit, in its order (each lead
    at its decision time, from its events before it): ``base_scores`` for
    :meth:`Calibration.ruleset`."""
    rows = _decisions(leads, events, outcomes, as_of)
    return [model.score(lead, before, as_of=at).total for lead, before, _, at in rows]


def _attribute_features(
    rows: Sequence[ClosedLead],
    names: Iterable[str],
    max_bins: int,
    min_share: float,
) -> list[_Feature]:
    features: list[_Feature] = []
    for name in names:
        values = [lead.attributes.get(name) for lead, *_ in rows]
        present = [v for v in values if v is not None]
        if not present:
            continue
        field = Attr(name)
        bins: list[tuple[str, Condition]] = []
        if all(is_number(v) for v in present):
            ordered = sorted(present)
            # as many quantile bins as hold min_share of the leads each, up to max_bins
            n_bins = max(1, min(max_bins, int(len(present) // max(2, min_share * len(rows)))))
            distinct = sorted(set(ordered))
            cuts: list[float] = []
            for k in range(1, n_bins):
                cut = ordered[min(len(ordered) - 1, (k * len(ordered)) // n_bins)]
                if cut == ordered[0] and len(distinct) > 1:
                    cut = distinct[1]  # most leads share the lowest value: cut just above it
                if cut > ordered[0] and cut not in cuts:
                    cuts.append(cut)
            edges: list[float | None] = [None, *cuts, None]
            for low, high in itertools.pairwise(edges):
                if low is None:
                    if high is None:
                        continue
                    bins.append((f"< {high:g}", field < high))
                elif high is None:
                    bins.append((f">= {low:g}", field >= low))
                else:
                    bins.append((f"{low:g} to {high:g}", (field >= low) & (field < high)))
        elif all(isinstance(v, (str, bool)) for v in present):
            counts: dict[Any, int] = {}
            for v in present:
                counts[v] = counts.get(v, 0) + 1
            common = sorted(
                (v for v, c in counts.items() if c >= max(2, min_share * len(rows))),
                key=lambda v: (-counts[v], str(v)),
            )[:_MAX_CATEGORIES]
            for v in common:
                bins.append((f"= {v}", field.is_in([v])))
            rare = sorted((v for v in counts if v not in common), key=str)
            if rare:
                shown = ", ".join(str(v) for v in rare[:3]) + (", ..." if len(rare) > 3 else "")
                bins.append((f"other ({shown})", field.is_in(rare)))
        else:
            continue  # lists, mappings or mixed kinds: not a scorecard attribute
        if len(present) < len(values):
            bins.append(("missing", ~field.exists()))
        for label, condition in bins:
            features.append(_Feature(f"{name} {label}", "fit", label, condition, None, None, name))
    return features


def _event_features(rows: Sequence[ClosedLead], types: Iterable[str]) -> list[_Feature]:
    features = []
    for kind in types:
        counts = [count_of(before, kind) for _, before, _, _ in rows]
        if not any(counts):
            continue
        # the cap: the count beyond which more events no longer raise the win rate (read off
        # the history), at most the 95th percentile of the counts
        ordered = sorted(c for c in counts if c)
        ceiling = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        cap = 1
        best_rate = -1.0
        for level in range(1, ceiling + 1):
            group = [won for c, (_, _, won, _) in zip(counts, rows, strict=False) if c >= level]
            if len(group) < 3:
                break
            rate = sum(group) / len(group)
            if rate > best_rate + 1e-12:
                best_rate, cap = rate, level
        features.append(_Feature(kind, "engagement", "", None, kind, cap, None))
    return features


def _design(rows: Sequence[ClosedLead], features: Sequence[_Feature]) -> list[list[float]]:
    tests = [f.condition._tester() if f.condition is not None else None for f in features]
    matrix = []
    for lead, before, _, _ in rows:
        row = []
        for feature, test in zip(features, tests, strict=True):
            if test is not None:
                row.append(1.0 if test(lead, None) else 0.0)
            else:
                assert feature.event_type is not None
                n = count_of(before, feature.event_type)
                row.append(float(min(n, feature.cap or n)))
        matrix.append(row)
    return matrix


_MAX_CATEGORIES = 20


def _describes(rows: Sequence[ClosedLead], key: str) -> bool:
    """Whether an attribute describes leads rather than identifies them: numbers do; text
    does when its common values (each at least 5 % of the leads) cover half of them, unlike
    names, companies or free text."""
    values = [lead.attributes.get(key) for lead, *_ in rows]
    present = [v for v in values if v is not None]
    if not present:
        return False
    if all(is_number(v) for v in present):
        return True
    if not all(isinstance(v, (str, bool)) for v in present):
        return False
    counts: dict[Any, int] = {}
    for v in present:
        counts[v] = counts.get(v, 0) + 1
    common = sum(c for c in counts.values() if c >= max(2, 0.05 * len(rows)))
    return common >= 0.5 * len(present)


def _names(
    rows: Sequence[ClosedLead],
    attributes: Iterable[str] | None,
    event_types: Iterable[str] | None,
    exclude: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    left_out = set(exclude)
    if attributes is None:
        keys = {key for lead, *_ in rows for key in lead.attributes} - left_out
        attributes = sorted(key for key in keys if _describes(rows, key))
    if event_types is None:
        event_types = sorted({e.type for _, before, _, _ in rows for e in before})
    return (
        [a for a in attributes if a not in left_out],
        [t for t in event_types if t not in left_out],
    )


#: An input whose values alone rank won above lost this well is taken for the outcome
#: itself, or for something known only once it was (a leak), and refused.
LEAK_AUC = 0.98
_FEW_VALUES = 20  # up to this many distinct values, each value is a group of its own


def separation(values: Sequence[Any], labels: Sequence[bool]) -> float:
    """How well one input alone tells won from lost: the AUC of the best ordering of its
    values. Up to 20 distinct values (a missing value is one of them) are ordered by their
    win rate, so a text that names the outcome scores 1.0 (values held by fewer than 5
    leads pooled, so small histories are not refused by chance); numbers with more values
    are taken in their order or its reverse, a missing value lowest.

    >>> separation(["won", "lost"] * 5, [True, False] * 5)
    1.0
    >>> won = [True] * 5 + [False] * 5 + [True] * 9 + [False]
    >>> round(separation(["a"] * 10 + ["b"] * 10, won), 3)
    0.738
    """
    keys: list[Any] = [(v, "") if is_number(v) else ("", str(v)) for v in values]
    numbers = all(is_number(v) for v in values if v is not None)
    if len(set(keys)) <= _FEW_VALUES or not numbers:
        sizes: dict[Any, int] = {}
        for key in keys:
            sizes[key] = sizes.get(key, 0) + 1
        # a value held by under 5 leads says nothing alone: the rare ones are one group
        keys = [key if sizes[key] >= 5 else None for key in keys]
        won: dict[Any, list[int]] = {}
        for key, label in zip(keys, labels, strict=True):
            won.setdefault(key, [0, 0])[label] += 1
        rates = [won[key][1] / sum(won[key]) for key in keys]
        return roc_auc(labels, rates)
    ordered = [-math.inf if v is None else float(v) for v in values]
    auc = roc_auc(labels, ordered)
    return max(auc, 1 - auc)


def _check_leaks(
    rows: Sequence[ClosedLead], attributes: Sequence[str], event_types: Sequence[str]
) -> None:
    labels = [won for *_, won, _ in rows]
    for name in attributes:
        values = [lead.attributes.get(name) for lead, *_ in rows]
        found = separation(values, labels)
        if found >= LEAK_AUC:
            raise LeakError(f"attributes[{name!r}]", round(found, 4), name)
    for kind in event_types:
        counts = [count_of(before, kind) for _, before, _, _ in rows]
        found = separation(counts, labels)
        if found >= LEAK_AUC:
            raise LeakError(f"event_types[{kind!r}]", round(found, 4), kind)


def slug(text: str) -> str:
    """A rule name from words.

    >>> slug("budget >= 30"), slug("day > 17.5 and <= 20.5"), slug("Lead Quality = Worst")
    ('budget-from-30', 'day-over-17-5-and-up-to-20-5', 'lead-quality-worst')
    >>> slug("balance < -4902"), slug("region != emea")
    ('balance-under-minus-4902', 'region-not-emea')
    """
    for sign, word in (
        ("!=", "not"),
        (">=", "from"),
        ("<=", "up to"),
        ("<", "under"),
        (">", "over"),
        (" -", " minus "),
    ):
        text = text.replace(sign, word)
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "rule"


def calibrate(
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    attributes: Iterable[str] | None = None,
    event_types: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    pdo: float = 20,
    base_score: float = 100,
    base_odds: float = 1.0,
    max_bins: int = 5,
    min_share: float = 0.05,
    regularization: float = 1.0,
    method: str = "boosted",
    max_rules: int = 60,
    interactions: int = 3,
    monotonic: Mapping[str, int] | None = None,
    folds: int | None = 5,
    allow_leaks: bool = False,
    as_of: datetime | None = None,
    seed: int = 0,
) -> Calibration:
    """Fit points to the won / lost history (see the module's text).

    ``attributes`` and ``event_types`` choose what to score (by default every numeric
    attribute, every text attribute whose common values cover half the leads, which leaves
    out names, companies and free text, and every event type seen), less the attributes
    and event types named in ``exclude``; ``pdo``, ``base_score`` and ``base_odds`` set
    the scale (by default 100 points are even odds and every 20 points double them);
    ``max_bins`` bins per numeric attribute (by quantile); categories rarer than
    ``min_share`` of the leads pooled into one "other" bin; ``regularization`` is the
    inverse L2 strength of the logistic regression; the same ``seed`` gives the same
    result.

    ``method="boosted"`` (the default) cuts each input's shape from gradient boosting into
    at most ``max_rules`` rules, up to ``interactions`` pairs of attributes as AND rules;
    ``monotonic`` maps a numeric attribute or an event type to 1 (its points never fall as
    it grows) or -1. ``method="logistic"`` fits quantile bins (``max_bins``, ``min_share``).

    The result's ``cross_validation`` holds the AUC on leads each fit did not see (``folds``
    stratified folds, everything chosen from data chosen again inside each training fold;
    ``folds=None`` skips it): the figure to trust, where ``auc`` is measured on the leads
    the points were fitted to. An input that alone separates won from lost leads with an
    AUC of 0.98 or more (:func:`separation`) is refused with a
    :class:`~leadqual.errors.LeakError` unless ``allow_leaks``.
    """
    rows = _decisions(leads, events, outcomes, as_of)
    # the inputs are read many times (the checks, every fold): iterators become tuples
    attributes = None if attributes is None else tuple(attributes)
    event_types = None if event_types is None else tuple(event_types)
    exclude = tuple(exclude)
    options: dict[str, Any] = {
        "attributes": attributes,
        "event_types": event_types,
        "exclude": exclude,
        "pdo": pdo,
        "base_score": base_score,
        "base_odds": base_odds,
        "max_bins": max_bins,
        "min_share": min_share,
        "regularization": regularization,
    }
    names = _names(rows, attributes, event_types, exclude)
    _check_history(rows, names, allow_leaks=allow_leaks)
    _check_method(method, max_rules)
    require_count("interactions", interactions, 0)
    require_count("max_bins", max_bins, 2)
    signs = _signs(monotonic, method, rows, names)
    _scale(pdo, base_score, base_odds)
    options |= {
        "method": method,
        "max_rules": max_rules,
        "interactions": interactions,
        "monotonic": signs,
    }
    checked: CrossValidation | None = None
    budget: tuple[BudgetPoint, ...] = ()
    if folds is not None:
        checked, budget = _cross_validate_rows(rows, folds, seed, options, ladder=True)
    result = _fit_rows(rows, seed=seed, **options)[0].calibration
    return attrs.evolve(result, cross_validation=checked, budget=budget)


METHODS = ("boosted", "logistic")


def _signs(
    monotonic: Mapping[str, int] | None,
    method: str,
    rows: Sequence[ClosedLead],
    names: tuple[list[str], list[str]],
) -> dict[str, int]:
    """``monotonic`` checked once, on the whole history: each name an input it scores (a
    numeric attribute or an event type), each sign 1 or -1."""
    if monotonic is None:
        return {}
    if method != "boosted":
        raise ValidationError("monotonic", dict(monotonic), "applies to method='boosted' only")
    if not isinstance(monotonic, Mapping):
        raise ValidationError("monotonic", monotonic, "expected a mapping of input to 1 or -1")
    attribute_names, type_names = names
    for name, sign in monotonic.items():
        if isinstance(sign, bool) or sign not in (1, -1):
            raise ValidationError(f"monotonic[{name!r}]", sign, "expected 1 or -1")
        if name in type_names:
            continue
        if name not in attribute_names:
            raise ValidationError(f"monotonic[{name!r}]", sign, "is not an input it scores")
        if not all(is_number(lead.attributes.get(name, 0)) for lead, *_ in rows):
            raise ValidationError(
                f"monotonic[{name!r}]", sign, "expected a numeric attribute or an event type"
            )
    return dict(monotonic)


def _check_method(method: str, max_rules: int) -> None:
    if method not in METHODS:
        raise ValidationError("method", method, f"expected one of {', '.join(METHODS)}")
    require_count("max_rules", max_rules)


def _ladder(max_rules: int) -> list[int]:
    """The smaller budgets whose held-out AUC is reported beside ``max_rules``'."""
    return [b for b in (5, 10, 15, 20, 30, 40, 60, 80) if b < max_rules]


def _check_history(
    rows: Sequence[ClosedLead], names: tuple[list[str], list[str]], *, allow_leaks: bool
) -> None:
    """Refuse a history of one outcome only, and (unless ``allow_leaks``) inputs that
    are the outcome in disguise (of the attributes and event types ``names``)."""
    labels = [won for *_, won, _ in rows]
    if not 0 < sum(labels) < len(labels):
        raise ValidationError(
            "outcomes", f"{sum(labels)} won of {len(labels)}", "needs won and lost leads both"
        )
    if not allow_leaks:
        _check_leaks(rows, *names)


#: The keyword options calibrate() passes on, which cross_validate() accepts too, with their
#: defaults: calibrate()'s keyword parameters but ``as_of``, the checks' and the seed.
_DEFAULTS: dict[str, Any] = {
    name: parameter.default
    for name, parameter in inspect.signature(calibrate).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    and name not in {"folds", "allow_leaks", "as_of", "seed"}
}
_OPTIONS = frozenset(_DEFAULTS)
#: The options of one logistic fit (:func:`_calibrate_rows`), and their defaults.
_ROW_DEFAULTS = {
    name: default
    for name, default in _DEFAULTS.items()
    if name not in {"method", "max_rules", "interactions", "monotonic"}
}


def _calibrate_rows(
    rows: Sequence[ClosedLead], *, seed: int = 0, **options: Any
) -> tuple[Calibration, list[_Feature], Any]:
    """Fit ``rows`` (``options`` those of :data:`_ROW_DEFAULTS`, with :func:`calibrate`'s
    defaults); also return the features and the fitted regression."""
    unknown = set(options) - set(_ROW_DEFAULTS)
    if unknown:
        raise TypeError(f"_calibrate_rows() got unexpected keyword arguments {sorted(unknown)}")
    options = _ROW_DEFAULTS | options
    logistic = _sklearn()
    factor, offset = _scale(options["pdo"], options["base_score"], options["base_odds"])
    max_bins = options["max_bins"]
    require_count("max_bins", max_bins, 2)
    labels = [won for *_, won, _ in rows]
    if not 0 < sum(labels) < len(labels):
        raise ValidationError(
            "outcomes", f"{sum(labels)} won of {len(labels)}", "needs won and lost leads both"
        )
    attribute_names, type_names = _names(
        rows, options["attributes"], options["event_types"], options["exclude"]
    )
    features = _attribute_features(rows, attribute_names, max_bins, options["min_share"])
    features += _event_features(rows, type_names)
    if not features:
        raise ValidationError("attributes", attribute_names, "nothing to score the leads by")
    matrix = _design(rows, features)
    regression = logistic(C=options["regularization"], max_iter=5000, random_state=seed)
    fitted = regression.fit(matrix, labels)
    coefficients = [float(c) for c in fitted.coef_[0]]
    intercept = float(fitted.intercept_[0])
    base_exact = offset + factor * intercept
    base_points = round(base_exact)
    fit_rules: list[FitRule] = []
    engagement: list[EngagementRule] = []
    calibrated: list[CalibratedRule] = []
    error = abs(base_exact - base_points)
    worst: dict[str, float] = {}
    used: set[str] = {"base"}  # the rule every lead gets
    for feature, beta, column in zip(
        features, coefficients, zip(*matrix, strict=False), strict=True
    ):
        exact = factor * beta
        points = round(exact)
        had = [won for x, won in zip(column, labels, strict=True) if x > 0]
        name = slug(feature.name)
        while name in used:
            name += "-x"
        used.add(name)
        if feature.kind == "fit":
            assert feature.condition is not None
            assert feature.attribute is not None
            worst[feature.attribute] = max(worst.get(feature.attribute, 0.0), abs(exact - points))
            description = f"{feature.attribute} {feature.label}"
            if points:
                fit_rules.append(FitRule(name, feature.condition, points, group=feature.attribute))
        else:
            assert feature.event_type is not None
            error += abs(exact - points) * (feature.cap or 1)
            description = f"each {feature.event_type}, at most {feature.cap}"
            if points:
                engagement.append(
                    EngagementRule(name, feature.event_type, points, max_times=feature.cap)
                )
        calibrated.append(
            CalibratedRule(
                name,
                feature.kind,
                description,
                beta,
                points,
                len(had),
                sum(had) / len(had) if had else None,
            )
        )
    error += sum(worst.values())
    calibration = _assemble(
        rows,
        fit_rules,
        engagement,
        calibrated,
        intercept=intercept,
        factor=factor,
        offset=offset,
        error=error - abs(base_exact - base_points),
    )
    return calibration, features, fitted


def _assemble(
    rows: Sequence[ClosedLead],
    fit_rules: Sequence[FitRule],
    engagement: Sequence[EngagementRule],
    calibrated: Sequence[CalibratedRule],
    *,
    intercept: float,
    factor: float,
    offset: float,
    error: float,
    method: str = "logistic",
    score: bool = True,
) -> Calibration:
    """The points model of ``fit_rules`` and ``engagement`` with a base rule for every lead
    (``round(offset + factor * intercept)``), scored on ``rows``: the calibration. ``error``
    bounds how far the rules' points of a lead are from unrounded; the base's is added."""
    base_exact = offset + factor * intercept
    base_points = round(base_exact)
    base_rule = FitRule("base", Attr("id").exists(), base_points) if base_points else None
    model = PointsModel(
        fit=[*([base_rule] if base_rule else []), *fit_rules], engagement=engagement
    )
    labels = [won for *_, won, _ in rows]
    scores = (
        [model.score(lead, before, as_of=moment).total for lead, before, _, moment in rows]
        if score
        else []
    )
    return Calibration(
        model=model,
        rules=tuple(calibrated),
        intercept=intercept,
        factor=factor,
        offset=offset,
        base_points=base_points,
        rounding_error=error + abs(base_exact - base_points),
        n=len(rows),
        won=sum(labels),
        auc=roc_auc(labels, scores) if score else None,
        scores=tuple(scores),
        labels=tuple(labels),
        method=method,
    )


def _scale(pdo: float, base_score: float, base_odds: float) -> tuple[float, float]:
    """The scorecard's ``factor`` and ``offset`` (checked)."""
    for name, value in (("pdo", pdo), ("base_odds", base_odds)):
        if not is_number(value) or not value > 0:
            raise ValidationError(name, value, "expected a number above 0")
    factor = pdo / math.log(2)
    return factor, base_score - factor * math.log(base_odds)


class _Fit(NamedTuple):
    """A calibration and how it scores other rows: unrounded log-odds, and the rounded
    points less the base (both as the points model would, only faster)."""

    calibration: Calibration
    unrounded: Callable[[Sequence[ClosedLead]], Sequence[float]]
    totals: Callable[[Sequence[ClosedLead]], Sequence[float]]


def _fit_rows(
    rows: Sequence[ClosedLead],
    *,
    method: str,
    max_rules: int,
    interactions: int = 0,
    monotonic: Mapping[str, int] | None = None,
    budgets: Sequence[int] = (),
    seed: int = 0,
    **options: Any,
) -> list[_Fit]:
    """Calibrate ``rows`` by ``method``: one fit per budget of rules (``max_rules`` first,
    then ``budgets``; the logistic method has one fit whatever the budget)."""
    if method == "logistic":
        result, features, fitted = _calibrate_rows(rows, seed=seed, **options)
        del max_rules, budgets, interactions, monotonic  # one fit, whatever the budget

        def unrounded(other: Sequence[ClosedLead]) -> Sequence[float]:
            return [float(v) for v in fitted.decision_function(_design(other, features))]

        def totals(other: Sequence[ClosedLead]) -> Sequence[float]:
            return [
                result.model.score(lead, before, as_of=at).total for lead, before, _, at in other
            ]

        return [_Fit(result, unrounded, totals)]
    from leadqual.analytics._boosted import fit_tables

    _sklearn()
    factor, offset = _scale(options["pdo"], options["base_score"], options["base_odds"])
    attribute_names, type_names = _names(
        rows, options["attributes"], options["event_types"], options["exclude"]
    )
    tables = fit_tables(
        rows,
        attribute_names,
        type_names,
        factor=factor,
        budgets=[max_rules, *budgets],
        interactions=interactions,
        monotonic=monotonic,
        regularization=options["regularization"],
        seed=seed,
    )
    out = []
    for k, table in enumerate(tables):
        calibration = _assemble(
            rows,
            table.fit,
            table.engagement,
            table.rules,
            intercept=table.intercept,
            factor=factor,
            offset=offset,
            error=table.error,
            method=method,
            score=k == 0,  # the smaller budgets are measured on held-out leads only
        )
        base = calibration.base_points
        out.append(_Fit(calibration, _unrounded_of(table), _totals_of(table, base)))
    return out


def _unrounded_of(table: Any) -> Callable[[Sequence[ClosedLead]], Sequence[float]]:
    return lambda other: [float(v) for v in table.unrounded(other)]


def _totals_of(table: Any, base: int) -> Callable[[Sequence[ClosedLead]], Sequence[float]]:
    return lambda other: [base + float(v) for v in table.totals(other)]


@attrs.frozen
class CrossValidation:
    """Held-out AUCs, fold by fold: of the calibrated (rounded) points, and of the same
    logistic regression unrounded, on the same folds.

    >>> print(CrossValidation((0.71, 0.75), (0.72, 0.75)))
    cross-validated AUC 0.730 (2 folds, 0.710 to 0.750); unrounded 0.735
    """

    points: tuple[float, ...]
    logistic: tuple[float, ...]

    @property
    def points_auc(self) -> float:
        """The mean held-out AUC of the points."""
        return sum(self.points) / len(self.points)

    @property
    def logistic_auc(self) -> float:
        """The mean held-out AUC of the unrounded logistic regression."""
        return sum(self.logistic) / len(self.logistic)

    def __str__(self) -> str:
        return (
            f"cross-validated AUC {self.points_auc:.3f} ({len(self.points)} folds, "
            f"{min(self.points):.3f} to {max(self.points):.3f}); "
            f"unrounded {self.logistic_auc:.3f}"
        )


def stratified_folds(labels: Sequence[bool], folds: int, seed: int) -> dict[int, int]:
    """The fold of each index: won and lost leads each dealt round the folds after a
    seeded shuffle, so every fold holds about the same share of wins."""
    rng = random.Random(seed)
    won = [i for i, label in enumerate(labels) if label]
    lost = [i for i, label in enumerate(labels) if not label]
    rng.shuffle(won)
    rng.shuffle(lost)
    return {i: k % folds for k, i in enumerate(won)} | {i: k % folds for k, i in enumerate(lost)}


def cross_validate(
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    folds: int = 5,
    seed: int = 0,
    as_of: datetime | None = None,
    allow_leaks: bool = False,
    **options: Any,
) -> CrossValidation:
    """Calibrate on all folds but one and measure the AUC on the one left out, in turn
    (folds drawn with ``seed``, stratified by outcome), for the rounded points and for the
    logistic regression behind them; ``options`` go to :func:`calibrate`. (``calibrate``
    does this itself: its result's ``cross_validation``.)"""
    unknown = set(options) - _OPTIONS
    if unknown:
        raise ValidationError("options", sorted(unknown), "not options of calibrate")
    rows = _decisions(leads, events, outcomes, as_of)
    options = _DEFAULTS | options
    for name in ("attributes", "event_types", "exclude"):  # read in every fold
        if options[name] is not None:
            options[name] = tuple(options[name])
    method: Any = options["method"]
    max_rules: Any = options["max_rules"]
    names = _names(rows, options["attributes"], options["event_types"], options["exclude"])
    _check_history(rows, names, allow_leaks=allow_leaks)
    _check_method(method, max_rules)
    options["monotonic"] = _signs(options["monotonic"], method, rows, names)
    return _cross_validate_rows(rows, folds, seed, options)[0]


def _cross_validate_rows(
    rows: Sequence[ClosedLead],
    folds: int,
    seed: int,
    options: dict[str, Any],
    *,
    ladder: bool = False,
) -> tuple[CrossValidation, tuple[BudgetPoint, ...]]:
    """Each fold held out in turn: everything is fitted (bins, shapes, caps, points) on
    the others. With ``ladder``, smaller budgets of rules are measured too."""
    require_count("folds", folds, 2)
    labels = [row[2] for row in rows]
    won = sum(labels)
    if min(won, len(labels) - won) < folds:
        raise ValidationError(
            "folds",
            folds,
            f"{won} won and {len(labels) - won} lost leads cannot fill every fold with both "
            "(use fewer folds, or folds=None to skip the cross-validated AUC)",
        )
    ladder = ladder and options["method"] == "boosted"  # the logistic fit has one size
    budgets = _ladder(options["max_rules"]) if ladder else []
    fold_of = stratified_folds(labels, folds, seed)
    points_aucs: list[float] = []
    logistic_aucs: list[float] = []
    found: list[list[tuple[int, float]]] = [[] for _ in range(len(budgets) + 1)]
    for fold in range(folds):
        train = [rows[i] for i in sorted(fold_of) if fold_of[i] != fold]
        test = [rows[i] for i in sorted(fold_of) if fold_of[i] == fold]
        held_out = [row[2] for row in test]
        fits = _fit_rows(train, seed=seed, budgets=budgets, **options)
        model = fits[0].calibration.model
        points = [model.score(lead, before, as_of=at).total for lead, before, _, at in test]
        points_aucs.append(roc_auc(held_out, points))
        logistic_aucs.append(roc_auc(held_out, fits[0].unrounded(test)))
        for k, fit in enumerate(fits):
            auc = points_aucs[-1] if k == 0 else roc_auc(held_out, fit.totals(test))
            found[k].append((_rules(fit.calibration), auc))
    ladder_points = (
        [
            BudgetPoint(b, sum(r for r, _ in got) / folds, sum(a for _, a in got) / folds)
            for b, got in zip([options["max_rules"], *budgets], found, strict=True)
        ]
        if ladder
        else []
    )
    checked = CrossValidation(tuple(points_aucs), tuple(logistic_aucs))
    return checked, tuple(ladder_points)


def _rules(calibration: Calibration) -> int:
    """The rules of a calibrated table, the base rule every lead gets aside."""
    return len(calibration.model.rules()) - (calibration.base_points != 0)


@attrs.frozen
class BudgetPoint:
    """A budget of rules (``max_rules``), the rules the table used on average over the
    folds (``rules``) and its mean held-out AUC (``auc``)."""

    max_rules: int
    rules: float
    auc: float
