"""The batch backend reads CSV files and mapped columns as :mod:`leadqual.io` reads them:
the same cells, the same properties, the same scores, and a refusal where io refuses."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadqual as lq
from leadqual import batch
from leadqual.batch._csv import _plain, csv_cells
from leadqual.errors import RowError
from leadqual.io import read_events

AT = datetime(2026, 11, 30, tzinfo=timezone.utc)
TIMES = ["2026-11-01T09:00:00Z", "2026-11-02T10:00:00+01:00", "2026-11-02T10:00:00Z"]
#: cells that read differently as text, numbers, booleans, lists and codes; some need quotes
CELLS = [
    "",
    "5",
    "05",
    "5.0",
    "-2",
    "1e3",
    "true",
    "FALSE",
    "x",
    "a;b",
    "a,b",
    'q"q',
    "l\nm",
    " 7 ",
    "2026-11-02",
]
#: cells of a properties column: objects, and what io refuses there
BAGS = ["", '{"n": 5}', '{"plan": "x", "n": "5"}', "null", "[1]", '{"utm": {"source": 1}}', "{"]
MODEL = lq.PointsModel(
    engagement=[
        lq.EngagementRule("big", "visit", 10, where=lq.Prop("n") > 3),
        lq.EngagementRule("text", "visit", 7, where=lq.Prop("n") == "5"),
        lq.EngagementRule("plan", "form", 5, where=lq.Prop("plan").is_in(["x", "a;b", "l\nm"])),
        lq.EngagementRule("yes", "form", 3, where=lq.Prop("plan").equals(value=True)),
        lq.EngagementRule("list", "form", 2, where=lq.Prop("plan").contains("b")),
        lq.EngagementRule("utm", "visit", 1, where=lq.Prop("utm.source").exists()),
        lq.EngagementRule("all", "form", 1),
    ]
)
LEADS = [lq.Lead("L-1"), lq.Lead("L-2")]


def write(path: Path, header: list[str], rows: list[list[str]], *, quote: bool) -> None:
    """A CSV file; without ``quote`` (when no cell needs one) every cell bare."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        style = csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL
        csv.writer(stream, quoting=style, lineterminator="\n").writerows([header, *rows])


def engine(path: Path, **options: Any) -> dict[str, float]:
    with read_events(path, **options) as reader:
        events = list(reader)
    return {
        lead.id: MODEL.score(lead, [e for e in events if e.lead_id == lead.id], as_of=AT).total
        for lead in LEADS
    }


def backend(path: Path, **options: Any) -> dict[str, float]:
    got = batch.score(MODEL, LEADS, batch.EventInput(path, **options), as_of=AT)
    return dict(got.select("lead_id", "total").iter_rows())


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]], dict[str, Any]]:
    """A header, rows, and read options (types given, inferred, or neither)."""
    names = ["n", "plan", "utm.source", "other", "properties"]
    extra = draw(st.lists(st.sampled_from(names), unique=True))
    header = ["lead_id", "type", "at", *extra]
    rows = [
        [
            draw(st.sampled_from(["L-1", "L-2"])),
            draw(st.sampled_from(["visit", "form"])),
            draw(st.sampled_from(TIMES)),
            *(draw(st.sampled_from(BAGS if name == "properties" else CELLS)) for name in extra),
        ]
        for _ in range(draw(st.integers(0, 12)))
    ]
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["infer_types"] = True
    kinds = st.sampled_from([int, float, bool, str, list, date])
    cells = [name for name in extra if name != "properties"]
    typed = draw(st.dictionaries(st.sampled_from(cells or ["n"]), kinds, max_size=2))
    if typed and set(typed) <= set(cells):
        options["types"] = typed
    return header, rows, options


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(csv_files(), st.booleans())
def test_csv_files_score_as_io_reads_them(
    tmp_path: Path, drawn: tuple[list[str], list[list[str]], dict[str, Any]], quote: bool
) -> None:
    header, rows, options = drawn
    path = tmp_path / "events.csv"
    write(path, header, rows, quote=quote)
    try:
        want = engine(path, **options)
    except RowError:
        with pytest.raises(RowError, match=r"events\.csv"):
            backend(path, **options)
        return
    got = backend(path, **options)
    assert got.keys() == want.keys()
    for lead_id, total in want.items():
        assert math.isclose(got[lead_id], total, abs_tol=1e-9), (lead_id, got, want)


def test_bare_and_quoted_files_read_the_same_cells(tmp_path: Path) -> None:
    rows = [["L-1", "visit", TIMES[0], "5", ""], ["L-2", "form", TIMES[1], "", "x"]]
    header = ["lead_id", "type", "at", "n", "plan"]
    bare, quoted = tmp_path / "bare.csv", tmp_path / "quoted.csv"
    write(bare, header, rows, quote=False)
    write(quoted, header, rows, quote=True)
    assert _plain(bare, ",", 5)
    assert not _plain(quoted, ",", 5)
    keep = list(range(5))
    assert csv_cells(bare, ",", 5, keep).collect().equals(csv_cells(quoted, ",", 5, keep).collect())
    assert backend(bare) == backend(quoted) == engine(bare)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a,b\n1,2\n", True),
        ("a,b\r\n1,2\r\n", True),
        ("a,b\n1,2", True),  # no line end after the last line
        ("a,b\n1\n1,2,3\n", False),  # a short row and a long one: the total agrees
        ("a,b\n1,2\n\n3,4\n", False),  # a blank line
        ("a,b\r1,2\r", False),  # a lone carriage return ends a line for the csv module
        ('a,b\n1,"2"\n', False),
    ],
)
def test_only_files_both_readers_agree_on_go_to_polars(
    tmp_path: Path, text: str, *, plain: bool
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    assert _plain(path, ",", 2) == plain
    want = list(csv.reader(io.StringIO(text, newline="")))[1:]
    if any(len(row) not in (0, 2) for row in want):
        with pytest.raises(RowError, match="expected 2 cells"):
            csv_cells(path, ",", 2, [0, 1])
        return
    got = csv_cells(path, ",", 2, [0, 1]).collect()
    cells = [[cell or "" for cell in row] for row in got.select("c0", "c1").rows()]
    assert cells == [row for row in want if row]


def test_a_row_of_the_wrong_width_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "lead_id,type,at\nL-1,form,2026-11-01T09:00:00Z\n\nL-1,form\n", encoding="utf-8"
    )
    with pytest.raises(RowError, match=r"events.csv:4: expected 3 cells"):
        backend(path)


def test_a_cell_not_of_its_type_is_named_by_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "lead_id,type,at,count\nL-1,visit,2026-11-01T09:00:00Z,4\nL-1,visit,2026-11-01T09:00:00Z,x\n",
        encoding="utf-8",
    )
    with pytest.raises(RowError) as caught:
        backend(path, columns={"count": "properties.n"}, types={"count": int})
    assert (caught.value.line, caught.value.field) == (3, "properties.n")
    assert "column 'count'" in str(caught.value)
    bad_time = tmp_path / "times.csv"
    bad_time.write_text("lead_id,type,at\nL-1,visit,2026-11-01T09:00:00Z\nL-1,visit,soon\n")
    with pytest.raises(RowError, match=r"times\.csv:3: at"):
        backend(bad_time)


def test_columns_are_mapped_and_typed_as_io_maps_them(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "user,event,when,count,Source\n"
        "L-1,visit,2026-11-01T09:00:00Z,4,ads\n"
        "L-2,visit,2026-11-02T09:00:00Z,2,\n",
        encoding="utf-8",
    )
    options: dict[str, Any] = {
        "columns": {
            "user": "lead_id",
            "event": "type",
            "when": "at",
            "count": "properties.n",
            "Source": "properties.utm.source",
        },
        "types": {"count": int},
    }
    want = engine(path, **options)
    assert want == {"L-1": 11, "L-2": 0}
    assert backend(path, **options) == want
    # text unless typed: "4" > 3 is false for the engine, and for the backend
    untyped = {"columns": options["columns"]}
    assert backend(path, **untyped) == engine(path, **untyped) == {"L-1": 1, "L-2": 0}
    assert backend(path, columns=options["columns"], infer_types=True) == want


def test_a_properties_column_and_property_columns_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "lead_id,type,at,properties,utm.source\n"
        'L-1,visit,2026-11-01T09:00:00Z,"{""n"": 5}",ads\n'
        'L-2,visit,2026-11-01T09:00:00Z,"{""utm"": {""medium"": ""cpc""}}",mail\n',
        encoding="utf-8",
    )
    assert backend(path) == engine(path) == {"L-1": 11, "L-2": 1}
    clash = tmp_path / "clash.csv"
    clash.write_text(
        'lead_id,type,at,properties,n\nL-1,visit,2026-11-01T09:00:00Z,"{""n"": 5}",6\n',
        encoding="utf-8",
    )
    with pytest.raises(RowError, match="both set this value"):
        engine(clash)
    with pytest.raises(RowError, match="both set this value"):
        backend(clash)


def test_options_that_do_not_apply_are_refused(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text("")
    with pytest.raises(lq.ValidationError, match="CSV files and tables"):
        backend(jsonl, columns={"user": "lead_id"})
    with pytest.raises(lq.ValidationError, match="CSV files only"):
        backend(jsonl, infer_types=True)
    with pytest.raises(lq.ValidationError, match="unknown field"):
        batch.EventInput(jsonl, columns={"user": "owner"})
    with pytest.raises(lq.ValidationError, match="delimiter"):
        batch.EventInput(jsonl, delimiter=",,")


def test_tables_map_their_columns_too() -> None:
    frame = pl.DataFrame(
        {
            "user": ["L-1", "L-2"],
            "event": ["visit", "visit"],
            "when": ["2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z"],
            "n": [4, 2],
            "utm": [{"source": "ads"}, {"source": None}],
        }
    )
    columns = {"user": "lead_id", "event": "type", "when": "at"}
    got = batch.score(MODEL, LEADS, batch.EventInput(frame, columns=columns), as_of=AT)
    assert got.select("lead_id", "total").rows() == [("L-1", 11.0), ("L-2", 0.0)]
    both = frame.with_columns(properties=pl.lit('{"n": 1}'))
    with pytest.raises(lq.ValidationError, match="one place"):
        batch.score(MODEL, LEADS, batch.EventInput(both, columns=columns), as_of=AT)
    with pytest.raises(lq.ValidationError, match="no column 'lead_id'"):
        batch.score(MODEL, LEADS, frame, as_of=AT)
    text = frame.with_columns(pl.col("n").cast(pl.String))
    typed = batch.EventInput(text, columns=columns, types={"n": int})
    assert batch.score(MODEL, LEADS, typed, as_of=AT)["total"].to_list() == [11.0, 0.0]
    with pytest.raises(lq.ValidationError, match="typed"):
        batch.score(
            MODEL, LEADS, batch.EventInput(frame, columns=columns, types={"n": int}), as_of=AT
        )


@st.composite
def time_texts(draw: st.DrawFn) -> str:
    """ISO 8601 times as exports write them, and near misses."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    digits = draw(st.sampled_from([0, 3, 6, 2]))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    minutes = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
    sign, value = ("-" if minutes < 0 else "+"), abs(minutes)
    zone = draw(st.sampled_from(["Z", "z", f"{sign}{value // 60:02d}:{value % 60:02d}", ""]))
    text += zone
    return draw(
        st.sampled_from(
            [text, f" {text}", text.replace("T", " "), text[:17] + "60" + text[19:], "2026-02-30"]
        )
    )


@given(st.lists(time_texts(), min_size=1, max_size=20))
def test_times_in_text_read_as_event_from_dict_reads_them(texts: list[str]) -> None:
    from leadqual._fields import parse_timestamp
    from leadqual.batch._frames import _Place, _timestamps

    want: list[float] = []
    for text in texts:
        try:
            want.append(parse_timestamp("at", text).timestamp())
        except lq.ValidationError:
            with pytest.raises(lq.ValidationError):
                _timestamps(pl.Series("at", texts), pl.Series(range(len(texts))), _Place("x"))
            return
    rows = pl.Series(range(len(texts)))
    got = _timestamps(pl.Series("at", texts), rows, _Place("x"))
    assert got.to_list() == want
    moments = [parse_timestamp("at", text) for text in texts]
    column = pl.Series("at", moments, dtype=pl.Datetime("us", "UTC"))
    assert _timestamps(column, rows, _Place("x")).to_list() == want


def test_each_leads_moment_may_come_as_a_table() -> None:
    events = [
        lq.Event(
            "L-1", "visit", at=datetime(2026, 11, 1, tzinfo=timezone.utc), properties={"n": 4}
        ),
        lq.Event("L-2", "form", at=datetime(2026, 11, 5, tzinfo=timezone.utc)),
    ]
    moments = {"L-1": datetime(2026, 11, 2, tzinfo=timezone.utc), "L-2": AT}
    table = pl.DataFrame({"lead_id": ["L-2", "L-1"], "as_of": [moments["L-2"], moments["L-1"]]})
    by_mapping = batch.score(MODEL, LEADS, events, as_of=moments)
    assert batch.score(MODEL, LEADS, events, as_of=table).equals(by_mapping)
    rules = attrs.evolve(lq.default_ruleset(), model=MODEL)
    want = batch.qualify(rules, LEADS, events, as_of=moments)
    got = batch.qualify(rules, LEADS, events, as_of=table)
    assert got.leads.equals(want.leads)
    assert got.transitions == want.transitions
    with pytest.raises(lq.ValidationError, match="two moments"):
        batch.score(MODEL, LEADS, events, as_of=pl.concat([table, table]))
    with pytest.raises(lq.ValidationError, match="no moment for this lead"):
        batch.score(MODEL, LEADS, events, as_of=table.head(1))
    naive = table.with_columns(pl.col("as_of").dt.replace_time_zone(None))
    with pytest.raises(lq.ValidationError, match="timezone-aware"):
        batch.score(MODEL, LEADS, events, as_of=naive)


T = b"2026-11-02T09:30:00Z"
VISIT = lq.PointsModel(engagement=[lq.EngagementRule("v", "visit", 1)])
N5 = lq.PointsModel(engagement=[lq.EngagementRule("v", "visit", 1, where=lq.Prop("n") == "5")])


@pytest.mark.parametrize(
    ("data", "model", "options"),
    [
        # a short row and a long one: the file's total of delimiters is right
        (b"lead_id,type,at,n\nL-1,visit," + T + b"\nL-1,visit," + T + b",5,x\n", N5, {}),
        (b"lead_id,type,at,note\nL-1,visit," + T + b"," + b"a" * 200_000 + b"\n", VISIT, {}),
        # rows of a type no rule counts are checked too, as io checks every row
        (b"lead_id,type,at\nL-1,visit," + T + b"\nL-1,other,yesterday\n", VISIT, {}),
        (
            b"lead_id,type,at,n\nL-1,visit," + T + b",5\nL-1,other," + T + b",zz\n",
            VISIT,
            {"types": {"n": int}},
        ),
        (b"lead_id,type,at,properties\nL-1,visit," + T + b",{\n", VISIT, {}),
        (b"lead_id,type,at,properties\nL-1,visit," + T + b",   \n", VISIT, {}),
        (
            b"lead_id,type,at,big\nL-1,visit," + T + b",1\nL-1,visit," + T + b",1e999\n",
            VISIT,
            {"infer_types": True},
        ),
        (b'\xef\xbb\xbf"lead_id","type","at"\nL-1,visit,' + T + b"\n", VISIT, {}),
        (
            b"id,lead_id,type,at,note\ne1,L-1,visit," + T + b",hi\ne1,L-1,visit," + T + b",hi\n",
            VISIT,
            {},
        ),
        (
            b"id,lead_id,type,at,properties\ne1,L-1,visit," + T + b',"{""n"":5}"\n'
            b"e1,L-1,visit," + T + b',"{""n"":5,""m"":null}"\n',
            VISIT,
            {},
        ),
        (b"lead_id,type,at\nL-1,visit,9999-12-31T23:00:00-05:00\n", VISIT, {}),
        (b"lead_id,type,at\nL-1,visit,0001-01-01T00:30:00+01:00\n", VISIT, {}),
        (b"user,type,at\n,visit," + T + b"\n", VISIT, {"columns": {"user": "lead_id"}}),
    ],
)
def test_files_a_review_found_read_as_io_reads_them(
    tmp_path: Path, data: bytes, model: lq.PointsModel, options: dict[str, Any]
) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    lead = [lq.Lead("L-1")]
    try:
        with read_events(path, **options) as reader:
            events = list(reader)
        want: Any = model.score(lead[0], events, as_of=AT).total
    except lq.ValidationError as exc:
        want = str(exc)
    try:
        got: Any = batch.score(model, lead, batch.EventInput(path, **options), as_of=AT)
        got = got["total"][0]
    except lq.ValidationError as exc:
        got = str(exc)
    assert got == want
