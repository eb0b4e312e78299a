"""Hypothesis strategies for leadqual values, for your own property tests.

Requires the ``testing`` extra (``pip install 'leadqual[testing]'``).

>>> from hypothesis import given
>>> from leadqual.testing import leads
>>> @given(leads())
... def test_round_trip(lead):
...     assert type(lead).from_dict(lead.to_dict()) == lead
>>> test_round_trip()
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("leadqual.testing needs hypothesis: pip install 'leadqual[testing]'") from exc

import itertools

from leadqual.conditions import OPERATORS, AllOf, AnyOf, Compare, Condition, Not
from leadqual.events import Event
from leadqual.frameworks import ANUM, BANT, CHAMP, FAINT, GPCTBA_CI, MEDDIC, MEDDPICC
from leadqual.frameworks.framework import AllPass, AtLeast, Framework
from leadqual.leads import Lead
from leadqual.rulesets.ruleset import RuleSet
from leadqual.scoring.decay import Expire, HalfLife, Linear, NoDecay, Schedule
from leadqual.scoring.points import PointsModel
from leadqual.scoring.rules import EngagementRule, FitRule
from leadqual.stages.guards import (
    AttrCondition,
    EngagementAtLeast,
    EventSeen,
    FitAtLeast,
    FrameworkPassed,
    Guard,
    NewActivity,
    ScoreAtLeast,
)
from leadqual.stages.machine import Stage, StageMachine, Transition
from leadqual.typing import StreamOrder

__all__ = [
    "conditions",
    "decays",
    "engagement_rules",
    "event_streams",
    "events",
    "fit_rules",
    "frameworks",
    "guards",
    "json_values",
    "leads",
    "points_models",
    "rule_sets",
    "stage_machines",
]

#: Attribute names the strategies use, so generated conditions meet generated leads.
ATTRIBUTE_NAMES = ("title", "industry", "employees", "country", "budget", "score")
#: Event types the strategies use.
EVENT_TYPES = ("content_download", "email_click", "form_submit", "page_view", "demo_request")
#: Property names the strategies use.
PROPERTY_NAMES = ("url", "campaign", "duration", "utm")

_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_WORDS = st.sampled_from(
    [
        "vp",
        "VP Sales",
        "director",
        "Head of IT",
        "engineer",
        "software",
        "retail",
        "/pricing",
        "/blog/a",
        "DE",
        "US",
        "linkedin",
        "ads",
        "",
    ]
)
_names = st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=8).filter(
    lambda s: s.strip("-") != ""
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Plain JSON values: scalars, lists and string-keyed dicts."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.text(max_size=12),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def _attribute_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        _WORDS, st.integers(0, 20000), st.floats(0, 1e6, allow_nan=False), st.booleans(), st.none()
    )


def leads(ids: Sequence[str] | None = None) -> st.SearchStrategy[Lead]:
    """Leads with a mix of realistic and awkward attributes (missing, null, odd types)."""
    id_strategy = (
        st.sampled_from(list(ids)) if ids else st.from_regex(r"L-[0-9]{1,4}", fullmatch=True)
    )
    return st.builds(
        Lead,
        id_strategy,
        email=st.one_of(
            st.none(), st.sampled_from(["ana@acme.com", "bo@uni.edu", "CEO@BIG.IO", "x@y.z"])
        ),
        attributes=st.dictionaries(
            st.sampled_from(ATTRIBUTE_NAMES), _attribute_values(), max_size=5
        ),
    )


def _timestamps(start: datetime, span: timedelta) -> st.SearchStrategy[datetime]:
    offsets = st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]
    )
    return st.builds(
        lambda seconds, tz: (start + timedelta(seconds=seconds)).astimezone(tz),
        st.integers(0, int(span.total_seconds())),
        offsets,
    )


def events(
    lead_ids: Sequence[str] = ("L-1",),
    types: Sequence[str] = EVENT_TYPES,
    *,
    start: datetime = _EPOCH,
    span: timedelta = timedelta(days=365),
    with_ids: bool | None = False,
) -> st.SearchStrategy[Event]:
    """Events for ``lead_ids`` of ``types``, at times within ``span`` after ``start``.

    ``with_ids``: ``True`` always sets an id, ``False`` (the default) never, ``None``
    sometimes. Ids are drawn from a small pool, so in a list two *different* events may
    share one: draw lists with ``unique_by=lambda e: e.id``, or use :func:`event_streams`,
    whose ids are unique per event and whose redeliveries are true copies.
    """
    if with_ids is None:
        ids: st.SearchStrategy[str | None] = st.one_of(
            st.none(), st.from_regex(r"e[0-9]{1,6}", fullmatch=True)
        )
    elif with_ids:
        ids = st.from_regex(r"e[0-9]{1,6}", fullmatch=True)
    else:
        ids = st.none()
    props = st.fixed_dictionaries(
        {},
        optional={
            "url": st.sampled_from(["/pricing", "/pricing/team", "/blog/a", "/docs"]),
            "campaign": st.sampled_from(["spring", "webinar", "ads"]),
            "duration": st.integers(0, 3600),
            "utm": st.fixed_dictionaries({"source": st.sampled_from(["linkedin", "ads", "mail"])}),
        },
    )
    return st.builds(
        Event,
        st.sampled_from(list(lead_ids)),
        st.sampled_from(list(types)),
        at=_timestamps(start, span),
        properties=props,
        id=ids,
        source=st.one_of(st.none(), st.sampled_from(["web", "crm"])),
    )


#: How :func:`event_streams` orders a stream.


@st.composite
def event_streams(
    draw: st.DrawFn,
    lead_ids: Sequence[str] = ("L-1",),
    types: Sequence[str] = EVENT_TYPES,
    *,
    order: StreamOrder = "time",
    min_size: int = 0,
    max_size: int = 20,
    start: datetime = _EPOCH,
    span: timedelta = timedelta(days=365),
    with_ids: bool | None = None,
    redeliveries: bool = False,
) -> list[Event]:
    """Lists of events as a pipeline delivers them, for ``lead_ids`` and ``types``.

    ``order="time"`` gives them sorted by time (as a log holds them); ``"shuffled"`` in
    any order (as late or replayed deliveries arrive). Ids, when set (``with_ids`` as
    for :func:`events`), are unique per event: a stream never holds two *different*
    events with one id. With ``redeliveries``, some events with an id appear again (the
    same event delivered twice), which a correct consumer counts once.

    >>> from hypothesis import given
    >>> import leadqual as lq
    >>> model = lq.PointsModel(engagement=[lq.EngagementRule("ebook", "content_download", 30)])
    >>> @given(event_streams(order="shuffled", with_ids=True, redeliveries=True))
    ... def test_order_and_copies_do_not_matter(stream):
    ...     as_of = datetime(2027, 1, 1, tzinfo=timezone.utc)
    ...     unique = list({e.id: e for e in stream}.values())
    ...     assert (model.score(lq.Lead("L-1"), stream, as_of=as_of).total
    ...             == model.score(lq.Lead("L-1"), sorted(unique), as_of=as_of).total)
    >>> test_order_and_copies_do_not_matter()
    """
    if order not in ("time", "shuffled"):
        raise ValueError(f"order: expected 'time' or 'shuffled', got {order!r}")
    drawn = draw(
        st.lists(
            events(lead_ids, types, start=start, span=span, with_ids=False),
            min_size=min_size,
            max_size=max_size,
        )
    )
    stream: list[Event] = []
    for i, event in enumerate(drawn):
        has_id = with_ids if with_ids is not None else draw(st.booleans())
        stream.append(attrs.evolve(event, id=f"e{i}") if has_id else event)
    if redeliveries:
        with_id = [e for e in stream if e.id is not None]
        if with_id:
            stream += draw(st.lists(st.sampled_from(with_id), max_size=len(with_id)))
    if order == "time":
        stream.sort(key=Event.sort_key)
    else:
        stream = list(draw(st.permutations(stream)))
    return stream


def _operand(op: str) -> st.SearchStrategy[Any]:
    scalar = st.one_of(_WORDS, st.integers(-5, 20000), st.booleans())
    orderable = st.one_of(_WORDS, st.integers(-5, 20000), st.floats(-10, 1e5, allow_nan=False))
    if op == "exists":
        return st.none()
    if op in ("eq", "ne", "contains"):
        return scalar
    if op in ("lt", "lte", "gt", "gte"):
        return orderable
    if op in ("in", "not_in"):
        return st.lists(scalar, min_size=1, max_size=4)
    if op == "between":
        return st.one_of(
            st.tuples(st.integers(-5, 20000), st.integers(0, 20000)).map(sorted),
            st.tuples(_WORDS, _WORDS).map(sorted),
        )
    if op in ("startswith", "endswith"):
        return st.one_of(_WORDS, st.lists(_WORDS, min_size=1, max_size=3))
    return st.sampled_from([r"(?i)\bvp\b", r"^/pricing", r"\d+", r"(?i)head|chief"])


@st.composite
def _compare(draw: st.DrawFn, sources: tuple[str, ...]) -> Compare:
    source = draw(st.sampled_from(sources))
    names = (*ATTRIBUTE_NAMES, "email") if source == "attr" else (*PROPERTY_NAMES, "utm.source")
    op = draw(st.sampled_from(OPERATORS))
    operand = draw(_operand(op))
    items = operand if isinstance(operand, (list, tuple)) else (operand,)
    ignore_case = (
        op in ("eq", "ne", "in", "not_in", "contains", "startswith", "endswith")
        and any(isinstance(item, str) for item in items)
        and draw(st.booleans())
    )
    return Compare(
        source,  # type: ignore[arg-type]
        draw(st.sampled_from(names)),
        op,
        operand,
        ignore_case=ignore_case,
    )


def conditions(*, props: bool = True, max_leaves: int = 6) -> st.SearchStrategy[Condition]:
    """Conditions of every operator and combinator; ``props=False`` reads the lead only."""
    sources = ("attr", "prop") if props else ("attr",)
    return st.recursive(
        _compare(sources),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: AllOf(tuple(cs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: AnyOf(tuple(cs))),
            inner.map(Not),
        ),
        max_leaves=max_leaves,
    )


def decays() -> st.SearchStrategy[Any]:
    """Every built-in decay with plausible parameters."""
    return st.one_of(
        st.builds(NoDecay),
        st.builds(HalfLife, days=st.integers(1, 365)),
        st.builds(Linear, points_per_day=st.floats(0.1, 5)),
        st.builds(Expire, after=st.integers(1, 365).map(lambda d: timedelta(days=d))),
        st.builds(
            Schedule,
            st.lists(st.integers(1, 365), min_size=1, max_size=3, unique=True).flatmap(
                lambda days: st.tuples(
                    *[
                        st.tuples(
                            st.just(timedelta(days=d)), st.sampled_from([0.0, 0.25, 0.5, 0.75])
                        )
                        for d in sorted(days)
                    ]
                )
            ),
        ),
    )


_points = st.one_of(st.integers(-50, 50), st.sampled_from([2.5, -7.5, 12.25]))


def fit_rules(name: str | None = None) -> st.SearchStrategy[FitRule]:
    """Fit rules over lead attributes."""
    return st.builds(
        FitRule,
        st.just(name) if name else _names,
        conditions(props=False, max_leaves=3),
        _points,
        group=st.one_of(st.none(), st.sampled_from(["product-a", "email"])),
    )


def engagement_rules(
    name: str | None = None, types: Sequence[str] = EVENT_TYPES
) -> st.SearchStrategy[EngagementRule]:
    """Engagement rules with every option drawn (caps, windows, decay, groups)."""
    maybe = st.one_of
    return st.builds(
        EngagementRule,
        st.just(name) if name else _names,
        st.sampled_from(list(types)),
        _points,
        where=maybe(st.none(), conditions(max_leaves=2)),
        max_times=maybe(st.none(), st.integers(1, 5)),
        max_points=maybe(st.none(), st.integers(1, 100)),
        max_per_day=maybe(st.none(), st.integers(1, 3)),
        within=maybe(st.none(), st.integers(1, 120).map(lambda d: timedelta(days=d))),
        decay=maybe(st.none(), decays()),
        group=maybe(st.none(), st.sampled_from(["product-a", "email"])),
    )


@st.composite
def points_models(draw: st.DrawFn, max_rules: int = 6) -> PointsModel:
    """Points models with unique rule names and optional caps, bounds, decay and grades."""
    n_fit = draw(st.integers(0, max_rules // 2))
    n_eng = draw(st.integers(0, max_rules - n_fit))
    fit = [draw(fit_rules(name=f"fit-{i}")) for i in range(n_fit)]
    engagement = [draw(engagement_rules(name=f"eng-{i}")) for i in range(n_eng)]
    groups = sorted(
        {r.group for r in fit if r.group is not None}
        | {r.group for r in engagement if r.group is not None}
    )
    group_caps = (
        draw(st.dictionaries(st.sampled_from(groups), st.integers(1, 80))) if groups else {}
    )
    low = draw(st.one_of(st.none(), st.integers(-50, 0)))
    high = draw(st.one_of(st.none(), st.integers(10, 200)))
    grades = draw(st.one_of(st.none(), st.just({"A": 40, "B": 20, "C": 0, "D": float("-inf")})))
    return PointsModel(
        fit=fit,
        engagement=engagement,
        decay=draw(st.one_of(st.none(), decays())),
        min_score=low,
        max_score=high,
        group_caps=group_caps,
        grades=grades,
    )


def guards(max_leaves: int = 4) -> st.SearchStrategy[Guard]:
    """Stage guards of every kind, combined with ``&``, ``|`` and ``~``."""
    leaves: st.SearchStrategy[Guard] = st.one_of(
        st.builds(ScoreAtLeast, st.integers(-20, 200)),
        st.builds(FitAtLeast, st.integers(-20, 60)),
        st.builds(EngagementAtLeast, st.sampled_from([0, 10, 25.5, 80])),
        st.builds(
            EventSeen,
            st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2, unique=True),
            within=st.one_of(st.none(), st.integers(1, 90).map(lambda d: timedelta(days=d))),
        ),
        st.builds(
            NewActivity,
            st.one_of(st.none(), st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2)),
        ),
        st.just(FrameworkPassed()),
        st.builds(AttrCondition, conditions(props=False, max_leaves=2)),
        conditions(props=False, max_leaves=1),  # a condition on the lead, as it is
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(AllOf),
            st.lists(inner, min_size=1, max_size=3).map(AnyOf),
            inner.map(Not),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def stage_machines(draw: st.DrawFn) -> StageMachine:
    """The default funnel with drawn options, or a small linear funnel with drawn guards."""
    if draw(st.booleans()):
        mql = draw(st.integers(0, 200))
        return StageMachine.default(
            mql_score=mql,
            sql_requires=draw(st.one_of(st.none(), st.just(FrameworkPassed()), guards(2))),
            recycle_below=draw(st.one_of(st.none(), st.integers(0, mql))),
        )
    n = draw(st.integers(2, 5))
    names = [f"S{i}" for i in range(n)]
    stages = [Stage(name, i) for i, name in enumerate(names)]
    stages.append(Stage("OUT", 99, funnel=False, description="side stage"))
    transitions = [Transition(a, b, draw(guards())) for a, b in itertools.pairwise(names)]
    transitions.append(Transition(names[-1], "OUT", auto=False))
    transitions.append(Transition("OUT", names[0], draw(guards(2))))
    return StageMachine(stages, transitions)


def frameworks() -> st.SearchStrategy[Framework]:
    """The preset frameworks, with drawn options and policies."""
    return st.one_of(
        st.builds(
            BANT,
            min_budget=st.one_of(st.none(), st.integers(0, 50_000)),
            timeline_days=st.one_of(st.none(), st.integers(1, 365)),
            policy=st.one_of(st.just(AllPass()), st.integers(1, 4).map(AtLeast)),
        ),
        st.builds(CHAMP),
        st.builds(ANUM),
        st.builds(MEDDIC, policy=st.integers(1, 6).map(AtLeast)),
        st.builds(MEDDPICC),
        st.builds(GPCTBA_CI),
        st.builds(FAINT),
    )


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    """Complete rule sets: a points model, a stage machine, maybe a framework and extra models."""
    extra = draw(
        st.dictionaries(st.sampled_from(["product-a", "product-b"]), points_models(4), max_size=2)
    )
    return RuleSet(
        draw(st.sampled_from(["default", "emea", "product led"])),
        draw(st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}(\.[0-9])?", fullmatch=True)),
        model=draw(points_models()),
        stages=draw(stage_machines()),
        framework=draw(st.one_of(st.none(), frameworks())),
        extra_models=extra,
        description=draw(st.sampled_from(["", "rules for Q4", 'quotes " and \\ back\\slashes'])),
    )
