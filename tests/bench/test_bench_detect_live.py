"""``bench detect-live``: the scheduler's own passes on a simulated clock, against one retrospective screen.

Needs the public series in /work/shared/data (CI has them); skipped cleanly when that folder is absent.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecosentinel.bench.detect_live import _next_time, report, run
from ecosentinel.cli import app
from ecosentinel.screening.service import latest_times, utc
from ecosentinel.store.base import open_store

DATA = Path("/work/shared/data")

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"real public series absent: {DATA} not found")


def test_live_replay_sees_only_the_data_up_to_its_clock(tmp_path: Path) -> None:
    # one Danish inflow point, 30 days, a scheduler step every 6 simulated hours
    result = run(
        DATA,
        ["dk-wwtp-inflow"],
        points=1,
        days=30,
        spacing=10,
        seed=5,
        work=tmp_path,
        step_hours=6,
        full_hours=12,
        warm_up_days=1,
    )
    [score] = result.scores
    assert score.live.point_days == score.batch.point_days == 30
    assert sum(score.live.labels.values()) == 2  # days 7 and 17
    # every step from one day after the first reading to the last reading is one pass
    assert score.passes == math.ceil((30 - 1) * 24 / 6) + 1
    url = f"sqlite:///{tmp_path / 'dk-wwtp-inflow' / 'live' / 'ecosentinel.db'}"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT mode, count(*) FROM screening_run GROUP BY mode")).all()
        modes: dict[str, int] = {str(mode): int(n) for mode, n in rows}
        until = conn.execute(sa.text("SELECT max(screened_until) FROM screening_point_state")).scalar_one()
    engine.dispose()
    assert modes["full"] == math.ceil(score.passes / 2)  # a full pass every second step (12 h), as the server
    assert modes["incremental"] == score.passes - modes["full"]
    store = open_store(url)
    newest = max(latest_times(store).values())
    store.close()
    assert utc(dt.datetime.fromisoformat(str(until))) == newest  # the last pass screened the last reading
    # found labels were found by passes at or after their start: no pass saw a reading ahead of its clock
    found = sum(score.live.detected.values())
    assert found >= 1
    assert sum(len(t) for t in score.ttd.values()) == found
    assert all(h >= 0 for t in score.ttd.values() for h in t)
    assert score.batch.detected.total() >= 1
    text = report(result)
    assert "| dk-wwtp-inflow |" in text
    assert "bench detect-live --backgrounds dk-wwtp-inflow --points 1 --days 30" in text


def test_bad_options_are_refused_in_one_line(tmp_path: Path) -> None:
    args = ["bench", "detect-live", "--backgrounds", "dk-wwtp-inflow", "--step-hours", "0"]
    result = CliRunner().invoke(app, [*args, "--work", str(tmp_path), "--no-write-docs"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "--step-hours" in lines[0]
    assert not any(tmp_path.iterdir())  # refused before anything is imported


def test_the_clock_skips_the_months_no_point_sends_data() -> None:
    utc = dt.UTC
    spans = [
        (dt.datetime(2021, 5, 1, tzinfo=utc), dt.datetime(2021, 6, 20, tzinfo=utc)),
        (dt.datetime(2022, 1, 1, tzinfo=utc), dt.datetime(2022, 3, 31, tzinfo=utc)),
    ]
    last = spans[-1][1]
    inside = dt.datetime(2021, 6, 1, 5, tzinfo=utc)
    assert _next_time(inside, spans, last) == inside
    assert _next_time(dt.datetime(2021, 6, 21, tzinfo=utc), spans, last) == spans[1][0]  # the gap skipped
    assert _next_time(dt.datetime(2022, 4, 2, tzinfo=utc), spans, last) == last  # never past the last reading
