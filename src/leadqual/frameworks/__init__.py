"""Qualification frameworks: checks answering PASS, FAIL or UNKNOWN, frameworks that
combine them under a pass policy, and the presets BANT, CHAMP, ANUM, MEDDIC,
MEDDPICC, GPCTBA/C&I and FAINT.

>>> from datetime import datetime, timezone
>>> from leadqual import Lead
>>> from leadqual.frameworks import BANT, AtLeast, Facts
>>> lead = Lead("L-1", attributes={"budget": 25000, "title": "VP Marketing",
...                                "pain_points": ["too many unqualified leads"]})
>>> result = BANT(min_budget=10_000, policy=AtLeast(3)).evaluate(
...     Facts.from_events(lead, [], as_of=datetime(2026, 11, 24, tzinfo=timezone.utc)))
>>> result.passed, result.missing
(True, ('timeline',))
"""

from leadqual.frameworks.checks import (
    DEFAULT_AUTHORITY_ROLES,
    DEFAULT_AUTHORITY_TITLES,
    Activity,
    AttributeCheck,
    Authority,
    Budget,
    Check,
    CheckResult,
    ConditionCheck,
    Facts,
    FunctionCheck,
    Need,
    Timeline,
    Verdict,
)
from leadqual.frameworks.framework import AllPass, AtLeast, Framework, FrameworkResult, Policy
from leadqual.frameworks.presets import (
    ANUM,
    BANT,
    CHAMP,
    DEFAULT_INTEREST_SIGNALS,
    DEFAULT_NEED_SIGNALS,
    DEFAULT_TIMELINE_DAYS,
    FAINT,
    GPCTBA_CI,
    MEDDIC,
    MEDDPICC,
)

__all__ = [
    "ANUM",
    "BANT",
    "CHAMP",
    "DEFAULT_AUTHORITY_ROLES",
    "DEFAULT_AUTHORITY_TITLES",
    "DEFAULT_INTEREST_SIGNALS",
    "DEFAULT_NEED_SIGNALS",
    "DEFAULT_TIMELINE_DAYS",
    "FAINT",
    "GPCTBA_CI",
    "MEDDIC",
    "MEDDPICC",
    "Activity",
    "AllPass",
    "AtLeast",
    "AttributeCheck",
    "Authority",
    "Budget",
    "Check",
    "CheckResult",
    "ConditionCheck",
    "Facts",
    "Framework",
    "FrameworkResult",
    "FunctionCheck",
    "Need",
    "Policy",
    "Timeline",
    "Verdict",
]
