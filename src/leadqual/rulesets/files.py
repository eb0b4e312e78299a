"""Rule-set files: :func:`load` and :func:`dump`, TOML or JSON by extension.

>>> import tempfile, pathlib
>>> import leadqual as lq
>>> rules = lq.default_ruleset()
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "rules.toml"
...     lq.dump(rules, path)
...     lq.load(path) == rules
True
"""

from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

from leadqual._atomic import atomic_path_writer
from leadqual.errors import Problem, RuleSetError
from leadqual.rulesets import toml
from leadqual.rulesets.codec import ruleset_from_dict, ruleset_to_dict
from leadqual.rulesets.ruleset import RuleSet

__all__ = ["default_ruleset", "dump", "dumps", "load", "loads"]

_FORMATS = {".toml": "toml", ".json": "json"}


def _format(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in ("toml", "json"):
            raise RuleSetError([Problem("format", "expected 'toml' or 'json'", format)], str(path))
        return format
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise RuleSetError(
            [
                Problem(
                    "file",
                    "name a .toml or .json file (or, from Python, give format='toml' or 'json')",
                    path.name,
                )
            ],
            str(path),
        )
    return found


def loads(text: str, format: str = "toml", *, source: str | None = None) -> RuleSet:
    """Read a rule set from TOML or JSON text (nothing in it is ever run as code)."""
    try:
        data: Any = toml.loads(text) if format == "toml" else json.loads(text)
    except (toml.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise RuleSetError(
            [Problem("file", f"not valid {format.upper()}: {exc}")], source
        ) from None
    return ruleset_from_dict(data, source)


def load(path: str | os.PathLike[str], *, format: str | None = None) -> RuleSet:
    """Read the rule set in ``path`` (``.toml`` or ``.json``).

    Every problem is reported at once in a :class:`~leadqual.errors.RuleSetError`, each
    with its path in the file (``scoring.engagement[3].points: expected a number``).
    """
    where = Path(path)
    kind = _format(where, format)
    try:
        text = where.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleSetError([Problem("file", "is not UTF-8 text")], str(where)) from None
    except OSError as exc:
        raise RuleSetError(
            [Problem("file", f"cannot be read ({exc.strerror})")], str(where)
        ) from None
    return loads(text, kind, source=str(where))


def dumps(ruleset: RuleSet, format: str = "toml") -> str:
    """The text of ``ruleset`` as TOML or JSON."""
    data = ruleset_to_dict(ruleset)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return toml.dumps(data)


def dump(ruleset: RuleSet, path: str | os.PathLike[str], *, format: str | None = None) -> None:
    """Write ``ruleset`` to ``path`` atomically (a temporary file, then a rename), so a
    crash never leaves a half-written rule file."""
    where = Path(path)
    text = dumps(ruleset, _format(where, format))
    with atomic_path_writer(where, newline="\n") as out:
        out.write(text)


def default_ruleset() -> RuleSet:
    """The bundled rule set: common B2B practice (see ``leadqual/data/default_rules.toml``;
    where TOML cannot be read, Python 3.10 without the ``toml`` extra, its JSON copy)."""
    name = "default_rules.toml" if toml.CAN_READ else "default_rules.json"
    text = (files("leadqual") / "data" / name).read_text(encoding="utf-8")
    return loads(text, "toml" if toml.CAN_READ else "json", source=name)
