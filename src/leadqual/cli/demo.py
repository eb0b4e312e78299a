"""``leadqual demo``: qualify the bundled sample leads with the default rules.

>>> print(report(top=2))  # doctest: +ELLIPSIS
leadqual demo: 200 sample leads, ... events, 14 rules (5 fit, 9 engagement), as of 2026-11-24
...
showing the top 2 of 200 leads; explain one with: leadqual demo --lead L-...
<BLANKLINE>
funnel: ...
back-test of default@2026.11.0: 138 leads, 20 won (base rate 14.5%)
...
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from collections.abc import Iterable

import attrs

from leadqual._text import short_number as _num
from leadqual.analytics import backtest
from leadqual.cli._common import add_command
from leadqual.default_model import default_model
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.qualifier import Qualification, Qualifier
from leadqual.rulesets import default_ruleset
from leadqual.samples import SAMPLE_AS_OF, sample_events, sample_leads, sample_outcomes
from leadqual.scoring.points import PointsModel
from leadqual.scoring.protocol import Score
from leadqual.stages import StageMachine

__all__ = [
    "add_parser",
    "default_qualifier",
    "explain_lead",
    "funnel_summary",
    "qualify_samples",
    "report",
    "run",
    "score_samples",
]


def default_qualifier(model: PointsModel | None = None) -> Qualifier:
    """The demo's rules: the bundled rule set (the default model, the default funnel with
    MQL at 100 points, BANT three of four), with ``model`` in place of its model if given."""
    rules = default_ruleset()
    if model is None:
        return rules.qualifier()
    return Qualifier(model=model, stages=rules.stages, framework=rules.framework)


def _events_by_lead() -> dict[str, list[Event]]:
    by_lead: dict[str, list[Event]] = {}
    for event in sample_events():
        by_lead.setdefault(event.lead_id, []).append(event)
    return by_lead


def qualify_samples(qualifier: Qualifier | None = None) -> list[Qualification]:
    """Every sample lead qualified at ``SAMPLE_AS_OF``, highest score first."""
    qualifier = default_qualifier() if qualifier is None else qualifier
    by_lead = _events_by_lead()
    results = [
        qualifier.qualify(lead, by_lead.get(lead.id, ()), as_of=SAMPLE_AS_OF)
        for lead in sample_leads()
    ]
    results.sort(key=lambda q: (-q.score.total, q.lead.id))
    return results


def funnel_summary(results: Iterable[Qualification], machine: StageMachine) -> str:
    """How many leads are in each stage now, how many ever reached it, and the
    conversion from the previous funnel stage (reached it / reached the one before)."""
    results = list(results)
    now = Counter(q.stage for q in results)
    reached = Counter(stage for q in results for stage in set(q.reached()))
    lines = [
        f"funnel: {len(results)} leads",
        f"  {'stage':<13}{'now':>5}{'reached':>9}  conversion from the stage before",
    ]
    previous: str | None = None
    for name in machine.funnel():
        rate = ""
        if previous is not None:
            rate = f"{reached[name] / reached[previous]:.1%}" if reached[previous] else "-"
        lines.append(f"  {name:<13}{now[name]:>5}{reached[name]:>9}  {rate}")
        previous = name
    for name in machine.names():
        if name not in machine.funnel():
            lines.append(f"  {name:<13}{now[name]:>5}{reached[name]:>9}")
    return "\n".join(lines)


TITLE_WIDTH = 26
DEFAULT_TOP = 15


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of 1 or more, got {value}")
    return value


_HELP = "score the bundled sample leads with the default model"
_DESCRIPTION = (
    "Score the bundled sample leads with the default model as of "
    f"{SAMPLE_AS_OF.date().isoformat()} and list them, highest score first."
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``demo`` on the ``leadqual`` parser."""
    parser = add_command(commands, "demo", run, help=_HELP, description=_DESCRIPTION)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--top",
        type=_positive_int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"list the N highest-scoring leads (default {DEFAULT_TOP})",
    )
    choice.add_argument(
        "--lead", metavar="ID", help="explain the score of one lead, point by point"
    )


def run(args: argparse.Namespace) -> int:
    """Print the report, or one lead's explanation."""
    lead_id: str | None = args.lead
    print(report(top=args.top) if lead_id is None else explain_lead(lead_id))
    return 0


def score_samples(model: PointsModel | None = None) -> list[tuple[Lead, Score]]:
    """Every sample lead with its score at ``SAMPLE_AS_OF``, highest score first."""
    model = default_model() if model is None else model
    by_lead: dict[str, list[Event]] = {}
    for event in sample_events():
        by_lead.setdefault(event.lead_id, []).append(event)
    scored = [
        (lead, model.score(lead, by_lead.get(lead.id, ()), as_of=SAMPLE_AS_OF))
        for lead in sample_leads()
    ]
    scored.sort(key=lambda pair: (-pair[1].total, pair[0].id))
    return scored


def _cell(value: object, width: int) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _top(rules: Iterable[tuple[str, float]]) -> str:
    return ", ".join(f"{points:+.0f} {rule}" for rule, points in rules)


def report(top: int = DEFAULT_TOP, model: PointsModel | None = None) -> str:
    """The demo's table: a summary, the ``top`` highest-scoring leads, the funnel, and a
    back-test of the rules on the sample's won and lost deals."""
    rules = default_ruleset() if model is None else attrs.evolve(default_ruleset(), model=model)
    qualifier = default_qualifier(model)
    model = qualifier.model if isinstance(qualifier.model, PointsModel) else default_model()
    results = qualify_samples(qualifier)
    scored = [(q.lead, q.score) for q in results]
    stages = {q.lead.id: q.stage for q in results}
    totals = [score.total for _, score in scored]
    grades = Counter(score.grade for _, score in scored)
    lines = [
        f"leadqual demo: {len(scored)} sample leads, {len(sample_events())} events, "
        f"{len(model.rules())} rules ({len(model.fit)} fit, {len(model.engagement)} engagement), "
        f"as of {SAMPLE_AS_OF.date().isoformat()}",
        f"scores: highest {_num(max(totals))}, median {_num(statistics.median(totals))}, "
        f"lowest {_num(min(totals))}; grades: "
        + ", ".join(f"{g} {grades[g]}" for g, _ in model.grades),
        "",
        f"{'lead':<6}  {'stage':<5}  {'score':>6}  {'fit':>4}  grade  {'employees':>9}  "
        f"{'title':<{TITLE_WIDTH}}  top contributions",
    ]
    for lead, score in scored[:top]:
        lines.append(
            f"{lead.id:<6}  {stages[lead.id]:<5}  {_num(score.total):>6}  {_num(score.fit):>4}  "
            f"{score.grade or '-':<5}  {_cell(lead.attributes.get('employees'), 9):>9}  "
            f"{_cell(lead.attributes.get('title'), TITLE_WIDTH):<{TITLE_WIDTH}}  "
            f"{_top(score.top_rules(3))}"
        )
    lines.append("")
    shown = min(top, len(scored))
    best = scored[0][0].id if scored else "ID"
    lines.append(
        f"showing the top {shown} of {len(scored)} leads; "
        f"explain one with: leadqual demo --lead {best}"
    )
    lines.append("")
    lines.append(funnel_summary(results, qualifier.stages))
    lines.append("")
    lines.append(str(backtest(rules, sample_leads(), sample_events(), sample_outcomes())))
    lines.append(
        "(each lead with a known outcome qualified at its close, from the events before it; "
        "run your own with: leadqual backtest)"
    )
    return "\n".join(lines)


def _profile(lead: Lead) -> str:
    attrs = lead.attributes
    parts = [f"lead {lead.id}"]
    if attrs.get("title") is not None:
        parts.append(str(attrs["title"]))
    if attrs.get("company") is not None:
        parts.append(f"at {attrs['company']}")
    facts = [
        f"{attrs['employees']} employees" if attrs.get("employees") is not None else None,
        attrs.get("industry"),
        attrs.get("country"),
        lead.email,
    ]
    known = [str(fact) for fact in facts if fact is not None]
    return " ".join(parts) + (f" ({', '.join(known)})" if known else "")


def explain_lead(lead_id: str, model: PointsModel | None = None) -> str:
    """One sample lead's profile and its full score explanation."""
    model = default_model() if model is None else model
    leads = {lead.id: lead for lead in sample_leads()}
    lead = leads.get(lead_id)
    if lead is None:
        ids = sorted(leads)
        raise ValidationError(
            "--lead", lead_id, f"no sample lead has this id (they run from {ids[0]} to {ids[-1]})"
        )
    events = [event for event in sample_events() if event.lead_id == lead_id]
    result = default_qualifier(model).qualify(lead, events, as_of=SAMPLE_AS_OF)
    return f"{_profile(lead)}, {len(events)} events\n{result.explain()}\n\n{result.score.explain()}"
