"""A Spark DataFrame of events in the shape the scoring reads.

Accepted: the columns ``lead_id``, ``type`` and ``at`` (a timestamp, or ISO 8601 text
with a UTC offset), and optionally ``id``, ``source`` and ``properties`` (a struct, or
JSON text). The frame built has ``lead_id``, ``type``, ``id``, ``source``, ``_us``
(microseconds since the epoch, whatever the session time zone), ``ts`` (seconds, as
:attr:`Event.timestamp`), ``_day`` (the start of the UTC day, in microseconds) and one
column ``p<i>`` per property a rule reads: in its own type (a struct field of one kind,
``native``) or as kind-keeping text (:mod:`leadqual._kinds`).

Texts that Spark cannot read as the engine reads them (times, JSON) are read in Python,
with the engine's own code, in the workers (``mapInArrow``): no arithmetic happens there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import attrs
import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from leadqual._columns import EVENT_LAYOUT, ColumnPlan, check_options
from leadqual._fields import parse_timestamp
from leadqual._kinds import ABSENT, encode
from leadqual.errors import RowError, ValidationError
from leadqual.events import Event
from leadqual.jsonvalues import MISSING, JsonMap, freeze, lookup
from leadqual.leads import Lead

__all__ = ["SparkEvents", "event_from", "leads_of", "moment", "spark_events"]

_DAY_US = 86_400_000_000
_TEXTS = ("lead_id", "type", "id", "source")
_WHOLE = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)


@attrs.frozen
class SparkEvents:
    """The events (see the module), which property columns are ``native``, and how to
    rebuild a row's :class:`Event` (to compare two rows sharing an id)."""

    frame: DataFrame
    native: frozenset[str]
    columns: tuple[str, ...]  # the property columns, in the order of the names given

    @staticmethod
    def event_of(row: Any) -> Event:
        """The event of a row of :attr:`frame` with its ``_props`` (see
        :func:`spark_events`)."""
        props = row["_props"]
        if props is not None and not isinstance(props, str):
            props = props.asDict(recursive=True)
        return event_from(
            row["lead_id"],
            row["type"],
            row["_us"],
            props=props,
            event_id=row["id"],
            source=row["source"],
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def moment(micros: int) -> datetime:
    """The UTC moment ``micros`` microseconds after the epoch, exactly."""
    return _EPOCH + timedelta(microseconds=micros)


def event_from(
    lead_id: str, kind: str, micros: int, *, props: Any, event_id: str | None, source: str | None
) -> Event:
    """The event of one row: ``props`` as JSON text, or a struct's fields as a mapping (a
    field a row lacks reads as null, so nulls are left out)."""
    if isinstance(props, str):
        props = json.loads(props) if props.strip() else None
    elif props is not None:
        props = {k: v for k, v in props.items() if v is not None}
    return Event(lead_id, kind, at=moment(micros), properties=props, id=event_id, source=source)


def _frame_of(events: Any) -> DataFrame:
    """``events`` as a DataFrame: a Parquet path is read by the active session."""
    if isinstance(events, DataFrame):
        return events
    if isinstance(events, (str, os.PathLike)):
        session = SparkSession.getActiveSession()
        if session is None:
            raise ValidationError(
                "events", str(events), "a path needs an active Spark session: start one first"
            )
        return session.read.parquet(str(events))
    raise ValidationError("events", events, "expected a Spark DataFrame or a Parquet path")


def _mapped(events: DataFrame, columns: Mapping[str, str] | None) -> DataFrame:
    """The events with their columns where leadqual reads them, by the column plan that
    :mod:`leadqual.io` and the Polars backend use: a column named after a field (or mapped
    to one by ``columns``) fills it; ``properties`` (or the column mapped to it) holds
    them as a struct or JSON text; every other column is one property, dots nesting
    (``utm.source``), gathered into the properties struct. A property both a column and
    the struct hold, or columns beside JSON text properties, are refused: give the
    properties in one place."""
    check_options(EVENT_LAYOUT, columns, None)
    header = events.schema.fieldNames()
    try:
        plan = ColumnPlan.compile(EVENT_LAYOUT, header, columns or {}, {}, "events")
    except RowError as exc:
        raise ValidationError(f"events.{exc.field}", exc.value, exc.problem) from None
    selected = [F.col(f"`{column}`").alias(field) for _, field, column in plan.fields]
    if not plan.cells:
        if plan.bag_index is not None:
            selected.append(F.col(f"`{header[plan.bag_index]}`").alias("properties"))
        return events.select(*selected)
    bag: Column | None = None
    known: set[tuple[str, ...]] = set()
    if plan.bag_index is not None:
        name = header[plan.bag_index]
        dtype = events.schema[name].dataType
        if not isinstance(dtype, T.StructType):
            others = sorted(cell.column for cell in plan.cells)
            raise ValidationError(
                "events",
                others,
                f"columns beside a {dtype.simpleString()} properties column: give the "
                "properties in one place (a struct holding them all, or the columns alone)",
            )
        bag = F.col(f"`{name}`")
        known = _paths(dtype)
    tree: dict[str, Any] = {}
    for cell in plan.cells:
        if any(cell.path[: len(p)] == p or p[: len(cell.path)] == cell.path for p in known):
            raise ValidationError(
                "properties." + ".".join(cell.path),
                cell.column,
                "both this column and the properties column hold it: give it in one place",
            )
        node = tree
        for part in cell.path[:-1]:
            node = node.setdefault(part, {})
        node[cell.path[-1]] = F.col(f"`{cell.column}`")
    if bag is None:
        bag = _struct_of(tree)
    else:
        for name, value in tree.items():
            bag = bag.withField(
                f"`{name}`", _struct_of(value) if isinstance(value, dict) else value
            )
    assert bag is not None  # there are cells
    selected.append(bag.alias("properties"))
    return events.select(*selected)


def _struct_of(tree: Mapping[str, Any]) -> Column:
    """A struct column from a tree of names (leaves are columns)."""
    return F.struct(
        *[
            (_struct_of(value) if isinstance(value, dict) else value).alias(name)
            for name, value in tree.items()
        ]
    )


def _paths(dtype: T.StructType, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out = set()
    for field in dtype.fields:
        path = (*prefix, field.name)
        out.add(path)
        if isinstance(field.dataType, T.StructType):
            out |= _paths(field.dataType, path)
    return out


def leads_of(leads: Any) -> Any:
    """``leads`` as :class:`Lead` objects: as given, or read from a Spark DataFrame with
    ``id``, optionally ``email`` and ``attributes`` (a struct or JSON text), every other
    column one attribute (brought to the driver, where the fit runs)."""
    if not isinstance(leads, DataFrame):
        return leads
    names = leads.schema.fieldNames()
    if "id" not in names:
        raise ValidationError("leads", sorted(names), "a table of leads needs a column 'id'")
    others = [n for n in names if n not in ("id", "email", "attributes")]
    out = []
    for row in leads.toLocalIterator():
        data = row.asDict(recursive=True)
        bag = data.get("attributes")
        if isinstance(bag, str):
            bag = json.loads(bag) if bag.strip() else {}
        attributes = {k: v for k, v in (bag or {}).items() if v is not None}
        attributes |= {n: data[n] for n in others if data[n] is not None}
        out.append(Lead(data["id"], email=data.get("email"), attributes=attributes))
    return out


def spark_events(
    events: Any, props: Sequence[str], column_map: Mapping[str, str] | None = None
) -> SparkEvents:
    """The events of ``events`` with a column per property of ``props`` (see the module);
    ``_props`` keeps each row's properties whole, to rebuild its event when needed.
    ``column_map`` maps columns to fields, as for :mod:`leadqual.io` (see
    :func:`_mapped`)."""
    events = _mapped(_frame_of(events), column_map)
    schema = events.schema
    names = schema.fieldNames()
    for required in ("lead_id", "type", "at"):
        if required not in names:
            raise ValidationError(
                "events",
                sorted(names),
                f"no column {required!r} (events need lead_id, type and at; id, source and "
                "properties are optional)",
            )
    fields = {f.name: f.dataType for f in schema.fields}
    columns: list[Column] = []
    for name in _TEXTS:
        if name not in fields or isinstance(fields[name], T.NullType):
            columns.append(F.lit(None).cast("string").alias(name))
        elif isinstance(fields[name], T.StringType):
            columns.append(F.col(name))
        else:
            raise ValidationError(f"events.{name}", str(fields[name]), "expected a text column")
    at = fields["at"]
    text_times = isinstance(at, T.StringType)
    if isinstance(at, T.TimestampType):
        columns.append(F.unix_micros(F.col("at")).alias("_us"))
    elif text_times:
        columns.append(F.col("at").alias("_at"))
    else:
        raise ValidationError(
            "events.at",
            str(at),
            "expected a timestamp column (not TIMESTAMP_NTZ: times need their zone) or ISO "
            "8601 text",
        )
    bag = fields.get("properties")
    native: set[str] = set()
    prop_columns = tuple(f"p{i}" for i in range(len(props)))
    json_props = isinstance(bag, T.StringType)
    if bag is None or isinstance(bag, T.NullType):
        columns += [F.lit(None).cast("string").alias(c) for c in prop_columns]
        native.update(prop_columns)
        columns.append(F.lit(None).cast("string").alias("_props"))
    elif isinstance(bag, T.StructType):
        for name, column in zip(props, prop_columns, strict=True):
            expr, is_native = _struct_prop(bag, name)
            columns.append(expr.alias(column))
            if is_native:
                native.add(column)
        columns.append(F.col("properties").alias("_props"))
    elif json_props:
        columns.append(F.col("properties").alias("_props"))
    else:
        raise ValidationError(
            "events.properties", str(bag), "expected a struct or JSON text column"
        )
    frame = events.select(*columns)
    if text_times or json_props:
        frame = _read_in_python(
            frame, props, prop_columns, text_times=text_times, json_props=json_props
        )
    frame = frame.withColumn("ts", F.col("_us").cast("double") / F.lit(1_000_000.0))
    frame = frame.withColumn("_day", F.col("_us") - F.pmod(F.col("_us"), F.lit(_DAY_US)))
    return SparkEvents(frame, frozenset(native), prop_columns)


def _struct_prop(dtype: T.StructType, name: str) -> tuple[Column, bool]:
    """Property ``name`` of a struct column (a field whose own name has the dot first, then
    dots reaching into nested structs, as :func:`lookup` reads), and whether it is held
    in its own type."""
    fields = {f.name: f.dataType for f in dtype.fields}
    expr = F.col("properties")
    current: Any = dtype
    for part in name.split("."):
        inner = (
            {f.name: f.dataType for f in current.fields}
            if isinstance(current, T.StructType)
            else {}
        )
        if part not in inner:
            nested = None
            break
        expr, current = expr.getField(part), inner[part]
    else:
        nested = _typed(expr, current, name)
    if name not in fields:
        return nested if nested is not None else (F.lit(None).cast("string"), True)
    raw = F.col("properties").getField(name)
    dotted = _typed(raw, fields[name], name)
    if nested is None or "." not in name:
        return dotted
    # a null field is an absent one (as a struct reads): then the nested path, as lookup reads
    if _kind_of(fields[name]) != _kind_of(current):
        raise ValidationError(
            f"properties.{name}",
            str(fields[name]),
            "a field named with its dots beside a nested path of another type: rename one",
        )
    return F.when(raw.isNull(), nested[0]).otherwise(dotted[0]), dotted[1]


def _kind_of(dtype: Any) -> str:
    """What :func:`_typed` makes of a column of ``dtype``: its type after the cast."""
    if isinstance(dtype, (T.StringType, T.NullType)):
        return "text"
    if isinstance(dtype, _WHOLE):
        return "whole"
    if isinstance(dtype, (T.FloatType, T.DoubleType, T.DecimalType)):
        return "float"
    if isinstance(dtype, (T.ArrayType, T.StructType, T.MapType)):
        return "json"
    return type(dtype).__name__


def _typed(expr: Column, dtype: Any, name: str) -> tuple[Column, bool]:
    if isinstance(dtype, (T.StringType, T.BooleanType, T.NullType)):
        return (expr.cast("string") if isinstance(dtype, T.NullType) else expr), True
    if isinstance(dtype, _WHOLE):
        return expr.cast("long"), True
    if isinstance(dtype, (T.FloatType, T.DoubleType, T.DecimalType)):
        return expr.cast("double"), True
    if isinstance(dtype, (T.ArrayType, T.StructType, T.MapType)):
        text = F.concat(F.lit("w"), F.to_json(F.struct(expr.alias("v"))))
        return F.when(expr.isNull(), F.lit(ABSENT)).otherwise(text), False
    raise ValidationError(f"properties.{name}", str(dtype), "expected a JSON value column")


def _read_in_python(
    frame: DataFrame,
    props: Sequence[str],
    prop_columns: Sequence[str],
    *,
    text_times: bool,
    json_props: bool,
) -> DataFrame:
    """Times from text and properties from JSON text, read in the workers by the
    engine's own code (``parse_timestamp``, ``json.loads`` and ``lookup``)."""
    kept = [f for f in frame.schema.fields if f.name != "_at"]
    out = T.StructType(
        [
            *kept,
            *([T.StructField("_us", T.LongType())] if text_times else []),
            *([T.StructField(c, T.StringType()) for c in prop_columns] if json_props else []),
        ]
    )
    arrow = pa.schema([(f.name, _arrow(f.dataType)) for f in out.fields])
    read = partial(
        _read_batches,
        names=tuple(props),
        prop_columns=tuple(prop_columns),
        text_times=text_times,
        json_props=json_props,
        schema=arrow,
    )
    return frame.mapInArrow(read, out)


def _read_batches(
    batches: Iterator[pa.RecordBatch],
    *,
    names: tuple[str, ...],
    prop_columns: tuple[str, ...],
    text_times: bool,
    json_props: bool,
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """What :func:`_read_in_python` runs in the workers (a module-level function, so it
    travels by name and finds this module's :data:`MISSING` there)."""
    for batch in batches:
        data = {name: batch.column(name) for name in batch.schema.names if name != "_at"}
        if text_times:
            data["_us"] = pa.array(
                [_micros(text) for text in batch.column("_at").to_pylist()], pa.int64()
            )
        if json_props:
            values: list[list[str]] = [[] for _ in names]
            for text in batch.column("_props").to_pylist():
                bag = _bag(text)
                for column, name in zip(values, names, strict=True):
                    column.append(ABSENT if bag is MISSING else encode(lookup(bag, name)))
            for column_name, column in zip(prop_columns, values, strict=True):
                data[column_name] = pa.array(column, pa.string())
        yield pa.RecordBatch.from_pydict(data, schema=schema)


def _arrow(dtype: Any) -> pa.DataType:
    if isinstance(dtype, T.LongType):
        return pa.int64()
    if isinstance(dtype, T.DoubleType):
        return pa.float64()
    if isinstance(dtype, T.BooleanType):
        return pa.bool_()
    if isinstance(dtype, T.StringType):
        return pa.string()
    from pyspark.sql.pandas.types import to_arrow_type

    return to_arrow_type(dtype)


def _micros(text: str | None) -> int:
    if text is None:
        raise ValidationError("at", None, "expected a time")
    moment = parse_timestamp("at", text)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _bag(text: str | None) -> Any:
    if text is None or not text.strip():
        return MISSING
    try:
        data = freeze(json.loads(text), "properties")
    except ValueError as exc:
        raise ValidationError("properties", text[:60], f"not JSON ({exc})") from None
    if data is None:
        return MISSING
    if not isinstance(data, JsonMap):
        raise ValidationError("properties", text[:60], "expected a JSON object")
    return data
