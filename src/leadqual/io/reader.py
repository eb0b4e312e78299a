"""Readers: iterators over the events or leads in a file, one row at a time.

A reader never holds more than the current row, so a file of any size streams
through in constant memory. What it does with a malformed row depends on
``errors``: ``"raise"`` (the default) raises :class:`~leadqual.errors.RowError` at
that row; ``"collect"`` sets the row aside in ``reader.problems`` and goes on.
Either way nothing is skipped without a trace: ``rows_read``, ``rows_skipped`` and
``ignored`` account for every line.

>>> import io
>>> text = ('{"id": "L-1", "email": "ana@acme.com"}\\n'
...         '{"id": ""}\\n'
...         '{"id": "L-3", "attributes": {"employees": 40}}\\n')
>>> with read_leads(io.StringIO(text), format="jsonl", errors="collect") as reader:
...     [lead.id for lead in reader]
['L-1', 'L-3']
>>> print(reader.summary())
<stream>: 2 rows read, 1 skipped (see .problems)
>>> print(reader.problems[0])
<stream>:2: id: expected a non-empty string, got ''
"""

from __future__ import annotations

import csv as _csv
from collections.abc import Callable, Iterator, Mapping
from datetime import tzinfo
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

import attrs
from typing_extensions import Self, TypedDict, Unpack

from leadqual._fields import check_zone, localize
from leadqual.errors import LeadqualError, RowError, ValidationError
from leadqual.events import Event, EventDecoder
from leadqual.io.csv import (
    EVENT_LAYOUT,
    LEAD_LAYOUT,
    OUTCOME_LAYOUT,
    Inference,
    Layout,
    check_delimiter,
    check_options,
    infer_types,
    open_csv,
)
from leadqual.io.files import (
    Format,
    Source,
    is_path,
    open_source,
    resolve_format,
    source_name,
)
from leadqual.io.jsonl import parse_jsonl
from leadqual.io.rows import Ignored, RowResult
from leadqual.leads import Lead
from leadqual.outcomes import Outcome
from leadqual.typing import ErrorPolicy

__all__ = [
    "ErrorPolicy",
    "EventReader",
    "LeadReader",
    "OutcomeReader",
    "ReadOptions",
    "Reader",
    "read_events",
    "read_leads",
    "read_outcomes",
]

_T = TypeVar("_T")

#: What a reader does with a malformed row: raise at once, or set it aside and go on.
_POLICIES = ("raise", "collect")


@attrs.define(eq=False)
class Reader(Generic[_T]):
    """An iterator over the values in one file; create one with :func:`read_events` & co.

    - ``source``: the file's name as errors give it (``"<stream>"`` when unknown);
    - ``format``: ``"jsonl"`` or ``"csv"``; ``errors``: the :data:`ErrorPolicy`;
    - ``rows_read``: rows turned into values and yielded so far;
    - ``rows_skipped``: malformed rows set aside so far (``errors="collect"``), each
      explained by one :class:`~leadqual.errors.RowError` in ``problems``;
    - ``ignored``: rows passed over by design, counted by reason (``"blank line"``).

    Used in a ``with`` block, a reader closes the file it opened itself when the block
    ends; it never closes a file object it was given. It also closes its own file once
    the last row is read or a row error is raised.
    """

    source: str
    format: Format
    errors: ErrorPolicy
    _rows: Iterator[RowResult[_T]] = attrs.field(repr=False, alias="rows")
    _stream: IO[str] = attrs.field(repr=False, alias="stream")
    _owns_stream: bool = attrs.field(repr=False, alias="owns_stream")
    rows_read: int = attrs.field(default=0, init=False)
    rows_skipped: int = attrs.field(default=0, init=False)
    ignored: dict[str, int] = attrs.field(factory=dict, init=False)
    problems: list[RowError] = attrs.field(factory=list, init=False, repr=False)
    closed: bool = attrs.field(default=False, init=False)
    #: what ``infer_types=True`` read from a CSV file's cells (``None`` otherwise)
    inferred: Inference | None = attrs.field(default=None, kw_only=True)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> _T:
        try:
            for item in self._rows:
                if isinstance(item, RowError):
                    if self.errors == "raise":
                        self.close()
                        raise item
                    self.problems.append(item)
                    self.rows_skipped += 1
                elif isinstance(item, Ignored):
                    self.ignored[item.reason] = self.ignored.get(item.reason, 0) + 1
                else:
                    self.rows_read += 1
                    return item
        except UnicodeDecodeError as exc:
            self.close()
            if not self._owns_stream:
                raise
            raise _not_utf8(self.source, exc) from exc
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Stop reading, and close the file if this reader opened it (idempotent)."""
        if self.closed:
            return
        self.closed = True
        close_rows = getattr(self._rows, "close", None)
        if close_rows is not None:
            close_rows()
        if self._owns_stream:
            self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def summary(self) -> str:
        """One line accounting for every row so far.

        >>> import io
        >>> reader = read_events(io.StringIO("\\n"), format="jsonl")
        >>> list(reader), reader.summary()
        ([], '<stream>: 0 rows read, 0 skipped, 1 ignored (blank line: 1)')
        """
        text = f"{self.source}: {_rows(self.rows_read)} read, {self.rows_skipped} skipped"
        if self.problems:
            text += " (see .problems)"
        if self.ignored:
            reasons = ", ".join(f"{reason}: {n}" for reason, n in self.ignored.items())
            text += f", {sum(self.ignored.values())} ignored ({reasons})"
        return text


def _not_utf8(source: str, exc: UnicodeDecodeError) -> LeadqualError:
    encoding = "UTF-8" if exc.encoding.lower().startswith("utf-8") else exc.encoding
    return LeadqualError(
        f"{source}: cannot read the file as {encoding} text ({exc.reason}); give its "
        "encoding (encoding='latin-1' in Python, --encoding latin-1 on the command line)"
    )


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


@attrs.define(eq=False)
class EventReader(Reader[Event]):
    """A :class:`Reader` of :class:`~leadqual.events.Event` values."""


@attrs.define(eq=False)
class LeadReader(Reader[Lead]):
    """A :class:`Reader` of :class:`~leadqual.leads.Lead` values."""


@attrs.define(eq=False)
class OutcomeReader(Reader[Outcome]):
    """A :class:`Reader` of :class:`~leadqual.outcomes.Outcome` values."""


def check_policy(errors: object) -> ErrorPolicy:
    """Return ``errors`` if it is a known :data:`ErrorPolicy`, else raise."""
    if errors not in _POLICIES:
        raise ValidationError("errors", errors, "expected 'raise' or 'collect'")
    return errors  # type: ignore[return-value]


def open_rows(
    source: Source,
    newline: str | None,
    make_rows: Callable[[IO[str], str], Iterator[RowResult[_T]]],
    *,
    encoding: str = "utf-8",
) -> tuple[str, Iterator[RowResult[_T]], IO[str], bool]:
    """Open ``source`` and start reading it; close it again if starting fails."""
    name = source_name(source)
    stream, owned = open_source(source, newline=newline, encoding=encoding)
    try:
        rows = make_rows(stream, name)
    except BaseException as exc:
        if owned:
            stream.close()
            if isinstance(exc, UnicodeDecodeError):
                raise _not_utf8(name, exc) from exc
        raise
    return name, rows, stream, owned


def _open(
    source: Source,
    layout: Layout,
    build: Callable[[Mapping[str, Any]], _T],
    options: ReadOptions,
) -> tuple[Format, str, Iterator[RowResult[_T]], IO[str], bool, Inference | None]:
    columns, types = options.get("columns"), options.get("types")
    delimiter, encoding = options.get("delimiter"), options.get("encoding", "utf-8")
    timezone, infer = options.get("timezone"), options.get("infer_types", False)
    fmt = resolve_format(source, options.get("format"))
    if timezone is not None:
        build = _in_zone(build, check_zone(timezone))
    inferred = None
    if fmt == "csv":
        check_options(layout, columns, types)
        sep = check_delimiter("," if delimiter is None else delimiter)
        if infer:
            if not is_path(source):
                raise ValidationError("infer_types", source, "needs a path: the file is read twice")
            first, _ = open_source(source, newline="", encoding=encoding)
            try:
                with first:
                    inferred = infer_types(first, layout, columns=columns, delimiter=sep)
            except UnicodeDecodeError as exc:
                raise _not_utf8(source_name(source), exc) from exc
            except _csv.Error:  # the reading proper says where and why
                inferred = Inference({}, {})
            types = {**inferred.types, **(types or {})}

        def csv_rows(stream: IO[str], name: str) -> Iterator[RowResult[_T]]:
            return open_csv(
                stream, name, layout, build, columns=columns, types=types, delimiter=sep
            )

        return (fmt, *open_rows(source, "", csv_rows, encoding=encoding), inferred)
    for option, value in (("columns", columns), ("types", types), ("delimiter", delimiter)):
        if value is not None:
            raise ValidationError(option, value, "applies to CSV files only")
    if infer:
        raise ValidationError("infer_types", infer, "applies to CSV files only")

    def jsonl_rows(stream: IO[str], name: str) -> Iterator[RowResult[_T]]:
        return parse_jsonl(stream, name, build)

    return (fmt, *open_rows(source, None, jsonl_rows, encoding=encoding), None)


def _in_zone(
    build: Callable[[Mapping[str, Any]], _T], zone: tzinfo
) -> Callable[[Mapping[str, Any]], _T]:
    """``build`` for rows whose ``at`` may lack a UTC offset: it is read in ``zone``."""

    def build_in_zone(row: Mapping[str, Any]) -> _T:
        if "at" in row:
            row = {**row, "at": localize("at", row["at"], zone)}
        return build(row)

    return build_in_zone


class ReadOptions(TypedDict, total=False):
    """The options every reader takes (see :func:`read_events`)."""

    format: Format | None
    columns: Mapping[str, str] | None
    types: Mapping[str, type[object]] | None
    errors: ErrorPolicy
    delimiter: str | None
    encoding: str
    timezone: tzinfo | str | None
    infer_types: bool


_R = TypeVar("_R", bound=Reader[Any])


def _read(
    reader: Callable[..., _R],
    source: Source,
    layout: Layout,
    build: Callable[[Mapping[str, Any]], Any],
    options: ReadOptions,
    *,
    called: str,
) -> _R:
    unknown = sorted(set(options) - set(ReadOptions.__annotations__))
    if unknown:
        raise TypeError(f"{called}() got an unexpected keyword argument {unknown[0]!r}")
    policy = check_policy(options.get("errors", "raise"))
    fmt, name, rows, stream, owned, inferred = _open(source, layout, build, options)
    return reader(name, fmt, policy, rows=rows, stream=stream, owns_stream=owned, inferred=inferred)


def read_events(source: Source, **options: Unpack[ReadOptions]) -> EventReader:
    """Stream the events in a JSONL or CSV file (a path, or a text file object).

    The options (keyword-only, all optional): ``format``, ``columns``, ``types``,
    ``errors`` (``"raise"`` or ``"collect"``), ``delimiter``, ``encoding``, ``timezone``
    and ``infer_types``.

    ``format`` is inferred from a path's (or file object's) name when not given:
    ``.jsonl``, ``.ndjson`` or ``.csv``, optionally followed by ``.gz``. ``columns``
    and ``types`` describe a CSV file's columns (see :mod:`leadqual.io.csv`); a
    mapping to an unknown field is refused here, before any row is read. ``delimiter``
    separates a CSV file's cells (``","`` unless given: ``";"``, ``"\\t"``) and
    ``encoding`` is the file's text encoding (UTF-8 unless given, a leading byte-order mark
    dropped; ``"latin-1"``, ``"cp1252"``). ``timezone`` (a ``tzinfo`` or a name such as
    ``"Europe/Paris"``) is where times written without a UTC offset were taken: without
    it such a time is a row error, never a guess; a wall time the clocks skip or repeat
    is a row error too. ``infer_types=True`` reads a CSV file (a path) twice: first to
    find the columns that hold only numbers or only true/false (see
    :func:`leadqual.io.csv.infer_types`; ``types`` still decides for the columns it names),
    then to read them typed; the reader's ``inferred`` says what it found.
    """
    return _read(EventReader, source, EVENT_LAYOUT, EventDecoder(), options, called="read_events")


def read_leads(source: Source, **options: Unpack[ReadOptions]) -> LeadReader:
    """Stream the leads in a JSONL or CSV file; options as for :func:`read_events`."""
    return _read(LeadReader, source, LEAD_LAYOUT, Lead.from_dict, options, called="read_leads")


def read_outcomes(source: Source, **options: Unpack[ReadOptions]) -> OutcomeReader:
    """Stream the outcomes (won / lost deals) in a JSONL or CSV file; options as for
    :func:`read_events`. A CSV file's columns other than ``lead_id``, ``result``, ``at``
    and ``value`` go into each outcome's ``details``."""
    return _read(
        OutcomeReader, source, OUTCOME_LAYOUT, Outcome.from_dict, options, called="read_outcomes"
    )
