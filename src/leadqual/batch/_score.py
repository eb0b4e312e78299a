"""Scores of many leads at once: a points model over a whole table of events.

The numbers are the engine's (:meth:`PointsModel.score`, the oracle the tests compare
against): the same events counted, the most recent ones kept by ``max_times`` and
``max_per_day`` (UTC days), ``within`` before the caps, decay and ``max_points`` after
them, then group caps, ``min_score``/``max_score`` and grades. Only the order of
additions differs, so totals agree to about 1e-12.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import polars as pl

from leadqual._fields import DAY, require_aware
from leadqual._kinds import encode, value_of
from leadqual._lowering import (
    fields_read,
    fit_values,
    moment_per_lead,
    points_model,
    unique_leads,
)
from leadqual.batch._frames import EventSource, event_at, event_frame, prop_column
from leadqual.batch._instants import day_start, rule_at_instants
from leadqual.conditions import AllOf, AnyOf, Compare, Condition, Not, _getter, value_test
from leadqual.errors import (
    DuplicateEventError,
    NotLowerable,
    UnknownLeadsWarning,
    ValidationError,
)
from leadqual.jsonvalues import MISSING
from leadqual.leads import Lead
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.decay import Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel

__all__ = ["score"]

UnknownLeads = Literal["warn", "raise", "ignore"]


def attr_column(name: str) -> str:
    """The frame's column for the lead attribute ``name`` (read by a ``where``)."""
    return f"a:{name}"


def score(
    target: RuleSet | PointsModel,
    leads: Iterable[Lead],
    events: EventSource,
    *,
    as_of: AsOf,
    unknown_leads: UnknownLeads = "warn",
) -> pl.DataFrame:
    """Every lead's score at ``as_of``, one row per lead in the order given.

    Columns: ``lead_id``, ``total``, ``fit``, ``engagement``, ``adjustment``, ``grade``
    and ``group:<name>`` for each group the model names. ``events`` are leadqual
    events, a Polars or Arrow table, or a Parquet or JSON Lines path (see
    :func:`~leadqual.batch.event_frame`). Events of leads not in ``leads`` are counted
    and reported with an :class:`~leadqual.errors.UnknownLeadsWarning`
    (``unknown_leads="raise"`` refuses them, ``"ignore"`` says nothing). Only the
    events of types some rule counts are read (a Parquet file's other rows are not).

    ``as_of`` is one moment for all, or a moment per lead id (a back-test scores each
    lead as of its close): a mapping, or a table with the columns ``lead_id`` and
    ``as_of``. Every lead must have one.

    >>> from datetime import datetime, timezone
    >>> import leadqual as lq
    >>> model = lq.PointsModel(
    ...     engagement=[lq.EngagementRule("pricing", "page_view", 10,
    ...                                   where=lq.Prop("url").startswith("/pricing"))])
    >>> at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    >>> events = [lq.Event("L-1", "page_view", at=at, properties={"url": "/pricing"}),
    ...           lq.Event("L-1", "page_view", at=at, properties={"url": "/blog"})]
    >>> score(model, [lq.Lead("L-1"), lq.Lead("L-2")], events, as_of=at).rows()
    [('L-1', 10.0, 0.0, 10.0, 0.0, None), ('L-2', 0.0, 0.0, 0.0, 0.0, None)]
    """
    model = points_model(target)
    if unknown_leads not in ("warn", "raise", "ignore"):
        raise ValidationError(
            "unknown_leads", unknown_leads, "expected 'warn', 'raise' or 'ignore'"
        )
    by_id = unique_leads(leads)
    moments = moments_of(moments_by_lead(as_of), by_id)
    props, attributes = fields_read(model)
    table = event_frame(events, props, model.event_types())
    frame = known_leads(table.frame, by_id, unknown_leads)
    frame = counted_events(frame, table.origin)
    if attributes:
        frame = frame.join(_attribute_frame(by_id, attributes), on="lead_id", how="left")
    if isinstance(moments, float):
        now: float | pl.Expr = moments
    else:
        frame = frame.join(moments, on="lead_id", how="left")
        now = pl.col("_now")
    totals = rule_totals(model, frame, now, table.native)
    return combine(model, by_id, totals)


#: When to score or qualify: one moment, a moment per lead id, or a table of them.
AsOf = datetime | Mapping[str, datetime] | pl.DataFrame


def moments_by_lead(as_of: AsOf) -> datetime | Mapping[str, datetime]:
    """``as_of`` as one moment or a mapping: a table's columns ``lead_id`` and ``as_of``
    (a timezone-aware datetime) give one moment per lead id."""
    if not isinstance(as_of, pl.DataFrame):
        return as_of
    for name in ("lead_id", "as_of"):
        if name not in as_of.columns:
            raise ValidationError(
                "as_of", sorted(as_of.columns), f"a table of moments needs a column {name!r}"
            )
    kind = as_of.schema["as_of"]
    if not isinstance(kind, pl.Datetime) or kind.time_zone is None:
        raise ValidationError("as_of.as_of", str(kind), "expected timezone-aware datetimes")
    out: dict[str, datetime] = {}
    for lead_id, moment in as_of.select("lead_id", "as_of").iter_rows():
        if lead_id in out:
            raise ValidationError("as_of.lead_id", lead_id, "two moments for one lead")
        out[lead_id] = moment
    return out


def moments_of(
    as_of: datetime | Mapping[str, datetime], by_id: Mapping[str, Lead]
) -> float | pl.DataFrame:
    """``as_of`` in seconds: one number, or a frame of ``lead_id`` and ``_now``."""
    if not isinstance(as_of, Mapping):
        return require_aware("as_of", as_of).timestamp()
    moments = moment_per_lead(as_of, by_id)
    return pl.DataFrame(
        {"lead_id": list(moments), "_now": [m.timestamp() for m in moments.values()]},
        schema={"lead_id": pl.String, "_now": pl.Float64},
    )


def known_leads(
    frame: pl.DataFrame, by_id: Mapping[str, Lead], unknown_leads: UnknownLeads
) -> pl.DataFrame:
    """The events of the leads in ``by_id``; the others are counted and reported."""
    ids = pl.Series(list(by_id), dtype=pl.String)
    known = pl.col("lead_id").is_in(ids.implode())
    unknown = frame.filter(~known)
    if unknown.height and unknown_leads != "ignore":
        leads = unknown["lead_id"].unique(maintain_order=True)
        if unknown_leads == "raise":
            raise ValidationError(
                "events", leads[0], f"{unknown.height} event(s) of {leads.len()} unknown lead(s)"
            )
        warnings.warn(UnknownLeadsWarning(unknown.height, tuple(leads.head(5))), stacklevel=3)
    return frame.filter(known) if unknown.height else frame


def counted_events(frame: pl.DataFrame, origin: Any) -> pl.DataFrame:
    """``frame`` (the events of the types some rule counts) with each event id once per
    lead: a copy of an event counts once, two different events sharing an id raise, as
    in the engine (which checks ids among the events its rules count, too)."""
    # ids repeat rarely: most often no id repeats at all, which one count shows
    ids = frame["id"].drop_nulls()
    if ids.hash().n_unique() == ids.len():  # distinct hashes: distinct ids
        return frame
    repeated = frame.filter(pl.col("id").is_not_null() & pl.col("id").is_duplicated())
    repeated = repeated.filter(pl.len().over("lead_id", "id") > 1).sort("_row")
    if not repeated.height:
        return frame
    copies: list[int] = []
    for _, group in repeated.group_by("lead_id", "id", maintain_order=True):
        first = group.row(0, named=True)
        for other in group.iter_rows(named=True):
            if not _same(first, other, origin, frame):
                a = event_at(origin, frame, first["_row"])
                b = event_at(origin, frame, other["_row"])
                raise DuplicateEventError(first["id"], a, b)
        copies += group["_row"][1:].to_list()
    return frame.filter(~pl.col("_row").is_in(pl.Series(copies, dtype=pl.UInt32).implode()))


def _same(a: dict[str, Any], b: dict[str, Any], origin: Any, frame: pl.DataFrame) -> bool:
    if a["_row"] == b["_row"]:
        return True
    if (a["ts"], a["type"], a["source"]) != (b["ts"], b["type"], b["source"]):
        return False
    first = event_at(origin, frame, a["_row"])
    return first.same_occurrence(event_at(origin, frame, b["_row"]))


def _attribute_frame(by_id: Mapping[str, Lead], names: Sequence[str]) -> pl.DataFrame:
    getters = [_getter("attr", name) for name in names]
    columns: dict[str, list[str]] = {attr_column(n): [] for n in names}
    for lead in by_id.values():
        for name, get in zip(names, getters, strict=True):
            columns[attr_column(name)].append(encode(get(lead, None)))
    return pl.DataFrame(
        {"lead_id": list(by_id), **columns}, schema_overrides={"lead_id": pl.String}
    )


def lower_where(
    condition: Condition, frame: pl.DataFrame, native: frozenset[str] = frozenset()
) -> pl.Expr:
    """``condition`` as a Polars expression over ``frame``'s field columns: each
    comparison tested in Python on the distinct values of its column (the engine's
    own test, so the same answer), the rows then matched by lookup. A column in
    ``native`` holds values of its own type (null when absent), the others
    kind-keeping text (:mod:`leadqual._kinds`)."""
    matched: dict[int, pl.Expr] = {}
    for part in condition.walk():
        if isinstance(part, Compare):
            column = prop_column(part.field) if part.source == "prop" else attr_column(part.field)
            test = value_test(part)
            values = frame[column].unique()
            if column in native:
                ok = [v for v in values.drop_nulls().to_list() if test(v)]
                found = pl.col(column).is_in(pl.Series(ok, dtype=values.dtype).implode())
                matched[id(part)] = found.fill_null(test(MISSING))
            else:
                ok = [v for v in values.to_list() if test(value_of(v))]
                found = pl.col(column).is_in(pl.Series(ok, dtype=pl.String).implode())
                matched[id(part)] = found

    def build(node: Condition) -> pl.Expr:
        if isinstance(node, Compare):
            return matched[id(node)]
        if isinstance(node, AllOf):
            return pl.all_horizontal([build(c) for c in node.conditions])
        if isinstance(node, AnyOf):
            return pl.any_horizontal([build(c) for c in node.conditions])
        if isinstance(node, Not):
            return ~build(node.condition)
        raise NotLowerable([f"{type(node).__name__} is a condition class of your own"])

    return build(condition)


def _earned(points: float, decay: Any, age: pl.Expr) -> pl.Expr:
    """One event's points at ``age`` seconds, as the rule's decay gives them."""
    if decay is None or isinstance(decay, NoDecay):
        return pl.when(age.is_not_null()).then(pl.lit(float(points)))  # one per row
    if isinstance(decay, HalfLife):
        return pl.lit(float(points)) * pl.lit(0.5).pow(age / (decay.days * DAY))
    if isinstance(decay, Linear):
        left = abs(points) - decay.points_per_day * (age / DAY)
        sign = 1.0 if points >= 0 else -1.0
        return pl.when(left <= 0).then(pl.lit(0.0)).otherwise(left * sign)
    if isinstance(decay, Expire):
        after = decay.after.total_seconds()
        return pl.when(age <= after).then(pl.lit(float(points))).otherwise(pl.lit(0.0))
    if isinstance(decay, Schedule):
        factor: pl.Expr = pl.lit(1.0)
        for step_age, step_factor in decay.steps:  # a later step overrides an earlier one
            factor = pl.when(age >= step_age.total_seconds()).then(step_factor).otherwise(factor)
        return pl.lit(float(points)) * factor
    raise NotLowerable([f"{type(decay).__name__} is a decay of your own"])


def rule_totals(
    model: PointsModel,
    frame: pl.DataFrame,
    now: float | pl.Expr,
    native: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """Per lead and engagement rule (``slot``), the rule's points at ``now`` (seconds:
    one number, or an expression such as a column of each lead's moment)."""
    parts: list[pl.LazyFrame] = []
    lazy = frame.lazy()
    for slot, (rule, plan) in enumerate(zip(model.engagement, model._plans, strict=True)):
        mask = (pl.col("type") == rule.event_type) & (pl.col("ts") <= now)
        if plan.within is not None:
            mask &= pl.col("ts") >= now - plan.within
        if rule.where is not None:
            mask &= lower_where(rule.where, frame, native)
        sub = lazy.filter(mask)
        if plan.max_per_day is not None:
            newest = pl.col("ts").rank("ordinal", descending=True).over("lead_id", "_day")
            sub = sub.with_columns(_day=day_start(pl.col("ts"))).filter(newest <= plan.max_per_day)
        if plan.max_times is not None:
            newest = pl.col("ts").rank("ordinal", descending=True).over("lead_id")
            sub = sub.filter(newest <= plan.max_times)
        earned = _earned(plan.points, plan.decay, now - pl.col("ts"))
        total = earned.sum()
        if plan.max_points is not None:
            cap = plan.max_points
            total = pl.when(total.abs() > cap).then(pl.lit(cap) * total.sign()).otherwise(total)
        parts.append(
            sub.group_by("lead_id").agg(total.alias("points")).with_columns(slot=pl.lit(slot))
        )
    if not parts:
        return pl.DataFrame(
            {"lead_id": [], "points": [], "slot": []},
            schema={"lead_id": pl.String, "points": pl.Float64, "slot": pl.Int32},
        )
    return pl.concat(parts).collect()


def rule_points(
    model: PointsModel, frame: pl.DataFrame, instants: pl.DataFrame, native: frozenset[str]
) -> list[pl.Series]:
    """Each engagement rule's points (``r:<slot>``) at each of ``instants`` (``lead_id``,
    ``t``, sorted), from the events of ``frame`` it counts: the scores of many moments
    (:func:`rule_totals` is the faster way to one moment per lead)."""
    columns = []
    for slot, (rule, plan) in enumerate(zip(model.engagement, model._plans, strict=True)):
        mask = pl.col("type") == rule.event_type
        if rule.where is not None:
            mask &= lower_where(rule.where, frame, native)
        columns.append(rule_at_instants(plan, frame.filter(mask), instants).alias(f"r:{slot}"))
    return columns


def fit_frame(model: PointsModel, by_id: Mapping[str, Lead]) -> pl.DataFrame:
    """Per lead, its fit points and their share in each group (see :func:`fit_values`)."""
    groups = list(model._group_kinds)
    columns: list[list[float]] = [[] for _ in range(1 + len(groups))]
    for found in fit_values(model, by_id.values()):
        for column, value in zip(columns, found, strict=True):
            column.append(value)
    return pl.DataFrame(
        {
            "lead_id": list(by_id),
            "fit": columns[0],
            **{f"_fit:{g}": column for g, column in zip(groups, columns[1:], strict=True)},
        },
        schema_overrides={"lead_id": pl.String, "fit": pl.Float64}
        | {f"_fit:{g}": pl.Float64 for g in groups},
    )


def combine(model: PointsModel, by_id: Mapping[str, Lead], totals: pl.DataFrame) -> pl.DataFrame:
    """Per lead, the score from the rules' totals (``lead_id``, ``slot``, ``points``)."""
    wide = totals.with_columns(pl.format("r:{}", pl.col("slot")).alias("slot")).pivot(
        on="slot", index="lead_id", values="points"
    )
    rows = pl.DataFrame({"lead_id": list(by_id)}, schema={"lead_id": pl.String})
    rows = rows.join(wide, on="lead_id", how="left", maintain_order="left")
    return score_rows(model, fit_frame(model, by_id), rows)


def score_rows(model: PointsModel, fit: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The score of each row of ``rows`` (a lead at one moment: ``lead_id``, perhaps
    more keys, and ``r:<slot>``, each engagement rule's points then; a missing column or
    null is no points), with the lead's ``fit`` frame: fit, group caps, bounds, grade.
    The keys are kept, then ``total``, ``fit``, ``engagement``, ``adjustment``,
    ``grade`` and ``group:<name>``."""
    groups = list(model._group_kinds)
    slots = [f"r:{slot}" for slot in range(len(model._plans))]
    keys = [c for c in rows.columns if not c.startswith("r:")]
    rows = rows.with_columns(
        [
            pl.col(c).fill_null(0.0).cast(pl.Float64) if c in rows.columns else pl.lit(0.0).alias(c)
            for c in slots
        ]
    )
    frame = rows.join(fit, on="lead_id", how="left", maintain_order="left")
    engagement = pl.sum_horizontal([pl.col(c) for c in slots]) if slots else pl.lit(0.0)
    frame = frame.with_columns(engagement=engagement, adjustment=pl.lit(0.0))
    for group in groups:
        in_group = [c for c, plan in zip(slots, model._plans, strict=True) if plan.group == group]
        got = (
            pl.col(f"_fit:{group}") + pl.sum_horizontal([pl.col(c) for c in in_group])
            if in_group
            else pl.col(f"_fit:{group}")
        )
        frame = frame.with_columns(got.alias(f"group:{group}"))
        cap = model.group_caps.get(group)
        if cap is None:
            continue
        got = pl.col(f"group:{group}")
        cut = pl.when(got.abs() > cap).then(got.sign() * cap - got).otherwise(0.0)
        kind = model._group_kinds[group]
        into = {"fit": "fit", "engagement": "engagement"}.get(kind, "adjustment")
        frame = frame.with_columns(cut.alias("_cut")).with_columns(
            (got + pl.col("_cut")).alias(f"group:{group}"),
            (pl.col(into) + pl.col("_cut")).alias(into),
        )
    raw = pl.col("fit") + pl.col("engagement") + pl.col("adjustment")
    total = raw
    if model.min_score is not None:
        total = pl.when(raw < model.min_score).then(pl.lit(float(model.min_score))).otherwise(total)
    if model.max_score is not None:
        total = pl.when(raw > model.max_score).then(pl.lit(float(model.max_score))).otherwise(total)
    frame = frame.with_columns(total=total, _raw=raw).with_columns(
        adjustment=pl.col("adjustment") + (pl.col("total") - pl.col("_raw"))
    )
    grade: pl.Expr = pl.lit(None, pl.String)
    for letter, limit in reversed(model.grades):  # the highest grade reached wins
        grade = pl.when(pl.col("fit") >= limit).then(pl.lit(letter)).otherwise(grade)
    return frame.select(
        *keys,
        *[_unsigned_zero(c) for c in ("total", "fit", "engagement", "adjustment")],
        grade.alias("grade"),
        *[_unsigned_zero(f"group:{g}") for g in groups],
    )


def _unsigned_zero(column: str) -> pl.Expr:
    """The column with -0.0 as 0.0, as the engine's sums (which start from 0) give it."""
    value = pl.col(column)
    return pl.when(value == 0).then(pl.lit(0.0)).otherwise(value).alias(column)
