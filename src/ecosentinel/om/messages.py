"""User-facing messages of O&M supervision (Simplified Chinese)."""

from __future__ import annotations

RECORD_KIND_ZH = {
    "calibration": "校准",
    "cleaning": "清洗",
    "part_replacement": "更换部件",
    "repair": "故障维修",
    "standard_check": "标样核查",
    "inspection": "巡检",
    "maintenance": "其他维护",
}
FAULT_STATUS_ZH = {"open": "待修复", "repaired": "已修复"}
PART_ACTION_ZH = {"received": "入库", "installed": "更换安装", "returned": "退回"}
VIOLATION_KIND_ZH = {"falsification": "参与弄虚作假（一票否决）", "rule_breach": "违反运维规范"}
GRADE_ZH = {"A": "A 级（诚信）", "B": "B 级（良好）", "C": "C 级（警示）", "D": "D 级（不良）"}

BAD_QUARTER = "季度格式应为 2026Q3 这样的“年份Q季度”：{value}"
BAD_PERIOD = "评价期格式应为 2026Q3（季度）或 2026-09（月份）：{value}"
END_BEFORE_START = "结束时间不能早于开始时间"
NAIVE_TIME = "时间必须带时区（例如 2026-09-01T08:00:00+08:00）"
FUTURE_TIME = "时间不能晚于当前时间"
POINT_UNKNOWN = "监测点位不存在：{ref}"
POINT_REQUIRED = "须指定监测点位（point_id 或 mn）"
NOT_MAINTAINED = "该运维单位在 {day} 不负责此点位的运维"
NO_AGENCY = "无法确定运维单位：该点位在 {day} 没有运维单位"
AGENCY_UNKNOWN = "运维单位不存在：{id}"
STAFF_UNKNOWN = "运维人员 {id} 不属于该运维单位"
STAFF_REQUIRED = "须填写运维人员（staff_id 或 staff_name）"
PART_REQUIRED = "更换部件须填写部件名称"
STANDARD_VALUES_REQUIRED = "标样核查须填写因子、标样浓度和测定值"
RECORD_NOT_FOUND = "运维记录不存在：{id}"
FAULT_NOT_FOUND = "故障记录不存在：{id}"
ALREADY_REPAIRED = "该故障已登记修复"
NOTHING_TO_CHANGE = "没有需要修改的内容"
RATING_NOT_FOUND = "{quarter} 尚无运维考核结果，请先计算"
NO_ASSIGNMENTS = "{quarter} 没有任何运维单位负责的点位，未生成考核结果"

AUDIT_RECORD_CREATED = "新增运维记录：{mn} {kind}（{person}）"
AUDIT_RECORD_CHANGED = "修改运维记录 {id}：{fields}"
AUDIT_FAULT_CREATED = "登记设备故障：{mn} {summary}"
AUDIT_FAULT_REPAIRED = "登记故障修复：故障 {id}"
AUDIT_PART_CREATED = "登记备品备件：{mn} {part} × {quantity}（{action}）"
AUDIT_WINDOW_CREATED = "报备维护时段：{mn} {start} 至 {end}"
AUDIT_VIOLATION_CREATED = "登记运维单位违规：{agency}（{kind}）"
AUDIT_RATED = "计算 {quarter} 运维考核：{count} 家运维单位"
AUDIT_PUBLISHED = "公布 {quarter} 运维考核排名"

RATED = "{quarter} 运维考核完成：{count} 家运维单位。"
RANKING_HEADER = "名次  运维单位  得分  等级"
NO_RANKING = "{quarter} 尚未公布运维考核排名。"
VETO_NOTE = "一票否决：{reason}"

CLI_RATED_ROW = "{rank:>3}  {name}  {score:5.1f}  {grade}{veto}"
CLI_EVALUATED_ROW = "{name}  {score:5.1f}  {grade}  {colour}"
CLI_PUBLISHED = "已公布。"
CLI_UNPUBLISHED = "（尚未公布；加 --publish 公布）"
