"""Shared test set-up: hypothesis profiles for a small, noisy machine."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
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

# The tests of the batch backend need Polars; the core's tests run without it. Without the
# extra those modules are not collected (none is skipped); with LEADQUAL_ALL_EXTRAS=1, as
# .ci/run sets it, every extra must be installed and a missing one fails the run here.
NEEDS_POLARS = [
    "test_batch_inputs.py",
    "test_batch_instants.py",
    "test_batch_integration.py",
    "test_batch_qualify.py",
    "test_batch_score.py",
    "test_cli_backend.py",
]
# The tests on Spark need PySpark (and Java); likewise.
NEEDS_SPARK = ["test_spark_qualify.py", "test_spark_score.py"]
# Spark Connect needs PySpark's gRPC client too (the connect extra).
NEEDS_CONNECT = ["test_spark_connect.py"]
# Calibration fits with scikit-learn (the analytics extra).
NEEDS_SKLEARN = ["test_calibrate.py", "test_calibrate_boosted.py", "test_tutorial_hubspot.py"]
collect_ignore: list[str] = []
if os.environ.get("LEADQUAL_ALL_EXTRAS") == "1":
    import grpc  # noqa: F401
    import matplotlib  # noqa: F401
    import polars  # noqa: F401
    import pyspark  # noqa: F401
    import sklearn  # noqa: F401
else:
    if importlib.util.find_spec("polars") is None:
        collect_ignore += NEEDS_POLARS
    if importlib.util.find_spec("pyspark") is None:
        collect_ignore += NEEDS_SPARK + NEEDS_CONNECT
    elif importlib.util.find_spec("grpc") is None:
        collect_ignore += NEEDS_CONNECT
    if importlib.util.find_spec("sklearn") is None:
        collect_ignore += NEEDS_SKLEARN


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark (two cores) for the whole run, stopped at its end. Its Python
    workers run this interpreter (PYSPARK_PYTHON must be set before the session starts:
    the builder's option is ignored)."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadqual-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# pytester runs pytest inside a test: how the leadqual pytest plugin is tested
pytest_plugins = ["pytester"]
