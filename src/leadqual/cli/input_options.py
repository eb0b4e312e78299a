"""How the commands read their input files: ``--delimiter``, ``--encoding`` and
``--timezone``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from leadqual.io.files import infer_format
from leadqual.io.reader import Reader

__all__ = ["add_input_options", "input_options", "report_inferred"]

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
        "--quiet",
        action="store_true",
        help="no progress on stderr (warnings and errors are still written)",
    )
    parser.add_argument(
        "--no-infer",
        dest="infer",
        action="store_false",
        help="read every cell of CSV input as text (by default a column holding only numbers "
        "is read as numbers, one holding only true/false as booleans)",
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

    >>> ns = argparse.Namespace(delimiter="tab", encoding="latin-1", timezone=None, infer=True)
    >>> input_options(ns, "leads.csv")
    {'encoding': 'latin-1', 'delimiter': '\\t', 'infer_types': True}
    >>> input_options(ns, "events.jsonl")
    {'encoding': 'latin-1'}
    """
    options: dict[str, Any] = {"encoding": args.encoding}
    if args.timezone is not None:
        options["timezone"] = args.timezone
    if infer_format(path) == "csv":
        if args.delimiter is not None:
            options["delimiter"] = _NAMED.get(args.delimiter.lower(), args.delimiter)
        if getattr(args, "infer", True):
            options["infer_types"] = True
    return options


def report_inferred(reader: Reader[Any]) -> None:
    """Say on stderr which columns of a CSV input were read as numbers or booleans."""
    found = reader.inferred
    if found is not None and (found.types or found.kept):
        print(f"leadqual: {reader.source}: {found}", file=sys.stderr)
