"""A small simulated world for web tests: two enterprises, a point each, six hours of minute data, a finding,
day scores, a door event. Times are fixed (2025-03-10, CST) so tests can assert on them."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Factor, Point, StationEvent
from ecosentinel.screening.models import EnterpriseDayScore, PointDayScore, ScreeningFinding
from ecosentinel.store.base import MeasurementStore

DAY = dt.date(2025, 3, 10)
START = dt.datetime(2025, 3, 10, 8, 0, tzinfo=CST).astimezone(dt.UTC)
HOURS = 6
FINDING_START = START + dt.timedelta(hours=2)
FINDING_END = START + dt.timedelta(hours=3)
MN_A = "88888880000001"
MN_B = "88888880000002"
FINDING_TITLE = "超标后浓度骤降"
FINDING_TEXT = (
    "规则「超标后浓度骤降」：化学需氧量超标后 10 分钟内骤降至限值的一半以下，提示采样杯被加水稀释。"
)


@dataclass(frozen=True)
class World:
    enterprise_a: int
    enterprise_b: int
    point_a: int
    point_b: int


def seed(session: Session, store: MeasurementStore) -> World:
    """Insert the registry, readings, a finding, scores and an event; commits."""
    a = Enterprise(name="甲化工有限公司", credit_code="91330400AAAAAAAA01", lon=120.75, lat=30.75)
    b = Enterprise(name="乙热电有限公司", credit_code="91330400BBBBBBBB02", lon=120.80, lat=30.70)
    session.add_all([a, b])
    session.flush()
    pa = Point(mn=MN_A, pw="123456", name="甲化工废水总排口", type="water", enterprise_id=a.id)
    pb = Point(mn=MN_B, pw="123456", name="乙热电废水排口", type="water", enterprise_id=b.id)
    session.add_all([pa, pb])
    session.flush()
    for p in (pa, pb):
        session.add(Factor(point_id=p.id, code="w01018", name="COD", unit="mg/L", limit_high=50.0))
        session.add(Factor(point_id=p.id, code="w21003", name="氨氮", unit="mg/L", limit_high=5.0))
    session.add(
        ScreeningFinding(
            fingerprint="f" * 40,
            mn=MN_A,
            enterprise_id=a.id,
            rule="R04_post_exceedance_drop",
            factors=["w01018"],
            start=FINDING_START,
            end=FINDING_END,
            severity="high",
            severity_rank=3,
            score=0.9,
            title_zh=FINDING_TITLE,
            explanation_zh=FINDING_TEXT,
            evidence=json.dumps({"values": [62.0, 20.1]}),
        )
    )
    session.add(
        PointDayScore(
            mn=MN_A, enterprise_id=a.id, day=DAY, score=0.9, colour="red", n_findings=1, rules=["R04"]
        )
    )
    session.add(
        PointDayScore(mn=MN_B, enterprise_id=b.id, day=DAY, score=0.0, colour="green", n_findings=0, rules=[])
    )
    session.add(
        EnterpriseDayScore(enterprise_id=a.id, day=DAY, score=0.9, colour="red", n_findings=1, points=1)
    )
    session.add(
        StationEvent(
            mn=MN_A,
            time=FINDING_START + dt.timedelta(minutes=5),
            type="door_open",
            device_code="DOOR-1",
            detail="夜间开门",
        )
    )
    session.commit()
    minutes = HOURS * 60
    rows: dict[str, list[object]] = {k: [] for k in ("mn", "code", "kind", "time", "value", "flag")}
    for mn in (MN_A, MN_B):
        for i in range(minutes):
            t = START + dt.timedelta(minutes=i)
            for code, base in (("w01018", 30.0), ("w21003", 2.0)):
                rows["mn"].append(mn)
                rows["code"].append(code)
                rows["kind"].append("minute")
                rows["time"].append(t)
                rows["value"].append(round(base * (1 + 0.2 * math.sin(i / 20)), 3))
                rows["flag"].append("C" if i in (30, 31) else "N")
    frame = pl.DataFrame(rows, schema_overrides={"time": pl.Datetime("us", "UTC")})
    store.append(frame)
    return World(enterprise_a=a.id, enterprise_b=b.id, point_a=pa.id, point_b=pb.id)


def point_id(session: Session, mn: str) -> int:
    value = session.scalar(sa.select(Point.id).where(Point.mn == mn))
    assert value is not None
    return value
