"""``RuleSet``: a named, versioned bundle of the rules that qualify leads.

>>> import leadqual as lq
>>> rules = lq.RuleSet("example", "1", model=lq.PointsModel(),
...                    stages=lq.StageMachine.default(mql_score=50, sql_requires=None))
>>> rules.qualifier().stages.entry_guard("MQL")
ScoreAtLeast(points=50)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from leadqual._fields import checked, require_text
from leadqual.errors import ValidationError
from leadqual.frameworks.framework import Framework
from leadqual.qualifier import FRAMEWORK, MODEL, STAGES, Listener, Qualifier
from leadqual.stages.machine import StageMachine
from leadqual.typing import ScoringModel

__all__ = ["RuleSet"]


def _models(value: Mapping[str, ScoringModel] | None) -> Mapping[str, ScoringModel]:
    models = dict(value or {})
    for name, model in models.items():
        require_text("extra_models", name)
        if not isinstance(model, ScoringModel):
            raise ValidationError(
                f"extra_models.{name}", model, "expected a scoring model (score and start)"
            )
    return models


@attrs.frozen
class RuleSet:
    """Everything needed to qualify leads, as one versioned value.

    ``model`` drives the stages: a :class:`~leadqual.PointsModel`, or any
    :class:`~leadqual.ScoringModel` of your own (a rule file holds points models only, so
    :func:`leadqual.dump` refuses another); ``extra_models`` are more named scores reported
    beside it (one per product line, say). ``stages`` is the funnel and
    ``framework`` the sales criteria (or ``None``). Load and save rule sets with
    :func:`leadqual.load` and :func:`leadqual.dump`.
    """

    name: str = attrs.field(validator=checked(require_text, "RuleSet.name"))
    version: str = attrs.field(validator=checked(require_text, "RuleSet.version"))
    model: ScoringModel = attrs.field(kw_only=True, validator=MODEL)
    stages: StageMachine = attrs.field(kw_only=True, validator=STAGES)
    framework: Framework | None = attrs.field(default=None, kw_only=True, validator=FRAMEWORK)
    extra_models: Mapping[str, ScoringModel] = attrs.field(
        factory=dict, converter=_models, kw_only=True, hash=False
    )
    description: str = attrs.field(default="", kw_only=True)

    def qualifier(self, on_transition: Iterable[Listener] = ()) -> Qualifier:
        """A :class:`~leadqual.Qualifier` running these rules."""
        return Qualifier(
            self.model,
            self.stages,
            self.framework,
            on_transition=on_transition,
            extra_models=self.extra_models,
        )

    @property
    def label(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"
