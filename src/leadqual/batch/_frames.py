"""Events as one Polars frame, whatever the user holds them in.

Accepted: leadqual :class:`~leadqual.Event` objects; a Polars ``DataFrame`` or
``LazyFrame`` or an Arrow table with the columns ``lead_id``, ``type``, ``at`` and
optionally ``id``, ``source`` and ``properties`` (a struct, or JSON text); a path to a
Parquet file (read lazily) or a JSON Lines file (read with the engine's own decoder,
so every row means what it means to :meth:`Event.from_dict`).

The frame has ``lead_id``, ``type``, ``ts`` (seconds since the epoch, as
:attr:`Event.timestamp`), ``id``, ``source``, ``_row`` (the input row, for messages),
and one kind-keeping text column ``p:<name>`` per property a rule reads (see
:mod:`leadqual.batch._values`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from leadqual._fields import parse_timestamp
from leadqual.batch._values import ABSENT, encode
from leadqual.errors import ValidationError
from leadqual.events import Event, EventDecoder
from leadqual.jsonvalues import MISSING, JsonMap, freeze, lookup

__all__ = ["EventSource", "EventTable", "event_at", "event_frame", "prop_column"]

#: What :func:`event_frame` reads.
EventSource = Iterable[Event] | pl.DataFrame | pl.LazyFrame | str | os.PathLike[str] | Any

_REQUIRED = ("lead_id", "type", "at")
_TEXTS = ("lead_id", "type", "id", "source")
_NUMBERS = (
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
)


@attrs.frozen
class EventTable:
    """Events as one frame (see the module), with what :func:`event_at` needs to rebuild
    a row's event and the property columns held as their own type (``native``: one kind
    per column, such as a struct field's) rather than as kind-keeping text."""

    frame: pl.DataFrame
    origin: Any
    native: frozenset[str] = frozenset()


def prop_column(name: str) -> str:
    """The frame's column for the event property ``name``."""
    return f"p:{name}"


def event_frame(
    events: EventSource, props: Sequence[str] = (), types: Collection[str] | None = None
) -> EventTable:
    """The events as a frame, with the columns of the properties ``props``; with
    ``types``, only the events of those types (a Parquet file's other rows are not read)."""
    if isinstance(events, (str, os.PathLike)):
        path = Path(events)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            scan = pl.scan_parquet(path, row_index_name="_row")
            return _from_frame(scan, props, types, str(path))
        if suffix in (".jsonl", ".ndjson"):
            return _from_events(_read_jsonl(path), props, types)
        raise ValidationError(
            "events", str(path), "expected a .parquet or .jsonl (.ndjson) file of events"
        )
    if isinstance(events, (pl.DataFrame, pl.LazyFrame)):
        return _from_frame(events.lazy().with_row_index("_row"), props, types, "events")
    if type(events).__module__.startswith("pyarrow"):
        table = pl.from_arrow(events).lazy()  # type: ignore[union-attr]
        return _from_frame(table.with_row_index("_row"), props, types, "events")
    if isinstance(events, (bytes, dict)) or not isinstance(events, Iterable):
        raise ValidationError(
            "events", events, "expected Events, a Polars or Arrow table, or a file path"
        )
    return _from_events(events, props, types)  # type: ignore[arg-type]  # checked one by one


def _read_jsonl(path: Path) -> list[Event]:
    decode = EventDecoder()
    out: list[Event] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(decode(json.loads(line)))
            except (ValueError, ValidationError) as exc:
                raise ValidationError(f"{path}:{number}", line.strip()[:60], str(exc)) from None
    return out


def _from_events(
    events: Iterable[Event], props: Sequence[str], types: Collection[str] | None
) -> EventTable:
    kept: list[Event] = []
    values: list[list[str]] = [[] for _ in props]
    for i, event in enumerate(events):
        if not isinstance(event, Event):
            raise ValidationError(f"events[{i}]", event, "expected an Event")
        if types is not None and event.type not in types:
            continue
        kept.append(event)
        properties = event.properties
        for column, name in zip(values, props, strict=True):
            column.append(encode(lookup(properties, name)))
    frame = pl.DataFrame(
        {
            "lead_id": [e.lead_id for e in kept],
            "type": [e.type for e in kept],
            "ts": [e._ts for e in kept],
            "id": [e.id for e in kept],
            "source": [e.source for e in kept],
            "_row": range(len(kept)),
            **{prop_column(n): v for n, v in zip(props, values, strict=True)},
        },
        schema_overrides={
            "lead_id": pl.String,
            "type": pl.String,
            "ts": pl.Float64,
            "id": pl.String,
            "source": pl.String,
            "_row": pl.UInt32,
        },
    )
    # the property maps are compared in Python, on the rare ids that repeat
    return EventTable(frame, kept)


def event_at(origin: Any, frame: pl.DataFrame, row: int) -> Event:
    """The event of input row ``row`` (to compare two rows sharing an id, and to name
    them in an error): ``origin`` is the :attr:`EventTable.origin` of ``frame``."""
    return events_at(origin, frame, [row])[0]


def events_at(origin: Any, frame: pl.DataFrame, rows: Sequence[int]) -> list[Event]:
    """The events of input rows ``rows``, in that order (one read of the table)."""
    if isinstance(origin, list):
        return [origin[row] for row in rows]
    wanted = pl.Series(list(rows), dtype=pl.UInt32)
    found = {
        r["_row"]: r
        for r in frame.filter(pl.col("_row").is_in(wanted.implode())).iter_rows(named=True)
    }
    props = {} if origin is None else origin(wanted)
    out = []
    for row in rows:
        data = found[row]
        value: Any = props.get(row)
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else None
        elif isinstance(value, dict):  # a struct: a field a row lacks reads as null
            value = {key: item for key, item in value.items() if item is not None}
        out.append(
            Event(
                data["lead_id"],
                data["type"],
                at=datetime.fromtimestamp(data["ts"], timezone.utc),
                properties=value,
                id=data["id"],
                source=data["source"],
            )
        )
    return out


def _properties_of(lazy: pl.LazyFrame) -> Callable[[pl.Series], dict[int, Any]]:
    """Reads some rows' properties again (rows sharing an id, scores near a threshold:
    rare, so nothing is kept meanwhile)."""

    def read(rows: pl.Series) -> dict[int, Any]:
        found = lazy.filter(pl.col("_row").is_in(rows.implode())).select("_row", "properties")
        return dict(found.collect().iter_rows())

    return read


def _from_frame(
    lazy: pl.LazyFrame, props: Sequence[str], types: Collection[str] | None, where: str
) -> EventTable:
    """``lazy``: the table with its row numbers as ``_row``."""
    schema = lazy.collect_schema()
    missing = [c for c in _REQUIRED if c not in schema]
    if missing:
        raise ValidationError(
            where,
            sorted(schema.names()),
            f"no column {missing[0]!r} (events need lead_id, "
            "type and at; id, source and properties are optional)",
        )
    columns: list[pl.Expr] = [_text(schema, name, where) for name in _TEXTS]
    columns.append(pl.col("_row").cast(pl.UInt32))
    at = schema["at"]
    timed = isinstance(at, pl.Datetime) and at.time_zone is not None
    columns.append(
        (pl.col("at").dt.epoch("us").cast(pl.Float64) / 1_000_000).alias("ts")
        if timed
        else pl.col("at")
    )
    properties = schema.get("properties")
    origin: Any = None
    native: set[str] = set()
    json_text = properties in (pl.String, pl.Utf8)
    if properties is None or properties == pl.Null:
        columns += [pl.lit(None, pl.String).alias(prop_column(n)) for n in props]
        native.update(map(prop_column, props))
    elif isinstance(properties, pl.Struct):
        origin = _properties_of(lazy)
        for name in props:
            expr, is_native = _struct_prop(properties, name)
            columns.append(expr.alias(prop_column(name)))
            if is_native:
                native.add(prop_column(name))
    elif json_text:
        origin = _properties_of(lazy)
        columns.append(pl.col("properties"))
    else:
        raise ValidationError(
            f"{where}.properties", str(properties), "expected a struct or JSON text column"
        )
    if types is not None:
        wanted = pl.Series(sorted(types), dtype=pl.String)
        lazy = lazy.filter(pl.col("type").cast(pl.String).is_in(wanted.implode()))
    frame = lazy.select(columns).collect()
    _refuse_empty(frame, where)
    if not timed:
        frame = frame.with_columns(ts=_timestamps(frame["at"], where)).drop("at")
    if json_text:
        raw = frame["properties"].fill_null("")
        frame = frame.with_columns(*_json_props(raw, props)).drop("properties")
    for column in native:
        values = frame[column]
        if values.dtype == pl.Float64:
            bad = frame.filter(values.is_not_null() & ~values.is_finite())
            if bad.height:
                raise ValidationError(
                    f"{where}[{bad['_row'][0]}].properties.{column[2:]}",
                    bad[column][0],
                    "expected a finite number",
                )
    return EventTable(frame, origin, frozenset(native))


def _text(schema: Any, name: str, where: str) -> pl.Expr:
    dtype = schema.get(name)
    if dtype is None:
        return pl.lit(None, pl.String).alias(name)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return pl.col(name).cast(pl.String)
    if dtype == pl.Null:  # no value at all (an empty table, or no ids): nulls refused after
        return pl.col(name).cast(pl.String)
    raise ValidationError(f"{where}.{name}", str(dtype), "expected a text column")


def _refuse_empty(frame: pl.DataFrame, where: str) -> None:
    """Refuse what :class:`~leadqual.Event` refuses: a null or blank ``lead_id`` or
    ``type``, a blank ``id`` or ``source`` (blank as ``str.strip`` sees it: the texts
    with no other character than Unicode spaces and the separators U+001C-U+001F are
    read again in Python)."""
    blank = r"^[\s\x1c-\x1f]*$"
    flags = frame.select(
        *[
            (pl.col(name).str.contains(blank) | pl.col(name).is_null()).any().alias(name)
            if name in ("lead_id", "type")
            else pl.col(name).str.contains(blank).any().alias(name)
            for name in _TEXTS
        ]
    ).row(0, named=True)
    for name in _TEXTS:
        if not flags[name]:
            continue
        column = frame[name]
        suspects = column.filter(column.str.contains(blank) | column.is_null())
        for text in suspects.unique(maintain_order=True):
            if text is None and name in ("id", "source"):
                continue
            if text is None or not text.strip():
                same = pl.col(name).is_null() if text is None else pl.col(name) == text
                row = frame.filter(same)["_row"][0]
                raise ValidationError(f"{where}[{row}].{name}", text, "expected a non-empty string")


def _timestamps(at: pl.Series, where: str) -> pl.Series:
    dtype = at.dtype
    if dtype == pl.Null or not at.len():
        if at.len():
            raise ValidationError(f"{where}[0].at", None, "expected a time")
        return pl.Series(at.name, [], pl.Float64)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise ValidationError(
                f"{where}.at", str(dtype), "expected timezone-aware times (this column is naive)"
            )
        nulls = at.is_null()
        if nulls.any():
            raise ValidationError(f"{where}[{nulls.arg_true()[0]}].at", None, "expected a time")
        micros: pl.Series = at.dt.epoch("us").cast(pl.Float64)
        return micros / 1_000_000
    if dtype in (pl.String, pl.Utf8):
        # each distinct text read once, exactly as Event.from_dict reads it
        distinct = at.unique()
        seconds: dict[Any, float] = {}
        for text in distinct:
            if text is None:
                row = at.is_null().arg_true()[0]
                raise ValidationError(f"{where}[{row}].at", None, "expected a time")
            seconds[text] = parse_timestamp("at", text).timestamp()
        read: pl.Series = at.replace_strict(seconds, return_dtype=pl.Float64)
        return read
    raise ValidationError(f"{where}.at", str(dtype), "expected a datetime or ISO 8601 text column")


def _struct_prop(dtype: pl.Struct, name: str) -> tuple[pl.Expr, bool]:
    """Property ``name`` of a struct column, and whether it is held as its own type (dots
    reach into nested structs, a field whose own name has the dot first, as
    :func:`lookup` does; an absent field reads as null, as JSON null does)."""
    fields = {f.name: f.dtype for f in dtype.fields}
    if name in fields:
        return _typed(pl.col("properties").struct.field(name), fields[name], name)
    expr = pl.col("properties")
    current: Any = dtype
    for part in name.split("."):
        inner = {f.name: f.dtype for f in current.fields} if isinstance(current, pl.Struct) else {}
        if part not in inner:
            return pl.lit(None, pl.String), True
        expr, current = expr.struct.field(part), inner[part]
    return _typed(expr, current, name)


def _typed(expr: pl.Expr, dtype: Any, name: str) -> tuple[pl.Expr, bool]:
    """A struct field as a column of one kind (text, number, boolean), or as kind-keeping
    text when it holds lists or mappings."""
    if dtype in (pl.String, pl.Utf8) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return expr.cast(pl.String), True
    if dtype == pl.Boolean or dtype in _NUMBERS:
        return expr, True
    if dtype in (pl.Float32, pl.Float64):
        return expr.cast(pl.Float64), True
    if dtype == pl.Null:
        return expr.cast(pl.String), True
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        value = pl.lit("w") + pl.struct(expr.alias("v")).struct.json_encode()
        return pl.when(expr.is_null()).then(pl.lit(ABSENT)).otherwise(value), False
    raise ValidationError(f"properties.{name}", str(dtype), "expected a JSON value column")


def _json_props(raw: pl.Series, props: Sequence[str]) -> list[pl.Series]:
    """Property columns from JSON text, each distinct text decoded once in Python
    (Polars' own JSON reader would merge ``5`` and ``"5"`` into one type)."""
    distinct = raw.unique()
    table: list[list[str]] = [[] for _ in props]
    for text in distinct:
        data: Any = MISSING
        if text.strip():
            try:
                data = freeze(json.loads(text), "properties")
            except ValueError as exc:
                raise ValidationError("properties", text[:60], f"not JSON ({exc})") from None
            if not isinstance(data, JsonMap):
                if data is not None:
                    raise ValidationError("properties", text[:60], "expected a JSON object")
                data = MISSING
        for column, name in zip(table, props, strict=True):
            column.append(ABSENT if data is MISSING else encode(lookup(data, name)))
    keys = distinct.to_list()
    return [
        raw.replace_strict(keys, values, return_dtype=pl.String).alias(prop_column(name))
        for values, name in zip(table, props, strict=True)
    ]
