"""Events: what a lead did, and when.

>>> from datetime import datetime, timezone
>>> from leadqual import Event
>>> e = Event("L-1", "page_view", at=datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc),
...           properties={"url": "/pricing"}, id="evt-1")
>>> e.properties["url"]
'/pricing'
>>> e.to_dict()["at"]
'2026-11-02T09:30:00+00:00'
>>> Event.from_dict(e.to_dict()) == e
True
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from math import isfinite
from typing import Any, cast

import attrs

from leadqual._fields import (
    check_keys,
    checked,
    optional_text,
    parse_iso,
    parse_timestamp,
    require_aware,
    require_text,
)
from leadqual.errors import ValidationError
from leadqual.jsonvalues import EMPTY_MAP, JsonMap, freeze_mapping, thaw

__all__ = ["Event", "EventDecoder", "event_columns"]

_KEYS = frozenset(("lead_id", "type", "at", "properties", "id", "source"))
_PLAIN = frozenset((str, int, bool, type(None)))
_new = object.__new__
_intern = sys.intern
#: How many distinct property maps one decoder shares (see ``EventDecoder``).
_SHARED_MAPS = 4096


def _canonical(value: Any) -> Any:
    """JSON data with whole floats as ints, so that values equal as JSON sort equal."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _properties(value: Mapping[str, Any] | None) -> JsonMap:
    return freeze_mapping(value, "properties")


@functools.total_ordering  # <=, >, >= from __lt__ and the fields' ==
@attrs.frozen(order=False)
class Event:
    """Something a lead did, at a known moment.

    ``lead_id`` and ``type`` are non-empty strings; ``at`` is a timezone-aware
    datetime (a naive one, a string or ``None`` raises
    :class:`~leadqual.errors.ValidationError`); ``properties`` is copied into a
    read-only mapping of JSON values. ``id``, when given, identifies the event for
    deduplication: the same event applied twice counts once. ``source`` says where
    it came from (``"hubspot"``, ``"web"``).

    Events are hashable and sort by ``at`` (ties broken by the UTC offset and the other
    fields, so the order is total and deterministic). An ``at`` in a named zone
    (``ZoneInfo``) is kept as the same instant with its fixed UTC offset.
    """

    lead_id: str = attrs.field(validator=checked(require_text, "lead_id"))
    type: str = attrs.field(validator=checked(require_text, "type"))
    at: datetime = attrs.field(validator=checked(require_aware, "at"))
    properties: JsonMap = attrs.field(default=EMPTY_MAP, converter=_properties, kw_only=False)
    id: str | None = attrs.field(default=None, validator=checked(optional_text, "id"))
    source: str | None = attrs.field(default=None, validator=checked(optional_text, "source"))
    _ts: float = attrs.field(init=False, eq=False, repr=False, hash=False)
    # the UTC offset, so that one instant written with two offsets is two events (their
    # ``to_dict()`` differ), consistently with how events sort
    _offset: float = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # A fixed offset keeps the instant and the offset but not the zone's rules: two
        # wall times in a DST fold are then different values, as they are different
        # instants (zoneinfo datetimes compare equal there).
        offset = self.at.utcoffset()
        if not isinstance(self.at.tzinfo, timezone) and offset is not None:
            object.__setattr__(self, "at", self.at.astimezone(timezone(offset)))
        object.__setattr__(self, "_ts", self.at.timestamp())
        offset = self.at.utcoffset()
        object.__setattr__(self, "_offset", offset.total_seconds() if offset else 0.0)

    @property
    def timestamp(self) -> float:
        """``at`` as seconds since the Unix epoch."""
        return self._ts

    def same_occurrence(self, other: Event) -> bool:
        """Whether ``other`` records the same happening: equal but perhaps written with
        another UTC offset (a redelivery through another pipeline). Deduplication by id
        uses this, so such a copy counts once instead of raising."""
        return (
            self._ts == other._ts
            and self.lead_id == other.lead_id
            and self.type == other.type
            and self.id == other.id
            and self.source == other.source
            and self.properties == other.properties
        )

    def _sorts_by(self, other: Event) -> bool:
        """Whether this event sorts at or before ``other`` (as :meth:`sort_key` orders
        them), dumping the properties to JSON only when every other field ties."""
        if self._ts != other._ts:
            return self._ts < other._ts
        mine, theirs = self._head(), other._head()
        if mine != theirs:
            return mine < theirs
        return self.sort_key() <= other.sort_key()

    def _head(self) -> tuple[float, float, str, str, str, str]:
        """:meth:`sort_key` but the properties (cheap to compare)."""
        return (self._ts, self._offset, self.lead_id, self.type, self.id or "", self.source or "")

    def sort_key(self) -> tuple[float, float, str, str, str, str, str]:
        """The key events sort by: time first, then the other fields."""
        return (*self._head(), json.dumps(_canonical(thaw(self.properties)), sort_keys=True))

    def __lt__(self, other: Event) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; ``at`` as ISO 8601 with its UTC offset."""
        data: dict[str, Any] = {
            "lead_id": self.lead_id,
            "type": self.type,
            "at": self.at.isoformat(),
            "properties": thaw(self.properties),
        }
        if self.id is not None:
            data["id"] = self.id
        if self.source is not None:
            data["source"] = self.source
        return data

    @classmethod
    def _from_plain(cls, data: Mapping[str, Any]) -> Event:
        """:meth:`from_dict` for a row a reader just decoded (JSON or CSV): the same
        event, or the same error, but fast for the common shape of row (text fields,
        an ISO timestamp string, flat properties). Anything else takes the general path."""
        return _from_row_dict(data, None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Build an event from :meth:`to_dict` output (unknown keys are refused)."""
        check_keys("", data, ("lead_id", "type", "at"), ("properties", "id", "source"))
        return cls(
            data["lead_id"],
            data["type"],
            at=parse_timestamp("at", data["at"]),
            properties=data.get("properties"),
            id=data.get("id"),
            source=data.get("source"),
        )


class EventDecoder:
    """Builds events from rows decoded from one file (what the readers and snapshots
    use): :meth:`Event.from_dict`'s event or error, fast for plain rows, with the
    property maps that recur (``{"url": "/pricing"}``) shared between events."""

    __slots__ = ("_shared", "_zones")

    def __init__(self) -> None:
        self._shared: dict[tuple[Any, ...], JsonMap] = {}
        self._zones = _Zones()

    def __call__(self, data: Mapping[str, Any]) -> Event:
        return _from_row_dict(data, self._shared)

    def row(self, lead_id: str, row: Any) -> Event:
        """An event from a snapshot row ``[at, type, properties, id, source]``."""
        if type(row) is not list or len(row) != 5:
            raise ValidationError("event", row, "expected [at, type, properties, id, source]")
        at, kind, props, event_id, source = row
        event = _decode(lead_id, kind, at, props, event_id, source, self._shared)
        if event is None:
            fields = ("lead_id", "at", "type", "properties", "id", "source")
            return Event.from_dict(dict(zip(fields, [lead_id, *row], strict=True)))
        return event

    def columns(self, lead_id: str, data: Any) -> list[Event]:
        """One lead's events from :func:`event_columns` output, in its order."""
        if type(data) is not dict:
            raise ValidationError("events", data, "expected columns (a JSON object)")
        check_keys("events", data, ("at", "type", "properties", "id"), ("offset", "source"))
        n = len(data["at"]) if type(data["at"]) is list else -1
        cells = [data.get(name, [None] * max(n, 0)) for name in _COLUMNS]
        for name, column in zip(_COLUMNS, cells, strict=True):
            if type(column) is not list or len(column) != n:
                raise ValidationError(f"events.{name}", column, f"expected a list of {n} cells")
        if type(lead_id) is not str or not lead_id.strip():
            raise ValidationError("lead_id", lead_id, "expected non-empty text")
        lead_id = _intern(lead_id)
        at, offset, kind, props, ids, source = cells
        # each column checked at once (distinct names once); any doubt: row by row
        zones = self._zones
        if (
            set(map(type, at)) <= _NUMBERS
            and all(map(isfinite, at))
            and (not at or (min(at) > -_EXACT and max(at) < _EXACT))
            and set(map(type, kind)) <= _TEXT
            and set(map(type, source)) <= _TEXT_OR_NONE
            and set(map(type, ids)) <= _TEXT_OR_NONE
            and all(map(str.strip, filter(None, ids)))
            and ids.count("") == 0
            and set(map(type, offset)) <= _NUMBERS_OR_NONE
            and all(map(str.strip, {*kind, *filter(None, source)}))
            and source.count("") == 0
        ):
            tz = [_UTC if o is None else zones[o] for o in offset]
            maps = [EMPTY_MAP if p is None else _flat_properties(p, self._shared) for p in props]
            if None not in tz and None not in maps:
                return [  # _build interns the names
                    _build(lead_id, k, moment, frozen, i, src, moment.timestamp())
                    for k, moment, frozen, i, src in zip(
                        kind,
                        map(_fromtimestamp, at, tz),
                        cast(list[JsonMap], maps),
                        ids,
                        source,
                        strict=True,
                    )
                ]
        return list(map(_from_cells, [lead_id] * n, at, offset, kind, props, ids, source))


def _from_row_dict(data: Mapping[str, Any], shared: dict[tuple[Any, ...], JsonMap] | None) -> Event:
    """A decoded row as an event: the fast path for plain rows, else ``from_dict``."""
    if type(data) is not dict or not data.keys() <= _KEYS:
        return Event.from_dict(data)
    get = data.get
    event = _decode(
        get("lead_id"), get("type"), get("at"), get("properties"), get("id"), get("source"), shared
    )
    return Event.from_dict(data) if event is None else event


def _decode(  # noqa: PLR0917 (once per event: positional is the fast call)
    lead_id: Any,
    kind: Any,
    text: Any,
    props: Any,
    event_id: Any,
    source: Any,
    shared: dict[tuple[Any, ...], JsonMap] | None = None,
) -> Event | None:
    """The event these decoded fields make, checked as :meth:`Event.from_dict` checks
    them, for the common shape (text fields, an ISO timestamp with an offset, flat
    properties); ``None`` for anything else, which the caller hands to ``from_dict``.

    Names repeated across events (lead ids, types, sources, property keys) are interned;
    with ``shared``, flat property maps without floats that occur again are one object."""
    if not (
        type(lead_id) is str
        and lead_id.strip()
        and type(kind) is str
        and kind.strip()
        and type(text) is str
        and (event_id is None or (type(event_id) is str and event_id.strip()))
        and (source is None or (type(source) is str and source.strip()))
    ):
        return None
    frozen = _flat_properties(props, shared)
    if frozen is None:
        return None
    at = parse_iso(text)
    if at is None:
        return None
    offset = at.utcoffset()
    if offset is None:
        return None
    return _build(lead_id, kind, at, frozen, event_id, source, at.timestamp())


def _flat_properties(props: Any, shared: dict[tuple[Any, ...], JsonMap] | None) -> JsonMap | None:
    """``props`` as a read-only map when it is flat JSON (text keys, plain values), else
    ``None``; with ``shared``, maps without floats that occur again are one object."""
    if props is None or (type(props) is dict and not props):
        return EMPTY_MAP
    if type(props) is not dict or not all(
        type(k) is str and (type(v) in _PLAIN or (type(v) is float and isfinite(v)))
        for k, v in props.items()
    ):
        return None
    frozen = None
    key = None
    if shared is not None and all(type(v) is not float for v in props.values()):
        # by type too: 1 and True are equal in Python, not in JSON
        key = tuple([(k, type(v), v) for k, v in props.items()])
        frozen = shared.get(key)
    if frozen is None:
        frozen = JsonMap._wrap({_intern(k): v for k, v in props.items()})  # a copy
        if key is not None and shared is not None and len(shared) < _SHARED_MAPS:
            shared[key] = frozen
    return frozen


def _build(  # noqa: PLR0917 (once per event: positional is the fast call)
    lead_id: str,
    kind: str,
    at: datetime,
    frozen: JsonMap,
    event_id: str | None,
    source: str | None,
    ts: float,
) -> Event:
    """An event from checked fields, without ``__init__`` (names interned)."""
    event = _new(Event)
    s_lead, s_type, s_at, s_props, s_id, s_source, s_ts, s_offset = _SLOTS
    offset = at.utcoffset()
    s_lead(event, _intern(lead_id))
    s_type(event, _intern(kind))
    s_at(event, at)
    s_props(event, frozen)
    s_id(event, event_id)
    s_source(event, source if source is None else _intern(source))
    s_ts(event, ts)
    s_offset(event, offset.total_seconds() if offset else 0.0)
    return event


#: A snapshot's event columns, in the order :meth:`EventDecoder.columns` zips them.
_COLUMNS = ("at", "offset", "type", "properties", "id", "source")
_NUMBER = (int, float)
_NUMBERS = frozenset(_NUMBER)
_NUMBERS_OR_NONE = frozenset((int, float, type(None)))
_TEXT = frozenset((str,))
_TEXT_OR_NONE = frozenset((str, type(None)))
#: Seconds from the epoch within which a float keeps every microsecond (about the years
#: 1700 to 2240): outside, a snapshot writes the time as text.
_EXACT = 8e9
_fromtimestamp = datetime.fromtimestamp


_UTC = timezone.utc


class _Zones(dict[float, timezone | None]):
    """Fixed-offset time zones by offset in seconds (``None`` for one no zone has)."""

    def __missing__(self, offset: float) -> timezone | None:
        zone = None
        if -86400 < offset < 86400:  # what a Python timezone allows
            zone = timezone.utc if offset == 0 else timezone(timedelta(seconds=offset))
        self[offset] = zone
        return zone


def _from_cells(  # noqa: PLR0917 (private: one call per unusual event)
    lead_id: str, at: Any, offset: Any, kind: Any, props: Any, event_id: Any, source: Any
) -> Event:
    """The event of one row of snapshot columns that is not in the common shape, or a
    :class:`~leadqual.errors.ValidationError` naming what is wrong."""
    if type(at) is str and offset is None:
        moment = parse_timestamp("events.at", at)
    elif type(at) in _NUMBER and -_EXACT < at < _EXACT:
        zone = _UTC if offset is None else _Zones()[offset] if type(offset) in _NUMBER else None
        if zone is None:
            raise ValidationError("events.offset", offset, "expected a UTC offset in seconds")
        moment = _fromtimestamp(at, zone)
    else:
        raise ValidationError("events.at", at, "expected seconds since the epoch, or ISO text")
    return Event(lead_id, kind, at=moment, properties=props, id=event_id, source=source)


def event_columns(events: Sequence[Event]) -> dict[str, list[Any]]:
    """Events as columns, what :meth:`EventDecoder.columns` reads back equal: ``at`` in
    seconds since the epoch (as text with its offset in the rare years where a float
    would lose microseconds), ``offset`` in seconds (only when some event is not in UTC),
    ``type``, flat ``properties`` (``None`` for none), ``id``, and ``source`` (only when
    some event has one).

    >>> from datetime import datetime, timezone
    >>> e = Event("L-1", "email_open", at=datetime(2026, 11, 2, tzinfo=timezone.utc), id="e1")
    >>> event_columns([e])
    {'at': [1793577600.0], 'type': ['email_open'], 'properties': [None], 'id': ['e1']}
    >>> EventDecoder().columns("L-1", event_columns([e])) == [e]
    True
    """
    columns: dict[str, list[Any]] = {
        "at": [e._ts if -_EXACT < e._ts < _EXACT else e.at.isoformat() for e in events],
        "type": [e.type for e in events],
        "properties": [_plain(e.properties) for e in events],
        "id": [e.id for e in events],
    }
    if any(e._offset for e in events):
        columns["offset"] = [e._offset if -_EXACT < e._ts < _EXACT else None for e in events]
    if any(e.source is not None for e in events):
        columns["source"] = [e.source for e in events]
    return columns


def _plain(props: JsonMap) -> Any:
    """Properties as JSON data: ``None`` for none, a flat map as it is (copied)."""
    data = props._data
    if not data:
        return None
    if all(type(v) in _PLAIN or type(v) is float for v in data.values()):
        return dict(data)
    return thaw(props)


# the slots' setters, for _decode (a frozen class refuses setattr)
_SLOTS: tuple[Any, ...] = tuple(
    Event.__dict__[name].__set__
    for name in ("lead_id", "type", "at", "properties", "id", "source", "_ts", "_offset")
)
