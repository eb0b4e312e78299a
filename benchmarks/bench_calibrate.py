"""Calibration benchmark: held-out AUC of calibrated points against scikit-learn models.

Generates (seeded) a history of 10,000 leads whose chance to win follows a known model (fit:
industry, seniority, company size; engagement: downloads, demo requests, unsubscribes, with
page views that do not matter), then, on the same stratified folds and the same features
(the bins and capped counts ``calibrate`` builds from each training fold), compares the
held-out AUC of:

- the calibrated points model (integer points, as deployed);
- scikit-learn's logistic regression on those features, unrounded;
- scikit-learn's gradient boosting on those features;

and prints the time each takes to fit. Needs the ``analytics`` extra. A script that prints
figures, not a test.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import leadqual as lq
from leadqual.analytics import roc_auc
from leadqual.analytics.calibrate import (
    _calibrate_rows,
    _decisions,
    _design,
    stratified_folds,
)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def history(n: int, seed: int) -> tuple[list[lq.Lead], list[lq.Event], list[lq.Outcome]]:
    rng = random.Random(seed)
    leads, events, outcomes = [], [], []
    for i in range(n):
        lead_id = f"L{i:06d}"
        industry = rng.choice(["fintech", "saas", "retail", "logistics", "media", "education"])
        seniority = rng.choice(["exec", "manager", "ic", "ic"])
        employees = int(rng.lognormvariate(5, 1.2))
        leads.append(
            lq.Lead(
                lead_id,
                attributes={"industry": industry, "seniority": seniority, "employees": employees},
            )
        )
        downloads = rng.randrange(0, 6)
        demo = rng.random() < 0.15
        unsub = rng.random() < 0.1
        kinds = (
            ["content_download"] * downloads
            + ["demo_request"] * demo
            + ["email_unsubscribe"] * unsub
            + ["page_view"] * rng.randrange(0, 8)
        )
        for k, kind in enumerate(kinds):
            events.append(lq.Event(lead_id, kind, at=START + timedelta(days=k, hours=i % 24)))
        logit = (
            -2.0
            + 2.0 * demo
            - 1.2 * unsub
            + 0.35 * min(downloads, 3)
            + 0.9 * (industry in ("fintech", "saas"))
            + 0.5 * (seniority == "exec")
            + 0.4 * (100 <= employees <= 2000)
        )
        won = rng.random() < 1 / (1 + math.exp(-logit))
        outcomes.append(
            lq.Outcome(lead_id, "won" if won else "lost", at=START + timedelta(days=40))
        )
    return leads, events, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    leads, events, outcomes = history(args.leads, args.seed)
    rows = _decisions(leads, events, outcomes, None)
    fold_of = stratified_folds([r[2] for r in rows], args.folds, args.seed)
    aucs: dict[str, list[float]] = {"points": [], "logistic": [], "boosting": []}
    times: dict[str, float] = {"points": 0.0, "logistic": 0.0, "boosting": 0.0}
    for fold in range(args.folds):
        train = [rows[i] for i in sorted(fold_of) if fold_of[i] != fold]
        test = [rows[i] for i in sorted(fold_of) if fold_of[i] == fold]
        labels = [r[2] for r in test]
        t0 = time.perf_counter()
        result, features, _ = _calibrate_rows(train, seed=args.seed)
        times["points"] += time.perf_counter() - t0
        x_train, y_train = _design(train, features), [r[2] for r in train]
        x_test = _design(test, features)
        t0 = time.perf_counter()
        logistic = LogisticRegression(max_iter=5000).fit(x_train, y_train)
        times["logistic"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        boosting = GradientBoostingClassifier(random_state=args.seed).fit(x_train, y_train)
        times["boosting"] += time.perf_counter() - t0
        points = [result.model.score(lead, before, as_of=at).total for lead, before, _, at in test]
        aucs["points"].append(roc_auc(labels, points))
        aucs["logistic"].append(roc_auc(labels, list(logistic.decision_function(x_test))))
        aucs["boosting"].append(roc_auc(labels, list(boosting.predict_proba(x_test)[:, 1])))
    n_won = sum(r[2] for r in rows)
    print(
        f"leadqual {lq.__version__} calibration benchmark: {len(rows):,} leads "
        f"({n_won:,} won), {args.folds} folds, {len(features)} features"
    )
    for name, label in (
        ("points", "calibrated points (rounded)"),
        ("logistic", "logistic regression (unrounded)"),
        ("boosting", "gradient boosting"),
    ):
        mean = sum(aucs[name]) / len(aucs[name])
        print(
            f"  {label:<33} held-out AUC {mean:.4f}   fit {times[name] / args.folds:6.2f} s "
            "per fold"
        )
    gap = abs(sum(aucs["points"]) - sum(aucs["logistic"])) / args.folds
    print(f"  rounding costs {gap:.4f} AUC (goal: under 0.01)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
