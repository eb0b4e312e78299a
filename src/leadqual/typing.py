"""leadqual's protocols and public type aliases, in one place (as structlog's ``typing``).

The plug-in points are protocols: anything with the methods is one, no subclassing
needed. ``ScoringModel`` / ``ScoringState`` (your own scoring), ``Check`` (your own
framework check); ``Listener`` is what ``on_transition`` takes.

>>> from datetime import datetime, timezone
>>> import leadqual as lq
>>> from leadqual.typing import ScoringModel, ScoringState
>>> isinstance(lq.PointsModel(), ScoringModel)
True
>>> isinstance(lq.PointsModel().start(lq.Lead("L-1")), ScoringState)
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Literal, Protocol, Union, runtime_checkable

if TYPE_CHECKING:
    from leadqual.events import Event
    from leadqual.frameworks.checks import CheckResult, Facts
    from leadqual.leads import Lead
    from leadqual.scoring.protocol import Score
    from leadqual.stages.machine import TransitionRecord

__all__ = [
    "Check",
    "ErrorPolicy",
    "Format",
    "Kind",
    "Listener",
    "ScoringModel",
    "ScoringState",
    "Source",
    "StreamOrder",
    "Target",
]


@runtime_checkable
class ScoringState(Protocol):
    """A lead's scoring state, fed one event at a time.

    Three optional members make a state cheap to run in a qualifier or an engine (the
    results are the same without them; see the custom model how-to):

    - ``accepts_late_events = True`` (class attribute): ``apply`` takes events in any
      order and ``score(as_of)`` counts only events at or before ``as_of``, so one state
      per lead is read at any moment;
    - ``copy()``: an independent copy, kept at checkpoints of a state fed in order;
    - ``upper_bound(as_of)``: a number the score at ``as_of`` cannot exceed, or ``None``.
    """

    def apply(self, event: Event) -> None:
        """Take one more event into account."""
        ...

    def score(self, as_of: datetime) -> Score:
        """The score at ``as_of`` (events after it do not count)."""
        ...


@runtime_checkable
class ScoringModel(Protocol):
    """Anything that scores a lead: the built-in :class:`~leadqual.PointsModel`, or yours.

    A model has a batch form, ``score(lead, events, as_of=...)``, and an incremental
    form, ``start(lead)`` returning a :class:`ScoringState`. Both must agree. A model
    that only knows the batch form can return :class:`~leadqual.ReplayState` from
    ``start``.
    """

    def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> Score:
        """Score ``lead`` from ``events`` as of a moment."""
        ...

    def start(self, lead: Lead) -> ScoringState:
        """A fresh incremental state for ``lead``."""
        ...


@runtime_checkable
class Check(Protocol):
    """Anything with a ``name`` and an ``evaluate(facts)`` method returning a
    :class:`~leadqual.frameworks.CheckResult` of that name is a check: no subclassing
    needed."""

    @property
    def name(self) -> str:
        """The check's name, unique within a framework."""
        ...

    def evaluate(self, facts: Facts) -> CheckResult:
        """Answer the check's question from ``facts``."""
        ...


#: Called with the lead and each transition record, after the lead's state holds it.
Listener = Callable[["Lead", "TransitionRecord"], None]

#: What a contribution counts toward.
Kind = Literal["fit", "engagement", "adjustment"]

#: A file format of ``leadqual.io``.
Format = Literal["jsonl", "csv"]

#: Where ``leadqual.io`` reads from: a path, or an open text file.
Source = Union[str, "os.PathLike[str]", IO[str]]

#: Where ``leadqual.io`` writes to.
Target = Source

#: What a reader does with a bad row: raise, or collect it and go on.
ErrorPolicy = Literal["raise", "collect"]

#: How ``leadqual.testing.event_streams`` orders a stream.
StreamOrder = Literal["time", "shuffled"]
