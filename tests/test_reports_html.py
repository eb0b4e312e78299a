"""HTML pages and figures of the funnel and back-test reports."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import leadqual as lq
from leadqual._text import short_number
from leadqual.analytics import backtest, compare, funnel
from leadqual.analytics.html import backtest_html, funnel_html, write_html


class Sections(HTMLParser):
    """The ids of the sections of a page, the number of inline SVGs, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.svgs = 0
        self.external: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and values.get("id"):
            self.ids.append(str(values["id"]))
        if tag == "svg":
            self.svgs += 1
        if tag == "table":
            self.tables += 1
        for name in ("src", "href"):
            link = values.get(name)
            if link and not link.startswith("#"):
                self.external.append(link)


def parse(page: str) -> Sections:
    parser = Sections()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def engine() -> lq.Engine:
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.samples.sample_leads():
        engine.add_lead(lead)
    engine.apply(lq.samples.sample_events())
    return engine


@pytest.fixture(scope="module")
def report() -> lq.analytics.BacktestReport:
    return backtest(
        lq.default_ruleset(),
        lq.samples.sample_leads(),
        lq.samples.sample_events(),
        lq.samples.sample_outcomes(),
        top_k=20,
    )


def test_the_funnel_page(engine: lq.Engine) -> None:
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    rep = funnel(
        engine,
        cohort="month",
        period=(start, start + timedelta(days=30)),
        sla={"MQL": timedelta(days=30)},
    )
    page = funnel_html(rep, "Funnel <Q4>")
    found = parse(page)
    assert found.ids == ["charts", "cohorts", "funnel", "flow", "sla"]
    assert found.svgs == 1
    assert found.external == []  # opens offline
    assert "<title>Funnel &lt;Q4&gt;</title>" in page
    assert "L-0046" in page  # the past-due leads are listed


def test_a_split_page_opens_with_a_summary_row_per_value(engine: lq.Engine) -> None:
    rep = funnel(engine, by="country")
    page = funnel_html(rep)
    found = parse(page)
    assert found.ids == ["charts", "summary", "funnel"]
    summary = page[page.index('id="summary"') : page.index('id="funnel"')]
    first, second = rep.stages[0], rep.stages[1]
    for key, rows in rep.groups.items():
        entered = {r["stage"]: r["entered"] for r in rows if r["funnel"]}
        share = f"{100 * entered.get(second, 0) / entered[first]:.1f}%"
        row = f'<tr><td>{key[0]}</td><td class="n">{entered[first]}</td><td class="n">{share}</td>'
        assert row in summary, (key, summary[:400])


def test_the_backtest_page(report: lq.analytics.BacktestReport) -> None:
    found = parse(backtest_html(report))
    assert found.ids == ["summary", "charts", "bands", "stages"]
    assert found.svgs == 3
    assert found.external == []


def test_the_comparison_page() -> None:
    looser = lq.RuleSet(
        "default",
        "next",
        model=lq.default_model(),
        stages=lq.StageMachine.default(60),
        framework=lq.default_ruleset().framework,
    )
    result = compare(
        lq.default_ruleset(),
        looser,
        lq.samples.sample_leads(),
        lq.samples.sample_events(),
        lq.samples.sample_outcomes(),
    )
    found = parse(result.html())
    assert found.ids[0] == "changes"
    assert "summary-old" in found.ids
    assert "summary-new" in found.ids
    assert found.svgs == 7  # both gain curves on one chart, then each report's three


def test_the_compare_chart_overlays_both_gain_curves() -> None:
    from leadqual.analytics import compare
    from leadqual.analytics.charts import comparison_gain_figure

    s = lq.samples
    old = lq.default_ruleset()
    new = lq.RuleSet(
        "default", "next", model=lq.default_model(), stages=lq.StageMachine.default(60)
    )
    result = compare(old, new, s.sample_leads(), s.sample_events(), s.sample_outcomes())
    lines = comparison_gain_figure(result).axes[0].get_lines()
    labels = [line.get_label() for line in lines]
    assert labels == [
        f"{result.old.ruleset} (AUC {result.old.auc:.3f})",
        f"{result.new.ruleset} (AUC {result.new.auc:.3f})",
        "random order",
    ]
    assert result.old.ruleset != result.new.ruleset  # the legend tells them apart
    for line, report in zip(lines, (result.old, result.new), strict=False):
        ys = list(line.get_ydata())
        assert ys[0] == 0
        assert ys[-1] == 1  # every win captured once every lead is called
        assert len(ys) == len(report.leads) + 1


def test_pages_are_the_same_each_time(report: lq.analytics.BacktestReport) -> None:
    assert backtest_html(report) == backtest_html(report)


def test_plot_returns_figures(engine: lq.Engine, report: lq.analytics.BacktestReport) -> None:
    from matplotlib.figure import Figure

    figure = funnel(engine).plot()
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 1
    assert len(report.plot().axes) == 3


def test_written_atomically(tmp_path: Path, report: lq.analytics.BacktestReport) -> None:
    path = tmp_path / "report.html"
    write_html(report.html(), path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_without_matplotlib_the_tables_stay_and_the_page_says_why() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import leadqual as lq\n"
        "from leadqual.analytics import backtest\n"
        "s = lq.samples\n"
        "r = backtest(lq.default_ruleset(), s.sample_leads(), s.sample_events(),\n"
        "             s.sample_outcomes())\n"
        "print(r.html())\n"
        "try:\n"
        "    r.plot()\n"
        "except ImportError as exc:\n"
        "    print('PLOT:', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    found = parse(out)
    assert found.svgs == 0
    assert found.tables >= 2
    assert "pip install 'leadqual[plot]'" in out
    assert "PLOT: charts need matplotlib" in out


def test_the_core_works_with_no_extra_installed() -> None:
    # none of the optional packages: leadqual scores, qualifies, back-tests and counts
    code = (
        "import sys\n"
        "for name in ('hypothesis', 'sklearn', 'matplotlib', 'numpy', 'pandas', 'scipy'):\n"
        "    sys.modules[name] = None\n"
        "import leadqual as lq\n"
        "from leadqual.analytics import backtest, funnel\n"
        "rules = lq.default_ruleset()\n"
        "engine = lq.Engine(rules)\n"
        "for lead in lq.samples.sample_leads():\n"
        "    engine.add_lead(lead)\n"
        "engine.apply(lq.samples.sample_events())\n"
        "q = engine.get('L-0001', as_of=lq.samples.SAMPLE_AS_OF)\n"
        "s = lq.samples\n"
        "r = backtest(rules, s.sample_leads(), s.sample_events(), s.sample_outcomes())\n"
        "f = funnel(engine)\n"
        "print(q.stage, round(r.auc, 3), f.rows()[0]['entered'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[1:] == ["0.717", "200"]


def test_the_page_rounds_bands_as_the_terminal_does() -> None:
    from leadqual.analytics import backtest

    s = lq.samples
    leads, events, outcomes = s.sample_leads(), s.sample_events(), s.sample_outcomes()
    report = backtest(lq.default_ruleset(), leads, events, outcomes)
    page = report.html("Back-test")
    text = str(report)
    for d in report.deciles:
        assert f"{d.lift:.2f}" in page
        assert f"{d.lift:.2f}" in text
        edges = f"{short_number(d.min_score)} to {short_number(d.max_score)}"
        assert edges in page
        assert edges in text


def test_the_compare_page_and_text_give_the_change_in_auc_and_ks() -> None:
    import attrs

    from leadqual.analytics import compare

    s = lq.samples
    old = lq.default_ruleset()
    new = attrs.evolve(
        old, version="2", model=attrs.evolve(old.model, engagement=old.model.engagement[:3])
    )
    result = compare(old, new, s.sample_leads(), s.sample_events(), s.sample_outcomes())
    (name, a, b, change), _ = result.figures()
    assert name == "AUC"
    assert a == result.old.auc
    assert b == result.new.auc
    assert change == pytest.approx(b - a)
    assert f"({change:+.3f})" in str(result).splitlines()[0]
    page = result.html()
    assert f"{change:+.3f}" in page
    assert "<th>measure</th>" in page
