"""Qualification frameworks: checks, policies, presets, and the tri-state verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual import Attr, Event, Lead, Prop
from leadqual.errors import DuplicateEventError, LeadqualError, ValidationError
from leadqual.frameworks import (
    ANUM,
    BANT,
    CHAMP,
    FAINT,
    GPCTBA_CI,
    MEDDIC,
    MEDDPICC,
    Activity,
    AllPass,
    AtLeast,
    AttributeCheck,
    Authority,
    Budget,
    Check,
    CheckResult,
    ConditionCheck,
    Facts,
    Framework,
    FrameworkResult,
    FunctionCheck,
    Need,
    Policy,
    Timeline,
    Verdict,
)
from leadqual.testing import events, leads

UTC = timezone.utc
NOW = datetime(2026, 11, 24, tzinfo=UTC)
PASS, FAIL, UNKNOWN = Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN


def facts(lead_id: str = "L-1", *, email: str | None = None, **attributes: Any) -> Facts:
    return Facts(Lead(lead_id, email=email, attributes=attributes), NOW)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


# --- verdicts, facts, results -----------------------------------------------------------


class TestVerdict:
    def test_values_are_lower_case_words(self) -> None:
        assert [v.value for v in Verdict] == ["pass", "fail", "unknown"]
        assert str(Verdict.FAIL) == "fail"
        assert Verdict("unknown") is UNKNOWN


class TestFacts:
    def test_from_events_summarizes_activity_until_as_of(self) -> None:
        history = [
            Event("L-1", "page_view", at=at(3)),
            Event("L-1", "page_view", at=at(10)),
            Event("L-1", "demo_request", at=at(1)),
            Event("L-1", "demo_request", at=NOW + timedelta(seconds=1)),  # after as_of
        ]
        f = Facts.from_events(Lead("L-1"), history, as_of=NOW)
        assert f.activity["page_view"] == Activity(2, at(10), at(3))
        assert f.count("demo_request") == 1
        assert f.count("email_click") == 0
        assert set(f.activity) == {"page_view", "demo_request"}

    def test_an_event_at_as_of_counts(self) -> None:
        f = Facts.from_events(Lead("L-1"), [Event("L-1", "demo_request", at=NOW)], as_of=NOW)
        assert f.count("demo_request") == 1

    def test_duplicate_ids_count_once(self) -> None:
        e = Event("L-1", "email_click", at=at(2), id="e1")
        f = Facts.from_events(Lead("L-1"), [e, e, e], as_of=NOW)
        assert f.count("email_click") == 1

    def test_events_without_id_all_count(self) -> None:
        e = Event("L-1", "email_click", at=at(2))
        assert Facts.from_events(Lead("L-1"), [e, e], as_of=NOW).count("email_click") == 2

    def test_different_events_sharing_an_id_are_refused(self) -> None:
        first = Event("L-1", "email_click", at=at(2), id="e1")
        second = Event("L-1", "page_view", at=at(2), id="e1")
        with pytest.raises(DuplicateEventError) as info:
            Facts.from_events(Lead("L-1"), [first, second], as_of=NOW)
        assert info.value.field == "id"

    def test_events_of_another_lead_are_refused(self) -> None:
        history = [Event("L-1", "x", at=at(1)), Event("L-2", "x", at=at(1))]
        with pytest.raises(ValidationError) as info:
            Facts.from_events(Lead("L-1"), history, as_of=NOW)
        assert info.value.field == "events[1].lead_id"
        assert info.value.value == "L-2"

    def test_as_of_must_be_aware(self) -> None:
        with pytest.raises(ValidationError) as info:
            Facts.from_events(Lead("L-1"), [], as_of=datetime(2026, 11, 24))
        assert info.value.field == "as_of"
        with pytest.raises(ValidationError) as info:
            Facts(Lead("L-1"), datetime(2026, 11, 24))
        assert info.value.field == "as_of"

    @pytest.mark.parametrize(
        ("lead", "history", "field"),
        [
            ("L-1", [], "lead"),
            (Lead("L-1"), "page_view", "events"),
            (Lead("L-1"), [{"type": "x"}], "events[0]"),
        ],
    )
    def test_bad_inputs_name_the_field(self, lead: Any, history: Any, field: str) -> None:
        with pytest.raises(ValidationError) as info:
            Facts.from_events(lead, history, as_of=NOW)
        assert info.value.field == field

    def test_activity_is_read_only_and_validated(self) -> None:
        f = Facts.from_events(Lead("L-1"), [Event("L-1", "x", at=at(1))], as_of=NOW)
        with pytest.raises(TypeError):
            f.activity["y"] = Activity(1, NOW, NOW)  # type: ignore[index]
        with pytest.raises(ValidationError) as info:
            Facts(Lead("L-1"), NOW, {"x": 3})  # type: ignore[dict-item]
        assert info.value.field == "activity.x"

    def test_activity_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            Activity(0, NOW, NOW)
        assert info.value.field == "count"
        with pytest.raises(ValidationError) as info:
            Activity(1, NOW, at(1))
        assert info.value.field == "last"

    def test_attribute_reads_fields_like_conditions(self) -> None:
        f = facts(email="ana@acme.com", hq={"country": "DE"})
        assert f.attribute("email") == "ana@acme.com"
        assert f.attribute("id") == "L-1"
        assert f.attribute("hq.country") == "DE"
        assert not f.attribute("nothing")


class TestCheckResult:
    def test_evidence_is_frozen_json(self) -> None:
        evidence = {"budget": 25000, "tags": ["a"]}
        r = CheckResult("budget", PASS, "ok", evidence)
        evidence["budget"] = 1
        assert r.evidence == {"budget": 25000, "tags": ("a",)}
        with pytest.raises(TypeError):
            r.evidence["x"] = 1  # type: ignore[index]

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            (("", PASS, "ok"), "name"),
            (("x", "pass", "ok"), "verdict"),
            (("x", PASS, ""), "reason"),
            (("x", PASS, "ok", {"at": NOW}), "evidence.at"),
        ],
    )
    def test_validation_names_the_field(self, args: tuple[Any, ...], field: str) -> None:
        with pytest.raises(ValidationError) as info:
            CheckResult(*args)
        assert info.value.field == field

    def test_str(self) -> None:
        assert str(CheckResult("need", FAIL, "pain_points is []")) == (
            "need: fail (pain_points is [])"
        )


def test_builtin_checks_satisfy_the_protocol() -> None:
    checks: list[object] = [
        Budget(),
        Authority(),
        Need(),
        Timeline(),
        ConditionCheck("c", Attr("x") == 1),
        AttributeCheck("a", "a"),
        FunctionCheck("f", lambda facts: CheckResult("f", PASS, "ok")),
    ]
    assert all(isinstance(check, Check) for check in checks)
    assert not isinstance(object(), Check)


# --- Budget -----------------------------------------------------------------------------


class TestBudget:
    def test_pass_at_or_above_the_minimum(self) -> None:
        r = Budget(min_amount=10_000).evaluate(facts(budget=25000))
        assert r.verdict is PASS
        assert r.reason == "budget 25000 USD >= 10000 USD"
        assert r.evidence == {"budget": 25000, "currency": "USD"}
        assert Budget(min_amount=10_000).evaluate(facts(budget=10_000)).verdict is PASS

    def test_fail_below_the_minimum(self) -> None:
        r = Budget(min_amount=10_000).evaluate(facts(budget=5000.0))
        assert r.verdict is FAIL
        assert r.reason == "budget 5000 USD < 10000 USD"

    def test_mapping_with_currency(self) -> None:
        lead_budget = {"amount": 12000.5, "currency": "eur"}
        r = Budget(min_amount=10_000, currency="EUR").evaluate(facts(budget=lead_budget))
        assert r.verdict is PASS
        assert r.reason == "budget 12000.5 EUR >= 10000 EUR"

    def test_mapping_without_currency_is_in_the_checks_currency(self) -> None:
        r = Budget(min_amount=10_000).evaluate(facts(budget={"amount": 20000}))
        assert (r.verdict, r.reason) == (PASS, "budget 20000 USD >= 10000 USD")

    def test_another_currency_is_unknown_never_a_guess(self) -> None:
        for amount in (1, 1_000_000):
            r = Budget(min_amount=10_000).evaluate(
                facts(budget={"amount": amount, "currency": "EUR"})
            )
            assert r.verdict is UNKNOWN
            assert "not in USD" in r.reason
            assert r.evidence["currency"] == "EUR"

    @pytest.mark.parametrize("value", [None, "25k", True, ["x"], {"currency": "USD"}])
    def test_unusable_values_are_unknown(self, value: Any) -> None:
        r = Budget(min_amount=10_000).evaluate(facts(budget=value))
        assert r.verdict is UNKNOWN

    def test_missing_is_unknown(self) -> None:
        r = Budget(min_amount=10_000).evaluate(facts())
        assert (r.verdict, r.reason) == (UNKNOWN, "budget not known")

    def test_without_a_minimum_any_positive_amount_passes(self) -> None:
        assert Budget().evaluate(facts(budget=1)).verdict is PASS
        r = Budget().evaluate(facts(budget=0))
        assert (r.verdict, r.reason) == (FAIL, "budget 0 USD: nothing to spend")
        assert Budget(min_amount=0).evaluate(facts(budget=0)).verdict is PASS

    def test_renamed_attribute_and_check(self) -> None:
        check = Budget(5, attribute="deal.budget", name="money")
        r = check.evaluate(facts(deal={"budget": 7}))
        assert (r.name, r.verdict, r.reason) == ("money", PASS, "deal.budget 7 USD >= 5 USD")

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"min_amount": "ten"}, "budget.min_amount"),
            ({"min_amount": -1}, "budget.min_amount"),
            ({"currency": ""}, "budget.currency"),
            ({"attribute": ""}, "budget.attribute"),
            ({"attribute": "a..b"}, "budget.attribute"),
            ({"name": ""}, "Budget.name"),
        ],
    )
    def test_validation(self, kwargs: dict[str, Any], field: str) -> None:
        with pytest.raises(ValidationError) as info:
            Budget(**kwargs)
        assert info.value.field == field


# --- Authority --------------------------------------------------------------------------


class TestAuthority:
    @pytest.mark.parametrize(
        "title", ["VP Marketing", "Head of IT", "chief revenue officer", "Co-Founder", "SVP Sales"]
    )
    def test_authority_titles_pass(self, title: str) -> None:
        assert Authority().evaluate(facts(title=title)).verdict is PASS

    def test_reason_names_the_title_word(self) -> None:
        r = Authority().evaluate(facts(title="VP Marketing"))
        assert r.reason == 'title "VP Marketing" holds "vp"'
        assert r.evidence == {"title": "VP Marketing", "role": None}

    @pytest.mark.parametrize("title", ["Supervisor", "Engineer", "Headhunter", "Marketing Manager"])
    def test_whole_words_only(self, title: str) -> None:
        r = Authority().evaluate(facts(title=title))
        assert r.verdict is FAIL
        assert "is not an authority title" in r.reason

    def test_roles(self) -> None:
        r = Authority().evaluate(facts(role="Economic Buyer"))
        assert (r.verdict, r.reason) == (PASS, 'role "Economic Buyer" is economic_buyer')
        assert Authority().evaluate(facts(role=["user", "decision-maker"])).verdict is PASS
        r = Authority().evaluate(facts(role="user"))
        assert (r.verdict, r.reason) == (FAIL, 'role "user" is not an authority role')

    def test_a_role_rescues_a_plain_title(self) -> None:
        assert Authority().evaluate(facts(title="Engineer", role="decision_maker")).verdict is PASS

    @pytest.mark.parametrize("attributes", [{}, {"title": None}, {"title": "  ", "role": ""}])
    def test_unknown_without_title_or_role(self, attributes: dict[str, Any]) -> None:
        r = Authority().evaluate(facts(**attributes))
        assert (r.verdict, r.reason) == (UNKNOWN, "title and role not known")

    def test_custom_titles(self) -> None:
        check = Authority(titles=["managing partner"], roles=[])
        assert check.evaluate(facts(title="Managing Partner, EMEA")).verdict is PASS
        assert check.evaluate(facts(title="VP Sales")).verdict is FAIL
        assert check.titles == ("managing partner",)

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"titles": "vp"}, "authority.titles"),
            ({"titles": ["vp", ""]}, "authority.titles[1]"),
            ({"roles": [3]}, "authority.roles[0]"),
            ({"titles": [], "roles": []}, "authority.titles"),
            ({"title_attribute": ""}, "authority.title_attribute"),
        ],
    )
    def test_validation(self, kwargs: dict[str, Any], field: str) -> None:
        with pytest.raises(ValidationError) as info:
            Authority(**kwargs)
        assert info.value.field == field


# --- Need -------------------------------------------------------------------------------


class TestNeed:
    @pytest.mark.parametrize("value", [["slow reporting"], "manual lead routing", True, 2])
    def test_stated_pain_passes(self, value: Any) -> None:
        r = Need().evaluate(facts(pain_points=value))
        assert r.verdict is PASS
        assert r.reason.startswith("pain_points ")

    def test_a_signal_event_passes_and_is_named(self) -> None:
        history = [
            Event("L-1", "demo_request", at=at(2)),
            Event("L-1", "demo_request", at=at(1)),
            Event("L-1", "page_view", at=at(1)),
        ]
        f = Facts.from_events(Lead("L-1"), history, as_of=NOW)
        r = Need(signals=["demo_request", "pricing_inquiry"]).evaluate(f)
        assert (r.verdict, r.reason) == (PASS, "signal events seen: demo_request (2)")
        assert r.evidence == {"pain_points": None, "signals": {"demo_request": 2}}

    def test_a_signal_beats_an_empty_list(self) -> None:
        f = Facts.from_events(
            Lead("L-1", attributes={"pain_points": []}),
            [Event("L-1", "demo_request", at=at(1))],
            as_of=NOW,
        )
        r = Need(signals=("demo_request",)).evaluate(f)
        assert r.verdict is PASS
        assert "pain_points is []" in r.reason

    @pytest.mark.parametrize("value", [[], False, 0])
    def test_explicitly_empty_fails(self, value: Any) -> None:
        r = Need(signals=("demo_request",)).evaluate(facts(pain_points=value))
        assert r.verdict is FAIL
        assert "no signal event seen" in r.reason

    @pytest.mark.parametrize("attributes", [{}, {"pain_points": None}, {"pain_points": " "}])
    def test_unknown(self, attributes: dict[str, Any]) -> None:
        r = Need().evaluate(facts(**attributes))
        assert (r.verdict, r.reason) == (UNKNOWN, "pain_points not known")

    def test_signal_after_as_of_does_not_count(self) -> None:
        f = Facts.from_events(Lead("L-1"), [Event("L-1", "demo_request", at=at(-1))], as_of=NOW)
        assert Need(signals=("demo_request",)).evaluate(f).verdict is UNKNOWN

    def test_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            Need(signals="demo_request")
        assert info.value.field == "need.signals"
        with pytest.raises(ValidationError) as info:
            Need(pain_points_attribute="")
        assert info.value.field == "need.pain_points_attribute"


# --- Timeline ---------------------------------------------------------------------------


class TestTimeline:
    def test_purchase_date_within(self) -> None:
        r = Timeline(days=90).evaluate(facts(purchase_date="2026-12-15"))
        assert (r.verdict, r.reason) == (PASS, "purchase_date 2026-12-15 is in 21 days, within 90")
        assert r.evidence["days_until"] == 21

    def test_purchase_date_later(self) -> None:
        r = Timeline(days=30).evaluate(facts(purchase_date="2027-06-01"))
        assert (r.verdict, r.reason) == (FAIL, "purchase_date 2027-06-01 is in 189 days, beyond 30")

    def test_today_and_the_last_day_count(self) -> None:
        assert Timeline(days=1).evaluate(facts(purchase_date="2026-11-24")).verdict is PASS
        assert Timeline(days=1).evaluate(facts(purchase_date="2026-11-25")).verdict is PASS
        assert Timeline(days=1).evaluate(facts(purchase_date="2026-11-26")).verdict is FAIL

    def test_date_times_are_read_in_the_zone_of_as_of(self) -> None:
        r = Timeline(days=1).evaluate(facts(purchase_date="2026-11-25T23:30:00-02:00"))
        assert r.evidence["days_until"] == 2  # 2026-11-26 01:30 UTC
        assert r.verdict is FAIL
        assert Timeline().evaluate(facts(purchase_date="2026-12-01T10:00:00Z")).verdict is PASS

    def test_a_past_purchase_date_is_stale_so_unknown(self) -> None:
        r = Timeline().evaluate(facts(purchase_date="2026-10-01"))
        assert r.verdict is UNKNOWN
        assert (
            r.reason
            == "purchase_date 2026-10-01 passed 54 days before 2026-11-24 (stale: ask again)"
        )

    def test_timeline_days(self) -> None:
        r = Timeline(days=90).evaluate(facts(timeline_days=30))
        assert (r.verdict, r.reason) == (PASS, "timeline_days 30 <= 90")
        r = Timeline(days=90).evaluate(facts(timeline_days=120.0))
        assert (r.verdict, r.reason) == (FAIL, "timeline_days 120 > 90")

    def test_purchase_date_wins_over_timeline_days(self) -> None:
        r = Timeline().evaluate(facts(purchase_date="2027-06-01", timeline_days=10))
        assert r.verdict is FAIL

    def test_unreadable_date_falls_back_to_timeline_days(self) -> None:
        r = Timeline().evaluate(facts(purchase_date="next quarter", timeline_days=10))
        assert r.verdict is PASS

    @pytest.mark.parametrize(
        "attributes",
        [
            {},
            {"purchase_date": None, "timeline_days": None},
            {"purchase_date": "next quarter"},
            {"purchase_date": 20261215},
            {"timeline_days": -3},
            {"timeline_days": "soon"},
            {"timeline_days": True},
        ],
    )
    def test_unknown(self, attributes: dict[str, Any]) -> None:
        assert Timeline().evaluate(facts(**attributes)).verdict is UNKNOWN

    def test_missing_reason(self) -> None:
        assert Timeline().evaluate(facts()).reason == "purchase_date and timeline_days not known"

    @pytest.mark.parametrize("days", [0, -1, 2.5, True, "90"])
    def test_validation(self, days: Any) -> None:
        with pytest.raises(ValidationError) as info:
            Timeline(days=days)
        assert info.value.field == "timeline.days"


# --- ConditionCheck, AttributeCheck, FunctionCheck --------------------------------------


class TestConditionCheck:
    def test_pass_fail_unknown(self) -> None:
        check = ConditionCheck("mid-market", Attr("employees").between(50, 5000))
        r = check.evaluate(facts(employees=400))
        assert (r.verdict, r.reason) == (PASS, "employees between 50 and 5000 holds")
        assert r.evidence == {"employees": 400}
        r = check.evaluate(facts(employees=10))
        assert (r.verdict, r.reason) == (FAIL, "employees between 50 and 5000 does not hold")
        r = check.evaluate(facts())
        assert r.verdict is UNKNOWN
        assert r.reason == "employees between 50 and 5000: employees not known"
        assert check.evaluate(facts(employees=None)).verdict is UNKNOWN

    def test_a_missing_field_is_unknown_even_under_not(self) -> None:
        check = ConditionCheck("no-competitor", ~Attr("competitor").exists())
        assert check.evaluate(facts()).verdict is UNKNOWN
        assert check.evaluate(facts(competitor="X")).verdict is FAIL

    def test_decided_by_the_known_fields(self) -> None:
        either = ConditionCheck("either", (Attr("a") == 1) | (Attr("b") == 1))
        assert either.evaluate(facts(a=1)).verdict is PASS
        assert either.evaluate(facts(a=2)).verdict is UNKNOWN
        assert either.evaluate(facts(a=2, b=2)).verdict is FAIL
        both = ConditionCheck("both", (Attr("a") == 1) & (Attr("b") == 1))
        assert both.evaluate(facts(a=2)).verdict is FAIL
        assert both.evaluate(facts(a=1)).verdict is UNKNOWN
        assert both.evaluate(facts(a=1, b=1)).verdict is PASS
        r = both.evaluate(facts())
        assert r.reason.endswith(": a, b not known")

    def test_email_and_id(self) -> None:
        check = ConditionCheck("work-email", ~Attr("email").endswith(".edu"))
        assert check.evaluate(facts()).verdict is UNKNOWN
        assert check.evaluate(facts(email="a@mit.edu")).verdict is FAIL
        assert check.evaluate(facts(email="a@acme.com")).verdict is PASS
        assert ConditionCheck("id", Attr("id") == "L-1").evaluate(facts()).verdict is PASS

    def test_description_starts_the_reason(self) -> None:
        check = ConditionCheck("dach", Attr("country").is_in(["DE", "AT", "CH"]), "in DACH")
        assert check.evaluate(facts(country="DE")).reason == (
            'in DACH: yes (country in ["DE", "AT", "CH"])'
        )
        assert check.evaluate(facts(country="FR")).reason.startswith("in DACH: no (")
        assert check.evaluate(facts()).reason.startswith("in DACH: country not known (")

    def test_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            ConditionCheck("visit", Prop("url").startswith("/pricing"))
        assert info.value.field == "visit.condition"
        with pytest.raises(ValidationError) as info:
            ConditionCheck("x", "employees > 50")  # type: ignore[arg-type]
        assert info.value.field == "x.condition"
        with pytest.raises(ValidationError) as info:
            ConditionCheck("", Attr("a") == 1)
        assert info.value.field == "ConditionCheck.name"


class TestAttributeCheck:
    @pytest.mark.parametrize("value", [True, "Jane (CFO)", ["a"], {"k": 1}, 3, 0.5])
    def test_truthy_passes(self, value: Any) -> None:
        assert (
            AttributeCheck("champion", "champion").evaluate(facts(champion=value)).verdict is PASS
        )

    @pytest.mark.parametrize("value", [False, [], {}, 0, -1])
    def test_explicitly_empty_fails(self, value: Any) -> None:
        r = AttributeCheck("champion", "champion").evaluate(facts(champion=value))
        assert r.verdict is FAIL
        assert r.reason.startswith("champion is ")

    @pytest.mark.parametrize("attributes", [{}, {"champion": None}, {"champion": ""}])
    def test_missing_null_or_blank_is_unknown(self, attributes: dict[str, Any]) -> None:
        r = AttributeCheck("champion", "champion").evaluate(facts(**attributes))
        assert (r.verdict, r.reason) == (UNKNOWN, "champion not known")

    def test_reasons(self) -> None:
        check = AttributeCheck("eb", "economic_buyer", "who signs")
        assert check.evaluate(facts(economic_buyer="Jo")).reason == 'who signs: economic_buyer "Jo"'
        assert check.evaluate(facts(economic_buyer=False)).reason == (
            "who signs: economic_buyer is false"
        )
        long = check.evaluate(facts(economic_buyer="x" * 200)).reason
        assert long.endswith("...")
        assert len(long) < 100

    def test_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            AttributeCheck("metrics", "")
        assert info.value.field == "metrics.attribute"
        with pytest.raises(ValidationError) as info:
            AttributeCheck("metrics", "metrics", description=None)  # type: ignore[arg-type]
        assert info.value.field == "metrics.description"


class TestFunctionCheck:
    def test_wraps_a_callable(self) -> None:
        def engaged(f: Facts) -> CheckResult:
            n = f.count("email_click")
            return CheckResult("engaged", PASS if n >= 2 else UNKNOWN, f"{n} clicks", {"n": n})

        check = FunctionCheck("engaged", engaged)
        history = [Event("L-1", "email_click", at=at(i)) for i in (1, 2)]
        r = check.evaluate(Facts.from_events(Lead("L-1"), history, as_of=NOW))
        assert (r.verdict, r.reason) == (PASS, "2 clicks")

    def test_a_wrong_return_raises_a_clear_error(self) -> None:
        check = FunctionCheck("engaged", lambda f: True)  # type: ignore[arg-type,return-value]
        with pytest.raises(ValidationError, match="expected the function to return a CheckResult"):
            check.evaluate(facts())

    def test_a_result_of_another_name_raises(self) -> None:
        check = FunctionCheck("engaged", lambda f: CheckResult("other", PASS, "ok"))
        with pytest.raises(ValidationError) as info:
            check.evaluate(facts())
        assert info.value.field == "engaged.function"
        assert "named 'engaged', not 'other'" in str(info.value)
        assert isinstance(info.value, LeadqualError)

    def test_exceptions_of_the_function_propagate(self) -> None:
        def broken(f: Facts) -> CheckResult:
            raise RuntimeError("CRM down")

        with pytest.raises(RuntimeError, match="CRM down"):
            FunctionCheck("crm", broken).evaluate(facts())

    def test_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            FunctionCheck("f", "not callable")  # type: ignore[arg-type]
        assert info.value.field == "f.function"


# --- policies and frameworks ------------------------------------------------------------


@attrs.frozen
class Fixed:
    """A check that always answers the same (satisfies the Check protocol)."""

    name: str
    verdict: Verdict

    def evaluate(self, facts: Facts) -> CheckResult:
        return CheckResult(self.name, self.verdict, f"always {self.verdict}")


def fixed(*verdicts: Verdict) -> list[Check]:
    return [Fixed(f"c{i}", v) for i, v in enumerate(verdicts)]


def verdict_of(policy: Policy, *verdicts: Verdict) -> Verdict:
    return Framework("fw", fixed(*verdicts), policy).evaluate(facts()).verdict


class TestPolicies:
    @pytest.mark.parametrize(
        ("verdicts", "expected"),
        [
            ((PASS, PASS, PASS), PASS),
            ((PASS, UNKNOWN, PASS), UNKNOWN),
            ((PASS, UNKNOWN, FAIL), FAIL),
            ((UNKNOWN, UNKNOWN, UNKNOWN), UNKNOWN),
            ((FAIL,), FAIL),
        ],
    )
    def test_all_pass(self, verdicts: tuple[Verdict, ...], expected: Verdict) -> None:
        assert verdict_of(AllPass(), *verdicts) is expected

    @pytest.mark.parametrize(
        ("verdicts", "expected"),
        [
            ((PASS, PASS, PASS, FAIL), PASS),
            ((PASS, PASS, FAIL, UNKNOWN), UNKNOWN),
            ((PASS, FAIL, FAIL, UNKNOWN), FAIL),
            ((UNKNOWN, UNKNOWN, UNKNOWN, FAIL), UNKNOWN),
            ((UNKNOWN, UNKNOWN, FAIL, FAIL), FAIL),
            ((PASS, PASS, PASS, UNKNOWN), PASS),
        ],
    )
    def test_at_least_three_of_four(self, verdicts: tuple[Verdict, ...], expected: Verdict) -> None:
        assert verdict_of(AtLeast(3), *verdicts) is expected

    @pytest.mark.parametrize("k", [0, -1, True, 1.5, "3"])
    def test_at_least_validation(self, k: Any) -> None:
        with pytest.raises(ValidationError) as info:
            AtLeast(k)
        assert info.value.field == "k"

    def test_describe(self) -> None:
        assert AllPass().describe(4) == "all 4 checks must pass"
        assert AtLeast(3).describe(4) == "at least 3 of 4 checks must pass"


class TestFramework:
    def test_validation_names_the_field(self) -> None:
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: Framework("", fixed(PASS)), "name"),
            (lambda: Framework("fw", []), "checks"),
            (lambda: Framework("fw", Budget()), "checks"),  # type: ignore[arg-type]
            (lambda: Framework("fw", [Budget(), "need"]), "checks[1]"),  # type: ignore[list-item]
            (lambda: Framework("fw", [Budget(), Budget(5)]), "checks[1].name"),
            (lambda: Framework("fw", [Fixed("", PASS)]), "checks[0].name"),
            (lambda: Framework("fw", fixed(PASS), "all"), "policy"),  # type: ignore[arg-type]
            (lambda: Framework("fw", fixed(PASS, PASS), AtLeast(3)), "policy.k"),
        ]
        for build, field in cases:
            with pytest.raises(ValidationError) as info:
                build()
            assert info.value.field == field, field

    def test_a_check_returning_junk_is_named(self) -> None:
        class Liar:
            name = "liar"

            def evaluate(self, facts: Facts) -> CheckResult:
                return CheckResult("honest", PASS, "ok")

        fw = Framework("fw", [Budget(), Liar()])
        with pytest.raises(ValidationError) as info:
            fw.evaluate(facts())
        assert info.value.field == "checks[1]"

    def test_evaluate_wants_facts(self) -> None:
        with pytest.raises(ValidationError) as info:
            BANT().evaluate(Lead("L-1"))  # type: ignore[arg-type]
        assert info.value.field == "facts"

    def test_result_properties_and_explain(self) -> None:
        fw = Framework("fw", fixed(PASS, UNKNOWN, FAIL, UNKNOWN), AtLeast(2))
        r = fw.evaluate(facts())
        assert r.verdict is UNKNOWN
        assert not r.passed
        assert r.missing == ("c1", "c3")
        assert r.failed == ("c2",)
        assert r.result("c2").verdict is FAIL
        with pytest.raises(ValidationError, match="c9"):
            r.result("c9")
        assert r.explain().splitlines() == [
            "fw: unknown (at least 2 of 4 checks must pass: 1 pass, 1 fail, 2 unknown)",
            "  pass     c0  always pass",
            "  unknown  c1  always unknown",
            "  fail     c2  always fail",
            "  unknown  c3  always unknown",
            "  ask next: c1, c3",
        ]

    def test_with_checks_returns_a_new_framework(self) -> None:
        fw = Framework("fw", fixed(PASS), AtLeast(1))
        extended = fw.with_checks(Fixed("extra", FAIL), Fixed("more", PASS))
        assert extended.check_names() == ("c0", "extra", "more")
        assert extended.policy == AtLeast(1)
        assert fw.check_names() == ("c0",)
        with pytest.raises(ValidationError) as info:
            fw.with_checks(Fixed("c0", PASS))
        assert info.value.field == "checks[1].name"

    def test_framework_result_validation(self) -> None:
        with pytest.raises(ValidationError) as info:
            FrameworkResult("fw", PASS, ["not a result"])  # type: ignore[list-item]
        assert info.value.field == "results[0]"
        with pytest.raises(ValidationError) as info:
            FrameworkResult("fw", "pass", [])  # type: ignore[arg-type]
        assert info.value.field == "verdict"


# --- presets ----------------------------------------------------------------------------


class TestPresets:
    @pytest.mark.parametrize(
        ("preset", "name", "checks"),
        [
            (BANT, "BANT", ("budget", "authority", "need", "timeline")),
            (CHAMP, "CHAMP", ("challenges", "authority", "money", "prioritization")),
            (ANUM, "ANUM", ("authority", "need", "urgency", "money")),
            (
                MEDDIC,
                "MEDDIC",
                (
                    "metrics",
                    "economic_buyer",
                    "decision_criteria",
                    "decision_process",
                    "identify_pain",
                    "champion",
                ),
            ),
            (
                MEDDPICC,
                "MEDDPICC",
                (
                    "metrics",
                    "economic_buyer",
                    "decision_criteria",
                    "decision_process",
                    "paper_process",
                    "identify_pain",
                    "champion",
                    "competition",
                ),
            ),
            (
                GPCTBA_CI,
                "GPCTBA/C&I",
                (
                    "goals",
                    "plans",
                    "challenges",
                    "timeline",
                    "budget",
                    "authority",
                    "consequences",
                    "implications",
                ),
            ),
            (FAINT, "FAINT", ("funds", "authority", "interest", "need", "timing")),
        ],
    )
    def test_names_and_checks(
        self, preset: Callable[..., Framework], name: str, checks: tuple[str, ...]
    ) -> None:
        fw = preset()
        assert fw.name == name
        assert fw.check_names() == checks
        assert fw.policy == AllPass()
        assert preset(policy=AtLeast(2), name="mine").policy == AtLeast(2)
        assert preset(name="mine").name == "mine"

    def test_bant_end_to_end(self) -> None:
        lead = Lead(
            "L-1",
            attributes={
                "budget": 25000,
                "title": "VP Marketing",
                "purchase_date": "2026-12-15",
            },
        )
        history = [Event("L-1", "demo_request", at=at(3))]
        bant = BANT(min_budget=10_000, timeline_days=90)
        r = bant.evaluate(Facts.from_events(lead, history, as_of=NOW))
        assert r.passed
        assert r.result("need").reason == "signal events seen: demo_request (1)"
        no_demo = bant.evaluate(Facts.from_events(lead, [], as_of=NOW))
        assert no_demo.verdict is UNKNOWN
        assert no_demo.missing == ("need",)

    def test_bant_three_of_four(self) -> None:
        lead = Lead("L-1", attributes={"budget": 25000, "title": "Engineer", "timeline_days": 30})
        f = Facts.from_events(lead, [Event("L-1", "contact_sales", at=at(1))], as_of=NOW)
        assert BANT(min_budget=10_000).evaluate(f).verdict is FAIL
        r = BANT(min_budget=10_000, policy=AtLeast(3)).evaluate(f)
        assert r.passed
        assert r.failed == ("authority",)

    def test_timeline_days_none_means_the_default(self) -> None:
        timeline = BANT().checks[3]
        assert isinstance(timeline, Timeline)
        assert timeline.days == 90
        other = BANT(timeline_days=30).checks[3]
        assert isinstance(other, Timeline)
        assert other.days == 30

    def test_options_reach_the_checks(self) -> None:
        bant = BANT(
            min_budget=5,
            currency="EUR",
            authority_titles=["boss"],
            authority_roles=[],
            need_signals=[],
            attributes={"budget": "annual_budget", "pain_points": "challenges"},
        )
        budget, authority, need, _ = bant.checks
        assert budget == Budget(5, "EUR", "annual_budget")
        assert isinstance(authority, Authority)
        assert authority.titles == ("boss",)
        assert need == Need("challenges", ())

    def test_renaming_an_unknown_attribute_is_refused(self) -> None:
        with pytest.raises(ValidationError) as info:
            MEDDIC(attributes={"budget": "x"})
        assert info.value.field == "attributes.budget"
        assert "MEDDIC reads no attribute 'budget'" in str(info.value)
        with pytest.raises(ValidationError) as info:
            BANT(attributes={"budget": ""})
        assert info.value.field == "attributes.budget"

    def test_preset_option_errors_name_the_check(self) -> None:
        with pytest.raises(ValidationError) as info:
            BANT(min_budget="ten")  # type: ignore[arg-type]
        assert info.value.field == "budget.min_amount"
        with pytest.raises(ValidationError) as info:
            CHAMP(timeline_days=0)
        assert info.value.field == "prioritization.days"
        with pytest.raises(ValidationError) as info:
            BANT(policy=AtLeast(5))
        assert info.value.field == "policy.k"

    def test_meddpicc_competition_is_known_even_when_empty(self) -> None:
        fw = MEDDPICC()
        assert fw.evaluate(facts(competition=[])).result("competition").verdict is PASS
        assert fw.evaluate(facts()).result("competition").verdict is UNKNOWN

    def test_meddic_reads_descriptive_attributes(self) -> None:
        lead: dict[str, Any] = {
            "metrics": "cut churn by 20%",
            "economic_buyer": "Jo Park (CFO)",
            "decision_criteria": ["SSO", "EU hosting"],
            "decision_process": "security review, then CFO sign-off",
            "pain_points": ["churn"],
            "champion": True,
        }
        assert MEDDIC().evaluate(facts(**lead)).passed
        r = MEDDIC().evaluate(facts(**{**lead, "champion": False}))
        assert (r.verdict, r.failed) == (FAIL, ("champion",))

    def test_faint_interest_from_events(self) -> None:
        f = Facts.from_events(Lead("L-1"), [Event("L-1", "webinar_attended", at=at(1))], as_of=NOW)
        assert FAINT().evaluate(f).result("interest").verdict is PASS
        assert FAINT().evaluate(f).result("need").verdict is UNKNOWN


# --- properties -------------------------------------------------------------------------

verdicts = st.sampled_from(list(Verdict))
RANK = {FAIL: 0, UNKNOWN: 1, PASS: 2}


@st.composite
def verdict_lists_and_policies(draw: st.DrawFn) -> tuple[list[Verdict], Policy]:
    answers = draw(st.lists(verdicts, min_size=1, max_size=8))
    policy: Policy = draw(st.one_of(st.just(AllPass()), st.integers(1, len(answers)).map(AtLeast)))
    return answers, policy


def required(policy: Policy, n: int) -> int:
    return n if isinstance(policy, AllPass) else policy.k


@given(verdict_lists_and_policies())
def test_verdict_is_pass_iff_enough_checks_pass(case: tuple[list[Verdict], Policy]) -> None:
    answers, policy = case
    r = Framework("fw", fixed(*answers), policy).evaluate(facts())
    passes = answers.count(PASS)
    assert r.passed == (passes >= required(policy, len(answers)))
    assert (r.verdict is FAIL) == (passes + answers.count(UNKNOWN) < required(policy, len(answers)))


@given(verdict_lists_and_policies(), st.data())
def test_learning_that_an_unknown_passes_never_makes_the_verdict_worse(
    case: tuple[list[Verdict], Policy], data: st.DataObject
) -> None:
    answers, policy = case
    unknown = [i for i, v in enumerate(answers) if v is UNKNOWN]
    if not unknown:
        return
    i = data.draw(st.sampled_from(unknown))
    better = [*answers[:i], PASS, *answers[i + 1 :]]
    before = verdict_of(policy, *answers)
    after = verdict_of(policy, *better)
    assert RANK[after] >= RANK[before]


@given(verdict_lists_and_policies(), st.data())
def test_a_decided_verdict_stays_whatever_the_unknowns_become(
    case: tuple[list[Verdict], Policy], data: st.DataObject
) -> None:
    answers, policy = case
    before = verdict_of(policy, *answers)
    later = [data.draw(verdicts) if v is UNKNOWN else v for v in answers]
    after = verdict_of(policy, *later)
    if before is FAIL:
        assert after is FAIL
    if before is PASS:
        assert after is PASS


@given(verdict_lists_and_policies())
def test_missing_lists_exactly_the_unknown_checks(case: tuple[list[Verdict], Policy]) -> None:
    answers, policy = case
    r = Framework("fw", fixed(*answers), policy).evaluate(facts())
    assert r.missing == tuple(f"c{i}" for i, v in enumerate(answers) if v is UNKNOWN)
    assert r.failed == tuple(f"c{i}" for i, v in enumerate(answers) if v is FAIL)
    assert len(r.explain().splitlines()) == len(answers) + 1 + bool(r.missing)


# Values the framework attributes may hold on a messy CRM export.
_framework_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(
        [
            "",
            "  ",
            "VP Sales",
            "Head of IT",
            "Engineer",
            "decision_maker",
            "2026-12-15",
            "2026-01-01",
            "2026-12-15T10:00:00Z",
            "2026-12-15T10:00:00",
            "next quarter",
            "9999-12-31T23:00:00-05:00",
        ]
    ),
    st.lists(st.sampled_from(["churn", "", "manual work"]), max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "amount": st.one_of(st.integers(-5, 10**6), st.text(max_size=3), st.none()),
            "currency": st.one_of(st.sampled_from(["USD", "eur", ""]), st.integers()),
        },
    ),
)
_framework_attributes = st.dictionaries(
    st.sampled_from(
        [
            "budget",
            "title",
            "role",
            "pain_points",
            "purchase_date",
            "timeline_days",
            "metrics",
            "economic_buyer",
            "champion",
            "competition",
            "interest",
            "goals",
        ]
    ),
    _framework_values,
    max_size=8,
)


@st.composite
def lead_histories(draw: st.DrawFn) -> tuple[Lead, list[Event]]:
    """A generated lead with framework attributes, and its events (ids never clash)."""
    base = draw(leads())
    lead = base.with_attributes(**draw(_framework_attributes))
    types = ("demo_request", "content_download", "webinar_attended", "page_view", "email_click")
    drawn = draw(st.lists(events(lead_ids=(lead.id,), types=types, with_ids=None), max_size=12))
    first: dict[str, Event] = {}
    history = []
    for e in drawn:
        if e.id is not None:
            e = first.setdefault(e.id, e)  # a retry delivers the same event again
        history.append(e)
    return lead, history


AS_OFS = st.sampled_from(
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        NOW,
        datetime(2026, 7, 1, tzinfo=timezone(timedelta(hours=-8))),
    ]
)
PRESETS: Sequence[Callable[[], Framework]] = (
    lambda: BANT(min_budget=10_000),
    lambda: BANT(policy=AtLeast(3)),
    CHAMP,
    ANUM,
    MEDDIC,
    MEDDPICC,
    GPCTBA_CI,
    FAINT,
    lambda: Framework(
        "custom",
        [
            ConditionCheck("senior", Attr("title").matches(r"(?i)\bvp\b") | (Attr("budget") > 10)),
            AttributeCheck("goals", "goals"),
        ],
    ),
)


@given(lead_histories(), AS_OFS)
def test_evaluating_never_raises_on_generated_leads(
    case: tuple[Lead, list[Event]], as_of: datetime
) -> None:
    lead, history = case
    f = Facts.from_events(lead, history, as_of=as_of)
    assert sum(a.count for a in f.activity.values()) <= len(history)
    for make in PRESETS:
        fw = make()
        r = fw.evaluate(f)
        assert tuple(x.name for x in r.results) == fw.check_names()
        assert r.missing == tuple(x.name for x in r.results if x.verdict is UNKNOWN)
        assert r.verdict is fw.policy.verdict([x.verdict for x in r.results])
        assert r.explain()


@given(lead_histories(), st.randoms(use_true_random=False))
def test_facts_ignore_event_order(case: tuple[Lead, list[Event]], rnd: Any) -> None:
    lead, history = case
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert Facts.from_events(lead, history, as_of=NOW) == Facts.from_events(
        lead, shuffled, as_of=NOW
    )


def test_authority_reads_only_the_dimensions_it_is_configured_for() -> None:
    from datetime import datetime, timezone

    from leadqual import Lead
    from leadqual.frameworks import Authority, Facts, Verdict

    as_of = datetime(2026, 11, 1, tzinfo=timezone.utc)
    roles_only = Authority(titles=[], roles=["decision_maker"])
    ceo = Facts.from_events(Lead("L", attributes={"title": "CEO"}), [], as_of=as_of)
    assert roles_only.evaluate(ceo).verdict is Verdict.UNKNOWN
    titles_only = Authority(titles=["vp"], roles=[])
    clerk = Facts.from_events(Lead("L", attributes={"role": "user"}), [], as_of=as_of)
    assert titles_only.evaluate(clerk).verdict is Verdict.UNKNOWN
