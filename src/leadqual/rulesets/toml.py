"""Reading and writing the TOML of rule files, with no third-party writer.

Reading uses :mod:`tomllib` (on Python 3.10, ``tomli`` from the ``toml`` extra). Writing
covers exactly the plain data of rule sets: tables, arrays of tables, inline tables, arrays,
strings, numbers and booleans (rule sets hold no dates and no ``None``).

>>> print(dumps({"name": "demo", "scoring": {"fit": [{"name": "big", "points": 10,
...     "condition": {"attr": "employees", "op": "gte", "value": 50}}]}}))
name = "demo"
<BLANKLINE>
[scoring]
<BLANKLINE>
[[scoring.fit]]
name = "big"
points = 10
condition = { attr = "employees", op = "gte", value = 50 }
<BLANKLINE>
>>> loads(dumps({"a": [1, 2.5, "x"], "t": {"b": True}})) == {"a": [1, 2.5, "x"], "t": {"b": True}}
True
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

from leadqual.errors import MissingExtra

_reader: Any
if sys.version_info >= (3, 11):
    import tomllib as _reader
else:  # pragma: no cover - exercised on Python 3.10 only
    try:
        import tomli as _reader  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        _reader = None

__all__ = ["CAN_READ", "TOMLDecodeError", "dumps", "loads"]

#: Whether TOML can be read here: always from Python 3.11 (``tomllib``); on 3.10 with
#: the ``toml`` extra (``tomli``).
CAN_READ = _reader is not None


class _NoReaderError(ValueError):
    """Stands for the reader's error class where there is no reader (never raised)."""


TOMLDecodeError: type[ValueError] = _reader.TOMLDecodeError if CAN_READ else _NoReaderError
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def loads(text: str) -> dict[str, Any]:
    """Parse TOML text (:class:`~leadqual.errors.MissingExtra` on Python 3.10 without the
    ``toml`` extra)."""
    if _reader is None:  # pragma: no cover - Python 3.10 without tomli
        raise MissingExtra(
            "reading TOML on Python 3.10 needs tomli: pip install 'leadqual[toml]' "
            "(or use a .json rule file)"
        )
    data: dict[str, Any] = _reader.loads(text)
    return data


def _string(text: str) -> str:
    # JSON escapes are TOML escapes, except that TOML also forbids a raw DEL
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML rule files hold finite numbers only, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise ValueError(f"TOML rule files cannot hold {type(value).__name__} values: {value!r}")


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _needs_header(value: Any) -> bool:
    """Whether a mapping is written as its own [table] rather than inline."""
    return isinstance(value, Mapping) and any(
        isinstance(v, Mapping) or _is_table_list(v) for v in value.values()
    )


def _emit(lines: list[str], prefix: str, table: Mapping[str, Any]) -> None:
    later: list[tuple[str, Any]] = []
    for key, value in table.items():
        if _needs_header(value) or _is_table_list(value):
            later.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in later:
        path = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if _is_table_list(value):
            for item in value:
                lines.append("")
                lines.append(f"[[{path}]]")
                for k, v in item.items():
                    lines.append(f"{_key(k)} = {_value(v)}")
        else:
            lines.append("")
            lines.append(f"[{path}]")
            _emit(lines, path, value)


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for a mapping of plain data."""
    lines: list[str] = []
    _emit(lines, "", data)
    return "\n".join(lines) + "\n"
