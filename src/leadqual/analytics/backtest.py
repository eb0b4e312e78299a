"""Back-testing: how well a rule set ranks leads whose outcome is known.

Each lead with an outcome is qualified at its *decision time*, the outcome's close time
``at``, from its events strictly before then, so the result can never see the outcome or
what followed it. With ``as_of``, every lead is qualified at ``as_of`` instead, from its
events before it (outcomes without a close time need this). Then the scores are set against
won and lost:

>>> import leadqual as lq
>>> report = backtest(lq.default_ruleset(), lq.samples.sample_leads(), lq.samples.sample_events(),
...                   lq.samples.sample_outcomes())
>>> report.n, report.won, round(report.base_rate, 3)
(138, 20, 0.145)
>>> round(report.auc, 2)
0.72
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadqual._backend import Backend, resolve
from leadqual._fields import DAY, require_count
from leadqual._text import short_number as _num
from leadqual.analytics._history import ClosedLead, decisions
from leadqual.analytics.metrics import (
    Decile,
    PrecisionRecall,
    deciles,
    gini,
    ks,
    median,
    precision_recall,
    psi,
    roc_auc,
)
from leadqual.engine import StageChange
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.outcomes import Outcome
from leadqual.rulesets import RuleSet
from leadqual.stages.guards import ScoreAtLeast
from leadqual.stages.machine import TransitionRecord

__all__ = [
    "BacktestReport",
    "Comparison",
    "LeadResult",
    "StageChange",
    "StageOutcomes",
    "backtest",
    "compare",
    "mql_threshold",
]


@attrs.frozen
class LeadResult:
    """One lead of a back-test: its score and stage at ``decided_at``, and how it ended."""

    lead_id: str
    won: bool
    score: float
    stage: str
    reached: tuple[str, ...]
    decided_at: datetime
    outcome: Outcome
    entered: Mapping[str, datetime] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class StageOutcomes:
    """Of the leads that reached ``stage`` before their decision time: how many, how many
    won, and the median days from entering the stage (the first stage: from the lead's first
    event) to the won close, counting only entries before the close."""

    stage: str
    reached: int
    won: int
    win_rate: float | None
    median_days_to_win: float | None


@attrs.frozen
class BacktestReport:
    """What :func:`backtest` measured. Metrics that need won and lost leads both are
    ``None`` when one of them is missing."""

    ruleset: str
    n: int
    won: int
    base_rate: float
    auc: float | None
    gini: float | None
    ks: float | None
    deciles: tuple[Decile, ...]
    threshold: float | None
    at_threshold: PrecisionRecall | None
    top_k: int | None
    at_top_k: PrecisionRecall | None
    stages: tuple[StageOutcomes, ...]
    psi: float | None
    leads: tuple[LeadResult, ...] = attrs.field(repr=False)
    left_out: Mapping[str, int] = attrs.field(factory=dict, hash=False)

    def plot(self) -> Any:
        """The gain chart, the scores by outcome and the win rate by score band, side by
        side in one matplotlib figure (the ``plot`` extra)."""
        from leadqual.analytics.charts import backtest_figure

        return backtest_figure(self)

    def html(self, title: str = "Back-test") -> str:
        """The report as one self-contained HTML page (charts with the ``plot`` extra)."""
        from leadqual.analytics.html import backtest_html

        return backtest_html(self, title)

    def __str__(self) -> str:
        def num(value: float | None, digits: int = 3) -> str:
            return "n/a" if value is None else f"{value:.{digits}f}"

        lines = [
            f"back-test of {self.ruleset}: {self.n} leads, {self.won} won "
            f"(base rate {self.base_rate:.1%})",
            f"  AUC {num(self.auc)}   Gini {num(self.gini)}   KS {num(self.ks)}   "
            f"PSI {num(self.psi)}",
        ]
        for label, value, pr in (
            ("score >=", self.threshold, self.at_threshold),
            ("top", self.top_k, self.at_top_k),
        ):
            if pr is not None and value is not None:
                lines.append(
                    f"  {label} {value:g}: {pr.selected} selected, precision "
                    f"{pr.precision:.1%}, recall {pr.recall:.1%}, F1 {pr.f1:.3f}"
                )
        lines.append("  band  leads  won  win rate   lift  captured  scores")
        for d in self.deciles:
            lines.append(
                f"  {d.band:>4}  {d.count:>5}  {d.won:>3}  {d.win_rate:>8.1%}  "
                f"{d.lift:>5.2f}  {d.captured:>8.1%}  {_num(d.min_score)} to {_num(d.max_score)}"
            )
        lines.append("  stage reached   leads  won  win rate  median days to win")
        for s in self.stages:
            rate = "n/a" if s.win_rate is None else f"{s.win_rate:.1%}"
            days = "n/a" if s.median_days_to_win is None else f"{s.median_days_to_win:.1f}"
            lines.append(f"  {s.stage:<14} {s.reached:>6}  {s.won:>3}  {rate:>8}  {days:>18}")
        if self.left_out:
            left = ", ".join(f"{n} {why}" for why, n in self.left_out.items())
            lines.append(f"  left out: {left}")
        return "\n".join(lines)


def mql_threshold(ruleset: RuleSet) -> float | None:
    """The score the rule set's second funnel stage (MQL in the default funnel) asks for,
    when its entry guard is a plain score threshold; else None."""
    funnel = ruleset.stages.funnel()
    if len(funnel) < 2:
        return None
    guard = ruleset.stages.entry_guard(funnel[1])
    return guard.points if isinstance(guard, ScoreAtLeast) else None


def _qualify_all(
    ruleset: RuleSet,
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    as_of: datetime | None,
    *,
    backend: Backend = "python",
) -> tuple[list[LeadResult], dict[str, int]]:
    rows, by_outcome, left_out = decisions(leads, events, outcomes, as_of=as_of)
    first = ruleset.stages.first_stage()
    if resolve(backend, ruleset) == "polars":
        where = _on_the_batch_backend(ruleset, rows)
    else:
        qualifier = ruleset.qualifier()
        where = {}
        for lead, before, _, moment in rows:
            q = qualifier.qualify(lead, before, as_of=moment)
            where[lead.id] = (q.score.total, q.stage, q.history)
    results: list[LeadResult] = []
    for lead, before, won, moment in rows:
        total, stage, history = where[lead.id]
        entered: dict[str, datetime] = {}
        if before:  # the lead entered the funnel with its first event
            entered[first] = min(e.at for e in before)
        for record in history:
            entered.setdefault(record.target, record.at)
        reached = (history[0].source, *(r.target for r in history)) if history else (stage,)
        results.append(
            LeadResult(lead.id, won, total, stage, reached, moment, by_outcome[lead.id], entered)
        )
    return results, left_out


def _on_the_batch_backend(
    ruleset: RuleSet, rows: Sequence[ClosedLead]
) -> dict[str, tuple[float, str, tuple[TransitionRecord, ...]]]:
    """Each lead's score, stage and records at its moment, from ``leadqual.batch``."""
    from leadqual.batch import qualify

    events = [e for _, before, _, _ in rows for e in before]
    moments = {lead.id: moment for lead, _, _, moment in rows}
    result = qualify(ruleset, [lead for lead, *_ in rows], events, as_of=moments)
    history: dict[str, list[TransitionRecord]] = {}
    for lead_id, record in result.transitions:
        history.setdefault(lead_id, []).append(record)
    return {
        lead_id: (total, stage, tuple(history.get(lead_id, ())))
        for lead_id, total, stage in result.leads.select("lead_id", "total", "stage").iter_rows()
    }


def backtest(
    ruleset: RuleSet,
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    as_of: datetime | None = None,
    top_k: int | None = None,
    threshold: float | None = None,
    backend: Backend = "python",
) -> BacktestReport:
    """Replay each lead with an outcome through ``ruleset`` at its decision time and
    measure how well the scores rank won above lost leads.

    ``backend="polars"`` qualifies the leads on the batch backend (``leadqual.batch``,
    the same results, faster on many leads); ``"auto"`` does when Polars is installed
    and the rule set runs there.

    ``threshold`` (by default the score the MQL stage asks for) and ``top_k`` (a capacity:
    the k best-scored leads) give precision, recall and F1 of those selections. The PSI
    compares the scores of the earlier half of the leads (by decision time) with the later
    half (``None`` when every lead is decided at one moment). Leads without an outcome,
    and outcomes of leads not given, are left out and counted in ``left_out``; a lead given
    twice, two outcomes for one lead, or an outcome without a close time and no
    ``as_of``, raise :class:`~leadqual.errors.ValidationError`.
    """
    if not isinstance(ruleset, RuleSet):
        raise ValidationError("ruleset", ruleset, "expected a RuleSet")
    if top_k is not None:
        require_count("top_k", top_k)
    results, left_out = _qualify_all(ruleset, leads, events, outcomes, as_of, backend=backend)
    return _report(ruleset, results, left_out, top_k, threshold)


def _report(
    ruleset: RuleSet,
    results: Sequence[LeadResult],
    left_out: dict[str, int],
    top_k: int | None,
    threshold: float | None,
) -> BacktestReport:
    labels = [r.won for r in results]
    scores = [r.score for r in results]
    n, won = len(results), sum(labels)
    both = 0 < won < n
    cut = threshold if threshold is not None else mql_threshold(ruleset)
    at_threshold = precision_recall(labels, [s >= cut for s in scores]) if cut is not None else None
    at_top_k = None
    if top_k is not None:
        order = sorted(range(n), key=lambda i: -scores[i])[:top_k]
        chosen = set(order)
        at_top_k = precision_recall(labels, [i in chosen for i in range(n)])
    stages = []
    for stage in ruleset.stages.names():
        members = [r for r in results if stage in r.reached]
        winners = [r for r in members if r.won]
        days = [
            (r.outcome.at - r.entered[stage]).total_seconds() / DAY
            for r in winners
            if r.outcome.at is not None and stage in r.entered and r.entered[stage] <= r.outcome.at
        ]
        stages.append(
            StageOutcomes(
                stage,
                len(members),
                len(winners),
                len(winners) / len(members) if members else None,
                median(days) if days else None,
            )
        )
    by_time = sorted(results, key=lambda r: (r.decided_at, r.lead_id))
    half = len(by_time) // 2
    spread = bool(by_time) and by_time[0].decided_at != by_time[-1].decided_at
    drift = (
        psi([r.score for r in by_time[:half]], [r.score for r in by_time[half:]])
        if half and spread
        else None  # one decision time for all (as_of): no earlier and later half
    )
    return BacktestReport(
        ruleset=ruleset.label,
        n=n,
        won=won,
        base_rate=won / n if n else 0.0,
        auc=roc_auc(labels, scores) if both else None,
        gini=gini(labels, scores) if both else None,
        ks=ks(labels, scores) if both else None,
        deciles=deciles(labels, scores),
        threshold=cut,
        at_threshold=at_threshold,
        top_k=top_k,
        at_top_k=at_top_k,
        stages=tuple(stages),
        psi=drift,
        leads=tuple(results),
        left_out=left_out,
    )


@attrs.frozen
class Comparison:
    """Two back-tests side by side, and the leads whose stage changes.

    ``promoted`` are the changes to a later funnel stage, ``demoted`` to an earlier one
    (side stages such as NURTURE count as before the funnel's first stage).
    """

    old: BacktestReport
    new: BacktestReport
    changes: tuple[StageChange, ...]
    promoted: tuple[StageChange, ...]
    demoted: tuple[StageChange, ...]

    def html(self, title: str = "Back-test: two rule sets") -> str:
        """Both reports and the changes as one self-contained HTML page."""
        from leadqual.analytics.html import backtest_html

        return backtest_html(self, title)

    def figures(self) -> list[tuple[str, float | None, float | None, float | None]]:
        """(measure, old, new, change) for AUC and KS: what the new rules gain or lose in
        ranking (the change is ``None`` when either side has no figure)."""
        rows = []
        for name in ("auc", "ks"):
            a, b = getattr(self.old, name), getattr(self.new, name)
            rows.append((name.upper(), a, b, None if a is None or b is None else b - a))
        return rows

    def __str__(self) -> str:
        def won(changes: tuple[StageChange, ...]) -> str:
            return f"{len(changes)} ({sum(c.won is True for c in changes)} of them won)"

        def figure(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        moves = ", ".join(
            f"{name} {figure(a)} -> {figure(b)}" + ("" if d is None else f" ({d:+.3f})")
            for name, a, b, d in self.figures()
        )
        lines = [
            f"{self.old.ruleset} -> {self.new.ruleset}: {moves}",
            f"  {len(self.changes)} leads change stage; promoted {won(self.promoted)}, "
            f"demoted {won(self.demoted)}",
        ]
        for c in self.changes[:20]:
            lines.append(f"    {c.lead_id}: {c.before} -> {c.after}{' (won)' if c.won else ''}")
        if len(self.changes) > 20:
            lines.append(f"    ... and {len(self.changes) - 20} more")
        return "\n".join(lines)


def compare(
    old: RuleSet,
    new: RuleSet,
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    as_of: datetime | None = None,
    top_k: int | None = None,
    backend: Backend | tuple[Backend, Backend] = "python",
) -> Comparison:
    """Back-test ``old`` and ``new`` on the same history; list the leads whose stage at
    their decision time changes, and how many of those promoted or demoted won.
    ``backend`` is as for :func:`backtest`: one for both rule sets, or one each."""
    lead_list, event_list, outcome_list = list(leads), list(events), list(outcomes)
    first, second = backend if isinstance(backend, tuple) else (backend, backend)
    before = backtest(
        old, lead_list, event_list, outcome_list, as_of=as_of, top_k=top_k, backend=first
    )
    after = backtest(
        new, lead_list, event_list, outcome_list, as_of=as_of, top_k=top_k, backend=second
    )
    new_stage = {r.lead_id: r.stage for r in after.leads}
    changes = tuple(
        StageChange(r.lead_id, r.stage, new_stage[r.lead_id], r.won)
        for r in before.leads
        if new_stage[r.lead_id] != r.stage
    )
    order = {name: i + 1 for i, name in enumerate(new.stages.funnel())}
    promoted = tuple(c for c in changes if order.get(c.after, 0) > order.get(c.before, 0))
    demoted = tuple(c for c in changes if order.get(c.after, 0) < order.get(c.before, 0))
    return Comparison(before, after, changes, promoted, demoted)
