"""``leadqual.spark.qualify`` on a real local Spark against ``Qualifier.qualify`` (the
oracle): generated rule sets, streams and decisions; a lead far larger than one Arrow
batch; a non-UTC session time zone."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
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
        "props": [],
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


# --- the input shapes, through both paths ---------------------------------------------
# Each case runs with the sizes as shipped (every lead gathered into one chunk for the
# Polars backend) and with tiny ones (a lead of over 3 rows streams through the engine,
# the others are gathered two rows a chunk; Arrow batches of 2 rows).

PATHS = pytest.mark.parametrize(
    "path", [(CHUNK_ROWS, SKEW_ROWS, 10_000), (2, 3, 2)], ids=["gathered", "streamed"]
)
T0 = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)

PROPS_RULES = lq.RuleSet(
    "props",
    "1",
    model=lq.PointsModel(
        engagement=[
            lq.EngagementRule(
                "ads", "visit", 6, where=lq.Prop("utm.source") == "ads", decay=lq.HalfLife(days=10)
            ),
            lq.EngagementRule("medium", "visit", 2, where=lq.Prop("utm.medium").exists()),
            lq.EngagementRule("utm", "form", 3, where=lq.Prop("utm").exists()),
            lq.EngagementRule("plan", "visit", 1, where=lq.Prop("plan").is_in(["pro", "team"])),
            lq.EngagementRule("n", "form", 4, where=lq.Prop("n") >= 5, max_times=2),
            lq.EngagementRule("hot", "form", 5, where=lq.Prop("tags").contains("hot")),
            lq.EngagementRule("demo", "demo", 1),
        ],
        fit=[lq.FitRule("vp", lq.Attr("title") == "VP", 3)],
        grades=(("A", 15), ("B", 8)),
    ),
    stages=lq.StageMachine(
        [lq.Stage("A", 0), lq.Stage("B", 1), lq.Stage("C", 2)],
        [
            lq.Transition("A", "B", lq.ScoreAtLeast(10)),
            lq.Transition("B", "C", lq.EventSeen("demo")),
            lq.Transition("B", "A", ~lq.ScoreAtLeast(10)),
            lq.Transition("C", "A", auto=False),
        ],
    ),
)
PEOPLE = [lq.Lead("P-1", attributes={"title": "VP"}), lq.Lead("P-2"), lq.Lead("P-3")]
PROPS_STRUCT = (
    "struct<utm: struct<source: string, medium: string>, plan: string, n: bigint, "
    "tags: array<string>>"
)


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


def bag(
    source: str | None = None,
    medium: str | None = None,
    *,
    utm: bool = True,
    plan: str | None = None,
    n: int | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """One row's properties struct: every field there, null where not given."""
    nested = {"source": source, "medium": medium} if utm else None
    return {"utm": nested, "plan": plan, "n": n, "tags": tags}


#: (lead, type, hours after T0, id, properties struct or None)
STRUCT_ROWS: list[tuple[str, str, float, str | None, dict[str, Any] | None]] = [
    ("P-1", "visit", 0, "a1", bag("ads")),
    ("P-1", "visit", 1, "a2", bag(None, "cpc", plan="pro", tags=[])),
    ("P-1", "form", 2, "a3", bag(utm=False, n=5, tags=["hot", "x"])),
    ("P-1", "form", 3, None, None),
    ("P-1", "form", 4, "a5", bag(None, None, n=7)),
    ("P-1", "visit", 30, "a6", bag("ads", "cpc", plan="team")),
    ("P-1", "demo", 31, "a7", bag(utm=False)),
    ("P-1", "form", 200, "a8", bag("ads", n=9, tags=["cold", "hot"])),
    ("P-1", "visit", 900, "a9", bag("ads")),  # after P-1's as_of
    ("P-2", "form", 1, "b1", bag(None, None, n=9, tags=["cold", "hot"])),
    ("P-2", "form", 2, "b3", bag(utm=False, n=4, tags=["cold"])),
    ("P-2", "visit", 5, "b2", bag("ads", plan="free")),
]
MOMENTS_BY_LEAD = {"P-1": hours(400), "P-2": hours(3), "P-3": T0}


def struct_events(rows: list[Any]) -> list[lq.Event]:
    """The engine's events of struct rows: a null field is one the row lacks."""
    out = []
    for lead_id, kind, h, event_id, props in rows:
        kept = None if props is None else {k: v for k, v in props.items() if v is not None}
        out.append(lq.Event(lead_id, kind, at=hours(h), id=event_id, properties=kept or None))
    return out


def struct_frame(spark: Any, rows: list[Any], props: str, *, text_times: bool = False) -> Any:
    at = "string" if text_times else "timestamp"
    schema = f"lead_id string, type string, at {at}, id string, source string, properties {props}"
    data = [
        (lead_id, kind, hours(h).isoformat() if text_times else hours(h), event_id, None, p)
        for lead_id, kind, h, event_id, p in rows
    ]
    return spark.createDataFrame(data, schema)


def started(events: list[lq.Event], decisions: dict[str, list[Any]], lead_id: str) -> Any:
    """When a lead entered the funnel: its first event (even one after as_of) or decision."""
    moments = [e.at for e in events if e.lead_id == lead_id]
    moments += [d.at for d in decisions.get(lead_id, ())]
    return min(moments) if moments else None


def assert_whole(
    got: Any,
    want: dict[str, lq.Qualification],
    events: list[lq.Event],
    decisions: dict[str, list[Any]] | None = None,
) -> None:
    """``assert_same``, and the columns it leaves out: the score's parts and groups,
    ``started_at``, and the void decisions themselves."""
    assert_same(got, want)
    made = decisions or {}
    for row in got.collect():
        q = want[row["lead_id"]]
        for name in ("fit", "engagement", "adjustment"):
            assert math.isclose(row[name], getattr(q.score, name), abs_tol=1e-9), (name, row)
        for group, value in q.score.groups.items():
            assert math.isclose(row[f"group:{group}"], value, abs_tol=1e-9), (group, row)
        assert aware(row["started_at"]) == started(events, made, row["lead_id"]), row
        voided = [lq.Decision.from_dict(json.loads(v["decision"])) for v in row["void"]]
        assert voided == [d for d, _ in q.void]


def engine_at(
    ruleset: lq.RuleSet,
    people: list[lq.Lead],
    events: list[lq.Event],
    moments: dict[str, datetime],
    decisions: dict[str, list[Any]] | None = None,
) -> dict[str, lq.Qualification]:
    """The engine's qualifications, each lead at its own moment."""
    made = decisions or {}
    return {
        lead.id: engine_view(ruleset, [lead], events, moments[lead.id], made)[lead.id]
        for lead in people
    }


@PATHS
@pytest.mark.parametrize("text_times", [False, True], ids=["timestamps", "text times"])
def test_struct_properties_with_null_fields_and_nested_structs(
    spark: Any, path: tuple[int, int, int], text_times: bool
) -> None:
    events = struct_events(STRUCT_ROWS)
    want = engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD)
    assert want["P-1"].history  # the properties decide moves
    assert want["P-2"].history
    source = struct_frame(spark, STRUCT_ROWS, PROPS_STRUCT, text_times=text_times)
    with sizes(spark, *path):
        got = lqspark.qualify(PROPS_RULES, PEOPLE, source, as_of=MOMENTS_BY_LEAD)
        assert_whole(got, want, events)


JSON_TEXTS = [  # (lead, type, hours, properties as JSON text)
    ("P-1", "visit", 0, '{"utm": {"source": "ads", "medium": null}}'),
    ("P-1", "visit", 1, '{"plan": "pro", "utm": {"medium": "cpc"}, "tags": []}'),
    ("P-1", "form", 2, '{"n": 5.0, "tags": ["hot"], "utm": null}'),
    ("P-1", "form", 3, "null"),
    ("P-1", "form", 4, "   "),
    ("P-1", "form", 5, None),
    ("P-1", "form", 6, '{"n": "7", "utm": {}}'),
    ("P-1", "visit", 30, '{"utm": {"source": "ads"}, "plan": "team"}'),
    ("P-1", "demo", 31, "{}"),
    ("P-2", "form", 1, '{"n": 9, "tags": ["hot", 5, null]}'),
    ("P-2", "visit", 2, '{"utm": {"source": "ads"}, "utm.source": null}'),
]


@PATHS
def test_json_text_properties(spark: Any, path: tuple[int, int, int]) -> None:
    events = [
        lq.Event(
            lead_id,
            kind,
            at=hours(h),
            properties=json.loads(text) if text is not None and text.strip() else None,
        )
        for lead_id, kind, h, text in JSON_TEXTS
    ]
    want = engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD)
    assert want["P-1"].history
    rows = [(lead_id, kind, hours(h), text) for lead_id, kind, h, text in JSON_TEXTS]
    source = spark.createDataFrame(
        rows, "lead_id string, type string, at timestamp, properties string"
    )
    with sizes(spark, *path):
        got = lqspark.qualify(PROPS_RULES, PEOPLE, source, as_of=MOMENTS_BY_LEAD)
        assert_whole(got, want, events)


@PATHS
def test_no_properties_id_or_source_column(spark: Any, path: tuple[int, int, int]) -> None:
    rules = with_threshold(PROPS_RULES, 2)
    events = [lq.Event(lead_id, kind, at=hours(h)) for lead_id, kind, h, *_ in STRUCT_ROWS]
    want = engine_at(rules, PEOPLE, events, MOMENTS_BY_LEAD)
    assert want["P-1"].history
    rows = [(e.lead_id, e.type, e.at) for e in events]
    source = spark.createDataFrame(rows, "lead_id string, type string, at timestamp")
    with sizes(spark, *path):
        got = lqspark.qualify(rules, PEOPLE, source, as_of=MOMENTS_BY_LEAD)
        assert_whole(got, want, events)


def with_threshold(ruleset: lq.RuleSet, points: float) -> lq.RuleSet:
    """``ruleset`` with its A -> B move (and B -> A back) at ``points``."""
    machine = ruleset.stages
    moves = [
        lq.Transition("A", "B", lq.ScoreAtLeast(points)),
        *[t for t in machine.transitions if t.source != "A" and t.target != "A"],
        lq.Transition("B", "A", ~lq.ScoreAtLeast(points)),
        lq.Transition("C", "A", auto=False),
    ]
    return attrs.evolve(ruleset, stages=lq.StageMachine(list(machine.stages), moves))


@PATHS
def test_text_times_in_any_offset(spark: Any, path: tuple[int, int, int]) -> None:
    zones = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((5, 30), (-8, 0), (0, 0))]
    kinds = ["page_view", "email_click", "content_download", "demo_request", "webinar_attended"]
    events = [
        lq.Event(
            "L-1" if i % 3 else "L-2",
            kinds[i % 5],
            at=(T0 + timedelta(hours=13 * i, microseconds=i)).astimezone(zones[i % 3]),
            id=f"t{i}",
        )
        for i in range(14)
    ]
    people = [lq.Lead("L-1", attributes={"title": "CTO", "budget": 50_000}), lq.Lead("L-2")]
    as_of = T0 + timedelta(days=20)
    want = engine_view(lq.default_ruleset(), people, events, as_of, {})
    with sizes(spark, *path):
        got = lqspark.qualify(
            lq.default_ruleset(), people, frame(spark, events, text_times=True), as_of=as_of
        )
        assert_whole(got, want, events)


@PATHS
def test_an_event_delivered_twice_counts_once(spark: Any, path: tuple[int, int, int]) -> None:
    # copies: the same moment in another offset, one copy per lead beside the other's
    # rows (under the tiny sizes, the copies of P-1's events land in different batches)
    events = struct_events(STRUCT_ROWS)
    again = [
        lq.Event(
            e.lead_id,
            e.type,
            at=e.at.astimezone(timezone(timedelta(hours=-3))),
            id=e.id,
            properties=e.properties,
        )
        for e in events
        if e.id is not None
    ]
    want = engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD)
    assert engine_at(PROPS_RULES, PEOPLE, events + again, MOMENTS_BY_LEAD) == want
    rows = STRUCT_ROWS + [r for r in STRUCT_ROWS if r[3] is not None]
    with sizes(spark, *path):
        for source in (
            struct_frame(spark, rows, PROPS_STRUCT),
            frame(spark, events + again),  # the properties as JSON text
        ):
            got = lqspark.qualify(PROPS_RULES, PEOPLE, source, as_of=MOMENTS_BY_LEAD)
            assert_whole(got, want, events)


@PATHS
def test_two_events_under_one_id_are_refused(spark: Any, path: tuple[int, int, int]) -> None:
    events = struct_events(STRUCT_ROWS)
    other = lq.Event("P-1", "form", at=hours(500), id="a3")  # a3 is another event of P-1
    with pytest.raises(DuplicateEventError):
        engine_at(PROPS_RULES, PEOPLE, [*events, other], MOMENTS_BY_LEAD)
    with sizes(spark, *path), pytest.raises(Exception, match="DuplicateEventError"):
        lqspark.qualify(
            PROPS_RULES, PEOPLE, frame(spark, [*events, other]), as_of=MOMENTS_BY_LEAD
        ).collect()


@PATHS
def test_decisions_events_after_as_of_and_leads_with_nothing(
    spark: Any, path: tuple[int, int, int]
) -> None:
    ruleset = lq.default_ruleset()
    kinds = ["page_view", "email_click", "demo_request", "content_download", "pricing_inquiry"]
    events = [
        *(  # D-4: many events, its moment among them
            lq.Event("D-4", kinds[i % 5], at=T0 + timedelta(hours=9 * i), id=f"d4-{i}")
            for i in range(12)
        ),
        *(  # D-3: every event after its moment
            lq.Event("D-3", kinds[i % 5], at=T0 + timedelta(days=40 + i)) for i in range(5)
        ),
        lq.Event("D-5", "demo_request", at=T0 + timedelta(days=2)),
    ]
    decisions = {
        "D-1": [  # decisions only: one of them cannot apply
            lq.Decision("DISQUALIFIED", T0 + timedelta(days=1), "no budget"),
            lq.Decision("NURTURE", T0 + timedelta(days=2), "came back"),
            lq.Decision("CUSTOMER", T0 + timedelta(days=3), "not from nurture"),
            lq.Decision("MQL", T0 + timedelta(days=90), "after its moment"),
        ],
        "D-3": [
            lq.Decision("DISQUALIFIED", T0 + timedelta(days=3), "spam"),
            lq.Decision("NURTURE", T0 + timedelta(days=60), "after its moment"),
        ],
        "D-4": [
            lq.Decision("OPPORTUNITY", T0 + timedelta(hours=20), "too early"),
            lq.Decision("DISQUALIFIED", T0 + timedelta(hours=50), "lost"),
            lq.Decision("NURTURE", T0 + timedelta(hours=51), "recycled"),
        ],
    }
    people = [
        lq.Lead("D-1"),
        lq.Lead("D-2"),  # no event, no decision
        lq.Lead("D-3", attributes={"title": "CEO"}),
        lq.Lead("D-4", attributes={"title": "VP Sales", "budget": 20_000}),
        lq.Lead("D-5"),  # its only event after its moment
    ]
    moments = {
        "D-1": T0 + timedelta(days=30),
        "D-2": T0 + timedelta(days=30),
        "D-3": T0 + timedelta(days=30),
        "D-4": T0 + timedelta(hours=60),
        "D-5": T0 + timedelta(days=1),
    }
    want = engine_at(ruleset, people, events, moments, decisions)
    assert want["D-1"].void
    assert want["D-4"].history
    assert want["D-3"].stage == "DISQUALIFIED"
    with sizes(spark, *path):
        got = lqspark.qualify(
            ruleset, people, frame(spark, events), as_of=moments, decisions=decisions
        )
        assert_whole(got, want, events, decisions)


@PATHS
def test_struct_fields_no_rule_reads_are_left_alone(spark: Any, path: tuple[int, int, int]) -> None:
    """A decimal and a timestamp in the properties struct that no rule reads (as a Parquet
    file's struct may hold): ignored, as ``spark.score`` and the Polars backend ignore
    them, whichever path a lead takes."""
    from decimal import Decimal

    rows = [
        (lead_id, kind, h, event_id, {**p, "price": Decimal("9.99"), "seen": hours(h)})
        if p is not None
        else (lead_id, kind, h, event_id, p)
        for lead_id, kind, h, event_id, p in STRUCT_ROWS
    ]
    props = PROPS_STRUCT[:-1] + ", price: decimal(10,2), seen: timestamp>"
    events = struct_events(STRUCT_ROWS)
    want = engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD)
    with sizes(spark, *path):
        got = lqspark.qualify(
            PROPS_RULES, PEOPLE, struct_frame(spark, rows, props), as_of=MOMENTS_BY_LEAD
        )
        assert_whole(got, want, events)


@PATHS
def test_a_null_dotted_field_beside_the_nested_path(spark: Any, path: tuple[int, int, int]) -> None:
    """A struct with a field named ``utm.source`` and a nested ``utm.source``: where the
    dotted field is null, the row lacks it (as ``event_from`` reads a struct), and the
    rule reads the nested one, as the engine's ``lookup`` does."""
    rows = [
        ("P-1", "visit", 0, "x1", {"utm.source": None, "utm": {"source": "ads"}}),
        ("P-1", "visit", 1, "x2", {"utm.source": "ads", "utm": {"source": "mail"}}),
        ("P-1", "visit", 2, "x3", {"utm.source": "mail", "utm": None}),
        ("P-2", "visit", 0, "y1", {"utm.source": None, "utm": {"source": "ads"}}),
    ]
    props = "struct<`utm.source`: string, utm: struct<source: string>>"
    events = struct_events(rows)
    want = engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD)
    assert want["P-2"].score.engagement > 5  # the nested source: "ads"
    with sizes(spark, *path):
        got = lqspark.qualify(
            PROPS_RULES, PEOPLE, struct_frame(spark, rows, props), as_of=MOMENTS_BY_LEAD
        )
        assert_whole(got, want, events)


DOTTED_ROWS = [
    ("P-1", "visit", 0, "x1", {"utm.source": None, "utm": {"source": "ads"}}),
    ("P-1", "visit", 1, "x2", {"utm.source": "ads", "utm": {"source": "mail"}}),
    ("P-1", "visit", 2, "x3", {"utm.source": "mail", "utm": None}),
    ("P-2", "visit", 0, "y1", {"utm.source": None, "utm": {"source": "ads"}}),
]


def test_score_reads_a_null_dotted_field_as_the_nested_path(spark: Any) -> None:
    """``spark.score`` and ``batch.score`` read a struct as the engine reads its events: a
    null ``utm.source`` field is absent, so the nested ``utm.source`` counts."""
    import polars as pl

    from leadqual import batch

    props = "struct<`utm.source`: string, utm: struct<source: string>>"
    model = PROPS_RULES.model
    events = struct_events(DOTTED_ROWS)
    want = {
        q.lead.id: q.score.total
        for q in engine_at(PROPS_RULES, PEOPLE, events, MOMENTS_BY_LEAD).values()
    }
    assert want["P-2"] > 5
    got = lqspark.score(
        model, PEOPLE, struct_frame(spark, DOTTED_ROWS, props), as_of=MOMENTS_BY_LEAD
    )
    totals = {row["lead_id"]: row["total"] for row in got.collect()}
    assert totals == pytest.approx(want, abs=1e-9)
    table = pl.DataFrame(
        {
            "lead_id": [r[0] for r in DOTTED_ROWS],
            "type": [r[1] for r in DOTTED_ROWS],
            "at": [hours(r[2]) for r in DOTTED_ROWS],
            "id": [r[3] for r in DOTTED_ROWS],
            "properties": [r[4] for r in DOTTED_ROWS],
        },
        schema_overrides={
            "properties": pl.Struct(
                {"utm.source": pl.String, "utm": pl.Struct({"source": pl.String})}
            )
        },
    )
    polars_totals = batch.score(model, PEOPLE, table, as_of=MOMENTS_BY_LEAD)
    assert dict(polars_totals.select("lead_id", "total").iter_rows()) == pytest.approx(
        want, abs=1e-9
    )


def test_a_dotted_field_beside_a_nested_path_of_another_type_is_refused(spark: Any) -> None:
    rows = [("P-1", "visit", 0, "x1", {"utm.source": None, "utm": {"source": 5}})]
    props = "struct<`utm.source`: string, utm: struct<source: bigint>>"
    with pytest.raises(lq.ValidationError, match=r"properties\.utm\.source.*another type"):
        lqspark.score(
            PROPS_RULES.model, PEOPLE, struct_frame(spark, rows, props), as_of=MOMENTS_BY_LEAD
        )


# --- the worker's chunks, without Spark ------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: leads A..G: how many events each has (C none); with a chunk of 4 rows and a skew of 6,
#: B, D, E and G (10, 9, 8 and 10 rows with their markers) stream through the engine
COUNTS = {"A": 2, "B": 9, "C": 0, "D": 8, "E": 7, "F": 1, "G": 9}
#: where each lead's rows start in the partition (43 rows)
STARTS = {"A": 0, "B": 3, "C": 13, "D": 14, "E": 23, "F": 31, "G": 33}
WORKER_KINDS = ["page_view", "email_click", "demo_request", "content_download", "pricing_inquiry"]
WORKER_EVENTS = [
    lq.Event(
        lead_id,
        WORKER_KINDS[(i + n) % 5],
        at=T0 + timedelta(hours=11 * i + n),
        id=f"{lead_id}{i}",
        properties={"url": f"/p/{i}"} if i % 2 else None,
    )
    for n, (lead_id, count) in enumerate(COUNTS.items())
    for i in range(count)
]
WORKER_PEOPLE = [
    lq.Lead(lead_id, attributes={"title": "VP Sales", "budget": 50_000} if n % 2 else {})
    for n, lead_id in enumerate(COUNTS)
]
WORKER_MOMENTS = {  # B's and G's moments among their events
    lead_id: T0 + timedelta(hours=40 if lead_id in "BG" else 200) for lead_id in COUNTS
}
WORKER_DECISIONS = {
    "B": [
        lq.Decision("DISQUALIFIED", T0 + timedelta(hours=12), "lost"),
        lq.Decision("NURTURE", T0 + timedelta(hours=30), "recycled"),
        lq.Decision("CUSTOMER", T0 + timedelta(hours=31), "refused"),
    ],
    "C": [lq.Decision("DISQUALIFIED", T0, "spam"), lq.Decision("SQL", T0, "refused")],
    "E": [lq.Decision("MQL", T0 + timedelta(hours=500), "after its moment")],
}
_PARTITION = (
    ("lead_id", "string"),
    ("type", "string"),
    ("id", "string"),
    ("source", "string"),
    ("_us", "int64"),
    ("_props", "string"),
    ("_m", "int32"),
)


def partition(people: list[lq.Lead], events: list[lq.Event]) -> Any:
    """The rows a worker gets, as ``qualify`` sorts them: by lead, its marker first,
    then by time; properties as JSON text."""
    import pyarrow as pa

    from leadqual.jsonvalues import thaw

    columns: dict[str, list[Any]] = {name: [] for name, _ in _PARTITION}
    for lead in sorted(people, key=lambda lead: lead.id):
        mine = sorted((e for e in events if e.lead_id == lead.id), key=lambda e: e.at)
        for e in [None, *mine]:
            columns["lead_id"].append(lead.id)
            columns["type"].append(None if e is None else e.type)
            columns["id"].append(None if e is None else e.id)
            columns["source"].append(None if e is None else e.source)
            columns["_us"].append(None if e is None else (e.at - _EPOCH) // timedelta(0, 0, 1))
            props = None if e is None or not e.properties else json.dumps(thaw(e.properties))
            columns["_props"].append(props)
            columns["_m"].append(1 if e is None else 0)
    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in _PARTITION])
    return pa.RecordBatch.from_pydict(columns, schema=schema)


def run_worker(
    cuts: list[int],
    *,
    chunk: int,
    skew: int,
    events: list[lq.Event] = WORKER_EVENTS,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The partition of WORKER_PEOPLE fed to ``_Chunks`` in batches of ``cuts`` rows
    (zero included), its invariants checked after each batch: the rows it holds stay
    under ``skew`` and belong to leads not yet out, a streaming lead holds none, every
    lead comes out once. Returns the rows by lead (through the Arrow schema of the
    result, as ``_walk`` yields them) and the leads streamed, in order."""
    import pyarrow as pa

    from leadqual.rulesets.files import dumps

    ruleset = lq.default_ruleset()
    batch = partition(WORKER_PEOPLE, events)
    assert sum(cuts) == batch.num_rows
    groups = tuple(ruleset.model.groups())  # type: ignore[attr-defined]
    data = {
        "rules": dumps(ruleset, "json"),
        "leads": {lead.id: lead.to_dict() for lead in WORKER_PEOPLE},
        "decisions": {k: [d.to_dict() for d in ds] for k, ds in WORKER_DECISIONS.items()},
        "moments": {k: m.isoformat() for k, m in WORKER_MOMENTS.items()},
        "props": [],
    }
    schema = _qualify._arrow(_qualify._schema(list(groups)))
    chunks = _qualify._Chunks(data, groups, chunk=chunk, skew=skew)
    out: list[dict[str, Any]] = []
    streamed: list[str] = []

    def take(results: Iterator[list[dict[str, Any]]]) -> None:
        for rows in results:
            assert rows  # never an empty batch of results
            out.extend(pa.RecordBatch.from_pylist(rows, schema=schema).to_pylist())

    at = 0
    for n in cuts:
        take(chunks.feed(batch.slice(at, n)))
        at += n
        done = {row["lead_id"] for row in out}
        assert chunks.rows <= skew
        assert chunks.rows == sum(part.num_rows for part in chunks.pending)
        held = {i for part in chunks.pending for i in part.column("lead_id").to_pylist()}
        assert not held & done, (held, done)
        if chunks.streaming is not None:
            assert chunks.rows == 0
            assert chunks.streaming.lead_id not in done
            if chunks.streaming.lead_id not in streamed:
                streamed.append(chunks.streaming.lead_id)
    take(chunks.finish())
    ids = [row["lead_id"] for row in out]
    assert sorted(ids) == sorted(COUNTS)  # each lead once
    return {row["lead_id"]: row for row in out}, streamed


WORKER_WANT = {
    lead.id: engine_view(
        lq.default_ruleset(), [lead], WORKER_EVENTS, WORKER_MOMENTS[lead.id], WORKER_DECISIONS
    )[lead.id]
    for lead in WORKER_PEOPLE
}


def assert_engine_rows(rows: dict[str, dict[str, Any]]) -> None:
    for lead_id, q in WORKER_WANT.items():
        row = rows[lead_id]
        assert row["stage"] == q.stage, (lead_id, row)
        assert tuple(lq.TransitionRecord(**r) for r in row["transitions"]) == q.history
        assert row["entered_at"] == (q.history[-1].at if q.history else None)
        assert_score_and_verdict(row, q)
        for name in ("fit", "engagement", "adjustment"):
            assert math.isclose(row[name], getattr(q.score, name), abs_tol=1e-9)
        assert row["started_at"] == started(WORKER_EVENTS, WORKER_DECISIONS, lead_id)
        assert [v["reason"] for v in row["void"]] == [why for _, why in q.void]


def test_the_worker_scenarios_are_what_they_say() -> None:
    assert WORKER_WANT["B"].void
    assert WORKER_WANT["C"].void
    assert any(q.history for lead_id, q in WORKER_WANT.items() if lead_id in "DEG")
    batch = partition(WORKER_PEOPLE, WORKER_EVENTS)
    ids = batch.column("lead_id").to_pylist()
    assert {lead_id: ids.index(lead_id) for lead_id in COUNTS} == STARTS
    assert batch.num_rows == 43


@pytest.mark.parametrize(
    ("cuts", "streamed"),
    [
        # each lead its own batch: B ends exactly at a batch edge, E (huge) follows D
        # (huge) at a batch edge, G streams to the end of the partition
        ([3, 10, 1, 9, 8, 2, 10], ["B", "D", "E", "G"]),
        # D ends one row into a batch that holds all of E: E streams right after D
        ([3, 10, 1, 8, 9, 2, 10], ["B", "D", "E", "G"]),
        # D's end, E and F's start in one batch: E is gathered whole with F's start held
        ([3, 10, 1, 8, 10, 1, 10], ["B", "D", "G"]),
        # empty batches: first, between leads, while a lead streams, last
        ([0, 3, 0, 5, 0, 5, 0, 0, 1, 9, 0, 8, 0, 2, 4, 0, 6, 0], ["B", "D", "E", "G"]),
        ([43], ["G"]),  # one batch: all gathered but the last lead, held as the tail
        ([1] * 43, ["B", "D", "E", "G"]),
        ([2] * 21 + [1], ["B", "D", "E", "G"]),
        # B ends inside the batch after the one it starts in: gathered whole (10 rows)
        ([7] * 6 + [1], ["D", "G"]),
    ],
)
def test_chunks_keep_leads_whole_and_stream_the_large_ones(
    cuts: list[int], streamed: list[str]
) -> None:
    rows, got = run_worker(cuts, chunk=4, skew=6)
    assert got == streamed
    assert_engine_rows(rows)


@pytest.mark.parametrize(("chunk", "skew"), [(1, 1), (2, 3), (5, 5), (9, 10), (43, 43)])
@pytest.mark.parametrize("size", [1, 3, 10])
def test_chunks_of_any_size_give_the_engines_rows(chunk: int, skew: int, size: int) -> None:
    cuts = [size] * (43 // size) + ([43 % size] if 43 % size else [])
    rows, streamed = run_worker(cuts, chunk=chunk, skew=skew)
    large = {k for k, n in COUNTS.items() if n + 1 > skew}
    assert set(streamed) <= large  # a large lead ending in its batch is gathered whole
    if size == 1:
        assert set(streamed) == large
    assert_engine_rows(rows)


def test_an_id_delivered_twice_across_a_batch_edge_counts_once() -> None:
    """A copy of an event in the next batch, in a lead gathered (A) and in one streaming
    (B); two different events under one id raise on both paths."""
    first_a = next(e for e in WORKER_EVENTS if e.lead_id == "A")
    late_b = [e for e in WORKER_EVENTS if e.lead_id == "B"][7]
    copies = [attrs.evolve(first_a), attrs.evolve(late_b)]
    cuts = [2] * 6 + [1] + [2] * 16  # A0 | its copy; B7 | its copy
    batch = partition(WORKER_PEOPLE, [*WORKER_EVENTS, *copies])
    ids = batch.column("id").to_pylist()
    assert (ids[1], ids[2], ids[12], ids[13]) == ("A0", "A0", "B7", "B7")
    rows, streamed = run_worker(cuts, chunk=4, skew=6, events=[*WORKER_EVENTS, *copies])
    assert "B" in streamed
    assert_engine_rows(rows)
    for first in copies:
        other = attrs.evolve(first, type="webinar_attended")
        with pytest.raises(DuplicateEventError):
            run_worker([2] * 22, chunk=4, skew=6, events=[*WORKER_EVENTS, other])
