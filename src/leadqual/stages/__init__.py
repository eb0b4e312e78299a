"""Stages: the funnel a lead moves through, its guards and its history."""

from leadqual._moved import moved
from leadqual.stages.guards import (
    AttrCondition,
    EngagementAtLeast,
    EventSeen,
    FitAtLeast,
    FrameworkPassed,
    Guard,
    GuardContext,
    NewActivity,
    ScoreAtLeast,
    check_guard,
    guard_from_dict,
)
from leadqual.stages.machine import (
    CUSTOMER,
    DEFAULT_INTENT_EVENTS,
    DISQUALIFIED,
    IQL,
    MQL,
    NURTURE,
    OPPORTUNITY,
    SQL,
    Stage,
    StageMachine,
    StageState,
    Transition,
    TransitionRecord,
)

__all__ = [
    "CUSTOMER",
    "DEFAULT_INTENT_EVENTS",
    "DISQUALIFIED",
    "IQL",
    "MQL",
    "NURTURE",
    "OPPORTUNITY",
    "SQL",
    "AttrCondition",
    "EngagementAtLeast",
    "EventSeen",
    "FitAtLeast",
    "FrameworkPassed",
    "Guard",
    "GuardContext",
    "NewActivity",
    "ScoreAtLeast",
    "Stage",
    "StageMachine",
    "StageState",
    "Transition",
    "TransitionRecord",
    "check_guard",
    "guard_from_dict",
]

# guards combine with the conditions' own AllOf, AnyOf and Not: one tree
__getattr__ = moved(
    "leadqual.stages",
    {
        "GuardAll": "leadqual.conditions.AllOf",
        "GuardAny": "leadqual.conditions.AnyOf",
        "GuardNot": "leadqual.conditions.Not",
    },
)
