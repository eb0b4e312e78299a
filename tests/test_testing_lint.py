"""check_ruleset: rules that cannot fire, thresholds out of reach, score ranges."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadqual as lq
from leadqual import Attr, EngagementRule, FitRule, PointsModel, Prop
from leadqual.stages.guards import AttrCondition, FrameworkPassed, ScoreAtLeast
from leadqual.testing import event_streams, leads, rule_sets
from leadqual.testing.lint import check_ruleset, find_example

DEFAULT = lq.default_ruleset()


def ruleset(model: PointsModel, stages: lq.StageMachine | None = None, **kw: object) -> lq.RuleSet:
    return lq.RuleSet(
        "t", "1", model=model, stages=stages or lq.StageMachine.default(sql_requires=None), **kw
    )


def messages(report: object, level: str) -> list[str]:
    return [str(f) for f in report.findings_at(level)]  # type: ignore[attr-defined]


def test_the_default_rules_are_sound() -> None:
    report = check_ruleset(DEFAULT)
    assert report.ok, str(report)
    # by hand: fit +15 +10 +10 at best, -20 -100 at worst; engagement: email group down
    # to -50, and uncapped rules (webinar, form, ...) leave the top open
    assert (report.fit.minimum, report.fit.maximum) == (-120, 35)
    assert report.engagement.minimum == -50
    assert math.isinf(report.engagement.maximum)
    assert report.reachable == DEFAULT.stages.names()
    assert "no cap on webinar-attended" in str(report)


def test_a_fully_capped_model_has_a_top_the_example_reaches() -> None:
    model = PointsModel(
        fit=[
            FitRule("vp", Attr("title").matches(r"(?i)\bvp\b"), 20),
            FitRule("mid", Attr("employees").between(50, 500), 10),
            FitRule("edu", Attr("email").endswith(".edu"), -30),
        ],
        engagement=[
            EngagementRule("ebook", "content_download", 30, max_times=2, group="content"),
            EngagementRule("webinar", "webinar", 25, max_points=50, group="content"),
            EngagementRule(
                "pricing",
                "page_view",
                5,
                where=Prop("url").startswith("/pricing"),
                max_per_day=1,
                within=timedelta(days=2),
            ),
            EngagementRule("unsub", "email_unsubscribe", -40, max_times=1),
        ],
        group_caps={"content": 100},
    )
    report = check_ruleset(ruleset(model))
    assert (report.fit.minimum, report.fit.maximum) == (-30, 30)
    # content: 60 + 50 capped at 100; pricing: 1 a day over the 3 days a 2-day window touches
    assert (report.engagement.minimum, report.engagement.maximum) == (-40, 115)
    assert (report.score.minimum, report.score.maximum) == (-70, 145)
    assert report.best is not None
    assert report.best.score == pytest.approx(145)
    assert report.best.lead.attributes["title"].lower().count("vp") == 1


def test_rules_that_cannot_fire_are_reported() -> None:
    model = PointsModel(
        fit=[
            FitRule("never", Attr("employees").between(10, 20) & (Attr("employees") > 30), 10),
            FitRule("nothing", Attr("title").exists(), 0),
        ],
        engagement=[
            EngagementRule(
                "never-url",
                "page_view",
                5,
                where=Prop("url").startswith("/a") & Prop("url").startswith("/b"),
            )
        ],
    )
    warnings = messages(check_ruleset(ruleset(model)), "warning")
    assert any("fit[0] (never): no lead found" in w for w in warnings)
    assert any("fit[1] (nothing): worth 0 points" in w for w in warnings)
    assert any("engagement[0] (never-url): no event found" in w for w in warnings)


def test_guards_that_cannot_hold_and_stages_behind_them() -> None:
    model = PointsModel(engagement=[EngagementRule("demo", "demo_request", 40, max_times=1)])
    stages = lq.StageMachine(
        [lq.Stage("NEW", 0), lq.Stage("HOT", 1), lq.Stage("VIP", 2), lq.Stage("LOW", 3)],
        [
            lq.Transition("NEW", "HOT", ScoreAtLeast(-10)),
            lq.Transition("HOT", "VIP", FrameworkPassed()),
            lq.Transition("NEW", "LOW", AttrCondition(Attr("x").is_in([1]) & (Attr("x") > 5))),
        ],
    )
    report = check_ruleset(ruleset(model, stages))
    errors = messages(report, "error")
    warnings = messages(report, "warning")
    assert any("(HOT -> VIP): needs a framework" in e for e in errors)
    assert any("stage VIP: no lead can reach it" in e for e in errors)
    assert any("stage LOW: no lead can reach it" in e for e in errors)
    assert any("(NEW -> HOT): needs a score of -10, which every lead has" in w for w in warnings)
    assert any("(NEW -> LOW): no lead found" in w for w in warnings)
    assert report.reachable == ("NEW", "HOT")
    assert not report.ok


def test_examples_for_each_kind_of_condition() -> None:
    conditions = [
        Attr("title").matches(r"(?i)^chief [a-z]+ officer$"),
        Attr("email").endswith(".edu"),
        Attr("country").is_in(["DE", "AT"]) & ~Attr("vip").exists(),
        Attr("employees").between(100, 200) | (Attr("revenue") >= 10**6),
        Prop("utm.source") == "linkedin",
        Attr("tags").contains("partner"),
        Attr("industry").equals("SaaS", ignore_case=True),
    ]
    for condition in conditions:
        found = find_example(condition)
        assert found is not None, str(condition)
        lead, event = found
        assert condition._tester()(lead, event), str(condition)


def test_only_points_models_and_rule_sets() -> None:
    with pytest.raises(lq.ValidationError):
        check_ruleset("rules.toml")  # type: ignore[arg-type]


@settings(max_examples=25)
@given(rule_sets(), leads(ids=["L-1"]), event_streams(("L-1",), max_size=15), st.integers(0, 400))
def test_every_score_lies_in_the_reported_range(
    rules: lq.RuleSet, lead: lq.Lead, events: list[lq.Event], days: int
) -> None:
    report = check_ruleset(rules)
    as_of = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=days)
    score = rules.model.score(lead, events, as_of=as_of)
    slack = 1e-6
    assert report.score.minimum - slack <= score.total <= report.score.maximum + slack
    assert report.fit.minimum - slack <= score.fit <= report.fit.maximum + slack
    assert report.engagement.minimum - slack <= score.engagement
    assert score.engagement <= report.engagement.maximum + slack
    if report.best is not None:
        assert report.best.score <= report.score.maximum + slack


def test_the_report_is_the_same_every_time() -> None:
    assert check_ruleset(DEFAULT) == check_ruleset(DEFAULT)
    assert attrs.asdict(check_ruleset(DEFAULT), recurse=False)["label"] == DEFAULT.label


def test_review_edge_cases() -> None:
    from leadqual import Schedule
    from leadqual.conditions import AnyOf
    from leadqual.stages.guards import EventSeen, FitAtLeast

    # a 1.5-day window touches up to 3 UTC days; a schedule factor above 1 lifts points
    model = PointsModel(
        engagement=[
            EngagementRule(
                "pricing",
                "page_view",
                10,
                max_per_day=1,
                within=timedelta(days=1.5),
            ),
            EngagementRule(
                "webinar",
                "webinar",
                10,
                max_times=1,
                decay=Schedule([(timedelta(days=7), 2.0)]),
            ),
        ]
    )
    report = check_ruleset(ruleset(model))
    assert report.engagement.maximum >= 50
    # a condition the search cannot satisfy is a warning; the stage behind it stays reachable
    stages = lq.StageMachine(
        [lq.Stage("A", 0), lq.Stage("B", 1), lq.Stage("C", 2)],
        [
            lq.Transition("A", "B", AttrCondition(Attr("id").startswith("VIP-"))),
            lq.Transition("B", "C", AnyOf((ScoreAtLeast(10**6), EventSeen(("t",))))),
        ],
    )
    found = check_ruleset(ruleset(PointsModel(), stages))
    assert found.reachable == ("A", "B", "C")
    assert not found.findings_at("error")  # the dead alternative is a warning
    assert any("1e+06" in str(f) for f in found.findings_at("warning"))
    # an automatic skip fires only if the skipped stage's entry guard can hold
    skipping = lq.StageMachine(
        [lq.Stage("A", 0), lq.Stage("B", 1), lq.Stage("C", 2)],
        [
            lq.Transition("A", "B", FitAtLeast(5)),
            lq.Transition("A", "C", ScoreAtLeast(10)),
            lq.Transition("B", "C", ScoreAtLeast(10)),
        ],
    )
    model = PointsModel(engagement=[EngagementRule("x", "x", 20)])
    blocked = check_ruleset(ruleset(model, skipping))
    assert blocked.reachable == ("A",)
    assert any("skips B" in str(f) for f in blocked.findings_at("error"))
    # a tiny step to a big cap does not build a million example events
    big = PointsModel(engagement=[EngagementRule("x", "t", 0.01, max_points=10_000)])
    best = check_ruleset(ruleset(big)).best
    assert best is not None
    assert len(best.events) <= 1000
