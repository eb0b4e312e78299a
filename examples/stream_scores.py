"""Score a stream of events incrementally and report leads as they cross a threshold.

Run: python examples/stream_scores.py

This is how a host app embeds leadqual: one ``PointsState`` per lead, each event applied as
it arrives (in any order), and the score read whenever needed, with decay applied then.
"""

from __future__ import annotations

import leadqual as lq

THRESHOLD = 100


def main() -> None:
    model = lq.default_model()
    leads = {lead.id: lead for lead in lq.samples.sample_leads()}
    states: dict[str, lq.scoring.PointsState] = {}
    crossed: dict[str, lq.Event] = {}

    for event in lq.samples.sample_events():
        state = states.get(event.lead_id)
        if state is None:
            state = states[event.lead_id] = model.start(leads[event.lead_id])
        state.apply(event)
        if event.lead_id not in crossed and state.score(event.at).total >= THRESHOLD:
            crossed[event.lead_id] = event  # the event that pushed the lead over

    print(f"{len(crossed)} of {len(leads)} leads reached {THRESHOLD} points at some moment")
    for lead_id, event in sorted(crossed.items(), key=lambda item: item[1].at)[:5]:
        print(f"  {lead_id} crossed on {event.at.date()} after a {event.type!r} event")

    now = lq.samples.SAMPLE_AS_OF
    still = [lid for lid in crossed if states[lid].score(now).total >= THRESHOLD]
    print(f"{len(still)} of them are still at {THRESHOLD} or more on {now.date()} (decay)")
    best = max(states, key=lambda lid: states[lid].score(now).total)
    print()
    print(states[best].score(now).explain(limit=5))


if __name__ == "__main__":
    main()
