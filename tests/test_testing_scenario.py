"""Scenario helpers and assertion helpers (leadqual.testing)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import leadqual as lq
from leadqual import ValidationError
from leadqual.testing import (
    DEFAULT_NOW,
    assert_contribution,
    assert_path,
    assert_score,
    assert_stage,
    scenario,
)

RULES = lq.default_ruleset()
UTC = timezone.utc


def engaged_vp() -> lq.testing.Scenario:
    return (
        scenario(RULES)
        .lead(title="VP Sales", employees=300, industry="software")
        .after("content_download", days_ago=3)
        .after("webinar_attended", days_ago=2)
        .after("email_click", days_ago=1, times=2)
    )


class TestBuilding:
    def test_events_land_where_the_words_say(self) -> None:
        s = scenario(RULES).after("email_click", days_ago=3, times=3, every=timedelta(hours=2))
        moments = [e.at for e in s.events]
        last = DEFAULT_NOW - timedelta(days=3)
        assert moments == [last - timedelta(hours=4), last - timedelta(hours=2), last]
        assert len({e.id for e in s.events}) == 3  # each its own id

    def test_properties_as_keywords_and_mapping(self) -> None:
        s = scenario(RULES).after("page_view", properties={"utm.source": "ads"}, url="/pricing")
        assert dict(s.events[0].properties) == {"utm.source": "ads", "url": "/pricing"}

    def test_steps_return_new_scenarios(self) -> None:
        base = scenario(RULES).lead(title="Analyst")
        one = base.after("content_download")
        assert base.events == ()
        assert len(one.events) == 1
        assert base.lead_value.attributes == {"title": "Analyst"}

    def test_events_follow_the_lead_to_a_new_id(self) -> None:
        s = scenario(RULES).after("content_download").lead("L-9", title="CTO")
        assert s.lead_value.id == "L-9"
        assert {e.lead_id for e in s.events} == {"L-9"}
        assert s.qualify().score.engagement > 0

    def test_events_after_now_are_not_yet_counted(self) -> None:
        s = scenario(RULES).after("demo_request", at=DEFAULT_NOW + timedelta(days=1))
        assert s.score == 0
        assert s.later(days=2).score > 0

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"times": 0}, "times"),
            ({"times": True}, "times"),
            ({"days_ago": "3"}, "days_ago"),
            ({"every": 3}, "every"),
            ({"at": DEFAULT_NOW, "days_ago": 1}, "at"),
        ],
    )
    def test_bad_steps_name_the_field(self, kwargs: dict[str, object], field: str) -> None:
        with pytest.raises(ValidationError) as info:
            scenario(RULES).after("content_download", **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field

    def test_rules_from_a_path_or_a_qualifier(self, tmp_path: object) -> None:
        from pathlib import Path

        path = Path(str(tmp_path)) / "rules.toml"
        lq.dump(RULES, path)
        by_path = scenario(path).after("content_download").score
        by_qualifier = scenario(RULES.qualifier()).after("content_download").score
        assert by_path == by_qualifier > 0
        with pytest.raises(ValidationError):
            scenario(42)  # type: ignore[arg-type]


class TestExpectations:
    def test_a_true_expectation_returns_the_scenario(self) -> None:
        s = engaged_vp()
        assert s.expect_stage("MQL") is s
        s.expect_path("IQL", "MQL").expect_contribution("senior-title", 15)
        s.expect_contribution("content-download").expect_score(at_least=100, at_most=120)
        s.expect_grade("A").expect_framework("unknown")

    def test_a_false_expectation_explains_the_lead(self) -> None:
        s = scenario(RULES).lead(title="Analyst").after("content_download")
        with pytest.raises(AssertionError) as info:
            s.expect_stage("MQL")
        message = str(info.value)
        assert message.startswith("expected L-1 in MQL, but it is in IQL")
        assert "score 30" in message
        assert "content-download" in message

    def test_score_expectations(self) -> None:
        s = scenario(RULES).after("content_download")
        s.expect_score(30)
        with pytest.raises(AssertionError, match="expected a score 31, got 30"):
            s.expect_score(31)
        with pytest.raises(AssertionError, match="at least 40"):
            s.expect_score(at_least=40)
        with pytest.raises(AssertionError, match="at most 20"):
            s.expect_score(at_most=20)
        with pytest.raises(ValidationError):
            s.expect_score()

    def test_contribution_expectations(self) -> None:
        s = scenario(RULES).after("email_click", times=7)
        s.expect_contribution("email-click", 50)  # capped at 50
        with pytest.raises(AssertionError, match="rule 'email-click' to add 70, got 50"):
            s.expect_contribution("email-click", 70)
        with pytest.raises(AssertionError, match="added nothing"):
            s.expect_contribution("content-download")
        s.expect_contribution("content-download", 0)
        with pytest.raises(ValidationError, match="no such rule"):
            s.expect_contribution("email-clicks", 50)

    def test_a_misspelt_stage_is_an_error_not_a_failure(self) -> None:
        with pytest.raises(ValidationError):
            scenario(RULES).expect_stage("MQLL")
        with pytest.raises(ValidationError):
            scenario(RULES).decide("SQLL")

    def test_decisions(self) -> None:
        s = engaged_vp().decide("NURTURE", hours_ago=1, reason="no budget this year")
        s.expect_stage("NURTURE").expect_path("IQL", "MQL", "NURTURE")
        # a move the funnel does not allow then is kept as void, with the reason
        result = scenario(RULES).decide("CUSTOMER").qualify()
        assert result.stage == "IQL"
        assert [d.target for d, _ in result.void] == ["CUSTOMER"]

    def test_framework_expectation(self) -> None:
        s = scenario(RULES).lead(
            title="VP Sales",
            budget=50_000,
            pain_points=["slow pipeline"],
            purchase_date="2026-02-01",
        )
        s.expect_framework("pass")
        with pytest.raises(AssertionError, match="to fail, got pass"):
            s.expect_framework("fail")
        with pytest.raises(ValidationError):
            s.expect_framework("maybe")

    def test_now_moves_the_decay(self) -> None:
        s = scenario(RULES, now=datetime(2026, 6, 1, tzinfo=UTC)).after("content_download")
        assert s.score == pytest.approx(30)
        assert s.later(days=90).score == pytest.approx(15)


class TestAssertionHelpers:
    def test_on_an_engine_result(self) -> None:
        engine = lq.Engine(RULES)
        engine.add_lead(lq.Lead("L-1", attributes={"title": "Head of IT"}))
        engine.apply(lq.Event("L-1", "demo_request", at=DEFAULT_NOW))
        result = engine.get("L-1")
        assert_stage(result, "IQL")
        assert_path(result, "IQL")
        assert_score(result, equals=55)
        assert_contribution(result, "demo-request", 40)
        assert_contribution(result, "senior-title", at_least=15, at_most=15)
        with pytest.raises(AssertionError, match="go IQL -> MQL, but it went IQL"):
            assert_path(result, "IQL", "MQL")

    def test_refuses_what_is_not_a_result(self) -> None:
        with pytest.raises(ValidationError):
            assert_stage("MQL", "MQL")  # type: ignore[arg-type]
        result = scenario(RULES).qualify()
        with pytest.raises(ValidationError):
            assert_score(result, at_least="ten")  # type: ignore[arg-type]
