"""Working-condition / electricity series (CSV meter,time,value): stored on the meter's point, times checked
like every other reading, errors in Chinese with their CSV line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.events import import_meter_csv
from ecosentinel.registry.models import Meter
from ecosentinel.store.base import MeasurementStore
from tests.registry.sample import load_sample


def _meter(db_session: Session, tmp_path: Path) -> str:
    load_sample(db_session, tmp_path)
    code = db_session.scalars(sa.select(Meter.code).order_by(Meter.code)).first()
    assert code is not None
    return code


def test_meter_rows_are_stored_and_bad_rows_named(
    db_session: Session, tmp_path: Path, store: MeasurementStore
) -> None:
    code = _meter(db_session, tmp_path)
    yesterday = (dt.datetime.now(CST) - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    rows, inserted = import_meter_csv(db_session, store, f"meter,time,value\n{code},{yesterday},12.5\n")
    assert (rows, inserted) == (1, 1)
    with pytest.raises(ValidationError) as bad_time:
        import_meter_csv(db_session, store, f"meter,time,value\n{code},{yesterday},1\n{code},昨天,2\n")
    assert bad_time.value.location == "meters.csv:3"
    assert "ISO 8601" in str(bad_time.value)
    with pytest.raises(ValidationError) as bad_value:
        import_meter_csv(db_session, store, f"meter,time,value\n{code},{yesterday},abc\n")
    assert "不是数字" in str(bad_value.value)


@pytest.mark.parametrize("when", ["2999-01-01 00:00", "1999-12-31 23:00"])
def test_meter_readings_from_the_future_or_before_2000_are_refused(
    db_session: Session, tmp_path: Path, store: MeasurementStore, when: str
) -> None:
    code = _meter(db_session, tmp_path)
    with pytest.raises(ValidationError) as refused:
        import_meter_csv(db_session, store, f"meter,time,value\n{code},{when},10\n")
    assert refused.value.location == "meters.csv:2"
    assert "不能导入" in str(refused.value)
