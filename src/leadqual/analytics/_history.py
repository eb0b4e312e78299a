"""Reading a history of outcomes and events, shared by the back-test and the calibration."""

from __future__ import annotations

from collections.abc import Iterable

from leadqual.errors import ValidationError
from leadqual.events import Event
from leadqual.outcomes import Outcome

__all__ = ["group_events", "index_outcomes"]


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
