"""Events as one Polars frame, whatever the user holds them in.

Accepted: leadqual :class:`~leadqual.Event` objects; a Polars ``DataFrame`` or
``LazyFrame`` or an Arrow table with the columns ``lead_id``, ``type``, ``at`` and
optionally ``id``, ``source`` and ``properties`` (a struct, or JSON text); a path to a
Parquet file (read lazily) or a JSON Lines file (read with the engine's own decoder,
so every row means what it means to :meth:`Event.from_dict`).

The frame has ``lead_id``, ``type``, ``ts`` (seconds since the epoch, as
:attr:`Event.timestamp`), ``id``, ``source``, ``_row`` (the input row, for messages),
and one kind-keeping text column ``p:<name>`` per property a rule reads (see
:mod:`leadqual._kinds`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import polars as pl

from leadqual._columns import (
    EVENT_LAYOUT,
    Cell,
    ColumnPlan,
    Inference,
    check_delimiter,
    check_options,
    classify,
    decide_types,
)
from leadqual._fields import parse_timestamp
from leadqual._kinds import ABSENT, encode
from leadqual.batch._csv import cell_column, csv_cells, csv_header
from leadqual.errors import RowError, ValidationError
from leadqual.events import Event, EventDecoder
from leadqual.jsonvalues import MISSING, JsonMap, freeze, lookup

__all__ = ["EventInput", "EventSource", "EventTable", "event_at", "event_frame", "prop_column"]

#: What :func:`event_frame` reads.
EventSource = Iterable[Event] | pl.DataFrame | pl.LazyFrame | str | os.PathLike[str] | Any

_REQUIRED = ("lead_id", "type", "at")
#: the times Polars reads as Python's ``datetime.fromisoformat`` does (a calendar date it
#: refuses, such as February 30, goes to Python to be refused there with its message)
_COMMON_TIME = (
    r"^[1-8][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_TYPED = "a type reads a text column; this one is typed already"
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


def _columns(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    check_options(EVENT_LAYOUT, value, None)
    return None if value is None else MappingProxyType(dict(value))


def _types(value: Mapping[str, type[object]] | None) -> Mapping[str, type[object]] | None:
    check_options(EVENT_LAYOUT, None, value)
    return None if value is None else MappingProxyType(dict(value))


def _bool(_: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "expected True or False")


@attrs.frozen
class EventInput:
    """Events to read (anything :func:`event_frame` reads), with how its columns become
    events, as :func:`leadqual.io.read_events` reads a CSV file: ``columns`` maps a column
    to a field or a property (``{"user": "lead_id", "src": "properties.utm.source"}``);
    every column that is not a field (nor ``properties``) is a property, dots nesting;
    ``types`` reads a text column as ``int``, ``float``, ``bool``, ``str``, ``list`` or
    ``datetime.date``; ``delimiter`` and ``infer_types`` (numbers and true/false found in
    the cells) apply to CSV files.

    >>> EventInput("events.csv", columns={"user": "lead_id"}, types={"employees": int})
    EventInput(source='events.csv', columns=mappingproxy({'user': 'lead_id'}), \
types=mappingproxy({'employees': <class 'int'>}), delimiter=',', infer_types=False)
    >>> EventInput("events.csv", columns={"user": "owner"})
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: columns['user']: unknown field (known: lead_id, \
type, at, id, source, properties, or properties.<name>), got 'owner'
    """

    source: Any
    columns: Mapping[str, str] | None = attrs.field(default=None, kw_only=True, converter=_columns)
    types: Mapping[str, type[object]] | None = attrs.field(
        default=None, kw_only=True, converter=_types
    )
    delimiter: str = attrs.field(default=",", kw_only=True, converter=check_delimiter)
    infer_types: bool = attrs.field(default=False, kw_only=True, validator=_bool)


def event_frame(
    events: EventSource,
    props: Sequence[str] = (),
    event_types: Collection[str] | None = None,
) -> EventTable:
    """The events as a frame, with the columns of the properties ``props``; with
    ``event_types``, only the events of those types (a Parquet file's other rows are not
    read). ``events`` may be an :class:`EventInput` (a source, and how to read its
    columns)."""
    spec = events if isinstance(events, EventInput) else EventInput(events)
    source = spec.source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return _from_csv(path, spec, props, event_types)
        if spec.infer_types:
            raise ValidationError("infer_types", spec.infer_types, "applies to CSV files only")
        if suffix == ".parquet":
            scan = pl.scan_parquet(path, row_index_name="_row")
            return _from_frame(scan, spec, props, event_types, _Place(str(path)))
        if suffix in (".jsonl", ".ndjson"):
            for option in ("columns", "types"):
                if getattr(spec, option) is not None:
                    raise ValidationError(
                        option, getattr(spec, option), "applies to CSV files and tables only"
                    )
            return _from_events(_read_jsonl(path), props, event_types)
        raise ValidationError(
            "events", str(path), "expected a .parquet, .csv or .jsonl (.ndjson) file of events"
        )
    if spec.infer_types:
        raise ValidationError("infer_types", spec.infer_types, "applies to CSV files only")
    if isinstance(source, (pl.DataFrame, pl.LazyFrame)):
        lazy = source.lazy().with_row_index("_row")
        return _from_frame(lazy, spec, props, event_types, _Place("events"))
    if type(source).__module__.startswith("pyarrow"):
        table = pl.from_arrow(source).lazy()  # type: ignore[union-attr]
        return _from_frame(table.with_row_index("_row"), spec, props, event_types, _Place("events"))
    if spec.columns is not None or spec.types is not None:
        raise ValidationError("columns", spec.columns, "applies to CSV files and tables only")
    if isinstance(source, (bytes, dict)) or not isinstance(source, Iterable):
        raise ValidationError(
            "events", source, "expected Events, a Polars or Arrow table, or a file path"
        )
    return _from_events(source, props, event_types)


@attrs.frozen
class _Place:
    """Where rows come from, to name one in a message: a table's row index, or a CSV
    file's line."""

    name: str
    lines: bool = False
    renamed: Mapping[str, str] = attrs.field(factory=dict)  # field -> the column it came from

    def error(self, row: int, field: str, value: Any, problem: str) -> ValidationError:
        if field in self.renamed:
            problem = f"{problem} (column {self.renamed[field]!r})"
        if self.lines:
            return RowError(self.name, row, field, value, problem)
        return ValidationError(f"{self.name}[{row}].{field}", value, problem)


def _from_csv(
    path: Path, spec: EventInput, props: Sequence[str], event_types: Collection[str] | None
) -> EventTable:
    header = csv_header(path, spec.delimiter)
    source = str(path)
    plan = ColumnPlan.compile(EVENT_LAYOUT, header, spec.columns or {}, spec.types or {}, source)
    paths = [tuple(name.split(".")) for name in props]
    whole = plan.bag_index is not None and bool(plan.cells)
    whole = whole or any(_fills_part(plan, path) for path in paths)
    keep = {index for index, _, _ in plan.fields}
    if plan.bag_index is not None:
        keep.add(plan.bag_index)
    for cell in plan.cells:
        typed = cell.cast is not None and cell.cast is not str  # checked, as io checks it
        every = whole or spec.infer_types  # an inferred type is checked too
        if every or typed or any(_overlap(cell.path, path) for path in paths):
            keep.add(cell.index)
    width = len(header)
    cells = csv_cells(path, spec.delimiter, width, sorted(keep))
    if spec.infer_types:
        inferred = _infer(cells, plan.cells)
        types = {**inferred.types, **(spec.types or {})}
        plan = ColumnPlan.compile(EVENT_LAYOUT, header, spec.columns or {}, types, source)
    names = [cell_column(i) for i in range(width)]
    if whole:  # the properties as a whole, row by row, as io reads them
        return _from_events(_build_events(cells.collect(), plan, names, source), props, event_types)
    place = _Place(source, lines=True, renamed=plan.renamed())

    def every_column() -> pl.LazyFrame:  # a row's whole properties, read again when needed
        return csv_cells(path, spec.delimiter, width, list(range(width)))

    return _resolve(cells, plan, names, props, event_types, place=place, reread=every_column)


def _overlap(cell: tuple[str, ...], path: tuple[str, ...]) -> bool:
    n = min(len(cell), len(path))
    return cell[:n] == path[:n]


def _fills_part(plan: ColumnPlan, path: tuple[str, ...]) -> bool:
    """Whether a rule reads, at ``path``, a mapping that columns fill."""
    return any(len(c.path) > len(path) and c.path[: len(path)] == path for c in plan.cells)


def _infer(cells: pl.LazyFrame, columns: Sequence[Cell]) -> Inference:
    """What :func:`leadqual.io.csv.infer_types` finds in these columns (each distinct
    text classified once: what it decides depends on which kinds are present)."""
    if not columns:
        return Inference({}, {})
    found = cells.select(
        pl.col(cell_column(c.index)).drop_nulls().unique().implode() for c in columns
    ).collect()
    seen: dict[str, dict[str, int]] = {}
    for cell in columns:
        tally: dict[str, int] = {}
        for text in found[cell_column(cell.index)][0]:
            kind = classify(text)
            tally[kind] = tally.get(kind, 0) + 1
        seen[cell.column] = tally
    return decide_types(seen)


def _build_events(
    cells: pl.DataFrame, plan: ColumnPlan, names: Sequence[str], source: str
) -> list[Event]:
    order = [names[i] for i in range(plan.width)]
    present = [n if n in cells.columns else None for n in order]
    decode = EventDecoder()
    out: list[Event] = []
    for record in cells.iter_rows(named=True):
        row = ["" if n is None or record[n] is None else record[n] for n in present]
        try:
            out.append(decode(plan.build(row)))
        except ValidationError as exc:
            named = plan.naming_column(exc)
            raise RowError(
                source, record["_row"], named.field, named.value, named.problem
            ) from None
    return out


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
        value: Any = props.get(row)  # the properties, whole (see _properties_of)
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


def _from_frame(
    lazy: pl.LazyFrame,
    spec: EventInput,
    props: Sequence[str],
    event_types: Collection[str] | None,
    place: _Place,
) -> EventTable:
    """``lazy``: the table with its row numbers as ``_row``."""
    header = [name for name in lazy.collect_schema().names() if name != "_row"]
    try:
        plan = ColumnPlan.compile(
            EVENT_LAYOUT, header, spec.columns or {}, spec.types or {}, place.name
        )
    except RowError as exc:
        if exc.field in _REQUIRED:
            problem = (
                f"no column {exc.field!r} (events need lead_id, type and at; id, source and "
                "properties are optional; columns= maps a column to a field)"
            )
            raise ValidationError(place.name, sorted(header), problem) from None
        raise ValidationError(f"{place.name}.{exc.field}", exc.value, exc.problem) from None
    place = attrs.evolve(place, renamed=plan.renamed())
    return _resolve(lazy, plan, header, props, event_types, place=place)


def _resolve(
    lazy: pl.LazyFrame,
    plan: ColumnPlan,
    names: Sequence[str],
    props: Sequence[str],
    event_types: Collection[str] | None,
    *,
    place: _Place,
    reread: Callable[[], pl.LazyFrame] | None = None,
) -> EventTable:
    """The frame of ``lazy``, whose column ``names[i]`` is the column ``i`` of ``plan``:
    text cells of a CSV file (``place.lines``: every row is checked, as io checks it,
    then only those of ``event_types`` kept), or a table's typed columns (only the rows of
    ``event_types`` read). ``reread`` gives every column again, when ``lazy`` has only
    some."""
    schema = lazy.collect_schema()
    fields = {field: names[index] for index, field, _ in plan.fields}
    columns: list[pl.Expr] = [
        _text(schema, fields[name], place).alias(name)
        if name in fields
        else pl.lit(None, pl.String).alias(name)
        for name in _TEXTS
    ]
    columns.append(pl.col("_row").cast(pl.UInt32))
    columns.append(pl.col(fields["at"]).alias("at"))
    bag = None if plan.bag_index is None else names[plan.bag_index]
    bag_type = None if bag is None else schema[bag]
    if bag_type is not None and not isinstance(bag_type, (pl.Struct, pl.String, pl.Null)):
        raise ValidationError(
            f"{place.name}.{bag}", str(bag_type), "expected a struct or JSON text column"
        )
    native: set[str] = set()
    from_json: list[str] = []
    casts: dict[str, Cell] = {}
    for name in props:
        path = tuple(name.split("."))
        expr, kind = _prop(plan, names, schema, path, bag=bag, place=place)
        if kind == "json":
            from_json.append(name)
            continue
        if kind == "cast":
            casts[name] = _cell_at(plan, path)[0]  # type: ignore[assignment]  # found
        elif kind == "native":
            native.add(prop_column(name))
        columns.append(expr.alias(prop_column(name)))
    check_bag = place.lines and bag is not None  # every cell of it, as io reads them
    if from_json or check_bag:
        columns.append(pl.col(bag).alias("properties"))  # type: ignore[arg-type]  # a bag
    read = {id(cell) for cell in casts.values()}
    checks = {
        f"_check:{cell.index}": cell
        for cell in plan.cells
        if cell.cast is not None and cell.cast is not str and id(cell) not in read
    }
    for column, cell in checks.items():
        if schema[names[cell.index]] not in (pl.String, pl.Utf8):
            raise ValidationError(f"types[{cell.column!r}]", str(schema[names[cell.index]]), _TYPED)
        columns.append(pl.col(names[cell.index]).alias(column))
    wanted = None if event_types is None else pl.Series(sorted(event_types), dtype=pl.String)
    source = lazy
    if wanted is not None and not place.lines:
        source = lazy.filter(pl.col(fields["type"]).cast(pl.String).is_in(wanted.implode()))
    frame = source.select(columns).collect()
    _refuse_empty(frame, place)
    frame = frame.with_columns(ts=_timestamps(frame["at"], frame["_row"], place)).drop("at")
    if from_json or check_bag:
        raw = frame["properties"].fill_null("")
        decoded = _json_props(raw, frame["_row"], from_json, place)
        frame = frame.with_columns(*decoded).drop("properties")
    for name, cell in casts.items():
        frame = frame.with_columns(_cast(frame, prop_column(name), cell, place))
    for column, cell in checks.items():  # typed columns no rule reads: refused as io does
        _cast(frame, column, cell, place)
    frame = frame.drop(list(checks))
    for column in native:
        values = frame[column]
        if values.dtype == pl.Float64:
            bad = frame.filter(values.is_not_null() & ~values.is_finite())
            if bad.height:
                problem = "expected a finite number"
                field = f"properties.{column[2:]}"
                raise place.error(bad["_row"][0], field, bad[column][0], problem)
    if wanted is not None and place.lines:
        frame = frame.filter(pl.col("type").is_in(wanted.implode()))
    whole = reread if reread is not None else (lambda: lazy)
    origin = _properties_of(whole, plan, names, place) if bag or plan.cells else None
    return EventTable(frame, origin, frozenset(native))


def _cell_at(plan: ColumnPlan, path: tuple[str, ...]) -> tuple[Cell | None, tuple[str, ...]]:
    """The column that holds the property at ``path`` or a value around it, and the
    rest of the path inside that column's value."""
    for cell in plan.cells:
        if path[: len(cell.path)] == cell.path:
            return cell, path[len(cell.path) :]
    return None, ()


def _prop(
    plan: ColumnPlan,
    names: Sequence[str],
    schema: Any,
    path: tuple[str, ...],
    *,
    bag: str | None,
    place: _Place,
) -> tuple[pl.Expr, str]:
    """How to read the property at ``path``: an expression, and its kind: ``native``
    (a column of one type), ``text`` (kind-keeping text), ``cast`` (text cells read with
    the column's type after the frame is read) or ``json`` (decoded from the JSON bag)."""
    name = ".".join(path)
    cell, rest = _cell_at(plan, path)
    parts = [
        c.column for c in plan.cells if len(c.path) > len(path) and c.path[: len(path)] == path
    ]
    if bag is not None and (cell is not None or parts):
        raise ValidationError(
            f"properties.{name}",
            bag,
            f"both the column {bag!r} and other columns may hold this property; give it in "
            "one place",
        )
    if parts:
        raise ValidationError(
            f"properties.{name}",
            parts,
            "a rule reads this whole mapping, which several columns fill; give it as one "
            "struct column",
        )
    if cell is not None:
        column = names[cell.index]
        dtype = schema[column]
        if rest:  # inside the column's value: a struct's field, or nothing
            if isinstance(dtype, pl.Struct) and not place.lines:
                return _struct_path(pl.col(column), dtype, rest)
            return pl.lit(None, pl.String), "native"
        if cell.cast is not None and cell.cast is not str:
            if dtype not in (pl.String, pl.Utf8):
                raise ValidationError(f"types[{cell.column!r}]", str(dtype), _TYPED)
            return pl.col(column), "cast"
        return _typed(pl.col(column), dtype, name)
    if bag is None or schema[bag] == pl.Null:
        return pl.lit(None, pl.String), "native"
    if isinstance(schema[bag], pl.Struct):
        return _struct_prop(pl.col(bag), schema[bag], name)
    return pl.lit(None), "json"


def _cast(frame: pl.DataFrame, column: str, cell: Cell, place: _Place) -> pl.Series:
    """The text cells of ``column`` read with ``cell``'s type, each distinct text once,
    as kind-keeping text."""
    values = frame[column]
    table: dict[str, str] = {}
    cast = cell.cast
    assert cast is not None  # a typed cell
    for text in values.drop_nulls().unique():
        try:
            table[text] = encode(freeze(cast(text), "value"))
        except (ValueError, ValidationError):
            row = frame.filter(values == text)["_row"][0]
            raise place.error(
                row,
                "properties." + ".".join(cell.path),
                text,
                f"expected {cell.expected} (column {cell.column!r})",
            ) from None
    read: pl.Series = values.replace_strict(table, default=None, return_dtype=pl.String)
    return read.fill_null(ABSENT).alias(column)


def _properties_of(
    whole: Callable[[], pl.LazyFrame], plan: ColumnPlan, names: Sequence[str], place: _Place
) -> Callable[[pl.Series], dict[int, Any]]:
    """Reads some rows' properties again, whole (rows sharing an id, scores near a
    threshold: rare, so nothing is kept meanwhile)."""
    bag = None if plan.bag_index is None else names[plan.bag_index]
    cells = [(cell, names[cell.index]) for cell in plan.cells]

    def read(rows: pl.Series) -> dict[int, Any]:
        wanted = [*([bag] if bag else []), *(column for _, column in cells)]
        found = whole().filter(pl.col("_row").is_in(rows.implode())).select("_row", *wanted)
        out: dict[int, Any] = {}
        for record in found.collect().iter_rows(named=True):
            data: dict[str, Any] = {}
            raw = record[bag] if bag else None
            if isinstance(raw, str):  # JSON text: a null member is kept, as JSON keeps it
                decoded = json.loads(raw) if raw.strip() else None
                data = decoded if isinstance(decoded, dict) else {}
            elif isinstance(raw, dict):  # a struct: a field a row lacks reads as null
                data = {key: item for key, item in raw.items() if item is not None}
            for cell, column in cells:
                value = record[column]
                if value is None:
                    continue
                if place.lines and cell.cast is not None:
                    value = cell.cast(value)
                node = data
                for part in cell.path[:-1]:
                    node = node.setdefault(part, {})
                node[cell.path[-1]] = value
            out[record["_row"]] = data
        return out

    return read


def epoch_seconds(moments: pl.Series) -> pl.Series:
    """Seconds since the epoch of timezone-aware datetimes, exactly as
    :meth:`datetime.timestamp` gives them: whole microseconds divided by a million,
    correctly rounded."""
    micros = moments.dt.epoch("us")
    # a column of millions, not the number: Polars divides by a number as it multiplies by
    # its inverse, which is not always the correctly rounded quotient
    million = (micros * 0 + 1_000_000).cast(pl.Float64)
    seconds = micros.cast(pl.Float64) / million
    wide = micros.abs() >= 2**53  # past 2255 or before 1685: not exact as a float
    if wide.any():  # Python divides such integers exactly
        try:
            exact = {m: m.timestamp() for m in moments.filter(wide).unique()}
        except (OverflowError, ValueError):
            raise ValidationError(
                "at", None, "a time outside the years 1 to 9999, which Python cannot hold"
            ) from None
        slow = moments.replace_strict(exact, default=None, return_dtype=pl.Float64)
        chosen = pl.when(pl.lit(wide)).then(pl.lit(slow)).otherwise(pl.lit(seconds))
        seconds = pl.select(chosen).to_series()
    out: pl.Series = seconds.alias(moments.name)
    return out


def _text(schema: Any, name: str, place: _Place) -> pl.Expr:
    dtype = schema[name]
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return pl.col(name).cast(pl.String)
    if dtype == pl.Null:  # no value at all (an empty table, or no ids): nulls refused after
        return pl.col(name).cast(pl.String)
    raise ValidationError(f"{place.name}.{name}", str(dtype), "expected a text column")


def _refuse_empty(frame: pl.DataFrame, place: _Place) -> None:
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
                problem = "expected a non-empty string"
                if place.lines and text is None:
                    problem = "is required, but the cell is empty"
                raise place.error(row, name, "" if place.lines and text is None else text, problem)


def _timestamps(at: pl.Series, rows: pl.Series, place: _Place) -> pl.Series:
    """Seconds since the epoch of each time in ``at`` (the input rows ``rows``)."""
    dtype = at.dtype
    nulls = at.is_null()
    if at.len() and nulls.any():
        row = rows.filter(nulls)[0]
        if place.lines:
            raise place.error(row, "at", "", "is required, but the cell is empty")
        raise place.error(row, "at", None, "expected a time")
    if dtype == pl.Null or not at.len():
        return pl.Series(at.name, [], pl.Float64)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise ValidationError(
                f"{place.name}.at",
                str(dtype),
                "expected timezone-aware times (this column is naive)",
            )
        return epoch_seconds(at)
    if dtype in (pl.String, pl.Utf8):
        # the common shape parsed by Polars; any other text (and any Polars refuses) read
        # once per distinct text, exactly as Event.from_dict reads it
        common = at.str.contains(_COMMON_TIME)
        moments = at.str.replace(r"Z$", "+00:00").str.strptime(
            pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False
        )
        moments = pl.select(pl.when(pl.lit(common)).then(pl.lit(moments))).to_series()
        parsed = epoch_seconds(moments)
        fast = common & parsed.is_not_null()
        if fast.all():
            return parsed
        seconds: dict[Any, float] = {}
        for text in at.filter(~fast).unique():
            try:
                seconds[text] = parse_timestamp("at", text).timestamp()
            except ValidationError as exc:
                row = rows.filter(at == text)[0]
                raise place.error(row, "at", text, exc.problem) from None
        slow = at.replace_strict(seconds, default=None, return_dtype=pl.Float64)
        read: pl.Series = pl.select(pl.when(fast).then(parsed).otherwise(slow)).to_series()
        return read.alias(at.name)
    raise ValidationError(
        f"{place.name}.at", str(dtype), "expected a datetime or ISO 8601 text column"
    )


def _struct_prop(base: pl.Expr, dtype: pl.Struct, name: str) -> tuple[pl.Expr, str]:
    """Property ``name`` of a struct column, and its kind (see :func:`_prop`): dots reach
    into nested structs, a field whose own name has the dot first, as :func:`lookup`
    does; an absent field reads as null, as JSON null does."""
    fields = {f.name: f.dtype for f in dtype.fields}
    path = tuple(name.split("."))
    if name not in fields:
        return _struct_path(base, dtype, path)
    dotted = _typed(base.struct.field(name), fields[name], name)
    inner = _type_at(dtype, path) if len(path) > 1 else None
    if inner is None:
        return dotted
    # a null field is an absent one (as a struct reads): then the nested path, as lookup reads
    if _kind_of(fields[name]) != _kind_of(inner):
        raise ValidationError(
            f"properties.{name}",
            str(fields[name]),
            "a field named with its dots beside a nested path of another type: rename one",
        )
    nested = _struct_path(base, dtype, path)[0]
    return pl.when(base.struct.field(name).is_null()).then(nested).otherwise(dotted[0]), dotted[1]


def _type_at(dtype: Any, path: tuple[str, ...]) -> Any:
    """The type at ``path`` inside nested structs (None where there is none)."""
    current = dtype
    for part in path:
        inner = {f.name: f.dtype for f in current.fields} if isinstance(current, pl.Struct) else {}
        if part not in inner:
            return None
        current = inner[part]
    return current


def _kind_of(dtype: Any) -> str:
    """What :func:`_typed` makes of a column of ``dtype``: its type after the cast."""
    if dtype in (pl.String, pl.Utf8, pl.Null) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "text"
    if dtype in (pl.Float32, pl.Float64):
        return "float"
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        return "json"
    return str(dtype)


def _struct_path(base: pl.Expr, dtype: Any, path: tuple[str, ...]) -> tuple[pl.Expr, str]:
    expr, current = base, dtype
    for part in path:
        inner = {f.name: f.dtype for f in current.fields} if isinstance(current, pl.Struct) else {}
        if part not in inner:
            return pl.lit(None, pl.String), "native"
        expr, current = expr.struct.field(part), inner[part]
    return _typed(expr, current, ".".join(path))


def _typed(expr: pl.Expr, dtype: Any, name: str) -> tuple[pl.Expr, str]:
    """A column as a column of one kind (text, number, boolean: ``native``), or as
    kind-keeping ``text`` when it holds lists or mappings."""
    if dtype in (pl.String, pl.Utf8) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return expr.cast(pl.String), "native"
    if dtype == pl.Boolean or dtype in _NUMBERS:
        return expr, "native"
    if dtype in (pl.Float32, pl.Float64):
        return expr.cast(pl.Float64), "native"
    if dtype == pl.Null:
        return expr.cast(pl.String), "native"
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
        value = pl.lit("w") + pl.struct(expr.alias("v")).struct.json_encode()
        return pl.when(expr.is_null()).then(pl.lit(ABSENT)).otherwise(value), "text"
    raise ValidationError(f"properties.{name}", str(dtype), "expected a JSON value column")


def _json_props(
    raw: pl.Series, rows: pl.Series, props: Sequence[str], place: _Place
) -> list[pl.Series]:
    """Property columns from JSON text, each distinct text decoded once in Python
    (Polars' own JSON reader would merge ``5`` and ``"5"`` into one type). A CSV
    file's cell must hold an object, as :mod:`leadqual.io` reads it."""
    distinct = raw.unique()
    table: list[list[str]] = [[] for _ in props]
    for text in distinct:
        data: Any = MISSING
        if text if place.lines else text.strip():  # a CSV cell of spaces is not empty
            try:
                data = freeze(json.loads(text), "properties")
                if data is None and not place.lines:
                    data = MISSING
                elif not isinstance(data, JsonMap):
                    raise ValidationError("properties", text, "expected a JSON object")
            except ValidationError as exc:
                row = rows.filter(raw == text)[0]
                raise place.error(row, exc.field, exc.value, exc.problem) from None
            except ValueError as exc:
                row = rows.filter(raw == text)[0]
                problem = "expected a JSON object" if place.lines else f"not JSON ({exc})"
                raise place.error(row, "properties", text[:60], problem) from None
        for column, name in zip(table, props, strict=True):
            column.append(ABSENT if data is MISSING else encode(lookup(data, name)))
    keys = distinct.to_list()
    return [
        raw.replace_strict(keys, values, return_dtype=pl.String).alias(prop_column(name))
        for values, name in zip(table, props, strict=True)
    ]
