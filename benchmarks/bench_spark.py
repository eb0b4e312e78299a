"""leadqual.spark.score on a local Spark against leadqual.batch.score (Polars), same Parquet.

The events are bench_batch's (the default model's event mix over a year, properties as a
struct), written once as Parquet (not timed). Spark runs as ``local[2]``; its first job is
timed apart, and ``spark.score`` runs ``--repeat`` times (the JVM compiles its code in the
first runs), the last one counting; the scores are written to a ``noop`` sink, so all
of them are computed and none travels to the driver. The two backends' totals are compared
on every lead.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import leadqual as lq
from leadqual import batch

sys.path.insert(0, str(Path(__file__).parent))
from bench_batch import SPAN_DAYS, START, events, leads

GOAL_RATIO = 5.0
QUALIFY_GOAL = 300_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory", default="3g", help="the driver's memory (local mode)")
    parser.add_argument("--qualify", action="store_true", help="also spark.qualify")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of spark.score; the last counts"
    )
    parser.add_argument(
        "--chunk-rows", type=int, help="rows a worker gathers for Polars (spark.qualify)"
    )
    args = parser.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    from leadqual import spark as lqspark
    from leadqual.spark import _qualify

    if args.chunk_rows:
        _qualify.CHUNK_ROWS = args.chunk_rows

    model = lq.default_model()
    everyone = leads(args.leads)
    as_of = START + timedelta(days=SPAN_DAYS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        events(args.leads, args.events, args.seed).write_parquet(path)
        t0 = time.perf_counter()
        polars_scores = batch.score(model, everyone, path, as_of=as_of)
        polars_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        session = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", args.memory)
            .config("spark.sql.shuffle.partitions", "8")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        frame = session.read.parquet(str(path))
        warm = frame.count()  # the first job: the session's start and a scan
        first = time.perf_counter() - t0
        print(f"{args.leads:,} leads, {args.events:,} events (default model), local[2]")
        print(f"  Spark session start and a first job ({warm:,} rows): {first:.2f} s")
        runs = []
        for _ in range(args.repeat):  # the first run warms the JVM's compiled code
            t0 = time.perf_counter()
            scores = lqspark.score(model, everyone, frame, as_of=as_of)
            plan_seconds = time.perf_counter() - t0  # the eager jobs: ids, distinct values
            t0 = time.perf_counter()
            scores.write.format("noop").mode("overwrite").save()
            runs.append((plan_seconds, time.perf_counter() - t0))
        for i, (plan, sql) in enumerate(runs[:-1]):
            print(f"  spark.score run {i + 1} (warming): {plan + sql:.2f} s")
        plan_seconds, sql_seconds = runs[-1]
        spark_seconds = plan_seconds + sql_seconds
        t0 = time.perf_counter()  # the same, the ids vouched for: no id check
        trusted = lqspark.score(model, everyone, frame, as_of=as_of, unique_ids=True)
        trusted_plan = time.perf_counter() - t0
        t0 = time.perf_counter()
        trusted.write.format("noop").mode("overwrite").save()
        trusted_seconds = trusted_plan + time.perf_counter() - t0
        got = {r["lead_id"]: r["total"] for r in scores.select("lead_id", "total").collect()}
        if args.qualify:
            ruleset = lq.default_ruleset()
            t0 = time.perf_counter()
            done = batch.qualify(ruleset, everyone, path, as_of=as_of)
            polars_qualify = time.perf_counter() - t0
            polars_counts = dict(done.leads.group_by("stage").len().iter_rows())
            print(
                f"  batch.qualify (Polars) {polars_qualify:7.2f} s = "
                f"{args.events / polars_qualify:>12,.0f} events/s  stages {polars_counts}"
            )
            for run in (1, 2):
                t0 = time.perf_counter()
                stages = lqspark.qualify(ruleset, everyone, frame, as_of=as_of)
                counts = dict(stages.groupBy("stage").count().collect())
                seconds = time.perf_counter() - t0
                rate = args.events / seconds
                met = "MET" if rate >= QUALIFY_GOAL else "not met"
                print(
                    f"  spark.qualify run {run}     {seconds:7.2f} s = {rate:>12,.0f} events/s  "
                    f"goal >= {QUALIFY_GOAL:,}: {met}  "
                    f"({seconds / polars_qualify:.1f}x Polars)  stages {counts}"
                )
            if counts != polars_counts:
                raise SystemExit("the Spark stages differ from the Polars stages")
        session.stop()
    want = dict(zip(polars_scores["lead_id"], polars_scores["total"], strict=True))
    worst = max(abs(got[k] - v) for k, v in want.items())
    polars_rate = args.events / polars_seconds
    spark_rate = args.events / spark_seconds
    ratio = spark_seconds / polars_seconds
    print(f"  batch.score (Polars)   {polars_seconds:7.2f} s = {polars_rate:>12,.0f} events/s")
    print(
        f"  spark.score            {spark_seconds:7.2f} s = {spark_rate:>12,.0f} events/s "
        f"(checks and distinct values {plan_seconds:.2f} s, the scores' SQL {sql_seconds:.2f} s)"
    )
    met = "MET" if ratio <= GOAL_RATIO else "not met"
    print(f"  Spark / Polars: {ratio:.1f}x slower  goal <= {GOAL_RATIO:g}x: {met}")
    trusted_ratio = trusted_seconds / polars_seconds
    met = "MET" if trusted_ratio <= GOAL_RATIO else "not met"
    print(
        f"  spark.score(unique_ids=True) {trusted_seconds:7.2f} s = "
        f"{args.events / trusted_seconds:>12,.0f} events/s (checks {trusted_plan:.2f} s): "
        f"{trusted_ratio:.1f}x Polars  goal <= {GOAL_RATIO:g}x: {met}"
    )
    print(f"  largest difference in totals: {worst:.1e}")
    if not math.isclose(worst, 0, abs_tol=1e-9) or got.keys() != want.keys():
        raise SystemExit("the Spark scores differ from the Polars scores")


if __name__ == "__main__":
    main()
