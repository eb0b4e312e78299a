"""Where data comes from and goes to: paths, open text files, gzip, formats, atomic writes.

A *source* (for reading) or *target* (for writing) is either a path (``str`` or
:class:`os.PathLike`) or a file object already open in text mode. leadqual opens and
closes the files it is given by path, and never closes a file object it was handed.
A path ending in ``.gz`` is read and written through gzip.

>>> infer_format("events.jsonl"), infer_format("leads.csv.gz"), infer_format("x.ndjson")
('jsonl', 'csv', 'jsonl')
>>> infer_format("events.txt")
Traceback (most recent call last):
...
leadqual.errors.ValidationError: format: cannot tell the format from the file name ...
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import os
from collections.abc import Iterator
from typing import IO

from leadqual._atomic import atomic_path_writer
from leadqual.errors import ValidationError
from leadqual.typing import Format, Source, Target

__all__ = [
    "FORMATS",
    "Format",
    "Source",
    "Target",
    "atomic_writer",
    "infer_format",
    "open_source",
    "resolve_format",
    "source_name",
]

#: The file formats leadqual reads and writes.
FORMATS: tuple[Format, ...] = ("jsonl", "csv")

#: Something to read from: a path, or a file object open in text mode.
#: Something to write to: a path, or a file object open in text mode.

_SUFFIXES: dict[str, Format] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
#: The name used in error messages for a file object that has no name.
STREAM_NAME = "<stream>"


def is_path(source: object) -> bool:
    """Whether ``source`` is a path (as opposed to a file object)."""
    return isinstance(source, (str, os.PathLike))


def _fspath(source: str | os.PathLike[str]) -> str:
    path = os.fspath(source)
    if not isinstance(path, str):
        raise ValidationError("source", source, "expected a text path (str), not bytes")
    return path


def source_name(source: object) -> str:
    """The name errors use for ``source``: the path as given, or the file object's name."""
    if isinstance(source, (str, os.PathLike)):
        return str(os.fspath(source))
    name = getattr(source, "name", None)
    return name if isinstance(name, str) and name else STREAM_NAME


def _is_gzip(path: str) -> bool:
    return path.lower().endswith(".gz")


def infer_format(name: str) -> Format:
    """The format a file name implies: ``.jsonl``/``.ndjson`` or ``.csv``, maybe ``.gz`` too."""
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[:-3]
    for suffix, fmt in _SUFFIXES.items():
        if lowered.endswith(suffix):
            return fmt
    raise ValidationError(
        "format",
        name,
        "cannot tell the format from the file name (known: .jsonl, .ndjson, .csv, "
        "each optionally .gz); rename the file, or from Python give format='jsonl' or 'csv'",
    )


def resolve_format(source: object, format: str | None) -> Format:
    """The format to use: ``format`` when given (checked), else inferred from the name."""
    if format is not None:
        if format not in FORMATS:
            raise ValidationError("format", format, "expected 'jsonl' or 'csv'")
        return format
    name = source_name(source)
    if name == STREAM_NAME:
        raise ValidationError(
            "format",
            source,
            "cannot tell the format of a file object without a name; "
            "give format='jsonl' or format='csv'",
        )
    return infer_format(name)


def _check_text_file(stream: object, field: str) -> None:
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        raise ValidationError(
            field, stream, "expected a file opened in text mode (open(path, encoding='utf-8'))"
        )


def check_encoding(encoding: str) -> str:
    """The codec name Python knows ``encoding`` by (UTF-8 drops a leading byte-order mark,
    as spreadsheet programs write one), else :class:`~leadqual.errors.ValidationError`."""
    if not isinstance(encoding, str):
        raise ValidationError("encoding", encoding, "expected the name of an encoding")
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValidationError(
            "encoding", encoding, "no such encoding (utf-8, latin-1, cp1252, ...)"
        ) from None
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def open_source(
    source: Source, *, newline: str | None, encoding: str = "utf-8"
) -> tuple[IO[str], bool]:
    """Return a text stream over ``source`` and whether the caller owns (must close) it.

    Paths are opened in ``encoding`` (UTF-8 by default; a leading byte-order mark is
    dropped) and decompressed when they end in ``.gz``. A file object is returned as it
    is.
    """
    codec = check_encoding(encoding)
    if not is_path(source):
        _check_text_file(source, "source")
        return source, False  # type: ignore[return-value]
    path = _fspath(source)  # type: ignore[arg-type]
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=codec, newline=newline), True
    return open(path, encoding=codec, newline=newline), True


@contextlib.contextmanager
def atomic_writer(target: Target, *, newline: str) -> Iterator[IO[str]]:
    """Yield a text stream that writes to ``target``; for a path, all or nothing.

    A path is written to a temporary file in the same directory, which replaces
    ``target`` (:func:`os.replace`) only once everything is written and synced to disk.
    If anything fails on the way, the temporary file is removed and ``target`` is left
    as it was, so a crash never leaves half a file. A file object is written to
    directly and left open (it is flushed at the end).
    """
    if not is_path(target):
        _check_text_file(target, "target")
        stream: IO[str] = target  # type: ignore[assignment]
        yield stream
        stream.flush()
        return
    with atomic_path_writer(_fspath(target), newline=newline) as stream:  # type: ignore[arg-type]
        yield stream
