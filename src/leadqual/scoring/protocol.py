"""What every scoring model produces: ``Score`` and ``Contribution`` (its protocols,
``ScoringModel`` and ``ScoringState``, live in :mod:`leadqual.typing`), and ``ReplayState``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar, Protocol

import attrs

from leadqual._fields import require_aware, require_count
from leadqual._moved import moved
from leadqual._text import short_number as _num
from leadqual._text import signed_number
from leadqual.errors import ValidationError
from leadqual.jsonvalues import JsonMap
from leadqual.typing import Kind

if TYPE_CHECKING:
    from leadqual.events import Event
    from leadqual.leads import Lead

__all__ = ["Contribution", "ReplayState", "Score"]


#: A contribution not yet built: the arguments of :class:`Contribution`, in order.
Part = tuple[str, float, "Event | None", "str | None", str, Kind, "str | None"]


@attrs.frozen
class Contribution:
    """Points one rule gave (or took), and what earned them.

    ``event`` is set for engagement points, ``attribute`` names the lead attribute a
    fit rule read. ``kind`` is ``"fit"``, ``"engagement"`` or ``"adjustment"`` (a group
    cap or a score bound); a cap that cuts a rule's own points is that rule's
    contribution, of the rule's kind. ``points`` may be ``0`` for a note that explains
    why events did not count (``max_times`` reached).
    """

    rule: str
    points: float
    event: Event | None = None
    attribute: str | None = None
    reason: str = ""
    kind: Kind = "engagement"
    group: str | None = None

    def __str__(self) -> str:
        return f"{signed_number(self.points)} {self.rule}: {self.reason}{_event_day(self.event)}"


def _event_day(event: Event | None) -> str:
    """`` (event on YYYY-MM-DD)`` in UTC, the calendar ``max_per_day`` counts in."""
    if event is None:
        return ""
    return f" (event on {event.at.astimezone(timezone.utc).date().isoformat()})"


def _contributions(value: Iterable[Contribution]) -> tuple[Contribution, ...]:
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, Contribution):
            raise ValidationError(f"breakdown[{i}]", item, "expected a Contribution")
    return items


def _check_count(name: str, n: object) -> None:
    require_count(name, n, 0)


def _groups(value: Mapping[str, float] | None) -> JsonMap:
    return JsonMap(value or {}, _field="groups")


class _Deferred:
    """Contribution parts whose objects are built on first use."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts


@attrs.frozen(eq=False)
class Score:
    """A lead's score at one moment, with every point accounted for.

    ``sum(c.points for c in breakdown) == total`` always holds: caps and bounds that
    cut points appear in ``breakdown`` as contributions of their own.
    ``total == fit + engagement + adjustment`` up to float rounding: a cap on a
    group whose rules are all fit rules (or all engagement rules) counts in ``fit``
    (or ``engagement``); ``adjustment`` holds what caps on mixed groups and the
    ``min_score`` / ``max_score`` bounds added or removed. ``groups`` gives the total
    of every group the model names, ``grade`` the fit grade (when the model has
    grades) and ``as_of`` the moment the score was read at.

    A model may hand over the breakdown unbuilt (as :class:`~leadqual.PointsModel`
    does); it is built the first time it is read, so reading only the numbers of many
    scores stays cheap. Scores compare and hash by value, breakdown included.
    """

    total: float
    fit: float
    engagement: float
    _breakdown: tuple[Contribution, ...] | _Deferred = attrs.field(
        default=(), converter=_contributions, alias="breakdown", repr=False
    )
    adjustment: float = 0.0
    groups: JsonMap = attrs.field(factory=lambda: JsonMap({}), converter=_groups)
    grade: str | None = None
    as_of: datetime | None = None

    @classmethod
    def _deferred(
        cls,
        *,
        total: float,
        fit: float,
        engagement: float,
        parts: list[Part],
        adjustment: float,
        groups: dict[str, float],
        grade: str | None,
        as_of: datetime,
    ) -> Score:
        """A score from trusted numbers (a model's own), skipping the checks of
        ``__init__``; the breakdown is built from ``parts`` when first read."""
        score = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(score, "total", total)
        setattr_(score, "fit", fit)
        setattr_(score, "engagement", engagement)
        setattr_(score, "_breakdown", _Deferred(parts))
        setattr_(score, "adjustment", adjustment)
        setattr_(score, "groups", JsonMap._wrap(groups))  # type: ignore[arg-type]
        setattr_(score, "grade", grade)
        setattr_(score, "as_of", as_of)
        return score

    @property
    def breakdown(self) -> tuple[Contribution, ...]:
        """Every contribution, in rule order (fit rules, engagement rules, caps, bounds)."""
        value = self._breakdown
        if isinstance(value, _Deferred):
            value = tuple([Contribution(*part) for part in value.parts])
            object.__setattr__(self, "_breakdown", value)
        return value

    def _key(self) -> tuple[object, ...]:
        return (
            self.total,
            self.fit,
            self.engagement,
            self.breakdown,
            self.adjustment,
            self.groups,
            self.grade,
            self.as_of,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return self._key() != other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def top(self, n: int = 3) -> tuple[Contribution, ...]:
        """The ``n`` contributions with the largest effect, biggest first."""
        _check_count("n", n)
        ranked = sorted(
            (c for c in self.breakdown if c.points),
            key=lambda c: (-abs(c.points), c.rule),
        )
        return tuple(ranked[:n])

    def top_rules(self, n: int = 3) -> tuple[tuple[str, float], ...]:
        """The ``n`` rules with the largest effect, events of one rule added up.

        >>> s = Score(total=25, fit=0, engagement=25, breakdown=[
        ...     Contribution("ebook", 10), Contribution("ebook", 10), Contribution("demo", 5)])
        >>> s.top_rules(2)
        (('ebook', 20), ('demo', 5))
        """
        _check_count("n", n)
        ranked = sorted(
            ((rule, points) for rule, points in self.by_rule().items() if points),
            key=lambda item: (-abs(item[1]), item[0]),
        )
        return tuple(ranked[:n])

    def by_rule(self) -> dict[str, float]:
        """Points per rule (events of one rule added up), in breakdown order."""
        totals: dict[str, float] = {}
        for c in self.breakdown:
            totals[c.rule] = totals.get(c.rule, 0) + c.points
        return totals

    def explain(self, limit: int | None = None) -> str:
        """A readable table: one line per contribution (``limit`` keeps the largest).

        >>> s = Score(total=15, fit=15, engagement=0, breakdown=[
        ...     Contribution("senior-title", 15, attribute="title",
        ...                  reason='title matches /vp/', kind="fit")])
        >>> print(s.explain())
        score 15 = fit 15 + engagement 0
          points  rule          why
             +15  senior-title  title matches /vp/
        """
        head = (
            f"score {_num(self.total)} = fit {_num(self.fit)} + engagement {_num(self.engagement)}"
        )
        if self.adjustment:
            sign = "+" if self.adjustment > 0 else "-"
            head += f" {sign} adjustments {_num(abs(self.adjustment))}"
        if self.grade is not None:
            head += f" (grade {self.grade})"
        if self.as_of is not None:
            head += f" as of {self.as_of.isoformat()}"
        if not self.breakdown:
            return head + "\n  (no rule applies)"
        rows = list(self.breakdown)
        if limit is not None:
            keep = set(map(id, self.top(limit)))
            rows = [c for c in rows if id(c) in keep]
        lines = [head]
        if rows:
            width = max(4, *(len(c.rule) for c in rows))
            lines.append(f"  points  {'rule'.ljust(width)}  why")
            for c in rows:
                why = c.reason + _event_day(c.event)
                lines.append(f"  {signed_number(c.points):>6}  {c.rule.ljust(width)}  {why}")
        hidden = len(self.breakdown) - len(rows)
        if hidden:
            lines.append(f"  ... and {hidden} smaller contributions")
        return "\n".join(lines)


class _BatchModel(Protocol):
    def score(self, lead: Lead, events: Iterable[Event], *, as_of: datetime) -> Score: ...


class ReplayState:
    """An incremental state for a model that only scores in batch.

    It keeps the lead's events (deduplicated by id) and calls the model's batch
    ``score`` when asked, so any batch model gets the incremental form for free.

    >>> from datetime import datetime, timezone
    >>> from leadqual import Event, Lead
    >>> class CountModel:
    ...     def score(self, lead, events, *, as_of):
    ...         n = sum(1 for e in events if e.at <= as_of)
    ...         return Score(total=n, fit=0, engagement=n)
    ...     def start(self, lead):
    ...         return ReplayState(self, lead)
    >>> state = CountModel().start(Lead("L-1"))
    >>> state.apply(Event("L-1", "visit", at=datetime(2026, 1, 1, tzinfo=timezone.utc), id="a"))
    >>> state.apply(Event("L-1", "visit", at=datetime(2026, 1, 1, tzinfo=timezone.utc), id="a"))
    >>> state.score(datetime(2026, 2, 1, tzinfo=timezone.utc)).total
    1
    """

    __slots__ = ("_events", "_ids", "lead", "model")

    #: A batch model ignores events after ``as_of``, so the kept events may come in any
    #: order and the state can be read at any moment.
    accepts_late_events: ClassVar[bool] = True

    def __init__(self, model: _BatchModel, lead: Lead) -> None:
        self.model = model
        self.lead = lead
        self._events: list[Event] = []
        self._ids: dict[str, Event] = {}

    def apply(self, event: Event) -> None:
        from leadqual.scoring.points import check_event  # avoid an import cycle

        check_event(self.lead, event, self._ids)
        if event.id is not None:
            if event.id in self._ids:
                return
            self._ids[event.id] = event
        self._events.append(event)

    def score(self, as_of: datetime) -> Score:
        require_aware("as_of", as_of)
        moment = as_of.timestamp()
        # events after as_of are left out here too, whatever the model does with them:
        # the state is then read at any moment, whatever order events came in
        kept = sorted(e for e in self._events if e._ts <= moment)
        return self.model.score(self.lead, kept, as_of=as_of)


__getattr__ = moved(
    "leadqual.scoring.protocol",
    {
        "ScoringModel": "leadqual.typing.ScoringModel",
        "ScoringState": "leadqual.typing.ScoringState",
    },
)
