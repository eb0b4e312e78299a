"""Event, Lead and the read-only JSON values they share."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given

from leadqual import Event, Lead, LeadqualError, ValidationError
from leadqual.errors import DuplicateEventError
from leadqual.jsonvalues import MISSING, JsonMap, freeze, lookup, thaw
from leadqual.testing import events, json_values, leads

UTC = timezone.utc
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class TestEventValidation:
    def test_valid_event_keeps_its_fields(self) -> None:
        e = Event("L-1", "page_view", at=AT, properties={"url": "/p"}, id="e1", source="web")
        assert (e.lead_id, e.type, e.at, e.id, e.source) == ("L-1", "page_view", AT, "e1", "web")
        assert e.properties == {"url": "/p"}

    @pytest.mark.parametrize(
        "bad",
        [datetime(2026, 11, 2), "2026-11-02T00:00:00+00:00", None, 1700000000],
        ids=["naive", "string", "none", "number"],
    )
    def test_at_must_be_an_aware_datetime(self, bad: object) -> None:
        with pytest.raises(ValidationError) as info:
            Event("L-1", "page_view", at=bad)  # type: ignore[arg-type]
        assert info.value.field == "at"
        assert info.value.value == bad
        assert "timezone-aware" in str(info.value)

    @pytest.mark.parametrize("field", ["lead_id", "type"])
    @pytest.mark.parametrize("bad", ["", "  ", None, 5])
    def test_lead_id_and_type_are_non_empty_strings(self, field: str, bad: object) -> None:
        kwargs: dict[str, object] = {"lead_id": "L-1", "type": "t", "at": AT}
        kwargs[field] = bad
        with pytest.raises(ValidationError) as info:
            Event(**kwargs)  # type: ignore[arg-type]
        assert info.value.field == field

    def test_properties_must_be_json(self) -> None:
        with pytest.raises(ValidationError) as info:
            Event("L-1", "t", at=AT, properties={"utm": {"when": AT}})
        assert info.value.field == "properties.utm.when"

    def test_non_finite_numbers_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="finite"):
            Event("L-1", "t", at=AT, properties={"x": float("nan")})

    def test_errors_are_leadqual_errors_and_value_errors(self) -> None:
        with pytest.raises(LeadqualError):
            Event("", "t", at=AT)
        with pytest.raises(ValueError, match="lead_id"):
            Event("", "t", at=AT)


class TestEventImmutability:
    def test_caller_mutation_changes_nothing(self) -> None:
        props = {"utm": {"source": "ads"}, "tags": ["a"]}
        e = Event("L-1", "t", at=AT, properties=props)
        props["utm"]["source"] = "changed"  # type: ignore[index]
        props["tags"].append("b")  # type: ignore[attr-defined]
        props["new"] = 1  # type: ignore[assignment]
        assert thaw(e.properties) == {"utm": {"source": "ads"}, "tags": ["a"]}

    def test_properties_are_read_only(self) -> None:
        e = Event("L-1", "t", at=AT, properties={"utm": {"source": "ads"}})
        with pytest.raises(TypeError):
            e.properties["x"] = 1  # type: ignore[index]
        with pytest.raises(TypeError):
            e.properties["utm"]["source"] = "x"  # type: ignore[index]

    def test_event_is_frozen(self) -> None:
        e = Event("L-1", "t", at=AT)
        with pytest.raises(AttributeError):
            e.type = "other"  # type: ignore[misc]

    def test_to_dict_is_a_fresh_copy(self) -> None:
        e = Event("L-1", "t", at=AT, properties={"tags": ["a"]})
        d = e.to_dict()
        d["properties"]["tags"].append("b")
        assert e.properties["tags"] == ("a",)


class TestEventOrderAndHash:
    def test_sorts_by_time_across_offsets(self) -> None:
        late_paris = Event(
            "L-1", "t", at=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
        )
        early_ny = Event(
            "L-1", "t", at=datetime(2026, 1, 1, 5, tzinfo=timezone(timedelta(hours=-5)))
        )
        # 12:00+02 is 10:00Z; 05:00-05 is 10:00Z too: same instant, tie broken by other fields.
        assert late_paris.at == early_ny.at
        a = Event("L-1", "a", at=AT)
        b = Event("L-1", "b", at=AT - timedelta(seconds=1))
        assert sorted([a, b]) == [b, a]

    def test_equal_events_hash_equal(self) -> None:
        a = Event("L-1", "t", at=AT, properties={"x": [1, {"y": 2}]}, id="e")
        b = Event("L-1", "t", at=AT, properties={"x": [1, {"y": 2}]}, id="e")
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1

    @given(events(lead_ids=("A", "B"), with_ids=None), events(lead_ids=("A", "B"), with_ids=None))
    def test_order_is_total_and_consistent_with_equality(self, a: Event, b: Event) -> None:
        assert (a < b) + (b < a) + (a == b) == 1
        assert (a <= b) == (a < b or a == b)
        if a.at < b.at:
            assert a < b

    def test_comparing_with_another_type_is_an_error(self) -> None:
        with pytest.raises(TypeError):
            _ = Event("L-1", "t", at=AT) < 5  # type: ignore[operator]

    def test_pickles(self) -> None:
        e = Event("L-1", "t", at=AT, properties={"u": {"v": [1]}}, id="x")
        assert pickle.loads(pickle.dumps(e)) == e


class TestEventRoundTrip:
    def test_iso_8601_with_offset(self) -> None:
        at = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
        d = Event("L-1", "t", at=at).to_dict()
        assert d["at"] == "2026-03-01T08:00:00+05:30"
        back = Event.from_dict(d)
        assert back == Event("L-1", "t", at=at)
        assert back.at.utcoffset() == timedelta(hours=5, minutes=30)

    def test_from_dict_accepts_z(self) -> None:
        e = Event.from_dict({"lead_id": "L", "type": "t", "at": "2026-11-02T09:30:00Z"})
        assert e.at == AT

    @pytest.mark.parametrize("at", ["2026-11-02T09:30:00", "yesterday", "", 5])
    def test_from_dict_refuses_bad_timestamps(self, at: object) -> None:
        with pytest.raises(ValidationError) as info:
            Event.from_dict({"lead_id": "L", "type": "t", "at": at})
        assert info.value.field == "at"

    def test_from_dict_refuses_unknown_and_missing_keys(self) -> None:
        with pytest.raises(ValidationError, match="unknown key") as info:
            Event.from_dict({"lead_id": "L", "type": "t", "at": AT, "when": 1})
        assert info.value.field == "when"
        with pytest.raises(ValidationError, match="required") as info:
            Event.from_dict({"lead_id": "L", "at": AT})
        assert info.value.field == "type"

    @given(events(lead_ids=("L-1", "L-2"), with_ids=None))
    def test_round_trip_is_exact(self, e: Event) -> None:
        back = Event.from_dict(e.to_dict())
        assert back == e
        assert back.at.utcoffset() == e.at.utcoffset()
        assert back.to_dict() == e.to_dict()


class TestLead:
    def test_fields_and_validation(self) -> None:
        lead = Lead("L-1", email="ana@acme.com", attributes={"title": "VP"})
        assert lead.attributes["title"] == "VP"
        with pytest.raises(ValidationError) as info:
            Lead("")
        assert info.value.field == "id"
        with pytest.raises(ValidationError) as info:
            Lead("L-1", email="not-an-address")
        assert info.value.field == "email"
        with pytest.raises(ValidationError) as info:
            Lead("L-1", attributes={"email": "x@y.z"})
        assert info.value.field == "attributes.email"
        with pytest.raises(ValidationError) as info:
            Lead("L-1", attributes=["title"])  # type: ignore[arg-type]
        assert info.value.field == "attributes"

    def test_caller_mutation_changes_nothing(self) -> None:
        attrs = {"tags": ["a"]}
        lead = Lead("L-1", attributes=attrs)
        attrs["tags"].append("b")
        attrs["new"] = ["x"]
        assert thaw(lead.attributes) == {"tags": ["a"]}

    def test_with_attributes_returns_a_new_lead(self) -> None:
        lead = Lead("L-1", email="a@b.c", attributes={"title": "VP"})
        changed = lead.with_attributes(employees=400, title="CEO")
        assert dict(changed.attributes) == {"title": "CEO", "employees": 400}
        assert dict(lead.attributes) == {"title": "VP"}
        assert changed.email == "a@b.c"
        with pytest.raises(ValidationError) as info:
            lead.with_attributes(when=AT)
        assert info.value.field == "attributes.when"

    def test_without_attributes(self) -> None:
        lead = Lead("L-1", attributes={"title": "VP", "x": 1})
        assert dict(lead.without_attributes("x").attributes) == {"title": "VP"}
        with pytest.raises(ValidationError):
            lead.without_attributes("missing")

    @given(leads())
    def test_round_trip_is_exact(self, lead: Lead) -> None:
        assert Lead.from_dict(lead.to_dict()) == lead
        assert hash(Lead.from_dict(lead.to_dict())) == hash(lead)

    def test_from_dict_refuses_unknown_keys(self) -> None:
        with pytest.raises(ValidationError, match="unknown key"):
            Lead.from_dict({"id": "L", "name": "Ana"})


class TestJsonValues:
    @given(json_values())
    def test_freeze_then_thaw_is_identity(self, value: object) -> None:
        assert thaw(freeze(value)) == value

    @given(json_values())
    def test_frozen_values_are_hashable(self, value: object) -> None:
        hash(freeze(value))

    def test_keys_must_be_strings(self) -> None:
        with pytest.raises(ValidationError, match="keys must be strings"):
            freeze({1: "a"}, "attributes")

    def test_lookup_prefers_a_dotted_key(self) -> None:
        data = JsonMap({"a.b": 1, "a": {"b": 2}})
        assert lookup(data, "a.b") == 1
        assert lookup(JsonMap({"a": {"b": 2}}), "a.b") == 2
        assert lookup(JsonMap({"a": 5}), "a.b") is MISSING


def test_duplicate_event_error_names_the_id() -> None:
    a = Event("L-1", "t", at=AT, id="e1")
    b = Event("L-1", "u", at=AT, id="e1")
    err = DuplicateEventError("e1", a, b)
    assert err.field == "id"
    assert err.value == "e1"
    assert "'e1'" in str(err)


def test_json_equality_respects_kinds() -> None:
    assert Lead("L", attributes={"partner": True}) != Lead("L", attributes={"partner": 1})
    assert Lead("L", attributes={"n": 1}) == Lead("L", attributes={"n": 1.0})
    a = Event("L", "t", at=AT, properties={"flags": [True]}, id="e")
    b = Event("L", "t", at=AT, properties={"flags": [1]}, id="e")
    assert a != b
    assert JsonMap({"a": {"b": 1}}) == {"a": {"b": 1}}
    assert JsonMap({"a": [1]}) != {"a": {"0": 1}}


def test_duplicate_event_error_names_what_differs() -> None:
    a = Event("L-1", "t", at=AT, id="e1", properties={"x": 1})
    b = Event("L-1", "t", at=AT, id="e1", properties={"x": 2})
    err = DuplicateEventError("e1", a, b)
    assert err.differences() == ["properties"]
    assert "they differ in properties" in str(err)


def test_wall_times_in_a_dst_fold_are_different_events() -> None:
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    first = Event("L", "t", at=datetime(2026, 11, 1, 1, 30, tzinfo=new_york), id="x")
    second = Event("L", "t", at=datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=new_york), id="x")
    assert second.timestamp - first.timestamp == 3600
    assert first != second
    assert Event.from_dict(second.to_dict()) == second
    assert first.at.utcoffset() == timedelta(hours=-4)


def test_one_instant_with_two_offsets_is_two_events() -> None:
    utc = Event("A", "t", at=AT)
    paris = Event("A", "t", at=AT.astimezone(timezone(timedelta(hours=1))))
    assert utc.at == paris.at  # the same instant
    assert utc != paris  # but written differently: to_dict() differs
    assert (utc < paris) != (paris < utc)
    one, one_point_zero = (Event("A", "t", at=AT, properties={"x": v}) for v in (1, 1.0))
    assert one == one_point_zero
    assert one.sort_key() == one_point_zero.sort_key()
    assert not one < one_point_zero
