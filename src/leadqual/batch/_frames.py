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
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from leadqual._fields import parse_timestamp
from leadqual.batch._values import ABSENT, encode
from leadqual.errors import ValidationError
from leadqual.events import Event, EventDecoder
from leadqual.jsonvalues import MISSING, JsonMap, freeze, lookup

__all__ = ["EventSource", "event_at", "event_frame", "prop_column"]

#: What :func:`event_frame` reads.
EventSource = Iterable[Event] | pl.DataFrame | pl.LazyFrame | str | os.PathLike[str] | Any

_REQUIRED = ("lead_id", "type", "at")
_OPTIONAL = ("id", "source", "properties")
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


def prop_column(name: str) -> str:
    """The frame's column for the event property ``name``."""
    return f"p:{name}"


def event_frame(events: EventSource, props: Sequence[str] = ()) -> tuple[pl.DataFrame, Any]:
    """The events as a frame, with the columns of ``props``; and what to build an
    :class:`~leadqual.Event` of a row from (for messages), as :func:`event_at` reads it."""
    if isinstance(events, (str, os.PathLike)):
        path = Path(events)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return _from_frame(pl.scan_parquet(path), props, str(path))
        if suffix in (".jsonl", ".ndjson"):
            return _from_events(_read_jsonl(path), props)
        raise ValidationError(
            "events", str(path), "expected a .parquet or .jsonl (.ndjson) file of events"
        )
    if isinstance(events, (pl.DataFrame, pl.LazyFrame)):
        return _from_frame(events, props, "events")
    if type(events).__module__.startswith("pyarrow"):
        return _from_frame(pl.from_arrow(events), props, "events")  # type: ignore[arg-type]
    if isinstance(events, (bytes, dict)) or not isinstance(events, Iterable):
        raise ValidationError(
            "events", events, "expected Events, a Polars or Arrow table, or a file path"
        )
    return _from_events(events, props)  # type: ignore[arg-type]  # checked row by row


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


def _from_events(events: Iterable[Event], props: Sequence[str]) -> tuple[pl.DataFrame, Any]:
    kept: list[Event] = []
    values: list[list[str]] = [[] for _ in props]
    for i, event in enumerate(events):
        if not isinstance(event, Event):
            raise ValidationError(f"events[{i}]", event, "expected an Event")
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
    return frame, kept


def event_at(origin: Any, frame: pl.DataFrame, row: int) -> Event:
    """The event of input row ``row`` (to compare two rows sharing an id, and to name
    them in an error): ``origin`` is what :func:`event_frame` returned with ``frame``."""
    if isinstance(origin, list):
        event: Event = origin[row]
        return event
    found = frame.filter(pl.col("_row") == row).row(0, named=True)
    props: Any = None if origin is None else origin[row]
    if isinstance(props, str):
        props = json.loads(props) if props.strip() else None
    elif isinstance(props, dict):  # a struct: a field a row lacks reads as null
        props = {key: value for key, value in props.items() if value is not None}
    return Event(
        found["lead_id"],
        found["type"],
        at=datetime.fromtimestamp(found["ts"], timezone.utc),
        properties=props,
        id=found["id"],
        source=found["source"],
    )


def _from_frame(
    given: pl.DataFrame | pl.LazyFrame, props: Sequence[str], where: str
) -> tuple[pl.DataFrame, Any]:
    lazy = given.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in _REQUIRED if c not in schema]
    if missing:
        raise ValidationError(
            where,
            sorted(schema.names()),
            f"no column {missing[0]!r} (events need lead_id, "
            "type and at; id, source and properties are optional)",
        )
    columns: list[pl.Expr] = [
        _text(schema, "lead_id", where),
        _text(schema, "type", where),
        _text(schema, "id", where),
        _text(schema, "source", where),
    ]
    frame = (
        lazy.with_row_index("_row")
        .select(*columns, pl.col("_row").cast(pl.UInt32), pl.col("at"))
        .collect()
    )
    _refuse_empty(frame, where)
    frame = frame.with_columns(ts=_timestamps(frame["at"], where)).drop("at")
    properties = schema.get("properties")
    if properties is None or properties == pl.Null:
        prop_values = [pl.lit(ABSENT).alias(prop_column(n)) for n in props]
        return frame.with_columns(*prop_values), None
    raw = lazy.select(pl.col("properties")).collect().to_series()
    if isinstance(properties, pl.Struct):
        frame = frame.with_columns(_raw=raw)
        frame = frame.with_columns(
            *[_struct_prop(properties, n).alias(prop_column(n)) for n in props],
        ).drop("_raw")
        for name in props:
            bad = frame.filter(pl.col(prop_column(name)) == "x")
            if bad.height:
                row = bad["_row"][0]
                raise ValidationError(
                    f"{where}[{row}].properties.{name}",
                    "NaN or infinity",
                    "expected a finite number",
                )
    elif properties in (pl.String, pl.Utf8):
        frame = frame.with_columns(*_json_props(raw.fill_null(""), props))
    else:
        raise ValidationError(
            f"{where}.properties", str(properties), "expected a struct or JSON text column"
        )
    return frame, raw


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
    ``type``, a blank ``id`` or ``source`` (blank as ``str.strip`` sees it)."""
    for name in ("lead_id", "type", "source", "id"):
        column = frame[name]
        if name == "id":  # one per event: only texts with no visible character are read
            column = column.filter(~column.str.contains(r"[^\s\x1c-\x1f]"))
        for text in column.unique():
            if text is None and name in ("id", "source"):
                continue
            if text is None or not text.strip():
                row = frame.filter(
                    pl.col(name).is_null() if text is None else pl.col(name) == text
                )["_row"][0]
                raise ValidationError(f"{where}[{row}].{name}", text, "expected a non-empty string")


def _timestamps(at: pl.Series, where: str) -> pl.Series:
    dtype = at.dtype
    if dtype == pl.Null:
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


def _struct_prop(dtype: pl.Struct, name: str) -> pl.Expr:
    """The kind-keeping text of property ``name`` of a struct column (dots reach into
    nested structs, a field whose own name has the dot first, as :func:`lookup` does)."""
    fields = {f.name: f.dtype for f in dtype.fields}
    if name in fields:
        return _encoded(pl.col("_raw").struct.field(name), fields[name], name)
    expr = pl.col("_raw")
    current: Any = dtype
    for part in name.split("."):
        if not isinstance(current, pl.Struct):
            return pl.lit(ABSENT)
        inner = {f.name: f.dtype for f in current.fields}
        if part not in inner:
            return pl.lit(ABSENT)
        expr, current = expr.struct.field(part), inner[part]
    # a missing outer struct reads as absent (null), as lookup() finds nothing there
    return _encoded(expr, current, name)


def _encoded(expr: pl.Expr, dtype: Any, name: str) -> pl.Expr:
    absent = pl.lit(ABSENT)
    if dtype in (pl.String, pl.Utf8) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        value = pl.lit("s") + expr.cast(pl.String)
    elif dtype == pl.Boolean:
        value = pl.when(expr).then(pl.lit("b1")).otherwise(pl.lit("b0"))
    elif dtype in _NUMBERS:
        value = pl.lit("n") + expr.cast(pl.String)
    elif dtype in (pl.Float32, pl.Float64):
        value = pl.when(expr.is_finite()).then(pl.lit("n") + expr.cast(pl.Float64).cast(pl.String))
        value = value.otherwise(pl.lit("x"))  # refused after collecting
    elif dtype == pl.Null:
        return absent
    elif isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        value = pl.lit("w") + pl.struct(expr.alias("v")).struct.json_encode()
    else:
        raise ValidationError(f"properties.{name}", str(dtype), "expected a JSON value column")
    return pl.when(expr.is_null()).then(absent).otherwise(value)


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
