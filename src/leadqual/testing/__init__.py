"""Tools for testing code and rule sets built on leadqual (needs the ``testing`` extra).

Hypothesis strategies live in :mod:`leadqual.testing.strategies`.
"""

from leadqual.testing.strategies import (
    conditions,
    decays,
    engagement_rules,
    events,
    fit_rules,
    frameworks,
    guards,
    json_values,
    leads,
    points_models,
    rule_sets,
    stage_machines,
)

__all__ = [
    "conditions",
    "decays",
    "engagement_rules",
    "events",
    "fit_rules",
    "frameworks",
    "guards",
    "json_values",
    "leads",
    "points_models",
    "rule_sets",
    "stage_machines",
]
