"""The bundled sample data and the default model that the demo scores it with."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import pytest

from leadqual import Event, Lead, PointsModel, Score
from leadqual.default_model import default_model
from leadqual.samples import SAMPLE_AS_OF, sample_events, sample_leads

START = datetime(2026, 8, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 20, tzinfo=timezone.utc)
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_sample_data.py"


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    model = default_model()
    by_lead: dict[str, list[Event]] = {}
    for event in sample_events():
        by_lead.setdefault(event.lead_id, []).append(event)
    return {
        lead.id: model.score(lead, by_lead.get(lead.id, []), as_of=SAMPLE_AS_OF)
        for lead in sample_leads()
    }


def test_leads_load_with_unique_ids() -> None:
    leads = sample_leads()
    assert 180 <= len(leads) <= 220
    assert all(isinstance(lead, Lead) for lead in leads)
    assert len({lead.id for lead in leads}) == len(leads)


def test_each_call_returns_a_fresh_list() -> None:
    first = sample_leads()
    first.clear()
    assert sample_leads()


def test_leads_are_varied_and_messy() -> None:
    leads = sample_leads()
    for name in ("title", "industry", "employees", "country"):
        values = [lead.attributes.get(name) for lead in leads]
        assert None in values, f"every lead has {name}"
        assert len(set(values)) >= 5, f"{name} hardly varies"
    emails = [lead.email for lead in leads]
    assert None in emails
    assert any(email and email.endswith(".edu") for email in emails)


def test_events_belong_to_known_leads() -> None:
    ids = {lead.id for lead in sample_leads()}
    events = sample_events()
    assert all(event.lead_id in ids for event in events)
    assert len({event.lead_id for event in events}) > len(ids) // 2


def test_events_are_time_ordered_with_unique_ids_inside_the_window() -> None:
    events = sample_events()
    assert events
    assert [e.at for e in events] == sorted(e.at for e in events)
    ids = [e.id for e in events]
    assert None not in ids
    assert len(set(ids)) == len(ids)
    for event in events:
        assert event.at.utcoffset() is not None
        assert START <= event.at < END
    assert max(e.at for e in events) < SAMPLE_AS_OF


def test_event_mix_is_realistic() -> None:
    types = Counter(event.type for event in sample_events())
    assert types.most_common(1)[0][0] == "page_view"
    for kind in ("content_download", "email_click", "demo_request", "email_unsubscribe"):
        assert types[kind] > 0, kind
    assert types["demo_request"] < types["content_download"] < types["page_view"]


def test_sample_as_of_is_aware_utc() -> None:
    assert SAMPLE_AS_OF.isoformat() == "2026-11-24T00:00:00+00:00"
    assert SAMPLE_AS_OF.utcoffset() is not None


def test_data_files_are_small() -> None:
    data = files("leadqual") / "data"
    sizes = [
        len((data / name).read_bytes()) for name in ("sample_leads.jsonl", "sample_events.jsonl")
    ]
    assert sum(sizes) < 1_000_000


def test_default_model_scores_every_lead(scores: dict[str, Score]) -> None:
    assert set(scores) == {lead.id for lead in sample_leads()}
    for score in scores.values():
        assert score.total == pytest.approx(sum(c.points for c in score.breakdown))
        assert score.grade in {"A", "B", "C", "D"}


def test_score_distribution_is_not_degenerate(scores: dict[str, Score]) -> None:
    totals = [score.total for score in scores.values()]
    high = sum(total > 100 for total in totals)
    low = sum(total < 30 for total in totals)
    assert 0 < high < len(totals) // 4, "a few leads should be hot"
    assert low > len(totals) // 2, "most leads should be cold"
    assert min(totals) < 0, "some leads should be penalized"
    assert statistics.median(totals) < 30
    assert len(Counter(score.grade for score in scores.values())) == 4


def test_hot_leads_show_buying_intent(scores: dict[str, Score]) -> None:
    hot = [score for score in scores.values() if score.total > 100]
    with_intent = [s for s in hot if {"demo-request", "pricing-inquiry"} & set(s.by_rule())]
    assert len(with_intent) > len(hot) // 2


def test_penalties_fire_on_students_and_unsubscribers(scores: dict[str, Score]) -> None:
    rules = Counter(rule for score in scores.values() for rule in score.by_rule())
    assert rules["student-email"] > 0
    assert rules["email-unsubscribe"] > 0


def test_default_model_shape() -> None:
    model = default_model()
    assert isinstance(model, PointsModel)
    names = [rule.name for rule in model.rules()]
    assert len(names) == len(set(names))
    assert all(name == name.lower() and " " not in name and "_" not in name for name in names)
    assert [letter for letter, _ in model.grades] == ["A", "B", "C", "D"]
    assert model == default_model()


def test_default_model_competitor_domains() -> None:
    model = default_model(competitor_domains=["rival.example"])
    at = SAMPLE_AS_OF
    assert model.score(Lead("L-1", email="Bo@Mail.Rival.Example"), [], as_of=at).fit == -100
    assert model.score(Lead("L-1", email="bo@notrival.example"), [], as_of=at).fit == 0


@pytest.mark.parametrize("domains", [[], [""], ["has space.example"]])
def test_default_model_refuses_bad_competitor_domains(domains: list[str]) -> None:
    from leadqual import ValidationError

    with pytest.raises(ValidationError, match="competitor_domains"):
        default_model(competitor_domains=domains)


def test_generator_reproduces_the_bundled_files(tmp_path: Path) -> None:
    assert SCRIPT.is_file(), "scripts/make_sample_data.py ships with the source (and the sdist)"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    data = files("leadqual") / "data"
    for name in ("sample_leads.jsonl", "sample_events.jsonl", "sample_outcomes.jsonl"):
        assert (tmp_path / name).read_bytes() == (data / name).read_bytes(), name
