"""What the command modules share: registering a command, and ``--as-of``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["add_as_of_option", "add_command"]


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Callable[[argparse.Namespace], int],
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    """Register the command ``name``, carried out by ``run``; return its parser.

    ``help`` is its line in ``leadqual --help``, ``description`` the text of its own
    ``--help``.
    """
    parser = commands.add_parser(name, help=help, description=description)
    parser.set_defaults(run=run)
    return parser


def add_as_of_option(parser: argparse.ArgumentParser, text: str) -> None:
    """Add ``--as-of TIME``, the moment the command qualifies at; ``text`` is its help."""
    parser.add_argument("--as-of", metavar="TIME", help=text)
