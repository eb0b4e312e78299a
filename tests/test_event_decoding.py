"""The readers' fast event decoding gives exactly what Event.from_dict gives: the same
event (fields, offset, order) or the same error, for any row."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadqual import Event, LeadqualError
from leadqual.errors import ValidationError
from leadqual.events import EventDecoder, event_columns
from leadqual.testing import events, json_values

# values a row's field may hold: right, wrong, and borderline
_field_values = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", " L-1", "x", "2026-11-02", True, 0, 1.5, [], {}]),
    st.text(max_size=6),
)
_timestamps = st.one_of(
    st.sampled_from(
        [
            "2026-11-02T09:30:00+00:00",
            "2026-11-02T09:30:00Z",
            "2026-11-02T09:30:00z",
            " 2026-11-02T09:30:00+01:00 ",
            "2026-11-02T09:30:00",
            "2026-11-02",
            "2026-11-02T09:30:00.123456-05:30",
            "2026-03-29T02:30:00+02:00",
            "not a time",
            "Z",
            "",
        ]
    ),
    _field_values,
)
_properties = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=3), json_values(max_leaves=3), max_size=3),
    st.sampled_from(
        [
            {"x": float("nan")},
            {"x": float("inf")},
            {"x": 1.0},
            {"x": -0.0},
            {"x": [1, 2]},
            {"x": {"y": None}},
            [],
            "props",
        ]
    ),
)
_keys = ("lead_id", "type", "at", "properties", "id", "source")


@st.composite
def rows(draw: st.DrawFn) -> Any:
    """A row as a reader decodes it: often valid, often off in one or more fields."""
    base = draw(events(with_ids=None)).to_dict()
    for key in draw(st.lists(st.sampled_from(_keys), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "set"]))
        if action == "drop":
            base.pop(key, None)
        elif key == "at":
            base[key] = draw(_timestamps)
        elif key == "properties":
            base[key] = draw(_properties)
        else:
            base[key] = draw(_field_values)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        base[draw(st.sampled_from(["extra", "Type", "at "]))] = 1
    return json.loads(json.dumps(base, allow_nan=True))


def _decode(build: Any, row: Any) -> tuple[str, Any]:
    try:
        event = build(row)
    except LeadqualError as exc:
        return ("error", (type(exc), str(exc)))
    return (
        "event",
        (event, repr(event), event.to_dict(), event.timestamp, event.sort_key(), hash(event)),
    )


@given(rows())
def test_fast_decoding_equals_from_dict(row: Any) -> None:
    assert _decode(Event._from_plain, row) == _decode(Event.from_dict, row)


@given(st.lists(rows(), max_size=8))
def test_one_decoder_sharing_property_maps_equals_from_dict(batch: list[Any]) -> None:
    decoder = EventDecoder()
    for row in batch:
        assert _decode(decoder, row) == _decode(Event.from_dict, row)


def test_maps_equal_in_python_but_not_in_json_are_not_shared() -> None:
    decoder = EventDecoder()
    at = "2026-01-01T00:00:00+00:00"
    decoded = [
        decoder({"lead_id": "L", "type": "t", "at": at, "properties": props})
        for props in ({"x": 1}, {"x": True}, {"x": 1}, {"y": -0.0}, {"y": 0.0})
    ]
    assert [e.to_dict()["properties"] for e in decoded] == [
        {"x": 1},
        {"x": True},
        {"x": 1},
        {"y": -0.0},
        {"y": 0.0},
    ]
    assert repr(decoded[3].to_dict()["properties"]["y"]) == "-0.0"
    assert decoded[0].properties is decoded[2].properties  # shared: one object


@given(events(with_ids=None))
def test_every_written_event_decodes_back_to_itself(event: Event) -> None:
    row = json.loads(json.dumps(event.to_dict()))
    assert Event._from_plain(row) == event


def test_the_row_is_not_shared_with_the_event() -> None:
    row = {"lead_id": "L-1", "type": "t", "at": "2026-11-02T09:30:00Z", "properties": {"a": 1}}
    event = Event._from_plain(row)
    row["properties"]["a"] = 2  # type: ignore[index]
    assert event.properties == {"a": 1}


def test_a_mapping_that_is_not_a_dict_takes_the_general_path() -> None:
    from types import MappingProxyType

    row = MappingProxyType({"lead_id": "L-1", "type": "t", "at": "2026-11-02T09:30:00Z"})
    assert Event._from_plain(row) == Event.from_dict(row)


def _reference_parse(lines: list[str]) -> list[str]:
    """parse_jsonl as specified: read_objects, then build each object."""
    from leadqual.errors import ValidationError
    from leadqual.io.jsonl import read_objects
    from leadqual.io.rows import row_error

    out: list[str] = []
    for item in read_objects(lines, "f.jsonl"):
        if isinstance(item, tuple):
            try:
                out.append(repr(Event.from_dict(item[1])))
            except ValidationError as exc:
                out.append(str(row_error("f.jsonl", item[0], exc)))
        else:
            out.append(str(item))
    return out


_line_texts = st.one_of(
    rows().map(json.dumps),
    st.sampled_from(["", "[1]", '"{}"', "{", '{"a": 1} x', '{"a":1}{"b":2}', "\ufeff{}", "null"]),
    st.text(max_size=8),
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", " ", "\t"]),
            _line_texts,
            st.sampled_from(["\n", "\r\n", " \n", ""]),
        ),
        max_size=5,
    )
)
def test_jsonl_parsing_equals_its_reference(parts: list[tuple[str, str, str]]) -> None:
    from leadqual.io.jsonl import parse_jsonl

    lines = [before + text + after for before, text, after in parts]
    fast = [
        repr(item) if isinstance(item, Event) else str(item)
        for item in parse_jsonl(lines, "f.jsonl", Event._from_plain)
    ]
    assert fast == _reference_parse(lines)


# --- snapshot columns ---------------------------------------------------------------------

_zones = st.one_of(
    st.just(timezone.utc),
    # whole seconds (as zones have): Python 3.11 reads "+00:00:00.000001" as UTC
    st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s))),
)


@st.composite
def _lead_events(draw: st.DrawFn) -> list[Event]:
    """One lead's events at any time (years 1 to 9999, any fixed offset, microseconds)."""
    made = draw(st.lists(events(with_ids=None), max_size=6))
    times = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_zones
    )
    common = st.sampled_from([datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)])
    # fold is not data: no text form of a time keeps it
    return [attrs.evolve(e, at=draw(st.one_of(common, times)).replace(fold=0)) for e in made]


def _same(decoded: list[Event], written: list[Event]) -> None:
    assert [_decode(lambda e: e, e) for e in decoded] == [_decode(lambda e: e, e) for e in written]


@given(_lead_events())
def test_snapshot_columns_read_back_every_event_exactly(written: list[Event]) -> None:
    columns = json.loads(json.dumps(event_columns(written)))
    _same(EventDecoder().columns("L-1", columns), written)


def test_snapshot_columns_hold_numbers_where_a_float_is_exact() -> None:
    paris = timezone(timedelta(hours=1))
    written = [
        Event("L-1", "t", at=datetime(2026, 11, 2, 9, 30, 0, 123457, tzinfo=paris), source="w"),
        Event("L-1", "t", at=datetime(2300, 1, 1, 0, 0, 0, 999999, tzinfo=timezone.utc)),
    ]
    columns = event_columns(written)
    assert columns["at"] == [written[0].timestamp, "2300-01-01T00:00:00.999999+00:00"]
    assert columns["offset"] == [3600.0, None]
    assert columns["source"] == ["w", None]
    _same(EventDecoder().columns("L-1", columns), written)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"at": [True]}, "events.at"),
        ({"at": ["yesterday"]}, "events.at"),
        ({"at": [1e12]}, "events.at"),
        ({"at": [0.0, 1.0]}, "events.type"),
        ({"offset": [86400.0]}, "events.offset"),
        ({"offset": ["+01:00"]}, "events.offset"),
        ({"type": [" "]}, "type"),
        ({"id": [7]}, "id"),
        ({"properties": [[1]]}, "properties"),
        ({"colour": ["red"]}, "events"),
    ],
)
def test_damaged_snapshot_columns_are_refused_by_name(change: dict[str, Any], field: str) -> None:
    columns: dict[str, Any] = {"at": [0.0], "type": ["t"], "properties": [None], "id": [None]}
    columns.update(change)
    with pytest.raises(ValidationError) as info:
        EventDecoder().columns("L-1", columns)
    assert info.value.field.startswith(field)


_SAME_MOMENT = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)


@given(
    st.lists(
        st.builds(
            Event,
            st.sampled_from(["L-1", "L-2"]),
            st.sampled_from(["form", "visit"]),
            at=st.sampled_from(
                [_SAME_MOMENT, _SAME_MOMENT.astimezone(timezone(timedelta(hours=2)))]
            ),
            properties=st.one_of(st.none(), st.dictionaries(st.sampled_from("ab"), json_values())),
            id=st.one_of(st.none(), st.sampled_from(["e1", "e2"])),
            source=st.one_of(st.none(), st.just("crm")),
        ),
        min_size=2,
        max_size=2,
    )
)
def test_the_order_check_of_a_restore_agrees_with_sort_key(pair: list[Event]) -> None:
    """``_sorts_by`` (restore's order check, which dumps properties only on a full tie)
    orders events at one instant exactly as ``sort_key`` does."""
    a, b = pair
    assert a._sorts_by(b) == (a.sort_key() <= b.sort_key())
    assert b._sorts_by(a) == (b.sort_key() <= a.sort_key())
