"""JSON Lines: one JSON object per line, in the ``to_dict()`` form of an event or lead.

Reading goes line by line, so memory does not grow with the file. A blank line is
passed over (and counted); a line that is not a JSON object, or an object that is
not a valid event or lead, becomes a :class:`~leadqual.errors.RowError` naming the
line and the field.

>>> import io
>>> from leadqual.events import Event
>>> lines = io.StringIO('{"lead_id": "L-1", "type": "demo", "at": "2026-11-02T09:30:00Z"}\\n'
...                     '\\n'
...                     '{"lead_id": "L-1", "type": "demo"}\\n')
>>> for outcome in parse_jsonl(lines, "events.jsonl", Event.from_dict):
...     print(outcome)
Event(lead_id='L-1', type='demo', ...)
Ignored(reason='blank line')
events.jsonl:3: at: is required, got None
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, TypeVar

from leadqual.errors import RowError, ValidationError
from leadqual.io.rows import BLANK_LINE, Ignored, RowResult, row_error

__all__ = ["parse_jsonl", "read_objects", "write_jsonl"]

_T = TypeVar("_T")
# the decoder's scanner: (object, end) from a string and a start index
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def read_objects(
    lines: Iterable[str], source: str, start: int = 1
) -> Iterator[tuple[int, dict[str, Any]] | RowError | Ignored]:
    """Yield ``(line_number, object)`` for each JSON object line, or why a line is not one
    (lines are numbered from ``start``)."""
    decode = json.loads
    for number, line in enumerate(lines, start=start):
        if not line or line.isspace():
            yield BLANK_LINE
            continue
        try:
            data = decode(line)
        except (ValueError, RecursionError) as exc:
            problem = "expected a JSON object"
            if isinstance(exc, json.JSONDecodeError):
                problem += f" (invalid JSON at column {exc.colno}: {exc.msg})"
            yield RowError(source, number, "line", line.rstrip("\r\n"), problem)
            continue
        if not isinstance(data, dict):
            yield RowError(source, number, "line", data, "expected a JSON object, one per line")
            continue
        yield number, data


def parse_jsonl(
    lines: Iterable[str], source: str, build: Callable[[Mapping[str, Any]], _T]
) -> Iterator[RowResult[_T]]:
    """Yield ``build(object)`` for each line (``Event.from_dict``, ``Lead.from_dict``)."""
    scan = _SCAN  # json.loads without its wrappers; anything unusual goes the long way
    for number, line in enumerate(lines, start=1):
        # the common case first and inline: this loop runs once per row of a large file
        try:
            data, end = scan(line, 0)
            if end != len(line) and not line[end:].isspace():
                data = None  # trailing text: read_objects says what is wrong
        except (StopIteration, ValueError, RecursionError):
            data = None
        if type(data) is not dict:  # the long way: json.loads, or why it is no object
            item = next(read_objects((line,), source, number))
            if not isinstance(item, tuple):
                yield item
                continue
            data = item[1]
        try:
            yield build(data)
        except ValidationError as exc:
            yield row_error(source, number, exc)


def write_jsonl(
    records: Iterable[Mapping[str, Any]], stream: IO[str], *, sort_keys: bool = True
) -> int:
    """Write each record as one line of JSON (keys sorted unless ``sort_keys=False``,
    UTF-8 kept); return how many."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys, allow_nan=False).encode
    count = 0
    for record in records:
        stream.write(encode(record) + "\n")
        count += 1
    return count
