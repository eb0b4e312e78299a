"""``leadqual backtest``: how well a rule file ranks leads whose outcome is known."""

from __future__ import annotations

import argparse
from typing import Any

from leadqual._fields import parse_timestamp
from leadqual._gc import paused
from leadqual.analytics import backtest, compare
from leadqual.io import read_events, read_leads, read_outcomes
from leadqual.rulesets import load

__all__ = ["add_parsers", "run_backtest"]


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backtest``."""
    parser = commands.add_parser(
        "backtest",
        help="replay won and lost leads through a rule file: AUC, lift, precision",
        description=(
            "Qualify each lead of LEADS that has an outcome in OUTCOMES at its decision "
            "time (its close time, or --as-of), from its events strictly before then, and "
            "report how well the scores rank won above lost leads. With --compare, "
            "back-test a second rule file too and list the leads whose stage changes."
        ),
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
    parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="decide every lead at this ISO 8601 time (needed when outcomes have no close time)",
    )
    parser.set_defaults(run=run_backtest)


def run_backtest(args: argparse.Namespace) -> int:
    """Print the back-test report (or the comparison of two rule files)."""
    rules = load(args.rules)
    other = load(args.compare) if args.compare else None
    as_of = parse_timestamp("--as-of", args.as_of) if args.as_of else None
    with paused():
        with read_leads(args.leads) as leads_reader:
            leads = list(leads_reader)
        with read_events(args.events) as events_reader:
            events = list(events_reader)
        with read_outcomes(args.outcomes) as outcomes_reader:
            outcomes = list(outcomes_reader)
    options: dict[str, Any] = {"as_of": as_of, "top_k": args.top_k}
    if other is None:
        print(backtest(rules, leads, events, outcomes, **options))
        return 0
    result = compare(rules, other, leads, events, outcomes, **options)
    print(result.old)
    print()
    print(result.new)
    print()
    print(result)
    return 0
