"""``leadqual backtest`` (how well a rule file ranks leads whose outcome is known) and
``leadqual calibrate`` (points derived from that history)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from leadqual._fields import parse_timestamp
from leadqual._gc import paused
from leadqual.analytics import BacktestReport, Comparison, backtest, calibrate, compare
from leadqual.analytics.calibrate import history_scores
from leadqual.analytics.charts import budget_figure, have_matplotlib
from leadqual.analytics.html import write_html
from leadqual.cli._common import add_as_of_option, add_command
from leadqual.cli.backend import add_backend_option, choose_backend
from leadqual.cli.input_options import add_input_options, input_options, report_inferred
from leadqual.errors import MissingExtra, ValidationError
from leadqual.events import Event
from leadqual.io import read_events, read_leads, read_outcomes
from leadqual.leads import Lead
from leadqual.outcomes import Outcome
from leadqual.rulesets import dump, load

__all__ = ["add_parsers", "run_backtest", "run_calibrate"]


_BACKTEST_HELP = "replay won and lost leads through a rule file: AUC, lift, precision"
_BACKTEST_DESCRIPTION = (
    "Qualify each lead of LEADS that has an outcome in OUTCOMES at its decision "
    "time (its close time, or --as-of), from its events strictly before then, and "
    "report how well the scores rank won above lost leads. With --compare, "
    "back-test a second rule file too and list the leads whose stage changes."
)
_CALIBRATE_HELP = "derive a points model from won and lost leads (needs leadqual[analytics])"
_CALIBRATE_DESCRIPTION = (
    "Fit points to the outcomes of OUTCOMES (scorecard scale: every --pdo points "
    "double the odds of winning), print them with the AUC on held-out leads "
    "(--folds) and write a rule file with them: the default funnel and framework "
    "(BANT), or those of --rules; MQL at the score --mql-share of the history "
    "reaches (default 0.2), or as --mql-precision or --mql-capacity choose. An "
    "input that alone separates won from lost leads (AUC >= 0.98) is refused: "
    "--exclude it, or --allow-leaks."
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backtest``."""
    parser = add_command(
        commands, "backtest", run_backtest, help=_BACKTEST_HELP, description=_BACKTEST_DESCRIPTION
    )
    parser.add_argument("--rules", required=True, metavar="RULES", help="the rule file")
    parser.add_argument("--leads", required=True, metavar="FILE", help="leads (.jsonl or .csv)")
    parser.add_argument("--events", required=True, metavar="FILE", help="events (.jsonl or .csv)")
    parser.add_argument(
        "--outcomes", required=True, metavar="FILE", help="won / lost outcomes (.jsonl or .csv)"
    )
    parser.add_argument(
        "--compare", metavar="RULES2", help="a second rule file: both reports and the changes"
    )
    parser.add_argument(
        "--top-k", type=int, metavar="N", help="also measure the N best-scored leads"
    )
    add_as_of_option(
        parser, "decide every lead at this ISO 8601 time (needed when outcomes have no close time)"
    )
    parser.add_argument(
        "--html", metavar="FILE", help="also write the report as one self-contained HTML page"
    )
    add_input_options(parser)
    add_backend_option(parser)
    cal = add_command(
        commands,
        "calibrate",
        run_calibrate,
        help=_CALIBRATE_HELP,
        description=_CALIBRATE_DESCRIPTION,
    )
    cal.add_argument("--leads", required=True, metavar="FILE", help="leads (.jsonl or .csv)")
    cal.add_argument("--events", metavar="FILE", help="events (.jsonl or .csv); optional")
    cal.add_argument("--outcomes", required=True, metavar="FILE", help="won / lost outcomes")
    cal.add_argument("--out", required=True, metavar="RULES", help="the rule file to write")
    cal.add_argument("--name", default="calibrated", help="the rule set's name")
    cal.add_argument("--version", default="1", help="the rule set's version")
    cal.add_argument("--pdo", type=float, default=20, help="points that double the odds")
    cal.add_argument("--base-score", type=float, default=100, help="points at --base-odds")
    cal.add_argument("--base-odds", type=float, default=1.0, help="odds of winning there")
    cal.add_argument(
        "--method",
        choices=["boosted", "logistic"],
        default="boosted",
        help="boosted: shapes and pairs from gradient boosting (default); logistic: "
        "quantile bins and a logistic regression",
    )
    cal.add_argument(
        "--max-rules", type=int, default=60, help="at most this many rules (default 60)"
    )
    cal.add_argument(
        "--interactions",
        type=int,
        default=3,
        help="at most this many pairs of attributes as AND rules (default 3; 0: none)",
    )
    cal.add_argument(
        "--increasing",
        metavar="NAMES",
        help="comma-separated numeric attributes or event types whose points never fall as "
        "they grow (boosted)",
    )
    cal.add_argument(
        "--decreasing",
        metavar="NAMES",
        help="likewise, whose points never rise as they grow",
    )
    cal.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the held-out AUC against the rules (.png, .svg; needs leadqual[plot])",
    )
    cal.add_argument(
        "--max-bins", type=int, default=5, help="bins per numeric attribute (logistic)"
    )
    cal.add_argument("--seed", type=int, default=0)
    add_as_of_option(cal, "decide every lead at this time")
    cal.add_argument(
        "--rules",
        metavar="RULES",
        help="keep this rule file's stages and framework; replace only its points",
    )
    cal.add_argument(
        "--attributes",
        metavar="NAMES",
        help="comma-separated attributes to score by (default: every one that describes leads)",
    )
    cal.add_argument(
        "--exclude", metavar="NAMES", help="comma-separated attributes or event types to leave out"
    )
    cal.add_argument(
        "--allow-leaks",
        action="store_true",
        help="keep inputs that alone separate won from lost (AUC >= 0.98)",
    )
    cal.add_argument(
        "--folds",
        type=int,
        default=5,
        help="folds for the held-out AUC (default 5; 0 skips it)",
    )
    group = cal.add_mutually_exclusive_group()
    group.add_argument(
        "--mql-share",
        type=float,
        metavar="S",
        help="MQL at the score the best S of the history reaches (default 0.2)",
    )
    group.add_argument(
        "--mql-precision",
        type=float,
        metavar="P",
        help="MQL at the lowest score where at least P of the history won",
    )
    group.add_argument(
        "--mql-capacity", type=int, metavar="N", help="MQL at the score of the N-th best lead"
    )
    add_input_options(cal)


def _history(args: argparse.Namespace) -> tuple[list[Lead], list[Event], list[Outcome]]:
    """The leads, events (none without ``--events``) and outcomes the command names."""
    with paused():
        with read_leads(args.leads, **input_options(args, args.leads)) as leads:
            lead_list = list(leads)
            report_inferred(leads)
        event_list: list[Event] = []
        if args.events:
            with read_events(args.events, **input_options(args, args.events, "events")) as events:
                event_list = list(events)
                report_inferred(events)
        options = input_options(args, args.outcomes, "outcomes")
        with read_outcomes(args.outcomes, **options) as outcomes:
            outcome_list = list(outcomes)
    _match_outcomes(args, lead_list, outcome_list)
    return lead_list, event_list, outcome_list


def _match_outcomes(args: argparse.Namespace, leads: list[Lead], outcomes: list[Outcome]) -> None:
    """Refuse outcomes that name none of the leads (a back-test of nobody is no answer);
    warn about the ones that name no lead."""
    if not outcomes:
        raise ValidationError("--outcomes", args.outcomes, "holds no outcome")
    ids = {lead.id for lead in leads}
    unmatched = [o.lead_id for o in outcomes if o.lead_id not in ids]
    if len(unmatched) == len(outcomes):
        raise ValidationError(
            "--outcomes",
            args.outcomes,
            f"none of its {len(outcomes)} outcomes names a lead of {args.leads} "
            f"(the first names {unmatched[0]!r}): are they the same export?",
        )
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
        print(
            f"leadqual: warning: {len(unmatched)} of {len(outcomes)} outcomes name no lead of "
            f"{args.leads} ({shown}); they were left out",
            file=sys.stderr,
        )


def run_backtest(args: argparse.Namespace) -> int:
    """Print the back-test report (or the comparison of two rule files)."""
    if args.top_k is not None and args.top_k < 1:  # said before any file is read
        raise ValidationError("--top-k", args.top_k, "expected a whole number >= 1")
    rules = load(args.rules)
    other = load(args.compare) if args.compare else None
    as_of = parse_timestamp("--as-of", args.as_of) if args.as_of else None
    leads, events, outcomes = _history(args)
    options: dict[str, Any] = {"as_of": as_of, "top_k": args.top_k}
    report: BacktestReport | Comparison
    if other is None:
        options["backend"] = choose_backend(args, rules)
        report = backtest(rules, leads, events, outcomes, **options)
        print(report)
    else:
        options["backend"] = (choose_backend(args, rules), choose_backend(args, other))
        report = compare(rules, other, leads, events, outcomes, **options)
        print(report.old)
        print()
        print(report.new)
        print()
        print(report)
    if args.html:
        write_html(report.html(f"Back-test of {rules.label}"), args.html)
        print(f"back-test report -> {args.html}", file=sys.stderr)
    return 0


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


def _monotonic(args: argparse.Namespace) -> dict[str, int] | None:
    up, down = _names(args.increasing) or [], _names(args.decreasing) or []
    both = sorted(set(up) & set(down))
    if both:
        raise ValidationError("--increasing", ",".join(both), "also given to --decreasing")
    signs = dict.fromkeys(up, 1) | dict.fromkeys(down, -1)
    return signs or None


def run_calibrate(args: argparse.Namespace) -> int:
    """Fit points, print the calibration, write the rule file."""
    if args.folds < 0 or args.folds == 1:
        raise ValidationError("--folds", args.folds, "expected 0 (none) or 2 and more")
    if args.plot and (not args.folds or args.method != "boosted"):
        raise ValidationError(
            "--plot", args.plot, "needs --folds and --method boosted (the budget table)"
        )
    if args.plot and not have_matplotlib():
        raise MissingExtra("--plot needs matplotlib: pip install 'leadqual[plot]'")
    base = load(args.rules) if args.rules else None
    as_of = parse_timestamp("--as-of", args.as_of) if args.as_of else None
    leads, events, outcomes = _history(args)
    result = calibrate(
        leads,
        events,
        outcomes,
        attributes=_names(args.attributes),
        exclude=_names(args.exclude) or (),
        pdo=args.pdo,
        base_score=args.base_score,
        base_odds=args.base_odds,
        max_bins=args.max_bins,
        method=args.method,
        max_rules=args.max_rules,
        interactions=args.interactions,
        monotonic=_monotonic(args),
        folds=args.folds or None,
        allow_leaks=args.allow_leaks,
        seed=args.seed,
        as_of=as_of,
    )
    if args.mql_precision is not None:
        found = result.threshold_for_precision(args.mql_precision)
        if found is None:
            raise ValidationError(
                "--mql-precision", args.mql_precision, "no score reaches it on this history"
            )
        threshold = found
    elif args.mql_capacity is not None:
        threshold = result.threshold_for_capacity(args.mql_capacity)
    else:
        share = 0.2 if args.mql_share is None else args.mql_share
        if not 0 < share <= 1:
            raise ValidationError("--mql-share", share, "expected a share above 0, up to 1")
        threshold = result.threshold_for_share(share)
    base_scores = None
    if base is not None:
        base_scores = history_scores(base.model, leads, events, outcomes, as_of=as_of)
    rules = result.ruleset(
        args.name, args.version, mql_score=threshold, base=base, base_scores=base_scores
    )
    dump(rules, args.out)
    print(result)
    if args.plot:
        budget_figure(result).savefig(args.plot)
        print(f"held-out AUC against rules -> {args.plot}", file=sys.stderr)
    reach = sum(1 for s in result.scores if s >= threshold)
    print(
        f"MQL at {threshold:g} points ({reach} of {result.n} leads of the history reach it) "
        f"-> {args.out}"
    )
    return 0
