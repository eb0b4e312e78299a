"""Conditions: operators, missing and mixed-kind semantics, plain-data round trips."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual import Attr, Event, Lead, Prop, ValidationError, all_of, any_of
from leadqual.conditions import MAX_MATCH_TEXT, AllOf, Condition, Not, condition_from_dict
from leadqual.testing import conditions, events, leads

AT = datetime(2026, 11, 2, tzinfo=timezone.utc)
LEAD = Lead(
    "L-1",
    email="Ana@Acme.com",
    attributes={
        "title": "VP Marketing",
        "employees": 400,
        "revenue": 1.5e6,
        "industry": "software",
        "tags": ["saas", "eu", 3],
        "verified": True,
        "hq": {"country": "DE", "city": "Berlin"},
        "budget": None,
    },
)
EVENT = Event(
    "L-1",
    "page_view",
    at=AT,
    properties={"url": "/pricing/team", "utm": {"source": "linkedin"}, "seconds": 42},
)


def holds(condition: Condition) -> bool:
    return condition.test(LEAD, EVENT)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Attr("employees") == 400, True),
        (Attr("employees") == 400.0, True),
        (Attr("employees") == "400", False),
        (Attr("employees") != 400, False),
        (Attr("employees") != 401, True),
        (Attr("employees") != "x", False),  # mixed kinds are never equal nor unequal
        (Attr("verified") == True, True),  # noqa: E712
        (Attr("verified") == 1, False),  # a boolean is not the number 1
        (Attr("employees") > 399, True),
        (Attr("employees") >= 400, True),
        (Attr("employees") < 400, False),
        (Attr("employees") <= 400, True),
        (Attr("revenue") > 1_000_000, True),
        (Attr("title") > "A", True),  # strings order lexicographically
        (Attr("title") > 5, False),  # a string and a number do not order
        (Attr("employees").between(50, 5000), True),
        (Attr("employees").between(400, 400), True),
        (Attr("employees").between(401, 5000), False),
        (Attr("industry").is_in(["software", "fintech"]), True),
        (Attr("industry").is_in(["retail"]), False),
        (Attr("employees").is_in(["400"]), False),
        (Attr("industry").not_in(["retail"]), True),
        (Attr("industry").not_in(["software"]), False),
        (Attr("title").contains("Market"), True),
        (Attr("tags").contains("eu"), True),
        (Attr("tags").contains(3), True),
        (Attr("tags").contains("3"), False),
        (Attr("employees").contains("4"), False),
        (Attr("title").startswith("VP"), True),
        (Attr("title").startswith(["CEO", "VP"]), True),
        (Attr("email").endswith(".com"), True),
        (Attr("email").endswith(".edu"), False),
        (Attr("title").matches(r"(?i)\bvp\b"), True),
        (Attr("title").matches(r"^vp"), False),
        (Attr("hq.country") == "DE", True),
        (Attr("id") == "L-1", True),
        (Attr("title").exists(), True),
        (Prop("url").startswith("/pricing"), True),
        (Prop("utm.source") == "linkedin", True),
        (Prop("seconds") >= 30, True),
    ],
    ids=str,
)
def test_operators(condition: Condition, expected: bool) -> None:
    assert holds(condition) is expected


@pytest.mark.parametrize(
    "condition",
    [
        Attr("nope") == 1,
        Attr("nope") != 1,
        Attr("nope") < 1,
        Attr("nope").between(0, 9),
        Attr("nope").is_in([1]),
        Attr("nope").not_in([1]),
        Attr("nope").contains("x"),
        Attr("nope").startswith("x"),
        Attr("nope").matches("x"),
        Attr("nope").exists(),
        Attr("budget").exists(),  # present but null
        Attr("budget") != 5,
        Attr("budget").not_in([5]),
        Attr("hq.zip") == "1",
        Attr("title.x") == "1",  # a string has no fields
        Prop("nope") == 1,
    ],
    ids=str,
)
def test_missing_or_null_fields_make_every_comparison_false(condition: Condition) -> None:
    assert holds(condition) is False
    assert holds(~condition) is True


def test_prop_without_an_event_and_attr_without_a_lead_are_missing() -> None:
    assert (Prop("url").exists()).test(LEAD) is False
    assert (Attr("title").exists()).test(None, EVENT) is False


def test_combinators() -> None:
    yes, no = Attr("employees") > 1, Attr("employees") < 1
    assert holds(yes & yes)
    assert not holds(yes & no)
    assert holds(yes | no)
    assert not holds(no | no)
    assert holds(~no)
    assert not holds(~yes)
    assert holds(all_of(yes, yes, yes))
    assert not holds(all_of(yes, no))
    assert holds(any_of(no, no, yes))
    assert not holds(any_of(no))
    # & and | flatten, so long chains stay one level deep
    assert (yes & yes & no) == AllOf((yes, yes, no))


def test_readable_strings() -> None:
    assert str(Attr("employees").between(50, 5000)) == "employees between 50 and 5000"
    assert str(Attr("industry").is_in(["a", "b"])) == 'industry in ["a", "b"]'
    assert str(Prop("url").startswith("/pricing")) == 'event.url starts with "/pricing"'
    assert str(Attr("x") >= 3) == "x >= 3"
    assert str(~Attr("x").exists()) == "not (x exists)"
    assert str((Attr("a") == 1) | (Attr("b") == 2)) == "(a == 1) or (b == 2)"


class TestValidation:
    @pytest.mark.parametrize(
        "build",
        [
            lambda: Attr("x") == None,  # noqa: E711
            lambda: Attr("x") == [1],
            lambda: Attr("x") < True,
            lambda: Attr("x").between(10, 1),
            lambda: Attr("x").between(1, "z"),
            lambda: Attr("x").is_in([]),
            lambda: Attr("x").is_in("abc"),
            lambda: Attr("x").startswith(5),
            lambda: Attr("x").matches("("),
            lambda: Attr("x").matches(r"(a+)+$"),
            lambda: Attr("x").matches(r"(\w+\s?)*$"),
            lambda: Attr("x").matches(r"(.*,){20}"),
            lambda: Attr(""),
            lambda: Attr("a..b"),
        ],
    )
    def test_bad_conditions_fail_when_built(self, build: object) -> None:
        with pytest.raises(ValidationError):
            build()  # type: ignore[operator]

    def test_error_names_the_field(self) -> None:
        with pytest.raises(ValidationError) as info:
            Attr("title").matches("(unclosed")
        assert info.value.field == "title.value"
        assert info.value.value == "(unclosed"

    @pytest.mark.parametrize(
        ("data", "path"),
        [
            ({"attr": "x", "op": "bigger", "value": 1}, "condition.op"),
            ({"attr": "x", "op": "eq"}, "condition.value"),
            ({"attr": "x", "op": "eq", "value": 1, "extra": 2}, "condition.extra"),
            ({"attr": "x", "prop": "y", "op": "exists"}, "condition"),
            ({"all": []}, "condition.all"),
            ({"all": [{"attr": "x", "op": "lt", "value": [1]}]}, "condition.all[0].value"),
            ({"any": [{"not": {"attr": "", "op": "exists"}}]}, "condition.any[0].not.attr"),
            ({"not": {"attr": "x", "op": "exists"}, "all": []}, "condition"),
            ("x == 1", "condition"),
        ],
    )
    def test_from_dict_reports_the_path(self, data: object, path: str) -> None:
        with pytest.raises(ValidationError) as info:
            condition_from_dict(data)
        assert info.value.field == path

    def test_safe_regex_forms_are_accepted(self) -> None:
        for pattern in [r"(?i)\b(vp|director|head)\b", r"^\d{1,3}\.\d{1,3}$", r"^.*@.*\.edu$"]:
            Attr("x").matches(pattern)


def test_matches_is_bounded_on_hostile_input() -> None:
    # Polynomial backtracking on a huge value stays fast because only the start is read.
    cond = Attr("t").matches(r"\s*b")  # quadratic under search() without the bound
    hostile = Lead("L", attributes={"t": " " * 5_000_000 + "a"})
    start = time.perf_counter()
    assert cond.test(hostile) is False
    assert time.perf_counter() - start < 5  # generous bound: a hang would take hours
    # The bound is documented and real: a match beyond it is not seen.
    late = Lead("L", attributes={"t": "x" * MAX_MATCH_TEXT + "needle"})
    assert Attr("t").matches("needle").test(late) is False
    early = Lead("L", attributes={"t": "x" * (MAX_MATCH_TEXT - 6) + "needle"})
    assert Attr("t").matches("needle").test(early) is True


@given(conditions())
def test_to_dict_round_trip(condition: Condition) -> None:
    data = condition.to_dict()
    back = condition_from_dict(data)
    assert back == condition
    assert back.to_dict() == data
    assert str(back) == str(condition)


@given(conditions(), leads(ids=["L-1"]), events())
def test_round_trip_preserves_behaviour(condition: Condition, lead: Lead, event: Event) -> None:
    back = condition_from_dict(condition.to_dict())
    assert back.test(lead, event) == condition.test(lead, event)
    assert Not(condition).test(lead, event) != condition.test(lead, event)


@given(conditions(), leads(ids=["L-1"]), events(), st.booleans())
def test_never_raises_on_any_lead(
    condition: Condition, lead: Lead, event: Event, with_event: bool
) -> None:
    result = condition.test(lead, event if with_event else None)
    assert isinstance(result, bool)


@given(conditions(), conditions(), leads(ids=["L-1"]), events())
def test_combinators_follow_boolean_logic(a: Condition, b: Condition, lead: Lead, e: Event) -> None:
    x, y = a.test(lead, e), b.test(lead, e)
    assert (a & b).test(lead, e) == (x and y)
    assert (a | b).test(lead, e) == (x or y)
    assert (~a).test(lead, e) == (not x)


def test_ignore_case() -> None:
    assert holds(Attr("industry").equals("SOFTWARE", ignore_case=True))
    assert not holds(Attr("industry") == "SOFTWARE")
    assert holds(Attr("industry").is_in(["Retail", "Software"], ignore_case=True))
    assert not holds(Attr("industry").not_in(["SOFTWARE"], ignore_case=True))
    assert holds(Attr("email").endswith(".COM", ignore_case=True))
    assert holds(Attr("title").startswith("vp", ignore_case=True))
    assert holds(Attr("tags").contains("EU", ignore_case=True))
    assert not holds(Attr("employees").equals("400", ignore_case=True))  # kinds still count
    cond = Attr("industry").is_in(["Software"], ignore_case=True)
    assert str(cond) == 'industry in ["Software"] (ignoring case)'
    assert cond.to_dict() == {
        "attr": "industry",
        "op": "in",
        "value": ["Software"],
        "ignore_case": True,
    }
    assert condition_from_dict(cond.to_dict()) == cond
    matches = Attr("title").matches("x").to_dict()
    with pytest.raises(ValidationError, match="does not apply"):
        condition_from_dict({**matches, "ignore_case": True})
    with pytest.raises(ValidationError, match="expected true or false"):
        condition_from_dict({"attr": "x", "op": "eq", "value": "a", "ignore_case": "yes"})


def test_fields_lists_what_a_condition_reads() -> None:
    cond = (Attr("title") == "x") & ~(Prop("utm.source") == "y")
    assert list(cond.fields()) == [("attr", "title"), ("prop", "utm.source")]


def test_conditions_have_no_truth_value() -> None:
    # A chained comparison would silently keep only its second half; refuse it loudly.
    with pytest.raises(TypeError, match="no truth value"):
        _ = 50 <= Attr("employees") <= 5000  # type: ignore[operator]
    with pytest.raises(TypeError):
        bool(Attr("x") == 1)
    with pytest.raises(TypeError):
        _ = (Attr("x") == 1) and (Attr("y") == 2)


def test_not_in_and_ne_agree_on_other_kinds() -> None:
    lead = Lead("L", attributes={"country": 49})
    assert (Attr("country") != "US").test(lead) is False
    assert Attr("country").not_in(["US"]).test(lead) is False
    assert Attr("country").not_in(["US", 1]).test(lead) is True


@pytest.mark.parametrize(
    "pattern",
    [
        r"(.*a){5}x",
        r"(a|ab)*c",
        r"(?:xy|x)+z",
        r".*a.*b.*c",
        r"^a*a*a*a*b",
        r"(?>(a+)+b)",  # an atomic group still backtracks inside itself
        r"(?:a{0,16}){0,16}b",  # small bounds nest too
        r"a?" * 9,
        r"(?:ab|\wb)" * 27 + "$",  # alternatives multiply even outside a repeat
        r"^a?a?a?a?a?a?a?a?a*a*a*$",  # within each count, but not in product
        r"a{99999999999}",  # too large to compile
    ],
)
def test_patterns_that_could_backtrack_for_long_are_refused(pattern: str) -> None:
    with pytest.raises(ValidationError, match=r"backtrack|too large"):
        Attr("t").matches(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^\w+@\w+\.\w+$",
        r"^/pricing.*",
        r"(?i)\b(vp|vice president)\b",
        r"(ab){3}",
        r"(?>a+)+b",
        r".*@.*\.edu",
    ],
)
def test_common_patterns_are_accepted(pattern: str) -> None:
    Attr("t").matches(pattern)


@pytest.mark.parametrize("pattern", [r".*a.*x", r"^.*a.*a.*x", r"a*a*(?:b|c)"])
def test_worst_allowed_patterns_stay_fast(pattern: str) -> None:
    cond = Attr("t").matches(pattern)  # as many repeats as allowed
    hostile = Lead("L", attributes={"t": "a" * 100_000})
    start = time.perf_counter()
    assert cond.test(hostile) is False
    assert time.perf_counter() - start < 10  # about 0.02 s here; unbounded it takes hours


@pytest.mark.parametrize(
    "build",
    [
        lambda: Attr("x").matches("a").__class__("attr", "x", "matches", "a", ignore_case=True),
        lambda: condition_from_dict({"attr": "x", "op": "gt", "value": "a", "ignore_case": True}),
        lambda: condition_from_dict({"attr": "x", "op": "eq", "value": 5, "ignore_case": True}),
        lambda: Attr("x").is_in([1, 2], ignore_case=True),
    ],
)
def test_ignore_case_only_where_it_means_something(build: object) -> None:
    with pytest.raises(ValidationError, match="ignore_case"):
        build()  # type: ignore[operator]


def test_from_dict_with_odd_keys_raises_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        condition_from_dict({"attr": "x", "op": "exists", 1: "a", "b": 2})


def test_conditions_compare_values_by_json_kind() -> None:
    assert (Attr("partner") == True) != (Attr("partner") == 1)  # noqa: E712
    assert (Attr("n") == 1) == (Attr("n") == 1.0)
    assert hash(Attr("n") == 1) == hash(Attr("n") == 1.0)
    assert len({Attr("partner") == True, Attr("partner") == 1}) == 2  # noqa: E712


def test_test_refuses_what_is_not_a_lead_or_an_event() -> None:
    with pytest.raises(ValidationError) as info:
        (Attr("x") == 1).test({"x": 1})  # type: ignore[arg-type]
    assert info.value.field == "lead"
    with pytest.raises(ValidationError):
        all_of(Attr("x") == 1).test(LEAD, "event")  # type: ignore[arg-type]
