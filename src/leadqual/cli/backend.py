"""``--backend``: run the commands on the Python engine or on the Polars batch backend."""

from __future__ import annotations

import argparse
import sys

from leadqual._backend import resolve
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
    """``"polars"`` or ``"python"``, as ``--backend`` asks (see :func:`resolve`); with
    ``auto``, a note on stderr says why the engine runs when it does."""
    return resolve(
        getattr(args, "backend", "python"),
        rules,
        lambda text: print(f"leadqual: {text}", file=sys.stderr),
    )
