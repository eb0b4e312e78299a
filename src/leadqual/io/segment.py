"""Segment-style messages (one JSON object per line) read as leadqual events.

A ``track`` message becomes an event:

=================================  =======================================================
Segment                            Event
=================================  =======================================================
``userId`` (else ``anonymousId``)  ``lead_id``: an anonymous visitor's events are kept
                                   under their anonymous id
``event``                          ``type``, as it is (``"Demo Requested"``), unless
                                   ``event_names`` maps it (``{"Demo Requested":
                                   "demo_request"}``)
``timestamp``                      ``at`` (ISO 8601 with a UTC offset or ``Z``)
``properties``                     ``properties``
``messageId``                      ``id``, so a message delivered twice counts once
=================================  =======================================================

and ``source`` is ``"segment"``. A ``page`` message becomes a ``page_view`` event
whose ``url`` property is the page's path (``properties.path``, else the path of
``properties.url``), so rules like ``Prop("url").startswith("/pricing")`` work; the
full URL, when sent, stays in ``full_url``. ``identify``, ``group``, ``alias`` and
``screen`` messages are not events: they are passed over and counted in
``reader.ignored`` (``{"identify message": 2}``). Any other ``type`` is a row error.

>>> import io
>>> line = ('{"type": "track", "event": "Demo Requested", "userId": "u1", "messageId": "m-1", '
...         '"timestamp": "2026-11-02T09:30:00Z", "properties": {"plan": "team"}}')
>>> [event] = read_segment(io.StringIO(line), event_names={"Demo Requested": "demo_request"})
>>> event.lead_id, event.type, event.id, event.source, dict(event.properties)
('u1', 'demo_request', 'm-1', 'segment', {'plan': 'team'})
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

from leadqual._fields import parse_timestamp
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.io.files import Source
from leadqual.io.jsonl import read_objects
from leadqual.io.reader import ErrorPolicy, EventReader, check_policy, open_rows
from leadqual.io.rows import Ignored, RowResult, row_error

__all__ = ["PAGE_VIEW", "SOURCE", "read_segment"]

#: The event type a ``page`` message becomes.
PAGE_VIEW = "page_view"
#: The ``source`` of every event read from Segment messages.
SOURCE = "segment"
#: Message types that carry no event, and are passed over (and counted).
_NOT_EVENTS = ("identify", "group", "alias", "screen")
#: Event fields, and the message keys they come from (for error messages).
_KEYS = {"type": "event", "at": "timestamp", "id": "messageId"}


def read_segment(
    source: Source,
    *,
    errors: ErrorPolicy = "raise",
    event_names: Mapping[str, str] | None = None,
) -> EventReader:
    """Stream the events in a file of Segment messages, one JSON object per line.

    ``source`` is a path (``.gz`` is decompressed; any other name is read as JSON
    lines) or an open text file. ``errors`` is as for :func:`~leadqual.io.read_events`;
    a row error names the message's own keys (``timestamp``, ``userId``).
    """
    policy = check_policy(errors)
    names = dict(event_names or {})
    pairs: list[tuple[object, object]] = list(names.items())  # unchecked callers too
    for name, target in pairs:
        if not isinstance(name, str) or not isinstance(target, str) or not target.strip():
            raise ValidationError(
                f"event_names[{name!r}]", target, "expected an event type (a non-empty string)"
            )

    def make_rows(stream: IO[str], name: str) -> Iterator[RowResult[Event]]:
        return _events(stream, name, names)

    name, rows, stream, owned = open_rows(source, None, make_rows)
    return EventReader(name, "jsonl", policy, rows=rows, stream=stream, owns_stream=owned)


def _events(
    lines: IO[str], source: str, event_names: Mapping[str, str]
) -> Iterator[RowResult[Event]]:
    for item in read_objects(lines, source):
        if not isinstance(item, tuple):
            yield item
            continue
        number, message = item
        kind = message.get("type")
        kind = kind.lower() if isinstance(kind, str) else kind
        if kind in _NOT_EVENTS:
            yield Ignored(f"{kind} message")
            continue
        try:
            yield _event(message, kind, event_names)
        except ValidationError as exc:
            yield row_error(source, number, exc)


def _event(message: dict[str, Any], kind: Any, event_names: Mapping[str, str]) -> Event:
    """The event in one ``track`` or ``page`` message; errors name the message's keys."""
    name: Any
    if kind == "track":
        name = message.get("event")
        if isinstance(name, str):
            name = event_names.get(name, name)
        properties = message.get("properties")
    elif kind == "page":
        name = PAGE_VIEW
        properties = _page_properties(message.get("properties"))
    else:
        raise ValidationError(
            "type",
            message.get("type"),
            "expected a Segment message type (track, page, identify, ...)",
        )
    user_key = "userId" if message.get("userId") not in (None, "") else "anonymousId"
    user = message.get(user_key)
    if user in (None, ""):
        raise ValidationError("userId", user, "expected a userId or an anonymousId")
    if "timestamp" not in message:
        raise ValidationError("timestamp", None, "is required")
    try:
        return Event(
            user,
            name,
            at=parse_timestamp("at", message["timestamp"]),
            properties=properties,
            id=message.get("messageId"),
            source=SOURCE,
        )
    except ValidationError as exc:
        key = user_key if exc.field == "lead_id" else _KEYS.get(exc.field, exc.field)
        raise ValidationError(key, exc.value, exc.problem) from None


def _page_properties(properties: Any) -> Any:
    """Page properties, with ``url`` the page's path and ``full_url`` the URL as sent."""
    if not isinstance(properties, Mapping):
        return properties
    result = dict(properties)
    path = result.get("path")
    url = result.get("url")
    if not isinstance(path, str) and isinstance(url, str):
        path = urlsplit(url).path or "/"
    if isinstance(path, str):
        if isinstance(url, str) and url != path:
            result["full_url"] = url
        result["url"] = path
    return result
