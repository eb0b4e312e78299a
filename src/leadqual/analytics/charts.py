"""Charts of funnel and back-test reports, drawn with matplotlib (the ``plot`` extra).

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no window),
so they work in a notebook, a web server or a batch job alike. :func:`svg` turns one into
inline SVG text for an HTML page; its output is the same for the same figure.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from leadqual._text import percent
from leadqual.errors import MissingExtra

if TYPE_CHECKING:
    from leadqual.analytics.backtest import BacktestReport, Comparison
    from leadqual.analytics.calibrate import Calibration
    from leadqual.analytics.funnel import FunnelReport

__all__ = [
    "backtest_figure",
    "backtest_figures",
    "budget_figure",
    "comparison_gain_figure",
    "funnel_figure",
    "have_matplotlib",
    "svg",
]

_WON, _LOST, _BAR = "#2a9d8f", "#e76f51", "#264653"


def have_matplotlib() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra("charts need matplotlib: pip install 'leadqual[plot]'") from None
    return Figure(figsize=(width, height), layout="constrained")


def svg(figure: Any) -> str:
    """The figure as inline SVG (text kept as text; no date or random ids in it)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "leadqual"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def funnel_figure(report: FunnelReport) -> Any:
    """Funnel bars: leads that entered each funnel stage, with the conversion from the
    stage before (all groups of the report together)."""
    totals: dict[str, int] = {}
    for row in report.rows():
        if row["funnel"]:
            totals[row["stage"]] = totals.get(row["stage"], 0) + row["entered"]
    stages = list(totals)
    figure = _figure(7, 0.5 + 0.45 * len(stages))
    axes = figure.add_subplot()
    counts = [totals[s] for s in stages]
    axes.barh(stages[::-1], counts[::-1], color=_BAR)
    top = max(counts, default=0) or 1
    for i in range(len(stages)):
        y = len(stages) - 1 - i
        label = f"{counts[i]}"
        if i and totals[stages[i - 1]]:
            label += f"  ({percent(counts[i] / totals[stages[i - 1]])} of {stages[i - 1]})"
        axes.text(counts[i] + top * 0.01, y, label, va="center", fontsize=9)
    axes.set_xlim(0, top * 1.35)
    axes.set_xlabel("leads that entered the stage")
    axes.set_title(f"funnel ({report.mode})")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _gain(axes: Any, report: BacktestReport) -> None:
    _gain_curve(axes, report, _BAR, report.ruleset)
    _gain_axes(axes, "gain")


def _gain_curve(axes: Any, report: BacktestReport, color: str, label: str) -> None:
    ordered = sorted(report.leads, key=lambda r: -r.score)
    won_total = sum(r.won for r in ordered) or 1
    xs, ys = [0.0], [0.0]
    captured = 0
    for i, r in enumerate(ordered, start=1):
        captured += r.won
        xs.append(i / len(ordered))
        ys.append(captured / won_total)
    axes.plot(xs, ys, color=color, label=label)


def _gain_axes(axes: Any, title: str) -> None:
    axes.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="random order")
    axes.set_xlabel("share of leads called, best scores first")
    axes.set_ylabel("share of wins captured")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)


def comparison_gain_figure(comparison: Comparison) -> Any:
    """The gain curves of both rule sets of a comparison on one chart, each labelled with
    its rule set and AUC, to see where in the ranking the new rules win or lose."""
    figure = _figure(6, 4.5)
    axes = figure.add_subplot()
    for report, color in ((comparison.old, _LOST), (comparison.new, _BAR)):
        auc = "n/a" if report.auc is None else f"{report.auc:.3f}"
        _gain_curve(axes, report, color, f"{report.ruleset} (AUC {auc})")
    _gain_axes(axes, "gain, both rule sets")
    return figure


def _distribution(axes: Any, report: BacktestReport) -> None:
    won = [r.score for r in report.leads if r.won]
    lost = [r.score for r in report.leads if not r.won]
    scores = won + lost
    if scores:
        low, high = min(scores), max(scores)
        edges: Any = [low + (high - low) * k / 20 for k in range(21)] if high > low else 10
        axes.hist(lost, bins=edges, color=_LOST, alpha=0.6, label=f"lost ({len(lost)})")
        axes.hist(won, bins=edges, color=_WON, alpha=0.8, label=f"won ({len(won)})")
    axes.set_xlabel("score at the decision time")
    axes.set_ylabel("leads")
    axes.set_title("scores by outcome")
    axes.legend(fontsize=8)


def _bands(axes: Any, report: BacktestReport) -> None:
    labels = [str(d.band) for d in report.deciles]
    axes.bar(labels, [d.win_rate for d in report.deciles], color=_BAR)
    axes.axhline(report.base_rate, color=_LOST, linestyle="--", label="base rate")
    axes.set_xlabel("score band (1 = highest scores)")
    axes.set_ylabel("win rate")
    axes.set_title("win rate by score band")
    axes.legend(fontsize=8)


_CHARTS = {"gain": _gain, "distribution": _distribution, "bands": _bands}


def backtest_figures(report: BacktestReport) -> dict[str, Any]:
    """The back-test's charts, one figure each: ``gain`` (share of wins captured against
    share of leads called, best first), ``distribution`` (scores of won and of lost leads)
    and ``bands`` (win rate per score band, against the base rate)."""
    figures = {}
    for name, draw in _CHARTS.items():
        figure = _figure(5, 4)
        draw(figure.add_subplot(), report)
        figures[name] = figure
    return figures


def backtest_figure(report: BacktestReport) -> Any:
    """The three charts of :func:`backtest_figures` side by side in one figure."""
    figure = _figure(15, 4.2)
    for axes, draw in zip(figure.subplots(1, 3), _CHARTS.values(), strict=True):
        draw(axes, report)
    return figure


def budget_figure(calibration: Calibration) -> Any:
    """The held-out AUC of a calibrated table against the rules it uses, one point per
    budget of :attr:`~leadqual.analytics.calibrate.Calibration.budget` (calibrated with
    ``folds``): where a smaller table costs little."""
    from leadqual.errors import ValidationError

    if not calibration.budget:
        raise ValidationError(
            "calibration.budget", (), "no budget table: calibrate with folds and method='boosted'"
        )
    points = sorted(calibration.budget, key=lambda p: p.rules)
    figure = _figure(6, 3.6)
    axes = figure.add_subplot()
    axes.plot([p.rules for p in points], [p.auc for p in points], marker="o", color=_BAR)
    for p in points:
        axes.annotate(
            f"{p.max_rules}",
            (p.rules, p.auc),
            textcoords="offset points",
            xytext=(4, -12),
            fontsize=8,
        )
    axes.set_xlabel("rules in the table (mean over the folds)")
    axes.set_ylabel("held-out AUC")
    axes.set_title("What a smaller table costs (labels: max_rules)")
    axes.grid(alpha=0.3)
    return figure
