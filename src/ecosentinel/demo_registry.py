"""The demo's registry beyond enterprises and points: outlets, analysers with filed parameters, permits,
O&M agencies, staff and assignments, meters, cameras and doors, a few maintenance records, and the
current O&M assessment and enterprise evaluation — consistent with the simulator's stations.

Everything goes through the registry's table import (the Excel/YAML sheet format) and the O&M and
evaluation services, so the demo exercises the same code paths as a real installation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.auth.service import SYSTEM
from ecosentinel.detection.context import EventType
from ecosentinel.evaluation import om_assessment
from ecosentinel.evaluation.service import evaluate_period, publish_period
from ecosentinel.om import service as om_service
from ecosentinel.om.enums import RecordKind
from ecosentinel.om.periods import current_quarter
from ecosentinel.om.schemas import RecordIn
from ecosentinel.protocol.hj212 import FieldValue, encode, format_datatime, make_packet
from ecosentinel.protocol.hj212.packet import decode
from ecosentinel.readings import CST
from ecosentinel.registry.dynamic import record_3020
from ecosentinel.registry.events import EventIn, record_events
from ecosentinel.registry.models import Enterprise
from ecosentinel.registry.tabular import RawSheet, apply_tables, parse_tables
from ecosentinel.simulator.models import SimulationResult
from ecosentinel.simulator.profiles import credit_code
from ecosentinel.simulator.sender import ST_BY_TYPE
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)


AGENCIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("嘉兴市清源环境运维有限公司", "91330400MA2C00001", ("王建国", "陈晓东", "刘敏")),
    ("浙江蓝天自动监测技术服务有限公司", "91330400MA2C00002", ("赵磊", "孙丽")),
    ("嘉兴禾城环保设施运营有限公司", "91330400MA2C00003", ("周强", "吴芳")),
)
"""Name, credit-code body (17 characters) and staff of each demo O&M agency."""

UNMONITORED = ("嘉兴南湖宏达特钢有限公司", "91330400MA2C00099", "钢铁", "浙江省嘉兴市南湖区东栅街道钢城路8号")
"""A steel plant applying for a permit without networked monitoring (应装尽装 shows the gap)."""

_RECORD_KIND = {
    "calibration": RecordKind.CALIBRATION,
    "maintenance": RecordKind.MAINTENANCE,
    "repair": RecordKind.REPAIR,
    "cleaning": RecordKind.CLEANING,
}


def _suffix(mn: str) -> str:
    return mn[-6:]


def _demo_lon_lat(index: int) -> tuple[float, float]:
    """Demo coordinates: a grid over Jiaxing's districts, so the map page has something to show."""
    return (
        round(120.58 + (index % 5) * 0.075 + (index * 7 % 3) * 0.012, 4),
        round(30.66 + (index // 5) * 0.06 + (index * 5 % 4) * 0.009, 4),
    )


def demo_tables(result: SimulationResult, *, start: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    """Rows of each registry sheet (by kind) for the simulated enterprises and the demo agencies."""
    first_day = start.astimezone(CST).date()
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    filed = result.filed_parameters
    points_in_order: list[str] = []
    for index, enterprise in enumerate(result.registry["enterprises"]):
        types = {p["type"] for p in enterprise["points"]}
        category = "water_gas" if len(types) > 1 else next(iter(types), "water")
        code = enterprise["credit_code"]
        tables["enterprises"].append(
            {
                "credit_code": code,
                "name": enterprise["name"],
                "industry": enterprise["industry"],
                "address": enterprise.get("address"),
                "key_category": category,
                "lon": _demo_lon_lat(index)[0],
                "lat": _demo_lon_lat(index)[1],
            }
        )
        permit = f"{code}{index + 1:03d}P"
        tables["permits"].append(
            {
                "number": permit,
                "credit_code": code,
                "status": "issued",
                "valid_from": dt.date(2024, 1, 1),
                "valid_to": dt.date(2028, 12, 31),
                "issuer": "嘉兴市生态环境局",
            }
        )
        counters = {"water": 0, "gas": 0}
        for point in enterprise["points"]:
            mn, kind = point["mn"], point["type"]
            points_in_order.append(mn)
            counters[kind] += 1
            outlet = f"{'DW' if kind == 'water' else 'DA'}{counters[kind]:03d}"
            tables["outlets"].append(
                {"credit_code": code, "code": outlet, "name": point["name"], "type": kind, "mn": mn}
            )
            factor_codes = [f["code"] for f in point.get("factors", [])]
            for factor in factor_codes:
                if factor.startswith(("w0", "w2", "a2", "a3")) and factor not in ("w00000", "a00000"):
                    tables["permit_requirements"].append(
                        {"number": permit, "outlet_code": outlet, "factor_code": factor}
                    )
            serial = f"SN{first_day:%Y}{_suffix(mn)}"
            tables["devices"].append(
                {
                    "serial_no": serial,
                    "mn": mn,
                    "model": "COD-2000 水质在线分析仪"
                    if kind == "water"
                    else "CEMS-3000 烟气排放连续监测系统",
                    "manufacturer": "杭州示例分析仪器有限公司",
                    "certification_no": f"HJ-CERT-{_suffix(mn)}",
                    "install_date": dt.date(2023, 5, 1),
                    "factor_codes": ",".join(factor_codes),
                }
            )
            for row in filed.filter(pl.col("mn") == mn).iter_rows(named=True):
                tables["filed_parameters"].append(
                    {
                        "serial_no": serial,
                        "pol_id": row["pol_id"] or None,
                        "info_id": row["info_id"],
                        "name": row["name"],
                        "value": f"{row['value']:g}",
                    }
                )
            tables["meters"].append(
                {
                    "code": f"EM-{_suffix(mn)}-T",
                    "mn": mn,
                    "kind": "electricity",
                    "facility_type": "treatment",
                    "facility_name": "污水处理设施" if kind == "water" else "脱硫脱硝除尘设施",
                    "unit": "kW",
                    "running_threshold": 5.0,
                }
            )
            tables["meters"].append(
                {
                    "code": f"WC-{_suffix(mn)}-P",
                    "mn": mn,
                    "kind": "working_condition",
                    "facility_type": "production",
                    "facility_name": "主要生产线",
                    "unit": "kW",
                    "running_threshold": 20.0,
                }
            )
            tables["cameras"].append(
                {"code": f"CAM-{_suffix(mn)}-1", "mn": mn, "name": "站房内", "location": "自动监测站房"}
            )
            tables["cameras"].append(
                {"code": f"CAM-{_suffix(mn)}-2", "mn": mn, "name": "排放口", "location": point["name"]}
            )
            tables["doors"].append({"code": f"DOOR-{_suffix(mn)}", "mn": mn, "name": "站房门禁"})
    steel_code = credit_code(UNMONITORED[1])
    tables["enterprises"].append(
        {
            "credit_code": steel_code,
            "name": UNMONITORED[0],
            "industry": UNMONITORED[2],
            "address": UNMONITORED[3],
            "key_category": "gas",
        }
    )
    tables["outlets"].append(
        {"credit_code": steel_code, "code": "DA001", "name": "烧结机头排放口", "type": "gas"}
    )
    tables["permits"].append(
        {
            "number": f"{steel_code}001P",
            "credit_code": steel_code,
            "status": "applied",
            "issuer": "嘉兴市生态环境局",
        }
    )
    for factor in ("a21026", "a21002", "a34013"):
        tables["permit_requirements"].append(
            {"number": f"{steel_code}001P", "outlet_code": "DA001", "factor_code": factor}
        )
    for index, (name, body, staff) in enumerate(AGENCIES):
        agency_code = credit_code(body)
        tables["om_agencies"].append(
            {
                "credit_code": agency_code,
                "name": name,
                "registration_no": f"嘉运维登〔2024〕{index + 1:03d}号",
                "qualification": "环境污染治理设施运营资质（自动连续监测）",
                "contact_person": staff[0],
                "contact_phone": f"0573-8268{index + 1:04d}",
            }
        )
        for number, person in enumerate(staff):
            tables["om_staff"].append(
                {
                    "agency_credit_code": agency_code,
                    "name": person,
                    "id_no": f"YW{index + 1:02d}{number + 1:04d}",
                    "qualification": "自动监测运维上岗证",
                    "active": True,
                }
            )
    for position, mn in enumerate(points_in_order):
        agency_code = credit_code(AGENCIES[position % len(AGENCIES)][1])
        tables["om_assignments"].append(
            {"agency_credit_code": agency_code, "mn": mn, "valid_from": first_day}
        )
    return dict(tables)


def seed_demo_registry(session: Session, result: SimulationResult, *, start: dt.datetime) -> dict[str, int]:
    """Import the demo registry sheets, file the O&M journal's maintenance records, and store the door and
    camera events and the CN 3020 parameter uploads of the history (caller commits): screening then sees
    what the simulation did, as the accuracy benchmark's contexts do."""
    tables = demo_tables(result, start=start)
    raw = [RawSheet(kind, [(n + 1, row) for n, row in enumerate(rows)]) for kind, rows in tables.items()]
    counts = apply_tables(session, parse_tables(raw, source="demo"), source="demo")
    unplaced = session.scalars(sa.select(Enterprise).where(Enterprise.lon.is_(None)).order_by(Enterprise.id))
    for n, enterprise in enumerate(unplaced, start=len(tables["enterprises"])):
        enterprise.lon, enterprise.lat = _demo_lon_lat(n)  # enterprises of scenarios outside the sheet
    staff_of = {}
    for index, (_, _, staff) in enumerate(AGENCIES):
        staff_of[index] = staff
    order = {row["mn"]: n for n, row in enumerate(tables["om_assignments"])}
    filed = 0
    for row in result.om_records.sort("start").iter_rows(named=True):
        # every record of the journal: a capped journal leaves later days' C/M flags without a record,
        # which R16 reads as suspicious
        if row["mn"] not in order:
            continue
        kind = _RECORD_KIND.get(row["kind"], RecordKind.MAINTENANCE)
        person = staff_of[order[row["mn"]] % len(AGENCIES)][filed % 2]
        om_service.create_record(
            session,
            SYSTEM,
            RecordIn(
                mn=row["mn"],
                kind=kind,
                started_at=row["start"],
                ended_at=row["end"],
                staff_name=person,
                description="例行运维（演示数据）",
                factor_code="w01018" if kind is RecordKind.CALIBRATION else None,
            ),
            now=row["end"] + dt.timedelta(minutes=20 + 13 * (filed % 5)),
        )
        filed += 1
    counts["om_records"] = filed
    counts["station_events"] = _seed_events(session, result)
    counts["parameter_uploads"] = _seed_uploads(session, result)
    logger.info("demo registry: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _seed_events(session: Session, result: SimulationResult) -> int:
    """Door and camera events of the history, through the registry's event service."""
    events = [
        EventIn(mn=mn, time=t, type=EventType(typ))
        for mn, t, typ in result.events.select("mn", "time", "type").iter_rows()
    ]
    if not events:
        return 0
    added, _ = record_events(session, SYSTEM, events)
    return added


def _seed_uploads(session: Session, result: SimulationResult) -> int:
    """CN 3020 parameter uploads of the history, as the data loggers send them (one frame per time and
    factor), stored by the registry's 3020 recorder."""
    points = {p["mn"]: p for p in result.points()}
    uploads = result.parameter_uploads.sort(["mn", "time", "pol_id"])
    stored = 0
    for (mn, t, pol), group in uploads.group_by(["mn", "time", "pol_id"], maintain_order=True):
        point = points.get(str(mn))
        if point is None or not isinstance(t, dt.datetime):
            continue
        packet = make_packet(
            st=ST_BY_TYPE[point["type"]],
            cn="3020",
            pw=point["pw"],
            mn=str(mn),
            qn=format_datatime(t) + "004",
            flag=5,
            data_time=t,
            params=[("PolId", str(pol))],
            values=[
                FieldValue(i, "Info", f"{v:g}") for i, v in zip(group["info_id"], group["value"], strict=True)
            ],
        )
        stored += record_3020(session, decode(encode(packet)), received_at=t)
    return stored


def seed_demo_assessments(
    session: Session, store: MeasurementStore, *, now: dt.datetime | None = None
) -> None:
    """Rate the current quarter and evaluate the current quarter's enterprises, and publish both."""
    quarter = current_quarter(now).name
    om_assessment.rate_quarter(session, store, quarter, principal=SYSTEM, now=now)
    om_assessment.publish_quarter(session, quarter, principal=SYSTEM)
    evaluate_period(session, store, quarter, principal=SYSTEM, now=now)
    publish_period(session, quarter, principal=SYSTEM)
