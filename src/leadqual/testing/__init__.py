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

Install the ``testing`` extra (``pip install 'leadqual[testing]'``): the strategies and
``check_ruleset``'s search need hypothesis. The other tools load without it, so that the
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

if TYPE_CHECKING:  # re-exported: for type checkers, as the lazy names below
    from leadqual.testing.strategies import (
        conditions as conditions,
    )
    from leadqual.testing.strategies import (
        decays as decays,
    )
    from leadqual.testing.strategies import (
        engagement_rules as engagement_rules,
    )
    from leadqual.testing.strategies import (
        event_streams as event_streams,
    )
    from leadqual.testing.strategies import (
        events as events,
    )
    from leadqual.testing.strategies import (
        fit_rules as fit_rules,
    )
    from leadqual.testing.strategies import (
        frameworks as frameworks,
    )
    from leadqual.testing.strategies import (
        guards as guards,
    )
    from leadqual.testing.strategies import (
        json_values as json_values,
    )
    from leadqual.testing.strategies import (
        leads as leads,
    )
    from leadqual.testing.strategies import (
        points_models as points_models,
    )
    from leadqual.testing.strategies import (
        rule_sets as rule_sets,
    )
    from leadqual.testing.strategies import (
        stage_machines as stage_machines,
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
