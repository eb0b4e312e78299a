"""``leadqual validate`` and ``leadqual diff``: check rule files and compare versions."""

from __future__ import annotations

import argparse

from leadqual._fields import parse_timestamp
from leadqual.cli._common import add_as_of_option, add_command
from leadqual.cli.input_options import add_input_options, input_options, report_inferred
from leadqual.errors import ValidationError
from leadqual.io import read_events, read_leads
from leadqual.rulesets import diff_rulesets, load, schema_text
from leadqual.scoring.points import PointsModel
from leadqual.testing.lint import check_ruleset

__all__ = ["add_parsers", "run_diff", "run_schema", "run_validate"]


_VALIDATE_HELP = "check a rule file and report every problem"
_VALIDATE_DESCRIPTION = (
    "Check a rule file (.toml or .json). Prints a summary when it is valid; otherwise "
    "every problem with its path in the file, and exits with status 1."
)
_DIFF_HELP = "list what changed between two rule files"
_DIFF_DESCRIPTION = "List what changed between two versions of a rule set, path by path."
_SCHEMA_HELP = "print the JSON Schema of rule files"
_SCHEMA_DESCRIPTION = (
    "Print the JSON Schema of rule files, for editors: leadqual schema > rules.schema.json"
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``validate`` and ``diff``."""
    validate = add_command(
        commands, "validate", run_validate, help=_VALIDATE_HELP, description=_VALIDATE_DESCRIPTION
    )
    validate.add_argument("rules", metavar="RULES", help="the rule file")
    validate.add_argument(
        "--leads",
        metavar="FILE",
        help="sample leads: also report numeric rules that meet numbers written as text",
    )
    validate.add_argument(
        "--events",
        metavar="FILE",
        help="sample events (with --leads): also report automatic transitions that never fire",
    )
    add_as_of_option(validate, "qualify the sample at this time (default: its latest)")
    add_input_options(validate)
    diff = add_command(commands, "diff", run_diff, help=_DIFF_HELP, description=_DIFF_DESCRIPTION)
    diff.add_argument("old", metavar="OLD", help="the earlier rule file")
    diff.add_argument("new", metavar="NEW", help="the later rule file")
    add_command(commands, "schema", run_schema, help=_SCHEMA_HELP, description=_SCHEMA_DESCRIPTION)


def run_validate(args: argparse.Namespace) -> int:
    """Print a summary of a valid rule file (problems raise and exit 1)."""
    rules = load(args.rules)
    model = rules.model
    framework = "no framework" if rules.framework is None else f"framework {rules.framework.name}"
    extra = f", {len(rules.extra_models)} extra models" if rules.extra_models else ""
    counts = (
        f"{len(model.fit)} fit and {len(model.engagement)} engagement rules"
        if isinstance(model, PointsModel)  # what a rule file holds
        else type(model).__name__
    )
    print(
        f"{args.rules}: valid: {rules.label}: {counts}{extra}, {len(rules.stages.stages)} stages, "
        f"{len(rules.stages.transitions)} transitions, {framework}"
    )
    if args.leads is None:
        if args.events is not None:
            raise ValidationError("--events", args.events, "needs --leads too")
        return 0
    with read_leads(args.leads, **input_options(args, args.leads)) as reader:
        leads = list(reader)
        report_inferred(reader)
    events = None
    if args.events is not None:
        with read_events(args.events, **input_options(args, args.events, "events")) as reader:
            events = list(reader)
            report_inferred(reader)
    as_of = parse_timestamp("--as-of", args.as_of) if args.as_of else None
    report = check_ruleset(rules, leads=leads, events=events, as_of=as_of)
    problems = [f for f in report.findings if f.level != "info"]
    for finding in problems:
        print(f"  {finding}")
    if problems:
        print(f"{len(problems)} problems on the sample of {len(leads)} leads")
        return 1
    print(f"no problem on the sample of {len(leads)} leads")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """Print every change from OLD to NEW (nothing when they are the same)."""
    old, new = load(args.old), load(args.new)
    changes = diff_rulesets(old, new)
    if not changes:
        print(f"no changes between {old.label} and {new.label}")
        return 0
    print(
        f"{len(changes)} change{'s' if len(changes) != 1 else ''} from {old.label} to {new.label}:"
    )
    for change in changes:
        print(f"  {change}")
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of rule files."""
    print(schema_text(), end="")
    return 0
