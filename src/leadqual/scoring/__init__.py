"""Scoring: the ``ScoringModel`` protocol, the built-in ``PointsModel`` and its rules."""

from leadqual.scoring.decay import Decay, DecayFunction, Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel, PointsState
from leadqual.scoring.protocol import Contribution, ReplayState, Score
from leadqual.scoring.rules import EngagementRule, FitRule
from leadqual.typing import ScoringModel, ScoringState

__all__ = [
    "Contribution",
    "Decay",
    "DecayFunction",
    "EngagementRule",
    "Expire",
    "FitRule",
    "HalfLife",
    "Linear",
    "NoDecay",
    "PointsModel",
    "PointsState",
    "ReplayState",
    "Schedule",
    "Score",
    "ScoringModel",
    "ScoringState",
]
