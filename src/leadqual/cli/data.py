"""``leadqual score``, ``leadqual explain`` and ``leadqual funnel``: run a rule file over
lead and event files (JSON Lines or CSV, streamed)."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from leadqual._fields import parse_timestamp
from leadqual._gc import paused
from leadqual.analytics.funnel import Journey, funnel, journeys_from_engine, write_journeys
from leadqual.analytics.html import write_html
from leadqual.cli._common import add_as_of_option, add_command
from leadqual.cli.backend import add_backend_option, choose_backend
from leadqual.cli.input_options import add_input_options, input_options, report_inferred
from leadqual.cli.progress import progress_for
from leadqual.engine import Engine
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.io import read_events, read_leads, write_rows
from leadqual.io.files import infer_format
from leadqual.leads import Lead
from leadqual.qualifier import Qualification
from leadqual.rulesets import RuleSet, load
from leadqual.testing.lint import numbers_as_text

__all__ = ["add_parsers", "run_explain", "run_funnel", "run_score"]


def _inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", required=True, metavar="RULES", help="the rule file")
    parser.add_argument("--leads", required=True, metavar="FILE", help="leads (.jsonl or .csv)")
    parser.add_argument(
        "--events", required=True, metavar="FILE", help="events (.jsonl or .csv, any order)"
    )
    add_as_of_option(
        parser,
        "ISO 8601 time with offset to qualify at (default: the time of the latest event "
        "in EVENTS, but never later than now)",
    )
    add_input_options(parser)


_SCORE_HELP = "qualify every lead: stage, score and framework verdict"
_SCORE_DESCRIPTION = (
    "Qualify every lead of LEADS from the events of EVENTS under RULES. Writes one "
    "row per lead to --out (.jsonl or .csv) or prints a table."
)
_EXPLAIN_HELP = "why one lead is where it is"
_EXPLAIN_DESCRIPTION = "Explain one lead's stage, path, score and framework verdicts."
_FUNNEL_HELP = "how many leads reached each stage, and the conversion between stages"
_FUNNEL_DESCRIPTION = "Qualify every lead and print the funnel: per stage, now and reached."


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``score``, ``explain`` and ``funnel``."""
    score = add_command(
        commands, "score", run_score, help=_SCORE_HELP, description=_SCORE_DESCRIPTION
    )
    _inputs(score)
    add_backend_option(score)
    score.add_argument("--out", metavar="FILE", help="write results here (.jsonl or .csv)")
    score.add_argument(
        "--transitions",
        metavar="FILE",
        help="also write every lead's transitions (JSONL) for leadqual.analytics.funnel",
    )
    explain = add_command(
        commands, "explain", run_explain, help=_EXPLAIN_HELP, description=_EXPLAIN_DESCRIPTION
    )
    _inputs(explain)
    explain.add_argument("lead_id", metavar="LEAD_ID", help="the lead to explain")
    funnel = add_command(
        commands, "funnel", run_funnel, help=_FUNNEL_HELP, description=_FUNNEL_DESCRIPTION
    )
    _inputs(funnel)
    add_backend_option(funnel)
    funnel.add_argument(
        "--mode",
        choices=("strict", "any"),
        default="strict",
        help="strict: count a lead in a stage only if it passed every earlier stage in order "
        "(default); any: every stage reached",
    )
    funnel.add_argument(
        "--cohort", choices=("month", "week"), help="one table per month or week of entry"
    )
    funnel.add_argument("--by", metavar="ATTR", help="one table per value of a lead attribute")
    funnel.add_argument(
        "--sla",
        action="append",
        default=[],
        metavar="STAGE=TIME",
        help="time allowed in a stage, e.g. SQL=24h or MQL=3d (repeatable): due and past due",
    )
    funnel.add_argument(
        "--sla-details",
        action="store_true",
        help="list every past-due lead (by default the 10 most overdue, and how many more)",
    )
    funnel.add_argument(
        "--period",
        nargs=2,
        metavar=("START", "END"),
        help="ISO 8601 times: leads in each stage at START and END, entries and exits between",
    )
    funnel.add_argument(
        "--html", metavar="FILE", help="also write the report as one self-contained HTML page"
    )


class _Latest:
    """Passes events through, noting the latest moment among them and how many are later
    than ``limit`` (the ``--as-of`` given, else the run's clock)."""

    def __init__(self, limit: datetime) -> None:
        self.limit = limit
        self.latest: datetime | None = None
        self.later = 0

    def watch(self, events: Iterator[Event]) -> Iterator[Event]:
        limit = self.limit.timestamp()
        latest = -math.inf
        for event in events:
            ts = event.timestamp
            if ts > latest:
                latest = ts
                self.latest = event.at
            if ts > limit:
                self.later += 1
            yield event


def _read(
    args: argparse.Namespace,
    rules: RuleSet,
    take: Callable[[dict[str, Lead], Iterator[Event]], None],
    only: str | None = None,
) -> tuple[dict[str, Lead], datetime]:
    """The leads, and the moment the command qualifies at; the events go to ``take``
    (with the leads) as they are read."""
    leads: dict[str, Lead] = {}
    with paused(), read_leads(args.leads, **input_options(args, args.leads)) as reader:
        for lead in reader:
            if lead.id in leads:
                raise ValidationError(
                    "--leads",
                    lead.id,
                    f"{reader.source}: lead {reader.rows_read} has the id of an earlier lead",
                )
            if only is None or lead.id == only:
                leads[lead.id] = lead
        report_inferred(reader)
    for finding in numbers_as_text(rules, leads.values()):
        print(f"leadqual: warning: {finding.subject}: {finding.message}", file=sys.stderr)
    given = parse_timestamp("--as-of", args.as_of) if args.as_of is not None else None
    seen = _Latest(args.now if given is None else given)
    csv_input = infer_format(args.events) == "csv"
    progress = progress_for(args.events, "events", quiet=args.quiet, header=csv_input)
    with paused(), read_events(args.events, **input_options(args, args.events, "events")) as events:
        stream: Iterator[Event] = progress.watch(seen.watch(iter(events)))
        if only is not None:
            stream = (e for e in stream if e.lead_id == only)
        take(leads, stream)
        progress.done()
        report_inferred(events)
    # one rule for every command: the latest event of the input, never later than now
    as_of: datetime = args.now if given is None else given
    if given is None and seen.latest is not None and seen.latest <= as_of:
        as_of = seen.latest
    if seen.later:
        print(
            f"leadqual: warning: {seen.later} events are dated after "
            f"{as_of.isoformat()}{'' if given else ' (now)'}: they are kept but "
            "do not count; pass --as-of to qualify at a later time",
            file=sys.stderr,
        )
    return leads, as_of


def _lead_id(journey: Journey) -> str:
    return journey.lead_id


def _warn_held(args: argparse.Namespace, held: dict[str, int]) -> None:
    if held:
        ids = ", ".join(list(held)[:5]) + (", ..." if len(held) > 5 else "")
        print(
            f"leadqual: warning: {sum(held.values())} events name {len(held)} leads that are "
            f"not in {args.leads} ({ids}); they were not used",
            file=sys.stderr,
        )


def _load(
    args: argparse.Namespace, only: str | None = None, rules: RuleSet | None = None
) -> tuple[RuleSet, Engine, datetime]:
    """The rules, an engine holding the input, and the moment the command qualifies at."""
    ruleset = load(args.rules) if rules is None else rules
    engines: list[Engine] = []

    def take(leads: dict[str, Lead], events: Iterator[Event]) -> None:
        engine = Engine(ruleset)
        for lead in leads.values():
            engine.add_lead(lead)
        engine.apply(events)
        engines.append(engine)

    _, as_of = _read(args, ruleset, take, only)
    _warn_held(args, engines[0].pending())
    return ruleset, engines[0], as_of


def _load_batch(
    args: argparse.Namespace, rules: RuleSet
) -> tuple[RuleSet, dict[str, Lead], Any, datetime]:
    """The rules, the leads, their qualifications on the batch backend, and the moment."""
    import warnings

    from leadqual.batch import qualify

    read: list[Event] = []

    def take(leads: dict[str, Lead], events: Iterator[Event]) -> None:
        read.extend(events)

    leads, as_of = _read(args, rules, take)
    held: dict[str, int] = {}
    for event in read:
        if event.lead_id not in leads:
            held[event.lead_id] = held.get(event.lead_id, 0) + 1
    _warn_held(args, dict(sorted(held.items())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the events of unknown leads: said just above
        result = qualify(rules, leads.values(), read, as_of=as_of, unknown_leads="ignore")
    return rules, leads, result, as_of


def _points(value: float) -> float | int:
    """Points as the result files write them: two decimals, a whole number without any
    (``35``, not ``35.0``, whichever backend added them up)."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _row(q: Qualification, rules: RuleSet, extra: dict[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lead_id": q.lead.id,
        "stage": q.stage,
        "score": _points(q.score.total),
        "fit": _points(q.score.fit),
        "engagement": _points(q.score.engagement),
        "grade": q.score.grade,
        "since": q.history[-1].at.isoformat() if q.history else None,
    }
    if q.framework is not None:
        row["framework"] = q.framework.verdict.value
        row["ask_next"] = " ".join(q.framework.missing)
    for name, total in extra.items():
        row[f"score_{name}"] = _points(total)
    return row


def _results(rules: RuleSet, engine: Engine, as_of: datetime) -> Iterator[dict[str, Any]]:
    for lead_id in engine.lead_ids():
        q = engine.get(lead_id, as_of=as_of)
        yield _row(q, rules, {name: score.total for name, score in q.extra_scores.items()})


def _batch_results(rules: RuleSet, result: Any) -> Iterator[dict[str, Any]]:
    """The rows of :func:`_row`, from the batch backend's qualifications."""
    since: dict[str, str] = {}
    for lead_id, record in result.transitions:
        since[lead_id] = record.at.isoformat()
    for lead in result.leads.sort("lead_id").iter_rows(named=True):  # as the engine lists them
        row: dict[str, Any] = {
            "lead_id": lead["lead_id"],
            "stage": lead["stage"],
            "score": _points(lead["total"]),
            "fit": _points(lead["fit"]),
            "engagement": _points(lead["engagement"]),
            "grade": lead["grade"],
            "since": since.get(lead["lead_id"]),
        }
        if rules.framework is not None:
            row["framework"] = lead["verdict"]
            row["ask_next"] = " ".join(lead["missing"])
        yield row


def run_score(args: argparse.Namespace) -> int:
    """Qualify every lead and write (or print) one row per lead."""
    rules = load(args.rules)
    if choose_backend(args, rules) == "polars":
        rules, leads, result, as_of = _load_batch(args, rules)
        if not leads:
            raise ValidationError("--leads", args.leads, "holds no lead")
        rows = _batch_results(rules, result)
        journeys = sorted(result.journeys(leads.values(), rules.stages.first_stage()), key=_lead_id)
    else:
        rules, engine, as_of = _load(args, rules=rules)
        if len(engine) == 0:
            raise ValidationError("--leads", args.leads, "holds no lead")
        rows = _results(rules, engine, as_of)
        journeys = None
    return _write_scores(args, rows, as_of, journeys if journeys is not None else engine)


def _write_scores(
    args: argparse.Namespace,
    rows: Iterator[dict[str, Any]],
    as_of: datetime,
    source: Engine | list[Journey],
) -> int:
    if args.out is None:
        print(f"{'lead':<12} {'stage':<13} {'score':>8} {'fit':>6} grade  framework")
        for row in rows:
            print(
                f"{row['lead_id']:<12} {row['stage']:<13} {row['score']:>8} {row['fit']:>6} "
                f"{row['grade'] or '-':<5}  {row.get('framework', '-')}"
            )
        _write_transitions(args, source, as_of)
        return 0
    written = write_rows(rows, args.out, format=infer_format(args.out))
    print(f"{written} leads qualified as of {as_of.isoformat()} -> {args.out}", file=sys.stderr)
    _write_transitions(args, source, as_of)
    return 0


def _write_transitions(
    args: argparse.Namespace, source: Engine | list[Journey], as_of: datetime
) -> None:
    if args.transitions is not None:
        journeys = (
            journeys_from_engine(source, as_of=as_of) if isinstance(source, Engine) else source
        )
        n = write_journeys(journeys, args.transitions)
        print(f"{n} leads' transitions -> {args.transitions}", file=sys.stderr)


def run_explain(args: argparse.Namespace) -> int:
    """Print one lead's qualification and score, explained."""
    _, engine, as_of = _load(args, only=args.lead_id)
    if args.lead_id not in engine:
        raise ValidationError("LEAD_ID", args.lead_id, f"no lead with this id in {args.leads}")
    q = engine.get(args.lead_id, as_of=as_of)
    print(q.explain())
    print()
    print(q.score.explain())
    return 0


def run_funnel(args: argparse.Namespace) -> int:
    """Print the funnel of every lead (by cohort or attribute, with SLAs and a period)."""
    rules = load(args.rules)
    if choose_backend(args, rules) == "polars":
        rules, leads, result, as_of = _load_batch(args, rules)
        journeys = sorted(result.journeys(leads.values(), rules.stages.first_stage()), key=_lead_id)
    else:
        rules, engine, as_of = _load(args, rules=rules)
        leads = {i: engine.state(i).lead for i in engine.lead_ids()}
        journeys = journeys_from_engine(engine, as_of=as_of)
    if args.by is not None and not any(args.by in lead.attributes for lead in leads.values()):
        raise ValidationError("--by", args.by, f"no lead of {args.leads} has this attribute")
    sla = dict(_sla(item) for item in args.sla)
    period = None
    if args.period:
        start, end = (parse_timestamp("--period", value) for value in args.period)
        period = (start, end)
    report = funnel(
        journeys,
        stages=rules.stages,
        mode=args.mode,
        cohort=args.cohort,
        by=args.by,
        sla=sla or None,
        period=period,
        as_of=as_of,
    )
    print(f"{rules.label}: {len(leads)} leads")
    print(report.text(past_due=None) if args.sla_details else report)
    if args.html:
        write_html(report.html(f"Funnel of {rules.label}"), args.html)
        print(f"funnel report -> {args.html}", file=sys.stderr)
    return 0


_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _sla(text: str) -> tuple[str, timedelta]:
    """``SQL=24h`` as ``("SQL", timedelta(hours=24))``."""
    stage, sep, amount = text.partition("=")
    unit = _UNITS.get(amount[-1:].lower()) if amount else None
    try:
        number = float(amount[:-1]) if unit else None
    except ValueError:
        number = None
    if (
        not sep
        or not stage
        or unit is None
        or number is None
        or not math.isfinite(number)
        or number <= 0
    ):
        raise ValidationError(
            "--sla", text, "expected STAGE=TIME with a unit m, h, d or w (SQL=24h, MQL=3d)"
        )
    return stage, timedelta(**{unit: number})
