"""Each engagement rule's points at many moments of each lead, without a replay per moment.

A rule's points at a moment ``t`` add up the events it counts then: those at or before ``t``
(and no older than ``within``), the most recent ``max_per_day`` of each UTC day, then the
most recent ``max_times`` of those, each decayed to ``t``, the sum bounded by ``max_points``.
Sorted per lead, the events a rule counts at ``t`` are one or two runs of consecutive events
(the day of ``t`` and, with a daily cap, the earlier days' capped events), so their sum is a
difference of running sums: a half-life factors as ``0.5 ** ((t - e) / h) = 0.5 ** ((t - ref)
/ h) * 2 ** ((e - ref) / h)``, a linear decay is linear in ``e`` until it reaches zero, and
expiry and schedules count events in age bands. The runs' ends are found with as-of joins.
"""

from __future__ import annotations

import polars as pl

from leadqual._fields import DAY
from leadqual.errors import NotLowerable
from leadqual.scoring.decay import Expire, HalfLife, Linear, Schedule
from leadqual.scoring.points import _RulePlan

__all__ = ["day_start", "rule_at_instants"]


def day_start(t: pl.Expr) -> pl.Expr:
    """The start of the UTC day of ``t`` (seconds), exactly as ``t // DAY * DAY``."""
    guess = (t / DAY).floor()
    guess = pl.when(guess * DAY > t).then(guess - 1).otherwise(guess)
    guess = pl.when((guess + 1) * DAY <= t).then(guess + 1).otherwise(guess)
    return guess * DAY


class _Runs:
    """One rule's events of every lead, sorted, with running counts and sums; answers
    "how many events, and what running sums, before a moment" for many moments."""

    def __init__(self, events: pl.DataFrame, sums: list[pl.Expr]) -> None:
        # events: lead_id, ts, _ref; sorted by lead_id, then ts
        self.width = len(sums)
        self.events = events.with_columns(
            _k=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("lead_id"),
            **{f"_c{i}": s.cum_sum().over("lead_id") for i, s in enumerate(sums)},
        )
        last = [pl.col("_k").last(), *[pl.col(f"_c{i}").last() for i in range(self.width)]]
        self.ends = (
            self.events.group_by("lead_id", "ts", maintain_order=True)
            .agg(last)
            .sort("lead_id", "ts")
        )

    def before(
        self, moments: pl.DataFrame, at: pl.Expr, *, inclusive: bool, name: str
    ) -> pl.DataFrame:
        """``moments`` with ``{name}_k``, how many events are at or before ``at`` (or
        strictly before it), and ``{name}_c{i}``, their running sums. ``moments`` is
        sorted by lead, and ``at`` grows with its rows within a lead."""
        found = moments.with_columns(_at=at).join_asof(
            self.ends,
            left_on="_at",
            right_on="ts",
            by="lead_id",
            strategy="backward",
            allow_exact_matches=inclusive,
            check_sortedness=False,
        )
        columns = [pl.col("_k").fill_null(0).alias(f"{name}_k")]
        columns += [
            pl.col(f"_c{i}").fill_null(0.0).alias(f"{name}_c{i}") for i in range(self.width)
        ]
        return moments.with_columns(found.select(columns))

    def at_index(self, moments: pl.DataFrame, name: str) -> pl.DataFrame:
        """``moments`` with ``{name}_c{i}``: the running sums of the first ``{name}_k``
        events of each row's lead."""
        sums = [f"_c{i}" for i in range(self.width)]
        table = self.events.select("lead_id", pl.col("_k").alias(f"{name}_k"), *sums)
        joined = moments.join(table, on=["lead_id", f"{name}_k"], how="left", maintain_order="left")
        return moments.with_columns(
            joined.select(
                [pl.col(s).fill_null(0.0).alias(f"{name}_c{i}") for i, s in enumerate(sums)]
            )
        )


def _weights(plan: _RulePlan) -> tuple[list[pl.Expr], str]:
    """The running sums a rule needs, and how its decay reads them."""
    decay = plan.decay
    if isinstance(decay, HalfLife):
        return [pl.lit(2.0).pow((pl.col("ts") - pl.col("_ref")) / (decay.days * DAY))], "half"
    if isinstance(decay, Linear):
        return [pl.lit(1.0), pl.col("ts") - pl.col("_ref")], "linear"
    if decay is None or isinstance(decay, (Expire, Schedule)):
        return [], "count"
    raise NotLowerable([f"{type(decay).__name__} is a decay of your own"])


def _max(*columns: pl.Expr) -> pl.Expr:
    return pl.max_horizontal(columns) if len(columns) > 1 else columns[0]


def rule_at_instants(plan: _RulePlan, matched: pl.DataFrame, instants: pl.DataFrame) -> pl.Series:
    """The rule's points at each of ``instants`` (``lead_id``, ``t``; sorted by lead_id
    then t), from the events it counts (``matched``: ``lead_id``, ``ts``), in order."""
    if not matched.height:
        return pl.Series("points", [0.0] * instants.height, dtype=pl.Float64)
    events = matched.select("lead_id", "ts").sort("lead_id", "ts")
    events = events.with_columns(_ref=pl.col("ts").first().over("lead_id"))
    sums, form = _weights(plan)
    runs = _Runs(events, sums)
    if form == "half" and not runs.events["_c0"].is_finite().all():
        raise NotLowerable(
            [
                f"engagement[{plan.name!r}]: a lead's events of this rule span more than about "
                "1,000 half-lives, more than the backend's running sums hold"
            ]
        )
    refs = events.group_by("lead_id").agg(pl.col("_ref").first())
    frame = instants.select("lead_id", "t").join(
        refs, on="lead_id", how="left", maintain_order="left"
    )
    t = pl.col("t")
    frame = runs.before(frame, t, inclusive=True, name="hi")
    lows: list[pl.Expr] = [pl.lit(0, pl.Int64)]
    if plan.within is not None:
        frame = runs.before(frame, t - plan.within, inclusive=False, name="win")
        lows.append(pl.col("win_k"))
    hi = pl.col("hi_k")
    if plan.max_per_day is None:
        if plan.max_times is not None:
            lows.append(hi - plan.max_times)
        frame = frame.with_columns(lo_k=_max(*lows))
        frame, value = _run(plan, form, runs, frame, low="lo", high="hi")
    else:
        # the day of t: its most recent events up to t (and no older than within)
        newest = (
            plan.max_per_day if plan.max_times is None else min(plan.max_per_day, plan.max_times)
        )
        frame = runs.before(frame, day_start(t), inclusive=False, name="day")
        frame = frame.with_columns(cur_k=_max(*lows, pl.col("day_k"), hi - newest))
        frame, today = _run(plan, form, runs, frame, low="cur", high="hi")
        # the earlier days: each day's most recent max_per_day, then the most recent of them
        day = day_start(pl.col("ts"))
        kept = pl.col("ts").rank("ordinal", descending=True).over("lead_id", day)
        earlier = _Runs(events.filter(kept <= plan.max_per_day), sums)
        frame = earlier.before(frame, day_start(t), inclusive=False, name="kb")
        past_lows: list[pl.Expr] = [pl.lit(0, pl.Int64)]
        if plan.within is not None:
            frame = earlier.before(frame, t - plan.within, inclusive=False, name="kw")
            past_lows.append(pl.col("kw_k"))
        if plan.max_times is not None:
            left = plan.max_times - (hi - pl.col("cur_k"))  # what the day of t leaves
            past_lows.append(pl.col("kb_k") - left)
        frame = frame.with_columns(ka_k=pl.min_horizontal(_max(*past_lows), pl.col("kb_k")))
        frame, past = _run(plan, form, earlier, frame, low="ka", high="kb")
        value = today + past
    value = value.fill_null(0.0)  # a lead with no event of this rule
    if plan.max_points is not None:
        cap = plan.max_points
        value = pl.when(value.abs() > cap).then(value.sign() * cap).otherwise(value)
    return frame.select(value.cast(pl.Float64).alias("points")).to_series()


def _run(
    plan: _RulePlan, form: str, runs: _Runs, frame: pl.DataFrame, *, low: str, high: str
) -> tuple[pl.DataFrame, pl.Expr]:
    """The points at ``t`` of the events ``[{low}_k, {high}_k)`` of ``runs`` (``frame``
    gains the columns the expression reads)."""
    t = pl.col("t")
    lo, hi = pl.col(f"{low}_k"), pl.col(f"{high}_k")
    decay = plan.decay
    points = float(plan.points)
    tag = f"{low}{high}"
    if isinstance(decay, Schedule):
        # events of age >= a step's age (index below the count at t - age) take its factor
        counts = []
        for i, (age, _) in enumerate(decay.steps):
            frame = runs.before(frame, t - age.total_seconds(), inclusive=True, name=f"{tag}s{i}")
            counts.append(pl.min_horizontal(_max(pl.col(f"{tag}s{i}_k"), lo), hi) - lo)
        n = hi - lo
        total = n - counts[0]
        for i, (_, factor) in enumerate(decay.steps):
            following = counts[i + 1] if i + 1 < len(counts) else pl.lit(0, pl.Int64)
            total = total + (counts[i] - following) * factor
        return frame, pl.lit(points) * total
    if isinstance(decay, Expire):
        frame = runs.before(frame, t - decay.after.total_seconds(), inclusive=False, name=f"{tag}x")
        alive = pl.min_horizontal(_max(pl.col(f"{tag}x_k"), lo), hi)
        return frame, pl.lit(points) * (hi - alive)
    if form == "count":
        return frame, pl.lit(points) * (hi - lo)
    if form == "linear":
        assert isinstance(decay, Linear)
        if points == 0:
            return frame, (hi * 0).cast(pl.Float64)  # one zero per moment
        span = abs(points) * DAY / decay.points_per_day
        frame = runs.before(frame, t - span, inclusive=True, name=f"{tag}l")
        frame = frame.with_columns(
            pl.min_horizontal(_max(pl.col(f"{tag}l_k"), lo), hi).alias(f"{tag}a_k")
        )
        frame = runs.at_index(frame, f"{tag}a")
        if high != "hi" and high != "kb":
            raise AssertionError(high)
        count = hi - pl.col(f"{tag}a_k")
        ages = pl.col(f"{high}_c1") - pl.col(f"{tag}a_c1")
        rate = decay.points_per_day / DAY
        left = count * (abs(points) - rate * (t - pl.col("_ref"))) + rate * ages
        return frame, left * (1.0 if points > 0 else -1.0)
    # a half-life
    assert isinstance(decay, HalfLife)
    if low == "lo" and plan.within is None and plan.max_times is None:
        grown = pl.col(f"{high}_c0")  # every event up to t: nothing to take away
    else:
        frame = runs.at_index(frame, low)
        grown = pl.col(f"{high}_c0") - pl.col(f"{low}_c0")
    halvings = (t - pl.col("_ref")) / (decay.days * DAY)
    # past about 1,000 half-lives 0.5 ** n underflows: then add the exponents instead
    value = (
        pl.when(halvings < 1000)
        .then(pl.lit(0.5).pow(halvings) * grown)
        .otherwise(pl.lit(2.0).pow(grown.log(2) - halvings))
    )
    return frame, pl.lit(points) * value
