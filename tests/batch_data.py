"""Leads, moments and event streams the batch backend's tests share."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

import leadqual as lq
from leadqual.testing import event_streams

LEAD_IDS = ("L-1", "L-2", "L-3")
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
#: moments before, at and long after the streams' events
MOMENTS = st.sampled_from(
    [START + timedelta(days=d, hours=h) for d in (0, 1, 30, 200, 400) for h in (0, 13)]
)


@st.composite
def streams(draw: st.DrawFn) -> list[lq.Event]:
    """Events of all LEAD_IDS in any order, redeliveries included; over a year, two days
    (same-day caps) or one hour (ties in time)."""
    span = draw(st.sampled_from([timedelta(days=365), timedelta(days=2), timedelta(hours=1)]))
    return draw(
        event_streams(
            LEAD_IDS, order="shuffled", max_size=40, start=START, span=span, redeliveries=True
        )
    )
