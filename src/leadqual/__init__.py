"""leadqual: qualify sales leads with versioned, testable rules.

The facade: every public name is re-exported here; nothing is defined here.
"""

from leadqual._version import __version__
from leadqual.conditions import (
    AllOf,
    AnyOf,
    Attr,
    Compare,
    Condition,
    Not,
    Prop,
    all_of,
    any_of,
    condition_from_dict,
)
from leadqual.default_model import default_model
from leadqual.errors import DuplicateEventError, LeadqualError, ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.samples import SAMPLE_AS_OF, sample_events, sample_leads
from leadqual.scoring import (
    Contribution,
    Decay,
    DecayFunction,
    EngagementRule,
    Expire,
    FitRule,
    HalfLife,
    Linear,
    NoDecay,
    PointsModel,
    PointsState,
    ReplayState,
    Schedule,
    Score,
    ScoringModel,
    ScoringState,
)

__all__ = [
    "SAMPLE_AS_OF",
    "AllOf",
    "AnyOf",
    "Attr",
    "Compare",
    "Condition",
    "Contribution",
    "Decay",
    "DecayFunction",
    "DuplicateEventError",
    "EngagementRule",
    "Event",
    "Expire",
    "FitRule",
    "HalfLife",
    "Lead",
    "LeadqualError",
    "Linear",
    "NoDecay",
    "Not",
    "PointsModel",
    "PointsState",
    "Prop",
    "ReplayState",
    "Schedule",
    "Score",
    "ScoringModel",
    "ScoringState",
    "ValidationError",
    "__version__",
    "all_of",
    "any_of",
    "condition_from_dict",
    "default_model",
    "sample_events",
    "sample_leads",
]
