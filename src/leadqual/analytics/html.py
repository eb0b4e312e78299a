"""Self-contained HTML pages of funnel and back-test reports.

One file, no network: the styles are inline, and the charts (with matplotlib, the ``plot``
extra) are inline SVG. Without matplotlib the page keeps every table and says how to get
the charts. Sections carry ``id`` attributes (``summary``, ``funnel``, ``cohorts``,
``charts``...), so a page can be linked into and checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from leadqual._text import duration, percent, short_number
from leadqual._version import __version__
from leadqual.analytics.backtest import BacktestReport, Comparison
from leadqual.analytics.charts import (
    backtest_figures,
    comparison_gain_figure,
    funnel_figure,
    have_matplotlib,
    svg,
)
from leadqual.analytics.funnel import FunnelReport

__all__ = ["backtest_html", "funnel_html", "write_html"]

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2b33;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.6em; }
p.meta { color: #5b6b73; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #dde3e6; text-align: left; }
td.n { text-align: right; }
thead th { background: #f1f4f5; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.charts figure { margin: 0; } .charts svg { max-width: 100%; height: auto; }
.note { background: #fff6e5; border-left: 4px solid #f4a261; padding: 0.6em 1em; }
.kpi { display: flex; gap: 2em; flex-wrap: wrap; }
.kpi div { background: #f1f4f5; padding: 0.6em 1em; border-radius: 6px; }
.kpi b { display: block; font-size: 1.4em; }
"""


def _page(title: str, body: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f'\n<p class="meta">made by leadqual {escape(__version__)}</p>\n</body>\n</html>\n'
    )


def _table(header: list[str], rows: Iterable[list[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(_cell(c))}</td>'
            if isinstance(c, (int, float)) or (isinstance(c, str) and c[:1].isdigit())
            else f"<td>{escape(_cell(c))}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1 else f"{value:,.1f}"
    return str(value)


_pct = percent


def _no_charts() -> str:
    return (
        '<p class="note">Charts need matplotlib: <code>pip install '
        "'leadqual[plot]'</code>, then make the page again.</p>"
    )


def _reach_table(
    label: str, groups: Iterable[tuple[str, Mapping[str, int]]], funnel_stages: list[str]
) -> str:
    """One row per group: how many leads entered the first funnel stage, and the share of
    them that reached each later one."""
    rows = []
    for name, entered in groups:
        first = entered.get(funnel_stages[0], 0) if funnel_stages else 0
        rows.append(
            [name, first]
            + [_pct(entered.get(s, 0) / first) if first else "-" for s in funnel_stages[1:]]
        )
    header = [
        label,
        f"entered {funnel_stages[0]}" if funnel_stages else "",
        *[f"reached {s}" for s in funnel_stages[1:]],
    ]
    return _table(header, rows)


def funnel_html(report: FunnelReport, title: str = "Funnel") -> str:
    """The funnel report as one HTML page: funnel bars with conversion rates, the cohort
    table, a summary table per group when split (``by``: leads that entered and the share
    that reached each stage), the table of every group, the flow and the SLA."""
    body = [f"<h1>{escape(title)}</h1>"]
    when = f" as of {report.as_of.isoformat()}" if report.as_of else ""
    body.append(f'<p class="meta">counting mode: {report.mode}{escape(when)}</p>')
    body.append('<section id="charts"><h2>Funnel bars</h2>')
    if have_matplotlib():
        body.append(f'<div class="charts"><figure>{svg(funnel_figure(report))}</figure></div>')
    else:
        body.append(_no_charts())
    body.append("</section>")
    funnel_stages = [
        s
        for s in report.stages
        if any(r["funnel"] and r["stage"] == s for rows in report.groups.values() for r in rows)
    ]
    if "cohort" in report.group_names:
        body.append('<section id="cohorts"><h2>Cohorts</h2>')
        cohorts: dict[str, dict[str, int]] = {}
        for row in report.rows():
            if row["funnel"]:
                entered = cohorts.setdefault(row["cohort"], {})
                entered[row["stage"]] = entered.get(row["stage"], 0) + row["entered"]
        body.append(_reach_table("cohort", sorted(cohorts.items()), funnel_stages))
        body.append("</section>")
    if report.group_names and report.group_names != ("cohort",):
        names = ", ".join(report.group_names)
        body.append(f'<section id="summary"><h2>Summary by {escape(names)}</h2>')
        groups = []
        for key, rows in report.groups.items():
            label = ", ".join(str(v) for v in key)
            groups.append((label, {r["stage"]: r["entered"] for r in rows if r["funnel"]}))
        body.append(_reach_table(names, groups, funnel_stages))
        body.append("</section>")
    body.append('<section id="funnel"><h2>Stages</h2>')
    header = [
        "stage",
        "entered",
        "visits",
        "now",
        "forward",
        "back",
        "to side stages",
        "conversion",
        "from first",
        "days median",
        "days p90",
    ]
    for key, rows in report.groups.items():
        if report.group_names:
            label = ", ".join(f"{n} {v}" for n, v in zip(report.group_names, key, strict=True))
            body.append(f"<h3>{escape(label)}</h3>")
        body.append(
            _table(
                header,
                (
                    [
                        r["stage"],
                        r["entered"],
                        r["visits"],
                        r["now"],
                        r["forward"],
                        r["back"],
                        ", ".join(f"{k} {v}" for k, v in r["left_to"].items()) or "-",
                        _pct(r["conversion"]),
                        _pct(r["from_first"]),
                        r["days_latest_median"],
                        r["days_latest_p90"],
                    ]
                    for r in rows
                ),
            )
        )
    body.append("</section>")
    if report.flow is not None:
        body += _keyed_section(
            "flow", "Flow over the period", _FLOW_HEADER, _FLOW_KEYS, report.flow
        )
    if report.sla is not None:
        late = [_past_due_table(report)] if report.past_due else []
        body += _keyed_section("sla", "SLA", _SLA_HEADER, _SLA_KEYS, report.sla, after=late)
    return _page(title, body)


#: The columns of the flow and of the SLA tables: headers, and the keys of their rows.
_FLOW_HEADER = ["stage", "at start", "in", "out", "at end"]
_FLOW_KEYS = ("stage", "at_start", "inflow", "outflow", "at_end")
_SLA_HEADER = ["stage", "limit", "in stage", "due", "past due"]
_SLA_KEYS = ("stage", "limit", "in_stage", "due", "past_due")


def _keyed_section(
    section_id: str,
    title: str,
    header: list[str],
    keys: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    *,
    after: Iterable[str] = (),
) -> list[str]:
    """A section ``section_id`` titled ``title``: a table of ``rows`` (``header`` over the
    values of ``keys`` in each), then the parts ``after``."""
    return [
        f'<section id="{section_id}"><h2>{escape(title)}</h2>',
        _table(header, ([row[key] for key in keys] for row in rows)),
        *after,
        "</section>",
    ]


def _past_due_table(report: FunnelReport) -> str:
    """The leads past due, as the terminal says them: the most overdue first, in one time
    zone."""
    return _table(
        ["lead", "stage", "since", "overdue"],
        (
            [p.lead_id, p.stage, report.local(p.entered_at).isoformat(), duration(p.overdue)]
            for p in sorted(report.past_due, key=lambda p: (-p.overdue, p.lead_id))
        ),
    )


def _backtest_sections(report: BacktestReport, suffix: str = "") -> list[str]:
    body = [f'<section id="summary{suffix}"><h2>{escape(report.ruleset)}</h2>']
    kpis = [
        ("leads", str(report.n)),
        ("won", f"{report.won} ({report.base_rate:.1%})"),
        ("AUC", "n/a" if report.auc is None else f"{report.auc:.3f}"),
        ("Gini", "n/a" if report.gini is None else f"{report.gini:.3f}"),
        ("KS", "n/a" if report.ks is None else f"{report.ks:.3f}"),
        ("PSI", "n/a" if report.psi is None else f"{report.psi:.3f}"),
    ]
    body.append(
        '<div class="kpi">'
        + "".join(f"<div>{escape(k)}<b>{escape(v)}</b></div>" for k, v in kpis)
        + "</div>"
    )
    selections = []
    for label, pr in (
        (
            f"score >= {report.threshold:g}" if report.threshold is not None else "",
            report.at_threshold,
        ),
        (f"top {report.top_k}" if report.top_k else "", report.at_top_k),
    ):
        if pr is not None:
            selections.append(
                [
                    label,
                    pr.selected,
                    pr.true_positives,
                    _pct(pr.precision),
                    _pct(pr.recall),
                    round(pr.f1, 3),
                ]
            )
    if selections:
        body.append(_table(["selection", "leads", "won", "precision", "recall", "F1"], selections))
    body.append("</section>")
    body.append(f'<section id="charts{suffix}"><h2>Charts</h2>')
    if have_matplotlib():
        figures = backtest_figures(report)
        body.append(
            '<div class="charts">'
            + "".join(f"<figure>{svg(f)}</figure>" for f in figures.values())
            + "</div>"
        )
    else:
        body.append(_no_charts())
    body.append("</section>")
    body.append(f'<section id="bands{suffix}"><h2>Score bands</h2>')
    body.append(
        _table(
            ["band", "leads", "won", "win rate", "lift", "wins captured", "scores"],
            (
                [
                    d.band,
                    d.count,
                    d.won,
                    _pct(d.win_rate),
                    f"{d.lift:.2f}",
                    _pct(d.captured),
                    f"{short_number(d.min_score)} to {short_number(d.max_score)}",
                ]
                for d in report.deciles
            ),
        )
    )
    body.append("</section>")
    body.append(f'<section id="stages{suffix}"><h2>Stages reached</h2>')
    body.append(
        _table(
            ["stage", "leads", "won", "win rate", "median days to win"],
            (
                [s.stage, s.reached, s.won, _pct(s.win_rate), s.median_days_to_win]
                for s in report.stages
            ),
        )
    )
    if report.left_out:
        left = ", ".join(f"{n} {why}" for why, n in report.left_out.items())
        body.append(f'<p class="meta">left out: {escape(left)}</p>')
    body.append("</section>")
    return body


def backtest_html(report: BacktestReport | Comparison, title: str = "Back-test") -> str:
    """A back-test (or a comparison of two) as one HTML page: the figures, the selections,
    the gain chart, the scores by outcome, the win rate by score band, and the tables; a
    comparison opens with the change in AUC and KS and both gain curves on one chart."""
    body = [f"<h1>{escape(title)}</h1>"]
    if isinstance(report, Comparison):
        body.append('<section id="changes"><h2>What changes</h2>')
        body.append(
            f"<p>{len(report.changes)} leads change stage: {len(report.promoted)} promoted "
            f"({sum(c.won is True for c in report.promoted)} of them won), {len(report.demoted)} "
            f"demoted ({sum(c.won is True for c in report.demoted)} won).</p>"
        )
        body.append(
            _table(
                ["measure", report.old.ruleset, report.new.ruleset, "change"],
                (
                    [
                        name,
                        "n/a" if a is None else f"{a:.3f}",
                        "n/a" if b is None else f"{b:.3f}",
                        "n/a" if d is None else f"{d:+.3f}",
                    ]
                    for name, a, b, d in report.figures()
                ),
            )
        )
        if have_matplotlib():
            figure = svg(comparison_gain_figure(report))
            body.append(f'<div class="charts"><figure>{figure}</figure></div>')
        body.append(
            _table(
                ["lead", "stage before", "stage after", "won"],
                ([c.lead_id, c.before, c.after, "yes" if c.won else "no"] for c in report.changes),
            )
        )
        body.append("</section>")
        body += _backtest_sections(report.old, "-old")
        body += _backtest_sections(report.new, "-new")
    else:
        body += _backtest_sections(report)
    return _page(title, body)


def write_html(text: str, path: str | os.PathLike[str]) -> None:
    """Write a page atomically (the previous file stays whole if writing fails)."""
    from leadqual._atomic import atomic_path_writer

    with atomic_path_writer(path, newline="\n") as out:
        out.write(text)
