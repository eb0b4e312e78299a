"""Bundled sample data: about 200 B2B leads and their events, to try leadqual on.

The events run from 2026-08-01 to 2026-11-20 UTC; :data:`SAMPLE_AS_OF` is the moment the
demo scores them at. Most leads are cold, some warm, a few hot; some are students or
competitors, and some profiles miss attributes. ``scripts/make_sample_data.py`` regenerates
the files deterministically.

>>> leads, events = sample_leads(), sample_events()
>>> len(leads), leads[0].id
(200, 'L-0001')
>>> all(e.at <= SAMPLE_AS_OF for e in events)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar

from leadqual.errors import LeadqualError, RowError
from leadqual.events import Event
from leadqual.io.jsonl import parse_jsonl
from leadqual.io.rows import Ignored
from leadqual.leads import Lead
from leadqual.outcomes import Outcome

__all__ = ["SAMPLE_AS_OF", "sample_events", "sample_leads", "sample_outcomes"]

#: The moment the sample is scored at: four days after its last event.
SAMPLE_AS_OF = datetime(2026, 11, 24, tzinfo=timezone.utc)

_T = TypeVar("_T")


def _read(name: str, build: Callable[[Mapping[str, Any]], _T]) -> tuple[_T, ...]:
    """Parse one bundled JSONL file, naming the file and line of any problem."""
    resource = files("leadqual") / "data" / name
    try:
        text = resource.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadqualError(f"cannot read the bundled sample file {name}: {exc}") from None
    items: list[_T] = []
    for outcome in parse_jsonl(text.splitlines(), name, build):
        if isinstance(outcome, RowError):
            raise outcome
        if not isinstance(outcome, Ignored):
            items.append(outcome)
    return tuple(items)


@lru_cache(maxsize=1)
def _leads() -> tuple[Lead, ...]:
    return _read("sample_leads.jsonl", Lead.from_dict)


@lru_cache(maxsize=1)
def _events() -> tuple[Event, ...]:
    return _read("sample_events.jsonl", Event.from_dict)


@lru_cache(maxsize=1)
def _outcomes() -> tuple[Outcome, ...]:
    return _read("sample_outcomes.jsonl", Outcome.from_dict)


def sample_leads() -> list[Lead]:
    """The sample leads, ``L-0001`` to ``L-0200`` (a fresh list on each call).

    >>> sorted({lead.attributes.get("industry") is None for lead in sample_leads()})
    [False, True]
    """
    return list(_leads())


def sample_events() -> list[Event]:
    """The sample events of every lead, in time order, each with a unique ``id``.

    >>> events = sample_events()
    >>> events[0].id, events[0].at.tzinfo is not None
    ('evt-00001', True)
    """
    return list(_events())


def sample_outcomes() -> list[Outcome]:
    """How the sample leads' deals ended: won or lost, with the close time (a fresh list).

    Leads with fewer than two events were never worked, and a quarter of the rest are still
    open: they have no outcome. ``scripts/make_sample_data.py`` documents the process, in
    which fit and engagement raise the chance to win.

    >>> outcomes = sample_outcomes()
    >>> len(outcomes), sum(o.won for o in outcomes)
    (138, 20)
    """
    return list(_outcomes())
