"""Reading a history of outcomes and events, shared by the back-test and the calibration."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from leadqual._fields import require_aware
from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.outcomes import Outcome

__all__ = ["ClosedLead", "count_of", "decisions", "group_events", "index_outcomes"]


class ClosedLead(NamedTuple):
    """One lead with an outcome: its events strictly before its decision time, whether it
    won, and that time."""

    lead: Lead
    before: list[Event]
    won: bool
    at: datetime


def decisions(
    leads: Iterable[Lead],
    events: Iterable[Event],
    outcomes: Iterable[Outcome],
    *,
    as_of: datetime | None,
    undated_at: datetime | None = None,
) -> tuple[list[ClosedLead], dict[str, Outcome], dict[str, int]]:
    """Each lead with an outcome, decided at its close (or ``as_of``), in the order given;
    the outcomes by lead id; and what was left out, counted by reason.

    An outcome without a close time needs ``as_of``, except that with ``undated_at`` a lead
    that has no events is decided then (snapshot data: profiles only). A lead given twice,
    or two outcomes for one lead, raise :class:`~leadqual.errors.ValidationError`.
    """
    if as_of is not None:
        require_aware("as_of", as_of)
    by_outcome = index_outcomes(outcomes, need_close=as_of is None and undated_at is None)
    by_lead = group_events(events)
    rows: list[ClosedLead] = []
    left_out: dict[str, int] = {}
    seen: set[str] = set()
    for i, lead in enumerate(leads):
        if not isinstance(lead, Lead):
            raise ValidationError(f"leads[{i}]", lead, "expected a Lead")
        if lead.id in seen:
            raise ValidationError(f"leads[{i}].id", lead.id, "this lead is given twice")
        seen.add(lead.id)
        found = by_outcome.get(lead.id)
        if found is None:
            left_out["leads without an outcome"] = left_out.get("leads without an outcome", 0) + 1
            continue
        own = by_lead.get(lead.id, [])
        moment = as_of if as_of is not None else found.at
        if moment is None:
            if own:
                raise ValidationError(
                    "as_of",
                    None,
                    f"the outcome of {lead.id} has no close time and the lead has events: "
                    "pass as_of",
                )
            assert undated_at is not None  # else index_outcomes refused the outcome
            moment = undated_at
        rows.append(ClosedLead(lead, [e for e in own if e.at < moment], found.won, moment))
    unknown = sum(1 for lead_id in by_outcome if lead_id not in seen)
    if unknown:
        left_out["outcomes of unknown leads"] = unknown
    return rows, by_outcome, left_out


def index_outcomes(outcomes: Iterable[Outcome], *, need_close: bool) -> dict[str, Outcome]:
    """Outcomes by lead id; two for one lead, or (``need_close``) one without a close
    time, raise :class:`~leadqual.errors.ValidationError`."""
    by_lead: dict[str, Outcome] = {}
    for i, outcome in enumerate(outcomes):
        if not isinstance(outcome, Outcome):
            raise ValidationError(f"outcomes[{i}]", outcome, "expected an Outcome")
        if outcome.lead_id in by_lead:
            raise ValidationError(
                f"outcomes[{i}].lead_id", outcome.lead_id, "this lead has an outcome already"
            )
        if need_close and outcome.at is None:
            raise ValidationError(
                f"outcomes[{i}].at",
                None,
                "has no close time: pass as_of to decide every lead at one moment",
            )
        by_lead[outcome.lead_id] = outcome
    return by_lead


def group_events(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events by lead id, in the order given."""
    by_lead: dict[str, list[Event]] = {}
    for i, event in enumerate(events):
        if not isinstance(event, Event):
            raise ValidationError(f"events[{i}]", event, "expected an Event")
        by_lead.setdefault(event.lead_id, []).append(event)
    return by_lead


def count_of(before: Iterable[Event], kind: str) -> int:
    """Events of type ``kind`` as a points model counts them: copies of one event (the
    same id) once."""
    ids: set[str] = set()
    n = 0
    for event in before:
        if event.type == kind:
            if event.id is None:
                n += 1
            elif event.id not in ids:
                ids.add(event.id)
                n += 1
    return n
