"""``leadqual.spark.score``: every lead's score as a Spark DataFrame.

The same lowering as the Polars backend (:mod:`leadqual.batch`), in Spark SQL: per
engagement rule, the events of its type at or before ``as_of`` matching its ``where``
(each distinct value a comparison reads tested in Python by the engine's own code, the
rows then matched with ``isin``), ``within`` as a filter, ``max_per_day`` (UTC days) and
``max_times`` as the most recent N by ``row_number`` windows over those rules' events
only, every other rule a sum Spark adds up before its shuffle, decay as arithmetic per
event, ``max_points`` on the sum; then per lead the fit (Python, once per distinct
combination of the attributes its rules read), group caps, bounds and the grade.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import reduce
from typing import Any, Literal

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from leadqual._fields import DAY
from leadqual._kinds import encode, value_of
from leadqual._lowering import (
    fields_read,
    fit_values,
    moment_per_lead,
    points_model,
    unique_leads,
)
from leadqual.conditions import AllOf, AnyOf, Compare, Condition, Not, _getter, value_test
from leadqual.errors import DuplicateEventError, NotLowerable, UnknownLeadsWarning, ValidationError
from leadqual.jsonvalues import MISSING
from leadqual.leads import Lead
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.decay import Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel
from leadqual.spark._events import SparkEvents, leads_of, spark_events

__all__ = ["score"]

UnknownLeads = Literal["warn", "raise", "ignore"]
#: When to score: one moment, a moment per lead id, or a Spark DataFrame of them.
AsOf = datetime | Mapping[str, datetime] | DataFrame


def score(
    target: RuleSet | PointsModel,
    leads: Iterable[Lead] | DataFrame,
    events: DataFrame | str | os.PathLike[str],
    *,
    as_of: AsOf,
    unknown_leads: UnknownLeads = "warn",
    columns: Mapping[str, str] | None = None,
    unique_ids: bool = False,
) -> DataFrame:
    """Every lead's score at ``as_of`` as a Spark DataFrame: ``lead_id``, ``total``,
    ``fit``, ``engagement``, ``adjustment``, ``grade`` and ``group:<name>`` for each group
    the model names (one row per lead; Spark keeps no row order: sort by ``lead_id`` to
    compare). Equal to :meth:`PointsModel.score` within 1e-9, as ``leadqual.batch.score``.

    ``events``: a Spark DataFrame (see :mod:`leadqual.spark._events`) or a Parquet path;
    ``columns`` maps its columns to fields and properties, as ``leadqual.io`` maps a CSV
    file's (every column not a field is a property). ``as_of``: one
    timezone-aware moment, a mapping of every lead id to its moment, or a Spark
    DataFrame of ``lead_id`` and ``as_of`` (a timestamp). A lead's events and the check
    of their ids run as Spark jobs before this returns (the ids that repeat, and the
    distinct values the conditions compare, are read back); the scores themselves are
    computed when the frame is. ``unique_ids=True`` says each (lead, id) appears once (a
    table deduplicated upstream): the id check, a shuffle of every event's id and about
    half of the time at 10M events on two cores, is skipped, and a repeated id would
    count twice.
    """
    model = points_model(target)
    if unknown_leads not in ("warn", "raise", "ignore"):
        raise ValidationError(
            "unknown_leads", unknown_leads, "expected 'warn', 'raise' or 'ignore'"
        )
    by_id = unique_leads(leads_of(leads))
    props, attributes = fields_read(model)
    table = spark_events(events, props, columns)  # refuses anything but a Spark DataFrame
    session = table.frame.sparkSession
    counted = sorted(model.event_types())
    frame = table.frame.filter(F.col("type").isin(counted)) if counted else table.frame.limit(0)
    lead_frame = _lead_frame(session, model, by_id, attributes, as_of)
    read = {part.field for part in _compares(model) if part.source == "prop"}
    compared = [c for name, c in zip(props, table.columns, strict=True) if name in read]
    values = _survey(frame, lead_frame, unknown_leads, compared)
    if not unique_ids:
        frame = _once_per_id(frame)
    for i, name in enumerate(attributes):  # the leads' attributes: known here already
        get = _getter("attr", name)
        values[f"_a{i}"] = sorted({encode(get(lead, None)) for lead in by_id.values()})
    frame = frame.join(F.broadcast(lead_frame), on="lead_id", how="inner")
    points = _rule_points(model, frame, table, props, attributes, values=values)
    return _combine(model, lead_frame, points)


def _compares(model: PointsModel) -> list[Compare]:
    """Every comparison of the engagement rules' ``where`` conditions."""
    return [
        part
        for rule in model.engagement
        if rule.where is not None
        for part in rule.where.walk()
        if isinstance(part, Compare)
    ]


def _lead_frame(
    session: SparkSession,
    model: PointsModel,
    by_id: Mapping[str, Lead],
    attributes: Sequence[str],
    as_of: AsOf,
) -> DataFrame:
    """Per lead: ``lead_id``, ``_now`` (its moment, seconds), ``fit`` and its share per
    group (``_f<i>``), and the kind-keeping text of each attribute a ``where`` reads
    (``_a<i>``): computed in Python, the engine's own tests."""
    groups = list(model._group_kinds)
    getters = [_getter("attr", name) for name in attributes]
    moments = _moments(as_of, by_id)
    rows = [
        (lead.id, now, *found, *(encode(get(lead, None)) for get in getters))
        for lead, now, found in zip(
            by_id.values(), moments, fit_values(model, by_id.values()), strict=True
        )
    ]
    schema = T.StructType(
        [
            T.StructField("lead_id", T.StringType()),
            T.StructField("_now", T.DoubleType()),
            T.StructField("fit", T.DoubleType()),
            *[T.StructField(f"_f{i}", T.DoubleType()) for i in range(len(groups))],
            *[T.StructField(f"_a{i}", T.StringType()) for i in range(len(attributes))],
        ]
    )
    frame = session.createDataFrame(rows, schema)
    if isinstance(as_of, DataFrame):
        seconds = F.unix_micros("as_of").cast("double") / F.lit(1_000_000.0)
        given = as_of.select("lead_id", seconds.alias("_t"))
        frame = frame.drop("_now").join(given, on="lead_id", how="left")
        frame = frame.withColumnRenamed("_t", "_now")
    return frame


def _moments(as_of: AsOf, by_id: Mapping[str, Lead]) -> list[float | None]:
    if isinstance(as_of, DataFrame):
        _check_moment_table(as_of, by_id)
        return [None] * len(by_id)
    return [m.timestamp() for m in moment_per_lead(as_of, by_id).values()]


def _check_moment_table(as_of: DataFrame, by_id: Mapping[str, Lead]) -> None:
    fields = {f.name: f.dataType for f in as_of.schema.fields}
    for name in ("lead_id", "as_of"):
        if name not in fields:
            raise ValidationError(
                "as_of", sorted(fields), f"a table of moments needs a column {name!r}"
            )
    if not isinstance(fields["as_of"], T.TimestampType):
        raise ValidationError(
            "as_of.as_of", str(fields["as_of"]), "expected a timestamp column (with its zone)"
        )
    found: dict[str, int] = {row[0]: row[1] for row in as_of.groupBy("lead_id").count().collect()}
    for lead_id in by_id:
        if lead_id not in found:
            raise ValidationError("as_of", lead_id, "no moment for this lead")
        if found[lead_id] > 1:
            raise ValidationError("as_of.lead_id", lead_id, "two moments for one lead")


def _survey(
    frame: DataFrame,
    lead_frame: DataFrame,
    unknown_leads: UnknownLeads,
    compared: Sequence[str] = (),
) -> dict[str, list[Any]]:
    """One Spark job (one scan of the events, aggregated within each partition first): the
    events of leads not given, counted and said (or refused, as ``unknown_leads`` says),
    and the distinct values of each of ``compared``, returned."""
    found = [F.collect_set(c).alias(c) for c in compared]
    rows = frame
    if unknown_leads != "ignore":
        known = F.broadcast(lead_frame.select("lead_id", F.lit(1).alias("_known")))
        rows = frame.join(known, on="lead_id", how="left")
        stranger = F.col("_known").isNull()
        found += [
            F.count(F.when(stranger, F.lit(1))).alias("_unknown"),
            F.collect_set(F.when(stranger, F.col("lead_id"))).alias("_strangers"),
        ]
    if not found:
        return {}
    result = rows.agg(*found).collect()[0]
    if unknown_leads != "ignore" and result["_unknown"]:
        strangers = sorted(result["_strangers"])
        total = result["_unknown"]
        if unknown_leads == "raise":
            raise ValidationError(
                "events", strangers[0], f"{total} event(s) of {len(strangers)} unknown lead(s)"
            )
        warnings.warn(UnknownLeadsWarning(total, tuple(strangers[:5])), stacklevel=3)
    return {c: list(result[c]) for c in compared}


def _once_per_id(frame: DataFrame) -> DataFrame:
    """Each event id once per lead: copies of one event count once; two different events
    sharing an id raise :class:`DuplicateEventError`, as in the engine. One Spark job
    looks for a repeated 64-bit hash of lead and id (most often none: then nothing more
    is done; measured 15-20 % faster than grouping by the two texts), another for the ids
    that repeat; rows whose
    time, type, source or properties differ under one id are read back and compared as
    the engine compares them (the same time in another offset, equal JSON)."""
    having_id = frame.filter(F.col("id").isNotNull())
    # first on a 64-bit hash of (lead, id): a shuffle of one number per event, not two texts
    hashed = having_id.groupBy(F.xxhash64("lead_id", "id").alias("_h")).count()
    if not hashed.filter(F.col("count") > 1).limit(1).collect():
        return frame  # no id repeats (the common case: one job)
    with_id = having_id.groupBy("lead_id", "id")
    if not with_id.count().filter(F.col("count") > 1).limit(1).collect():
        return frame  # two hashes alike, but no id repeats
    signature = F.struct("type", "_us", "source", F.col("_props").cast("string"))
    odd = (
        with_id.agg((F.min(signature) != F.max(signature)).alias("_odd"))
        .filter(F.col("_odd"))
        .select("lead_id", "id")
        .collect()
    )
    if odd:
        keys = F.struct("lead_id", "id").isin(
            [F.struct(F.lit(row["lead_id"]), F.lit(row["id"])) for row in odd]
        )
        for (_, event_id), rows in _grouped(frame.filter(keys).collect()).items():
            first = SparkEvents.event_of(rows[0])
            for row in rows[1:]:
                other = SparkEvents.event_of(row)
                if not first.same_occurrence(other):
                    raise DuplicateEventError(event_id, first, other)
    keyed = Window.partitionBy("lead_id", "id").orderBy("_us", "type")
    marked = frame.withColumn("_copy", F.row_number().over(keyed))
    return marked.filter(F.col("id").isNull() | (F.col("_copy") == 1)).drop("_copy")


def _grouped(rows: Sequence[Any]) -> dict[tuple[str, str], list[Any]]:
    out: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        out.setdefault((row["lead_id"], row["id"]), []).append(row)
    return out


def _rule_points(
    model: PointsModel,
    frame: DataFrame,
    table: SparkEvents,
    props: Sequence[str],
    attributes: Sequence[str],
    *,
    values: Mapping[str, Sequence[Any]],
) -> DataFrame | None:
    """Per lead, each engagement rule's points (``r<slot>``). A rule without a most-recent-N
    cap is a sum over the events, which Spark adds up within each partition before the
    shuffle (one row per lead and partition travels); the rules keeping the most recent N
    (``max_per_day``, ``max_times``) each read the events of their type that they count,
    ranked by ``row_number`` windows over each lead's (one shuffle and sort of those
    events only); the parts are joined per lead."""
    if not model.engagement:
        return None
    columns = {("prop", name): c for name, c in zip(props, table.columns, strict=True)}
    columns |= {("attr", name): f"_a{i}" for i, name in enumerate(attributes)}
    tests = _distinct_tests(model, values, columns, table.native)
    now = F.col("_now")
    plain: list[Column] = []  # rules summed as the events stream: partial sums per partition
    ranked: list[DataFrame] = []  # rules keeping the most recent N: each over its type's events
    for slot, (rule, plan) in enumerate(zip(model.engagement, model._plans, strict=True)):
        mask = (F.col("type") == rule.event_type) & (F.col("ts") <= now)
        if plan.within is not None:
            mask &= F.col("ts") >= now - F.lit(float(plan.within))
        if rule.where is not None:
            mask &= _where(rule.where, columns, tests)
        earned = _earned(plan.points, plan.decay, now - F.col("ts"))
        if plan.max_per_day is None and plan.max_times is None:
            plain.append(_capped(F.sum(F.when(mask, earned)), plan.max_points).alias(f"r{slot}"))
            continue
        rows = frame.filter(F.coalesce(mask, F.expr("false")))  # its type's events it counts
        if plan.max_per_day is not None:
            daily = Window.partitionBy("lead_id", "_day").orderBy(F.col("_us").desc())
            rows = rows.withColumn("_k", F.row_number().over(daily))
            rows = rows.filter(F.col("_k") <= plan.max_per_day)
        if plan.max_times is not None:
            newest = Window.partitionBy("lead_id").orderBy(F.col("_us").desc())
            rows = rows.withColumn("_k", F.row_number().over(newest))
            rows = rows.filter(F.col("_k") <= plan.max_times)
        total = _capped(F.sum(earned), plan.max_points).alias(f"r{slot}")
        ranked.append(rows.groupBy("lead_id").agg(total))
    parts = ([frame.groupBy("lead_id").agg(*plain)] if plain else []) + ranked
    return reduce(lambda a, b: a.join(b, on="lead_id", how="full"), parts)


def _capped(total: Column, cap: float | None) -> Column:
    """A rule's sum within its ``max_points``."""
    if cap is None:
        return total
    limit = float(cap)
    return F.when(F.abs(total) > limit, F.signum(total) * limit).otherwise(total)


def _distinct_tests(
    model: PointsModel,
    found: Mapping[str, Sequence[Any]],
    columns: Mapping[tuple[str, str], str],
    native: frozenset[str],
) -> dict[int, Column]:
    """Each comparison's test, as ``isin`` over the distinct values it reads (``found``,
    per column), tested in Python by the engine's own code."""
    compares = _compares(model)
    out: dict[int, Column] = {}
    for part in compares:
        column = columns[(part.source, part.field)]
        test = value_test(part)
        values = found[column]
        if column in native:
            for value in values:
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValidationError(
                        f"properties.{part.field}", value, "expected a finite number"
                    )
            ok = [v for v in values if test(v)]
            missing = test(MISSING)
            found_in = F.col(column).isin(ok) if ok else F.expr("false")
            out[id(part)] = F.when(F.col(column).isNull(), F.lit(missing)).otherwise(found_in)
        else:
            ok = [v for v in values if test(value_of(v))]
            out[id(part)] = F.col(column).isin(ok) if ok else F.expr("false")
    return out


def _where(
    condition: Condition, columns: Mapping[tuple[str, str], str], tests: Mapping[int, Column]
) -> Column:
    if isinstance(condition, Compare):
        return tests[id(condition)]
    if isinstance(condition, AllOf):
        return reduce(lambda a, b: a & b, (_where(c, columns, tests) for c in condition.conditions))
    if isinstance(condition, AnyOf):
        return reduce(lambda a, b: a | b, (_where(c, columns, tests) for c in condition.conditions))
    if isinstance(condition, Not):
        return ~_where(condition.condition, columns, tests)
    raise NotLowerable([f"{type(condition).__name__} is a condition class of your own"])


def _earned(points: float, decay: Any, age: Column) -> Column:
    """One event's points at ``age`` seconds, as the rule's decay gives them."""
    if decay is None or isinstance(decay, NoDecay):
        return F.lit(float(points))
    if isinstance(decay, HalfLife):
        return F.lit(float(points)) * F.pow(F.lit(0.5), age / F.lit(decay.days * DAY))
    if isinstance(decay, Linear):
        left = F.lit(abs(points)) - F.lit(decay.points_per_day) * (age / F.lit(DAY))
        sign = 1.0 if points >= 0 else -1.0
        return F.when(left <= 0, F.lit(0.0)).otherwise(left * F.lit(sign))
    if isinstance(decay, Expire):
        after = decay.after.total_seconds()
        return F.when(age <= after, F.lit(float(points))).otherwise(F.lit(0.0))
    if isinstance(decay, Schedule):
        factor: Column = F.lit(1.0)
        for step_age, step_factor in decay.steps:  # a later step overrides an earlier one
            factor = F.when(age >= step_age.total_seconds(), F.lit(step_factor)).otherwise(factor)
        return F.lit(float(points)) * factor
    raise NotLowerable([f"{type(decay).__name__} is a decay of your own"])


def _combine(model: PointsModel, lead_frame: DataFrame, points: DataFrame | None) -> DataFrame:
    """Per lead: the rules' points (``r<slot>``), fit, group caps, bounds, grade; the
    columns named as ``leadqual.batch.score`` names them."""
    groups = list(model._group_kinds)
    slots = [f"r{slot}" for slot in range(len(model._plans))]
    frame = lead_frame
    if points is not None:
        frame = frame.join(points, on="lead_id", how="left")
    frame = frame.select(
        "lead_id",
        "fit",
        *[F.col(f"_f{i}") for i in range(len(groups))],
        *[F.coalesce(F.col(s), F.lit(0.0)).alias(s) for s in slots],
    )
    engagement = reduce(lambda a, b: a + b, [F.col(s) for s in slots]) if slots else F.lit(0.0)
    frame = frame.withColumn("engagement", engagement).withColumn("adjustment", F.lit(0.0))
    for i, group in enumerate(groups):
        in_group = [s for s, plan in zip(slots, model._plans, strict=True) if plan.group == group]
        got = reduce(lambda a, b: a + b, [F.col(s) for s in in_group], F.col(f"_f{i}"))
        frame = frame.withColumn(f"_g{i}", got)
        cap = model.group_caps.get(group)
        if cap is None:
            continue
        value = F.col(f"_g{i}")
        cut = F.when(F.abs(value) > cap, F.signum(value) * cap - value).otherwise(F.lit(0.0))
        kind = model._group_kinds[group]
        into = {"fit": "fit", "engagement": "engagement"}.get(kind, "adjustment")
        frame = frame.withColumn("_cut", cut).withColumn(f"_g{i}", value + F.col("_cut"))
        frame = frame.withColumn(into, F.col(into) + F.col("_cut")).drop("_cut")
    raw = F.col("fit") + F.col("engagement") + F.col("adjustment")
    total: Column = raw
    if model.min_score is not None:
        total = F.when(raw < model.min_score, F.lit(float(model.min_score))).otherwise(total)
    if model.max_score is not None:
        total = F.when(raw > model.max_score, F.lit(float(model.max_score))).otherwise(total)
    frame = frame.withColumn("_raw", raw).withColumn("total", total)
    frame = frame.withColumn("adjustment", F.col("adjustment") + (F.col("total") - F.col("_raw")))
    grade: Column = F.lit(None).cast("string")
    for letter, limit in reversed(model.grades):  # the highest grade reached wins
        grade = F.when(F.col("fit") >= limit, F.lit(letter)).otherwise(grade)
    return frame.select(
        "lead_id",
        *[_unsigned_zero(F.col(c), c) for c in ("total", "fit", "engagement", "adjustment")],
        grade.alias("grade"),
        *[_unsigned_zero(F.col(f"_g{i}"), f"group:{g}") for i, g in enumerate(groups)],
    )


def _unsigned_zero(value: Column, name: str) -> Column:
    """The column with -0.0 as 0.0, as the engine's sums (which start from 0) give it."""
    return F.when(value == 0, F.lit(0.0)).otherwise(value).alias(name)
