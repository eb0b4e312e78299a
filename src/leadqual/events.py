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

import json
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from math import isfinite
from typing import Any

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

__all__ = ["Event", "EventDecoder"]

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

    def sort_key(self) -> tuple[float, float, str, str, str, str, str]:
        """The key events sort by: time first, then the other fields."""
        return (
            self._ts,
            self._offset,
            self.lead_id,
            self.type,
            self.id or "",
            self.source or "",
            json.dumps(_canonical(thaw(self.properties)), sort_keys=True),
        )

    def __lt__(self, other: Event) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Event) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self == other or self.sort_key() < other.sort_key()

    def __gt__(self, other: Event) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return other.sort_key() < self.sort_key()

    def __ge__(self, other: Event) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return self == other or other.sort_key() < self.sort_key()

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

    def _row(self) -> list[Any]:
        """This event as a snapshot row (see :meth:`EventDecoder.row`)."""
        props = self.properties
        data = props._data
        if not data:
            plain: Any = None
        elif all(type(v) in _PLAIN or type(v) is float for v in data.values()):
            plain = dict(data)  # flat: JSON as it is (a copy: the event's stays its own)
        else:
            plain = thaw(props)
        return [self.at.isoformat(), self.type, plain, self.id, self.source]

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

    __slots__ = ("_shared",)

    def __init__(self) -> None:
        self._shared: dict[tuple[Any, ...], JsonMap] = {}

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


def _from_row_dict(
    data: Mapping[str, Any], shared: dict[tuple[Any, ...], JsonMap] | None
) -> Event:
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
    if props is None or (type(props) is dict and not props):
        frozen = EMPTY_MAP
    elif type(props) is dict and all(
        type(k) is str and (type(v) in _PLAIN or (type(v) is float and isfinite(v)))
        for k, v in props.items()
    ):
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
    else:
        return None
    at = parse_iso(text)
    if at is None:
        return None
    offset = at.utcoffset()
    if offset is None:
        return None
    event = _new(Event)
    s_lead, s_type, s_at, s_props, s_id, s_source, s_ts, s_offset = _SLOTS
    s_lead(event, _intern(lead_id))
    s_type(event, _intern(kind))
    s_at(event, at)
    s_props(event, frozen)
    s_id(event, event_id)
    s_source(event, source if source is None else _intern(source))
    s_ts(event, at.timestamp())
    s_offset(event, offset.total_seconds() if offset else 0.0)
    return event


# the slots' setters, for _decode (a frozen class refuses setattr)
_SLOTS: tuple[Any, ...] = tuple(
    Event.__dict__[name].__set__
    for name in ("lead_id", "type", "at", "properties", "id", "source", "_ts", "_offset")
)
