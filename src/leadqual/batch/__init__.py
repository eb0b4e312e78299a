"""The batch backend: rule sets over whole tables of events, on Polars.

``pip install 'leadqual[polars]'``. The Python engine defines every number; this backend
computes the same ones for many leads at once (the test suite compares the two on
generated rule sets and event streams). What reads events (engagement rules, their
``where`` conditions, caps, windows and decay) runs as Polars queries; what reads only
the lead (fit rules) runs in Python once per lead, as in the engine.

>>> from datetime import datetime, timezone
>>> import polars as pl
>>> import leadqual as lq
>>> from leadqual import batch
>>> events = pl.DataFrame({
...     "lead_id": ["L-1", "L-1", "L-2"],
...     "type": ["content_download", "demo_request", "content_download"],
...     "at": ["2026-11-01T09:00:00Z", "2026-11-02T10:00:00Z", "2026-11-02T11:00:00+01:00"],
... })
>>> leads = [lq.Lead("L-1", attributes={"title": "VP Sales"}), lq.Lead("L-2")]
>>> scores = batch.score(lq.default_model(), leads, events,
...                      as_of=datetime(2026, 11, 3, tzinfo=timezone.utc))
>>> scores.select("lead_id", pl.col("total").round(2), "grade").rows()
[('L-1', 84.45, 'B'), ('L-2', 29.87, 'D')]
>>> batch.lowerable(lq.default_ruleset())
[]
"""

from __future__ import annotations

try:
    import polars as _polars  # noqa: F401 (fails early, with the way to install it)
except ImportError:  # pragma: no cover - exercised without the extra
    from leadqual.errors import MissingExtra

    raise MissingExtra("leadqual.batch needs Polars: pip install 'leadqual[polars]'") from None

from leadqual._lowering import lowerable
from leadqual.batch._frames import EventInput, EventSource, EventTable, event_frame
from leadqual.batch._qualify import BatchQualification, qualify
from leadqual.batch._score import score

__all__ = [
    "BatchQualification",
    "EventInput",
    "EventSource",
    "EventTable",
    "event_frame",
    "lowerable",
    "qualify",
    "score",
]
