"""``leadqual.spark.qualify``: every lead's stage, transitions and verdict on Spark.

The events are partitioned by lead and sorted within partitions, then ``mapInArrow`` hands
them to the Python workers in Arrow batches. A worker gathers whole leads into chunks of
about :data:`CHUNK_ROWS` rows and qualifies each chunk with the Polars backend
(:func:`leadqual.batch.qualify`: the per-instant facts as columns, the walk visiting only
the marked moments), which is itself tested equal to the engine. A lead with more than
:data:`SKEW_ROWS` rows is never gathered: it streams through the engine's own
:class:`~leadqual.qualifier.QualificationState`, its state carried from one Arrow batch to
the next, so memory stays bounded however skewed the leads are. Leads without events are
qualified too (one marker row each).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.errors import PySparkAttributeError
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from leadqual._lowering import (
    decisions_by_lead,
    fields_read,
    lowerable,
    moment_per_lead,
    unique_leads,
)
from leadqual.errors import NotLowerable, ValidationError
from leadqual.events import Event
from leadqual.leads import Lead
from leadqual.qualifier import Decision, QualificationState
from leadqual.rulesets.files import dumps, loads
from leadqual.rulesets.ruleset import RuleSet
from leadqual.spark._events import event_from, leads_of, moment, spark_events
from leadqual.spark._score import UnknownLeads, _survey
from leadqual.stages.machine import TransitionRecord

__all__ = ["CHUNK_ROWS", "SKEW_ROWS", "qualify"]

#: Rows a worker gathers (whole leads) before it qualifies them together with Polars.
CHUNK_ROWS = 200_000
#: A lead with more rows than this streams through the engine instead of being gathered.
SKEW_ROWS = 1_000_000

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
    _survey(table.frame, lead_rows, unknown_leads)
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
    context = _shipped(
        session,
        {
            "rules": dumps(ruleset, "json"),
            "leads": {k: lead.to_dict() for k, lead in by_id.items()},
            "decisions": {k: [d.to_dict() for d in ds] for k, ds in made.items()},
            "moments": {k: m.isoformat() for k, m in moments.items()},
            "props": fields_read(ruleset.model)[0],  # type: ignore[arg-type]  # a PointsModel
        },
    )
    walk = partial(
        _walk,
        context=context,
        groups=tuple(groups),
        schema=_arrow(out),
        chunk=CHUNK_ROWS,
        skew=SKEW_ROWS,
    )
    return ordered.mapInArrow(walk, out)


@attrs.frozen
class _Inline:
    """What the workers read, shipped inside the function itself (as ``.value``)."""

    value: Mapping[str, Any]


def _shipped(session: Any, data: Mapping[str, Any]) -> Any:
    """``data`` for the workers: a broadcast on a classic session (sent once per worker);
    on Spark Connect, which has no SparkContext, inside the function sent with each task."""
    try:
        context = session.sparkContext
    except PySparkAttributeError:  # a Spark Connect session
        return _Inline(data)
    return context.broadcast(data)


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
def _ruleset(rules: str) -> RuleSet:
    """The rule set, read once per worker process."""
    return loads(rules, "json")


def _walk(
    batches: Iterator[pa.RecordBatch],
    *,
    context: Any,
    groups: tuple[str, ...],
    schema: pa.Schema,
    chunk: int,
    skew: int,
) -> Iterator[pa.RecordBatch]:
    """Qualify a partition's rows (sorted by lead, then time): runs in the workers."""
    chunks = _Chunks(context.value, groups, chunk=chunk, skew=skew)
    for batch in batches:
        for rows in chunks.feed(batch):
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
    for rows in chunks.finish():
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


class _Chunks:
    """Gathers whole leads into chunks for the Polars backend; streams a lead larger
    than ``skew`` rows through the engine (:class:`_Walker`)."""

    def __init__(
        self, data: Mapping[str, Any], groups: tuple[str, ...], *, chunk: int, skew: int
    ) -> None:
        self.data = data
        self.groups = groups
        self.chunk = chunk
        self.skew = skew
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0
        self.streaming: _Walker | None = None

    def feed(self, batch: pa.RecordBatch) -> Iterator[list[dict[str, Any]]]:
        if self.streaming is not None:
            lead_id = self.streaming.lead_id
            ids = batch.column("lead_id")
            others = pc.not_equal(ids, pa.scalar(lead_id, ids.type))
            k = pc.index(others, pa.scalar(value=True)).as_py()
            if k == -1:  # the whole batch is the streaming lead's
                self.streaming.feed(batch.to_pydict(), batch.num_rows)
                return
            self.streaming.feed(batch.slice(0, k).to_pydict(), k)
            yield self.streaming.finish()
            self.streaming = None
            batch = batch.slice(k)
        self.pending.append(batch)
        self.rows += batch.num_rows
        if self.rows < self.chunk:
            return
        table = pa.Table.from_batches(self.pending)
        ids = table.column("lead_id")
        start = pc.index(ids, ids[-1]).as_py()  # the last lead may go on in the next batch
        if start:
            yield self._qualified(table.slice(0, start))
        tail = table.slice(start)
        self.pending, self.rows = tail.to_batches(), tail.num_rows
        if self.rows > self.skew:  # one lead too large to gather: the engine streams it
            walker = _Walker(
                _ruleset(self.data["rules"]).qualifier(),
                self.data,
                self.groups,
                left_out=_left_out(tail.schema.field("_props").type, self.data["props"]),
            )
            for part in self.pending:
                walker.feed(part.to_pydict(), part.num_rows)
            self.streaming, self.pending, self.rows = walker, [], 0

    def finish(self) -> Iterator[list[dict[str, Any]]]:
        if self.streaming is not None:
            yield self.streaming.finish()
        if self.rows:
            yield self._qualified(pa.Table.from_batches(self.pending))

    def _qualified(self, table: pa.Table) -> list[dict[str, Any]]:
        """One row per lead of ``table`` (whole leads), by the Polars backend."""
        from leadqual.batch import qualify as batch_qualify

        data = self.data
        ids = pc.unique(table.column("lead_id")).to_pylist()
        rows = table.filter(pc.equal(table.column("_m"), 0))
        events = pa.table(
            {
                "lead_id": rows.column("lead_id"),
                "type": rows.column("type"),
                "at": rows.column("_us").cast(pa.timestamp("us", tz="UTC")),
                "id": rows.column("id"),
                "source": rows.column("source"),
                "properties": rows.column("_props"),
            }
        )
        made = {
            lead_id: [Decision.from_dict(d) for d in data["decisions"][lead_id]]
            for lead_id in ids
            if lead_id in data["decisions"]
        }
        result = batch_qualify(
            _ruleset(data["rules"]),
            [Lead.from_dict(data["leads"][lead_id]) for lead_id in ids],
            events,
            as_of={k: datetime.fromisoformat(data["moments"][k]) for k in ids},
            decisions=made,
            unknown_leads="ignore",
        )
        records: dict[str, list[dict[str, Any]]] = {}
        for lead_id, r in result.transitions:
            records.setdefault(lead_id, []).append(_record(r))
        void: dict[str, list[dict[str, Any]]] = {}
        for lead_id, decision, why in result.void:
            void.setdefault(lead_id, []).append(_void(decision, why))
        return [
            row
            | {"transitions": records.get(row["lead_id"], []), "void": void.get(row["lead_id"], [])}
            for row in result.leads.iter_rows(named=True)
        ]


def _record(r: TransitionRecord) -> dict[str, Any]:
    """A transition record as a row of the result's ``transitions`` (its fields)."""
    return attrs.asdict(r, recurse=False)


def _void(decision: Decision, why: str) -> dict[str, Any]:
    """A decision that could not apply, as a row of the result's ``void``."""
    return {"decision": json.dumps(decision.to_dict()), "reason": why}


#: Arrow types whose values are not JSON (an Event refuses them).
_NOT_JSON = (
    pa.types.is_decimal,
    pa.types.is_temporal,
    pa.types.is_binary,
    pa.types.is_large_binary,
    pa.types.is_fixed_size_binary,
)


def _left_out(props: pa.DataType, read: Sequence[str]) -> frozenset[str]:
    """The fields of a properties struct that no rule reads and whose values are not JSON
    (decimals, times, bytes: a Parquet file's struct may hold them): the events streamed
    through the engine leave them out, as the Polars path never reads them."""
    if not pa.types.is_struct(props):
        return frozenset()
    named = set(read) | {name.split(".", 1)[0] for name in read}
    return frozenset(
        field.name
        for field in props
        if field.name not in named and any(test(field.type) for test in _NOT_JSON)
    )


class _Walker:
    def __init__(
        self,
        qualifier: Any,
        data: Mapping[str, Any],
        groups: tuple[str, ...],
        *,
        left_out: frozenset[str] = frozenset(),
    ) -> None:
        self.qualifier = qualifier
        self.data = data
        self.groups = groups
        self.lead_id: str | None = None
        self.state: QualificationState | None = None
        self.first: int | None = None
        self.pending: list[Event] = []
        self.left_out = left_out  # struct fields the events leave out (see _left_out)

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
                    props=_without(cols["_props"][i], self.left_out),
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
            "transitions": [_record(r) for r in q.history],
            "void": [_void(d, why) for d, why in q.void],
        }
        self.state = None
        self.lead_id = None
        return [row]


def _without(props: Any, names: frozenset[str]) -> Any:
    """A struct row's properties less the fields ``names``."""
    if not names or not isinstance(props, Mapping):
        return props
    return {k: v for k, v in props.items() if k not in names}
