"""The ``leadqual`` command: argument parsing, dispatch and exit codes.

Exit codes: 0 success, 1 a leadqual error (one line on stderr, no traceback), 2 a usage
error (argparse's own). Each command lives in a module of its own with ``add_parser``
(register its sub-parser) and ``run`` (do the work, return the exit code).

>>> main(["--version"])  # doctest: +ELLIPSIS
leadqual ...
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime, timezone

from leadqual._fields import require_aware
from leadqual._version import __version__
from leadqual.cli import analytics, data, demo, rules
from leadqual.errors import LeadqualError

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``leadqual`` and all its commands."""
    parser = argparse.ArgumentParser(
        prog="leadqual",
        description="Qualify B2B sales leads with versioned, testable scoring rules.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.add_parser(commands)
    rules.add_parsers(commands)
    data.add_parsers(commands)
    analytics.add_parsers(commands)
    return parser


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return EXIT_OK
    return exc.code if isinstance(exc.code, int) else EXIT_ERROR


def _system_clock() -> datetime:
    return datetime.now(timezone.utc)


def main(argv: list[str] | None = None, *, clock: Callable[[], datetime] | None = None) -> int:
    """Run ``leadqual`` with ``argv`` (``sys.argv[1:]`` when ``None``); return the exit code.

    ``clock`` gives the moment of the run (the system's clock when ``None``): it is read
    once, here, and a run never qualifies later than it unless told to with ``--as-of``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), usage errors (2)
        return _exit_code(exc)
    command: Command = args.run
    try:
        args.now = require_aware("clock()", (clock or _system_clock)())
        return command(args)
    except LeadqualError as exc:
        print(f"leadqual: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("leadqual: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``leadqual demo | head``): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:  # a file that cannot be opened, read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"leadqual: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
