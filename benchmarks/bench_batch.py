"""Batch backend benchmark: ``leadqual.batch.score`` from Parquet against ``PointsModel.score``.

Generates (seeded, vectorized, not timed) leads and events with the bundled default model's
event mix, writes the events to Parquet in each order of input (in order, newest first,
shuffled), then times in one process:

1. ``batch.score`` of every lead from the Parquet file (reading included);
2. ``PointsModel.score`` per lead, on the events of a sample of leads (``--python-leads``),
   already built as ``Event`` objects (so the Python side is not charged for reading);

and prints events per second for both and their ratio; the scores of the sampled leads are
compared (they must agree within 1e-9). ``--memory`` runs the batch side again in a fresh
process and prints its peak resident memory. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from bench_engine import (
    EVENT_MIX,
    INDUSTRIES,
    SPAN_DAYS,
    START,
    TITLES,
)

import leadqual as lq
from leadqual import batch

GOAL_RATIO = 10.0
URLS = ["/pricing", "/blog/x", "/docs"]
ORDERS = ("in-order", "newest-first", "shuffled", "same-instant")


def leads(n: int) -> list[lq.Lead]:
    import random

    rng = random.Random(7)
    return [
        lq.Lead(
            f"L-{i:06d}",
            attributes={
                "title": rng.choice(TITLES),
                "industry": rng.choice(INDUSTRIES),
                "employees": int(rng.lognormvariate(5, 1.5)),
            },
        )
        for i in range(n)
    ]


def events(n_leads: int, n_events: int, seed: int) -> pl.DataFrame:
    """``n_events`` events in time order over SPAN_DAYS, leads and types drawn by hash."""
    types = pl.Series([t for t, w in EVENT_MIX for _ in range(w)])
    step_us = SPAN_DAYS * 86_400_000_000 // n_events
    start_us = int(START.timestamp() * 1_000_000)
    j = pl.int_range(n_events, dtype=pl.Int64)
    frame = pl.select(
        lead_id=pl.lit("L-") + (j.hash(seed) % n_leads).cast(pl.String).str.zfill(6),
        type=pl.lit(types).gather(j.hash(seed + 1) % len(types)),
        at=(start_us + j * step_us).cast(pl.Datetime("us", "UTC")),
        id=pl.lit("e") + j.cast(pl.String),
        url=pl.lit(pl.Series(URLS)).gather(j.hash(seed + 2) % len(URLS)),
    )
    props = pl.when(pl.col("type") == "page_view").then(pl.struct(url=pl.col("url")))
    return frame.with_columns(properties=props).drop("url")


def ordered(frame: pl.DataFrame, order: str, seed: int) -> pl.DataFrame:
    """The events in ``order``; ``same-instant``: in time order, five events of one lead at
    each instant (as bench_engine writes them)."""
    if order == "same-instant":
        burst = pl.int_range(pl.len()) // 5
        return frame.with_columns(
            pl.col("lead_id").first().over(burst), pl.col("at").first().over(burst)
        )
    if order == "newest-first":
        return frame.reverse()
    if order == "shuffled":
        return frame.sample(fraction=1.0, shuffle=True, seed=seed)
    return frame


def events_of(
    sample: list[lq.Lead], frame: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, list[lq.Event]]]:
    """The rows of the sampled leads, and their events as ``Event`` objects (not timed)."""
    ids = pl.Series([lead.id for lead in sample])
    rows = frame.filter(pl.col("lead_id").is_in(ids.implode()))
    by_lead: dict[str, list[lq.Event]] = {lead.id: [] for lead in sample}
    for lead_id, kind, at, event_id, props in rows.iter_rows():
        by_lead[lead_id].append(lq.Event(lead_id, kind, at=at, properties=props or {}, id=event_id))
    return rows, by_lead


def python_side(
    model: lq.PointsModel, sample: list[lq.Lead], frame: pl.DataFrame, as_of: datetime
) -> tuple[float, int, dict[str, float]]:
    """Seconds, events and totals of ``PointsModel.score`` for the sampled leads."""
    rows, by_lead = events_of(sample, frame)
    t0 = time.perf_counter()
    totals = {lead.id: model.score(lead, by_lead[lead.id], as_of=as_of).total for lead in sample}
    return time.perf_counter() - t0, rows.height, totals


def run(n_leads: int, n_events: int, python_leads: int, seed: int, orders: list[str]) -> None:
    model = lq.default_model()
    everyone = leads(n_leads)
    as_of = START + timedelta(days=SPAN_DAYS)
    base = events(n_leads, n_events, seed)
    sample = everyone[:: max(1, n_leads // python_leads)][:python_leads]
    py_seconds, py_events, py_totals = python_side(model, sample, base, as_of)
    py_rate = py_events / py_seconds
    print(f"{n_leads:,} leads, {n_events:,} events (default model, as of the last day)")
    print(
        f"  PointsModel.score: {len(sample):,} sampled leads, {py_events:,} events in "
        f"{py_seconds:.2f} s = {py_rate:,.0f} events/s"
    )
    batch.score(model, everyone, base.head(10_000), as_of=as_of)  # warm up (not timed)
    with tempfile.TemporaryDirectory() as tmp:
        for order in orders:
            path = Path(tmp) / f"events-{order}.parquet"
            given = ordered(base, order, seed)
            given.write_parquet(path)
            # same-instant moves events: the engine's totals of those events then
            want = (
                python_side(model, sample, given, as_of)[2]
                if order == "same-instant"
                else py_totals
            )
            t0 = time.perf_counter()
            scores = batch.score(model, everyone, path, as_of=as_of)
            seconds = time.perf_counter() - t0
            rate = n_events / seconds
            got = dict(zip(scores["lead_id"], scores["total"], strict=True))
            worst = max(abs(got[lead_id] - total) for lead_id, total in want.items())
            met = "MET" if rate / py_rate >= GOAL_RATIO else "not met"
            print(
                f"  batch.score {order:<13} {seconds:6.2f} s = {rate:>12,.0f} events/s"
                f"  {rate / py_rate:5.1f}x  goal >= {GOAL_RATIO:g}x: {met}"
                f"  (largest difference {worst:.1e})"
            )
            if not math.isclose(worst, 0, abs_tol=1e-9):
                raise SystemExit("the batch scores differ from PointsModel.score")


def memory(n_leads: int, n_events: int, seed: int) -> None:
    """Peak resident memory of scoring from Parquet, in a fresh process (the file is
    written here, so the child only reads leads, the file and scores)."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
import bench_batch as b
import bench_engine as e
from leadqual import batch
import leadqual as lq
everyone = b.leads({n_leads})
before = e.current_rss()
t0 = time.perf_counter()
batch.score(lq.default_model(), everyone, sys.argv[1], as_of=b.START + b.timedelta(days=b.SPAN_DAYS))
print(json.dumps({{"seconds": time.perf_counter() - t0, "peak": e.peak_rss(), "before": before}}))
"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        events(n_leads, n_events, seed).write_parquet(path)
        size = path.stat().st_size
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True
        )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    peak = figures["peak"] / 2**30
    print(
        f"  fresh process, {n_events:,} events ({size / 2**20:,.0f} MB of Parquet): "
        f"{figures['seconds']:.2f} s, peak RSS {peak:.2f} GB (leads alone: "
        f"{figures['before'] / 2**30:.2f} GB)  goal <= 4 GB: {'MET' if peak <= 4 else 'not met'}"
    )


def qualify_run(n_leads: int, n_events: int, python_leads: int, seed: int) -> None:
    """``batch.qualify`` with the default rule set from Parquet, against the engine's
    ``Qualifier.qualify`` on the events of a sample of leads (stages compared)."""
    ruleset = lq.default_ruleset()
    everyone = leads(n_leads)
    as_of = START + timedelta(days=SPAN_DAYS)
    base = events(n_leads, n_events, seed)
    sample = everyone[:: max(1, n_leads // python_leads)][:python_leads]
    rows, by_lead = events_of(sample, base)
    qualifier = ruleset.qualifier()
    t0 = time.perf_counter()
    want = {
        lead.id: qualifier.qualify(lead, by_lead[lead.id], as_of=as_of).stage for lead in sample
    }
    py_seconds = time.perf_counter() - t0
    print(
        f"  Qualifier.qualify: {len(sample):,} sampled leads, {rows.height:,} events in "
        f"{py_seconds:.2f} s = {rows.height / py_seconds:,.0f} events/s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        base.write_parquet(path)
        t0 = time.perf_counter()
        result = batch.qualify(ruleset, everyone, path, as_of=as_of)
        seconds = time.perf_counter() - t0
    got = dict(result.leads.select("lead_id", "stage").iter_rows())
    differ = sum(got[lead_id] != stage for lead_id, stage in want.items())
    rate = n_events / seconds
    stages = dict(result.leads["stage"].value_counts().iter_rows())
    print(
        f"  batch.qualify      {seconds:6.2f} s = {rate:>12,.0f} events/s"
        f"  goal >= 1,000,000: {'MET' if rate >= 1e6 else 'not met'}"
        f"  (stages {stages}, {len(result.transitions):,} transitions, "
        f"{result.near_threshold} moments near a threshold; sampled stages differing: {differ})"
    )
    if differ:
        raise SystemExit("the batch stages differ from Qualifier.qualify")


def cli_run(n_leads: int, n_events: int, seed: int) -> None:
    """``leadqual score --backend polars`` from JSON Lines files, end to end."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rules = folder / "rules.toml"
        lq.dump(lq.default_ruleset(), rules)
        with (folder / "leads.jsonl").open("w", encoding="utf-8") as out:
            for lead in leads(n_leads):
                out.write(json.dumps(lead.to_dict()) + "\n")
        frame = events(n_leads, n_events, seed).with_columns(
            pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        )
        frame.write_ndjson(folder / "events.jsonl")
        command = [
            sys.executable,
            "-m",
            "leadqual",
            "score",
            "--rules",
            str(rules),
            "--leads",
            str(folder / "leads.jsonl"),
            "--events",
            str(folder / "events.jsonl"),
            "--out",
            str(folder / "results.jsonl"),
            "--quiet",
        ]
        for backend in ("polars",):
            t0 = time.perf_counter()
            subprocess.run([*command, "--backend", backend], check=True, capture_output=True)
            seconds = time.perf_counter() - t0
            rate = n_events / seconds
            print(
                f"  leadqual score --backend {backend} (JSONL, end to end) {seconds:6.2f} s = "
                f"{rate:>10,.0f} events/s  goal >= 500,000: {'MET' if rate >= 5e5 else 'not met'}"
            )


def csv_run(n_leads: int, n_events: int, seed: int) -> None:
    """``batch.score`` from CSV files: bare cells (Polars reads it) and every cell quoted
    (Python's csv module reads it), with ``io.read_events`` on the same file for scale."""
    from leadqual.io import read_events

    model = lq.default_model()
    everyone = leads(n_leads)
    as_of = START + timedelta(days=SPAN_DAYS)
    frame = events(n_leads, n_events, seed).select(
        "lead_id",
        "type",
        pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
        "id",
        pl.col("properties").struct.field("url"),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, quote in (("bare", "necessary"), ("quoted", "always")):
            path = Path(tmp) / f"events-{name}.csv"
            frame.write_csv(path, quote_style=quote)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            batch.score(model, everyone, path, as_of=as_of)
            seconds = time.perf_counter() - t0
            print(
                f"  batch.score from CSV ({name:<6}) {seconds:6.2f} s = "
                f"{n_events / seconds:>12,.0f} events/s"
            )
        t0 = time.perf_counter()
        with read_events(Path(tmp) / "events-bare.csv") as reader:
            count = sum(1 for _ in reader)
        seconds = time.perf_counter() - t0
        print(
            f"  io.read_events (CSV, no scoring)  {seconds:6.2f} s = {count / seconds:>12,.0f} events/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--python-leads", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--order", default="all", choices=[*ORDERS, "all"])
    parser.add_argument("--memory", action="store_true", help="peak memory in a fresh process")
    parser.add_argument("--qualify", action="store_true", help="also batch.qualify")
    parser.add_argument("--cli", action="store_true", help="also leadqual score from JSONL")
    parser.add_argument("--csv", action="store_true", help="also batch.score from CSV files")
    args = parser.parse_args()
    orders = list(ORDERS) if args.order == "all" else [args.order]
    run(args.leads, args.events, min(args.python_leads, args.leads), args.seed, orders)
    if args.memory:
        memory(args.leads, args.events, args.seed)
    if args.qualify:
        qualify_run(args.leads, args.events, min(args.python_leads, args.leads), args.seed)
    if args.cli:
        cli_run(args.leads, args.events, args.seed)
    if args.csv:
        csv_run(args.leads, args.events, args.seed)


if __name__ == "__main__":
    main()
