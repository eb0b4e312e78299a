"""leadqual: qualify sales leads with versioned, testable rules.

The facade: what an application writes, re-exported here (nothing is defined here).
Everything else lives in its submodule: ``leadqual.frameworks`` (the other presets and
the checks), ``leadqual.conditions``, ``leadqual.errors``, ``leadqual.stages``,
``leadqual.scoring``, ``leadqual.io``, ``leadqual.samples``, ``leadqual.analytics`` and
``leadqual.testing``. Names that used to be here still work, with a
``DeprecationWarning`` naming their new place.
"""

# the submodules the moved names live in, as attributes (``lq.frameworks.CHAMP``)
from leadqual import conditions as conditions
from leadqual import engine as engine
from leadqual import errors as errors
from leadqual import frameworks as frameworks
from leadqual import outcomes as outcomes
from leadqual import qualifier as qualifier
from leadqual import samples as samples
from leadqual import scoring as scoring
from leadqual import stages as stages
from leadqual._moved import moved
from leadqual._version import __version__
from leadqual.conditions import Attr, Prop, all_of, any_of
from leadqual.default_model import default_model
from leadqual.engine import Engine
from leadqual.errors import InvalidTransition, LeadqualError, ValidationError
from leadqual.events import Event
from leadqual.frameworks import BANT, AllPass, AtLeast, Framework, Verdict
from leadqual.leads import Lead
from leadqual.outcomes import Outcome
from leadqual.qualifier import Decision, Qualification, Qualifier
from leadqual.rulesets import RuleSet, default_ruleset, dump, load
from leadqual.scoring import (
    Contribution,
    EngagementRule,
    Expire,
    FitRule,
    HalfLife,
    Linear,
    NoDecay,
    PointsModel,
    ReplayState,
    Schedule,
    Score,
    ScoringModel,
    ScoringState,
)
from leadqual.stages import (
    AttrCondition,
    EngagementAtLeast,
    EventSeen,
    FitAtLeast,
    FrameworkPassed,
    NewActivity,
    ScoreAtLeast,
    Stage,
    StageMachine,
    Transition,
    TransitionRecord,
)

__all__ = [
    "BANT",
    "AllPass",
    "AtLeast",
    "Attr",
    "AttrCondition",
    "Contribution",
    "Decision",
    "EngagementAtLeast",
    "EngagementRule",
    "Engine",
    "Event",
    "EventSeen",
    "Expire",
    "FitAtLeast",
    "FitRule",
    "Framework",
    "FrameworkPassed",
    "HalfLife",
    "InvalidTransition",
    "Lead",
    "LeadqualError",
    "Linear",
    "NewActivity",
    "NoDecay",
    "Outcome",
    "PointsModel",
    "Prop",
    "Qualification",
    "Qualifier",
    "ReplayState",
    "RuleSet",
    "Schedule",
    "Score",
    "ScoreAtLeast",
    "ScoringModel",
    "ScoringState",
    "Stage",
    "StageMachine",
    "Transition",
    "TransitionRecord",
    "ValidationError",
    "Verdict",
    "__version__",
    "all_of",
    "any_of",
    "default_model",
    "default_ruleset",
    "dump",
    "load",
]

# where the names that left the facade live now (importing them here still works)
__getattr__ = moved(
    "leadqual",
    {
        name: f"leadqual.{module}.{name}"
        for module, names in {
            "frameworks": "ANUM CHAMP FAINT GPCTBA_CI MEDDIC MEDDPICC Activity AttributeCheck "
            "Authority Budget Check CheckResult ConditionCheck Facts FrameworkResult "
            "FunctionCheck Need Timeline",
            "conditions": "AllOf AnyOf Compare Condition Not condition_from_dict",
            "errors": "DuplicateEventError ListenerError Problem RowError RuleSetError "
            "SnapshotError",
            "samples": "SAMPLE_AS_OF sample_events sample_leads sample_outcomes",
            "engine": "RescoreReport StageChange",
            "outcomes": "Result",
            "qualifier": "QualificationState",
            "scoring": "PointsState DecayFunction Decay",
            "stages": "Guard GuardContext StageState guard_from_dict",
        }.items()
        for name in names.split()
    },
)
del moved
