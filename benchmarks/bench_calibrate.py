"""Calibration benchmark: held-out AUC of calibrated points against scikit-learn models.

On the same stratified folds (scikit-learn's ``StratifiedKFold(5, shuffle=True,
random_state=0)``), fits on each training fold and measures the held-out ROC AUC of:

- ``calibrate`` (boosted, the default; and logistic), as deployed: the fitted
  ``PointsModel``'s integer totals, with its rule count and fit time;
- scikit-learn's logistic regression on one-hot categories and 10 quantile bins per number;
- gradient boosting (``HistGradientBoostingClassifier()`` defaults) and boosted depth-2 trees
  (pairwise interactions), the black boxes a points table has to match.

Data: ``--data bank`` is the UCI bank-marketing set (``--bank PATH``, default
``../shared/data/bank-marketing/bank-full.csv``; ``duration`` dropped, it leaks the
outcome); ``--data synthetic`` a generated history whose truth has a non-linear shape and an
interaction (as in the tests). Needs the ``analytics`` extra. A script that prints figures,
not a test.

    .venv/bin/python benchmarks/bench_calibrate.py --data bank
    .venv/bin/python benchmarks/bench_calibrate.py --data synthetic --leads 20000
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import leadqual as lq
from leadqual.analytics import calibrate, roc_auc

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "bank-marketing" / "bank-full.csv"
Table = tuple[list[lq.Lead], list[lq.Outcome], list[str], list[str]]


def bank(path: Path) -> Table:
    """bank-full.csv as leads (every input an attribute) and outcomes (y)."""
    numbers = ["age", "balance", "day", "campaign", "pdays", "previous"]
    leads, outcomes = [], []
    with path.open(newline="") as f:
        for i, row in enumerate(csv.DictReader(f, delimiter=";")):
            won = row.pop("y") == "yes"
            row.pop("duration")
            attributes: dict[str, Any] = {k: int(v) if k in numbers else v for k, v in row.items()}
            leads.append(lq.Lead(f"C{i:05d}", attributes=attributes))
            outcomes.append(lq.Outcome(f"C{i:05d}", "won" if won else "lost"))
    categories = [k for k in leads[0].attributes if k not in numbers]
    return leads, outcomes, numbers, categories


def synthetic(n: int, seed: int) -> Table:
    """A non-linear shape of company size, a partner channel, and an EMEA x enterprise
    interaction, plus an input that does not matter."""
    rng = random.Random(seed)
    leads, outcomes = [], []
    for i in range(n):
        employees = int(math.exp(rng.uniform(math.log(5), math.log(20000))))
        region = rng.choice(["emea", "amer", "apac"])
        segment = rng.choice(["enterprise", "mid-market", "smb"])
        channel = rng.choice(["web", "event", "partner", "outbound"])
        noise = rng.randrange(100)
        size = (
            -0.8 if employees < 50 else 0.0 if employees < 200 else 1.0 if employees < 2000 else 0.2
        )
        logit = -1.6 + size + 0.4 * (channel == "partner")
        logit += 1.8 * (region == "emea" and segment == "enterprise")
        won = rng.random() < 1 / (1 + math.exp(-logit))
        attributes = {
            "employees": employees,
            "region": region,
            "segment": segment,
            "channel": channel,
            "noise": noise,
        }
        leads.append(lq.Lead(f"S{i:05d}", attributes=attributes))
        outcomes.append(lq.Outcome(f"S{i:05d}", "won" if won else "lost"))
    return leads, outcomes, ["employees", "noise"], ["region", "segment", "channel"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=["bank", "synthetic"], default="bank")
    parser.add_argument("--bank", type=Path, default=BANK)
    parser.add_argument("--leads", type=int, default=20_000, help="synthetic leads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-rules", type=int, default=60)
    args = parser.parse_args(argv)
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

    if args.data == "bank":
        leads, outcomes, numbers, categories = bank(args.bank)
    else:
        leads, outcomes, numbers, categories = synthetic(args.leads, args.seed + 2026)
    labels = np.array([o.won for o in outcomes])
    names = categories + numbers
    table = np.array([[lead.attributes[k] for k in names] for lead in leads], dtype=object)
    coded = np.column_stack(
        [np.unique(table[:, j].astype(str), return_inverse=True)[1] for j in range(len(categories))]
        + [table[:, len(categories) + j].astype(float) for j in range(len(numbers))]
    ).astype(float)
    is_category = [True] * len(categories) + [False] * len(numbers)
    one_hot = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), list(range(len(categories)))),
            (
                "numbers",
                KBinsDiscretizer(
                    n_bins=10,
                    encode="onehot",
                    strategy="quantile",
                    quantile_method="averaged_inverted_cdf",
                ),
                list(range(len(categories), len(names))),
            ),
        ]
    )

    def sklearn_model(build: Callable[[], Any], data: Any) -> Callable[[Any, Any], Any]:
        def fit_and_score(train: Any, test: Any) -> Any:
            model = build().fit(data[train], labels[train])
            return model.predict_proba(data[test])[:, 1], None

        return fit_and_score

    def points(method: str) -> Callable[[Any, Any], Any]:
        def fit_and_score(train: Any, test: Any) -> Any:
            result = calibrate(
                [leads[i] for i in train],
                [],
                [outcomes[i] for i in train],
                method=method,
                max_rules=args.max_rules,
                folds=None,
                as_of=AT,
                seed=args.seed,
            )
            scores = [result.model.score(leads[i], [], as_of=AT).total for i in test]
            return scores, len(result.model.rules()) - (result.base_points != 0)

        return fit_and_score

    candidates: list[tuple[str, Callable[[Any, Any], Any]]] = [
        ("calibrate, boosted (integer points)", points("boosted")),
        ("calibrate, logistic (integer points)", points("logistic")),
        (
            "logistic regression, one-hot + 10 bins",
            sklearn_model(lambda: make_pipeline(one_hot, LogisticRegression(max_iter=5000)), coded),
        ),
        (
            "gradient boosting (defaults)",
            sklearn_model(
                lambda: HistGradientBoostingClassifier(
                    categorical_features=is_category, random_state=0
                ),
                coded,
            ),
        ),
        (
            "boosted depth-2 trees",
            sklearn_model(
                lambda: HistGradientBoostingClassifier(
                    categorical_features=is_category, max_depth=2, max_iter=500, random_state=0
                ),
                coded,
            ),
        ),
    ]
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(coded, labels))
    print(
        f"leadqual {lq.__version__} calibration benchmark: {args.data}, {len(leads):,} leads "
        f"({int(labels.sum()):,} won), 5 folds (StratifiedKFold, random_state=0), "
        f"max_rules {args.max_rules}"
    )
    print(f"  {'model':<40} {'held-out AUC':>12}  {'folds':>15}  {'rules':>5}  {'fit s':>6}")
    found: dict[str, float] = {}
    for label, fit_and_score in candidates:
        aucs, rules, seconds = [], [], 0.0
        for train, test in folds:
            t0 = time.perf_counter()
            scores, count = fit_and_score(train, test)
            seconds += time.perf_counter() - t0
            aucs.append(roc_auc(list(labels[test]), list(scores)))
            rules.append(count)
        mean = sum(aucs) / len(aucs)
        found[label] = mean
        shown = "" if rules[0] is None else f"{sum(rules) / len(rules):.0f}"
        print(
            f"  {label:<40} {mean:>12.4f}  {min(aucs):.3f} to {max(aucs):.3f}  {shown:>5}  "
            f"{seconds / len(folds):>6.1f}"
        )
    gap = found["gradient boosting (defaults)"] - found["calibrate, boosted (integer points)"]
    print(f"  gradient boosting minus calibrated points: {gap:+.4f} AUC (goal: at most 0.005)")
    start = time.perf_counter()
    full = calibrate(leads, [], outcomes, max_rules=args.max_rules, as_of=AT, seed=args.seed)
    print(
        f"  calibrate() on all {len(leads):,} leads with its own 5-fold cross-validation and "
        f"the budget table: {time.perf_counter() - start:.1f} s; {full.cross_validation}"
    )
    assert full.cross_validation is not None
    rounding = full.cross_validation.logistic_auc - full.cross_validation.points_auc
    print(f"  rounding to integer points costs {rounding:+.4f} AUC (goal: under 0.002)")
    for point in full.budget:
        print(
            f"    budget {point.max_rules:>3}: {point.rules:5.1f} rules, held-out AUC {point.auc:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
