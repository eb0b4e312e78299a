"""The public API used exactly as the docs show it; checked by ``mypy --strict``.

It is also imported by the test suite, so it must run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import leadqual as lq

model = lq.PointsModel(
    fit=[
        lq.FitRule(
            "senior-title", lq.Attr("title").matches(r"(?i)\b(vp|director|head|chief)\b"), points=15
        ),
        lq.FitRule("mid-market", lq.Attr("employees").between(50, 5000), points=10),
        lq.FitRule("student", lq.Attr("email").endswith(".edu"), points=-20),
    ],
    engagement=[
        lq.EngagementRule("ebook", "content_download", points=30, max_times=3),
        lq.EngagementRule("email-click", "email_click", points=10, max_points=50, group="email"),
        lq.EngagementRule(
            "pricing-visit",
            "page_view",
            where=lq.Prop("url").startswith("/pricing"),
            points=15,
            within=timedelta(days=30),
            max_per_day=1,
        ),
        lq.EngagementRule("unsubscribed", "email_unsubscribe", points=-50, decay=lq.NoDecay()),
    ],
    decay=lq.HalfLife(days=90),
    group_caps={"email": 40},
    grades={"A": 40, "B": 25, "C": 10, "D": None},
    max_score=200,
)
lead = lq.Lead("L-1", email="ana@acme.com", attributes={"title": "VP Marketing", "employees": 400})
events = [lq.Event("L-1", "content_download", at=datetime(2026, 11, 2, tzinfo=timezone.utc))]
now = datetime(2026, 11, 24, tzinfo=timezone.utc)

score: lq.Score = model.score(lead, events, as_of=now)
total: float = score.total
grade: str | None = score.grade
text: str = score.explain()
top: tuple[lq.Contribution, ...] = score.top(3)

state: lq.scoring.PointsState = model.start(lead)
state.apply(events[0])
assert state.score(now) == score

condition: lq.conditions.Condition = (lq.Attr("country") == "DE") & ~lq.Attr("email").endswith(
    ".edu"
)
again: lq.conditions.Condition = lq.conditions.condition_from_dict(condition.to_dict())
decays: list[lq.scoring.DecayFunction] = [
    lq.HalfLife(days=30),
    lq.Linear(points_per_day=1),
    lq.Expire(after=timedelta(days=90)),
    lq.Schedule([(timedelta(days=45), 0.5), (timedelta(days=90), 0.0)]),
]


class ConstantModel:
    """A user's own model: no subclassing needed."""

    def score(self, lead: lq.Lead, events: Iterable[lq.Event], *, as_of: datetime) -> lq.Score:
        return lq.Score(total=1, fit=1, engagement=0)

    def start(self, lead: lq.Lead) -> lq.ScoringState:
        return lq.ReplayState(self, lead)


mine: lq.ScoringModel = ConstantModel()
builtin: lq.ScoringModel = model
try:
    lq.Event("L-1", "x", at=datetime(2026, 1, 1))
except lq.ValidationError as err:
    field: str = err.field

qualifier = lq.Qualifier(
    model=model,
    stages=lq.StageMachine.default(mql_score=100),
    framework=lq.BANT(min_budget=10_000, policy=lq.AtLeast(3)),
)
result: lq.Qualification = qualifier.qualify(lead, events, as_of=now)
stage: str = result.stage
history: tuple[lq.TransitionRecord, ...] = result.history
verdict: lq.frameworks.FrameworkResult | None = result.framework

rules: lq.RuleSet = lq.default_ruleset()
engine = lq.Engine(rules)
engine.add_lead(lead)
engine.apply(events)
current: lq.Qualification = engine.get("L-1", as_of=now)
in_mql: list[str] = engine.lead_ids(stage="MQL")
