"""Tools for testing rule sets and the code built on leadqual.

- :mod:`~leadqual.testing.scenario`: ``scenario(rules).lead(...).after(...).expect_stage(...)``
  example tests that read as the rule they check;
- :mod:`~leadqual.testing.assertions`: ``assert_stage``, ``assert_score``,
  ``assert_contribution``, ``assert_path``, whose failures explain the lead;
- :mod:`~leadqual.testing.golden`: cases as JSON files, run as parametrized tests;
- :mod:`~leadqual.testing.lint`: ``check_ruleset``, what a rule set can and cannot do;
- :mod:`~leadqual.testing.strategies`: hypothesis strategies (``leads()``, ``events()``,
  ``event_streams()``, ``rule_sets()``, ...) for property tests;
- :mod:`~leadqual.testing.plugin`: the pytest plugin (fixtures ``ruleset``, ``qualify``
  and ``scenario``), registered when leadqual is installed.

Install the ``testing`` extra (``pip install 'leadqual[testing]'``): the strategies need
hypothesis. The other tools (``check_ruleset`` included) load and work without it, so that the
pytest plugin never breaks a test run where hypothesis is missing; a strategy named from
here then raises an :class:`ImportError` that says what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadqual.testing.assertions import (
    assert_contribution,
    assert_path,
    assert_score,
    assert_stage,
)
from leadqual.testing.lint import RulesetCheck, check_ruleset
from leadqual.testing.scenario import DEFAULT_NOW, Scenario, scenario

if TYPE_CHECKING:  # for type checkers: the names __getattr__ loads lazily
    from leadqual.testing.strategies import (  # noqa: F401
        conditions,
        decays,
        engagement_rules,
        event_streams,
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

#: The strategies, imported on first use (they need hypothesis).
_STRATEGIES = (
    "conditions",
    "decays",
    "engagement_rules",
    "event_streams",
    "events",
    "fit_rules",
    "frameworks",
    "guards",
    "json_values",
    "leads",
    "points_models",
    "rule_sets",
    "stage_machines",
)


def __getattr__(name: str) -> Any:
    """The strategies, imported on first use (they need hypothesis)."""
    if name in _STRATEGIES:
        from leadqual.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'leadqual.testing' has no attribute {name!r}")


__all__ = [
    "DEFAULT_NOW",
    "RulesetCheck",
    "Scenario",
    "assert_contribution",
    "assert_path",
    "assert_score",
    "assert_stage",
    "check_ruleset",
    "scenario",
    *_STRATEGIES,
]
