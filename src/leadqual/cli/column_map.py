"""``--columns FILE``: how the columns of a CRM's CSV exports become leads, events and
outcomes, as a small TOML or JSON file (or a bundled preset such as ``hubspot``).

One table per kind of file, each with ``columns`` (column -> field: ``id``, ``email``,
``attributes.title``, ...) and ``types`` (column -> ``integer``, ``number``, ``boolean``,
``text``, ``list`` (items separated by ``;``) or ``date``; ``text`` keeps a column as text
when the other columns are inferred)::

    [leads]
    columns = { "Record ID" = "id", "Email" = "email", "Job Title" = "attributes.title" }
    types = { "Number of Employees" = "integer", "Postal Code" = "text" }

>>> found = column_map("hubspot")
>>> found["leads"]["columns"]["Record ID"], found["leads"]["types"]["Number of Employees"]
('id', <class 'int'>)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date
from typing import Any

from leadqual.errors import ValidationError

__all__ = ["PRESETS", "column_map"]

_TYPES: dict[str, type[object]] = {
    "integer": int,
    "number": float,
    "boolean": bool,
    "text": str,
    "list": list,
    "date": date,
}
_KINDS = ("leads", "events", "outcomes")

#: Column maps for the exports of common CRMs, from their documented default columns.
PRESETS: dict[str, dict[str, Any]] = {
    # HubSpot: Contacts > Export (default properties)
    "hubspot": {
        "leads": {
            "columns": {
                "Record ID": "id",
                "Email": "email",
                "Job Title": "attributes.title",
                "Company Name": "attributes.company",
                "Industry": "attributes.industry",
                "Number of Employees": "attributes.employees",
                "Annual Revenue": "attributes.annual_revenue",
                "Country/Region": "attributes.country",
                "Lifecycle Stage": "attributes.lifecycle_stage",
                "Lead Status": "attributes.lead_status",
            },
            "types": {"Number of Employees": "integer", "Annual Revenue": "number"},
        },
    },
    # Salesforce: Leads report export (standard fields)
    "salesforce": {
        "leads": {
            "columns": {
                "Lead ID": "id",
                "Email": "email",
                "Title": "attributes.title",
                "Company / Account": "attributes.company",
                "Industry": "attributes.industry",
                "No. of Employees": "attributes.employees",
                "Annual Revenue": "attributes.annual_revenue",
                "Lead Source": "attributes.lead_source",
                "Lead Status": "attributes.lead_status",
                "Country": "attributes.country",
            },
            "types": {"No. of Employees": "integer", "Annual Revenue": "number"},
        },
        # Tasks (calls, emails, LinkedIn touches) exported with Data Loader or a Data
        # Export, whose headers are the Task object's API names: WhoId is the lead (or
        # contact), TaskSubtype the kind of activity, CreatedDate its UTC time (ActivityDate
        # is a due date without a time, so it is not used)
        "events": {
            "columns": {
                "Id": "id",
                "WhoId": "lead_id",
                "TaskSubtype": "type",
                "CreatedDate": "at",
                "Subject": "properties.subject",
                "Status": "properties.status",
                "Type": "properties.task_type",
                "CallType": "properties.call_type",
                "CallDurationInSeconds": "properties.call_seconds",
                "CallDisposition": "properties.call_disposition",
            },
            "types": {"CallDurationInSeconds": "integer"},
        },
    },
}


def column_map(source: str) -> dict[str, dict[str, Any]]:
    """The column map in ``source``: a preset's name, or a ``.toml`` / ``.json`` file.
    For each kind, ``columns`` and ``types`` (as Python types) ready for the readers."""
    if source in PRESETS:
        raw: Any = PRESETS[source]
    else:
        if not os.path.isfile(source):
            raise ValidationError(
                "--columns", source, f"no such file, nor a preset ({', '.join(PRESETS)})"
            )
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
        try:
            if source.lower().endswith(".json"):
                raw = json.loads(text)
            else:
                from leadqual.rulesets.toml import loads

                raw = loads(text)
        except ValueError as exc:
            raise ValidationError("--columns", source, f"not valid JSON or TOML ({exc})") from None
    if not isinstance(raw, Mapping):
        raise ValidationError("--columns", source, "expected tables leads, events, outcomes")
    out: dict[str, dict[str, Any]] = {}
    for kind, table in raw.items():
        if kind not in _KINDS:
            raise ValidationError(f"--columns: {kind}", kind, f"expected one of {_KINDS}")
        if not isinstance(table, Mapping) or not set(table) <= {"columns", "types"}:
            raise ValidationError(f"--columns: {kind}", table, "expected columns and types")
        types = {}
        for column, name in dict(table.get("types", {})).items():
            if name not in _TYPES:
                raise ValidationError(
                    f"--columns: {kind}.types.{column}", name, f"expected one of {list(_TYPES)}"
                )
            types[column] = _TYPES[name]
        out[kind] = {"columns": dict(table.get("columns", {})), "types": types}
    return out
