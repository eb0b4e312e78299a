"""leadqual.io: streaming readers and writers for JSONL, CSV and Segment messages."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual import Event, Lead, LeadqualError, ValidationError
from leadqual.errors import RowError
from leadqual.io import (
    EventReader,
    LeadReader,
    read_events,
    read_leads,
    read_segment,
    write_events,
    write_leads,
)
from leadqual.jsonvalues import thaw
from leadqual.testing import events as event_values
from leadqual.testing import leads as lead_values

UTC = timezone.utc
CEST = timezone(timedelta(hours=2))
NEWFOUNDLAND = timezone(-timedelta(hours=3, minutes=30))
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

EVENTS = [
    Event(
        "L-1",
        "page_view",
        at=datetime(2026, 11, 2, 11, 30, tzinfo=CEST),
        properties={
            "url": "/pricing",
            "utm": {"source": "linkedin", "medium": "cpc"},
            "tags": ["q4", "abm"],
            "duration": 42,
            "ratio": 0.25,
            "returning": True,
            "referrer": None,
        },
        id="evt-1",
        source="web",
    ),
    Event("L-2", "demo_request", at=datetime(2026, 11, 3, 6, 0, 0, 123456, tzinfo=NEWFOUNDLAND)),
    Event(
        'Zoë, "the" lead\nsecond line',
        "formulaire_envoyé",
        at=AT,
        properties={"note": 'naïve café ☕, "quoted"\nand a newline', "emoji": "🚀"},
        id="ünïcode-1",
    ),
]
LEADS = [
    Lead(
        "L-1",
        email="ana@acme.com",
        attributes={"title": "VP Marketing", "employees": 400, "budget": 12_500.5},
    ),
    Lead("L-2"),
    Lead('Łukasz, "L-3"', attributes={"pain_points": ["slow", "manual"], "partner": False}),
]


def offsets(values: list[Event]) -> list[timedelta | None]:
    return [e.at.utcoffset() for e in values]


def listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events.jsonl", "events.ndjson", "events.csv", "events.csv.gz"])
def test_events_round_trip_through_a_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_events(EVENTS, path) == len(EVENTS)
    with read_events(path) as reader:
        back = list(reader)
    assert back == EVENTS
    assert offsets(back) == offsets(EVENTS)  # equal instants are not enough: zones survive
    assert [thaw(e.properties) for e in back] == [thaw(e.properties) for e in EVENTS]
    assert (reader.rows_read, reader.rows_skipped, reader.problems) == (3, 0, [])


@pytest.mark.parametrize("name", ["leads.jsonl", "leads.csv", "leads.jsonl.gz"])
def test_leads_round_trip_through_a_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_leads(LEADS, path) == len(LEADS)
    assert list(read_leads(path)) == LEADS


def test_jsonl_lines_are_to_dict_with_sorted_keys_and_unicode_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events(EVENTS, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [e.to_dict() for e in EVENTS]
    assert lines[0] == json.dumps(EVENTS[0].to_dict(), ensure_ascii=False, sort_keys=True)
    assert "☕" in lines[2]


def test_csv_writes_fields_then_compact_properties(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events(EVENTS[1:2], path)
    assert path.read_text(encoding="utf-8") == (
        "lead_id,type,at,id,source,properties\n"
        "L-2,demo_request,2026-11-03T06:00:00.123456-03:30,,,{}\n"
    )
    write_leads(LEADS[:1], tmp_path / "leads.csv")
    assert (tmp_path / "leads.csv").read_text(encoding="utf-8") == (
        "id,email,attributes\n"
        'L-1,ana@acme.com,"{""budget"":12500.5,""employees"":400,""title"":""VP Marketing""}"\n'
    )


def test_writing_nothing_gives_a_readable_file(tmp_path: Path) -> None:
    for name in ("e.csv", "e.jsonl"):
        assert write_events([], tmp_path / name) == 0
        assert list(read_events(tmp_path / name)) == []


@settings(max_examples=40)
@given(
    st.lists(event_values(lead_ids=("L-1", "L-2", 'Zoë, "x"')), max_size=8),
    st.sampled_from(["jsonl", "csv"]),
)
def test_reading_what_was_written_gives_the_same_events(events: list[Event], fmt: Any) -> None:
    buffer = io.StringIO()
    assert write_events(events, buffer, format=fmt) == len(events)
    buffer.seek(0)
    back = list(read_events(buffer, format=fmt))
    assert back == events
    assert offsets(back) == offsets(events)


@settings(max_examples=40)
@given(st.lists(lead_values(), max_size=8), st.sampled_from(["jsonl", "csv"]))
def test_reading_what_was_written_gives_the_same_leads(leads: list[Lead], fmt: Any) -> None:
    buffer = io.StringIO()
    assert write_leads(leads, buffer, format=fmt) == len(leads)
    buffer.seek(0)
    assert list(read_leads(buffer, format=fmt)) == leads


def test_the_sample_data_converts_from_jsonl_to_csv_and_back(tmp_path: Path) -> None:
    from leadqual.samples import sample_events

    events = sample_events()
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps(e.to_dict()) + "\n" for e in events), encoding="utf-8"
    )
    assert write_events(read_events(tmp_path / "in.jsonl"), tmp_path / "out.csv") == len(events)
    assert list(read_events(tmp_path / "out.csv")) == events


# -- CSV columns ----------------------------------------------------------------------------

EXPORT = (
    "timestamp,user,event,utm.source,utm.medium,duration,plan\n"
    "2026-11-02T09:30:00Z,L-1,page_view,linkedin,cpc,42,\n"
    "2026-11-02T10:00:00+02:00,L-2,demo_request,,,,team\n"
)
MAPPING = {"timestamp": "at", "user": "lead_id", "event": "type"}


def test_a_column_mapping_renames_and_other_columns_become_nested_properties() -> None:
    first, second = read_events(io.StringIO(EXPORT), format="csv", columns=MAPPING)
    assert (first.lead_id, first.type, first.at) == ("L-1", "page_view", AT)
    assert thaw(first.properties) == {
        "utm": {"source": "linkedin", "medium": "cpc"},
        "duration": "42",
    }
    assert second.at.utcoffset() == timedelta(hours=2)
    assert thaw(second.properties) == {"plan": "team"}  # empty cells are absent, not ""
    assert (first.id, first.source) == (None, None)


def test_types_read_columns_as_numbers_and_booleans() -> None:
    text = "lead_id,type,at,duration,score,partner\nL-1,t,2026-11-02T09:30:00Z,42,2.5,TRUE\n"
    [event] = read_events(
        io.StringIO(text), format="csv", types={"duration": int, "score": float, "partner": bool}
    )
    assert thaw(event.properties) == {"duration": 42, "score": 2.5, "partner": True}
    assert type(event.properties["duration"]) is int


@pytest.mark.parametrize(
    ("kind", "cell", "expected"),
    [(int, "4.5", "an integer"), (float, "nan", "a finite number"), (bool, "yes", "true or false")],
)
def test_a_cell_that_does_not_fit_its_type_is_a_row_error(
    kind: type[object], cell: str, expected: str
) -> None:
    text = f"lead_id,type,at,value\nL-1,t,2026-11-02T09:30:00Z,{cell}\n"
    with pytest.raises(RowError) as info:
        list(read_events(io.StringIO(text), format="csv", types={"value": kind}))
    assert (info.value.line, info.value.field, info.value.value) == (2, "properties.value", cell)
    assert expected in info.value.problem


def test_columns_can_target_a_property_by_name() -> None:
    text = "lead_id,type,at,src\nL-1,t,2026-11-02T09:30:00Z,ads\n"
    [event] = read_events(io.StringIO(text), format="csv", columns={"src": "properties.utm.source"})
    assert thaw(event.properties) == {"utm": {"source": "ads"}}


def test_the_properties_column_is_json_and_merges_with_property_columns() -> None:
    text = (
        "lead_id,type,at,properties,utm.source\n"
        'L-1,t,2026-11-02T09:30:00Z,"{""utm"": {""medium"": ""cpc""}, ""n"": 1}",ads\n'
        'L-1,t,2026-11-02T09:30:00Z,"{""utm"": {""source"": ""mail""}}",ads\n'
        "L-1,t,2026-11-02T09:30:00Z,[1],\n"
    )
    reader = read_events(io.StringIO(text), format="csv", errors="collect")
    [event] = list(reader)
    assert thaw(event.properties) == {"utm": {"medium": "cpc", "source": "ads"}, "n": 1}
    clash, not_object = reader.problems
    assert (clash.line, clash.field) == (3, "properties.utm.source")
    assert "both set this value" in clash.problem
    assert (not_object.line, not_object.field, not_object.value) == (4, "properties", "[1]")


def test_lead_columns_fill_id_email_and_attributes() -> None:
    text = (
        "Contact ID,E-mail,title,company.size,attributes\n"
        'L-1,ana@acme.com,VP Sales,400,"{""partner"": true}"\n'
        "L-2,,,,\n"
    )
    reader = read_leads(
        io.StringIO(text),
        format="csv",
        columns={"Contact ID": "id", "E-mail": "email"},
        types={"company.size": int},
    )
    assert list(reader) == [
        Lead(
            "L-1",
            email="ana@acme.com",
            attributes={"title": "VP Sales", "company": {"size": 400}, "partner": True},
        ),
        Lead("L-2"),
    ]
    assert isinstance(reader, LeadReader)


def test_a_lead_attribute_column_named_like_a_reserved_field_is_refused() -> None:
    text = "id,attributes.email\nL-1,a@b.c\n"
    with pytest.raises(RowError) as info:
        list(read_leads(io.StringIO(text), format="csv"))
    assert (info.value.line, info.value.field) == (2, "attributes.email")


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"timestamp": "when"}, "columns['timestamp']"),
        ({"timestamp": "properties."}, "columns['timestamp']"),
        ({"timestamp": "at", "time": "at"}, "columns['time']"),
        ({"timestamp": 5}, "columns['timestamp']"),
    ],
)
def test_an_unknown_mapping_target_is_refused_before_the_file_is_opened(
    tmp_path: Path, columns: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        read_events(tmp_path / "does-not-exist.csv", columns=columns)
    assert info.value.field == field
    assert not isinstance(info.value, RowError)


def test_unknown_types_are_refused_before_the_file_is_opened(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="expected int, float, bool, str, list or date"):
        read_events(tmp_path / "does-not-exist.csv", types={"duration": dict})


@pytest.mark.parametrize(
    ("header", "options", "field", "fragment"),
    [
        ("lead_id,type,when", {}, "at", "no column holds this required field"),
        ("lead_id,type,at,at", {}, "line", "names this column twice"),
        ("lead_id,type,at,utm,utm.source", {}, "line", "overlap"),
        ("lead_id,type,at,timestamp", {"columns": {"timestamp": "at"}}, "line", "both fill at"),
        ("lead_id,type,at", {"columns": {"time": "at"}}, "columns", "no such column"),
        ("lead_id,type,at", {"types": {"n": int}}, "types", "no such column"),
        ("lead_id,type,at", {"types": {"at": int}}, "types['at']", "only columns that go into"),
        ("lead_id,type,at,a..b", {}, "line", "cannot use this column name"),
        ("lead_id,type,at,", {}, "line", "cannot use this column name"),
    ],
)
def test_a_header_that_cannot_be_read_is_refused_at_open_time(
    header: str, options: dict[str, Any], field: str, fragment: str
) -> None:
    text = header + "\nL-1,t,2026-11-02T09:30:00Z,x,y\n"
    with pytest.raises(RowError) as info:
        read_events(io.StringIO(text), format="csv", errors="collect", **options)
    assert (info.value.line, info.value.field) == (1, field)
    assert fragment in info.value.problem


def test_an_empty_csv_file_has_no_header() -> None:
    with pytest.raises(RowError, match="expected a header row"):
        read_events(io.StringIO(""), format="csv")


def test_columns_and_types_apply_to_csv_only() -> None:
    with pytest.raises(ValidationError, match="CSV files only"):
        read_events(io.StringIO(""), format="jsonl", columns=MAPPING)
    with pytest.raises(ValidationError, match="CSV files only"):
        read_leads(io.StringIO(""), format="jsonl", types={"n": int})


def test_a_byte_order_mark_before_the_header_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("lead_id,type,at\nL-1,t,2026-11-02T09:30:00Z\n".encode("utf-8-sig"))
    assert [e.lead_id for e in read_events(path)] == ["L-1"]
    text = "\ufefflead_id,type,at\nL-1,t,2026-11-02T09:30:00Z\n"
    assert [e.lead_id for e in read_events(io.StringIO(text), format="csv")] == ["L-1"]


# -- malformed rows: raise or collect --------------------------------------------------------

BAD_CSV = (
    "lead_id,type,at,note\n"  # line 1
    "L-1,t,2026-11-02T09:30:00Z,ok\n"  # 2
    'L-2,t,2026-11-02T09:30:00Z,"a note\nover two lines"\n'  # 3-4
    "L-3,t,yesterday,\n"  # 5
    "\n"  # 6
    ",t,2026-11-02T09:30:00Z,\n"  # 7
    "L-4,t,2026-11-02T09:30:00Z\n"  # 8: a cell short
    "L-5,t,2026-11-02T09:30:00Z,fine\n"  # 9
)
BAD_JSONL = (
    '{"lead_id": "L-1", "type": "t", "at": "2026-11-02T09:30:00Z"}\n'  # 1
    "\n"  # 2
    "   \n"  # 3
    '{"lead_id": "L-2", "type": "t", "at": "yesterday"}\n'  # 4
    "{not json\n"  # 5
    '"a string"\n'  # 6
    '{"lead_id": "L-3", "type": "t", "at": "2026-11-02T09:30:00Z", "colour": "red"}\n'  # 7
    '{"lead_id": "L-4", "type": "t", "at": "2026-11-02T09:30:00Z", "properties": {"x": NaN}}\n'
    '{"lead_id": "L-5", "type": "t", "at": "2026-11-02T09:30:00Z"}'  # 9: no final newline
)


def test_raise_stops_at_the_first_bad_row_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    reader = read_events(path)
    assert [next(reader).lead_id, next(reader).lead_id] == ["L-1", "L-2"]
    with pytest.raises(RowError) as info:
        next(reader)
    err = info.value
    assert (err.source, err.line, err.field, err.value) == (str(path), 5, "at", "yesterday")
    assert str(err) == (
        f"{path}:5: at: expected an ISO 8601 timestamp with a UTC offset, got 'yesterday'"
    )
    assert isinstance(err, ValidationError)
    assert isinstance(err, ValueError)
    assert reader.closed
    assert list(reader) == []


def test_collect_sets_bad_csv_rows_aside_and_keeps_the_good_ones() -> None:
    reader = read_events(io.StringIO(BAD_CSV), format="csv", errors="collect")
    assert [e.lead_id for e in reader] == ["L-1", "L-2", "L-5"]
    assert [(p.line, p.field) for p in reader.problems] == [(5, "at"), (7, "lead_id"), (8, "line")]
    assert (reader.rows_read, reader.rows_skipped, reader.ignored) == (3, 3, {"blank line": 1})
    assert "expected 4 cells" in reader.problems[2].problem
    assert reader.summary() == (
        "<stream>: 3 rows read, 3 skipped (see .problems), 1 ignored (blank line: 1)"
    )


def test_collect_sets_bad_jsonl_lines_aside_and_keeps_the_good_ones() -> None:
    reader = read_events(io.StringIO(BAD_JSONL), format="jsonl", errors="collect")
    assert [e.lead_id for e in reader] == ["L-1", "L-5"]
    assert [(p.line, p.field) for p in reader.problems] == [
        (4, "at"),
        (5, "line"),
        (6, "line"),
        (7, "colour"),
        (8, "properties.x"),
    ]
    assert reader.problems[1].value == "{not json"
    assert "invalid JSON" in reader.problems[1].problem
    assert reader.problems[2].problem == "expected a JSON object, one per line"
    assert (reader.rows_read, reader.rows_skipped, reader.ignored) == (2, 5, {"blank line": 2})


def test_problems_fill_as_the_reader_goes() -> None:
    reader = read_events(io.StringIO(BAD_JSONL), format="jsonl", errors="collect")
    next(reader)
    assert reader.problems == []
    assert next(reader).lead_id == "L-5"
    assert len(reader.problems) == 5


def test_a_row_error_pickles_with_all_its_facts() -> None:
    err = RowError("events.csv", 12, "at", "yesterday", "expected a timestamp")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.source, copy.line, copy.field, copy.value, copy.problem) == (
        "events.csv",
        12,
        "at",
        "yesterday",
        "expected a timestamp",
    )
    assert str(copy) == str(err)


def test_an_unknown_error_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="expected 'raise' or 'collect'"):
        read_events(io.StringIO(""), format="jsonl", errors="ignore")  # type: ignore[arg-type]


def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("lead_id,type,at\nRené,t,2026-11-02T09:30:00Z\n".encode("latin-1"))
    with pytest.raises(LeadqualError, match=r"latin1\.csv: cannot read the file as UTF-8"):
        list(read_events(path))


# -- formats, paths and file objects ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("e.jsonl", "jsonl"),
        ("E.NDJSON", "jsonl"),
        ("e.csv", "csv"),
        ("e.jsonl.gz", "jsonl"),
        ("e.CSV.GZ", "csv"),
    ],
)
def test_the_format_is_inferred_from_the_extension(
    tmp_path: Path, name: str, expected: str
) -> None:
    path = tmp_path / name
    write_events(EVENTS[:1], path)
    with read_events(str(path)) as reader:
        assert reader.format == expected
        assert list(reader) == EVENTS[:1]
    if name.lower().endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as raw:
            assert raw.readline()  # really compressed


@pytest.mark.parametrize("name", ["events.txt", "events.json", "events.gz", "events"])
def test_an_unknown_extension_asks_for_format(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError, match="give format='jsonl' or 'csv'"):
        read_events(tmp_path / name)
    with pytest.raises(ValidationError, match="give format="):
        write_events(EVENTS, tmp_path / name)
    assert listing(tmp_path) == []


def test_format_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    write_events(EVENTS, path, format="csv")
    assert path.read_text(encoding="utf-8").startswith("lead_id,type,at")
    assert list(read_events(path, format="csv")) == EVENTS
    with pytest.raises(ValidationError, match="expected 'jsonl' or 'csv'"):
        read_events(path, format="xml")  # type: ignore[arg-type]


def test_a_file_object_without_a_name_needs_format() -> None:
    with pytest.raises(ValidationError, match="file object without a name"):
        read_events(io.StringIO(""))
    with pytest.raises(ValidationError, match="file object without a name"):
        write_leads(LEADS, io.StringIO())


def test_a_named_file_object_gives_its_name_and_format(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = read_events(handle, errors="collect")
        list(reader)
        assert reader.format == "csv"
        assert str(reader.problems[0]).startswith(f"{path}:5: at:")


def test_a_binary_file_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="text mode"):
        read_events(io.BytesIO(b""), format="jsonl")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="text mode"):
        write_events(EVENTS, io.BytesIO(), format="jsonl")  # type: ignore[arg-type]


def test_writing_to_a_file_object_leaves_it_open(tmp_path: Path) -> None:
    with (tmp_path / "events.jsonl").open("w", encoding="utf-8") as handle:
        assert write_events(EVENTS, handle) == 3
        assert not handle.closed
        handle.write("\n")  # still usable; a blank line reads as nothing
    reader = read_events(tmp_path / "events.jsonl")
    assert list(reader) == EVENTS
    assert reader.ignored == {"blank line": 1}


def test_writing_something_else_than_events_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        write_events([EVENTS[0], LEADS[0]], tmp_path / "e.jsonl")  # type: ignore[list-item]
    assert (info.value.field, info.value.problem) == ("events[1]", "expected an Event")
    with pytest.raises(ValidationError, match="expected a Lead"):
        write_leads([EVENTS[0]], tmp_path / "l.csv")  # type: ignore[list-item]
    assert listing(tmp_path) == []


# -- closing ---------------------------------------------------------------------------------


def test_a_reader_closes_the_file_it_opened_when_the_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events(EVENTS, path)
    with read_events(path) as reader:
        next(reader)  # stop half-way
        stream: Any = reader._stream
        assert not stream.closed
    assert stream.closed
    assert reader.closed
    assert list(reader) == []


def test_a_reader_never_closes_a_file_object_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events(EVENTS, path)
    with path.open(encoding="utf-8", newline="") as handle:
        with read_events(handle) as reader:
            next(reader)
        assert not handle.closed
        assert reader.closed
        handle.seek(0)
        for _ in read_events(handle):  # exhausting does not close it either
            pass
        assert not handle.closed


def test_reading_to_the_end_closes_the_file_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    write_events(EVENTS, path)
    reader = read_events(path)
    assert len(list(reader)) == 3
    assert reader._stream.closed
    reader.close()  # idempotent


def test_a_header_error_closes_the_file_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("who,what\n", encoding="utf-8")
    opened: list[Any] = []
    real_open = open

    def spy(*args: Any, **kwargs: Any) -> Any:
        handle = real_open(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr("builtins.open", spy)
    with pytest.raises(RowError):
        read_events(path)
    assert [handle.closed for handle in opened] == [True]


# -- atomic writes ---------------------------------------------------------------------------


def failing_after(n: int, values: list[Any]) -> Iterator[Any]:
    yield from values[:n]
    raise RuntimeError("the source went away")


@pytest.mark.parametrize("name", ["events.jsonl", "events.csv", "events.csv.gz"])
def test_a_failure_mid_write_leaves_no_file_and_no_temporary(tmp_path: Path, name: str) -> None:
    with pytest.raises(RuntimeError, match="went away"):
        write_events(failing_after(2, EVENTS), tmp_path / name)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("name", ["leads.jsonl", "leads.csv", "leads.jsonl.gz"])
def test_a_failure_mid_write_leaves_the_old_file_as_it_was(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_leads(LEADS, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        write_leads(failing_after(1, LEADS[::-1]), path)
    assert path.read_bytes() == before
    assert listing(tmp_path) == [name]
    write_leads(LEADS[:1], path)  # a successful write replaces it
    assert list(read_leads(path)) == LEADS[:1]
    assert listing(tmp_path) == [name]


def test_a_written_file_gets_the_permissions_of_any_new_file(tmp_path: Path) -> None:
    write_events(EVENTS, tmp_path / "events.jsonl")
    (tmp_path / "plain.txt").write_text("", encoding="utf-8")
    mode = os.stat(tmp_path / "events.jsonl").st_mode & 0o777
    assert mode == os.stat(tmp_path / "plain.txt").st_mode & 0o777


def test_gzip_output_does_not_name_the_temporary_file(tmp_path: Path) -> None:
    write_events(EVENTS, tmp_path / "events.jsonl.gz")
    header = (tmp_path / "events.jsonl.gz").read_bytes()[:64]
    assert b"events.jsonl\x00" in header
    assert b".tmp" not in header


# -- streaming -------------------------------------------------------------------------------


class LazyLines:
    """A text 'file' whose lines are produced on demand, recording how many were taken."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken = 0

    def __iter__(self) -> LazyLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken += 1
        return line


def endless_jsonl() -> Iterator[str]:
    for i in range(1_000_000):
        yield json.dumps({"lead_id": f"L-{i}", "type": "t", "at": "2026-11-02T09:30:00Z"}) + "\n"


def endless_csv() -> Iterator[str]:
    yield "lead_id,type,at\n"
    for i in range(1_000_000):
        yield f"L-{i},t,2026-11-02T09:30:00Z\n"


@pytest.mark.parametrize(("fmt", "lines"), [("jsonl", endless_jsonl), ("csv", endless_csv)])
def test_a_reader_yields_each_row_before_reading_the_rest(fmt: Any, lines: Any) -> None:
    source = LazyLines(lines())
    reader = read_events(source, format=fmt)  # type: ignore[arg-type]
    assert next(reader).lead_id == "L-0"
    assert source.taken <= 2
    for _ in range(999):
        next(reader)
    assert source.taken <= 1001
    reader.close()


def test_a_writer_writes_each_row_before_taking_the_next() -> None:
    buffer = io.StringIO()
    seen: list[int] = []

    def produce() -> Iterator[Event]:
        for i in range(5):
            seen.append(buffer.getvalue().count("\n"))
            yield Event(f"L-{i}", "t", at=AT)

    write_events(produce(), buffer, format="jsonl")
    assert seen == [0, 1, 2, 3, 4]


# -- Segment ---------------------------------------------------------------------------------


def segment(**message: Any) -> str:
    base: dict[str, Any] = {
        "type": "track",
        "event": "Demo Requested",
        "userId": "u1",
        "timestamp": "2026-11-02T09:30:00.123Z",
        "messageId": "m-1",
        "properties": {"plan": "team"},
    }
    base.update(message)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


def test_a_track_message_becomes_an_event() -> None:
    [event] = read_segment(io.StringIO(segment()))
    assert event == Event(
        "u1",
        "Demo Requested",
        at=datetime(2026, 11, 2, 9, 30, 0, 123000, tzinfo=UTC),
        properties={"plan": "team"},
        id="m-1",
        source="segment",
    )


def test_event_names_map_segment_names_to_event_types() -> None:
    text = "\n".join([segment(), segment(event="Signed Up", messageId="m-2")])
    reader = read_segment(io.StringIO(text), event_names={"Demo Requested": "demo_request"})
    assert isinstance(reader, EventReader)
    assert [e.type for e in reader] == ["demo_request", "Signed Up"]


def test_an_anonymous_visitor_is_kept_under_the_anonymous_id() -> None:
    text = "\n".join(
        [segment(userId=..., anonymousId="anon-7"), segment(userId=None, anonymousId="anon-8")]
    )
    assert [e.lead_id for e in read_segment(io.StringIO(text))] == ["anon-7", "anon-8"]


def test_a_page_message_becomes_a_page_view_with_the_path_as_url() -> None:
    text = "\n".join(
        [
            segment(
                type="page",
                event=...,
                properties={"path": "/pricing", "url": "https://acme.com/pricing?x=1"},
            ),
            segment(type="page", event=..., properties={"url": "https://acme.com/blog/a"}),
            segment(type="page", event=..., properties=...),
        ]
    )
    first, second, third = read_segment(io.StringIO(text))
    assert first.type == second.type == "page_view"
    assert thaw(first.properties) == {
        "path": "/pricing",
        "url": "/pricing",
        "full_url": "https://acme.com/pricing?x=1",
    }
    assert thaw(second.properties) == {"url": "/blog/a", "full_url": "https://acme.com/blog/a"}
    assert thaw(third.properties) == {}


def test_messages_that_are_not_events_are_ignored_and_counted() -> None:
    text = "\n".join(
        [
            segment(type="identify", event=..., traits={"email": "a@b.c"}),
            segment(),
            segment(type="group", event=...),
            "",
            segment(type="identify", event=...),
        ]
    )
    reader = read_segment(io.StringIO(text))
    assert len(list(reader)) == 1
    assert reader.ignored == {"identify message": 2, "group message": 1, "blank line": 1}
    assert reader.summary().endswith(
        "4 ignored (identify message: 2, group message: 1, blank line: 1)"
    )


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "alias_typo"}, "type"),
        ({"type": ...}, "type"),
        ({"userId": ..., "anonymousId": ...}, "userId"),
        ({"userId": 42}, "userId"),
        ({"userId": ..., "anonymousId": ""}, "userId"),
        ({"timestamp": ...}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2026-11-02T09:30:00"}, "timestamp"),
        ({"event": ...}, "event"),
        ({"messageId": ""}, "messageId"),
        ({"properties": ["a"]}, "properties"),
        ({"properties": {"when": float("inf")}}, "properties.when"),
    ],
)
def test_a_bad_message_is_a_row_error_named_by_its_segment_key(
    message: dict[str, Any], field: str
) -> None:
    text = segment() + "\n" + segment(**message) + "\n"
    reader = read_segment(io.StringIO(text), errors="collect")
    assert len(list(reader)) == 1
    [problem] = reader.problems
    assert (problem.line, problem.field) == (2, field)


def test_segment_files_are_json_lines_whatever_their_name(tmp_path: Path) -> None:
    path = tmp_path / "segment-export.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(segment() + "\n")
    with read_segment(path) as reader:
        assert [e.id for e in reader] == ["m-1"]
        assert reader.source == str(path)


def test_event_names_must_map_to_event_types() -> None:
    with pytest.raises(ValidationError) as info:
        read_segment(io.StringIO(""), event_names={"Demo Requested": ""})
    assert info.value.field == "event_names['Demo Requested']"


def test_the_readers_share_their_options_and_refuse_others(tmp_path: Path) -> None:
    from leadqual.io import read_leads, read_outcomes
    from leadqual.io.reader import ReadOptions

    assert set(ReadOptions.__annotations__) >= {"format", "delimiter", "encoding", "timezone"}
    for read in (read_events, read_leads, read_outcomes):
        with pytest.raises(TypeError, match="unexpected keyword argument 'delimeter'"):
            read(tmp_path / "x.csv", delimeter=";")  # type: ignore[call-arg]


def test_list_and_date_columns(tmp_path: Path) -> None:
    from datetime import date

    from leadqual.io import read_leads

    path = tmp_path / "leads.csv"
    path.write_text(
        "id,pain_points,purchase_date\n"
        "L-1,slow pipeline; no CRM ;,2026-12-15\n"
        "L-2,,2026-12-15T09:30:00+01:00\n",
        encoding="utf-8",
    )
    with read_leads(path, types={"pain_points": list, "purchase_date": date}) as read:
        first, second = list(read)
    assert first.attributes["pain_points"] == ("slow pipeline", "no CRM")
    assert first.attributes["purchase_date"] == "2026-12-15"
    assert "pain_points" not in second.attributes  # an empty cell is absent
    assert second.attributes["purchase_date"] == "2026-12-15"
    path.write_text("id,purchase_date\nL-1,next week\n", encoding="utf-8")
    with (
        pytest.raises(ValidationError, match="expected an ISO 8601 date"),
        read_leads(path, types={"purchase_date": date}) as read,
    ):
        list(read)


def test_write_rows_keeps_key_order_in_jsonl_and_empties_none_in_csv(tmp_path: Path) -> None:
    from leadqual.io import write_rows

    rows = [
        {"lead_id": "L-1", "score": 35, "grade": None},
        {"lead_id": "L-2", "score": 2.5, "grade": "A"},
    ]
    assert write_rows(iter(rows), tmp_path / "r.jsonl") == 2
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"lead_id": "L-1", "score": 35, "grade": null}'
    assert [json.loads(line) for line in lines] == rows
    assert write_rows(rows, tmp_path / "r.csv") == 2
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == (
        "lead_id,score,grade\nL-1,35,\nL-2,2.5,A\n"
    )


def test_write_rows_refuses_a_row_with_other_keys_and_leaves_the_file(tmp_path: Path) -> None:
    from leadqual.io import write_rows

    target = tmp_path / "r.csv"
    target.write_text("before\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        write_rows([{"a": 1}, {"a": 2, "b": 3}], target)
    assert info.value.field == "rows[1]"
    assert target.read_text(encoding="utf-8") == "before\n"
