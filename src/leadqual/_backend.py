"""Which backend runs a rule set: the Python engine, or the Polars batch backend."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any, Literal

from leadqual.errors import MissingExtra, NotLowerable, ValidationError

__all__ = ["Backend", "resolve"]

#: ``"python"`` (the engine), ``"polars"`` (``leadqual.batch``), or ``"auto"``: polars
#: when installed and the rule set runs on it, else python.
Backend = Literal["auto", "python", "polars"]


def resolve(
    backend: Any, ruleset: Any, say: Callable[[str], None] | None = None
) -> Literal["python", "polars"]:
    """``"python"`` or ``"polars"`` for ``backend``; ``"polars"`` asked for but not
    possible raises :class:`MissingExtra` or :class:`NotLowerable`; with ``"auto"``,
    ``say`` is told why it falls back to the engine (a rule set that does not lower)."""
    if backend not in ("auto", "python", "polars"):
        raise ValidationError("backend", backend, "expected 'auto', 'python' or 'polars'")
    if backend == "python":
        return "python"
    if importlib.util.find_spec("polars") is None:
        if backend == "polars":
            raise MissingExtra("the polars backend needs Polars: pip install 'leadqual[polars]'")
        return "python"  # nothing to say: the engine is what runs without the extra
    from leadqual.batch import lowerable

    reasons = lowerable(ruleset)
    if not reasons:
        return "polars"
    if backend == "polars":
        raise NotLowerable(reasons)
    if say is not None:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        say(f"running on the Python engine: {reasons[0]}{more}")
    return "python"
