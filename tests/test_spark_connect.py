"""``leadqual.spark`` on Spark Connect: ``score`` and ``qualify`` through a local Connect
server, against the engine. The Connect session runs in a process of its own: starting
one here would switch this process's PySpark into Connect mode under the classic session
the other Spark tests share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timezone
from pathlib import Path

import pytest

import leadqual as lq

SCRIPT = r"""
import json, sys
from pyspark.sql import SparkSession
import leadqual as lq
from leadqual import spark as lqspark
from leadqual.samples import SAMPLE_AS_OF, sample_events, sample_leads

session = SparkSession.builder.remote("local[2]").getOrCreate()
assert type(session).__module__.startswith("pyspark.sql.connect"), type(session)
rows = [
    (e.lead_id, e.type, e.at, e.id, e.source, json.dumps(e.to_dict()["properties"]))
    for e in sample_events()
]
events = session.createDataFrame(
    rows, "lead_id string, type string, at timestamp, id string, source string, properties string"
)
people = sample_leads()
scores = lqspark.score(lq.default_model(), people, events, as_of=SAMPLE_AS_OF)
stages = lqspark.qualify(lq.default_ruleset(), people, events, as_of=SAMPLE_AS_OF)
out = {
    "scores": {r["lead_id"]: r["total"] for r in scores.collect()},
    "stages": {
        r["lead_id"]: [r["stage"], [[t["target"], t["at"].isoformat()] for t in r["transitions"]]]
        for r in stages.collect()
    },
}
session.stop()
print(json.dumps(out))
"""


def test_score_and_qualify_on_spark_connect(tmp_path: Path) -> None:
    script = tmp_path / "on_connect.py"
    script.write_text(SCRIPT)
    env = os.environ | {
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "TZ": "UTC",  # collect() gives naive timestamps in the process's local zone
    }
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    events = lq.samples.sample_events()
    people = lq.samples.sample_leads()
    as_of = lq.samples.SAMPLE_AS_OF
    model = lq.default_model()
    qualifier = lq.default_ruleset().qualifier()
    assert sorted(got["scores"]) == sorted(lead.id for lead in people)
    for lead in people:
        mine = [e for e in events if e.lead_id == lead.id]
        want = model.score(lead, mine, as_of=as_of)
        assert got["scores"][lead.id] == pytest.approx(want.total, abs=1e-9), lead.id
        q = qualifier.qualify(lead, mine, as_of=as_of)
        stage, records = got["stages"][lead.id]
        assert stage == q.stage, lead.id
        assert records == [
            [r.target, r.at.astimezone(timezone.utc).replace(tzinfo=None).isoformat()]
            for r in q.history
        ], lead.id
    assert any(stage != "IQL" for stage, _ in got["stages"].values())  # some lead moved
