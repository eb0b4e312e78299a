"""``leadqual.spark.qualify``: every lead's stage, transitions and verdict on Spark.

The walk through the stage machine runs in the Python workers with the engine's own
:class:`~leadqual.qualifier.QualificationState` (so its results are the engine's by
construction): the events are partitioned by lead and sorted within partitions, then
``mapInArrow`` hands them over in bounded Arrow batches; a lead's state is carried from
one batch to the next, so a lead with millions of events never has to fit in one batch
(its log lives in the engine's compact state instead). Leads without events are walked
too (one marker row each).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from leadqual._lowering import decisions_by_lead, lowerable, moment_per_lead, unique_leads
from leadqual.errors import NotLowerable, ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.qualifier import Decision, QualificationState
from leadqual.rulesets.files import dumps, loads
from leadqual.rulesets.ruleset import RuleSet
from leadqual.spark._events import event_from, leads_of, moment, spark_events
from leadqual.spark._score import UnknownLeads, _report_unknown

__all__ = ["qualify"]

_RECORD = T.StructType(
    [
        T.StructField("source", T.StringType()),
        T.StructField("target", T.StringType()),
        T.StructField("at", T.TimestampType()),
        T.StructField("reason", T.StringType()),
        T.StructField("guard", T.StringType()),
        T.StructField("auto", T.BooleanType()),
    ]
)
_VOID = T.StructType(
    [T.StructField("decision", T.StringType()), T.StructField("reason", T.StringType())]
)


def qualify(
    ruleset: RuleSet,
    leads: Iterable[Lead] | DataFrame,
    events: DataFrame | str | os.PathLike[str],
    *,
    as_of: datetime | Mapping[str, datetime],
    decisions: Mapping[str, Iterable[Decision]] | None = None,
    unknown_leads: UnknownLeads = "warn",
    columns: Mapping[str, str] | None = None,
) -> DataFrame:
    """Where every lead stands at ``as_of``, as :meth:`Qualifier.qualify` says one lead
    at a time: a Spark DataFrame with one row per lead: ``lead_id``, ``stage``,
    ``entered_at`` (null in the first stage), ``started_at`` (its first event or
    decision), ``total``, ``fit``, ``engagement``, ``adjustment``, ``grade``,
    ``group:<name>``, ``verdict`` and ``missing`` (as ``leadqual.batch.qualify``),
    ``transitions`` (the engine's records: source, target, at, reason, guard, auto,
    moves at ``as_of`` included) and ``void`` (decisions that could not apply, as JSON,
    with the reason). ``decisions`` maps lead ids to their sales decisions.
    """
    if not isinstance(ruleset, RuleSet):
        raise ValidationError("ruleset", ruleset, "expected a RuleSet")
    reasons = lowerable(ruleset)
    if reasons:
        raise NotLowerable(reasons)
    by_id = unique_leads(leads_of(leads))
    made = decisions_by_lead(decisions, by_id)
    moments = moment_per_lead(as_of, by_id)
    table = spark_events(events, (), columns)
    session = table.frame.sparkSession
    groups = list(ruleset.model.groups())  # type: ignore[attr-defined]  # a PointsModel
    lead_rows = session.createDataFrame([(k,) for k in by_id], "lead_id string")
    _report_unknown(table.frame, lead_rows, unknown_leads)
    rows = table.frame.select(
        "lead_id", "type", "id", "source", "_us", "_props", F.lit(0).alias("_m")
    )
    rows = rows.join(F.broadcast(lead_rows), on="lead_id", how="inner")
    markers = lead_rows.select(
        "lead_id",
        *[
            F.lit(None).cast(rows.schema[c].dataType).alias(c)
            for c in ("type", "id", "source", "_us", "_props")
        ],
        F.lit(1).alias("_m"),
    )
    ordered = (
        rows.unionByName(markers)
        .repartition("lead_id")
        .sortWithinPartitions("lead_id", F.col("_m").desc(), "_us")
    )
    out = _schema(groups)
    context = session.sparkContext.broadcast(
        {
            "rules": dumps(ruleset, "json"),
            "leads": {k: lead.to_dict() for k, lead in by_id.items()},
            "decisions": {k: [d.to_dict() for d in ds] for k, ds in made.items()},
            "moments": {k: m.isoformat() for k, m in moments.items()},
        }
    )
    walk = partial(_walk, context=context, groups=tuple(groups), schema=_arrow(out))
    return ordered.mapInArrow(walk, out)


def _schema(groups: list[str]) -> T.StructType:
    return T.StructType(
        [
            T.StructField("lead_id", T.StringType()),
            T.StructField("stage", T.StringType()),
            T.StructField("entered_at", T.TimestampType()),
            T.StructField("started_at", T.TimestampType()),
            *[
                T.StructField(c, T.DoubleType())
                for c in ("total", "fit", "engagement", "adjustment")
            ],
            T.StructField("grade", T.StringType()),
            *[T.StructField(f"group:{g}", T.DoubleType()) for g in groups],
            T.StructField("verdict", T.StringType()),
            T.StructField("missing", T.ArrayType(T.StringType())),
            T.StructField("transitions", T.ArrayType(_RECORD)),
            T.StructField("void", T.ArrayType(_VOID)),
        ]
    )


def _arrow(schema: T.StructType) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema, timezone="UTC")


@lru_cache(maxsize=4)
def _qualifier(rules: str) -> Any:
    """The rule set's qualifier, built once per worker process."""
    return loads(rules, "json").qualifier()


def _walk(
    batches: Iterator[pa.RecordBatch],
    *,
    context: Any,
    groups: tuple[str, ...],
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    """The engine's walk over a partition's rows (sorted by lead, then time): runs in the
    workers. A lead's state goes on from one batch to the next."""
    data = context.value
    qualifier = _qualifier(data["rules"])
    walker = _Walker(qualifier, data, groups)
    for batch in batches:
        done = walker.feed(batch.to_pydict(), batch.num_rows)
        if done:
            yield pa.RecordBatch.from_pylist(done, schema=schema)
    last = walker.finish()
    if last:
        yield pa.RecordBatch.from_pylist(last, schema=schema)


class _Walker:
    def __init__(self, qualifier: Any, data: Mapping[str, Any], groups: tuple[str, ...]) -> None:
        self.qualifier = qualifier
        self.data = data
        self.groups = groups
        self.lead_id: str | None = None
        self.state: QualificationState | None = None
        self.first: int | None = None
        self.pending: list[Event] = []

    def feed(self, cols: Mapping[str, list[Any]], n: int) -> list[dict[str, Any]]:
        done: list[dict[str, Any]] = []
        for i in range(n):
            lead_id = cols["lead_id"][i]
            if lead_id != self.lead_id:
                finished = self.finish()
                done.extend(finished)
                self._start(lead_id)
            if cols["_m"][i]:
                continue  # the lead's marker: it is walked even without events
            us = cols["_us"][i]
            self.first = us if self.first is None else min(self.first, us)
            self.pending.append(
                event_from(
                    lead_id,
                    cols["type"][i],
                    us,
                    props=cols["_props"][i],
                    event_id=cols["id"][i],
                    source=cols["source"][i],
                )
            )
        self._apply()
        return done

    def _start(self, lead_id: str) -> None:
        self.lead_id = lead_id
        lead = Lead.from_dict(self.data["leads"][lead_id])
        self.state = QualificationState(self.qualifier, lead, notify=False)
        made = [Decision.from_dict(d) for d in self.data["decisions"].get(lead_id, ())]
        if made:
            self.state.apply_all((), made)
        self.first = None
        self.pending = []

    def _apply(self) -> None:
        if self.state is not None and self.pending:
            self.state.apply_all(self.pending)
            self.pending = []

    def finish(self) -> list[dict[str, Any]]:
        if self.state is None or self.lead_id is None:
            return []
        self._apply()
        lead_id = self.lead_id
        as_of = datetime.fromisoformat(self.data["moments"][lead_id])
        q = self.state.qualification(as_of=as_of)
        made = [Decision.from_dict(d) for d in self.data["decisions"].get(lead_id, ())]
        starts = [moment(self.first)] if self.first is not None else []
        starts += [d.at for d in made]
        score = q.score
        row: dict[str, Any] = {
            "lead_id": lead_id,
            "stage": q.stage,
            "entered_at": q.history[-1].at if q.history else None,
            "started_at": min(starts) if starts else None,
            "total": score.total,
            "fit": score.fit,
            "engagement": score.engagement,
            "adjustment": score.adjustment,
            "grade": score.grade,
            **{f"group:{g}": score.groups.get(g, 0.0) for g in self.groups},
            "verdict": None if q.framework is None else q.framework.verdict.value,
            "missing": [] if q.framework is None else list(q.framework.missing),
            "transitions": [
                {
                    "source": r.source,
                    "target": r.target,
                    "at": r.at,
                    "reason": r.reason,
                    "guard": r.guard,
                    "auto": r.auto,
                }
                for r in q.history
            ],
            "void": [{"decision": json.dumps(d.to_dict()), "reason": why} for d, why in q.void],
        }
        self.state = None
        self.lead_id = None
        return [row]
