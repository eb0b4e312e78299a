"""Writers: events or leads to JSONL or CSV, one row at a time, all or nothing for a path.

What a writer writes, the matching reader reads back equal, time zones included:
``read_events(path)`` after ``write_events(events, path)`` gives the same events.

>>> import io
>>> from datetime import datetime, timezone
>>> from leadqual.events import Event
>>> out = io.StringIO()
>>> write_events([Event("L-1", "demo_request", at=datetime(2026, 11, 2, tzinfo=timezone.utc),
...                     properties={"utm": {"source": "ads"}})], out, format="csv")
1
>>> print(out.getvalue(), end="")
lead_id,type,at,id,source,properties
L-1,demo_request,2026-11-02T00:00:00+00:00,,,"{""utm"":{""source"":""ads""}}"
"""

from __future__ import annotations

import csv as _csv
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.io.csv import EVENT_LAYOUT, LEAD_LAYOUT, OUTCOME_LAYOUT, Layout, write_csv
from leadqual.io.files import Format, Target, atomic_writer, resolve_format
from leadqual.io.jsonl import write_jsonl
from leadqual.leads import Lead
from leadqual.outcomes import Outcome

__all__ = ["write_events", "write_leads", "write_outcomes", "write_rows"]

_V = TypeVar("_V", Event, Lead, Outcome)


def _records(values: Iterable[_V], kind: type[_V], field: str) -> Iterator[dict[str, Any]]:
    article = "an" if kind.__name__[0] in "AEIOU" else "a"
    for index, value in enumerate(values):
        if not isinstance(value, kind):
            raise ValidationError(f"{field}[{index}]", value, f"expected {article} {kind.__name__}")
        yield value.to_dict()


def _write(
    values: Iterable[_V],
    kind: type[_V],
    field: str,
    layout: Layout,
    *,
    target: Target,
    format: Format | None,
) -> int:
    fmt = resolve_format(target, format)
    records = _records(values, kind, field)
    if fmt == "csv":
        with atomic_writer(target, newline="") as stream:
            return write_csv(records, stream, layout)
    with atomic_writer(target, newline="\n") as stream:
        return write_jsonl(records, stream)


def write_events(events: Iterable[Event], target: Target, *, format: Format | None = None) -> int:
    """Write ``events`` to a path or an open text file as JSONL or CSV; return how many.

    ``format`` is inferred from the name as for :func:`~leadqual.io.read_events`.
    ``events`` is consumed one at a time, so a generator streams through. A path is
    replaced all at once when everything is written (a ``.gz`` path is compressed):
    if writing fails half-way, the file is left as it was and no temporary file
    remains. A file object is written to as the rows come and left open.
    """
    return _write(events, Event, "events", EVENT_LAYOUT, target=target, format=format)


def write_leads(leads: Iterable[Lead], target: Target, *, format: Format | None = None) -> int:
    """Write ``leads`` to a path or an open text file; as :func:`write_events`."""
    return _write(leads, Lead, "leads", LEAD_LAYOUT, target=target, format=format)


def write_outcomes(
    outcomes: Iterable[Outcome], target: Target, *, format: Format | None = None
) -> int:
    """Write ``outcomes`` to a path or an open text file; as :func:`write_events`."""
    return _write(outcomes, Outcome, "outcomes", OUTCOME_LAYOUT, target=target, format=format)


def write_rows(
    rows: Iterable[Mapping[str, Any]], target: Target, *, format: Format | None = None
) -> int:
    """Write plain rows (mappings of JSON values, such as results) as JSONL or CSV; return
    how many.

    JSONL keeps each row's keys in their order. CSV takes its header from the first row's
    keys and writes ``None`` as an empty cell (every row must have those keys, no more).
    ``target`` and ``format`` as for :func:`write_events` (a path is replaced all at once).

    >>> import io
    >>> out = io.StringIO()
    >>> write_rows([{"lead_id": "L-1", "score": 35, "grade": None}], out, format="csv")
    1
    >>> print(out.getvalue(), end="")
    lead_id,score,grade
    L-1,35,
    """
    fmt = resolve_format(target, format)
    if fmt == "jsonl":
        with atomic_writer(target, newline="\n") as stream:
            return write_jsonl(rows, stream, sort_keys=False)
    with atomic_writer(target, newline="") as stream:
        writer = _csv.writer(stream, lineterminator="\n")
        header: list[str] | None = None
        count = 0
        for index, row in enumerate(rows):
            if header is None:
                header = list(row)
                writer.writerow(header)
            elif row.keys() != set(header):
                raise ValidationError(f"rows[{index}]", row, f"expected the keys {header}")
            writer.writerow(["" if row[key] is None else row[key] for key in header])
            count += 1
        return count
