"""Analytics: funnel reports, back-tests on won and lost leads, and the metrics behind them.

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
from leadqual.analytics.funnel import (
    FunnelReport,
    Journey,
    PastDue,
    Visit,
    funnel,
    journeys_from_engine,
    read_journeys,
    write_journeys,
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
    "FunnelReport",
    "Journey",
    "LeadResult",
    "PastDue",
    "PrecisionRecall",
    "StageChange",
    "StageOutcomes",
    "Visit",
    "backtest",
    "compare",
    "deciles",
    "funnel",
    "gini",
    "journeys_from_engine",
    "ks",
    "median",
    "mql_threshold",
    "percentile",
    "precision_recall",
    "psi",
    "read_journeys",
    "roc_auc",
    "write_journeys",
]
