"""How a table's columns become the fields and the free-form bag of events, leads and
outcomes: one place for the CSV reader (:mod:`leadqual.io.csv`) and the batch backend
(:mod:`leadqual.batch`), so that a column mapping or a column type means the same to both.

- a column named after a field (``lead_id``, ``type``, ``at``, ``id``, ``source``)
  fills that field; ``columns={"timestamp": "at"}`` renames a column first;
- a column named after the bag (``properties``) holds a JSON object;
- every other column is one value in the bag, and dots in its name nest: ``utm.source``
  gives ``{"utm": {"source": ...}}``; ``columns={"src": "properties.utm.source"}``
  sends a column to a name in the bag;
- an empty cell is absent, never ``""``; ``types`` reads a column's text as ``int``,
  ``float``, ``bool``, ``str``, ``list`` (items separated by ``;``) or ``datetime.date``.

>>> plan = ColumnPlan.compile(EVENT_LAYOUT, ["user", "event", "at", "utm.source", "n"],
...                           {"user": "lead_id", "event": "type"}, {"n": int}, "events.csv")
>>> row = plan.build(["L-1", "page_view", "2026-11-02T09:30:00Z", "ads", "42"])
>>> row["lead_id"], row["type"], row["properties"]
('L-1', 'page_view', {'utm': {'source': 'ads'}, 'n': 42})
>>> [classify(text) for text in ("42", "4.5", "TRUE", "02134", "n/a")]
['int', 'float', 'bool', 'zero', 'text']
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import attrs

from leadqual._fields import parse_iso
from leadqual.errors import RowError, ValidationError

__all__ = [
    "EVENT_LAYOUT",
    "LEAD_LAYOUT",
    "OUTCOME_LAYOUT",
    "Cell",
    "ColumnPlan",
    "Inference",
    "Layout",
    "check_delimiter",
    "check_options",
    "classify",
    "decide_types",
    "inferred_columns",
]


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
class Cell:
    """One column that goes into the bag: where it goes, and how to read it."""

    index: int
    column: str
    path: tuple[str, ...]  # inside the bag
    cast: Callable[[str], Any] | None
    expected: str


@attrs.frozen
class ColumnPlan:
    """What to do with each column of one file, worked out from its header."""

    layout: Layout
    width: int
    fields: tuple[tuple[int, str, str], ...]  # (index, field, column)
    bag_index: int | None
    cells: tuple[Cell, ...]

    @classmethod
    def compile(
        cls,
        layout: Layout,
        header: list[str],
        columns: Mapping[str, str],
        types: Mapping[str, type[object]],
        source: str,
    ) -> ColumnPlan:
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
        cells: list[Cell] = []
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
                cells.append(Cell(index, name, path[1:], cast, expected))
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

    def renamed(self) -> dict[str, str]:
        """Each field filled by a column of another name: field -> column."""
        return {field: column for _, field, column in self.fields if field != column}

    def naming_column(self, error: ValidationError) -> ValidationError:
        """``error`` (from :meth:`build`), its problem naming the column the value came
        from when that is not the field itself."""
        column = self.column_for(error.field)
        if column is None or column == error.field or f"{column!r}" in error.problem:
            return error
        return ValidationError(error.field, error.value, f"{error.problem} (column {column!r})")

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


def classify(text: str) -> str:
    """What one non-empty cell looks like to type inference: ``"int"``, ``"float"``,
    ``"bool"``, ``"zero"`` (digits with a leading zero: a code, not a number) or
    ``"text"``."""
    if _LEADING_ZERO.match(text) and _DIGITS.fullmatch(text):
        return "zero"
    if _NUMBER.fullmatch(text):
        return "int" if _INT.fullmatch(text) else "float"
    if text.lower() in ("true", "false"):
        return "bool"
    return "text"


def decide_types(seen: Mapping[str, Mapping[str, int]]) -> Inference:
    """The :class:`Inference` for columns whose non-empty cells were classified
    (column -> :func:`classify` result -> how many cells): whole numbers when every cell
    is one, numbers when every one is a number, true/false when every one is; a column
    with a leading zero, or mixing numbers and text, stays text."""
    types: dict[str, type[object]] = {}
    kept: dict[str, str] = {}
    for name, tally in seen.items():
        ints, floats = tally.get("int", 0), tally.get("float", 0)
        numbers, booleans, other = ints + floats, tally.get("bool", 0), tally.get("text", 0)
        if tally.get("zero", 0):
            kept[name] = "leading zeros"
        elif numbers and (other or booleans):
            kept[name] = "numbers and text"
        elif numbers:
            types[name] = int if ints == numbers else float
        elif booleans and not other:
            types[name] = bool
    return Inference(types, kept)


def inferred_columns(
    header: Iterable[str], layout: Layout, columns: Mapping[str, str]
) -> list[int]:
    """The indexes of the columns type inference looks at: those that go into the bag."""
    return [
        i
        for i, name in enumerate(header)
        if (target := columns.get(name, name)) not in layout.fields and target != layout.bag
    ]


def check_delimiter(delimiter: object) -> str:
    """A delimiter the CSV reader can use: one character, not a quote or a line end."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValidationError(
            "delimiter", delimiter, "expected one character such as ',' or ';' or a tab"
        )
    return delimiter
