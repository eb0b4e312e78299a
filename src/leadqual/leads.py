"""Leads: who the prospect is.

>>> from leadqual import Lead
>>> lead = Lead("L-1", email="ana@acme.com", attributes={"title": "VP Marketing"})
>>> bigger = lead.with_attributes(employees=400)
>>> dict(bigger.attributes)
{'title': 'VP Marketing', 'employees': 400}
>>> dict(lead.attributes)
{'title': 'VP Marketing'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from leadqual._fields import check_keys, checked, require_text
from leadqual.errors import ValidationError
from leadqual.jsonvalues import EMPTY_MAP, JsonMap, freeze, freeze_mapping, thaw

__all__ = ["Lead"]

#: Names a condition reads from the lead itself rather than from ``attributes``.
RESERVED_ATTRIBUTES = ("id", "email")


def _require_email(field: str, value: Any) -> None:
    require_text(field, value)
    if "@" not in value:
        raise ValidationError(field, value, "expected an email address (no '@' found)")


_email = checked(_require_email, "email", optional=True)


def _attributes(value: Mapping[str, Any] | None) -> JsonMap:
    frozen = freeze_mapping(value, "attributes")
    for name in RESERVED_ATTRIBUTES:
        if name in frozen:
            raise ValidationError(
                f"attributes.{name}",
                frozen[name],
                f"'{name}' is a field of the lead itself; pass it as Lead({name}=...)",
            )
    return frozen


@attrs.frozen
class Lead:
    """A prospect's profile.

    ``id`` is a non-empty string, ``email`` an optional address, and ``attributes``
    a read-only mapping of JSON values: ``title``, ``industry``, ``employees``,
    ``country``, ``budget`` and whatever else the host app knows. Conditions read
    ``Attr("email")`` and ``Attr("id")`` from the fields themselves, so those two
    names are not allowed inside ``attributes``.
    """

    id: str = attrs.field(validator=checked(require_text, "id"))
    email: str | None = attrs.field(default=None, validator=_email)
    attributes: JsonMap = attrs.field(default=EMPTY_MAP, converter=_attributes)

    def with_attributes(self, **changes: Any) -> Lead:
        """Return a new lead with ``changes`` merged into its attributes.

        The original lead is unchanged. A value of ``None`` is stored as ``None``
        (JSON null); use :meth:`without_attributes` to remove a name.
        """
        merged = dict(self.attributes)
        for name, value in changes.items():
            merged[name] = freeze(value, f"attributes.{name}")
        return Lead(self.id, email=self.email, attributes=merged)

    def without_attributes(self, *names: str) -> Lead:
        """Return a new lead without the named attributes (absent names are an error)."""
        merged = dict(self.attributes)
        for name in names:
            if name not in merged:
                raise ValidationError(f"attributes.{name}", name, "no such attribute to remove")
            del merged[name]
        return Lead(self.id, email=self.email, attributes=merged)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        data: dict[str, Any] = {"id": self.id}
        if self.email is not None:
            data["email"] = self.email
        data["attributes"] = thaw(self.attributes)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lead:
        """Build a lead from :meth:`to_dict` output (unknown keys are refused)."""
        check_keys("", data, ("id",), ("email", "attributes"))
        return cls(data["id"], email=data.get("email"), attributes=data.get("attributes"))
