"""A CSV file of events as a frame of text cells, each cell as Python's :mod:`csv`
module (and so :func:`leadqual.io.read_events`) reads it.

Polars' CSV reader is fast but reads some files differently: it pads a row with too
few cells, turns a blank line into a row, reads a lone carriage return as text and a
quote inside a cell otherwise. So the file is first checked, byte by byte and in C:
with no quote character, line ends ``\\n`` or ``\\r\\n``, no blank line, and exactly one
delimiter fewer than the header's cells on every line (counted by Polars, one text per
line), both readers read the same cells, and Polars reads it.
Any other file is read by the :mod:`csv` module itself: slower, the same cells.

The frame has one text column ``c<i>`` per header column ``i`` (an empty cell is null)
and ``_row``, the line the row starts on.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from leadqual.errors import RowError, ValidationError

__all__ = ["cell_column", "csv_cells", "csv_header"]

_CHUNK = 1 << 23
#: bytes that may separate nothing, to read a file one line per cell
_UNUSED = (b"\x00", b"\x01", b"\x1e", b"\x1f")
#: the csv module's longest cell, in characters
_FIELD_LIMIT = csv.field_size_limit()


def cell_column(index: int) -> str:
    """The frame's column for the CSV file's column ``index``."""
    return f"c{index}"


def csv_header(path: Path, delimiter: str) -> list[str]:
    """The header row, or :class:`RowError` at line 1."""
    source = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            header = next(csv.reader(stream, delimiter=delimiter), None)
    except csv.Error as exc:
        raise RowError(source, 1, "line", None, f"unreadable header row ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(source, None, _not_utf8(exc)) from None
    if header is None:
        raise RowError(source, 1, "line", "", "expected a header row naming the columns")
    return header


def csv_cells(path: Path, delimiter: str, width: int, keep: list[int]) -> pl.LazyFrame:
    """Every row's cells (see the module), of the columns ``keep``."""
    names = [cell_column(i) for i in range(width)]
    kept = [names[i] for i in keep]
    if _plain(path, delimiter, width):
        lazy = pl.scan_csv(
            path,
            separator=delimiter,
            quote_char=None,
            infer_schema=False,
            with_column_names=lambda _: names,
            row_index_name="_row",
            row_index_offset=2,
        )
        try:
            return lazy.select(*kept, "_row").collect().lazy()
        except pl.exceptions.PolarsError:
            pass  # what the csv module says of it is the message to give
    return _python_cells(path, delimiter, names).select(*kept, "_row")


def _plain(path: Path, delimiter: str, width: int) -> bool:
    """Whether Polars reads the file cell for cell as the csv module does: no quote
    character, no blank line, line ends ``\n`` or ``\r\n``, then (read by Polars as one
    text per line) one delimiter fewer than the header's cells on every line, and no
    line long enough to hold a cell over the csv module's limit (128 KiB)."""
    separator = delimiter.encode("utf-8")
    if len(separator) != 1:
        return False
    unused = set(_UNUSED)
    returns = pairs = 0
    last = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if b'"' in chunk:
                return False
            joined = last[-2:] + chunk
            if b"\n\n" in joined or b"\n\r\n" in joined:
                return False  # a blank line: the csv module passes it over
            returns += chunk.count(b"\r")
            pairs += (last[-1:] + chunk).count(b"\r\n")
            unused = {byte for byte in unused if byte not in chunk}
            last = joined
    if returns != pairs or not unused or not last:
        return False
    lines = pl.scan_csv(
        path,
        has_header=False,
        separator=min(unused).decode(),
        quote_char=None,
        infer_schema=False,
        with_column_names=lambda _: ["line"],
    )
    line = pl.col("line")
    odd = lines.select(
        (line.str.count_matches(delimiter, literal=True) != width - 1).any().alias("width"),
        (line.str.len_chars() > _FIELD_LIMIT).any().alias("long"),
    ).collect()
    return not (odd["width"][0] or odd["long"][0])


def _python_cells(path: Path, delimiter: str, names: list[str]) -> pl.LazyFrame:
    source, width = str(path), len(names)
    rows: list[list[str]] = []
    starts: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        end = 0
        try:
            next(reader)
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if not row:
                    continue  # a blank line
                if len(row) != width:
                    raise RowError(
                        source,
                        start,
                        "line",
                        row,
                        f"expected {width} cells, as in the header row, not {len(row)}",
                    )
                rows.append(row)
                starts.append(start)
        except csv.Error as exc:
            raise RowError(source, end + 1, "line", None, f"unreadable CSV row ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ValidationError(source, None, _not_utf8(exc)) from None
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data = {n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)}
    frame = pl.DataFrame(data | {"_row": pl.Series("_row", starts, dtype=pl.UInt32)})
    empty = [pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names]
    return frame.lazy().with_columns(empty)


def _not_utf8(exc: UnicodeDecodeError) -> str:
    return (
        f"cannot read the file as UTF-8 text (byte {exc.start}: {exc.reason}); the batch "
        "backend reads UTF-8 CSV files: convert it, or read it with leadqual.io.read_events"
        "(path, encoding='latin-1')"
    )
