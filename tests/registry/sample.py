"""A small but complete registry (every sheet) for the registry tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ecosentinel.registry.excel import import_registry_file

DYEING = "91330400MA2B00001P"
POWER = "91330400MA2B00002T"
AGENCY = "91330400MA2C00003G"
WATER_MN = "33040000000001"
GAS_MN = "330400000000000000000002"

REGISTRY_YAML = f"""\
enterprises:
  - {{credit_code: "{DYEING}", name: 嘉兴示例印染有限公司, industry: 印染, key_category: water}}
  - {{credit_code: "{POWER}", name: 嘉兴示例热电有限公司, industry: 热电, lon: 120.75, lat: 30.75,
      key_category: water_gas}}
points:
  - {{credit_code: "{DYEING}", mn: "{WATER_MN}", pw: "123456", name: 废水总排口, type: water}}
  - {{credit_code: "{POWER}", mn: "{GAS_MN}", pw: "654321", name: 1号锅炉排口, type: gas, ref_o2: 6}}
factors:
  - {{mn: "{WATER_MN}", code: w01018, limit: 100, range: 500}}
  - {{mn: "{WATER_MN}", code: w01001, limit_low: 6, limit: 9}}
  - {{mn: "{GAS_MN}", code: a21026, limit: 35, detection_limit: 3}}
outlets:
  - {{credit_code: "{DYEING}", code: DW001, name: 废水总排口, type: water, mn: "{WATER_MN}"}}
  - {{credit_code: "{DYEING}", code: DW002, name: 雨水排口, type: water}}
  - {{credit_code: "{POWER}", code: DA001, name: 1号锅炉烟囱, type: gas, mn: "{GAS_MN}"}}
devices:
  - {{serial_no: "COD-2023-0001", mn: "{WATER_MN}", model: CODmax III, manufacturer: 示例仪器,
      certification_no: "CCEP-2021-001", install_date: 2023-05-01, factor_codes: "w01018"}}
filed_parameters:
  - {{serial_no: "COD-2023-0001", pol_id: w01018, info_id: i13008, name: 斜率, value: "1.02"}}
  - {{serial_no: "COD-2023-0001", pol_id: w01018, info_id: i13007, name: 截距, value: "0.5", unit: mg/L,
      effective_from: "2024-01-01 00:00:00"}}
  - {{serial_no: "COD-2023-0001", pol_id: w01018, info_id: dilution_ratio, name: 稀释比, value: "1"}}
permits:
  - {{number: "91330400MA2B00001P001V", credit_code: "{DYEING}", status: issued, valid_from: 2023-01-01,
      valid_to: 2027-12-31, issuer: 嘉兴市生态环境局}}
permit_requirements:
  - {{number: "91330400MA2B00001P001V", outlet_code: DW001, factor_code: w01018}}
  - {{number: "91330400MA2B00001P001V", outlet_code: DW001, factor_code: w21003}}
  - {{number: "91330400MA2B00001P001V", outlet_code: DW002, factor_code: w01018}}
om_agencies:
  - {{credit_code: "{AGENCY}", name: 嘉兴示例环境运维有限公司, registration_no: YW-001,
      contact_phone: "0573-1234567"}}
om_staff:
  - {{agency_credit_code: "{AGENCY}", name: 张三, id_no: "330400199001011234", qualification: 水质运维上岗证}}
om_assignments:
  - {{agency_credit_code: "{AGENCY}", mn: "{WATER_MN}", valid_from: 2024-01-01}}
meters:
  - {{code: WC-001, mn: "{WATER_MN}", kind: electricity, facility_type: treatment, facility_name: 生化池风机,
      unit: kW, running_threshold: 5}}
cameras:
  - {{code: CAM-001, mn: "{WATER_MN}", name: 采样口摄像头, location: 采样口}}
doors:
  - {{code: DOOR-001, mn: "{WATER_MN}", name: 站房门}}
"""


def load_sample(session: Session, tmp_path: Path) -> dict[str, int]:
    """Import the sample registry and commit."""
    path = tmp_path / "sample-registry.yaml"
    path.write_text(REGISTRY_YAML, encoding="utf-8")
    counts = import_registry_file(session, path)
    session.commit()
    return counts
