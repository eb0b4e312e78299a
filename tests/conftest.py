"""Shared test set-up: hypothesis profiles for a small, noisy machine."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# ci: what CI and the README's test command run: no deadline (the machines are small and
# noisy), failing examples printed as reproducible blobs, modest example counts.
settings.register_profile(
    "ci",
    deadline=None,
    print_blob=True,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
# thorough: for a developer hunting a bug: HYPOTHESIS_PROFILE=thorough pytest
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# With LEADQUAL_ALL_EXTRAS=1 (as .ci/run sets it) every optional extra must be installed:
# a test that would skip for want of one fails the run here instead.
if os.environ.get("LEADQUAL_ALL_EXTRAS") == "1":
    import matplotlib  # noqa: F401
    import polars  # noqa: F401
    import sklearn  # noqa: F401

# pytester runs pytest inside a test: how the leadqual pytest plugin is tested
pytest_plugins = ["pytester"]
