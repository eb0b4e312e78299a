"""Funnel reports against a small hand-written history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import leadqual as lq
from leadqual import ValidationError
from leadqual.analytics.funnel import Journey, funnel, read_journeys, write_journeys
from leadqual.stages.machine import TransitionRecord

UTC = timezone.utc
T0 = datetime(2026, 1, 30, tzinfo=UTC)
MACHINE = lq.StageMachine.default()


def d(n: float) -> datetime:
    return T0 + timedelta(days=n)


def rec(source: str, target: str, day: float) -> TransitionRecord:
    return TransitionRecord(source, target, d(day), "test")


def journeys() -> list[Journey]:
    return [
        Journey("A", "IQL", d(0), (rec("IQL", "MQL", 2), rec("MQL", "SQL", 5)), {"src": "ads"}),
        Journey(
            "B",
            "IQL",
            d(0),
            (rec("IQL", "MQL", 1), rec("MQL", "NURTURE", 3), rec("NURTURE", "MQL", 10)),
            {"src": "ads"},
        ),
        # a skip with its pass through MQL recorded at one instant
        Journey("C", "IQL", d(1), (rec("IQL", "MQL", 4), rec("MQL", "SQL", 4)), {"src": "web"}),
        # moved by hand straight to SQL: no pass through MQL
        Journey("D", "IQL", d(0), (rec("IQL", "SQL", 6),), {"src": "web"}),
        Journey("E", "IQL", d(2), (rec("IQL", "DISQUALIFIED", 3),), {"src": "web"}),
        Journey("F", "IQL", d(5)),
    ]


def table(report: lq.analytics.FunnelReport) -> dict[str, dict[str, object]]:
    return {row["stage"]: row for row in report.rows()}


def test_strict_counts_by_hand() -> None:
    rows = table(funnel(journeys(), stages=MACHINE, as_of=d(12)))
    iql, mql, sql = rows["IQL"], rows["MQL"], rows["SQL"]
    assert (iql["entered"], iql["now"], iql["forward"], iql["left_to"]) == (
        6,
        1,
        4,
        {"DISQUALIFIED": 1},
    )
    # B is one lead in MQL with two visits; it left once to NURTURE
    assert (mql["entered"], mql["visits"], mql["now"], mql["forward"]) == (3, 4, 1, 2)
    assert mql["left_to"] == {"NURTURE": 1}
    assert mql["conversion"] == pytest.approx(3 / 6)
    # D skipped MQL without a recorded pass: strict leaves it out of SQL, now included
    assert (sql["entered"], sql["now"]) == (2, 2)
    assert sql["conversion"] == pytest.approx(2 / 3)
    assert sql["from_first"] == pytest.approx(2 / 6)
    # the latest stay in MQL of the leads that left it: A 3 days, C 0 (B is still there)
    assert mql["days_latest_median"] == pytest.approx(1.5)
    assert mql["days_latest_p90"] == pytest.approx(2.7)
    # in IQL: A 2, B 1, C 3, D 6, E 1 days
    assert iql["days_latest_median"] == pytest.approx(2)
    assert rows["NURTURE"]["forward"] == 0
    assert rows["NURTURE"]["entered"] == 1


def test_any_mode_counts_every_stage_reached() -> None:
    rows = table(funnel(journeys(), stages=MACHINE, mode="any", as_of=d(12)))
    assert (rows["SQL"]["entered"], rows["SQL"]["now"]) == (3, 3)
    # conversion: of the 3 MQLs, A and C went on to SQL (D reached SQL without MQL)
    assert rows["SQL"]["conversion"] == pytest.approx(2 / 3)
    assert rows["SQL"]["from_first"] == pytest.approx(3 / 6)


def test_cumulative_time_over_re_entries() -> None:
    # B re-entered MQL and left again on day 11: 2 days then 1 day
    later = [
        *journeys()[:1],
        Journey(
            "B",
            "IQL",
            d(0),
            (
                rec("IQL", "MQL", 1),
                rec("MQL", "NURTURE", 3),
                rec("NURTURE", "MQL", 10),
                rec("MQL", "SQL", 11),
            ),
        ),
    ]
    rows = table(funnel(later, stages=MACHINE, as_of=d(12)))
    assert rows["MQL"]["visits"] == 3
    # latest stays: A 3, B 1; all stays added up: A 3, B 2 + 1 = 3
    assert rows["MQL"]["days_latest_median"] == pytest.approx(2)
    assert rows["MQL"]["days_total_median"] == pytest.approx(3)


def test_as_of_cuts_the_history() -> None:
    rows = table(funnel(journeys(), stages=MACHINE, as_of=d(4.5)))
    assert rows["SQL"]["entered"] == 1  # only C by then (A on day 5, D on day 6)
    assert rows["MQL"]["now"] == 1  # A


def test_cohorts_and_attributes() -> None:
    report = funnel(journeys(), stages=MACHINE, cohort="month", by="src", as_of=d(12))
    keys = {(row["cohort"], row["src"]) for row in report.rows()}
    assert keys == {
        ("2026-01", "ads"),
        ("2026-01", "web"),
        ("2026-02", "web"),
        ("2026-02", "(none)"),
    }
    entered = {
        (row["cohort"], row["src"]): row["entered"]
        for row in report.rows()
        if row["stage"] == "IQL"
    }
    assert entered == {
        ("2026-01", "ads"): 2,
        ("2026-01", "web"): 2,
        ("2026-02", "web"): 1,
        ("2026-02", "(none)"): 1,
    }
    weeks = funnel(journeys(), stages=MACHINE, cohort="week")
    assert {row["cohort"] for row in weeks.rows()} == {"2026-W05", "2026-W06"}


def test_flow_over_a_period() -> None:
    report = funnel(journeys(), stages=MACHINE, period=(d(2), d(6)))
    assert report.flow is not None
    iql = next(row for row in report.flow if row["stage"] == "IQL")
    assert (iql["at_start"], iql["inflow"], iql["outflow"], iql["at_end"]) == (3, 1, 3, 1)
    for row in report.flow:
        assert row["at_end"] == row["at_start"] + row["inflow"] - row["outflow"]


def test_sla() -> None:
    report = funnel(
        journeys(),
        stages=MACHINE,
        as_of=d(12),
        sla={"MQL": timedelta(days=1), "SQL": timedelta(days=30)},
    )
    assert report.sla is not None
    sla = {row["stage"]: row for row in report.sla}
    assert (sla["MQL"]["in_stage"], sla["MQL"]["due"], sla["MQL"]["past_due"]) == (1, 0, 1)
    assert (sla["SQL"]["in_stage"], sla["SQL"]["past_due"]) == (3, 0)
    (late,) = report.past_due
    assert (late.lead_id, late.stage, late.overdue) == ("B", "MQL", timedelta(days=1))
    assert "past due: B in MQL" in str(report)


def test_sources_give_the_same_counts(tmp_path: Path) -> None:
    path = tmp_path / "transitions.jsonl"
    assert write_journeys(journeys(), path) == 6
    assert read_journeys(path) == journeys_without_attributes()
    from_file = funnel(path, stages=MACHINE, as_of=d(12))
    from_journeys = funnel(journeys(), stages=MACHINE, as_of=d(12))
    assert from_file.rows() == from_journeys.rows()
    # pairs of records know nothing of F, which never moved
    pairs = [(j.lead_id, r) for j in journeys() for r in j.records]
    rows = table(funnel(pairs, stages=MACHINE, as_of=d(12)))
    assert rows["IQL"]["entered"] == 5


def journeys_without_attributes() -> list[Journey]:
    import attrs

    return [attrs.evolve(j, attributes={}) for j in journeys()]


def test_an_engine_and_its_rule_set() -> None:
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.samples.sample_leads():
        engine.add_lead(lead)
    engine.apply(lq.samples.sample_events())
    report = funnel(engine, as_of=lq.samples.SAMPLE_AS_OF, by="lead_source")
    iql = [row for row in report.rows() if row["stage"] == "IQL"]
    assert sum(row["entered"] for row in iql) == 200
    assert sum(row["now"] for row in report.rows()) == 200
    assert "lead_source" in str(report)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="stages"):
        funnel(journeys())
    with pytest.raises(ValidationError, match="mode"):
        funnel(journeys(), stages=MACHINE, mode="loose")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cohort"):
        funnel(journeys(), stages=MACHINE, cohort="year")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="as_of"):
        funnel(journeys(), stages=MACHINE, sla={"MQL": timedelta(days=1)})
    with pytest.raises(ValidationError):
        funnel(journeys(), stages=MACHINE, as_of=d(1), sla={"MQL": 3})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="stage"):
        funnel([Journey("X", "LEAD", None)], stages=MACHINE)
    with pytest.raises(ValidationError, match="pairs"):
        funnel([("A",)], stages=MACHINE)  # type: ignore[list-item]


def test_to_pandas_says_what_to_install() -> None:
    report = funnel(journeys(), stages=MACHINE)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            report.to_pandas()
    else:
        assert len(report.to_pandas()) == len(report.rows())


def test_leads_not_yet_started_and_pairs_out_of_order() -> None:
    # G enters the funnel on day 9: as of day 5 it is nowhere, and no SLA counts it
    later = [*journeys(), Journey("G", "IQL", d(9))]
    rows = table(funnel(later, stages=MACHINE, as_of=d(5), sla={"IQL": timedelta(days=1)}))
    early = table(funnel(journeys(), stages=MACHINE, as_of=d(5)))
    assert rows["IQL"]["entered"] == early["IQL"]["entered"]
    assert rows["IQL"]["now"] == early["IQL"]["now"]
    # record pairs in any order give the same journey
    pairs = [("A", rec("MQL", "SQL", 5)), ("A", rec("IQL", "MQL", 2))]
    counted = table(funnel(pairs, stages=MACHINE, as_of=d(10)))
    assert [counted[s]["entered"] for s in ("IQL", "MQL", "SQL")] == [1, 1, 1]


def test_the_text_lists_the_most_overdue_leads_and_counts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadqual.analytics import funnel as make_funnel
    from leadqual.cli.main import main

    rules = lq.RuleSet(
        "sla",
        "1",
        model=lq.PointsModel(engagement=[lq.EngagementRule("ebook", "ebook", 30)]),
        stages=lq.StageMachine.default(mql_score=10, sql_requires=None),
    )
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    engine = lq.Engine(rules)
    events = []
    for i in range(12):
        engine.add_lead(lq.Lead(f"L-{i:02d}"))
        events.append(lq.Event(f"L-{i:02d}", "ebook", at=start + timedelta(hours=i), id=f"e{i}"))
    engine.apply(events)
    as_of = start + timedelta(days=30)
    report = make_funnel(engine, as_of=as_of, sla={"MQL": timedelta(days=1)})
    short, full = str(report), report.text(past_due=None)
    assert short.count("past due: ") == 10
    assert "... and 2 more past due" in short
    assert full.count("past due: ") == 12
    assert "more past due" not in full
    assert short.index("L-00") < short.index("L-09")  # the most overdue first
    assert "L-11" not in short
    assert "L-11" in full
    lq.dump(rules, tmp_path / "rules.toml")
    lq.io.write_leads([lq.Lead(f"L-{i:02d}") for i in range(12)], tmp_path / "leads.jsonl")
    lq.io.write_events(events, tmp_path / "events.jsonl")
    args = [
        "funnel",
        "--rules",
        str(tmp_path / "rules.toml"),
        "--leads",
        str(tmp_path / "leads.jsonl"),
        "--events",
        str(tmp_path / "events.jsonl"),
        "--as-of",
        as_of.isoformat(),
        "--sla",
        "MQL=1d",
    ]
    assert main(args) == 0
    assert capsys.readouterr().out.count("past due: ") == 10
    assert main([*args, "--sla-details"]) == 0
    assert capsys.readouterr().out.count("past due: ") == 12


def test_past_due_leads_read_alike_in_the_terminal_and_on_the_page() -> None:
    from leadqual.analytics import funnel as make_funnel

    rules = lq.RuleSet(
        "sla",
        "1",
        model=lq.PointsModel(engagement=[lq.EngagementRule("ebook", "ebook", 30)]),
        stages=lq.StageMachine.default(mql_score=10, sql_requires=None),
    )
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    engine = lq.Engine(rules)
    for i, hours in enumerate((0, 60)):
        engine.add_lead(lq.Lead(f"L-{i}"))
        engine.apply(lq.Event(f"L-{i}", "ebook", at=start + timedelta(hours=hours), id=f"e{i}"))
    as_of = (start + timedelta(days=4)).astimezone(timezone(timedelta(hours=-3)))
    report = make_funnel(engine, as_of=as_of, sla={"MQL": timedelta(days=1)})
    text, page = str(report), report.html()
    for item in report.past_due:
        since = item.entered_at.astimezone(as_of.tzinfo).isoformat()
        assert since.endswith("-03:00")
        assert since in text
        assert since in page
    assert "3.0 days over" in text
    assert "3.0 days" in page
    assert "12 h over" in text
    assert "12 h" in page
    assert text.index("L-0") < text.index("L-1")
    assert page.index("L-0") < page.index("L-1")
