"""Names that moved: the old place keeps working, with a warning naming the new one.

>>> import warnings
>>> __getattr__ = moved("leadqual.example", {"Old": "leadqual.errors.LeadqualError"})
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     cls = __getattr__("Old")
>>> cls.__name__, str(caught[0].message)
('LeadqualError', 'leadqual.example.Old has moved: import it from leadqual.errors as LeadqualError')
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved"]


def moved(module: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``names`` (old name -> ``"new.module.Name"``)."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        where, _, attribute = target.rpartition(".")
        if sys._getframe(1).f_code.co_name == "_handle_fromlist":
            # ``from package import name`` asks twice (hasattr, then getattr): warn once
            return getattr(importlib.import_module(where), attribute)
        warnings.warn(
            f"{module}.{name} has moved: import it from {where} as {attribute}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(where), attribute)

    return __getattr__
