"""How the commands read their input files: ``--delimiter``, ``--encoding`` and
``--timezone``."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from leadqual.cli.column_map import PRESETS, column_map
from leadqual.io.files import infer_format, open_source
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
        "--columns",
        metavar="MAP",
        help="how the CSV columns become fields: a .toml or .json column map, or a preset "
        "(hubspot, salesforce); see the command-line how-to",
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


def input_options(args: argparse.Namespace, path: str, kind: str = "leads") -> dict[str, Any]:
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
        source = getattr(args, "columns", None)
        if source is not None:
            found = column_map(source).get(kind, {})
            if source in PRESETS:  # a preset names more columns than one export has
                header = _header(path, options)
                found = {key: {c: v for c, v in found[key].items() if c in header} for key in found}
            options.update(found)
    return options


def _header(path: str, options: dict[str, Any]) -> set[str]:
    """The column names in the first row of the CSV file at ``path``."""
    try:
        with open_source(path, newline="", encoding=options["encoding"])[0] as stream:
            row = next(csv.reader(stream, delimiter=options.get("delimiter", ",")), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return set()  # reading the file proper says what is wrong
    return set(row)


def report_inferred(reader: Reader[Any]) -> None:
    """Say on stderr which columns of a CSV input were read as numbers or booleans."""
    found = reader.inferred
    if found is not None and (found.types or found.kept):
        print(f"leadqual: {reader.source}: {found}", file=sys.stderr)
