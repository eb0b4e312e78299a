"""Analytics: funnel reports, back-tests on won and lost leads, the metrics behind them,
and points calibrated from that history.

Reads what the rest of leadqual produces and never feeds back into scoring. Pure Python,
except :func:`calibrate`, which fits with scikit-learn (the ``analytics`` extra).
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
from leadqual.analytics.calibrate import (
    CalibratedRule,
    Calibration,
    CrossValidation,
    MissingExtra,
    calibrate,
    cross_validate,
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
    "CalibratedRule",
    "Calibration",
    "Comparison",
    "CrossValidation",
    "Decile",
    "FunnelReport",
    "Journey",
    "LeadResult",
    "MissingExtra",
    "PastDue",
    "PrecisionRecall",
    "StageChange",
    "StageOutcomes",
    "Visit",
    "backtest",
    "calibrate",
    "compare",
    "cross_validate",
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
