"""Contexts loaded from the registry take the analyser's cycles per hour from its filed measuring interval."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.registry.models import Device, FiledParameter, Point
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed


def test_filed_measuring_interval_gives_cycles_per_hour(
    engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    data = seed(engine, store, days=0.5)
    point = db_session.scalars(sa.select(Point).where(Point.mn == data.bad_mn)).one()
    codes = sorted(f.code for f in point.factors)
    cod = "w01018" if "w01018" in codes else codes[0]
    other = next(c for c in codes if c != cod)
    device = Device(point_id=point.id, serial_no="SN-CTX-1", factor_codes=[cod, other])
    device.parameters = [
        FiledParameter(pol_id=cod, info_id="i13003", name="测量间隔", value="30", unit="min"),
        FiledParameter(pol_id=other, info_id="i13003", name="测量间隔", value="not-a-number"),
    ]
    db_session.add(device)
    db_session.commit()
    contexts = load_contexts(db_session, [data.bad_mn], data.start, data.end)
    factors = contexts[data.bad_mn].factors
    assert factors[cod].cycles_per_hour == 2.0  # every 30 minutes
    assert factors[other].cycles_per_hour is None  # an unreadable filing is ignored, not guessed
    clean = load_contexts(db_session, [data.clean_mn], data.start, data.end)[data.clean_mn]
    assert all(spec.cycles_per_hour is None for spec in clean.factors.values())  # nothing filed there
    assert data.start < data.end <= data.start + dt.timedelta(days=1)
