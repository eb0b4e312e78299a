"""PointsModel: documented behaviour, one example per rule option."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import leadqual as lq
from leadqual import (
    Attr,
    EngagementRule,
    Event,
    Expire,
    FitRule,
    HalfLife,
    Lead,
    Linear,
    NoDecay,
    PointsModel,
    Prop,
    Schedule,
    ValidationError,
)
from leadqual.errors import DuplicateEventError

UTC = timezone.utc
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
LEAD = Lead("L-1", email="ana@acme.com", attributes={"title": "VP Sales", "employees": 400})


def ev(type_: str, days_ago: float, **kw: object) -> Event:
    return Event("L-1", type_, at=NOW - timedelta(days=days_ago), **kw)  # type: ignore[arg-type]


def score(model: PointsModel, events: list[Event], as_of: datetime = NOW) -> lq.Score:
    return model.score(LEAD, events, as_of=as_of)


class TestFit:
    def test_fit_rule_counts_once_per_lead(self) -> None:
        model = PointsModel(fit=[FitRule("mid-market", Attr("employees").between(50, 5000), 10)])
        s = score(model, [ev("x", 1), ev("x", 2)])
        assert (s.total, s.fit, s.engagement) == (10, 10, 0)
        (c,) = s.breakdown
        assert (c.rule, c.points, c.attribute, c.kind, c.event) == (
            "mid-market",
            10,
            "employees",
            "fit",
            None,
        )

    def test_fit_rule_that_does_not_hold_contributes_nothing(self) -> None:
        model = PointsModel(fit=[FitRule("student", Attr("email").endswith(".edu"), -20)])
        assert score(model, []).breakdown == ()

    def test_fit_rules_may_not_read_events(self) -> None:
        with pytest.raises(ValidationError, match="reads the lead only"):
            FitRule("bad", Prop("url") == "/", 5)


class TestEngagement:
    def test_points_per_matching_event(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        s = score(model, [ev("email_click", 1), ev("email_click", 2), ev("page_view", 1)])
        assert s.total == 20
        assert [c.event.type for c in s.breakdown if c.event] == ["email_click"] * 2

    def test_where_filters_on_event_properties(self) -> None:
        rule = EngagementRule("pricing", "page_view", 15, where=Prop("url").startswith("/pricing"))
        s = score(
            PointsModel(engagement=[rule]),
            [ev("page_view", 1, properties={"url": "/pricing"}), ev("page_view", 1)],
        )
        assert s.total == 15

    def test_negative_points(self) -> None:
        model = PointsModel(engagement=[EngagementRule("unsub", "email_unsubscribe", -50)])
        assert score(model, [ev("email_unsubscribe", 3)]).total == -50

    def test_several_rules_may_count_one_event(self) -> None:
        model = PointsModel(
            engagement=[
                EngagementRule("any-view", "page_view", 1),
                EngagementRule("pricing", "page_view", 15, where=Prop("url") == "/pricing"),
            ]
        )
        assert score(model, [ev("page_view", 1, properties={"url": "/pricing"})]).total == 16

    def test_events_after_as_of_are_ignored(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        events = [ev("email_click", 5), ev("email_click", -1)]  # the second is in the future
        assert score(model, events).total == 10
        assert score(model, events, as_of=NOW + timedelta(days=2)).total == 20

    def test_max_times_counts_the_most_recent(self) -> None:
        model = PointsModel(
            engagement=[EngagementRule("ebook", "content_download", 30, max_times=2)],
            decay=HalfLife(days=10),
        )
        events = [ev("content_download", d, id=f"e{d}") for d in (1, 20, 40)]
        s = score(model, events)
        counted = [c.event.id for c in s.breakdown if c.event is not None]
        assert counted == ["e20", "e1"]  # time order, the oldest dropped
        note = s.breakdown[-1]
        assert note.points == 0
        assert "1 more event not counted" in note.reason
        assert s.total == pytest.approx(30 * 0.5 ** (1 / 10) + 30 * 0.5 ** (20 / 10))

    def test_max_points_caps_the_rule_and_shows_the_cut(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10, max_points=25)])
        s = score(model, [ev("email_click", d) for d in (1, 2, 3)])
        assert s.total == 25
        cap = s.breakdown[-1]
        assert (cap.rule, cap.points, cap.kind) == ("click", -5, "engagement")
        assert "capped at 25" in cap.reason
        assert s.engagement == 25

    def test_max_points_bounds_negative_rules_too(self) -> None:
        model = PointsModel(engagement=[EngagementRule("bounce", "bounce", -20, max_points=30)])
        assert score(model, [ev("bounce", 1), ev("bounce", 2)]).total == -30

    def test_max_per_day_counts_a_refreshed_page_once(self) -> None:
        rule = EngagementRule("pricing", "page_view", 15, max_per_day=1)
        day = datetime(2026, 11, 20, 9, tzinfo=UTC)
        refreshes = [Event("L-1", "page_view", at=day + timedelta(seconds=i)) for i in range(50)]
        next_day = Event("L-1", "page_view", at=day + timedelta(days=1))
        s = score(PointsModel(engagement=[rule]), [*refreshes, next_day])
        assert s.total == 30
        assert "49 more events not counted (at most 1 a day)" in s.breakdown[-1].reason

    def test_max_per_day_uses_utc_calendar_days(self) -> None:
        rule = EngagementRule("v", "page_view", 1, max_per_day=1)
        new_york = timezone(timedelta(hours=-5))
        # 2026-11-20 20:00-05:00 is 2026-11-21 01:00 UTC: a different UTC day from the first.
        events = [
            Event("L-1", "page_view", at=datetime(2026, 11, 20, 18, tzinfo=new_york)),
            Event("L-1", "page_view", at=datetime(2026, 11, 20, 20, tzinfo=new_york)),
        ]
        assert score(PointsModel(engagement=[rule]), events).total == 2

    def test_within_counts_only_recent_events(self) -> None:
        rule = EngagementRule("pricing", "page_view", 15, within=timedelta(days=30))
        model = PointsModel(engagement=[rule])
        assert score(model, [ev("page_view", 29), ev("page_view", 31)]).total == 15
        assert score(model, [ev("page_view", 30)]).total == 15  # no older than: inclusive

    def test_caps_apply_in_documented_order(self) -> None:
        # within, then per day, then max_times, then decay, then max_points
        rule = EngagementRule(
            "v",
            "page_view",
            10,
            within=timedelta(days=10),
            max_per_day=1,
            max_times=2,
            max_points=15,
        )
        events = [ev("page_view", d) for d in (1, 1.01, 2, 3, 20)]
        s = score(PointsModel(engagement=[rule]), events)
        assert s.total == 15
        assert sum(1 for c in s.breakdown if c.event is not None) == 2


class TestDecay:
    def test_half_life(self) -> None:
        model = PointsModel(
            engagement=[EngagementRule("e", "content_download", 40)], decay=HalfLife(days=30)
        )
        assert score(model, [ev("content_download", 30)]).total == pytest.approx(20)
        assert score(model, [ev("content_download", 60)]).total == pytest.approx(10)

    def test_linear_never_goes_below_zero_for_an_event(self) -> None:
        model = PointsModel(
            engagement=[
                EngagementRule("e", "content_download", 10),
                EngagementRule("u", "email_unsubscribe", -10),
            ],
            decay=Linear(points_per_day=1),
        )
        assert score(model, [ev("content_download", 4)]).total == pytest.approx(6)
        assert score(model, [ev("content_download", 40)]).total == 0
        assert score(model, [ev("email_unsubscribe", 4)]).total == pytest.approx(-6)
        assert score(model, [ev("email_unsubscribe", 40)]).total == 0

    def test_expire(self) -> None:
        model = PointsModel(
            engagement=[EngagementRule("e", "x", 10)], decay=Expire(after=timedelta(days=7))
        )
        assert score(model, [ev("x", 7)]).total == 10
        assert score(model, [ev("x", 7.01)]).total == 0

    def test_schedule(self) -> None:
        decay = Schedule([(timedelta(days=45), 0.5), (timedelta(days=90), 0.0)])
        model = PointsModel(engagement=[EngagementRule("e", "x", 30)], decay=decay)
        assert [score(model, [ev("x", d)]).total for d in (44, 45, 89, 90)] == [30, 15, 15, 0]

    def test_decay_applies_to_engagement_only(self) -> None:
        model = PointsModel(
            fit=[FitRule("big", Attr("employees") > 100, 10)],
            engagement=[EngagementRule("e", "x", 10)],
            decay=HalfLife(days=1),
        )
        s = score(model, [ev("x", 1)])
        assert s.fit == 10
        assert s.engagement == pytest.approx(5)

    def test_rule_decay_overrides_the_model(self) -> None:
        model = PointsModel(
            engagement=[
                EngagementRule("slow", "a", 10, decay=HalfLife(days=100)),
                EngagementRule("never", "b", 10, decay=NoDecay()),
                EngagementRule("model", "c", 10),
            ],
            decay=HalfLife(days=1),
        )
        s = score(model, [ev("a", 1), ev("b", 1), ev("c", 1)])
        assert s.by_rule() == pytest.approx(
            {"slow": 10 * 0.5 ** (1 / 100), "never": 10, "model": 5}
        )

    @pytest.mark.parametrize(
        "build",
        [
            lambda: HalfLife(days=0),
            lambda: HalfLife(days="30"),
            lambda: Linear(points_per_day=-1),
            lambda: Expire(after=timedelta(0)),
            lambda: Schedule([]),
            lambda: Schedule([(timedelta(days=9), 0.5), (timedelta(days=3), 0.1)]),
            lambda: Schedule([(timedelta(days=9), -1)]),
        ],
    )
    def test_bad_decays_are_refused(self, build: object) -> None:
        with pytest.raises(ValidationError):
            build()  # type: ignore[operator]


class TestGroupsBoundsGrades:
    def test_group_totals_and_caps(self) -> None:
        model = PointsModel(
            engagement=[
                EngagementRule("click", "email_click", 10, group="email"),
                EngagementRule("open", "email_open", 5, group="email"),
                EngagementRule("a-demo", "demo_request", 40, group="product-a"),
            ],
            group_caps={"email": 30},
        )
        s = score(
            model,
            [ev("email_click", d) for d in (1, 2, 3)]
            + [ev("email_open", 1), ev("demo_request", 1)],
        )
        assert dict(s.groups) == {"email": 30, "product-a": 40}
        assert s.total == 70
        cap = s.breakdown[-1]
        assert (cap.rule, cap.points, cap.kind, cap.group) == (
            "group:email",
            -5,
            "engagement",
            "email",
        )
        assert s.engagement == 70

    def test_mixed_group_cap_is_an_adjustment(self) -> None:
        model = PointsModel(
            fit=[FitRule("big", Attr("employees") > 100, 20, group="a")],
            engagement=[EngagementRule("x", "x", 20, group="a")],
            group_caps={"a": 25},
        )
        s = score(model, [ev("x", 1)])
        assert (s.total, s.fit, s.engagement, s.adjustment) == (25, 20, 20, -15)

    def test_min_and_max_score(self) -> None:
        model = PointsModel(
            engagement=[EngagementRule("x", "x", 60), EngagementRule("u", "u", -80)],
            min_score=-50,
            max_score=100,
        )
        high = score(model, [ev("x", 1), ev("x", 2)])
        assert high.total == 100
        assert (high.breakdown[-1].rule, high.breakdown[-1].points) == ("max_score", -20)
        low = score(model, [ev("u", 1)])
        assert low.total == -50
        assert low.adjustment == 30

    def test_grades(self) -> None:
        grades = {"A": 40, "B": 25, "C": 10, "D": float("-inf")}
        model = PointsModel(
            fit=[
                FitRule("senior", Attr("title").matches("(?i)vp"), 15),
                FitRule("size", Attr("employees") > 100, 10),
            ],
            grades=grades,
        )
        assert score(model, []).grade == "B"
        junior = Lead("L-2", attributes={"title": "intern"})
        assert model.score(junior, [], as_of=NOW).grade == "D"
        assert PointsModel().score(LEAD, [], as_of=NOW).grade is None
        catch_all = PointsModel(fit=model.fit, grades={"A": 40, "B": 25, "D": None})
        assert catch_all.score(junior, [], as_of=NOW).grade == "D"
        no_floor = PointsModel(fit=model.fit, grades={"A": 40})
        assert no_floor.score(junior, [], as_of=NOW).grade is None

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            (
                {"fit": [FitRule("a", Attr("x") == 1, 1), FitRule("a", Attr("y") == 1, 1)]},
                "fit[1].name",
            ),
            (
                {
                    "fit": [FitRule("a", Attr("x") == 1, 1)],
                    "engagement": [EngagementRule("a", "t", 1)],
                },
                "engagement[0].name",
            ),
            ({"group_caps": {"nobody": 5}}, "group_caps.nobody"),
            ({"min_score": 10, "max_score": 5}, "min_score"),
            ({"fit": [Attr("x") == 1]}, "fit[0]"),
            ({"decay": 30}, "decay"),
            ({"grades": {"A": "high"}}, "grades.A"),
            ({"grades": {"A": 10, "B": 10}}, "grades"),
        ],
    )
    def test_model_validation(self, kwargs: dict[str, object], field: str) -> None:
        with pytest.raises(ValidationError) as info:
            PointsModel(**kwargs)  # type: ignore[arg-type]
        assert info.value.field == field

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"points": "ten"}, "r.points"),
            ({"max_times": 0}, "r.max_times"),
            ({"max_per_day": 1.5}, "r.max_per_day"),
            ({"max_points": -3}, "r.max_points"),
            ({"within": timedelta(0)}, "r.within"),
            ({"event_type": ""}, "r.event_type"),
            ({"where": "url == x"}, "r.where"),
        ],
    )
    def test_rule_validation(self, kwargs: dict[str, object], field: str) -> None:
        args: dict[str, object] = {"name": "r", "event_type": "t", "points": 1, **kwargs}
        with pytest.raises(ValidationError) as info:
            EngagementRule(**args)  # type: ignore[arg-type]
        assert info.value.field == field


class TestIncremental:
    def test_duplicate_event_ids_count_once(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        e = ev("email_click", 1, id="evt-1")
        state = model.start(LEAD)
        for _ in range(3):
            state.apply(e)
        state.apply(Event.from_dict(e.to_dict()))  # an equal copy, as a retry delivers it
        assert state.score(NOW).total == 10

    def test_different_events_with_one_id_are_refused(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        state = model.start(LEAD)
        state.apply(ev("email_click", 1, id="evt-1"))
        with pytest.raises(DuplicateEventError) as info:
            state.apply(ev("email_click", 2, id="evt-1"))
        assert info.value.value == "evt-1"
        assert state.score(NOW).total == 10  # the state is unchanged by the refused event

    def test_events_of_another_lead_are_refused(self) -> None:
        state = PointsModel().start(LEAD)
        with pytest.raises(ValidationError) as info:
            state.apply(Event("L-2", "x", at=NOW))
        assert info.value.field == "event.lead_id"
        with pytest.raises(ValidationError):
            state.apply("not an event")  # type: ignore[arg-type]

    def test_as_of_must_be_aware(self) -> None:
        with pytest.raises(ValidationError) as info:
            PointsModel().start(LEAD).score(datetime(2026, 1, 1))
        assert info.value.field == "as_of"

    def test_a_state_can_be_read_at_any_moment(self) -> None:
        model = PointsModel(engagement=[EngagementRule("x", "x", 10)], decay=HalfLife(days=10))
        state = model.start(LEAD)
        state.apply(ev("x", 10))
        assert state.score(NOW).total == pytest.approx(5)
        assert state.score(NOW - timedelta(days=10)).total == pytest.approx(10)
        assert state.score(NOW - timedelta(days=11)).total == 0
        state.apply(ev("x", 20))  # out of order
        assert state.score(NOW).total == pytest.approx(5 + 2.5)

    def test_matched_events(self) -> None:
        model = PointsModel(engagement=[EngagementRule("x", "x", 1), EngagementRule("x2", "x", 2)])
        state = model.start(LEAD)
        a, b = ev("x", 1), ev("x", 3)
        state.apply_all([a, ev("y", 2), b])
        assert state.matched_events() == (b, a)

    def test_protocols(self) -> None:
        model = PointsModel()
        assert isinstance(model, lq.ScoringModel)
        assert isinstance(model.start(LEAD), lq.ScoringState)
        assert not isinstance(object(), lq.ScoringModel)


class TestExplain:
    def test_explain_lists_every_contribution(self) -> None:
        model = PointsModel(
            fit=[FitRule("senior", Attr("title").matches("(?i)vp"), 15)],
            engagement=[EngagementRule("click", "email_click", 10, max_points=15)],
        )
        text = score(model, [ev("email_click", 1), ev("email_click", 2)]).explain()
        lines = text.splitlines()
        assert lines[0].startswith("score 30 = fit 15 + engagement 15")
        assert any("senior" in line and "+15" in line for line in lines)
        assert sum("click" in line for line in lines) == 3  # two events and the cap
        assert any("-5" in line and "capped at 15" in line for line in lines)

    def test_explain_limit_and_empty(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        text = score(model, [ev("email_click", d) for d in range(5)]).explain(limit=2)
        assert "and 3 smaller contributions" in text
        assert "(no rule applies)" in score(model, []).explain()

    def test_top(self) -> None:
        model = PointsModel(
            engagement=[EngagementRule("a", "a", 20), EngagementRule("b", "b", -30)],
        )
        s = score(model, [ev("a", 1), ev("a", 2), ev("b", 1)])
        assert [c.rule for c in s.top(1)] == ["b"]
        assert s.top_rules(2) == (("a", 40), ("b", -30))


def test_replay_state_gives_batch_models_an_incremental_form() -> None:
    model = PointsModel(engagement=[EngagementRule("x", "x", 10, max_times=2)])

    class BatchOnly:
        def score(self, lead: Lead, events: object, *, as_of: datetime) -> lq.Score:
            return model.score(lead, events, as_of=as_of)  # type: ignore[arg-type]

    state = lq.ReplayState(BatchOnly(), LEAD)
    events = [ev("x", 3, id="a"), ev("x", 1, id="b"), ev("x", 2, id="c")]
    for e in reversed(events):
        state.apply(e)
    state.apply(events[0])
    assert state.score(NOW) == model.score(LEAD, events, as_of=NOW)
    with pytest.raises(DuplicateEventError):
        state.apply(ev("x", 9, id="a"))


class TestWithoutIdIndex:
    def test_copies_still_count_once(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        state = model.start(LEAD, track_ids=False)
        first, second = ev("email_click", 1, id="a"), ev("email_click", 2, id="b")
        for e in (first, second, first, Event.from_dict(first.to_dict()), second):
            state.apply(e)
        assert state.score(NOW).total == 20

    def test_simultaneous_different_events_both_count(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        state = model.start(LEAD, track_ids=False)
        state.apply(ev("email_click", 1, id="a"))
        state.apply(ev("email_click", 1, id="b"))
        state.apply(ev("email_click", 1))
        state.apply(ev("email_click", 1))  # no id: no identity, both count
        assert state.score(NOW).total == 40

    def test_a_conflicting_id_is_not_detected(self) -> None:
        model = PointsModel(engagement=[EngagementRule("click", "email_click", 10)])
        state = model.start(LEAD, track_ids=False)
        state.apply(ev("email_click", 1, id="a"))
        state.apply(ev("email_click", 2, id="a"))  # documented: the caller guards ids
        assert state.score(NOW).total == 20


class TestScoreValue:
    def test_breakdown_is_built_when_read_and_compares_by_value(self) -> None:
        model = PointsModel(engagement=[EngagementRule("x", "x", 10)])
        lazy = model.score(LEAD, [ev("x", 1)], as_of=NOW)
        eager = lq.Score(
            total=lazy.total,
            fit=lazy.fit,
            engagement=lazy.engagement,
            breakdown=list(model.score(LEAD, [ev("x", 1)], as_of=NOW).breakdown),
            groups={},
            as_of=NOW,
        )
        assert lazy == eager
        assert hash(lazy) == hash(eager)
        assert lazy.breakdown is lazy.breakdown  # built once
        assert lazy != attrs_evolve_total(eager, 11)

    def test_breakdown_items_are_checked(self) -> None:
        with pytest.raises(ValidationError) as info:
            lq.Score(total=1, fit=1, engagement=0, breakdown=[("fit", 1)])  # type: ignore[list-item]
        assert info.value.field == "breakdown[0]"

    def test_groups_list_every_group_of_the_model(self) -> None:
        model = PointsModel(
            engagement=[
                EngagementRule("a", "a", 5, group="product-a"),
                EngagementRule("b", "b", 5, group="product-b"),
            ]
        )
        assert dict(score(model, [ev("a", 1)]).groups) == {"product-a": 5, "product-b": 0}
        assert model.groups() == ("product-a", "product-b")

    def test_explain_with_limit_zero_and_bad_counts(self) -> None:
        model = PointsModel(engagement=[EngagementRule("x", "x", 10)])
        s = score(model, [ev("x", 1), ev("x", 2)])
        text = s.explain(limit=0)
        assert "no rule applies" not in text
        assert "and 2 smaller contributions" in text
        for bad in (-1, 1.5, True):
            with pytest.raises(ValidationError):
                s.top(bad)  # type: ignore[arg-type]

    def test_explain_dates_are_utc_days(self) -> None:
        tokyo = timezone(timedelta(hours=9))
        e = Event("L-1", "x", at=datetime(2026, 11, 3, 2, tzinfo=tokyo))  # 2 Nov 17:00 UTC
        model = PointsModel(engagement=[EngagementRule("x", "x", 10)])
        assert "(event on 2026-11-02)" in model.score(LEAD, [e], as_of=NOW).explain()

    def test_a_decay_without_a_readable_name_is_named_by_class(self) -> None:
        class Halve:
            def apply(self, points: float, age_seconds: float) -> float:
                return points / 2

        rule = EngagementRule("x", "x", 10, decay=Halve())
        assert rule.describe() == "x: +10 each, Halve"
        assert score(PointsModel(engagement=[rule]), [ev("x", 1)]).total == 5


def attrs_evolve_total(s: lq.Score, total: float) -> lq.Score:
    return lq.Score(
        total=total, fit=s.fit, engagement=s.engagement, breakdown=s.breakdown, as_of=s.as_of
    )


def test_bounds_hold_exactly_despite_float_rounding() -> None:
    model = PointsModel(
        engagement=[EngagementRule("x", "x", 0.1), EngagementRule("y", "y", 0.2)],
        decay=HalfLife(days=3),
        max_score=0.3,
    )
    events = [ev("x", 0.1), ev("y", 0.2), ev("x", 0.3), ev("y", 0.05)]
    s = score(model, events)
    assert s.total == 0.3
    assert sum(c.points for c in s.breakdown) == s.total


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: PointsModel(fit=5), "fit"),  # type: ignore[arg-type]
        (lambda: PointsModel(grades=[("A",)]), "grades"),  # type: ignore[list-item]
        (lambda: PointsModel(grades=5), "grades"),  # type: ignore[arg-type]
        (lambda: Schedule(5), "decay.steps"),  # type: ignore[arg-type]
        (lambda: lq.StageMachine(5, []), "stages"),  # type: ignore[arg-type]
    ],
)
def test_wrong_shapes_are_validation_errors(build: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


def test_upper_bound_needs_decays_that_never_grow() -> None:
    grows = PointsModel(
        engagement=[EngagementRule("x", "x", 10)],
        decay=Schedule([(timedelta(days=1), 2.0)]),
    )
    state = grows.start(LEAD)
    state.apply(ev("x", 5))
    assert state.upper_bound() is None
    assert state.score(NOW).total == 20
    fades = PointsModel(engagement=[EngagementRule("x", "x", 10), EngagementRule("u", "u", -5)])
    state = fades.start(LEAD)
    state.apply_all([ev("x", 5), ev("u", 1), ev("x", 2)])
    assert state.upper_bound() == pytest.approx(20)  # raised by 1e-9 against rounding


def test_upper_bound_counts_caps_and_decay() -> None:
    model = PointsModel(
        engagement=[
            EngagementRule("ebook", "content_download", 30, max_times=2, group="content"),
            EngagementRule("webinar", "webinar", 50, group="content"),
            EngagementRule("click", "email_click", 10, max_points=20),
        ],
        group_caps={"content": 70},
        decay=HalfLife(10),
    )
    state = model.start(Lead("L-1"))
    state.apply_all([ev("content_download", 20 - i) for i in range(4)])  # 4 x 30
    state.apply_all([ev("email_click", 20 - i) for i in range(5)])  # 5 x 10
    state.apply(ev("webinar", 20))
    # caps: ebook 60 (twice), webinar 50, content group 70; clicks 20
    assert state.upper_bound() == pytest.approx(90)
    # ten days after the latest event, everything counted has halved at least once
    later = NOW + timedelta(days=10)
    assert state.upper_bound(later) <= 45.000001  # type: ignore[operator]
    assert state.score(later).total <= state.upper_bound(later)  # type: ignore[operator]


@pytest.mark.parametrize(
    "build",
    [
        lambda x: FitRule("f", lq.Attr("a") == 1, points=x),
        lambda x: EngagementRule("e", "visit", points=x),
        lambda x: EngagementRule("e", "visit", 10, max_points=x),
        lambda x: PointsModel(
            engagement=[EngagementRule("e", "visit", 1, group="g")], group_caps={"g": x}
        ),
        lambda x: PointsModel(max_score=x),
        lambda x: PointsModel(min_score=-x),
        lambda x: PointsModel(grades={"A": x, "B": None}),
        lambda x: lq.ScoreAtLeast(x),
    ],
)
def test_points_beyond_a_billion_are_refused_not_turned_into_nan(build: object) -> None:
    assert callable(build)
    build(1e9)  # the largest accepted
    for too_big in (1e9 + 1, 1e308):
        with pytest.raises(ValidationError, match=r"expected points between -1e\+09 and 1e\+09"):
            build(too_big)


def test_a_rule_file_with_huge_points_names_the_rule() -> None:
    data = lq.rulesets.ruleset_to_dict(lq.default_ruleset())
    data["scoring"]["engagement"][0]["points"] = 1e308
    with pytest.raises(lq.errors.RuleSetError) as info:
        lq.rulesets.ruleset_from_dict(data)
    assert "engagement[0].points" in str(info.value)
