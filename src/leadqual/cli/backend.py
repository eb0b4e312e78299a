"""``--backend``: run the commands on the Python engine or on the Polars batch backend."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from leadqual.rulesets import RuleSet

__all__ = ["add_backend_option", "choose_backend"]


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """Register ``--backend auto|python|polars``."""
    parser.add_argument(
        "--backend",
        choices=("auto", "python", "polars"),
        default="auto",
        help="where the rules run: polars (the batch backend, pip install 'leadqual[polars]'), "
        "python (the engine), or auto (default): polars when installed and the rules run on "
        "it, else python with a note why",
    )


def choose_backend(args: argparse.Namespace, rules: RuleSet) -> str:
    """``"polars"`` or ``"python"``, as ``args.backend`` asks; ``polars`` asked for but
    not possible raises (``MissingExtra``, ``NotLowerable``); ``auto`` says on stderr
    why it runs on the engine when it does."""
    asked = getattr(args, "backend", "python")
    if asked == "python":
        return "python"
    if importlib.util.find_spec("polars") is None:
        if asked == "polars":
            from leadqual.errors import MissingExtra

            raise MissingExtra("--backend polars needs Polars: pip install 'leadqual[polars]'")
        return "python"  # nothing to say: the engine is what runs without the extra
    from leadqual.batch import lowerable
    from leadqual.errors import NotLowerable

    reasons = lowerable(rules)
    if not reasons:
        return "polars"
    if asked == "polars":
        raise NotLowerable(reasons)
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    print(f"leadqual: running on the Python engine: {reasons[0]}{more}", file=sys.stderr)
    return "python"
