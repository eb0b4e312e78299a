"""Run the docstring examples of every module of the installed package."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import leadqual

#: modules that need an optional extra: run where it is installed (CI installs every one)
EXTRAS = {"leadqual.batch": "polars"}
MISSING = tuple(
    prefix for prefix, extra in EXTRAS.items() if importlib.util.find_spec(extra) is None
)
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(leadqual.__path__, prefix="leadqual.")
    if not info.name.endswith("__main__") and not info.name.startswith(MISSING)
)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    for test in finder.find(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_every_module_is_collected() -> None:
    assert "leadqual.conditions" in MODULES
    assert "leadqual.scoring.points" in MODULES
