"""The readers' fast event decoding gives exactly what Event.from_dict gives: the same
event (fields, offset, order) or the same error, for any row."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadqual import Event, LeadqualError
from leadqual.events import EventDecoder
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
        {"x": 1}, {"x": True}, {"x": 1}, {"y": -0.0}, {"y": 0.0}
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
