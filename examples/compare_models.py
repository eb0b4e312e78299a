"""Compare two versions of a scoring model on the same leads before deploying the new one.

Run: python examples/compare_models.py

The new version values intent (demo requests) more and fit less; the script lists leads
whose rank moves most, so a team can see what a rule change does before it goes live.
"""

from __future__ import annotations

import attrs

import leadqual as lq


def new_version(old: lq.PointsModel) -> lq.PointsModel:
    """The same rules, with demo requests doubled and fit rules halved."""
    fit = [attrs.evolve(rule, points=rule.points / 2) for rule in old.fit]
    engagement = [
        attrs.evolve(rule, points=rule.points * 2) if rule.event_type == "demo_request" else rule
        for rule in old.engagement
    ]
    return attrs.evolve(old, fit=fit, engagement=engagement)


def ranks(model: lq.PointsModel, leads: list[lq.Lead], events: list[lq.Event]) -> dict[str, int]:
    by_lead: dict[str, list[lq.Event]] = {}
    for event in events:
        by_lead.setdefault(event.lead_id, []).append(event)
    scores = {
        lead.id: model.score(lead, by_lead.get(lead.id, []), as_of=lq.samples.SAMPLE_AS_OF).total
        for lead in leads
    }
    ordered = sorted(scores, key=lambda lid: (-scores[lid], lid))
    return {lid: i + 1 for i, lid in enumerate(ordered)}


def main() -> None:
    leads, events = lq.samples.sample_leads(), lq.samples.sample_events()
    old = lq.default_model()
    new = new_version(old)
    before, after = ranks(old, leads, events), ranks(new, leads, events)
    moves = sorted(leads, key=lambda lead: -abs(before[lead.id] - after[lead.id]))[:8]
    print("lead     rank before  rank after")
    for lead in moves:
        print(f"{lead.id:<8} {before[lead.id]:>11}  {after[lead.id]:>10}")
    top_before = {lid for lid, rank in before.items() if rank <= 20}
    top_after = {lid for lid, rank in after.items() if rank <= 20}
    print(f"{len(top_before & top_after)} of the top 20 stay in the top 20")


if __name__ == "__main__":
    main()
