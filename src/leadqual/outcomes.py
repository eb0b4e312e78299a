"""Outcomes: how a lead's deal ended, won or lost, for back-testing and calibration.

>>> from datetime import datetime, timezone
>>> o = Outcome("L-1", Result.WON, at=datetime(2026, 12, 1, tzinfo=timezone.utc), value=25_000)
>>> o.won, o.to_dict()["result"]
(True, 'won')
>>> Outcome.from_dict({"lead_id": "L-2", "result": "Lost"})
Outcome(lead_id='L-2', result=<Result.LOST: 'lost'>, at=None, value=None, details=JsonMap({}))
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from leadqual._fields import check_keys, checked, parse_timestamp, require_aware, require_text
from leadqual.errors import ValidationError
from leadqual.jsonvalues import EMPTY_MAP, JsonMap, freeze_mapping, thaw

__all__ = ["Outcome", "Result"]


class Result(enum.Enum):
    """How a deal ended."""

    WON = "won"
    LOST = "lost"

    def __str__(self) -> str:
        return self.value


def _result(value: Any) -> Result:
    if isinstance(value, Result):
        return value
    if isinstance(value, str) and value.strip().lower() in ("won", "lost"):
        return Result(value.strip().lower())
    raise ValidationError("result", value, "expected 'won' or 'lost'")


def _value(value: Any) -> float | None:
    if value is None:
        return None
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValidationError("value", value, "expected a deal amount (a number)") from None
        if number.is_integer():
            number = int(number)
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise ValidationError("value", value, "expected a deal amount (a number)")
    if not math.isfinite(number) or number < 0:
        raise ValidationError("value", value, "expected a finite amount of 0 or more")
    return number


def _details(value: Mapping[str, Any] | None) -> JsonMap:
    return freeze_mapping(value, "details")


@attrs.frozen
class Outcome:
    """How ``lead_id``'s deal ended: ``result`` (:class:`Result`, or ``"won"`` /
    ``"lost"``), when (``at``, timezone-aware; ``None`` when unknown), the deal's
    ``value`` (an amount of 0 or more, optional), and free-form ``details`` (the CRM's
    other columns: reason lost, owner, product...), kept as read-only JSON values."""

    lead_id: str = attrs.field(validator=checked(require_text, "lead_id"))
    result: Result = attrs.field(converter=_result)
    at: datetime | None = attrs.field(
        default=None, validator=checked(require_aware, "at", optional=True)
    )
    value: float | None = attrs.field(default=None, converter=_value)
    details: JsonMap = attrs.field(default=EMPTY_MAP, converter=_details, kw_only=True)

    @property
    def won(self) -> bool:
        """Whether the deal was won."""
        return self.result is Result.WON

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (``at`` as ISO 8601; absent fields left out)."""
        data: dict[str, Any] = {"lead_id": self.lead_id, "result": self.result.value}
        if self.at is not None:
            data["at"] = self.at.isoformat()
        if self.value is not None:
            data["value"] = self.value
        if self.details:
            data["details"] = thaw(self.details)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        """Build an outcome from :meth:`to_dict` output (or a CSV row of it)."""
        check_keys("", data, ("lead_id", "result"), ("at", "value", "details"))
        at = data.get("at")
        return cls(
            data["lead_id"],
            data["result"],
            at=None if at is None else parse_timestamp("at", at),
            value=data.get("value"),
            details=data.get("details"),
        )
