"""The pytest plugin leadqual registers (entry point ``pytest11``): fixtures for testing a
rule set.

Name the rule file on the command line (``pytest --leadqual-rules rules/leads.toml``,
relative to where pytest runs) or in the ini file (``leadqual_rules = rules/leads.toml``,
relative to that file), then use:

- ``ruleset``: the loaded :class:`~leadqual.RuleSet` (loaded once per session; a file
  with problems fails each test that uses it, listing every problem);
- ``qualify``: ``qualify(lead, events=(), *, as_of=None, decisions=())`` returns the
  :class:`~leadqual.Qualification`; ``lead`` is a :class:`~leadqual.Lead` or a mapping of
  attributes (``id`` and ``email`` in it become the lead's own fields), and ``as_of``
  defaults to the latest event or decision (else
  :data:`~leadqual.testing.scenario.DEFAULT_NOW`);
- ``scenario``: ``scenario(now=...)`` starts a
  :class:`~leadqual.testing.scenario.Scenario` under the rule set.

All three are session-scoped (they only read the rule set), so they work in hypothesis
``@given`` tests too. A project that defines fixtures of the same names keeps its own
(pytest prefers them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from leadqual.errors import LeadqualError, ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.qualifier import Decision, Qualification
from leadqual.rulesets import RuleSet, load
from leadqual.testing.scenario import DEFAULT_NOW, Scenario
from leadqual.testing.scenario import scenario as start_scenario

__all__ = ["pytest_addoption", "pytest_report_header", "qualify", "ruleset", "scenario"]

_NOT_SET = (
    "no rule file for the ruleset fixture: run pytest with --leadqual-rules PATH, or set "
    "leadqual_rules = PATH in the [pytest] section of your ini file"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leadqual", "leadqual rule sets")
    group.addoption(
        "--leadqual-rules",
        dest="leadqual_rules",
        metavar="PATH",
        default=None,
        help="the rule file (TOML or JSON) the ruleset fixture loads",
    )
    parser.addini(
        "leadqual_rules",
        "the rule file the ruleset fixture loads (relative to the ini file)",
        default="",
    )


def rules_path(config: pytest.Config) -> Path | None:
    """The rule file configured for this run, or None."""
    option = config.getoption("leadqual_rules", default=None)
    if option:
        return Path(config.invocation_params.dir, option)
    value = config.getini("leadqual_rules")
    if value:
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        return Path(base, str(value))
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    path = rules_path(config)
    return None if path is None else f"leadqual rules: {path}"


@pytest.fixture(scope="session")
def ruleset(pytestconfig: pytest.Config) -> RuleSet:
    """The rule set named by ``--leadqual-rules`` or the ``leadqual_rules`` ini setting."""
    path = rules_path(pytestconfig)
    if path is None:
        pytest.fail(_NOT_SET, pytrace=False)
    try:
        return load(path)
    except LeadqualError as exc:
        message = f"leadqual: {exc}"
    pytest.fail(message, pytrace=False)


def _lead(value: Lead | Mapping[str, Any]) -> Lead:
    if isinstance(value, Lead):
        return value
    if isinstance(value, Mapping):
        attributes = dict(value)  # id and email are the lead's own fields
        lead_id = attributes.pop("id", "L-1")
        email = attributes.pop("email", None)
        return Lead(lead_id, email=email, attributes=attributes)
    raise ValidationError("lead", value, "expected a Lead or a mapping of attributes")


@pytest.fixture(scope="session")
def qualify(ruleset: RuleSet) -> Callable[..., Qualification]:
    """``qualify(lead, events=(), *, as_of=None, decisions=())`` under the rule set."""
    qualifier = ruleset.qualifier()

    def run(
        lead: Lead | Mapping[str, Any],
        events: Iterable[Event] = (),
        *,
        as_of: datetime | None = None,
        decisions: Iterable[Decision] = (),
    ) -> Qualification:
        who = _lead(lead)
        # events of a lead built from attributes name "L-1"; keep the events' own id
        history = list(events)
        made = list(decisions)
        if as_of is None:
            moments = [e.at for e in history] + [d.at for d in made]
            as_of = max(moments) if moments else DEFAULT_NOW
        if not isinstance(lead, Lead) and "id" not in lead and history:
            who = Lead(history[0].lead_id, email=who.email, attributes=who.attributes)
        return qualifier.qualify(who, history, as_of=as_of, decisions=made)

    return run


@pytest.fixture(scope="session")
def scenario(ruleset: RuleSet) -> Callable[..., Scenario]:
    """``scenario(now=DEFAULT_NOW)``: a :class:`~leadqual.testing.scenario.Scenario`
    under the rule set."""

    def start(now: datetime = DEFAULT_NOW) -> Scenario:
        return start_scenario(ruleset, now=now)

    return start
