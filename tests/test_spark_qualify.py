"""``leadqual.spark.qualify`` on a real local Spark against ``Qualifier.qualify`` (the
oracle): generated rule sets, streams and decisions; a lead far larger than one Arrow
batch; a non-UTC session time zone."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadqual as lq
from batch_data import (
    LEAD_IDS,
    MOMENTS,
    assert_score_and_verdict,
    decisions_for,
    engine_view,
    lowerable_rule_sets,
    streams,
)
from leadqual import spark as lqspark
from leadqual.errors import DuplicateEventError, UnknownLeadsWarning
from leadqual.spark import _qualify
from leadqual.spark._qualify import CHUNK_ROWS, SKEW_ROWS
from leadqual.testing import leads
from test_spark_score import frame


def aware(moment: datetime | None) -> datetime | None:
    """A timestamp as Spark's collect gives it (naive, in the Python process's local time
    zone, whatever the session's), aware."""
    return None if moment is None else moment.astimezone(timezone.utc)


def assert_same(got: Any, want: dict[str, lq.Qualification]) -> None:
    rows = {row["lead_id"]: row for row in got.collect()}
    assert sorted(rows) == sorted(want)
    for lead_id, q in want.items():
        row = rows[lead_id]
        assert row["stage"] == q.stage, (lead_id, row, q.history)
        records = tuple(
            lq.TransitionRecord(
                r["source"], r["target"], aware(r["at"]), r["reason"], r["guard"], r["auto"]
            )
            for r in row["transitions"]
        )
        assert records == q.history, lead_id
        assert aware(row["entered_at"]) == (q.history[-1].at if q.history else None)
        assert_score_and_verdict(row, q)
        assert [v["reason"] for v in row["void"]] == [why for _, why in q.void]


@settings(
    max_examples=int(os.environ.get("LEADQUAL_SPARK_EXAMPLES", "10")),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(lowerable_rule_sets(), st.data(), streams(), MOMENTS)
def test_qualifications_equal_the_engine(
    spark: Any, ruleset: lq.RuleSet, data: st.DataObject, events: list[lq.Event], as_of: datetime
) -> None:
    ids = data.draw(st.lists(st.sampled_from(LEAD_IDS), min_size=1, max_size=3, unique=True))
    lead_list = [data.draw(leads(ids=[lead_id])) for lead_id in ids]
    decisions = data.draw(decisions_for(ruleset, ids))
    try:
        want = engine_view(ruleset, lead_list, events, as_of, decisions)
    except DuplicateEventError:
        return  # two different events under one id: refused (see test_spark_score)
    # the workers' chunks: as shipped (one chunk), or a few rows each, so that leads are
    # gathered across Arrow batches and the largest stream through the engine
    chunk, skew, per_batch = data.draw(
        st.sampled_from([(CHUNK_ROWS, SKEW_ROWS, 10_000), (3, 5, 4), (1, 1, 2), (4, 8, 1)])
    )
    with warnings.catch_warnings(), sizes(spark, chunk, skew, per_batch):
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        got = lqspark.qualify(
            ruleset, lead_list, frame(spark, events), as_of=as_of, decisions=decisions
        )
        assert_same(got, want)


@contextmanager
def sizes(spark: Any, chunk: int, skew: int, per_batch: int) -> Iterator[None]:
    """Workers gather ``chunk`` rows, stream leads of over ``skew`` rows, and get Arrow
    batches of ``per_batch`` rows, inside the block."""
    before = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    shipped = _qualify.CHUNK_ROWS, _qualify.SKEW_ROWS
    _qualify.CHUNK_ROWS, _qualify.SKEW_ROWS = chunk, skew
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(per_batch))
    try:
        yield
    finally:
        _qualify.CHUNK_ROWS, _qualify.SKEW_ROWS = shipped
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", before)


@pytest.mark.parametrize(
    ("chunk", "skew"),
    [(CHUNK_ROWS, SKEW_ROWS), (100, 200)],
    ids=["gathered", "the large lead streamed"],
)
def test_a_lead_far_larger_than_one_batch_under_another_time_zone(
    spark: Any, chunk: int, skew: int
) -> None:
    ruleset = lq.default_ruleset()
    start = datetime(2026, 10, 1, 22, tzinfo=timezone.utc)
    kinds = ["page_view", "email_click", "content_download", "webinar_attended"]
    big = [
        lq.Event("L-1", kinds[i % 4], at=start + timedelta(hours=7 * i), id=f"b{i}")
        for i in range(700)
    ]
    small = [
        lq.Event("L-2", "demo_request", at=start + timedelta(days=3)),
        lq.Event("L-2", "pricing_inquiry", at=start + timedelta(days=4)),
    ]
    people = [
        lq.Lead("L-1", attributes={"title": "VP Sales"}),
        lq.Lead("L-2", attributes={"title": "CTO", "budget": 50_000}),
        lq.Lead("L-3"),
    ]
    as_of = start + timedelta(days=250)
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "Asia/Kolkata")
    try:
        with sizes(spark, chunk, skew, 64):  # L-1: 11 batches
            got = lqspark.qualify(ruleset, people, frame(spark, big + small), as_of=as_of)
            want = engine_view(ruleset, people, big + small, as_of, {})
            assert_same(got, want)
        assert want["L-1"].history  # the big lead moved: records cross batch edges
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)


def test_a_worker_never_gathers_more_than_a_chunk_and_one_batch() -> None:
    """In the worker itself (no Spark): a lead over the skew bound streams through the
    engine; what is gathered stays under the chunk plus one batch; the rows equal the
    engine's."""
    import pyarrow as pa

    from leadqual.rulesets.files import dumps

    ruleset = lq.default_ruleset()
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    kinds = ["page_view", "email_click", "content_download", "demo_request"]
    counts = {"L-1": 3, "L-2": 40, "L-3": 0, "L-4": 5, "L-5": 30}
    events = [
        lq.Event(lead_id, kinds[i % 4], at=start + timedelta(hours=5 * i), id=f"{lead_id}-{i}")
        for lead_id, n in counts.items()
        for i in range(n)
    ]
    people = [lq.Lead(lead_id) for lead_id in counts]
    as_of = start + timedelta(days=30)
    rows: dict[str, list[Any]] = {c: [] for c in ("lead_id", "type", "id", "source", "_us")}
    rows |= {"_props": [], "_m": []}
    for lead_id in counts:  # as qualify() sorts them: by lead, its marker first, then time
        mine = [e for e in events if e.lead_id == lead_id]
        for e in [None, *mine]:
            rows["lead_id"].append(lead_id)
            rows["type"].append(None if e is None else e.type)
            rows["id"].append(None if e is None else e.id)
            rows["source"].append(None)
            rows["_us"].append(None if e is None else int(e.at.timestamp() * 1_000_000))
            rows["_props"].append(None)
            rows["_m"].append(1 if e is None else 0)
    table = pa.table(
        rows,
        schema=pa.schema(
            [
                ("lead_id", pa.string()),
                ("type", pa.string()),
                ("id", pa.string()),
                ("source", pa.string()),
                ("_us", pa.int64()),
                ("_props", pa.string()),
                ("_m", pa.int32()),
            ]
        ),
    )
    data = {
        "rules": dumps(ruleset, "json"),
        "leads": {lead.id: lead.to_dict() for lead in people},
        "decisions": {},
        "moments": dict.fromkeys(counts, as_of.isoformat()),
    }
    want = engine_view(ruleset, people, events, as_of, {})
    groups = tuple(ruleset.model.groups())  # type: ignore[attr-defined]
    chunks = _qualify._Chunks(data, groups, chunk=8, skew=20)
    got: list[dict[str, Any]] = []
    streamed = set()
    for batch in table.to_batches(max_chunksize=7):
        got += [row for rows_out in chunks.feed(batch) for row in rows_out]
        assert chunks.rows <= 20  # under the chunk plus a batch (14), or a lead of <= 20
        if chunks.streaming is not None:
            streamed.add(chunks.streaming.lead_id)
    got += [row for rows_out in chunks.finish() for row in rows_out]
    assert streamed == {"L-2", "L-5"}  # the leads of over 20 rows
    assert sorted(row["lead_id"] for row in got) == sorted(counts)
    for row in got:
        q = want[row["lead_id"]]
        assert row["stage"] == q.stage
        assert [(r["source"], r["target"], r["at"]) for r in row["transitions"]] == [
            (r.source, r.target, r.at) for r in q.history
        ]
        assert row["total"] == pytest.approx(q.score.total, abs=1e-9)
