"""A screening run started from the findings page shows its progress (points done of all) and the page
refreshes itself until the run ends."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.screening.service import create_run
from tests.conftest import login_as

HTML = {"accept": "text/html"}


def test_running_screening_shows_progress_and_refreshes(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    headers = {**HTML, **login_as(engine, Role.ANALYST)}
    idle = client.get("/screening", headers=headers).text
    assert 'http-equiv="refresh"' not in idle
    run = create_run(db_session, mode="manual", triggered_by="analyst", start=None, end=None, points=8)
    run.points_done = 3
    db_session.commit()
    busy = client.get("/screening", headers=headers).text
    assert '<meta http-equiv="refresh" content="3">' in busy
    assert '<progress data-testid="run-progress" value="3" max="8">' in busy
    run.status = "succeeded"
    db_session.commit()
    assert 'http-equiv="refresh"' not in client.get("/screening", headers=headers).text
