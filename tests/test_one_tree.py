"""Guards and conditions are one expression tree: one set of combinators, one reading of
plain data, one text; a condition on the lead is a guard as it is."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadqual as lq
from leadqual.conditions import AllOf, AnyOf, Condition, Not, condition_from_dict
from leadqual.errors import CodecError, ValidationError
from leadqual.stages import Guard, GuardContext, guard_from_dict
from leadqual.testing import conditions, guards, leads

AT = datetime(2026, 11, 2, tzinfo=timezone.utc)
DE = lq.Lead("L-1", attributes={"country": "DE", "seats": 8})
FR = lq.Lead("L-2", attributes={"country": "FR", "seats": 8})


def _ctx(lead: lq.Lead, total: float) -> GuardContext:
    return GuardContext(lead=lead, score=lq.Score(total=total, fit=0, engagement=total), as_of=AT)


def test_a_condition_on_the_lead_joins_a_guard_as_it_is() -> None:
    guard = lq.ScoreAtLeast(100) & (lq.Attr("country") == "DE")
    assert type(guard) is AllOf
    assert guard.holds(_ctx(DE, 120))
    assert not guard.holds(_ctx(FR, 120))
    assert not guard.holds(_ctx(DE, 90))
    assert (~guard).holds(_ctx(DE, 90))
    either = lq.ScoreAtLeast(100) | (lq.Attr("seats") >= 5)
    assert type(either) is AnyOf
    assert either.holds(_ctx(FR, 0))
    assert either.explain(_ctx(FR, 0)) == "seats >= 5"
    assert (~lq.ScoreAtLeast(40)).explain(_ctx(DE, 38)) == "score 38 < 40"


def test_one_reading_of_plain_data_for_both() -> None:
    guard = lq.EventSeen("demo_request") & ~(lq.Attr("country").is_in(["FR", "BE"]))
    data = guard.to_dict()
    assert data == {
        "all": [
            {"event_seen": ["demo_request"]},
            {"not": {"attr": "country", "op": "in", "value": ["FR", "BE"]}},
        ]
    }
    assert guard_from_dict(data) == guard
    # the combinators' errors are the same for both, naming the node's kind
    with pytest.raises(ValidationError, match="expected at least one guard"):
        guard_from_dict({"any": []})
    with pytest.raises(ValidationError, match="expected at least one condition"):
        condition_from_dict({"any": []})
    # a condition cannot hold a guard's leaf: it reads no lead facts
    with pytest.raises(ValidationError, match="expected exactly one of 'attr'"):
        condition_from_dict({"score_at_least": 10})


@given(guards(max_leaves=5))
def test_every_guard_reads_back_equal_and_prints_alike(guard: Guard) -> None:
    again = guard_from_dict(guard.to_dict())
    assert again == guard
    assert str(again) == str(guard)


def test_a_guard_reads_no_event_property() -> None:
    with pytest.raises(ValidationError) as info:
        lq.Transition("MQL", "SQL", lq.ScoreAtLeast(5) & (lq.Prop("url") == "/pricing"))
    assert info.value.field == "MQL -> SQL.guard"
    with pytest.raises(ValidationError, match="not event properties"):
        guard_from_dict({"all": [{"prop": "url", "op": "eq", "value": "/x"}]})


@pytest.mark.parametrize(
    "build",
    [
        lambda: lq.FitRule("big", lq.ScoreAtLeast(5) & (lq.Attr("seats") >= 5), 10),
        lambda: lq.EngagementRule("visit", "page_view", 5, where=lq.EventSeen("demo_request")),
        lambda: lq.frameworks.ConditionCheck("fit", lq.FitAtLeast(5)),
        lambda: lq.AttrCondition(lq.NewActivity()),
    ],
    ids=["fit-rule", "engagement-where", "framework-check", "attr-condition"],
)
def test_a_guard_leaf_is_refused_where_a_lead_and_event_are_tested(build: object) -> None:
    with pytest.raises(ValidationError) as info:
        build()  # type: ignore[operator]
    assert "a guard" in info.value.problem
    assert info.value.field != "condition"  # the rule or check is named


@pytest.mark.parametrize("module", ["leadqual.stages", "leadqual.stages.guards"])
def test_the_guards_own_combinators_still_import_with_a_warning(module: str) -> None:
    import importlib

    found = {}
    for old, new in (("GuardAll", AllOf), ("GuardAny", AnyOf), ("GuardNot", Not)):
        with pytest.warns(
            DeprecationWarning, match=f"import it from leadqual.conditions as {new.__name__}"
        ):
            found[old] = getattr(importlib.import_module(module), old)
        assert found[old] is new
    both = found["GuardAll"]((lq.ScoreAtLeast(1), lq.FitAtLeast(2)))
    with pytest.warns(DeprecationWarning, match="AllOf.guards is AllOf.conditions"):
        assert both.guards == both.conditions
    with pytest.warns(DeprecationWarning, match="Not.guard is Not.condition"):
        assert (~lq.FitAtLeast(2)).guard == lq.FitAtLeast(2)


@attrs.frozen
class _OnWeekdays(Guard):
    def holds(self, ctx: GuardContext) -> bool:
        return ctx.as_of.weekday() < 5

    def __str__(self) -> str:
        return "on a weekday"


def test_a_guard_of_your_own_combines_and_runs_but_is_not_saved(tmp_path: Path) -> None:
    guard = lq.ScoreAtLeast(10) & _OnWeekdays()
    assert isinstance(guard, Condition)
    assert guard.holds(_ctx(DE, 20))  # 2026-11-02 is a Monday
    assert str(guard) == "(score >= 10) and (on a weekday)"
    machine = lq.StageMachine(
        [lq.Stage("NEW", 1), lq.Stage("HOT", 2)], [lq.Transition("NEW", "HOT", guard)]
    )
    rules = attrs.evolve(lq.default_ruleset(), stages=machine, framework=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = rules.qualifier().qualify(DE, [lq.Event("L-1", "demo_request", at=AT)], as_of=AT)
    assert q.stage == "HOT"
    with pytest.raises(CodecError) as info:
        lq.dump(rules, tmp_path / "rules.toml")
    assert "_OnWeekdays is a class of your own" in str(info.value)
    assert not (tmp_path / "rules.toml").exists()


def test_a_rule_file_with_a_bare_condition_as_a_guard_loads_and_dumps_the_same(
    tmp_path: Path,
) -> None:
    machine = lq.StageMachine(
        [lq.Stage("NEW", 1), lq.Stage("HOT", 2)],
        [lq.Transition("NEW", "HOT", lq.ScoreAtLeast(10) & (lq.Attr("country") == "DE"))],
    )
    rules = attrs.evolve(lq.default_ruleset(), stages=machine, framework=None)
    lq.dump(rules, tmp_path / "rules.toml")
    again = lq.load(tmp_path / "rules.toml")
    assert again == rules
    lq.dump(again, tmp_path / "again.toml")
    assert (tmp_path / "again.toml").read_bytes() == (tmp_path / "rules.toml").read_bytes()


@given(conditions(props=False), leads())
def test_the_three_valued_reading_agrees_with_the_test_wherever_it_decides(
    condition: Condition, lead: lq.Lead
) -> None:
    answer = condition.decide(lead)
    if answer is not None:
        assert answer == condition.test(lead)
    known = all(
        condition_from_dict({"attr": name, "op": "exists"}).test(lead)
        for _, name in condition.fields()
    )
    if known:  # every field it reads is there: nothing is left undecided
        assert answer is not None


@given(st.one_of(conditions(), guards(max_leaves=4)))
def test_one_from_dict_reads_back_any_node(node: Condition) -> None:
    assert Condition.from_dict(node.to_dict()) == node
    assert type(node).from_dict(node.to_dict()) == node


# --- found by review: what the one tree must not break ----------------------------------


@attrs.frozen
class _Vip(Condition):
    """A condition of your own, as the docs describe them: ``test`` and ``fields``."""

    def test(self, lead: lq.Lead | None, event: lq.Event | None = None) -> bool:
        return lead is not None and lead.attributes.get("vip") is True

    def fields(self) -> Any:
        yield ("attr", "vip")


def test_a_condition_of_your_own_with_test_still_serves_everywhere(tmp_path: Path) -> None:
    vip = lq.Lead("L-9", attributes={"vip": True})
    assert lq.AttrCondition(_Vip()).holds(_ctx(vip, 0))
    assert (_Vip() & lq.ScoreAtLeast(1)).holds(_ctx(vip, 5))
    check = lq.frameworks.ConditionCheck("vip", _Vip())
    result = check.evaluate(lq.frameworks.Facts.from_events(vip, [], as_of=AT))
    assert result.verdict is lq.Verdict.PASS
    machine = lq.StageMachine(
        [lq.Stage("NEW", 1), lq.Stage("HOT", 2)],
        [lq.Transition("NEW", "HOT", lq.ScoreAtLeast(1) & lq.AttrCondition(_Vip()))],
    )
    rules = attrs.evolve(lq.default_ruleset(), stages=machine, framework=None)
    with pytest.raises(CodecError, match="_Vip is a class of your own"):
        lq.dump(rules, tmp_path / "rules.toml")  # inside AttrCondition too


@attrs.frozen
class _Tagged(Guard):
    fields: tuple[str, ...] = ("budget",)  # a field named as a method of conditions

    def holds(self, ctx: GuardContext) -> bool:
        return True


def test_a_guard_of_your_own_may_have_a_field_named_fields() -> None:
    transition = lq.Transition("A", "B", _Tagged())
    assert transition.guard == _Tagged()


def test_the_lint_reads_conditions_on_the_lead_together_however_written() -> None:
    from leadqual.testing.lint import check_ruleset

    contradiction = (lq.Attr("x") == 1) & (lq.Attr("x") == 2)
    for guard in (
        lq.ScoreAtLeast(1) & contradiction,  # bare, beside a score
        lq.AttrCondition(contradiction),  # as older files write it
        lq.ScoreAtLeast(1) & lq.AttrCondition(lq.Attr("x") == 1) & (lq.Attr("x") == 2),
    ):
        machine = lq.StageMachine(
            [lq.Stage("NEW", 1), lq.Stage("HOT", 2)], [lq.Transition("NEW", "HOT", guard)]
        )
        report = check_ruleset(attrs.evolve(lq.default_ruleset(), stages=machine, framework=None))
        found = [str(f) for f in report.findings_at("warning")]
        assert any("(NEW -> HOT): no lead found that meets" in f for f in found), guard


def test_a_moved_name_warns_once_per_import() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from leadqual.stages import GuardAll  # noqa: F401
    assert len(caught) == 1


def test_a_bad_sql_requires_is_named_as_such() -> None:
    with pytest.raises(ValidationError) as info:
        lq.StageMachine.default(sql_requires=lq.Prop("url") == "/pricing")
    assert info.value.field == "sql_requires"
