"""``leadqual.spark.score`` on a real local Spark against the Python engine (the oracle):
generated models, leads and event streams, then the cases the generators reach rarely."""

from __future__ import annotations

import json
import math
import os
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

import leadqual as lq
from batch_data import LEAD_IDS, MOMENTS, START, streams
from leadqual import spark as lqspark
from leadqual.errors import DuplicateEventError, NotLowerable, UnknownLeadsWarning
from leadqual.jsonvalues import thaw
from leadqual.testing import leads, points_models

AT = datetime(2026, 11, 30, tzinfo=timezone.utc)
SCHEMA = "lead_id string, type string, at timestamp, id string, source string, properties string"


def frame(spark: Any, events: list[lq.Event], *, text_times: bool = False) -> Any:
    """The events as a Spark DataFrame, properties as JSON text."""
    rows = [
        (
            e.lead_id,
            e.type,
            e.at.isoformat() if text_times else e.at,
            e.id,
            e.source,
            json.dumps(thaw(e.properties)) if e.properties else None,
        )
        for e in events
    ]
    schema = SCHEMA.replace("at timestamp", "at string") if text_times else SCHEMA
    return spark.createDataFrame(rows, schema)


def engine_totals(
    model: lq.PointsModel, lead_list: list[lq.Lead], events: list[lq.Event], as_of: Any
) -> dict[str, lq.Score]:
    def moment(lead_id: str) -> datetime:
        return as_of[lead_id] if isinstance(as_of, dict) else as_of

    return {
        lead.id: model.score(
            lead, [e for e in events if e.lead_id == lead.id], as_of=moment(lead.id)
        )
        for lead in lead_list
    }


def assert_same(got: Any, want: dict[str, lq.Score], model: lq.PointsModel) -> None:
    rows = {row["lead_id"]: row for row in got.collect()}
    assert sorted(rows) == sorted(want)
    for lead_id, score in want.items():
        row = rows[lead_id]
        for name in ("total", "fit", "engagement", "adjustment"):
            assert math.isclose(row[name], getattr(score, name), abs_tol=1e-9), (name, row, score)
        assert row["grade"] == score.grade
        for group in model.groups():
            assert math.isclose(row[f"group:{group}"], score.groups[group], abs_tol=1e-9)


@st.composite
def lead_sets(draw: st.DrawFn) -> list[lq.Lead]:
    ids = draw(st.lists(st.sampled_from(LEAD_IDS), min_size=1, max_size=3, unique=True))
    return [draw(leads(ids=[lead_id])) for lead_id in ids]


# each example runs a few Spark jobs (about 2 s): a dozen in the suite's run, more with
# LEADQUAL_SPARK_EXAMPLES=200 when hunting a difference
@settings(
    max_examples=int(os.environ.get("LEADQUAL_SPARK_EXAMPLES", "12")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(points_models(), lead_sets(), streams(), MOMENTS)
def test_scores_equal_the_engine(
    spark: Any,
    model: lq.PointsModel,
    lead_list: list[lq.Lead],
    events: list[lq.Event],
    as_of: datetime,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        try:
            got = lqspark.score(model, lead_list, frame(spark, events), as_of=as_of)
        except DuplicateEventError:
            # the engine refuses the same stream: two different events under one id
            with pytest.raises(DuplicateEventError):
                engine_totals(model, lead_list, events, as_of)
            return
    want = engine_totals(model, lead_list, events, as_of)
    assert_same(got, want, model)
    keys = [(e.lead_id, e.id) for e in events if e.id is not None]
    if len(keys) == len(set(keys)):  # no id repeats: vouching for them changes nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownLeadsWarning)
            trusted = lqspark.score(
                model, lead_list, frame(spark, events), as_of=as_of, unique_ids=True
            )
        assert_same(trusted, want, model)


def event(lead_id: str, kind: str, at: datetime, **kw: Any) -> lq.Event:
    return lq.Event(lead_id, kind, at=at, **kw)


CAPPED = lq.PointsModel(
    engagement=[
        lq.EngagementRule("views", "page_view", 2, max_per_day=2, max_times=3),
        lq.EngagementRule(
            "pricing", "page_view", 10, where=lq.Prop("url").startswith("/pricing"), max_times=1
        ),
        lq.EngagementRule(
            "recent", "form", 30, decay=lq.HalfLife(days=7), within=timedelta(days=20)
        ),
        lq.EngagementRule("n", "form", 5, where=lq.Prop("n") == 5),
    ],
    fit=[lq.FitRule("vp", lq.Attr("title").matches(r"(?i)\bvp\b"), 15)],
    grades=(("A", 15),),
)


def test_caps_days_and_moments_per_lead_under_another_time_zone(spark: Any) -> None:
    # 23:30 and 00:30 UTC are one day in New York, two in UTC: the caps count UTC days
    base = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
    events = [
        *(event("L-1", "page_view", base + timedelta(minutes=m)) for m in (0, 10, 20)),
        *(event("L-1", "page_view", base + timedelta(hours=1, minutes=m)) for m in (0, 5)),
        event("L-1", "page_view", base, properties={"url": "/pricing/team"}, id="p1"),
        event("L-1", "page_view", base + timedelta(hours=1), properties={"url": "/pricing"}),
        event("L-2", "form", base - timedelta(days=3), properties={"n": 5}),
        event("L-2", "form", base - timedelta(days=30), properties={"n": "5"}),
        event("L-2", "form", AT + timedelta(days=1), properties={"n": 5}),  # after as_of
    ]
    people = [lq.Lead("L-1", attributes={"title": "VP Sales"}), lq.Lead("L-2"), lq.Lead("L-3")]
    moments = {"L-1": AT, "L-2": AT, "L-3": AT - timedelta(days=400)}
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        for source in (frame(spark, events), frame(spark, events, text_times=True)):
            got = lqspark.score(CAPPED, people, source, as_of=moments)
            assert_same(got, engine_totals(CAPPED, people, events, moments), CAPPED)
        table = spark.createDataFrame(list(moments.items()), "lead_id string, as_of timestamp")
        got = lqspark.score(CAPPED, people, frame(spark, events), as_of=table)
        assert_same(got, engine_totals(CAPPED, people, events, moments), CAPPED)
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)


def test_struct_properties_keep_their_kinds(spark: Any) -> None:
    rows = [
        ("L-1", "form", AT - timedelta(days=1), None, None, {"n": 5, "url": "/pricing"}),
        ("L-1", "form", AT - timedelta(days=2), None, None, {"n": None, "url": None}),
        ("L-2", "form", AT - timedelta(days=1), None, None, None),
    ]
    schema = (
        "lead_id string, type string, at timestamp, id string, source string, "
        "properties struct<n: bigint, url: string>"
    )
    got = lqspark.score(
        CAPPED, [lq.Lead("L-1"), lq.Lead("L-2")], spark.createDataFrame(rows, schema), as_of=AT
    )
    events = [
        event("L-1", "form", AT - timedelta(days=1), properties={"n": 5, "url": "/pricing"}),
        event("L-1", "form", AT - timedelta(days=2)),
        event("L-2", "form", AT - timedelta(days=1)),
    ]
    people = [lq.Lead("L-1"), lq.Lead("L-2")]
    assert_same(got, engine_totals(CAPPED, people, events, AT), CAPPED)


def test_ids_count_once_and_conflicts_raise_as_in_the_engine(spark: Any) -> None:
    at = AT - timedelta(days=1)
    copy = event("L-1", "form", at, id="e1", properties={"n": 5})
    again = event("L-1", "form", at.astimezone(timezone(timedelta(hours=2))), id="e1")
    again = lq.Event("L-1", "form", at=again.at, id="e1", properties={"n": 5})
    got = lqspark.score(CAPPED, [lq.Lead("L-1")], frame(spark, [copy, again]), as_of=AT)
    assert_same(got, engine_totals(CAPPED, [lq.Lead("L-1")], [copy], AT), CAPPED)
    other = lq.Event("L-1", "form", at=at, id="e1", properties={"n": 6})
    with pytest.raises(DuplicateEventError):
        lqspark.score(CAPPED, [lq.Lead("L-1")], frame(spark, [copy, other]), as_of=AT)


def test_unique_ids_skips_the_id_check(spark: Any) -> None:
    """``unique_ids=True``: the caller vouches for the ids, so none is checked: distinct
    ids score as the engine scores them; a copy, which the check would drop, counts twice."""
    at = AT - timedelta(days=1)
    one = event("L-1", "form", at, id="e1", properties={"n": 5})
    two = event("L-1", "form", at - timedelta(hours=3), id="e2", properties={"n": 5})
    people = [lq.Lead("L-1")]
    got = lqspark.score(CAPPED, people, frame(spark, [one, two]), as_of=AT, unique_ids=True)
    assert_same(got, engine_totals(CAPPED, people, [one, two], AT), CAPPED)
    copies = frame(spark, [one, one])
    trusted = lqspark.score(CAPPED, people, copies, as_of=AT, unique_ids=True).collect()
    checked = lqspark.score(CAPPED, people, copies, as_of=AT).collect()
    once = engine_totals(CAPPED, people, [one], AT)["L-1"].engagement
    assert checked[0]["engagement"] == pytest.approx(once, abs=1e-9)
    assert trusted[0]["engagement"] == pytest.approx(2 * once, abs=1e-9)


def test_events_of_unknown_leads_are_counted_and_reported(spark: Any) -> None:
    events = [event("L-9", "form", AT - timedelta(days=1)), event("L-1", "form", AT)]
    with pytest.warns(UnknownLeadsWarning) as caught:
        got = lqspark.score(CAPPED, [lq.Lead("L-1")], frame(spark, events), as_of=AT)
    assert (caught[0].message.events, caught[0].message.examples) == (1, ("L-9",))  # type: ignore[union-attr]
    assert_same(got, engine_totals(CAPPED, [lq.Lead("L-1")], events, AT), CAPPED)
    with pytest.raises(lq.ValidationError, match="1 event"):
        lqspark.score(
            CAPPED, [lq.Lead("L-1")], frame(spark, events), as_of=AT, unknown_leads="raise"
        )


def test_what_does_not_lower_is_refused_and_bad_input_named(spark: Any) -> None:
    class Doubled(lq.HalfLife):
        pass

    odd = lq.PointsModel(engagement=[lq.EngagementRule("x", "form", 1, decay=Doubled(days=1))])
    assert lqspark.lowerable(odd)
    with pytest.raises(NotLowerable):
        lqspark.score(odd, [lq.Lead("L-1")], frame(spark, []), as_of=AT)
    no_at = spark.createDataFrame([("L-1", "form")], "lead_id string, type string")
    with pytest.raises(lq.ValidationError, match=r"events\.at: no column holds"):
        lqspark.score(CAPPED, [lq.Lead("L-1")], no_at, as_of=AT)
    with pytest.raises(lq.ValidationError, match="Spark DataFrame"):
        lqspark.score(CAPPED, [lq.Lead("L-1")], [], as_of=AT)
    assert lqspark.lowerable(lq.default_ruleset()) == []


def test_the_default_model_on_the_samples(spark: Any) -> None:
    events = list(lq.samples.sample_events())
    people = list(lq.samples.sample_leads())
    model = lq.default_model()
    as_of = START.replace(year=2027)
    got = lqspark.score(model, people, frame(spark, events), as_of=as_of)
    assert_same(got, engine_totals(model, people, events, as_of), model)


def test_leads_as_a_table_and_events_from_parquet(spark: Any, tmp_path: Any) -> None:
    events = [
        event("L-1", "form", AT - timedelta(days=1), properties={"n": 5}),
        event("L-1", "page_view", AT - timedelta(hours=2), properties={"url": "/pricing"}),
        event("L-2", "form", AT - timedelta(days=2)),
    ]
    people = [lq.Lead("L-1", attributes={"title": "VP Sales"}), lq.Lead("L-2")]
    path = str(tmp_path / "events.parquet")
    frame(spark, events).write.parquet(path)
    table = spark.createDataFrame(
        [("L-1", None, '{"title": "VP Sales"}'), ("L-2", "x@example.com", None)],
        "id string, email string, attributes string",
    )
    got = lqspark.score(CAPPED, table, path, as_of=AT)
    assert_same(got, engine_totals(CAPPED, people, events, AT), CAPPED)
    assert lqspark.lowerable(CAPPED, backend="spark") == []
    with pytest.raises(lq.ValidationError, match="'polars' or 'spark'"):
        lqspark.lowerable(CAPPED, backend="duckdb")


def test_columns_map_and_extra_columns_are_properties(spark: Any) -> None:
    at = AT - timedelta(days=1)
    export = spark.createDataFrame(
        [("L-1", "form", at, 5, "ads", None), ("L-2", "page_view", at, None, None, "/pricing")],
        "user string, event string, when timestamp, n bigint, `utm.source` string, url string",
    )
    columns = {"user": "lead_id", "event": "type", "when": "at"}
    events = [
        event("L-1", "form", at, properties={"n": 5, "utm": {"source": "ads"}}),
        event("L-2", "page_view", at, properties={"url": "/pricing"}),
    ]
    people = [lq.Lead("L-1"), lq.Lead("L-2")]
    got = lqspark.score(CAPPED, people, export, as_of=AT, columns=columns)
    assert_same(got, engine_totals(CAPPED, people, events, AT), CAPPED)
    # a struct of properties beside other columns: merged, unless both hold one property
    merged = export.withColumn("properties", F.struct(F.lit("x").alias("plan")))
    got = lqspark.score(CAPPED, people, merged, as_of=AT, columns=columns)
    assert_same(got, engine_totals(CAPPED, people, events, AT), CAPPED)
    clash = export.withColumn("properties", F.struct(F.lit(1).alias("n")))
    with pytest.raises(lq.ValidationError, match="one place"):
        lqspark.score(CAPPED, people, clash, as_of=AT, columns=columns)
    text = export.withColumn("properties", F.lit("{}"))
    with pytest.raises(lq.ValidationError, match="one place"):
        lqspark.score(CAPPED, people, text, as_of=AT, columns=columns)
    with pytest.raises(lq.ValidationError, match="unknown field"):
        lqspark.score(CAPPED, people, export, as_of=AT, columns={"user": "owner"})
