"""Real data, no silent wrong answers: one default time for every command, far-future
events reported, outcomes that match no lead and unknown attributes refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import leadqual as lq
from leadqual.cli.main import main
from leadqual.io import write_events, write_leads, write_outcomes

UTC = timezone.utc
START = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {name: str(tmp_path / f"{name}.jsonl") for name in ("leads", "events", "outcomes")}
    paths["rules"] = str(tmp_path / "rules.toml")
    lq.dump(lq.default_ruleset(), paths["rules"])
    leads = [lq.Lead(f"L-{i}", attributes={"title": "VP Sales", "plan": "pro"}) for i in range(3)]
    write_leads(leads, paths["leads"])
    events = [
        lq.Event(f"L-{i % 3}", "content_download", at=START + timedelta(days=i), id=f"e{i}")
        for i in range(12)
    ]
    # one event of another lead later than the others: the default time of every command
    events.append(lq.Event("L-2", "page_view", at=START + timedelta(days=40), id="late"))
    write_events(events, paths["events"])
    return paths


def _inputs(files: dict[str, str]) -> list[str]:
    return ["--rules", files["rules"], "--leads", files["leads"], "--events", files["events"]]


def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], now: datetime = NOW
) -> tuple[int, str, str]:
    code = main(args, clock=lambda: now)
    out, err = capsys.readouterr()
    return code, out, err


def test_score_and_explain_qualify_at_the_same_default_time(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.jsonl"
    code, _, err = _run(["score", *_inputs(files), "--out", str(out)], capsys)
    assert code == 0, err
    rows = {r["lead_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    code, text, err = _run(["explain", *_inputs(files), "L-0"], capsys)
    assert code == 0, err
    latest = (START + timedelta(days=40)).isoformat()
    assert f"L-0 is {rows['L-0']['stage']} as of {latest}" in text  # not L-0's own latest
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.io.read_leads(files["leads"]):
        engine.add_lead(lead)
    engine.apply(lq.io.read_events(files["events"]))
    at = START + timedelta(days=40)
    assert rows["L-0"]["score"] == round(engine.get("L-0", as_of=at).score.total, 2)


def test_events_after_now_do_not_move_the_time_and_are_reported(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    far = lq.Event("L-1", "demo_request", at=datetime(9999, 12, 31, tzinfo=UTC), id="far")
    events = [*lq.io.read_events(files["events"]), far]
    write_events(events, files["events"])
    out = tmp_path / "scores.jsonl"
    early = START + timedelta(days=20)
    code, _, err = _run(["score", *_inputs(files), "--out", str(out)], capsys, now=early)
    assert code == 0, err
    assert f"events are dated after {early.isoformat()} (now)" in err
    assert err.count("warning") == 1
    n_later = sum(1 for e in events if e.at > early)
    assert f"{n_later} events" in err
    engine = lq.Engine(lq.default_ruleset())
    for lead in lq.io.read_leads(files["leads"]):
        engine.add_lead(lead)
    engine.apply(events)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:  # qualified at the run's clock, the far event ignored
        assert row["score"] == round(engine.get(row["lead_id"], as_of=early).score.total, 2)
    given = START + timedelta(days=5)
    code, _, err = _run(["score", *_inputs(files), "--as-of", given.isoformat()], capsys)
    assert code == 0
    assert f"{sum(1 for e in events if e.at > given)} events are dated after" in err


def test_outcomes_that_name_no_lead_fail_the_run(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    at = START + timedelta(days=60)
    write_outcomes(
        [lq.Outcome("X-1", "won", at=at), lq.Outcome("X-2", "lost", at=at)], files["outcomes"]
    )
    args = ["backtest", *_inputs(files), "--outcomes", files["outcomes"]]
    code, _, err = _run(args, capsys)
    assert code == 1
    assert "none of its 2 outcomes names a lead" in err
    write_outcomes(
        [
            lq.Outcome("L-0", "won", at=at),
            lq.Outcome("L-1", "lost", at=at),
            lq.Outcome("X-2", "lost", at=at),
        ],
        files["outcomes"],
    )
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert "1 of 3 outcomes name no lead" in err


def test_funnel_by_an_attribute_no_lead_has_fails(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["funnel", *_inputs(files), "--by", "nosuchattr"], capsys)
    assert code == 1
    assert "--by: no lead of" in err
    assert "nosuchattr" in err
    code, _, err = _run(["funnel", *_inputs(files), "--by", "plan"], capsys)
    assert code == 0, err


def test_semicolons_latin_1_and_a_byte_order_mark(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    text = "id;title;city\nL-0;Directeur général;Zürich\nL-1;VP;Köln\n"
    leads.write_bytes(text.encode("latin-1"))
    args = ["score", "--rules", files["rules"], "--leads", str(leads), "--events", files["events"]]
    code, _, err = _run(args, capsys)
    assert code == 1
    assert "cannot read the file as UTF-8 text" in err
    assert "--encoding latin-1" in err
    code, _, err = _run([*args, "--encoding", "latin-1"], capsys)
    assert code == 1  # one column: the header names no "id" column
    code, out, err = _run([*args, "--encoding", "latin-1", "--delimiter", ";"], capsys)
    assert code == 0, err
    assert "L-0" in out
    assert "L-1" in out
    with lq.io.read_leads(leads, encoding="latin-1", delimiter=";") as read:
        assert [lead.attributes["city"] for lead in read] == ["Zürich", "Köln"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffid,title\nL-0,VP\n".encode())
    with lq.io.read_leads(bom) as read:
        assert [lead.id for lead in read] == ["L-0"]  # the byte-order mark is not in "id"
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("id\ttitle\nL-0\tVP\n", encoding="utf-8")
    code, out, err = _run(
        [
            "score",
            "--rules",
            files["rules"],
            "--leads",
            str(tabs),
            "--events",
            files["events"],
            "--delimiter",
            "tab",
        ],
        capsys,
    )
    assert code == 0, err
    with pytest.raises(lq.ValidationError, match="delimiter"):
        lq.io.read_leads(tabs, delimiter=";;")
    with pytest.raises(lq.ValidationError, match="encoding"):
        lq.io.read_leads(tabs, encoding="klingon")
    with pytest.raises(lq.ValidationError, match="CSV files only"):
        lq.io.read_events(files["events"], delimiter=";")


def test_times_without_an_offset_need_a_zone_and_are_never_guessed(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "lead_id,type,at\nL-0,content_download,2026-03-02T09:00:00\n"
        "L-0,content_download,2026-07-01T09:00:00\n",
        encoding="utf-8",
    )
    with pytest.raises(lq.ValidationError, match="--timezone"):
        list(lq.io.read_events(events))
    with lq.io.read_events(events, timezone="Europe/Paris") as read:
        got = [e.at.astimezone(UTC).isoformat() for e in read]
    assert got == ["2026-03-02T08:00:00+00:00", "2026-07-01T07:00:00+00:00"]  # winter, summer
    args = ["score", "--rules", files["rules"], "--leads", files["leads"], "--events", str(events)]
    code, _, err = _run(args, capsys)
    assert code == 1
    assert "--timezone" in err
    assert "events.csv" in err
    code, _, err = _run([*args, "--timezone", "Europe/Paris"], capsys)
    assert code == 0, err
    # 02:30 happens twice when the clocks go back (25 October 2026 in Paris): no guess
    events.write_text("lead_id,type,at\nL-0,content_download,2026-10-25T02:30:00\n")
    code, _, err = _run([*args, "--timezone", "Europe/Paris"], capsys)
    assert code == 1
    assert "ambiguous or skipped in Europe/Paris" in err
    assert ":2:" in err
    code, _, err = _run([*args, "--timezone", "Mars/Olympus"], capsys)
    assert code == 1
    assert "time zone name" in err


def _score_args(fit: lq.FitRule, leads: Path, files: dict[str, str], tmp_path: Path) -> list[str]:
    """``leadqual score`` of ``leads`` under a rule set of the one fit rule ``fit`` (and the
    default stages), written to ``tmp_path``."""
    rules = lq.RuleSet(
        "site", "1", model=lq.PointsModel(fit=[fit]), stages=lq.StageMachine.default()
    )
    lq.dump(rules, tmp_path / "rules.toml")
    rules_file = str(tmp_path / "rules.toml")
    return ["score", "--rules", rules_file, "--leads", str(leads), "--events", files["events"]]


def test_csv_numbers_are_numbers_so_numeric_rules_fire(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,time_on_site,zip,customer,note\nL-0,1532,02134,true,42\nL-1,12,10001,false,call back\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores.jsonl"
    fit = lq.FitRule("engaged", lq.Attr("time_on_site") >= 1000, 30)
    args = [*_score_args(fit, leads, files, tmp_path), "--out", str(out)]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    scores = {r["lead_id"]: r["score"] for r in map(json.loads, out.read_text().splitlines())}
    assert scores == {"L-0": 30, "L-1": 0}
    assert "whole numbers: time_on_site" in err
    assert "true/false: customer" in err
    assert "zip (leading zeros)" in err
    assert "note (numbers and text)" in err
    code, _, err = _run([*args, "--no-infer"], capsys)
    assert code == 0
    scores = {r["lead_id"]: r["score"] for r in map(json.loads, out.read_text().splitlines())}
    assert scores == {"L-0": 0, "L-1": 0}  # text never compares with a number
    with lq.io.read_leads(leads, infer_types=True, types={"time_on_site": float}) as read:
        first = next(read)
        assert first.attributes["time_on_site"] == 1532.0  # types= decides over inference
        assert type(first.attributes["time_on_site"]) is float
        assert first.attributes["zip"] == "02134"
        assert first.attributes["customer"] is True
        assert read.inferred is not None
        assert "zip" in read.inferred.kept
    with pytest.raises(lq.ValidationError, match="needs a path"), leads.open() as handle:
        lq.io.read_leads(handle, format="csv", infer_types=True)
    with pytest.raises(lq.ValidationError, match="CSV files only"):
        lq.io.read_events(files["events"], infer_types=True)


def test_a_short_run_is_not_cluttered_and_quiet_is_accepted(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ([], ["--quiet"]):
        code, _, err = _run(["score", *_inputs(files), *extra], capsys)
        assert code == 0
        assert "events read" not in err  # 13 events: no summary line


def test_progress_says_how_much_is_done_and_left() -> None:
    import io

    from leadqual.cli.progress import Progress, count_lines

    out = io.StringIO()
    # read at the start, every 1,024 items, and at the end
    ticks = iter([0.0, 5.0, 20.0, 25.0, 31.0, 40.0])
    progress = Progress("events", total=4096, out=out, clock=lambda: next(ticks), tty=False)
    items = list(progress.watch(iter(range(4096))))
    progress.done()
    assert items == list(range(4096))
    lines = out.getvalue().splitlines()
    assert lines[0] == "leadqual: 2,048 events of 4,096 (50%), 102/s, 20 s, about 20 s left"
    assert lines[-1] == "leadqual: 4,096 events read in 40.0 s (102/s)"
    assert count_lines(__file__) == len(Path(__file__).read_text().splitlines())
    quick = Progress("events", out=(short := io.StringIO()), clock=iter([0.0, 0.5]).__next__)
    list(quick.watch(iter(range(10))))
    quick.done()
    assert short.getvalue() == ""  # half a second: no summary
    slow = Progress("events", out=(long := io.StringIO()), clock=iter([0.0, 3.0]).__next__)
    list(slow.watch(iter(range(10))))
    slow.done()
    assert long.getvalue() == "leadqual: 10 events read in 3.0 s (3/s)\n"
    silent = Progress(
        "events", out=(none := io.StringIO()), clock=iter([0.0, 3.0]).__next__, quiet=True
    )
    list(silent.watch(iter(range(10))))
    silent.done()
    assert none.getvalue() == ""


def test_messages_for_people(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("id,title\nL-0,VP\nL-0,CEO\n", encoding="utf-8")
    renamed = tmp_path / "renamed.jsonl"
    renamed.write_text('{"lead_id": "L-0", "type": "x", "timestamp": "2026-01-01T00:00:00Z"}\n')
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    base = ["score", "--rules", files["rules"]]
    cases = [
        (
            ["--leads", str(twice), "--events", files["events"]],
            "--leads: " + str(twice) + ": lead 2 has the id of an earlier lead",
        ),
        (
            ["--leads", files["leads"], "--events", str(renamed)],
            "at: is required (and 'timestamp' is not a known key)",
        ),
        (
            ["--leads", files["leads"], "--events", str(broken)],
            f"{broken}:1: expected a JSON object",
        ),
        (
            [
                "--leads",
                files["leads"],
                "--events",
                files["events"],
                "--out",
                str(tmp_path / "no" / "such" / "out.csv"),
            ],
            f"the folder {tmp_path / 'no' / 'such'} does not exist",
        ),
    ]
    for extra, message in cases:
        code, _, err = _run([*base, *extra], capsys)
        assert code == 1
        assert message in err, err
        assert ".tmp" not in err
        assert "line:" not in err
    code, _, err = _run(
        ["backtest", *_inputs(files), "--outcomes", files["outcomes"], "--top-k", "0"], capsys
    )
    assert code in (1, 2)
    assert "--top-k" in err
    with pytest.raises(lq.ValidationError) as info:
        lq.Event("L", "x", at=datetime(2026, 1, 2, 3, 4))  # no offset
    assert "got '2026-01-02T03:04:00'" in str(info.value)  # not datetime.datetime(...)


def test_validate_on_sample_data_reports_what_only_data_shows(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = lq.RuleSet(
        "site",
        "1",
        model=lq.PointsModel(
            fit=[lq.FitRule("engaged", lq.Attr("visits").between(10, 1000), 50)],
            engagement=[lq.EngagementRule("ebook", "content_download", 30)],
        ),
        stages=lq.StageMachine.default(mql_score=1000),  # out of reach on this sample
    )
    leads = [lq.Lead("L-0", attributes={"visits": "15"}), lq.Lead("L-1", attributes={"visits": 3})]
    events = list(lq.io.read_events(files["events"]))
    report = lq.testing.check_ruleset(rules, leads=leads, events=events)
    messages = {f.subject: f.message for f in report.findings}
    assert (
        "1 of 2 leads hold visits as text that looks like a number (such as '15')"
        in messages["scoring.fit[0] (engaged)"]
    )
    assert "never fires on the 2 leads" in messages["stages.transitions[0] (IQL -> MQL)"]
    assert not report.ok
    fine = lq.testing.check_ruleset(lq.default_ruleset(), leads=leads[1:])
    assert not any("looks like a number" in f.message for f in fine.findings)

    lq.dump(rules, tmp_path / "rules.toml")
    code, out, _ = _run(
        [
            "validate",
            str(tmp_path / "rules.toml"),
            "--leads",
            files["leads"],
            "--events",
            files["events"],
        ],
        capsys,
    )
    assert code == 1
    assert "(IQL -> MQL): never fires on the 3 leads given" in out
    code, out, _ = _run(["validate", files["rules"]], capsys)
    assert code == 0
    assert "valid" in out


def test_a_run_warns_when_numeric_rules_meet_numbers_written_as_text(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = tmp_path / "leads.jsonl"
    write_leads(
        [
            lq.Lead("L-0", attributes={"employees": "900"}),
            lq.Lead("L-1", attributes={"employees": 9}),
        ],
        leads,
    )
    fit = lq.FitRule("big", lq.Attr("employees") >= 500, 20)
    args = _score_args(fit, leads, files, tmp_path)
    code, _, err = _run(args, capsys)
    assert code == 0
    assert "warning: scoring.fit[0] (big): 1 of 2 leads hold employees as text" in err


def test_a_column_map_reads_a_crm_export(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Record ID,Email,Job Title,Number of Employees,Postal Code\n"
        "L-0,ana@acme.com,VP Sales,300,02134\nL-1,bo@beta.io,Engineer,12,10001\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores.jsonl"
    inputs = ["--rules", files["rules"], "--leads", str(export), "--events", files["events"]]
    args = ["score", *inputs, "--out", str(out), "--columns", "hubspot"]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    assert {r["lead_id"] for r in map(json.loads, out.read_text().splitlines())} == {"L-0", "L-1"}
    code, text, err = _run(["explain", *inputs, "--columns", "hubspot", "L-0"], capsys)
    assert code == 0, err
    assert "senior-title" in text  # the default rules' seniority rule read "Job Title"
    assert "mid-market" in text  # and "Number of Employees" as a number
    own = tmp_path / "map.toml"
    own.write_text(
        '[leads]\ncolumns = { "Record ID" = "id" }\n'
        'types = { "Postal Code" = "text", "Number of Employees" = "number" }\n'
    )
    code, _, err = _run([*args[:-1], str(own)], capsys)
    assert code == 0, err
    with lq.io.read_leads(
        export, columns={"Record ID": "id"}, infer_types=True, types={"Postal Code": str}
    ) as read:
        assert next(read).attributes["Postal Code"] == "02134"
    bad = tmp_path / "bad.toml"
    bad.write_text('[leads]\ntypes = { "x" = "complex" }\n')
    code, _, err = _run([*args[:-1], str(bad)], capsys)
    assert code == 1
    assert "expected one of" in err
    code, _, err = _run([*args[:-1], "nosuchpreset"], capsys)
    assert code == 1
    assert "hubspot" in err


def test_the_salesforce_preset_reads_a_task_export(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "tasks.csv"
    tasks.write_text(
        "Id,WhoId,TaskSubtype,Subject,Status,CreatedDate,CallDurationInSeconds\n"
        "00T1,L-0,Call,Discovery call,Completed,2026-05-02T09:30:00.000Z,1532\n"
        "00T2,L-0,Email,Pricing sheet,Completed,2026-05-03T10:00:00.000Z,\n",
        encoding="utf-8",
    )
    rules = tmp_path / "rules.toml"
    lq.dump(
        lq.RuleSet(
            "calls",
            "1",
            model=lq.PointsModel(
                engagement=[
                    lq.EngagementRule(
                        "long-call", "Call", 40, where=lq.Prop("call_seconds") >= 1000
                    ),
                    lq.EngagementRule("email", "Email", 5),
                ]
            ),
            stages=lq.StageMachine.default(100),
        ),
        rules,
    )
    out = tmp_path / "scores.jsonl"
    args = [
        "score",
        "--rules",
        str(rules),
        "--leads",
        files["leads"],
        "--events",
        str(tasks),
        "--columns",
        "salesforce",
        "--out",
        str(out),
    ]
    code, _, err = _run(args, capsys)
    assert code == 0, err
    rows = {r["lead_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["L-0"]["score"] == 45  # the call's duration read as a number, not text
