"""Rule sets over a Spark cluster's events, equal to the Python engine.

``pip install 'leadqual[spark]'``. :func:`score` builds a Spark DataFrame of every lead's
score from Spark SQL column expressions: the events' arithmetic (types, windows, caps,
decay) runs in the JVM, without a Python worker; what reads a lead (fit rules) and each
distinct value a ``where`` condition compares runs in Python with the engine's own code,
as in the Polars backend (:mod:`leadqual.batch`), so the two backends lower a rule set
alike and :func:`lowerable` is the same list of reasons.

A sketch (the test suite runs it on a local Spark)::

    from leadqual import spark as lqspark
    scores = lqspark.score(ruleset, leads, spark_session.read.parquet("events/"),
                           as_of=datetime(2026, 12, 1, tzinfo=timezone.utc))
    scores.write.parquet("scores/")
"""

from __future__ import annotations

try:
    import pyspark as _pyspark  # noqa: F401 (fails early, with the way to install it)
except ImportError:  # pragma: no cover - exercised without the extra
    from leadqual.errors import MissingExtra

    raise MissingExtra("leadqual.spark needs PySpark: pip install 'leadqual[spark]'") from None

from leadqual._lowering import lowerable
from leadqual.spark._qualify import qualify
from leadqual.spark._score import score

__all__ = ["lowerable", "qualify", "score"]
