"""backtest() and compare(): replay at the decision time, never past the outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadqual as lq
from leadqual import Event, Lead, Outcome, ValidationError
from leadqual.analytics import backtest, compare, mql_threshold, roc_auc

UTC = timezone.utc
T0 = datetime(2026, 3, 1, tzinfo=UTC)
MODEL = lq.PointsModel(
    engagement=[
        lq.EngagementRule("ebook", "content_download", 30),
        lq.EngagementRule("demo", "demo_request", 80),
    ]
)
RULES = lq.RuleSet(
    "t", "1", model=MODEL, stages=lq.StageMachine.default(mql_score=60, sql_requires=None)
)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def history() -> tuple[list[Lead], list[Event], list[Outcome]]:
    """Four leads by hand: A and B won, C and D lost; D's demo came after its close."""
    leads = [Lead(x) for x in ("A", "B", "C", "D", "E")]
    events = [
        Event("A", "demo_request", at=day(1)),  # 80
        Event("A", "content_download", at=day(2)),  # 110 by its close
        Event("B", "content_download", at=day(1)),  # 30
        Event("C", "content_download", at=day(1)),
        Event("C", "content_download", at=day(3)),  # 60
        Event("D", "demo_request", at=day(9)),  # after D's close: must not count
        Event("E", "demo_request", at=day(1)),  # E has no outcome
    ]
    outcomes = [
        Outcome("A", "won", at=day(5), value=1000),
        Outcome("B", "won", at=day(6)),
        Outcome("C", "lost", at=day(7)),
        Outcome("D", "lost", at=day(8)),
    ]
    return leads, events, outcomes


def test_scores_at_the_decision_time_and_metrics_by_hand() -> None:
    report = backtest(RULES, *history())
    scores = {r.lead_id: r.score for r in report.leads}
    assert scores == {"A": 110, "B": 30, "C": 60, "D": 0}
    assert (report.n, report.won, report.base_rate) == (4, 2, 0.5)
    # won 110, 30 vs lost 60, 0: 110 beats both, 30 beats 0 only -> 3 of 4 pairs
    assert report.auc == pytest.approx(0.75)
    assert report.threshold == 60  # the MQL stage's score threshold
    assert report.at_threshold is not None
    assert (report.at_threshold.selected, report.at_threshold.true_positives) == (2, 1)
    assert dict(report.left_out) == {"leads without an outcome": 1}


def test_the_outcome_never_leaks_into_its_own_score() -> None:
    leads, events, outcomes = history()
    after_close = [Event(o.lead_id, "demo_request", at=o.at) for o in outcomes if o.at]
    later = [Event(o.lead_id, "demo_request", at=o.at + timedelta(hours=1)) for o in outcomes]
    base = backtest(RULES, leads, events, outcomes)
    more = backtest(RULES, leads, events + after_close + later, outcomes)
    assert [r.score for r in more.leads] == [r.score for r in base.leads]


def test_stage_outcomes_and_days_to_win() -> None:
    report = backtest(RULES, *history())
    mql = next(s for s in report.stages if s.stage == "MQL")
    # A entered MQL on day 1 (80 >= 60) and won on day 5; C entered on day 3 and lost
    assert (mql.reached, mql.won, mql.win_rate) == (2, 1, 0.5)
    assert mql.median_days_to_win == pytest.approx(4)
    sql = next(s for s in report.stages if s.stage == "SQL")
    assert (sql.reached, sql.won) == (1, 1)  # A's demo request
    assert "AUC 0.750" in str(report)


def test_one_moment_for_everyone_with_as_of() -> None:
    leads, events, outcomes = history()
    undated = [attrs.evolve(o, at=None) for o in outcomes]
    with pytest.raises(ValidationError, match="as_of"):
        backtest(RULES, leads, events, undated)
    report = backtest(RULES, leads, events, undated, as_of=day(10))
    assert {r.lead_id: r.score for r in report.leads}["D"] == 80  # day 9 is before day 10


def test_what_is_left_out_is_counted_and_what_is_wrong_refused() -> None:
    leads, events, outcomes = history()
    report = backtest(RULES, leads[:3], events, outcomes)
    assert dict(report.left_out) == {"outcomes of unknown leads": 1}
    with pytest.raises(ValidationError, match="has an outcome already"):
        backtest(RULES, leads, events, [*outcomes, outcomes[0]])
    with pytest.raises(ValidationError, match="top_k"):
        backtest(RULES, leads, events, outcomes, top_k=0)
    with pytest.raises(ValidationError):
        backtest(RULES, leads, events, ["won"])  # type: ignore[list-item]


def test_one_class_only_leaves_the_ranking_metrics_undefined() -> None:
    leads, events, outcomes = history()
    report = backtest(RULES, leads, events, [o for o in outcomes if o.won])
    assert report.auc is None
    assert report.ks is None
    assert "AUC n/a" in str(report)


def test_top_k() -> None:
    report = backtest(RULES, *history(), top_k=1)
    assert report.at_top_k is not None
    assert (report.at_top_k.precision, report.at_top_k.recall) == (1.0, 0.5)


def test_compare_lists_promotions_and_who_won() -> None:
    stricter = attrs.evolve(RULES, version="2", stages=lq.StageMachine.default(mql_score=100))
    result = compare(stricter, RULES, *history())
    changed = {c.lead_id: (c.before, c.after, c.won) for c in result.changes}
    # under the stricter rules C (60) stays IQL; the looser rules make it an MQL
    assert changed["C"] == ("IQL", "MQL", False)
    assert {c.lead_id for c in result.promoted} >= {"C"}
    assert not result.demoted
    assert "leads change stage" in str(result)


def test_the_bundled_sample_ranks_well() -> None:
    report = backtest(
        lq.default_ruleset(),
        lq.samples.sample_leads(),
        lq.samples.sample_events(),
        lq.samples.sample_outcomes(),
    )
    assert report.auc is not None
    assert report.auc > 0.65
    assert sum(d.count for d in report.deciles) == report.n
    assert mql_threshold(lq.default_ruleset()) == 100


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.booleans()), min_size=2, max_size=12
    )
)
def test_auc_matches_the_scores_it_reports(rows: list[tuple[int, int, bool]]) -> None:
    leads, events, outcomes = [], [], []
    for i, (ebooks, close_day, won) in enumerate(rows):
        lead_id = f"L{i}"
        leads.append(Lead(lead_id))
        events += [Event(lead_id, "content_download", at=day(j * 0.5)) for j in range(ebooks)]
        outcomes.append(Outcome(lead_id, "won" if won else "lost", at=day(close_day + 0.25)))
    report = backtest(RULES, leads, events, outcomes)
    labels = [r.won for r in report.leads]
    if 0 < sum(labels) < len(labels):
        assert report.auc == roc_auc(labels, [r.score for r in report.leads])
    for r in report.leads:
        counted = [e for e in events if e.lead_id == r.lead_id and e.at < r.decided_at]
        assert r.score == 30 * len(counted)


def test_review_edge_cases() -> None:
    leads, events, outcomes = history()
    # a lead given twice is refused, not counted twice
    with pytest.raises(ValidationError, match="given twice"):
        backtest(RULES, [*leads, leads[0]], events, outcomes)
    # decided at one moment for all: no earlier and later half for the PSI
    assert backtest(RULES, leads, events, outcomes, as_of=day(20)).psi is None
    # stages entered after the close do not count towards days to win
    late = backtest(RULES, leads, events, outcomes, as_of=day(20))
    for stage in late.stages:
        assert stage.median_days_to_win is None or stage.median_days_to_win >= 0
    # the first stage's days to win run from the lead's first event: A 1 -> 5, B 1 -> 6
    report = backtest(RULES, leads, events, outcomes)
    iql = next(s for s in report.stages if s.stage == "IQL")
    assert iql.median_days_to_win == pytest.approx(4.5)


def test_one_stage_change_class_for_rescores_and_comparisons() -> None:
    from leadqual.analytics import StageChange as FromAnalytics
    from leadqual.engine import StageChange

    assert FromAnalytics is StageChange
    change = StageChange("L-1", "MQL", "SQL", won=True)
    with pytest.warns(DeprecationWarning, match="StageChange.old is StageChange.before"):
        assert change.old == "MQL"
    with pytest.warns(DeprecationWarning, match="StageChange.new is StageChange.after"):
        assert change.new == "SQL"
