"""Funnel reports: how many leads reached each stage, how they left it, and how long
they stayed, from the transition records of many leads.

A lead's *journey* is the stage it started in, when, and its transition records. Each
stay in a stage is a *visit*: a lead recycled from MQL to NURTURE and back to MQL is one
lead in MQL with two visits. Per stage the report counts, over leads:

- ``entered``: leads that were ever in the stage (``visits`` counts every stay);
- ``now``: leads in it at ``as_of`` (counted as ``entered`` is: in strict mode, a lead
  moved by hand past a stage is in neither);
- ``forward`` / ``back``: leads that left it, at least once, for a later / an earlier funnel
  stage; ``left_to``: leads that left it for each side stage (NURTURE, DISQUALIFIED...);
- ``conversion``: of the leads that entered the stage before it in the funnel, the share that
  entered this one too; ``from_first``: the leads that entered this stage over those that
  entered the first;
- time in stage, in days, of the leads that have left the stage (a lead still there has no
  finished stay to measure): the median and 90th percentile of their latest visit
  (``days_latest``) and of all their visits added up (``days_total``).

Two counting modes, because tools disagree: ``mode="strict"`` counts a lead in a funnel
stage only if it passed every earlier funnel stage, in order (a pass recorded on a skip,
such as IQL -> MQL -> SQL at one instant, counts; the order is that of each stage's first
entry); ``mode="any"`` counts every stage a lead reached. Side stages are counted the same way
in both. A lead that entered the funnel after ``as_of`` is not counted at all.

>>> import leadqual as lq
>>> engine = lq.Engine(lq.default_ruleset())
>>> for lead in lq.samples.sample_leads():
...     engine.add_lead(lead)
>>> engine.apply(lq.samples.sample_events())
>>> report = funnel(engine, as_of=lq.samples.SAMPLE_AS_OF)
>>> [(row["stage"], row["entered"], row["now"]) for row in report.rows()][:3]
[('IQL', 200, 175), ('MQL', 25, 24), ('SQL', 1, 1)]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, overload

import attrs
from typing_extensions import deprecated

from leadqual._fields import DAY, as_of_by_keyword, check_keys, parse_timestamp, require_aware
from leadqual._text import duration, percent
from leadqual.analytics.metrics import percentile
from leadqual.engine import Engine
from leadqual.errors import RowError, ValidationError
from leadqual.io.jsonl import read_objects, write_jsonl
from leadqual.io.rows import Ignored
from leadqual.jsonvalues import EMPTY_MAP, JsonMap, freeze_mapping
from leadqual.leads import Lead
from leadqual.rulesets import RuleSet
from leadqual.stages.machine import StageMachine, TransitionRecord

__all__ = [
    "FunnelReport",
    "Journey",
    "PastDue",
    "Visit",
    "funnel",
    "journeys_from_engine",
    "read_journeys",
    "write_journeys",
]

Mode = Literal["strict", "any"]
Cohort = Literal["month", "week"]


@attrs.frozen
class Visit:
    """One stay of a lead in a stage: entered (``None``: before anything is known) and
    left (``None``: still there), and where it went next."""

    stage: str
    entered_at: datetime | None
    left_at: datetime | None
    next: str | None

    def days(self) -> float | None:
        """How long the stay lasted, in days (``None`` while it goes on, or if its start
        is unknown)."""
        if self.entered_at is None or self.left_at is None:
            return None
        return (self.left_at - self.entered_at).total_seconds() / DAY


def _attributes(value: Mapping[str, Any] | None) -> JsonMap:
    return freeze_mapping(value, "attributes")


@attrs.frozen
class Journey:
    """One lead's way through the funnel: its first ``stage``, since ``started_at`` (when it
    entered the funnel, if known), its transition ``records`` in time order, and the lead's
    ``attributes`` (to split a report by)."""

    lead_id: str
    stage: str
    started_at: datetime | None
    records: tuple[TransitionRecord, ...] = ()
    attributes: JsonMap = attrs.field(default=EMPTY_MAP, converter=_attributes)

    def visits(self, until: datetime | None = None) -> list[Visit]:
        """The stays, in order, of the records up to ``until`` (all when None); none when
        the lead entered the funnel after ``until``."""
        if until is not None and self.started_at is not None and self.started_at > until:
            return []
        out: list[Visit] = []
        stage, since = self.stage, self.started_at
        for record in self.records:
            if until is not None and record.at > until:
                break
            out.append(Visit(stage, since, record.at, record.target))
            stage, since = record.target, record.at
        out.append(Visit(stage, since, None, None))
        return out

    def to_rows(self) -> Iterator[dict[str, Any]]:
        """The journey as transitions-file rows: a start row, then one per record."""
        yield {
            "lead_id": self.lead_id,
            "source": None,
            "target": self.stage,
            "at": None if self.started_at is None else self.started_at.isoformat(),
        }
        for record in self.records:
            yield {"lead_id": self.lead_id, **record.to_dict()}


@overload
def journeys_from_engine(engine: Engine, /, *, as_of: datetime | None = None) -> list[Journey]: ...


@overload
@deprecated("pass as_of by keyword: journeys_from_engine(engine, as_of=...)")
def journeys_from_engine(engine: Engine, as_of: datetime, /) -> list[Journey]: ...


def journeys_from_engine(
    engine: Engine, _as_of: datetime | None = None, /, *, as_of: datetime | None = None
) -> list[Journey]:
    """Every lead of ``engine``, from its first event (or decision), with its records; as
    of ``as_of`` when given (the records then, automatic moves read at ``as_of`` too, as
    :meth:`Engine.get` gives them)."""
    as_of = as_of_by_keyword(_as_of, as_of, "journeys_from_engine")
    out = []
    first = engine.ruleset.stages.first_stage()
    for lead_id in engine.lead_ids():
        state = engine.state(lead_id)
        moments = [e.at for e in state.events[:1]] + [d.at for d in state.decisions]
        started = min(moments) if moments else None
        history = state.history if as_of is None else engine.get(lead_id, as_of=as_of).history
        out.append(Journey(lead_id, first, started, history, state.lead.attributes))
    return out


def write_journeys(journeys: Iterable[Journey], path: str | os.PathLike[str]) -> int:
    """Write journeys as a transitions JSONL file (what ``leadqual score --transitions``
    writes); return how many journeys."""
    from leadqual.io.files import atomic_writer

    count = 0
    with atomic_writer(path, newline="\n") as out:
        for journey in journeys:
            write_jsonl(journey.to_rows(), out)
            count += 1
    return count


def read_journeys(path: str | os.PathLike[str]) -> list[Journey]:
    """Read a transitions JSONL file: a start row per lead (``source`` null), then its
    records. A malformed row raises :class:`~leadqual.errors.ValidationError` naming the
    line."""
    starts: dict[str, tuple[str, datetime | None]] = {}
    records: dict[str, list[TransitionRecord]] = {}
    with open(path, encoding="utf-8") as handle:
        for item in read_objects(handle, os.fspath(path)):
            if isinstance(item, RowError):
                raise item
            if isinstance(item, Ignored):
                continue
            number, row = item
            where = f"{os.fspath(path)}:{number}"
            try:
                check_keys(
                    where, row, ("lead_id", "source", "target", "at"), ("reason", "guard", "auto")
                )
                lead_id = row["lead_id"]
                if row["source"] is None:
                    at = None if row["at"] is None else parse_timestamp(f"{where}.at", row["at"])
                    starts[lead_id] = (row["target"], at)
                else:
                    fields = {k: v for k, v in row.items() if k != "lead_id"}
                    record = TransitionRecord.from_dict(fields, where=where)
                    records.setdefault(lead_id, []).append(record)
            except (TypeError, KeyError) as exc:
                raise ValidationError(where, row, f"not a transitions row ({exc})") from None
    return _journeys(records, starts)


def _journeys(
    records: Mapping[str, list[TransitionRecord]],
    starts: Mapping[str, tuple[str, datetime | None]],
) -> list[Journey]:
    """Journeys by lead id, records in time order; without a start row a lead starts where
    its first record leaves from, at an unknown time."""
    out = []
    for lead_id in sorted(set(starts) | set(records), key=str):
        own = sorted(records.get(lead_id, []), key=lambda r: r.at)
        stage, started = starts.get(lead_id, (own[0].source if own else "", None))
        out.append(Journey(lead_id, stage, started, tuple(own)))
    return out


def _journeys_from_pairs(pairs: Iterable[Any]) -> list[Journey]:
    by_lead: dict[str, list[TransitionRecord]] = {}
    for i, pair in enumerate(pairs):
        if isinstance(pair, Journey):
            raise ValidationError(f"source[{i}]", pair, "mix of journeys and records")
        try:
            lead_id, record = pair
        except (TypeError, ValueError):
            raise ValidationError(
                f"source[{i}]", pair, "expected (lead_id, TransitionRecord) pairs"
            ) from None
        if not isinstance(record, TransitionRecord):
            raise ValidationError(f"source[{i}]", pair, "expected (lead_id, TransitionRecord)")
        by_lead.setdefault(lead_id, []).append(record)
    return _journeys(by_lead, {})


#: How many past-due leads a report's text shows (the most overdue first).
PAST_DUE_SHOWN = 10


@attrs.frozen
class PastDue:
    """A lead in a stage for longer than its SLA allows."""

    lead_id: str
    stage: str
    entered_at: datetime
    overdue: timedelta


@attrs.frozen
class FunnelReport:
    """What :func:`funnel` counted: one table per group (all leads in one group, unless
    split by cohort or attribute), the flow over a period, and the SLA status."""

    mode: Mode
    as_of: datetime | None
    stages: tuple[str, ...]
    groups: Mapping[tuple[str, ...], tuple[dict[str, Any], ...]] = attrs.field(hash=False)
    group_names: tuple[str, ...]
    flow: tuple[dict[str, Any], ...] | None
    sla: tuple[dict[str, Any], ...] | None
    past_due: tuple[PastDue, ...]

    def rows(self) -> list[dict[str, Any]]:
        """Every stage row of every group as a plain dict (the group's keys included)."""
        out = []
        for key, rows in self.groups.items():
            for row in rows:
                out.append({**dict(zip(self.group_names, key, strict=True)), **row})
        return out

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs pandas, which leadqual never requires)."""
        try:
            import pandas as pd  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ImportError("FunnelReport.to_pandas() needs pandas: pip install pandas") from None
        return pd.DataFrame(self.rows())

    def plot(self) -> Any:
        """Funnel bars with conversion rates, as a matplotlib figure (the ``plot`` extra)."""
        from leadqual.analytics.charts import funnel_figure

        return funnel_figure(self)

    def html(self, title: str = "Funnel") -> str:
        """The report as one self-contained HTML page (charts with the ``plot`` extra)."""
        from leadqual.analytics.html import funnel_html

        return funnel_html(self, title)

    def __str__(self) -> str:
        return self.text()

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the time zone of the report's ``as_of`` (one zone per report, in
        the terminal and on the page)."""
        return moment if self.as_of is None else moment.astimezone(self.as_of.tzinfo)

    def text(self, *, past_due: int | None = PAST_DUE_SHOWN) -> str:
        """The report as text; with SLAs, the ``past_due`` most overdue leads (every one
        when ``None``) after the SLA table."""
        lines = [
            f"funnel ({self.mode})" + (f" as of {self.as_of.isoformat()}" if self.as_of else "")
        ]
        for key, rows in self.groups.items():
            if self.group_names:
                label = ", ".join(f"{n} {v}" for n, v in zip(self.group_names, key, strict=True))
                lines.append(f"{label}:")
            lines.append(
                "  stage          entered  now  forward  back  side   conv.  from 1st  "
                "days (median / p90)"
            )
            for row in rows:
                side = sum(row["left_to"].values())
                days = (
                    "-"
                    if row["days_latest_median"] is None
                    else f"{row['days_latest_median']:.1f} / {row['days_latest_p90']:.1f}"
                )
                lines.append(
                    f"  {row['stage']:<14} {row['entered']:>7}  {row['now']:>3}  "
                    f"{row['forward']:>7}  {row['back']:>4}  {side:>4}  "
                    f"{_pct(row['conversion']):>6}  {_pct(row['from_first']):>8}  {days}"
                )
        if self.flow is not None:
            lines += _titled_table("flow: stage, at start, in, out, at end", _FLOW_ROW, self.flow)
        if self.sla is not None:
            lines += _titled_table("SLA: stage, limit, in stage, due, past due", _SLA_ROW, self.sla)
            worst = sorted(self.past_due, key=lambda item: (-item.overdue, item.lead_id))
            shown = worst if past_due is None else worst[:past_due]
            for item in shown:
                lines.append(
                    f"  past due: {item.lead_id} in {item.stage} since "
                    f"{self.local(item.entered_at).isoformat()} ({_span(item.overdue)} over)"
                )
            if len(shown) < len(worst):
                lines.append(
                    f"  ... and {len(worst) - len(shown)} more past due (the most overdue "
                    "first; --sla-details or text(past_due=None) lists every one)"
                )
        return "\n".join(lines)


_pct = percent


_span = duration

#: One line of the flow table, and of the SLA table, in the text (fields of their rows).
_FLOW_ROW = "  {stage:<14} {at_start:>5} {inflow:>5} {outflow:>5} {at_end:>5}"
_SLA_ROW = "  {stage:<14} {limit:<12} {in_stage:>5} {due:>5} {past_due:>5}"


def _titled_table(title: str, row_format: str, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The lines of a text table: ``title``, then each row as ``row_format`` says
    (:meth:`str.format_map` of the row)."""
    return [title, *(row_format.format_map(row) for row in rows)]


def _cohort(moment: datetime | None, cohort: Cohort) -> str:
    if moment is None:
        return "unknown"
    utc = moment.astimezone(timezone.utc)
    if cohort == "month":
        return f"{utc.year:04d}-{utc.month:02d}"
    year, week, _ = utc.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _table(
    journeys: Sequence[Journey], machine: StageMachine, mode: Mode, as_of: datetime | None
) -> tuple[dict[str, Any], ...]:
    funnel_stages = machine.funnel()
    order = {name: i for i, name in enumerate(funnel_stages)}
    names = machine.names()
    entered = dict.fromkeys(names, 0)
    visits = dict.fromkeys(names, 0)
    now = dict.fromkeys(names, 0)
    forward = dict.fromkeys(names, 0)
    back = dict.fromkeys(names, 0)
    left_to: dict[str, dict[str, int]] = {name: {} for name in names}
    latest: dict[str, list[float]] = {name: [] for name in names}
    total: dict[str, list[float]] = {name: [] for name in names}
    both = dict.fromkeys(names, 0)  # leads counted in a funnel stage and the one before
    for journey in journeys:
        stays = journey.visits(as_of)
        if not stays:
            continue  # not in the funnel yet at as_of
        counted = _counted(stays, funnel_stages, mode)
        by_stage: dict[str, list[Visit]] = {}
        for visit in stays:
            by_stage.setdefault(visit.stage, []).append(visit)
        if stays[-1].stage in counted:
            now[stays[-1].stage] = now.get(stays[-1].stage, 0) + 1
        for i in range(1, len(funnel_stages)):
            if funnel_stages[i] in counted and funnel_stages[i - 1] in counted:
                both[funnel_stages[i]] += 1
        for stage, own in by_stage.items():
            if stage not in entered or stage not in counted:
                continue
            entered[stage] += 1
            visits[stage] += len(own)
            nexts = {v.next for v in own if v.next is not None}
            if any(n in order and stage in order and order[n] > order[stage] for n in nexts):
                forward[stage] += 1
            if any(n in order and stage in order and order[n] < order[stage] for n in nexts):
                back[stage] += 1
            for n in sorted(nexts):
                if n not in order:
                    left_to[stage][n] = left_to[stage].get(n, 0) + 1
            if own[-1].left_at is not None:
                days = [v.days() for v in own]
                if days[-1] is not None:
                    latest[stage].append(days[-1])
                if all(d is not None for d in days):
                    total[stage].append(sum(d for d in days if d is not None))
    first = funnel_stages[0] if funnel_stages else None
    rows = []
    for name in names:
        position = order.get(name)
        previous = funnel_stages[position - 1] if position else None
        rows.append(
            {
                "stage": name,
                "funnel": name in order,
                "entered": entered[name],
                "visits": visits[name],
                "now": now.get(name, 0),
                "forward": forward[name],
                "back": back[name],
                "left_to": dict(sorted(left_to[name].items())),
                "conversion": (
                    both[name] / entered[previous]
                    if previous is not None and entered[previous]
                    else None
                ),
                "from_first": (
                    entered[name] / entered[first]
                    if first is not None and name in order and entered[first]
                    else None
                ),
                "days_latest_median": _q(latest[name], 50),
                "days_latest_p90": _q(latest[name], 90),
                "days_total_median": _q(total[name], 50),
                "days_total_p90": _q(total[name], 90),
            }
        )
    return tuple(rows)


def _q(values: list[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def _counted(stays: Sequence[Visit], funnel_stages: Sequence[str], mode: Mode) -> set[str]:
    """The stages a lead counts in: every stage it reached, or (strict) the funnel stages
    it reached in order, each after the one before it, and every side stage."""
    reached = {v.stage for v in stays}
    if mode == "any":
        return reached
    first_entry: dict[str, int] = {}
    for i, v in enumerate(stays):
        first_entry.setdefault(v.stage, i)
    counted = {s for s in reached if s not in funnel_stages}
    last = -1
    for stage in funnel_stages:
        index = first_entry.get(stage)
        if index is None or index < last:
            break  # skipped, or reached before the stage that comes first
        counted.add(stage)
        last = index
    return counted


def _flow(
    journeys: Sequence[Journey], machine: StageMachine, start: datetime, end: datetime
) -> tuple[dict[str, Any], ...]:
    rows = []
    for name in machine.names():
        at_start = at_end = inflow = outflow = 0
        for journey in journeys:
            for visit in journey.visits():
                if visit.stage != name:
                    continue
                began = visit.entered_at
                ended = visit.left_at
                if began is None:
                    continue  # a stay whose start is unknown (pairs): left out of the flow
                if began <= start and (ended is None or ended > start):
                    at_start += 1
                if began <= end and (ended is None or ended > end):
                    at_end += 1
                if start < began <= end:
                    inflow += 1
                if ended is not None and start < ended <= end:
                    outflow += 1
        rows.append(
            {
                "stage": name,
                "at_start": at_start,
                "inflow": inflow,
                "outflow": outflow,
                "at_end": at_end,
            }
        )
    return tuple(rows)


def _sla(
    journeys: Sequence[Journey],
    machine: StageMachine,
    limits: Mapping[str, timedelta],
    as_of: datetime,
) -> tuple[tuple[dict[str, Any], ...], tuple[PastDue, ...]]:
    rows = []
    late: list[PastDue] = []
    for stage, limit in limits.items():
        in_stage = due = 0
        for journey in journeys:
            stays = journey.visits(as_of)
            if not stays:
                continue
            visit = stays[-1]
            if visit.stage != stage or visit.entered_at is None:
                continue
            in_stage += 1
            waited = as_of - visit.entered_at
            if waited > limit:
                late.append(PastDue(journey.lead_id, stage, visit.entered_at, waited - limit))
            else:
                due += 1
        rows.append(
            {
                "stage": stage,
                "limit": _span(limit),
                "in_stage": in_stage,
                "due": due,
                "past_due": in_stage - due,
            }
        )
    late.sort(key=lambda p: (-p.overdue, p.lead_id))
    return tuple(rows), tuple(late)


def funnel(
    source: Engine
    | Iterable[Journey]
    | Iterable[tuple[str, TransitionRecord]]
    | str
    | os.PathLike[str],
    *,
    stages: StageMachine | RuleSet | None = None,
    leads: Iterable[Lead] | None = None,
    mode: Mode = "strict",
    cohort: Cohort | None = None,
    by: str | None = None,
    period: tuple[datetime, datetime] | None = None,
    sla: Mapping[str, timedelta] | None = None,
    as_of: datetime | None = None,
) -> FunnelReport:
    """Count the funnel of ``source``: an :class:`~leadqual.Engine`, journeys, the
    ``(lead_id, record)`` pairs of :meth:`Engine.transitions`, or the path of a
    transitions file (``leadqual score --transitions``).

    ``stages`` (a machine or a rule set) is needed unless ``source`` is an engine.
    ``cohort`` (``"month"`` or ``"week"``, in UTC) groups leads by when they entered the
    funnel; ``by`` splits by a lead attribute (``leads`` give the attributes when the
    source does not); both together give a table per pair. ``period=(start, end)`` adds
    the flow per stage: leads in it at the start and at the end, entries and exits
    between (a stay whose start is unknown, from record pairs, is left out of the flow).
    ``sla`` (stage -> timedelta) counts, as of ``as_of``, the leads in each
    stage that are within their time and past it, and lists the late ones.
    Pairs of records know nothing of leads that never moved: pass an engine or a
    transitions file to count those too.
    """
    if mode not in ("strict", "any"):
        raise ValidationError("mode", mode, "expected 'strict' or 'any'")
    if cohort is not None and cohort not in ("month", "week"):
        raise ValidationError("cohort", cohort, "expected 'month' or 'week'")
    if as_of is not None:
        require_aware("as_of", as_of)
    if isinstance(source, Engine):
        if as_of is None:
            as_of = source.now()
        journeys = journeys_from_engine(source, as_of=as_of)
        machine = source.ruleset.stages
    else:
        if isinstance(source, (str, os.PathLike)):
            journeys = read_journeys(source)
        else:
            items = list(source)
            journeys = (
                [j for j in items if isinstance(j, Journey)]
                if items and all(isinstance(j, Journey) for j in items)
                else _journeys_from_pairs(items)
            )
        if stages is None:
            raise ValidationError(
                "stages", None, "give the stage machine (or rule set) to count by"
            )
    if stages is not None:
        machine = stages.stages if isinstance(stages, RuleSet) else stages
        if not isinstance(machine, StageMachine):
            raise ValidationError("stages", stages, "expected a StageMachine or a RuleSet")
    if leads is not None:
        attributes = {lead.id: lead.attributes for lead in leads}
        journeys = [
            attrs.evolve(j, attributes=attributes.get(j.lead_id, j.attributes)) for j in journeys
        ]
    for journey in journeys:
        for name in (journey.stage, *(r.target for r in journey.records)):
            machine.stage(name)  # an unknown stage is an error, not a silent row
    names: list[str] = []
    if cohort is not None:
        names.append("cohort")
    if by is not None:
        names.append(by)
    groups: dict[tuple[str, ...], list[Journey]] = {}
    for journey in journeys:
        key: list[str] = []
        if cohort is not None:
            key.append(_cohort(journey.started_at, cohort))
        if by is not None:
            value = journey.attributes.get(by)
            key.append("(none)" if value is None else str(value))
        groups.setdefault(tuple(key), []).append(journey)
    tables = {key: _table(groups[key], machine, mode, as_of) for key in sorted(groups)}
    flow = None
    if period is not None:
        start, end = period
        require_aware("period[0]", start)
        require_aware("period[1]", end)
        if end < start:
            raise ValidationError("period", period, "the end is before the start")
        flow = _flow(journeys, machine, start, end)
    sla_rows: tuple[dict[str, Any], ...] | None = None
    late: tuple[PastDue, ...] = ()
    if sla is not None:
        if as_of is None:
            raise ValidationError("as_of", None, "an SLA is checked as of a moment: pass as_of")
        for stage, limit in sla.items():
            machine.stage(stage)
            given: Any = limit
            if not isinstance(given, timedelta) or given <= timedelta(0):
                raise ValidationError(f"sla.{stage}", limit, "expected a positive timedelta")
        sla_rows, late = _sla(journeys, machine, sla, as_of)
    return FunnelReport(
        mode=mode,
        as_of=as_of,
        stages=machine.names(),
        groups=tables,
        group_names=tuple(names),
        flow=flow,
        sla=sla_rows,
        past_due=late,
    )
