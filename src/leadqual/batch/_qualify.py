"""Qualify many leads at once: where each stands, how it got there, and its framework.

The engine walks each lead's events in time order and, at each moment, fires the
automatic transitions whose guards hold. The backend computes the score of every lead at
every moment at once (:mod:`leadqual.batch._instants`), marks the moments where each
transition's guard *may* hold (a score at or above its threshold, an event of a type
seen, a framework that can still pass: never a moment where it holds unmarked), and walks
in Python only those moments, with the engine's own guards and stage machine, so the
records are the engine's. Most leads never reach a marked moment, and are not walked.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs
import polars as pl

from leadqual._kinds import encode
from leadqual._lowering import decisions_by_lead, fields_read, lowerable, unique_leads
from leadqual.analytics.funnel import Journey
from leadqual.batch._frames import EventSource, event_frame, events_at
from leadqual.batch._score import (
    AsOf,
    UnknownLeads,
    _attribute_frame,
    counted_events,
    fit_frame,
    known_leads,
    moments_by_lead,
    moments_of,
    rule_points,
    score_rows,
)
from leadqual.conditions import AllOf, AnyOf, Compare
from leadqual.errors import InvalidTransition, NotLowerable, ValidationError
from leadqual.frameworks.checks import (
    Activity,
    AttributeCheck,
    Authority,
    Budget,
    ConditionCheck,
    Facts,
    Need,
    Timeline,
)
from leadqual.frameworks.checks import _read as _read_field
from leadqual.frameworks.framework import Framework, FrameworkResult
from leadqual.jsonvalues import MISSING
from leadqual.leads import Lead
from leadqual.qualifier import Decision
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.points import PointsModel, PointsState
from leadqual.scoring.protocol import Score
from leadqual.stages import guards as g
from leadqual.stages.machine import StageMachine, StageState, TransitionRecord

__all__ = ["BatchQualification", "qualify"]

_UTC = timezone.utc
#: A score this close to a guard's threshold (relative to the threshold and to the points
#: added up) is read again exactly, in Python.
NEAR = 1e-9
#: Leads qualified together (their moments are held at once: memory grows with them).
CHUNK_LEADS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)


@attrs.frozen
class BatchQualification:
    """Where every lead stands, from :func:`qualify`.

    ``leads``: one row per lead, in the order given: ``lead_id``, ``stage``,
    ``entered_at`` (when it entered that stage; null for the first stage),
    ``started_at`` (its first event or decision), the score then (``total``, ``fit``,
    ``engagement``, ``adjustment``, ``grade``, ``group:<name>``), the framework's
    ``verdict`` (``"pass"``, ``"fail"``, ``"unknown"``, null without a framework) and
    ``missing`` (the checks still unknown: what sales should ask next).
    ``transitions``: every move, ``(lead_id, record)`` in time order (the records are
    the engine's, moves at ``as_of`` included), as :func:`leadqual.analytics.funnel`
    reads them. ``void``: the decisions that could not apply, with the reason.
    ``near_threshold``: moments where a score lay within 1e-9 of a guard's threshold,
    read again exactly (the backend adds in another order than the engine).
    """

    leads: pl.DataFrame
    transitions: tuple[tuple[str, TransitionRecord], ...]
    void: tuple[tuple[str, Decision, str], ...] = ()
    near_threshold: int = 0

    def journeys(self, leads: Iterable[Lead], first_stage: str) -> list[Journey]:
        """Every lead's journey (its records, since its first event or decision), for
        :func:`leadqual.analytics.funnel` and ``write_journeys``, as
        ``journeys_from_engine`` gives them: ``leads`` gives the attributes."""
        attributes = {lead.id: lead.attributes for lead in leads}
        records: dict[str, list[TransitionRecord]] = {}
        for lead_id, record in self.transitions:
            records.setdefault(lead_id, []).append(record)
        return [
            Journey(
                lead_id,
                first_stage,
                started,
                tuple(records.get(lead_id, ())),
                attributes.get(lead_id),
            )
            for lead_id, started in self.leads.select("lead_id", "started_at").iter_rows()
        ]


def _slack(threshold: float) -> pl.Expr:
    """How far from ``threshold`` a score counts as near it: 1e-9 of the threshold, or of
    the points added up at that moment (``_slack``), whichever is larger."""
    return pl.max_horizontal(pl.lit(NEAR * max(1.0, abs(threshold))), pl.col("_slack"))


def _guard_mask(guard: g.Guard, frame: pl.DataFrame, seen: dict[tuple[str, ...], str]) -> pl.Expr:
    """Where ``guard`` may hold: true wherever it holds (a moment left false is one where
    it surely does not)."""
    if isinstance(guard, AllOf):
        return pl.all_horizontal([_guard_mask(x, frame, seen) for x in guard.conditions])
    if isinstance(guard, AnyOf):
        return pl.any_horizontal([_guard_mask(x, frame, seen) for x in guard.conditions])
    if isinstance(guard, g.ScoreAtLeast):
        return pl.col("total") >= guard.points - _slack(guard.points)
    if isinstance(guard, g.FitAtLeast):
        return pl.col("fit") >= guard.points - _slack(guard.points)
    if isinstance(guard, g.EngagementAtLeast):
        return pl.col("engagement") >= guard.points - _slack(guard.points)
    if isinstance(guard, g.EventSeen):
        last = pl.col(seen[tuple(sorted(guard.event_types))])
        if guard.within is None:
            return last.is_not_null()
        # a second more than the window: the guard itself decides at the boundary
        return last.is_not_null() & (pl.col("t") - last <= guard.within.total_seconds() + 1)
    if isinstance(guard, g.NewActivity):
        types = tuple(sorted(guard.event_types)) if guard.event_types is not None else ()
        return pl.col(seen[types]).is_not_null()
    if isinstance(guard, (g.AttrCondition, Compare)):
        return pl.col(f"_attr:{id(guard)}")
    if isinstance(guard, g.FrameworkPassed):
        return pl.col("_may_pass")
    return pl.lit(value=True)  # Not and the rest: decided at each moment, by the guard


def _type_sets(machine: StageMachine) -> set[tuple[str, ...]]:
    """The sets of event types that guards look for (() for any type)."""
    out: set[tuple[str, ...]] = set()
    for transition in machine.transitions:
        if transition.guard is None:
            continue
        for guard in transition.guard.walk():
            if isinstance(guard, g.EventSeen):
                out.add(tuple(sorted(guard.event_types)))
            elif isinstance(guard, g.NewActivity):
                out.add(tuple(sorted(guard.event_types)) if guard.event_types is not None else ())
    return out


def _framework_reads(framework: Framework) -> tuple[str, ...]:
    """The lead fields the framework's (built-in) checks read: two leads alike in these
    get the same check results, so a result is computed once for both."""
    names: list[str] = []
    for check in framework.checks:
        if isinstance(check, Budget):
            names.append(check.attribute)
        elif isinstance(check, Authority):
            names += [check.title_attribute, check.role_attribute]
        elif isinstance(check, Need):
            names.append(check.pain_points_attribute)
        elif isinstance(check, Timeline):
            names += [check.date_attribute, check.days_attribute]
        elif isinstance(check, AttributeCheck):
            names.append(check.attribute)
        elif isinstance(check, ConditionCheck):
            names += [name for _, name in check.condition.fields()]
    return tuple(dict.fromkeys(names))


def _profile(lead: Lead, names: Sequence[str]) -> tuple[str, ...]:
    """What ``lead`` holds in ``names``, as kind-keeping text (absent and null apart)."""
    out = []
    for name in names:
        value = _read_field(lead, name)
        out.append("-" if value is MISSING else encode(value))
    return tuple(out)


def _framework_marks(
    framework: Framework | None,
    by_id: Mapping[str, Lead],
    frame: pl.DataFrame,
    instants: pl.DataFrame,
) -> pl.DataFrame:
    """``instants`` with ``_may_pass``: where the framework may pass.

    A built-in framework's verdict depends on the lead, on whether each of its needs'
    signal events was seen, and (for a timeline check reading a purchase date) on the
    day. For a lead without a purchase date, the verdict is computed once per distinct
    set of signals seen: exact. With one, every moment is marked (the guard decides).
    """
    if framework is None:
        return instants.with_columns(_may_pass=pl.lit(value=False))
    signals = sorted({t for check in framework.checks for t in getattr(check, "signals", ())})
    dated = [
        lead_id
        for lead_id, lead in by_id.items()
        if any(
            isinstance(check, Timeline)
            and _read_field(lead, check.date_attribute) not in (MISSING, None)
            for check in framework.checks
        )
    ]
    columns = []
    for i, kind in enumerate(signals):
        name = f"_sig:{i}"
        firsts = (
            frame.filter(pl.col("type") == kind)
            .group_by("lead_id")
            .agg(pl.col("ts").min().alias(name))
        )
        instants = instants.join(firsts, on="lead_id", how="left", maintain_order="left")
        columns.append((pl.col(name).is_not_null() & (pl.col(name) <= pl.col("t"))).alias(name))
    instants = instants.with_columns(columns)
    flags = [f"_sig:{i}" for i in range(len(signals))]
    keys = instants.filter(~pl.col("lead_id").is_in(pl.Series(dated, dtype=pl.String).implode()))
    keys = keys.group_by("lead_id", *flags).agg(pl.col("t").first())
    verdicts: list[bool] = []
    reads = _framework_reads(framework)
    known: dict[tuple[Any, ...], bool] = {}
    for row in keys.iter_rows():
        lead_id, seen, t = row[0], tuple(row[1:-1]), row[-1]
        key = (_profile(by_id[lead_id], reads), seen)
        passed = known.get(key)
        if passed is None:
            at = _moment(t)
            activity = {
                kind: Activity._trusted(1, at, at)
                for kind, yes in zip(signals, seen, strict=True)
                if yes
            }
            result = framework.evaluate(Facts._trusted(by_id[lead_id], at, activity))
            passed = known[key] = result.passed
        verdicts.append(passed)
    keys = keys.drop("t").with_columns(_may_pass=pl.Series(verdicts, dtype=pl.Boolean))
    instants = instants.join(keys, on=["lead_id", *flags], how="left", maintain_order="left")
    return instants.with_columns(pl.col("_may_pass").fill_null(value=True)).drop(flags)


def qualify(
    ruleset: RuleSet,
    leads: Iterable[Lead],
    events: EventSource,
    *,
    as_of: AsOf,
    decisions: Mapping[str, Iterable[Decision]] | None = None,
    unknown_leads: UnknownLeads = "warn",
) -> BatchQualification:
    """Qualify every lead as of ``as_of`` (one moment, or one per lead id), as
    :meth:`Qualifier.qualify` does one lead at a time; ``decisions`` maps lead ids to
    the sales decisions made for them. See :class:`BatchQualification`."""
    if not isinstance(ruleset, RuleSet):
        raise ValidationError("ruleset", ruleset, "expected a RuleSet")
    reasons = lowerable(ruleset)
    if reasons:
        raise NotLowerable(reasons)
    model = ruleset.model
    assert isinstance(model, PointsModel)  # lowerable says so
    by_id = unique_leads(leads)
    as_of = moments_by_lead(as_of)
    moments = moments_of(as_of, by_id)
    if isinstance(moments, float):
        moments = pl.DataFrame(
            {"lead_id": list(by_id), "_now": [moments] * len(by_id)},
            schema={"lead_id": pl.String, "_now": pl.Float64},
        )
    made = decisions_by_lead(decisions, by_id)
    props, attributes = fields_read(model)
    table = event_frame(events, props)
    frame = known_leads(table.frame, by_id, unknown_leads)
    frame = counted_events(frame, table.origin)  # every type: activity counts each event once
    # a lead enters the funnel with its first event, even one after as_of (as in the engine)
    firsts = frame.group_by("lead_id").agg(pl.col("ts").min().alias("_first"))
    frame = frame.join(moments, on="lead_id", how="left").filter(pl.col("ts") <= pl.col("_now"))
    if attributes:
        frame = frame.join(_attribute_frame(by_id, attributes), on="lead_id", how="left")
    if isinstance(as_of, Mapping):
        given = {lead_id: as_of[lead_id] for lead_id in by_id}
    else:
        given = dict.fromkeys(by_id, as_of)
    # leads are independent: qualified a slice of them at a time, memory stays bounded
    ids = list(by_id)
    slices = [ids[i : i + CHUNK_LEADS] for i in range(0, len(ids), CHUNK_LEADS)] or [[]]
    if len(slices) > 1:
        numbered = pl.DataFrame(
            {"lead_id": ids, "_slice": [i // CHUNK_LEADS for i in range(len(ids))]},
            schema={"lead_id": pl.String, "_slice": pl.Int64},
        )
        parts = frame.join(numbered, on="lead_id").partition_by("_slice", as_dict=True)
    parts_done: list[BatchQualification] = []
    for number, chosen in enumerate(slices):
        if len(slices) == 1:
            part, part_moments = frame, moments
        else:
            part = parts.get((number,), frame.clear()).drop("_slice", strict=False)
            in_slice = pl.col("lead_id").is_in(pl.Series(chosen, dtype=pl.String).implode())
            part_moments = moments.filter(in_slice)
        part_ids = {lead_id: by_id[lead_id] for lead_id in chosen}
        part_made = {k: v for k, v in made.items() if k in part_ids}
        instants = _instants(part, part_moments, part_made)
        instants = _scores(model, part_ids, part, instants, table.native)
        instants = _marks(ruleset, part_ids, part, instants)
        walker = _Walker(
            ruleset,
            part_ids,
            part,
            origin=table.origin,
            made=part_made,
            as_of={k: given[k] for k in part_ids},
            firsts=firsts,
        )
        parts_done.append(walker.run(instants))
    if len(parts_done) == 1:
        return parts_done[0]
    transitions = [pair for done in parts_done for pair in done.transitions]
    transitions.sort(key=lambda pair: (pair[1].at, pair[0]))  # stable: a lead's order kept
    return BatchQualification(
        leads=pl.concat([done.leads for done in parts_done]),
        transitions=tuple(transitions),
        void=tuple(v for done in parts_done for v in done.void),
        near_threshold=sum(done.near_threshold for done in parts_done),
    )


def _instants(
    frame: pl.DataFrame, moments: pl.DataFrame, made: Mapping[str, list[Decision]]
) -> pl.DataFrame:
    """Every moment of every lead: its events' moments, its decisions', its ``as_of``."""
    no = pl.lit(value=False)
    parts = [
        frame.select("lead_id", pl.col("ts").alias("t"), _event=pl.lit(value=True), _decided=no),
        moments.select("lead_id", pl.col("_now").alias("t"), _event=no, _decided=no),
    ]
    decided = [(lead_id, d.at.timestamp()) for lead_id, ds in made.items() for d in ds]
    if decided:
        schema = {"lead_id": pl.String, "t": pl.Float64}
        parts.append(
            pl.DataFrame(decided, schema=schema, orient="row").with_columns(
                _event=no, _decided=pl.lit(value=True)
            )
        )
    rows = pl.concat(parts).join(moments, on="lead_id").filter(pl.col("t") <= pl.col("_now"))
    # a moment is an event's (the walk may stop there), a decision's, as_of, or several
    moments_of_leads = rows.group_by("lead_id", "t").agg(
        pl.col("_event").any(), pl.col("_decided").any(), pl.col("_now").first()
    )
    return (
        moments_of_leads.sort("lead_id", "t")
        .with_columns(_final=pl.col("t") == pl.col("_now"))
        .drop("_now")
    )


def _scores(
    model: PointsModel,
    by_id: Mapping[str, Lead],
    frame: pl.DataFrame,
    instants: pl.DataFrame,
    native: frozenset[str],
) -> pl.DataFrame:
    """``instants`` with the score at each moment."""
    columns = rule_points(model, frame, instants, native)
    rows = instants.with_columns(columns)
    # how large the added points are: the sums may differ from the engine's by a hair of it
    sizes = [pl.col(f"r:{slot}").abs() for slot in range(len(columns))]
    rows = rows.with_columns(_size=pl.sum_horizontal(sizes) if sizes else pl.lit(0.0))
    scored = score_rows(model, fit_frame(model, by_id), rows)
    return scored.with_columns(
        _slack=NEAR * pl.max_horizontal(pl.lit(1.0), pl.col("_size") + pl.col("fit").abs())
    ).drop("_size")


def _marks(
    ruleset: RuleSet, by_id: Mapping[str, Lead], frame: pl.DataFrame, instants: pl.DataFrame
) -> pl.DataFrame:
    """``instants`` with ``m:<stage>``: where some automatic transition out of the stage
    may fire."""
    machine = ruleset.stages
    seen: dict[tuple[str, ...], str] = {}
    for i, types in enumerate(sorted(_type_sets(machine))):
        name = f"_seen:{i}"
        seen[types] = name
        events = (
            frame if not types else frame.filter(pl.col("type").is_in(pl.Series(types).implode()))
        )
        lasts = (
            events.group_by("lead_id", "ts")
            .agg()
            .sort("lead_id", "ts")
            .with_columns(pl.col("ts").alias(name))
        )
        instants = instants.join_asof(
            lasts,
            left_on="t",
            right_on="ts",
            by="lead_id",
            strategy="backward",
            check_sortedness=False,
        ).drop("ts")
    flags: dict[str, list[bool]] = {}
    for transition in machine.transitions:
        if transition.guard is None:
            continue
        for guard in transition.guard.walk():
            if isinstance(guard, (g.AttrCondition, Compare)):  # a condition on the lead
                test = guard.condition if isinstance(guard, g.AttrCondition) else guard
                flags[f"_attr:{id(guard)}"] = [test.test(lead) for lead in by_id.values()]
    per_lead = pl.DataFrame(
        {"lead_id": list(by_id), **flags}, schema_overrides={"lead_id": pl.String}
    )
    instants = instants.join(per_lead, on="lead_id", how="left", maintain_order="left")
    instants = _framework_marks(ruleset.framework, by_id, frame, instants)
    marks = []
    for stage in (s.name for s in machine.stages):
        out = [
            t for t in machine.transitions if t.source == stage and t.auto and t.guard is not None
        ]
        if out:
            mark = pl.any_horizontal([_guard_mask(t.guard, instants, seen) for t in out])  # type: ignore[arg-type]
            marks.append(mark.fill_null(value=False).alias(f"m:{stage}"))
    near = [
        (pl.col(column) - guard.points).abs() <= _slack(guard.points)
        for transition in machine.transitions
        if transition.guard is not None
        for guard in transition.guard.walk()
        if isinstance(guard, (g.ScoreAtLeast, g.FitAtLeast, g.EngagementAtLeast))
        for column in [
            {"ScoreAtLeast": "total", "FitAtLeast": "fit"}.get(type(guard).__name__, "engagement")
        ]
    ]
    marks.append((pl.any_horizontal(near) if near else pl.lit(value=False)).alias("_near"))
    return instants.with_columns(marks)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, _UTC)


_SCORE_COLUMNS = ("total", "fit", "engagement", "adjustment", "grade")


class _Walker:
    """Walks the leads that may move, through their marked moments only."""

    def __init__(
        self,
        ruleset: RuleSet,
        by_id: Mapping[str, Lead],
        frame: pl.DataFrame,
        *,
        origin: Any,
        made: Mapping[str, list[Decision]],
        as_of: Mapping[str, datetime],
        firsts: pl.DataFrame,
    ) -> None:
        self.machine = ruleset.stages
        self.framework = ruleset.framework
        self.model: PointsModel = ruleset.model  # type: ignore[assignment]
        self.by_id = by_id
        self.frame = frame
        self.origin = origin
        self.made = made
        self.as_of = as_of
        self.groups = [f"group:{x}" for x in self.model._group_kinds]
        self.near = 0
        framework = self.framework
        self.reads = () if framework is None else _framework_reads(framework)
        checks = () if framework is None else framework.checks
        self.signals = sorted({t for check in checks for t in getattr(check, "signals", ())})
        self.dated = framework is not None and any(
            isinstance(check, Timeline) for check in framework.checks
        )
        self._judged: dict[tuple[Any, ...], FrameworkResult] = {}
        self.values: dict[str, pl.Series] = {}
        self.firsts = firsts

    def _judge(
        self, lead: Lead, profile: tuple[str, ...], at: datetime, activity: Mapping[str, Activity]
    ) -> FrameworkResult:
        """The framework's result for ``lead`` at ``at``, shared by the leads and moments
        alike in what the checks read (the lead's fields, the signals seen, the day)."""
        assert self.framework is not None
        seen = tuple(t for t in self.signals if t in activity and activity[t].count)
        key = (profile, seen, (at.date(), at.tzinfo) if self.dated else None)
        found = self._judged.get(key)
        if found is None:
            found = self._judged[key] = self.framework.evaluate(Facts._trusted(lead, at, activity))
        return found

    def run(self, instants: pl.DataFrame) -> BatchQualification:
        first = self.machine.first_stage()
        mark = f"m:{first}"
        walked = set(self.made)
        if mark in instants.columns:
            moving = instants.filter(pl.col(mark) & (pl.col("_event") | pl.col("_final")))
            walked |= set(moving["lead_id"].unique().to_list())
        columns = [*_SCORE_COLUMNS, *self.groups]
        out = instants.filter(pl.col("_final")).select("lead_id", *columns)
        states: dict[str, StageState] = {}
        exact: dict[str, Score] = {}
        void: list[tuple[str, Decision, str]] = []
        if walked:
            chosen = pl.Series(sorted(walked), dtype=pl.String).implode()
            # the walk reads the marked moments, the decisions' and as_of: only those
            marked = [pl.col(c) for c in instants.columns if c.startswith("m:")]
            keep = ~pl.col("_event") | pl.col("_decided") | pl.col("_final")
            if marked:
                keep |= pl.any_horizontal(marked)
            rows = instants.filter(pl.col("lead_id").is_in(chosen) & keep)
            events = (
                self.frame.filter(pl.col("lead_id").is_in(chosen))
                .select("lead_id", "ts", "type", "_row")
                .sort("lead_id", "ts")
            )
            names = ["t", "_event", "_near", *[c for c in rows.columns if c.startswith("m:")]]
            table = {c: rows[c].to_list() for c in names}
            # the scores are read at the few moments visited: kept in their columns
            self.values = {c: rows[c] for c in columns}
            ev_table = {c: events[c].to_list() for c in ("ts", "type", "_row")}
            ev_spans = _spans(events["lead_id"])
            for lead_id, (a, b) in _spans(rows["lead_id"]).items():
                ea, eb = ev_spans.get(lead_id, (0, 0))
                state, score, lost = self._walk(
                    lead_id,
                    {c: values[a:b] for c, values in table.items()},
                    {c: values[ea:eb] for c, values in ev_table.items()},
                    a,
                )
                states[lead_id] = state
                if score is not None:
                    exact[lead_id] = score
                void += lost
        stages: list[str] = []
        entered: list[datetime | None] = []
        transitions: list[tuple[datetime, str, int, TransitionRecord]] = []
        for lead_id in out["lead_id"]:
            where = states.get(lead_id)
            stages.append(first if where is None else where.stage)
            entered.append(None if where is None else where.entered_at)
            for i, record in enumerate(() if where is None else where.history):
                transitions.append((record.at, lead_id, i, record))
        out = out.with_columns(
            stage=pl.Series(stages, dtype=pl.String),
            entered_at=pl.Series(entered, dtype=pl.Datetime("us", "UTC")),
        )
        if exact:  # the scores at as_of that were read again exactly, near a threshold
            fixed = {c: [_read(score, c) for score in exact.values()] for c in columns}
            schema: Any = out.select("lead_id", *columns).schema
            fix = pl.DataFrame({"lead_id": list(exact), **fixed}, schema=schema)
            out = out.update(fix, on="lead_id")
        order = pl.DataFrame({"lead_id": list(self.by_id)}, schema={"lead_id": pl.String})
        out = (
            order.join(out, on="lead_id", how="left", maintain_order="left")
            .join(self._started(), on="lead_id", how="left", maintain_order="left")
            .join(self._verdicts(), on="lead_id", how="left", maintain_order="left")
            .select("lead_id", "stage", "entered_at", "started_at", *columns, "verdict", "missing")
        )
        transitions.sort(key=lambda item: (item[0], item[1], item[2]))
        return BatchQualification(
            leads=out,
            transitions=tuple((lead_id, record) for _, lead_id, _, record in transitions),
            void=tuple(void),
            near_threshold=self.near,
        )

    def _started(self) -> pl.DataFrame:
        """Per lead, its first event or decision (when it entered the funnel)."""
        firsts = self.firsts
        decided = [(lead_id, ds[0].at.timestamp()) for lead_id, ds in self.made.items() if ds]
        if decided:
            more = pl.DataFrame(
                decided, schema={"lead_id": pl.String, "_first": pl.Float64}, orient="row"
            )
            firsts = pl.concat([firsts, more]).group_by("lead_id").agg(pl.col("_first").min())
        micros = (pl.col("_first") * 1_000_000).round().cast(pl.Int64)
        return firsts.select("lead_id", micros.cast(pl.Datetime("us", "UTC")).alias("started_at"))

    def _verdicts(self) -> pl.DataFrame:
        """The framework's verdict and missing checks of each lead as of its moment (the
        built-in checks read, of the activity, only the counts of a need's signals)."""
        framework = self.framework
        ids = list(self.by_id)
        schema: Any = {"lead_id": pl.String, "verdict": pl.String, "missing": pl.List(pl.String)}
        if framework is None:
            return pl.DataFrame(
                {"lead_id": ids, "verdict": [None] * len(ids), "missing": [[]] * len(ids)},
                schema=schema,
            )
        reads = sorted({t for check in framework.checks for t in getattr(check, "signals", ())})
        activity: dict[str, dict[str, Activity]] = {}
        if reads:
            counted = (
                self.frame.filter(pl.col("type").is_in(pl.Series(reads, dtype=pl.String).implode()))
                .group_by("lead_id", "type")
                .agg(pl.len(), pl.col("ts").min().alias("a"), pl.col("ts").max().alias("b"))
            )
            for lead_id, kind, n, a, b in counted.iter_rows():
                seen = Activity._trusted(n, _moment(a), _moment(b))
                activity.setdefault(lead_id, {})[kind] = seen
        verdicts, missing = [], []
        names = _framework_reads(framework)
        dated = any(isinstance(check, Timeline) for check in framework.checks)
        known: dict[tuple[Any, ...], tuple[str, list[str]]] = {}
        for lead_id, lead in self.by_id.items():
            found = activity.get(lead_id, {})
            at = self.as_of[lead_id]
            # the verdicts read the lead's fields, which signals were seen, and the day
            key = (
                _profile(lead, names),
                tuple(sorted(found)),
                (at.date(), at.tzinfo) if dated else None,
            )
            got = known.get(key)
            if got is None:
                result = framework.evaluate(Facts._trusted(lead, at, MappingProxyType(found)))
                got = known[key] = (result.verdict.value, list(result.missing))
            verdicts.append(got[0])
            missing.append(got[1])
        return pl.DataFrame(
            {"lead_id": ids, "verdict": verdicts, "missing": missing}, schema=schema
        )

    def _walk(
        self,
        lead_id: str,
        rows: Mapping[str, list[Any]],
        events: Mapping[str, list[Any]],
        offset: int,
    ) -> tuple[StageState, Score | None, list[tuple[str, Decision, str]]]:
        """One lead through its marked moments and its decisions, as the engine walks it
        (``rows``: its moments' columns; ``events``: its events' ``ts``, ``type`` and
        ``_row``, in time order). Returns where it stands at as_of, its score then if
        read again exactly, and the decisions that could not apply."""
        lead, machine, framework = self.by_id[lead_id], self.machine, self.framework
        profile = () if framework is None else _profile(lead, self.reads)
        moments: list[float] = rows["t"]
        is_event: list[bool] = rows["_event"]
        near: list[bool] = rows["_near"]
        marks = {
            stage.name: rows[f"m:{stage.name}"]
            for stage in machine.stages
            if f"m:{stage.name}" in rows
        }
        values = self.values
        row_of = {t: k for k, t in enumerate(moments)}
        ev_ts: list[float] = events["ts"]
        ev_type: list[str] = events["type"]
        as_of = self.as_of[lead_id]
        decisions = [d for d in self.made.get(lead_id, ()) if d.at <= as_of]
        seen: dict[str, list[Any]] = {}
        fed = [0]
        exact: list[PointsState] = []
        void: list[tuple[str, Decision, str]] = []
        state = machine.start()

        def activity_until(t: float) -> Mapping[str, Activity]:
            p = fed[0]
            while p < len(ev_ts) and ev_ts[p] <= t:
                got = seen.get(ev_type[p])
                if got is None:
                    seen[ev_type[p]] = [1, ev_ts[p], ev_ts[p]]
                else:
                    got[0] += 1
                    got[2] = ev_ts[p]
                p += 1
            fed[0] = p
            return _Activity({k: (n, a, b) for k, (n, a, b) in seen.items()})

        def score_at(k: int, at: datetime) -> Score:
            if near[k]:
                self.near += 1
                if not exact:
                    exact.append(self._exact_state(lead, events))
                return exact[0].score(at)
            at_row = offset + k
            return Score._deferred(
                total=values["total"][at_row],
                fit=values["fit"][at_row],
                engagement=values["engagement"][at_row],
                parts=[],
                adjustment=values["adjustment"][at_row],
                groups={c[6:]: values[c][at_row] for c in self.groups},
                grade=values["grade"][at_row],
                as_of=at,
            )

        def context(k: int, at: datetime) -> g.GuardContext:
            activity = activity_until(moments[k])
            judge: Any = None
            if framework is not None:
                judge = lambda: self._judge(lead, profile, at, activity)  # noqa: E731
            return g.GuardContext(
                lead,
                lambda: score_at(k, at),
                at,
                activity=activity,
                framework=judge,
                stage_entered_at=state.entered_at,
            )

        def next_mark(stage: str, i: int) -> int | None:
            flags = marks.get(stage)
            if flags is None:
                return None
            for j in range(i, len(moments)):
                if flags[j] and is_event[j]:
                    return j
            return None

        i, d = 0, 0
        while True:
            j = next_mark(state.stage, i)
            if d < len(decisions) and (j is None or decisions[d].at.timestamp() < moments[j]):
                decision = decisions[d]
                d += 1
                k = row_of[decision.at.timestamp()]
                ctx = context(k, decision.at)
                try:
                    machine.move(
                        state, decision.target, at=decision.at, reason=decision.reason, ctx=ctx
                    )
                except InvalidTransition as exc:
                    void.append((lead_id, decision, str(exc)))
                else:
                    machine.advance(state, ctx)
                i = bisect_right(moments, decision.at.timestamp())
                continue
            if j is None:
                break
            machine.advance(state, context(j, _moment(moments[j])))
            i = j + 1
        last = len(moments) - 1
        final = state.copy()
        flags = marks.get(final.stage)
        if flags is not None and flags[last]:
            machine.advance(final, context(last, as_of))
        return final, (score_at(last, as_of) if near[last] else None), void

    def _exact_state(self, lead: Lead, events: Mapping[str, list[Any]]) -> PointsState:
        """The engine's scoring state of ``lead`` (for a score near a threshold)."""
        state = self.model.start(lead)
        state.apply_all(events_at(self.origin, self.frame, events["_row"]))
        return state


class _Activity(Mapping[str, Activity]):
    """A lead's activity at one moment, each type's :class:`Activity` built when read
    (a guard reads one or two types; the framework, its signals)."""

    __slots__ = ("_built", "_seen")

    def __init__(self, seen: dict[str, tuple[int, float, float]]) -> None:
        self._seen = seen
        self._built: dict[str, Activity] = {}

    def __getitem__(self, kind: str) -> Activity:
        found = self._built.get(kind)
        if found is None:
            n, first, last = self._seen[kind]
            found = self._built[kind] = Activity._trusted(n, _moment(first), _moment(last))
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._seen)

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, kind: object) -> bool:
        return kind in self._seen


def _spans(ids: pl.Series) -> dict[str, tuple[int, int]]:
    """Where each lead's rows start and end in ``ids`` (sorted by lead)."""
    runs = ids.rle()
    spans: dict[str, tuple[int, int]] = {}
    start = 0
    for length, lead_id in runs.struct.unnest().iter_rows():
        spans[lead_id] = (start, start + length)
        start += length
    return spans


def _read(score: Score, column: str) -> Any:
    if column.startswith("group:"):
        return score.groups[column[6:]]
    value = getattr(score, column)
    return value if column == "grade" else float(value)
