"""End-to-end engine benchmark: JSONL files -> Engine -> a results file, plus snapshots.

Generates (seeded) 100,000 leads and 2,000,000 events as JSON Lines (``--scale`` shrinks
both), then times, in one process:

1. reading leads and events with ``leadqual.io`` (parsing and validation included) while
   feeding them to an ``Engine`` running the bundled default rule set;
2. qualifying every lead as of the last event and writing one result row per lead;
3. ``Engine.snapshot`` to JSON and ``Engine.restore`` from it.

It prints events per second end to end and per phase, the process's peak resident memory
and, with ``--memory-scales``, the memory at two scales so growth per lead can be read off.
A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import leadqual as lq
from leadqual._gc import paused
from leadqual.io import read_events, read_leads

FULL_LEADS = 100_000
FULL_EVENTS = 2_000_000
GOAL_EVENTS_PER_S = 100_000
START = datetime(2026, 5, 1, tzinfo=timezone.utc)
SPAN_DAYS = 180

EVENT_MIX = [
    ("page_view", 40),
    ("email_open", 18),
    ("email_click", 8),
    ("session_start", 12),
    ("content_download", 6),
    ("form_submit", 3),
    ("webinar_attended", 3),
    ("linkedin_message", 3),
    ("email_unsubscribe", 1),
    ("pricing_inquiry", 1),
    ("demo_request", 1),
]
TITLES = ["VP Sales", "Head of IT", "Engineer", "Analyst", "CTO", "Marketing Manager", "Intern"]
INDUSTRIES = ["software", "saas", "retail", "fintech", "manufacturing", "education"]


ORDERS = ("in-order", "newest-first", "shuffled", "same-instant")


def generate(
    folder: Path, n_leads: int, n_events: int, seed: int, order: str = "in-order"
) -> tuple[Path, Path]:
    """Write leads.jsonl and events.jsonl, the events in ``order``:

    - ``in-order``: oldest first, as a log holds them;
    - ``newest-first``: the same events reversed, as many CRM exports list them;
    - ``shuffled``: the same events in a seeded random order (retried webhooks, merged feeds);
    - ``same-instant``: in time order, but five events of one lead at each instant.
    """
    rng = random.Random(seed)
    leads_path, events_path = folder / "leads.jsonl", folder / "events.jsonl"
    with leads_path.open("w", encoding="utf-8") as out:
        for i in range(n_leads):
            attributes: dict[str, object] = {
                "title": rng.choice(TITLES),
                "industry": rng.choice(INDUSTRIES),
                "employees": int(rng.lognormvariate(5, 1.5)),
            }
            if rng.random() < 0.3:
                attributes["budget"] = rng.choice([5_000, 20_000, 80_000])
            if rng.random() < 0.2:
                attributes["pain_points"] = ["slow pipeline"]
            out.write(json.dumps({"id": f"L-{i:06d}", "attributes": attributes}) + "\n")
    types = [t for t, w in EVENT_MIX for _ in range(w)]
    step = SPAN_DAYS * 86400 / n_events
    burst = 5 if order == "same-instant" else 1
    lines: list[str] = []
    lead = 0
    for j in range(n_events):
        at = START + timedelta(seconds=(j - j % burst) * step)
        kind = rng.choice(types)
        props = {"url": rng.choice(["/pricing", "/blog/x", "/docs"])} if kind == "page_view" else {}
        if j % burst == 0:
            lead = rng.randrange(n_leads)
        row = {
            "lead_id": f"L-{lead:06d}",
            "type": kind,
            "at": at.isoformat(),
            "properties": props,
            "id": f"e{j}",
        }
        lines.append(json.dumps(row) + "\n")
    if order == "newest-first":
        lines.reverse()
    elif order == "shuffled":
        random.Random(seed + 1).shuffle(lines)
    with events_path.open("w", encoding="utf-8") as out:
        out.writelines(lines)
    return leads_path, events_path


def current_rss() -> int:
    """This process's resident memory now, in bytes (VmRSS; 0 where unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM; ru_maxrss survives fork+exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(n_leads: int, n_events: int, seed: int, order: str = "in-order") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        leads_path, events_path = generate(folder, n_leads, n_events, seed, order)
        generated = time.perf_counter() - t0

        rules = lq.default_ruleset()
        engine = lq.Engine(rules)
        t0 = time.perf_counter()
        # loading as `leadqual score` does it: the cyclic collector paused meanwhile
        with paused(), read_leads(leads_path) as leads:
            for lead in leads:
                engine.add_lead(lead)
        t1 = time.perf_counter()
        with paused(), read_events(events_path) as events:
            engine.apply(events)
        t2 = time.perf_counter()
        as_of = engine.now()
        with (folder / "results.jsonl").open("w", encoding="utf-8") as out:
            for lead_id in engine.lead_ids():
                q = engine.get(lead_id, as_of=as_of)
                row = {"lead_id": lead_id, "stage": q.stage, "score": round(q.score.total, 2)}
                out.write(json.dumps(row) + "\n")
        t3 = time.perf_counter()
        loaded_rss = current_rss()  # one engine holding every lead and event
        engine.snapshot(folder / "state.json")
        t4 = time.perf_counter()
        restored = lq.Engine.restore(folder / "state.json", rules)
        t5 = time.perf_counter()
        assert len(restored) == len(engine)
        size = (folder / "state.json").stat().st_size
    return {
        "generated": generated,
        "read_leads": t1 - t0,
        "apply": t2 - t1,
        "results": t3 - t2,
        "end_to_end": t3 - t0,
        "snapshot": t4 - t3,
        "restore": t5 - t4,
        "snapshot_bytes": size,
        "rss": peak_rss(),
        "loaded_rss": loaded_rss,
    }


def one_lead(n_events: int, seed: int) -> dict[str, float]:
    """One lead's ``n_events`` applied one per ``apply`` call, in order and reversed, then
    read once: seconds for each (no listeners, so a late event waits for the read)."""
    rng = random.Random(seed)
    types = [t for t, w in EVENT_MIX for _ in range(w)]
    step = SPAN_DAYS * 86400 / n_events
    events = [
        lq.Event("L-1", rng.choice(types), at=START + timedelta(seconds=j * step), id=f"e{j}")
        for j in range(n_events)
    ]
    rules = lq.default_ruleset()
    as_of = events[-1].at
    times: dict[str, float] = {}
    results = []
    for name, stream in (("in order", events), ("reversed", events[::-1])):
        engine = lq.Engine(rules)
        engine.add_lead(lq.Lead("L-1", attributes={"title": "VP Sales", "employees": 300}))
        t0 = time.perf_counter()
        for event in stream:
            engine.apply(event)
        results.append(engine.get("L-1", as_of=as_of))
        times[name] = time.perf_counter() - t0
    assert results[0] == results[1], "the order of delivery changed the result"
    return times


GOAL_RATIO = 1.5
GOAL_ONE_LEAD_RATIO = 2.0


def all_orders(args: argparse.Namespace) -> int:
    """Each order in a fresh process; their end-to-end rates side by side."""
    rates: dict[str, float] = {}
    for order in ORDERS:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--scale",
                str(args.scale),
                "--seed",
                str(args.seed),
                "--order",
                order,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        print(out, end="")
        line = next(line for line in out.splitlines() if "end to end" in line)
        rates[order] = float(line.split("s ")[1].split()[0].replace(",", ""))
    print("summary (end to end, events/s; each order against in-order):")
    base = rates["in-order"]
    for order, rate in rates.items():
        ratio = base / rate
        goal = (
            ""
            if order == "in-order"
            else (f"  goal <= {GOAL_RATIO}x: {'MET' if ratio <= GOAL_RATIO else 'NOT MET'}")
        )
        print(f"  {order:<14}{rate:>12,.0f}  {ratio:5.2f}x{goal}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--order",
        choices=[*ORDERS, "all"],
        default="in-order",
        help="the order of the events file ('all': each in turn, in fresh processes)",
    )
    parser.add_argument(
        "--one-lead",
        type=int,
        metavar="N",
        help="instead: one lead's N events applied one per call, in order and reversed",
    )
    parser.add_argument(
        "--memory-scales",
        action="store_true",
        help="also run at half the scale in a fresh process, to read memory growth per lead",
    )
    args = parser.parse_args(argv)
    if args.one_lead:
        t = one_lead(args.one_lead, args.seed)
        ratio = t["reversed"] / t["in order"]
        verdict = "MET" if ratio <= GOAL_ONE_LEAD_RATIO else "NOT MET"
        print(
            f"one lead, {args.one_lead:,} events, one per apply call, then one read:\n"
            f"  in order   {t['in order']:8.2f} s\n  reversed   {t['reversed']:8.2f} s  "
            f"{ratio:.2f}x  goal <= {GOAL_ONE_LEAD_RATIO}x: {verdict}"
        )
        return 0
    if args.order == "all":
        return all_orders(args)
    n_leads = max(1, round(FULL_LEADS * args.scale))
    n_events = max(1, round(FULL_EVENTS * args.scale))
    print(
        f"leadqual {lq.__version__} engine benchmark: {n_leads:,} leads, {n_events:,} events "
        f"({args.order}), default rule set, Python {sys.version.split()[0]}"
    )
    r = run(n_leads, n_events, args.seed, args.order)
    rate = n_events / r["end_to_end"]
    verdict = "MET" if rate >= GOAL_EVENTS_PER_S else "NOT MET"
    print(f"  input files generated in {r['generated']:.1f}s (not timed)")
    print(f"  read {n_leads:,} leads                {r['read_leads']:8.2f} s")
    print(
        f"  read + apply {n_events:,} events     {r['apply']:8.2f} s  "
        f"{n_events / r['apply']:>10,.0f} events/s"
    )
    print(f"  qualify + write results        {r['results']:8.2f} s")
    print(
        f"  end to end                     {r['end_to_end']:8.2f} s  {rate:>10,.0f} events/s  "
        f"goal >= {GOAL_EVENTS_PER_S:,}/s: {verdict}"
    )
    print(
        f"  snapshot ({r['snapshot_bytes'] / 1e6:,.0f} MB)             {r['snapshot']:8.2f} s\n"
        f"  restore                        {r['restore']:8.2f} s"
    )
    print(f"  resident memory after loading  {r['loaded_rss'] / 1e6:8.0f} MB")
    print(
        f"  peak resident memory           {r['rss'] / 1e6:8.0f} MB  (restore holds a second engine)"
    )
    if args.memory_scales:
        half = subprocess.run(
            [sys.executable, __file__, "--scale", str(args.scale / 2), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        half_rss = float(
            next(line for line in half.splitlines() if "after loading" in line).split()[-2]
        )
        per_lead = (r["loaded_rss"] / 1e6 - half_rss) / (n_leads - n_leads // 2) * 1e6
        print(
            f"  at half the scale: {half_rss:.0f} MB after loading; growth {per_lead:,.0f} "
            "bytes per lead (with its events)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
