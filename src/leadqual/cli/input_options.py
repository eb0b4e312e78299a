"""How the commands read their input files: ``--delimiter``, ``--encoding`` and
``--timezone``."""

from __future__ import annotations

import argparse
from typing import Any

from leadqual.io.files import infer_format

__all__ = ["add_input_options", "input_options"]

_NAMED = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--delimiter`` and ``--encoding`` (for every input file of the command)."""
    parser.add_argument(
        "--delimiter",
        metavar="CHAR",
        help="what separates the cells of the CSV input files: ',' (the default), ';', "
        "'tab' or any one character",
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="where times written without a UTC offset were taken (e.g. Europe/Paris); "
        "without it such a time is an error, never a guess",
    )
    parser.add_argument(
        "--encoding",
        default="utf-8",
        metavar="NAME",
        help="the text encoding of the input files: utf-8 (the default; a byte-order mark "
        "is dropped), latin-1, cp1252, ...",
    )


def input_options(args: argparse.Namespace, path: str) -> dict[str, Any]:
    """The reader options for the input file ``path`` (a delimiter for CSV files only).

    >>> ns = argparse.Namespace(delimiter="tab", encoding="latin-1", timezone=None)
    >>> input_options(ns, "leads.csv")
    {'encoding': 'latin-1', 'delimiter': '\\t'}
    >>> input_options(ns, "events.jsonl")
    {'encoding': 'latin-1'}
    """
    options: dict[str, Any] = {"encoding": args.encoding}
    if args.timezone is not None:
        options["timezone"] = args.timezone
    if args.delimiter is not None and infer_format(path) == "csv":
        options["delimiter"] = _NAMED.get(args.delimiter.lower(), args.delimiter)
    return options
