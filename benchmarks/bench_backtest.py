"""Back-test benchmark: backtest() against a plain Engine pass over the same data.

Generates (seeded) 100,000 leads and 2,000,000 events, as ``bench_engine.py`` does
(``--scale`` shrinks both), and an outcome for every lead, won or lost, closed after its
last event so that the back-test qualifies every event, as the Engine does. Then times, in
memory (parsing is not timed here; ``bench_engine.py`` measures it):

1. a plain Engine pass: every lead added, every event applied, every lead read;
2. ``leadqual.analytics.backtest`` of the same rule set on the same leads and events.

Prints events per second of each and the ratio (goal: the back-test takes at most 1.3 times
the Engine pass). A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import bench_engine

import leadqual as lq
from leadqual.analytics import backtest
from leadqual.io import read_events, read_leads

GOAL_RATIO = 1.3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    n_leads = max(2, round(bench_engine.FULL_LEADS * args.scale))
    n_events = max(2, round(bench_engine.FULL_EVENTS * args.scale))
    print(
        f"leadqual {lq.__version__} back-test benchmark: {n_leads:,} leads, {n_events:,} "
        f"events, default rule set, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        leads_path, events_path = bench_engine.generate(Path(tmp), n_leads, n_events, args.seed)
        leads = list(read_leads(leads_path))
        events = list(read_events(events_path))
    rng = random.Random(args.seed)
    close = bench_engine.START + timedelta(days=bench_engine.SPAN_DAYS + 1)
    outcomes = [
        lq.Outcome(lead.id, "won" if rng.random() < 0.1 else "lost", at=close) for lead in leads
    ]
    rules = lq.default_ruleset()
    gc.collect()
    gc.disable()  # as leadqual's commands do while they load: both timings alike
    try:
        t0 = time.perf_counter()
        engine = lq.Engine(rules)
        for lead in leads:
            engine.add_lead(lead)
        engine.apply(events)
        for lead_id in engine.lead_ids():
            engine.get(lead_id, as_of=close)
        engine_time = time.perf_counter() - t0
        del engine
        gc.collect()
        t0 = time.perf_counter()
        report = backtest(rules, leads, events, outcomes)
        backtest_time = time.perf_counter() - t0
    finally:
        gc.enable()
    ratio = backtest_time / engine_time
    verdict = "MET" if ratio <= GOAL_RATIO else "NOT MET"
    print(
        f"  engine pass (add, apply, read)  {engine_time:8.2f} s  "
        f"{n_events / engine_time:>10,.0f} events/s"
    )
    print(
        f"  backtest                        {backtest_time:8.2f} s  "
        f"{n_events / backtest_time:>10,.0f} events/s"
    )
    print(f"  ratio backtest / engine         {ratio:8.2f}    goal <= {GOAL_RATIO}: {verdict}")
    print(f"  (AUC {report.auc:.3f} on random outcomes: about 0.5, as it should be)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
