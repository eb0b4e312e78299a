"""Outcome (won / lost deals) and its readers and writers."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import leadqual as lq
from leadqual import Outcome, ValidationError
from leadqual.errors import RowError
from leadqual.io import read_outcomes, write_outcomes
from leadqual.outcomes import Result
from leadqual.testing import json_values

UTC = timezone.utc
AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)

outcomes_strategy = st.builds(
    Outcome,
    st.sampled_from(["L-1", "L-2", "L 3"]),
    st.sampled_from([Result.WON, Result.LOST, "won", "LOST"]),
    at=st.one_of(
        st.none(),
        st.builds(
            lambda d, tz: (AT + timedelta(days=d)).astimezone(tz),
            st.integers(-400, 400),
            st.sampled_from([UTC, timezone(timedelta(hours=2))]),
        ),
    ),
    value=st.one_of(st.none(), st.integers(0, 10**7), st.sampled_from([0.5, 2500.25])),
    details=st.dictionaries(st.sampled_from(["owner", "reason"]), json_values(3), max_size=2),
)


class TestOutcome:
    def test_fields_and_plain_data(self) -> None:
        o = Outcome("L-1", "Won", at=AT, value="25000", details={"owner": "ana"})
        assert o.result is Result.WON
        assert o.won
        assert o.value == 25_000
        assert o.to_dict() == {
            "lead_id": "L-1",
            "result": "won",
            "at": "2026-12-01T15:30:00+00:00",
            "value": 25000,
            "details": {"owner": "ana"},
        }
        assert Outcome.from_dict(o.to_dict()) == o

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"lead_id": ""}, "lead_id"),
            ({"result": "maybe"}, "result"),
            ({"result": True}, "result"),
            ({"at": datetime(2026, 12, 1)}, "at"),
            ({"value": -1}, "value"),
            ({"value": "lots"}, "value"),
            ({"value": float("nan")}, "value"),
            ({"value": True}, "value"),
            ({"details": {"x": {1, 2}}}, "details.x"),
        ],
    )
    def test_bad_values_name_the_field(self, kwargs: dict[str, object], field: str) -> None:
        args: dict[str, object] = {"lead_id": "L-1", "result": "won"} | kwargs
        with pytest.raises(ValidationError) as info:
            Outcome(**args)  # type: ignore[arg-type]
        assert info.value.field == field

    def test_unknown_keys_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="unknown key"):
            Outcome.from_dict({"lead_id": "L-1", "result": "won", "amount": 3})


@given(st.lists(outcomes_strategy, max_size=6), st.sampled_from(["csv", "jsonl"]))
def test_what_is_written_reads_back_equal(outcomes: list[Outcome], fmt: str) -> None:
    buffer = io.StringIO()
    assert write_outcomes(outcomes, buffer, format=fmt) == len(outcomes)  # type: ignore[arg-type]
    buffer.seek(0)
    assert list(read_outcomes(buffer, format=fmt)) == outcomes  # type: ignore[arg-type]


def test_a_crm_export_with_its_own_column_names(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "lead,stage,closed,amount,reason\n"
        "L-1,Won,2026-12-01T00:00:00Z,1200,\n"
        "L-2,Lost,2026-12-02T00:00:00Z,,too expensive\n"
        "L-3,maybe,,,\n",
        encoding="utf-8",
    )
    columns = {"lead": "lead_id", "stage": "result", "closed": "at", "amount": "value"}
    with read_outcomes(path, columns=columns, errors="collect") as reader:
        got = list(reader)
    assert [(o.lead_id, o.result, o.value) for o in got] == [
        ("L-1", Result.WON, 1200),
        ("L-2", Result.LOST, None),
    ]
    assert got[1].details == {"reason": "too expensive"}
    (problem,) = reader.problems
    assert isinstance(problem, RowError)
    assert (problem.line, problem.field) == (4, "result")


def test_a_bad_row_raises_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    path.write_text('{"lead_id": "L-1", "result": "won"}\n{"lead_id": "L-2"}\n')
    with pytest.raises(RowError, match=r"outcomes\.jsonl:2: result"):
        list(read_outcomes(path))


def test_writing_refuses_what_is_not_an_outcome() -> None:
    with pytest.raises(ValidationError, match=r"outcomes\[0\]"):
        write_outcomes(["won"], io.StringIO(), format="jsonl")  # type: ignore[list-item]


def test_the_sample_outcomes_follow_fit_and_engagement() -> None:
    # the documented process makes fit and engagement raise the chance to win: the won
    # leads score higher on average under the default model, before their close
    model = lq.default_model()
    leads = {lead.id: lead for lead in lq.samples.sample_leads()}
    events = lq.samples.sample_events()
    scores: dict[bool, list[float]] = {True: [], False: []}
    for o in lq.samples.sample_outcomes():
        assert o.at is not None
        before = [e for e in events if e.lead_id == o.lead_id and e.at < o.at]
        scores[o.won].append(model.score(leads[o.lead_id], before, as_of=o.at).total)
    mean = {won: sum(v) / len(v) for won, v in scores.items()}
    assert mean[True] > mean[False] + 20
