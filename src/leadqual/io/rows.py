"""What reading one row can give: a value, a :class:`RowError`, or a reason to pass it over.

The format modules (:mod:`leadqual.io.jsonl`, :mod:`leadqual.io.csv`,
:mod:`leadqual.io.segment`) turn lines into a stream of these outcomes; a reader
(:class:`leadqual.io.reader.Reader`) decides what to do with each one. Keeping a bad
row as a value rather than raising it lets the stream go on after it.

>>> from leadqual.errors import ValidationError
>>> err = row_error("events.jsonl", 3, ValidationError("at", None, "is required"))
>>> print(err)
events.jsonl:3: at: is required, got None
"""

from __future__ import annotations

from typing import TypeVar, Union

import attrs

from leadqual.errors import RowError, ValidationError

__all__ = ["BLANK_LINE", "Ignored", "RowResult", "row_error"]

_T = TypeVar("_T")


@attrs.frozen
class Ignored:
    """A row passed over by design (a blank line, a Segment ``identify`` message).

    Readers count these by ``reason`` in ``reader.ignored``, so nothing is skipped
    without a trace.
    """

    reason: str


#: The outcome of one blank line.
BLANK_LINE = Ignored("blank line")

#: What a format module yields for each row.
RowResult = Union[_T, RowError, Ignored]  # noqa: UP007 - a generic alias mypy understands


def row_error(source: str, line: int, error: ValidationError) -> RowError:
    """Place a :class:`ValidationError` at ``source:line``."""
    return RowError(source, line, error.field, error.value, error.problem)
