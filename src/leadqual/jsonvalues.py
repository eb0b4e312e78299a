"""Read-only JSON values shared by events and leads.

Event properties and lead attributes are JSON data: ``None``, booleans, numbers,
strings, lists and string-keyed mappings, nested as deep as needed. leadqual copies
what it is given into read-only forms (mappings become :class:`JsonMap`, lists become
tuples), so a caller who mutates their own dict afterwards changes nothing inside
leadqual, and events and leads stay hashable.

>>> from leadqual.jsonvalues import freeze, thaw
>>> frozen = freeze({"utm": {"source": "linkedin"}, "tags": ["a", "b"]}, "properties")
>>> frozen["utm"]["source"]
'linkedin'
>>> frozen["tags"]
('a', 'b')
>>> thaw(frozen)
{'utm': {'source': 'linkedin'}, 'tags': ['a', 'b']}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, Union

from leadqual.errors import ValidationError

__all__ = [
    "MISSING",
    "JsonMap",
    "JsonValue",
    "freeze",
    "freeze_mapping",
    "json_equal",
    "lookup",
    "thaw",
]

#: A frozen JSON value: what :func:`freeze` returns.
JsonValue = Union[None, bool, int, float, str, tuple["JsonValue", ...], "JsonMap"]


class _Missing:
    """The marker for "no such field" (distinct from a field holding ``None``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: Returned by :func:`lookup` when a field is absent.
MISSING: Any = _Missing()


class JsonMap(Mapping[str, JsonValue]):
    """An immutable, hashable mapping of strings to frozen JSON values.

    >>> m = JsonMap({"industry": "software", "employees": 400})
    >>> m["employees"], len(m), m == {"industry": "software", "employees": 400}
    (400, 2, True)
    >>> m["industry"] = "retail"
    Traceback (most recent call last):
    ...
    TypeError: 'JsonMap' object does not support item assignment
    """

    __slots__ = ("_data", "_hash")

    _data: dict[str, JsonValue]
    _hash: int | None

    def __init__(self, data: Mapping[str, Any] | None = None, *, _field: str = "value") -> None:
        if data is None:
            self._data = {}
        elif isinstance(data, JsonMap):
            self._data = data._data
        else:
            self._data = _freeze_dict(data, _field)
        self._hash = None

    @classmethod
    def _wrap(cls, data: dict[str, JsonValue]) -> JsonMap:
        obj = cls.__new__(cls)
        obj._data = data
        obj._hash = None
        return obj

    def __getitem__(self, key: str) -> JsonValue:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return json_equal(self, other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"JsonMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsonMap, (thaw(self),))


def json_equal(a: Any, b: Any) -> bool:
    """Equality by JSON kind: ``True`` is not ``1``, though ``1`` is ``1.0``.

    >>> json_equal({"partner": True}, {"partner": 1}), json_equal([1], (1.0,))
    (False, True)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping):
        if not isinstance(b, Mapping) or len(a) != len(b):
            return False
        return all(key in b and json_equal(value, b[key]) for key, value in a.items())
    if isinstance(a, (tuple, list)):
        if not isinstance(b, (tuple, list)) or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(b, (Mapping, tuple, list)):
        return False
    return bool(a == b)


def _freeze_dict(data: Mapping[Any, Any], field: str) -> dict[str, JsonValue]:
    if not isinstance(data, Mapping):
        raise ValidationError(field, data, "expected a mapping of JSON values")
    out: dict[str, JsonValue] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise ValidationError(field, key, "keys must be strings")
        out[key] = freeze(value, f"{field}.{key}")
    return out


def freeze(value: Any, field: str = "value") -> JsonValue:
    """Return a read-only deep copy of a JSON value, or raise :class:`ValidationError`.

    Floats must be finite (JSON has no NaN or infinity); tuples and lists both freeze
    to tuples; anything that is not JSON (a datetime, a set, bytes) is refused with
    the dotted path of where it was found.

    >>> freeze({"when": {1, 2}}, "properties")
    Traceback (most recent call last):
    ...
    leadqual.errors.ValidationError: properties.when: expected a JSON value ...
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, value, "expected a finite number")
        return value
    if isinstance(value, JsonMap):
        return value
    if isinstance(value, Mapping):
        return JsonMap._wrap(_freeze_dict(value, field))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item, f"{field}[{i}]") for i, item in enumerate(value))
    raise ValidationError(
        field,
        value,
        "expected a JSON value (None, bool, number, string, list or mapping)",
    )


def freeze_mapping(data: Mapping[str, Any] | None, field: str) -> JsonMap:
    """Freeze a mapping (``None`` gives an empty one), naming ``field`` in errors."""
    if data is None or (type(data) is dict and not data):
        return EMPTY_MAP
    if isinstance(data, JsonMap):
        return data
    if not isinstance(data, Mapping):
        raise ValidationError(field, data, "expected a mapping of JSON values")
    return JsonMap._wrap(_freeze_dict(data, field))


#: The empty read-only mapping, shared (it cannot change): most events have no properties.
EMPTY_MAP = JsonMap._wrap({})


def thaw(value: Any) -> Any:
    """Turn a frozen JSON value back into plain dicts and lists (a fresh copy)."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [thaw(item) for item in value]
    return value


def lookup(data: Mapping[str, Any], name: str) -> Any:
    """Read ``name`` from ``data``; dots reach into nested mappings.

    A key that itself contains a dot is found first; :data:`MISSING` is returned when
    any step is absent or not a mapping.

    >>> lookup(JsonMap({"utm": {"source": "ads"}}), "utm.source")
    'ads'
    >>> lookup(JsonMap({"utm": {"source": "ads"}}), "utm.medium")
    MISSING
    """
    value = data.get(name, MISSING)
    if value is not MISSING or "." not in name:
        return value
    current: Any = data
    for part in name.split("."):
        if not isinstance(current, Mapping):
            return MISSING
        current = current.get(part, MISSING)
        if current is MISSING:
            return MISSING
    return current
