"""The JSON Schema (draft 2020-12) of rule files, shipped in the package as ``schema.json``.

Point an editor at it to check a rule file while you type (``leadqual schema`` prints it);
loading a file with :func:`leadqual.load` checks the same rules and more (cross-references
such as a transition naming a stage that does not exist), reporting every problem at once.

>>> schema()["$schema"]
'https://json-schema.org/draft/2020-12/schema'
>>> sorted(schema()["required"])
['name', 'scoring', 'stages', 'version']
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

__all__ = ["schema", "schema_text"]


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The text of ``schema.json``, as shipped."""
    return (files("leadqual.rulesets") / "schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema of rule files, as a fresh dict (change it freely)."""
    data: dict[str, Any] = json.loads(schema_text())
    return data
