"""One field value as text that keeps its JSON kind, and back.

A column of a table holds one type, but an event property may hold a number in one
event and a string in the next (``5`` is not ``"5"`` to a condition). The batch backend
therefore carries each property a rule reads as one text column whose first letter is
the kind: ``z`` absent or null (no condition tells them apart), ``b1``/``b0``, ``n``
and the number, ``s`` and the string, ``w`` and ``{"v": ...}`` for a list or a
mapping. Conditions are then tested in Python on the distinct values of that column
(the same code as the engine's, so the same answers) and the rows matched by lookup.

>>> [encode(v) for v in (None, True, 5, 2.5, "5", ("a", 1))]
['z', 'b1', 'n5', 'n2.5', 's5', 'w{"v": ["a", 1]}']
>>> [decode(encode(v)) for v in (None, False, 5, 2.5, "5")]
[None, False, 5, 2.5, '5']
>>> decode('w{"v": ["a", 1]}')
('a', 1)
"""

from __future__ import annotations

import json
import math
from typing import Any

from leadqual.errors import ValidationError
from leadqual.jsonvalues import MISSING, JsonMap, freeze, thaw

__all__ = ["ABSENT", "decode", "encode", "value_of"]

#: The text of an absent field or a JSON null.
ABSENT = "z"


def encode(value: Any) -> str:
    """The kind-keeping text of a frozen JSON value (:data:`MISSING` included)."""
    if value is None or value is MISSING:
        return ABSENT
    if value is True:
        return "b1"
    if value is False:
        return "b0"
    if isinstance(value, int):
        return f"n{value}"
    if isinstance(value, float):
        return f"n{value!r}"
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, (tuple, list, JsonMap, dict)):
        return "w" + json.dumps({"v": thaw(value)}, ensure_ascii=False)
    raise ValidationError("value", value, "expected a JSON value")


def decode(text: str) -> Any:
    """The value :func:`encode` wrote (a list as a tuple, a mapping as a ``JsonMap``)."""
    tag, rest = text[:1], text[1:]
    if tag == "s":
        return rest
    if tag == "n":
        try:
            return int(rest)
        except ValueError:
            number = float(rest)
        if not math.isfinite(number):
            raise ValidationError("value", rest, "expected a finite number")
        return number
    if tag == "b":
        return rest == "1"
    if tag == "w":
        return freeze(json.loads(rest)["v"])
    return None


def value_of(text: str) -> Any:
    """The value :func:`encode` wrote, as a condition reads it: :data:`MISSING` for an
    absent field or a null (no condition tells them apart)."""
    value = decode(text)
    return MISSING if value is None else value
