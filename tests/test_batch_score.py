"""The batch backend's scores against the Python engine's (the oracle), on generated
models, leads and event streams, through every kind of input."""

from __future__ import annotations

import json
import math
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadqual as lq
from batch_data import LEAD_IDS, MOMENTS, streams
from leadqual import batch
from leadqual.errors import DuplicateEventError, NotLowerable, UnknownLeadsWarning
from leadqual.jsonvalues import thaw
from leadqual.testing import leads, points_models


@st.composite
def lead_sets(draw: st.DrawFn) -> list[lq.Lead]:
    """Leads for some of LEAD_IDS (events of the others are of unknown leads)."""
    ids = draw(st.lists(st.sampled_from(LEAD_IDS), min_size=1, max_size=3, unique=True))
    return [draw(leads(ids=[lead_id])) for lead_id in ids]


def engine_scores(
    model: lq.PointsModel, lead_list: list[lq.Lead], events: list[lq.Event], as_of: datetime
) -> dict[str, lq.Score]:
    return {
        lead.id: model.score(lead, [e for e in events if e.lead_id == lead.id], as_of=as_of)
        for lead in lead_list
    }


def assert_same(frame: Any, expected: dict[str, lq.Score], model: lq.PointsModel) -> None:
    assert frame["lead_id"].to_list() == list(expected)
    for row in frame.iter_rows(named=True):
        want = expected[row["lead_id"]]
        for name in ("total", "fit", "engagement", "adjustment"):
            assert math.isclose(row[name], getattr(want, name), rel_tol=1e-9, abs_tol=1e-9), (
                name,
                row,
                want,
            )
        assert row["grade"] == want.grade
        for group in model.groups():
            got = row[f"group:{group}"]
            assert math.isclose(got, want.groups[group], rel_tol=1e-9, abs_tol=1e-9)  # type: ignore[arg-type]


def frame_of(events: list[lq.Event], *, properties: str) -> Any:
    """The events as a Polars frame: properties as JSON text or as a struct."""
    data: dict[str, Any] = {
        "lead_id": [e.lead_id for e in events],
        "type": [e.type for e in events],
        "at": [e.at.isoformat() for e in events],
        "id": [e.id for e in events],
        "source": [e.source for e in events],
    }
    if properties == "json":
        data["properties"] = [json.dumps(thaw(e.properties)) for e in events]
        return pl.DataFrame(data)
    data["properties"] = [thaw(e.properties) for e in events]
    frame = pl.DataFrame(data, strict=False)
    return frame.with_columns(pl.col("at").str.to_datetime(time_zone="UTC"))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(points_models(), lead_sets(), streams(), MOMENTS)
def test_scores_equal_the_engine(
    model: lq.PointsModel, lead_list: list[lq.Lead], events: list[lq.Event], as_of: datetime
) -> None:
    expected = engine_scores(model, lead_list, events, as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        from_events = batch.score(model, lead_list, events, as_of=as_of)
        from_json = batch.score(model, lead_list, frame_of(events, properties="json"), as_of=as_of)
    assert_same(from_events, expected, model)
    assert_same(from_json, expected, model)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(points_models(), lead_sets(), streams(), MOMENTS)
def test_struct_properties_score_as_the_engine(
    model: lq.PointsModel, lead_list: list[lq.Lead], events: list[lq.Event], as_of: datetime
) -> None:
    frame = frame_of(events, properties="struct") if events else frame_of(events, properties="json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        got = batch.score(model, lead_list, frame, as_of=as_of)
    assert_same(got, engine_scores(model, lead_list, events, as_of), model)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(points_models(), lead_sets(), streams(), st.data())
def test_each_lead_scored_at_its_own_moment(
    model: lq.PointsModel, lead_list: list[lq.Lead], events: list[lq.Event], data: st.DataObject
) -> None:
    moments = {lead.id: data.draw(MOMENTS) for lead in lead_list}
    expected = {
        lead.id: engine_scores(model, [lead], events, moments[lead.id])[lead.id]
        for lead in lead_list
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownLeadsWarning)
        got = batch.score(model, lead_list, events, as_of=moments)
    assert_same(got, expected, model)


def test_every_lead_needs_its_moment() -> None:
    model = lq.PointsModel()
    with pytest.raises(lq.ValidationError, match="no moment for this lead"):
        batch.score(model, [lq.Lead("L-1"), lq.Lead("L-2")], [], as_of={"L-1": AT})
    with pytest.raises(lq.ValidationError, match="timezone-aware"):
        batch.score(model, [lq.Lead("L-1")], [], as_of={"L-1": datetime(2026, 1, 1)})


AT = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)


def event(lead_id: str = "L-1", kind: str = "page_view", **kw: Any) -> lq.Event:
    return lq.Event(lead_id, kind, at=kw.pop("at", AT), **kw)


def test_a_number_is_not_its_text_even_in_one_column() -> None:
    model = lq.PointsModel(
        engagement=[
            lq.EngagementRule("number", "page_view", 1, where=lq.Prop("n") == 5),
            lq.EngagementRule("text", "page_view", 10, where=lq.Prop("n") == "5"),
            lq.EngagementRule("flag", "page_view", 100, where=lq.Prop("n") == True),  # noqa: E712
        ]
    )
    events = [
        event(properties={"n": 5}),
        event(properties={"n": "5"}, at=AT - timedelta(hours=1)),
        event(properties={"n": 5.0}, at=AT - timedelta(hours=2)),
        event(properties={"n": True}, at=AT - timedelta(hours=3)),
        event(properties={"n": 1}, at=AT - timedelta(hours=4)),
    ]
    want = model.score(lq.Lead("L-1"), events, as_of=AT).total
    assert want == 112
    for source in (events, frame_of(events, properties="json")):
        got = batch.score(model, [lq.Lead("L-1")], source, as_of=AT)
        assert got["total"].to_list() == [want]


def test_ignore_case_and_patterns_read_text_as_python_does() -> None:
    model = lq.PointsModel(
        engagement=[
            lq.EngagementRule(
                "street", "visit", 1, where=lq.Prop("s").equals("STRASSE", ignore_case=True)
            ),
            lq.EngagementRule("word", "visit", 10, where=lq.Prop("s").matches(r"\bstraße$")),
            lq.EngagementRule("late", "visit", 100, where=lq.Prop("s").matches(r"x{3}")),
        ]
    )
    events = [
        event(kind="visit", properties={"s": "straße"}),
        event(kind="visit", properties={"s": "die straße\n"}, at=AT - timedelta(hours=1)),
        # the pattern reads the first 256 characters only
        event(kind="visit", properties={"s": "a" * 256 + "xxx"}, at=AT - timedelta(hours=2)),
    ]
    want = model.score(lq.Lead("L-1"), events, as_of=AT).total
    assert want == 21
    got = batch.score(model, [lq.Lead("L-1")], events, as_of=AT)
    assert got["total"].to_list() == [want]


def test_a_different_event_reusing_an_id_raises_as_in_the_engine() -> None:
    model = lq.PointsModel(engagement=[lq.EngagementRule("view", "page_view", 1)])
    first = event(id="e1", properties={"url": "/a"})
    copy = attrs.evolve(first, at=first.at.astimezone(timezone(timedelta(hours=2))))
    other = event(id="e1", properties={"url": "/b"})
    assert batch.score(model, [lq.Lead("L-1")], [first, copy], as_of=AT)["total"][0] == 1
    for source in ([first, copy, other], frame_of([first, copy, other], properties="json")):
        with pytest.raises(DuplicateEventError) as info:
            batch.score(model, [lq.Lead("L-1")], source, as_of=AT)
        assert info.value.differences() == ["properties"]
    # an id reused by an event no rule counts changes nothing, as in the engine
    unseen = event(kind="email_open", id="e1")
    assert batch.score(model, [lq.Lead("L-1")], [first, unseen], as_of=AT)["total"][0] == 1


def test_events_of_unknown_leads_are_counted_and_reported() -> None:
    model = lq.PointsModel(engagement=[lq.EngagementRule("view", "page_view", 1)])
    events = [event(), event("L-9"), event("L-9", at=AT - timedelta(days=1))]
    with pytest.warns(UnknownLeadsWarning) as caught:
        got = batch.score(model, [lq.Lead("L-1")], events, as_of=AT)
    assert got["total"].to_list() == [1]
    warning = caught[0].message
    assert isinstance(warning, UnknownLeadsWarning)
    assert (warning.events, warning.examples) == (2, ("L-9",))
    with pytest.raises(lq.ValidationError, match="2 event"):
        batch.score(model, [lq.Lead("L-1")], events, as_of=AT, unknown_leads="raise")
    quiet = batch.score(model, [lq.Lead("L-1")], events, as_of=AT, unknown_leads="ignore")
    assert quiet.equals(got)


def test_files_score_as_the_events_they_hold(tmp_path: Path) -> None:
    model = lq.default_model()
    events = lq.samples.sample_events()
    sample_leads = lq.samples.sample_leads()
    as_of = max(e.at for e in events)
    want = batch.score(model, sample_leads, events, as_of=as_of)
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events), encoding="utf-8")
    parquet = tmp_path / "events.parquet"
    frame_of(events, properties="struct").write_parquet(parquet)
    for path in (jsonl, parquet, str(parquet)):
        got = batch.score(model, sample_leads, path, as_of=as_of)
        assert got.select("lead_id", "grade").equals(want.select("lead_id", "grade"))
        assert (got["total"] - want["total"]).abs().max() < 1e-9  # type: ignore[operator]
    expected = engine_scores(model, list(sample_leads), list(events), as_of)
    assert_same(want, expected, model)


def test_bad_tables_are_refused_naming_the_column() -> None:
    model = lq.PointsModel(engagement=[lq.EngagementRule("view", "page_view", 1)])
    lead = [lq.Lead("L-1")]
    with pytest.raises(lq.ValidationError, match="'at'"):
        batch.score(
            model, lead, pl.DataFrame({"lead_id": ["L-1"], "type": ["page_view"]}), as_of=AT
        )
    naive = pl.DataFrame({"lead_id": ["L-1"], "type": ["page_view"], "at": [datetime(2026, 1, 1)]})
    with pytest.raises(lq.ValidationError, match="naive"):
        batch.score(model, lead, naive, as_of=AT)
    no_zone = pl.DataFrame(
        {"lead_id": ["L-1"], "type": ["page_view"], "at": ["2026-01-01T00:00:00"]}
    )
    with pytest.raises(lq.ValidationError, match="UTC offset"):
        batch.score(model, lead, no_zone, as_of=AT)
    empty_id = pl.DataFrame(
        {"lead_id": [""], "type": ["page_view"], "at": ["2026-01-01T00:00:00Z"]}
    )
    with pytest.raises(lq.ValidationError, match=r"events\[0\]\.lead_id"):
        batch.score(model, lead, empty_id, as_of=AT)
    # a row of a type no rule counts is not read, so not refused either
    other = pl.DataFrame({"lead_id": [""], "type": ["email_open"], "at": ["2026-01-01T00:00:00Z"]})
    assert batch.score(model, lead, other, as_of=AT)["total"].to_list() == [0]
    with pytest.raises(lq.ValidationError, match="parquet"):
        batch.score(model, lead, "events.xlsx", as_of=AT)
    nan = pl.DataFrame(
        {"lead_id": ["L-1"], "type": ["page_view"], "at": [AT], "properties": [{"n": math.nan}]}
    )
    where = lq.PointsModel(
        engagement=[lq.EngagementRule("v", "page_view", 1, where=lq.Prop("n") > 1)]
    )
    with pytest.raises(lq.ValidationError, match="finite"):
        batch.score(where, lead, nan, as_of=AT)


class Doubled:
    """A scoring model of a user's own (not lowerable)."""

    def start(self, lead: lq.Lead) -> Any:
        raise NotImplementedError


@attrs.frozen
class Weekly:
    def apply(self, points: float, age_seconds: float) -> float:
        return points if age_seconds < 7 * 86400 else 0.0


def test_what_does_not_lower_is_named_place_by_place() -> None:
    model = lq.PointsModel(engagement=[lq.EngagementRule("view", "page_view", 1, decay=Weekly())])
    assert batch.lowerable(model) == [
        "model.engagement['view'].decay: Weekly is a decay of your own"
    ]
    with pytest.raises(NotLowerable) as info:
        batch.score(model, [lq.Lead("L-1")], [], as_of=AT)
    assert "Weekly" in str(info.value)
    assert batch.lowerable(Doubled()) == [  # type: ignore[arg-type]
        "model: Doubled is a scoring model of your own (not a PointsModel)"
    ]
    ruleset = attrs.evolve(
        lq.default_ruleset(),
        extra_models={"fit-only": lq.PointsModel()},
        framework=lq.Framework(
            "custom",
            [
                lq.frameworks.FunctionCheck(
                    "f", lambda facts: lq.frameworks.CheckResult("f", lq.Verdict.PASS, "ok")
                )
            ],
        ),
    )
    reasons = batch.lowerable(ruleset)
    assert reasons == [
        "extra_models['fit-only']: extra models run on the Python engine only",
        "framework.checks[0]: a FunctionCheck runs Python code of its own",
    ]


def test_the_default_rule_set_lowers_whole() -> None:
    assert batch.lowerable(lq.default_ruleset()) == []
    assert batch.lowerable(lq.default_model()) == []
