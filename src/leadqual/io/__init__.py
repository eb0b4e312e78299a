"""Read and write events and leads as JSON Lines and CSV, streaming.

>>> import io
>>> from datetime import datetime, timezone
>>> from leadqual import Event
>>> from leadqual.io import read_events, write_events
>>> buffer = io.StringIO()
>>> write_events([Event("L-1", "demo_request", at=datetime(2026, 11, 2, tzinfo=timezone.utc))],
...              buffer, format="jsonl")
1
>>> _ = buffer.seek(0)
>>> [event.type for event in read_events(buffer, format="jsonl")]
['demo_request']

The facade: every public name of :mod:`leadqual.io` is re-exported here; nothing is
defined here. See ``docs/howto/read-and-write-data.md``.
"""

from leadqual.errors import RowError
from leadqual.io.files import Format, Source, Target
from leadqual.io.reader import (
    ErrorPolicy,
    EventReader,
    LeadReader,
    OutcomeReader,
    Reader,
    read_events,
    read_leads,
    read_outcomes,
)
from leadqual.io.segment import read_segment
from leadqual.io.writer import write_events, write_leads, write_outcomes, write_rows

__all__ = [
    "ErrorPolicy",
    "EventReader",
    "Format",
    "LeadReader",
    "OutcomeReader",
    "Reader",
    "RowError",
    "Source",
    "Target",
    "read_events",
    "read_leads",
    "read_outcomes",
    "read_segment",
    "write_events",
    "write_leads",
    "write_outcomes",
    "write_rows",
]
