"""CSV: one event or lead per row, under a header row that names the columns.

How a column becomes part of an event (a lead works the same way, with ``id`` and
``email`` as its fields and ``attributes`` in place of ``properties``):

- a column named after a field (``lead_id``, ``type``, ``at``, ``id``, ``source``)
  fills that field; ``columns={"timestamp": "at"}`` renames a column first;
- a column named ``properties`` holds a JSON object, the event's properties;
- every other column is one property, and dots in its name nest: a column
  ``utm.source`` gives ``{"utm": {"source": ...}}``. ``columns`` can also send a
  column to a property by name: ``{"src": "properties.utm.source"}``;
- an empty cell is absent, never ``""``; cell values are strings, unless ``types``
  names the column's type: ``int``, ``float``, ``bool``, ``str`` (text, whatever
  inference says), ``list`` (items separated by ``;``) or ``datetime.date`` (an ISO 8601
  date, kept as ``"2026-12-15"``); the ``properties`` column keeps its JSON types.

Cells can hold at most 128 KiB (the :mod:`csv` module's limit); a bigger cell is a
row error.

>>> import io
>>> from leadqual.events import Event
>>> rows = open_csv(io.StringIO("timestamp,user,event,utm.source,duration\\n"
...                             "2026-11-02T09:30:00Z,L-1,page_view,ads,42\\n"),
...                 "events.csv", EVENT_LAYOUT, Event.from_dict,
...                 columns={"timestamp": "at", "user": "lead_id", "event": "type"},
...                 types={"duration": int})
>>> event = next(rows)
>>> event.lead_id, event.type, event.at.isoformat()
('L-1', 'page_view', '2026-11-02T09:30:00+00:00')
>>> from leadqual.jsonvalues import thaw
>>> thaw(event.properties)
{'utm': {'source': 'ads'}, 'duration': 42}
"""

from __future__ import annotations

import csv as _csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, TypeVar

from leadqual._columns import (
    EVENT_LAYOUT,
    LEAD_LAYOUT,
    OUTCOME_LAYOUT,
    ColumnPlan,
    Inference,
    Layout,
    check_delimiter,
    check_options,
    classify,
    decide_types,
    inferred_columns,
)
from leadqual.errors import RowError, ValidationError
from leadqual.io.rows import BLANK_LINE, RowResult, row_error

__all__ = [
    "EVENT_LAYOUT",
    "LEAD_LAYOUT",
    "OUTCOME_LAYOUT",
    "Inference",
    "Layout",
    "check_delimiter",
    "check_options",
    "infer_types",
    "open_csv",
    "write_csv",
]

_T = TypeVar("_T")


def infer_types(
    stream: Iterable[str],
    layout: Layout,
    *,
    columns: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> Inference:
    """Read a CSV file's cells and say which free-form columns hold numbers or booleans.

    A column is read as whole numbers when every non-empty cell is one, as numbers when
    every one is a number, as true/false when every one is ``true`` or ``false`` (any case).
    A column with a number written with a leading zero (``"02134"``, a postal code or an
    account number) stays text, and so does one that mixes numbers and text. Fields
    (``id``, ``lead_id``, ``at``, ...) are never typed.

    >>> import io
    >>> found = infer_types(io.StringIO("id,employees,zip,paying,note\\n"
    ...                                 "L-1,300,02134,true,42\\n"
    ...                                 "L-2,12,10001,FALSE,n/a\\n"), LEAD_LAYOUT)
    >>> dict(found.types)
    {'employees': <class 'int'>, 'paying': <class 'bool'>}
    >>> dict(found.kept)
    {'zip': 'leading zeros', 'note': 'numbers and text'}
    """
    reader = _csv.reader(stream, delimiter=check_delimiter(delimiter))
    header = next(reader, None) or []
    free = inferred_columns(header, layout, columns or {})
    seen: dict[int, dict[str, int]] = {i: {} for i in free}
    for row in reader:
        for i in free:
            if i < len(row) and row[i]:
                tally = seen[i]
                kind = classify(row[i])
                tally[kind] = tally.get(kind, 0) + 1
    return decide_types({header[i]: seen[i] for i in free})


def open_csv(
    stream: Iterable[str],
    source: str,
    layout: Layout,
    build: Callable[[Mapping[str, Any]], _T],
    *,
    columns: Mapping[str, str] | None = None,
    types: Mapping[str, type[object]] | None = None,
    delimiter: str = ",",
) -> Iterator[RowResult[_T]]:
    """Read the header row now, and return the outcome of every row after it, lazily.

    ``delimiter`` separates the cells (``";"`` in many European exports, ``"\\t"``).
    A missing or unusable header raises :class:`~leadqual.errors.RowError` (line 1)
    at once, whatever the error policy: no row of such a file can be read.
    """
    check_options(layout, columns, types)
    check_delimiter(delimiter)
    reader = _csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, None)
    except _csv.Error as exc:
        raise RowError(source, 1, "line", None, f"unreadable header row ({exc})") from None
    if header is None:
        raise RowError(source, 1, "line", "", "expected a header row naming the columns")
    plan = ColumnPlan.compile(layout, header, columns or {}, types or {}, source)
    return _rows(reader, plan, source, build)


def _rows(
    reader: Any, plan: ColumnPlan, source: str, build: Callable[[Mapping[str, Any]], _T]
) -> Iterator[RowResult[_T]]:
    last_line: int = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            yield RowError(source, last_line + 1, "line", None, f"unreadable CSV row ({exc})")
            last_line = reader.line_num
            continue
        line, last_line = last_line + 1, reader.line_num
        if not row:
            yield BLANK_LINE
            continue
        try:
            yield build(plan.build(row))
        except ValidationError as exc:
            yield row_error(source, line, plan.naming_column(exc))


def write_csv(records: Iterable[Mapping[str, Any]], stream: IO[str], layout: Layout) -> int:
    """Write a header row, then one row per record (the bag as compact JSON); return how many.

    What this writes reads back exactly: fields as text, absent ones as empty cells,
    and the bag in one JSON column that keeps every value's type.
    """
    writer = _csv.writer(stream, lineterminator="\n")
    encode = json.JSONEncoder(
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode
    fields, bag = layout.fields, layout.bag
    writer.writerow([*fields, bag])
    count = 0
    for record in records:
        cells = ["" if record.get(field) is None else record[field] for field in fields]
        writer.writerow([*cells, encode(record.get(bag, {}))])
        count += 1
    return count
