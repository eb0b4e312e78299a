"""CSV: one event or lead per row, under a header row that names the columns.

How a column becomes part of an event (a lead works the same way, with ``id`` and
``email`` as its fields and ``attributes`` in place of ``properties``):

- a column named after a field (``lead_id``, ``type``, ``at``, ``id``, ``source``)
  fills that field; ``columns={"timestamp": "at"}`` renames a column first;
- a column named ``properties`` holds a JSON object, the event's properties;
- every other column is one property, and dots in its name nest: a column
  ``utm.source`` gives ``{"utm": {"source": ...}}``. ``columns`` can also send a
  column to a property by name: ``{"src": "properties.utm.source"}``;
- an empty cell is absent, never ``""``; cell values are strings, unless ``types``
  names the column's type: ``int``, ``float``, ``bool``, ``str`` (text, whatever
  inference says), ``list`` (items separated by ``;``) or ``datetime.date`` (an ISO 8601
  date, kept as ``"2026-12-15"``); the ``properties`` column keeps its JSON types.

Cells can hold at most 128 KiB (the :mod:`csv` module's limit); a bigger cell is a
row error.

>>> import io
>>> from leadqual.events import Event
>>> rows = open_csv(io.StringIO("timestamp,user,event,utm.source,duration\\n"
...                             "2026-11-02T09:30:00Z,L-1,page_view,ads,42\\n"),
...                 "events.csv", EVENT_LAYOUT, Event.from_dict,
...                 columns={"timestamp": "at", "user": "lead_id", "event": "type"},
...                 types={"duration": int})
>>> event = next(rows)
>>> event.lead_id, event.type, event.at.isoformat()
('L-1', 'page_view', '2026-11-02T09:30:00+00:00')
>>> from leadqual.jsonvalues import thaw
>>> thaw(event.properties)
{'utm': {'source': 'ads'}, 'duration': 42}
"""

from __future__ import annotations

import csv as _csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import IO, Any, TypeVar

import attrs

from leadqual._fields import parse_iso
from leadqual.errors import RowError, ValidationError
from leadqual.io.rows import BLANK_LINE, RowResult, row_error

__all__ = [
    "EVENT_LAYOUT",
    "LEAD_LAYOUT",
    "OUTCOME_LAYOUT",
    "Inference",
    "Layout",
    "check_delimiter",
    "check_options",
    "infer_types",
    "open_csv",
    "write_csv",
]

_T = TypeVar("_T")


@attrs.frozen
class Layout:
    """The CSV shape of one kind of value: its fields, which are required, and its bag.

    ``bag`` is the name of the mapping of free-form JSON values (``properties`` or
    ``attributes``) that every column which is not a field goes into.
    """

    fields: tuple[str, ...]
    required: tuple[str, ...]
    bag: str

    def target_path(self, target: str) -> tuple[str, ...] | None:
        """Split a column target into a path (``("properties", "utm", "source")``).

        ``None`` when ``target`` is neither a field, the bag, nor a name inside the bag.
        """
        if target in self.fields or target == self.bag:
            return (target,)
        if target.startswith(self.bag + "."):
            path = (self.bag, *target[len(self.bag) + 1 :].split("."))
            return path if all(path) else None
        return None

    def targets(self) -> str:
        """The targets a column can map to, in words."""
        return ", ".join(self.fields) + f", {self.bag}, or {self.bag}.<name>"


#: The CSV shape of :class:`~leadqual.events.Event`.
EVENT_LAYOUT = Layout(
    fields=("lead_id", "type", "at", "id", "source"),
    required=("lead_id", "type", "at"),
    bag="properties",
)
#: The CSV shape of :class:`~leadqual.leads.Lead`.
LEAD_LAYOUT = Layout(fields=("id", "email"), required=("id",), bag="attributes")
#: The CSV shape of :class:`~leadqual.outcomes.Outcome`.
OUTCOME_LAYOUT = Layout(
    fields=("lead_id", "result", "at", "value"), required=("lead_id", "result"), bag="details"
)


def _to_int(text: str) -> int:
    return int(text)


def _to_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(text)


def _to_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _to_date(text: str) -> str:
    moment = parse_iso(text)
    if moment is not None:
        return moment.date().isoformat()
    return date.fromisoformat(text.strip()).isoformat()  # ValueError when it is no date


#: The types a column can be read as, with how to read one and what to expect.
_CASTS: dict[type[object], tuple[Callable[[str], Any], str]] = {
    int: (_to_int, "an integer"),
    float: (_to_float, "a finite number"),
    bool: (_to_bool, "true or false"),
    str: (str, "text"),  # text, whatever inference would say
    list: (_to_list, "items separated by ';'"),
    date: (_to_date, "an ISO 8601 date (2026-12-15)"),
}


def check_options(
    layout: Layout,
    columns: Mapping[str, str] | None,
    types: Mapping[str, type[object]] | None,
) -> None:
    """Refuse a column mapping or types that can never be right, before reading a row."""
    if columns is not None:
        if not isinstance(columns, Mapping):
            raise ValidationError("columns", columns, "expected a mapping of column -> field")
        pairs: Iterable[tuple[object, object]] = columns.items()  # unchecked callers too
        for column, target in pairs:
            if not isinstance(column, str) or not isinstance(target, str):
                raise ValidationError(
                    f"columns[{column!r}]", target, "expected column and field names as strings"
                )
            if layout.target_path(target) is None:
                raise ValidationError(
                    f"columns[{column!r}]", target, f"unknown field (known: {layout.targets()})"
                )
        seen: dict[str, str] = {}
        for column, target in columns.items():
            if target in seen:
                raise ValidationError(
                    f"columns[{column!r}]",
                    target,
                    f"two columns map to this field ({seen[target]!r} and {column!r})",
                )
            seen[target] = column
    if types is not None:
        if not isinstance(types, Mapping):
            raise ValidationError("types", types, "expected a mapping of column -> type")
        for column, kind in types.items():
            if kind not in _CASTS:
                raise ValidationError(
                    f"types[{column!r}]", kind, "expected int, float, bool, str, list or date"
                )


@attrs.frozen
class _Cell:
    """One column that goes into the bag: where it goes, and how to read it."""

    index: int
    column: str
    path: tuple[str, ...]  # inside the bag
    cast: Callable[[str], Any] | None
    expected: str


@attrs.frozen
class _Plan:
    """What to do with each column of one file, worked out from its header."""

    layout: Layout
    width: int
    fields: tuple[tuple[int, str, str], ...]  # (index, field, column)
    bag_index: int | None
    cells: tuple[_Cell, ...]

    @classmethod
    def compile(
        cls,
        layout: Layout,
        header: list[str],
        columns: Mapping[str, str],
        types: Mapping[str, type[object]],
        source: str,
    ) -> _Plan:
        def fail(field: str, value: Any, problem: str) -> RowError:
            return RowError(source, 1, field, value, problem)

        if header and header[0].startswith("\ufeff"):
            header = [header[0][1:], *header[1:]]
        for i, name in enumerate(header):
            if name in header[:i]:
                raise fail("line", name, "the header row names this column twice")
        listed = ", ".join(repr(name) for name in header)
        for option, names in (("columns", columns), ("types", types)):
            for name in names:
                if name not in header:
                    raise fail(option, name, f"no such column in the header row ({listed})")
        fields: list[tuple[int, str, str]] = []
        bag_index: int | None = None
        cells: list[_Cell] = []
        taken: dict[tuple[str, ...], str] = {}
        for index, name in enumerate(header):
            target = columns.get(name, name)
            path = layout.target_path(target)
            if path is None:
                path = layout.target_path(f"{layout.bag}.{name}")
            if path is None:
                raise fail(
                    "line",
                    name,
                    "cannot use this column name (empty, or an empty part between dots); "
                    f"map it with columns={{{name!r}: '{layout.bag}.<name>'}}",
                )
            for other, column in taken.items():
                shorter, longer = sorted((path, other), key=len)
                if longer[: len(shorter)] != shorter:
                    continue
                if shorter == (layout.bag,) and len(longer) > 1:
                    continue  # the bag column and a column inside it: merged row by row
                if path == other:
                    problem = f"columns {column!r} and {name!r} both fill {'.'.join(path)}"
                else:
                    problem = (
                        f"columns {column!r} and {name!r} overlap ({'.'.join(shorter)} "
                        f"cannot hold both a value and {'.'.join(longer)})"
                    )
                raise fail("line", name, problem)
            taken[path] = name
            kind = types.get(name)
            if len(path) == 1:
                if kind is not None:
                    raise fail(
                        f"types[{name!r}]",
                        kind,
                        f"only columns that go into {layout.bag} can be given a type",
                    )
                if path[0] == layout.bag:
                    bag_index = index
                else:
                    fields.append((index, path[0], name))
            else:
                cast, expected = _CASTS[kind] if kind is not None else (None, "")
                cells.append(_Cell(index, name, path[1:], cast, expected))
        present = {field for _, field, _ in fields}
        for field in layout.required:
            if field not in present:
                raise fail(
                    field,
                    header,
                    "no column holds this required field; name a column after it or map "
                    f"one with columns={{'<column>': {field!r}}}",
                )
        return cls(layout, len(header), tuple(fields), bag_index, tuple(cells))

    def build(self, row: list[str]) -> dict[str, Any]:
        """The ``to_dict()`` form of one row, or :class:`ValidationError`."""
        if len(row) != self.width:
            raise ValidationError(
                "line", row, f"expected {self.width} cells, as in the header row, not {len(row)}"
            )
        data: dict[str, Any] = {}
        bag_name = self.layout.bag
        for index, field, column in self.fields:
            text = row[index]
            if text:
                data[field] = text
            elif field in self.layout.required:
                where = "" if column == field else f" (column {column!r})"
                raise ValidationError(field, text, f"is required, but the cell is empty{where}")
        bag: dict[str, Any] | None = None
        if self.bag_index is not None and row[self.bag_index]:
            text = row[self.bag_index]
            try:
                bag = json.loads(text)
            except ValueError:
                bag = None
            if not isinstance(bag, dict):
                raise ValidationError(bag_name, text, "expected a JSON object")
        for cell in self.cells:
            text = row[cell.index]
            if not text:
                continue
            value: Any = text
            field = ".".join((bag_name, *cell.path))
            if cell.cast is not None:
                try:
                    value = cell.cast(text)
                except ValueError:
                    raise ValidationError(
                        field, text, f"expected {cell.expected} (column {cell.column!r})"
                    ) from None
            if bag is None:
                bag = {}
            _put(bag, cell.path, value, field, column=cell.column, bag_name=bag_name)
        if bag is not None:
            data[bag_name] = bag
        return data

    def column_for(self, field: str) -> str | None:
        """The column a field (or a name inside the bag) came from, if not the bag column."""
        parts = tuple(field.split("."))
        for _, name, column in self.fields:
            if parts == (name,):
                return column
        for cell in self.cells:
            if parts[0] == self.layout.bag and parts[1 : len(cell.path) + 1] == cell.path:
                return cell.column
        return None


def _put(
    bag: dict[str, Any],
    path: tuple[str, ...],
    value: Any,
    field: str,
    *,
    column: str,
    bag_name: str,
) -> None:
    node = bag
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            break
    else:
        if path[-1] not in node:
            node[path[-1]] = value
            return
    raise ValidationError(
        field, value, f"column {column!r} and the {bag_name} column both set this value"
    )


_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"-?0[0-9]")
_DIGITS = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@attrs.frozen
class Inference:
    """What :func:`infer_types` read from a file's cells: ``types`` (column -> ``int``,
    ``float`` or ``bool``, for the ``types=`` option) and ``kept`` (column -> why it stays
    text although some of its cells look like numbers)."""

    types: Mapping[str, type[object]]
    kept: Mapping[str, str]

    def __str__(self) -> str:
        parts = []
        for kind, label in ((int, "whole numbers"), (float, "numbers"), (bool, "true/false")):
            names = [c for c, k in self.types.items() if k is kind]
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.kept:
            parts.append("kept as text: " + ", ".join(f"{c} ({w})" for c, w in self.kept.items()))
        return "; ".join(parts) if parts else "every column is text"


def infer_types(
    stream: Iterable[str],
    layout: Layout,
    *,
    columns: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> Inference:
    """Read a CSV file's cells and say which free-form columns hold numbers or booleans.

    A column is read as whole numbers when every non-empty cell is one, as numbers when
    every one is a number, as true/false when every one is ``true`` or ``false`` (any case).
    A column with a number written with a leading zero (``"02134"``, a postal code or an
    account number) stays text, and so does one that mixes numbers and text. Fields
    (``id``, ``lead_id``, ``at``, ...) are never typed.

    >>> import io
    >>> found = infer_types(io.StringIO("id,employees,zip,paying,note\\n"
    ...                                 "L-1,300,02134,true,42\\n"
    ...                                 "L-2,12,10001,FALSE,n/a\\n"), LEAD_LAYOUT)
    >>> dict(found.types)
    {'employees': <class 'int'>, 'paying': <class 'bool'>}
    >>> dict(found.kept)
    {'zip': 'leading zeros', 'note': 'numbers and text'}
    """
    reader = _csv.reader(stream, delimiter=check_delimiter(delimiter))
    header = next(reader, None) or []
    mapping = columns or {}
    free = [
        i
        for i, name in enumerate(header)
        if (target := mapping.get(name, name)) not in layout.fields and target != layout.bag
    ]
    # per column: [ints, numbers, booleans, other text, leading zeros]
    seen = {i: [0, 0, 0, 0, 0] for i in free}
    for row in reader:
        for i in free:
            if i >= len(row) or not row[i]:
                continue
            text, tally = row[i], seen[i]
            if _LEADING_ZERO.match(text) and _DIGITS.fullmatch(text):
                tally[4] += 1  # 02134: a code written with digits, not a number
            elif _NUMBER.fullmatch(text):
                tally[1] += 1
                if _INT.fullmatch(text):
                    tally[0] += 1
            elif text.lower() in ("true", "false"):
                tally[2] += 1
            else:
                tally[3] += 1
    types: dict[str, type[object]] = {}
    kept: dict[str, str] = {}
    for i in free:
        ints, numbers, booleans, other, zeros = seen[i]
        name = header[i]
        if zeros:
            kept[name] = "leading zeros"
        elif numbers and (other or booleans):
            kept[name] = "numbers and text"
        elif numbers:
            types[name] = int if ints == numbers else float
        elif booleans and not other:
            types[name] = bool
    return Inference(types, kept)


def check_delimiter(delimiter: object) -> str:
    """A delimiter the CSV reader can use: one character, not a quote or a line end."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ValidationError(
            "delimiter", delimiter, "expected one character such as ',' or ';' or a tab"
        )
    return delimiter


def open_csv(
    stream: Iterable[str],
    source: str,
    layout: Layout,
    build: Callable[[Mapping[str, Any]], _T],
    *,
    columns: Mapping[str, str] | None = None,
    types: Mapping[str, type[object]] | None = None,
    delimiter: str = ",",
) -> Iterator[RowResult[_T]]:
    """Read the header row now, and return the outcome of every row after it, lazily.

    ``delimiter`` separates the cells (``";"`` in many European exports, ``"\\t"``).
    A missing or unusable header raises :class:`~leadqual.errors.RowError` (line 1)
    at once, whatever the error policy: no row of such a file can be read.
    """
    check_options(layout, columns, types)
    check_delimiter(delimiter)
    reader = _csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, None)
    except _csv.Error as exc:
        raise RowError(source, 1, "line", None, f"unreadable header row ({exc})") from None
    if header is None:
        raise RowError(source, 1, "line", "", "expected a header row naming the columns")
    plan = _Plan.compile(layout, header, columns or {}, types or {}, source)
    return _rows(reader, plan, source, build)


def _rows(
    reader: Any, plan: _Plan, source: str, build: Callable[[Mapping[str, Any]], _T]
) -> Iterator[RowResult[_T]]:
    last_line: int = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            yield RowError(source, last_line + 1, "line", None, f"unreadable CSV row ({exc})")
            last_line = reader.line_num
            continue
        line, last_line = last_line + 1, reader.line_num
        if not row:
            yield BLANK_LINE
            continue
        try:
            yield build(plan.build(row))
        except ValidationError as exc:
            column = plan.column_for(exc.field)
            if column is not None and column != exc.field and f"{column!r}" not in exc.problem:
                exc = ValidationError(exc.field, exc.value, f"{exc.problem} (column {column!r})")
            yield row_error(source, line, exc)


def write_csv(records: Iterable[Mapping[str, Any]], stream: IO[str], layout: Layout) -> int:
    """Write a header row, then one row per record (the bag as compact JSON); return how many.

    What this writes reads back exactly: fields as text, absent ones as empty cells,
    and the bag in one JSON column that keeps every value's type.
    """
    writer = _csv.writer(stream, lineterminator="\n")
    encode = json.JSONEncoder(
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode
    fields, bag = layout.fields, layout.bag
    writer.writerow([*fields, bag])
    count = 0
    for record in records:
        cells = ["" if record.get(field) is None else record[field] for field in fields]
        writer.writerow([*cells, encode(record.get(bag, {}))])
        count += 1
    return count
