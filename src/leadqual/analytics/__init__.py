"""Analytics: back-test a rule set on won and lost leads, and the metrics behind it.

Reads what the rest of leadqual produces and never feeds back into scoring. Pure Python:
nothing here needs numpy or scikit-learn.
"""

from leadqual.analytics.backtest import (
    BacktestReport,
    Comparison,
    LeadResult,
    StageChange,
    StageOutcomes,
    backtest,
    compare,
    mql_threshold,
)
from leadqual.analytics.metrics import (
    Decile,
    PrecisionRecall,
    deciles,
    gini,
    ks,
    median,
    percentile,
    precision_recall,
    psi,
    roc_auc,
)

__all__ = [
    "BacktestReport",
    "Comparison",
    "Decile",
    "LeadResult",
    "PrecisionRecall",
    "StageChange",
    "StageOutcomes",
    "backtest",
    "compare",
    "deciles",
    "gini",
    "ks",
    "median",
    "mql_threshold",
    "percentile",
    "precision_recall",
    "psi",
    "roc_auc",
]
