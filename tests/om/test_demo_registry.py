"""The demo registry: consistent with the simulated stations, imported through the registry sheets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.bench.detect_corpus import contexts as corpus_contexts
from ecosentinel.demo import DEMO_SCENARIOS, _fits, demo_config, demo_stations
from ecosentinel.demo_registry import seed_demo_assessments, seed_demo_registry
from ecosentinel.detection.context import PointType
from ecosentinel.evaluation import om_assessment
from ecosentinel.evaluation.models import EnterpriseEvaluation
from ecosentinel.om.models import MaintenanceRecord
from ecosentinel.registry.models import Device, Enterprise, OMAgency, OMAssignment, Permit, Point
from ecosentinel.registry.service import import_registry
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.scenarios import CATALOGUE
from ecosentinel.store.base import MeasurementStore


def test_demo_registry_and_assessments(db_session: Session, store: MeasurementStore) -> None:
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    start = now - dt.timedelta(days=1)
    result = simulate(demo_config(water=3, gas=1, days=1.0, start=start))
    import_registry(db_session, result.registry, source_name="demo")
    counts = seed_demo_registry(db_session, result, start=start)
    db_session.commit()
    store.append(result.readings)

    mns = set(result.station_mns)
    assert set(db_session.scalars(sa.select(Point.mn))) == mns
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OMAgency)) == 3
    assigned = set(
        db_session.scalars(sa.select(Point.mn).join(OMAssignment, OMAssignment.point_id == Point.id))
    )
    assert assigned == mns
    assert set(db_session.scalars(sa.select(Point.mn).join(Device, Device.point_id == Point.id))) == mns
    industries = set(db_session.scalars(sa.select(Enterprise.industry)))
    assert "钢铁" in industries
    assert len(industries) >= 3
    assert "applied" in set(db_session.scalars(sa.select(Permit.status)))
    # every demo enterprise has coordinates, for the map
    placed = db_session.execute(sa.select(Enterprise.lon, Enterprise.lat)).all()
    assert placed
    assert all(
        lon is not None and lat is not None and 120 < lon < 121.5 and 30 < lat < 31.5 for lon, lat in placed
    )  # for the map
    assert len(set(placed)) == len(placed)
    records = db_session.scalars(sa.select(MaintenanceRecord)).all()
    assert counts["om_records"] == len(records) > 0
    assert all(r.agency_id is not None for r in records)
    # the whole O&M journal, the events and the 3020 uploads: screening sees what the simulation did
    assert len(records) == result.om_records.height
    assert counts["station_events"] == result.events.height
    assert counts["parameter_uploads"] == result.parameter_uploads.height > 0
    contexts = load_contexts(db_session, sorted(mns), start, now + dt.timedelta(hours=6))  # events run over
    bench = corpus_contexts(result)
    for mn in mns:
        loaded, simulated = contexts[mn], bench[mn]
        assert loaded.factors == simulated.factors
        assert loaded.events.height == simulated.events.height
        assert loaded.om_records.height == simulated.om_records.height
        assert loaded.parameter_uploads.height == simulated.parameter_uploads.height
        assert loaded.filed_parameters.height == simulated.filed_parameters.height

    seed_demo_assessments(db_session, store, now=now)
    db_session.commit()
    ranking = om_assessment.published_ranking(db_session)
    assert ranking.quarter == "2026Q4"
    assert len(ranking.results) == 3
    evaluations = db_session.scalars(sa.select(EnterpriseEvaluation)).all()
    assert len(evaluations) == db_session.scalar(sa.select(sa.func.count()).select_from(Enterprise))
    assert all(e.published for e in evaluations)


def test_demo_scenarios_get_their_own_station_of_a_fitting_type() -> None:
    stations = demo_stations(DEMO_SCENARIOS, water=6, gas=4)
    placed = [i for i in stations.values() if i is not None]
    assert len(placed) == len(DEMO_SCENARIOS) == len(set(placed))
    for sid, index in stations.items():
        assert index is not None
        kind = PointType.WATER.value if index < 6 else PointType.GAS.value
        assert kind in {t.value for t in CATALOGUE[sid].types}, sid
    assert (stations["gap_during_exceedance"] or 0) >= 6  # a CEMS shows the climb before the gap
    few = demo_stations(DEMO_SCENARIOS, water=2, gas=1)
    assert sorted(i for i in few.values() if i is not None) == [0, 1, 2]


def test_placement_checks_operating_flow_baseline_and_om_visits() -> None:
    on = np.zeros(3 * 1440, dtype=bool)
    on[600:1200] = on[2040:2640] = True  # two 10-hour shifts, the second a day after the first
    busy = np.zeros(on.size, dtype=bool)
    busy[2100:2200] = True  # an O&M visit in the second shift
    assert _fits("dilution", on, busy, 2100, 2400)  # operating, with the first shift as its baseline
    assert not _fits("dilution", on, busy, 2700, 3000)  # idle hours: less water, not diluted water
    assert not _fits("dilution", on, busy, 700, 1000)  # operating but nothing before it to compare with
    assert not _fits("flag_abuse", on, busy, 2050, 2300)  # an O&M visit covers the flags
    assert _fits("flag_abuse", on, busy, 2250, 2500)
    assert not _fits("post_exceedance_drop", on, busy, 2150, 2160)
    assert _fits("constant_value", on, busy, 0, 100)
