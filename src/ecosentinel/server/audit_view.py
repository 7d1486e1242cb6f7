"""The audit trail as a reader sees it: actions, object types, and the entries' details in Chinese.

The trail stores codes (``create``, ``ledger_problem``, ``{"from": "pending"}``) so it stays searchable and
its hashes stable; the page names them here. An unknown code (from a newer area) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from ecosentinel.auth.roles import ROLE_NAMES_ZH
from ecosentinel.detection.catalogue import rule_title
from ecosentinel.detection.messages import FACTOR_NAMES, factor_name
from ecosentinel.enforcement import messages as enforcement_messages
from ecosentinel.enforcement.credit import messages as credit_messages
from ecosentinel.interop import messages as interop_messages
from ecosentinel.interop.marks import MARK_KINDS, MARK_STATUS_ZH
from ecosentinel.protocol.hj212.control import CONTROL_COMMANDS
from ecosentinel.registry.tabular import SHEETS
from ecosentinel.reporting import messages as reporting_messages

ACTION_NAMES: dict[str, str] = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "view": "查看",
    "export": "导出",
    "import": "导入",
    "extract": "提取数据",
    "link": "关联证据",
    "lockout": "登录锁定",
    "login": "登录",
    "logout": "退出登录",
    "outcome": "登记处置结果",
    "penalty": "行政处罚",
    "propose": "提出",
    "approve": "批准",
    "reject": "驳回",
    "revoke": "撤销",
    "publish": "发布",
    "rectify": "完成整改",
    "reply": "登记回复",
    "request": "发起",
    "submit": "提交",
    "transfer": "移送",
    "upload": "上传",
    "verify": "校验",
    "dispatch": "派发",
    "reassign": "改派",
    "start": "开始处理",
    "complete": "办结",
    "return": "退回",
    "cancel": "撤销",
    "escalated": "转为任务",
    "escalate": "转为任务",
    "dismissed": "排除",
    "dismiss": "排除",
    "under_review": "开始研判",
    "review": "研判",
    "compute": "计算",
    "rate": "考核评分",
    "evaluate": "评价",
    "run": "运行",
    "sync": "同步",
    "draw": "抽取",
    "respond": "企业答复",
    "activate": "启用",
    "deactivate": "停用",
    "reset_password": "重置密码",
    "password": "修改密码",
    "anchor": "锚定",
    "view_identity": "查看举报人身份",
    "merge": "合并",
    "task": "转为核查任务",
    "close": "办结",
    "withdraw": "撤下",
    "interop.backfill.request": "请求补传数据",
    "interop.command.issue": "下发反控命令",
    "interop.command.result": "反控命令结果",
    "interop.target.add": "新增转发目标",
    "interop.target.change": "修改转发目标",
    "interop.target.remove": "删除转发目标",
    "interop.mapping.set": "设置转发编码对照",
    "interop.mapping.remove": "删除转发编码对照",
    "interop.mark.create": "填报数据标记",
    "interop.mark.review": "审核数据标记",
}

ENTITY_NAMES: dict[str, str] = {
    "attachment": "附件",
    "case": "案件",
    "comparison_test": "比对监测",
    "draw_selection": "抽查对象",
    "finding": "筛查线索",
    "screening_finding": "筛查线索",
    "screening_run": "筛查批次",
    "inspection": "现场检查",
    "inspection_plan": "检查计划",
    "interference": "干预记录",
    "ledger_action": "台账处理措施",
    "ledger_problem": "台账问题",
    "maintenance_window": "运维时段",
    "meter_reading": "电表读数",
    "parameter_upload": "仪器参数上传",
    "patrol_report": "巡查报告",
    "positive_list_entry": "正面清单",
    "random_draw": "双随机抽取",
    "registry": "登记信息",
    "report": "报表",
    "rule_adjustment": "规则调整",
    "standard_check": "标准样核查",
    "station_event": "站房事件",
    "task": "任务",
    "user": "用户账号",
    "warning": "预警",
    "warning_response": "企业答复",
    "enterprise_evaluation": "企业环境信用评价",
    "om_assessment": "运维考核",
    "enterprise": "企业",
    "point": "监测点位",
    "device": "设备",
    "permit": "排污许可",
    "penalty": "行政处罚",
    "transfer": "移送",
    "credit_record": "失信记录",
    "public_report": "举报",
    "bf_request": "补传请求",
    "rc_command": "反控命令",
    "fwd_target": "转发目标",
    "fwd_mapping": "转发编码对照",
    "dm_mark": "数据标记",
}

KEY_NAMES: dict[str, str] = {
    "actions": "处理措施",
    "algorithm": "抽取算法",
    "assignees": "承办人",
    "category": "问题类别",
    "colour": "等级",
    "conclusion": "检查结论",
    "day": "日期",
    "deadline": "期限",
    "decided_on": "决定日期",
    "decision_no": "决定书文号",
    "enterprise_id": "企业编号",
    "enterprises": "企业编号",
    "findings": "线索",
    "fine_wan": "罚款（万元）",
    "from": "原状态",
    "to": "新状态",
    "grade": "等级",
    "inspected_on": "检查日期",
    "inspections": "检查记录",
    "items": "检查项",
    "kind": "类型",
    "no": "序号",
    "note": "备注",
    "notes": "说明",
    "result": "结果",
    "pack_id": "证据包编号",
    "point_id": "点位编号",
    "problems_found": "发现问题数",
    "recipient": "移送对象",
    "result_hash": "结果哈希",
    "snapshot_hash": "名录快照哈希",
    "rows": "条数",
    "score": "得分",
    "seed": "随机种子",
    "sha256": "SHA-256",
    "size": "大小（字节）",
    "source": "来源",
    "source_ref": "来源文号",
    "task_id": "任务编号",
    "transfer_id": "移送编号",
    "veto": "一票否决",
    "warnings": "预警",
    "username": "用户名",
    "role": "角色",
    "agency_id": "运维单位编号",
    "start": "开始",
    "end": "结束",
    "mn": "点位MN",
    "rule": "规则",
    "rules": "规则",
    "reason": "理由",
    "status": "状态",
    "title": "名称",
    "period": "期间",
    "quarter": "季度",
    "count": "数量",
    "ip": "来源IP",
    "filename": "文件名",
    "content_type": "文件类型",
    "item_no": "检查项",
    "amount_wan": "罚款（万元）",
    "legal_basis": "法律依据",
    "letter_no": "文号",
    "factors": "因子",
    "points": "点位",
    "mode": "方式",
    "params": "参数",
    "cap_yellow": "最高黄色",
    "outcome": "处置结果",
    "explanation": "说明",
    "with_passwords": "含数采仪密码",
    "format": "格式",
    "numbers": "记录编号",
    "number": "记录编号",
    "penalty_id": "处罚编号",
    "case_id": "案件编号",
    "severity": "失信程度",
    "withdrawn_on": "撤下日期",
    "channel": "受理渠道",
    "files": "附件",
    "contact_given": "留有联系方式",
    "ticket": "热线工单号",
    "into": "并入举报",
    "warning_id": "预警编号",
    "reply": "答复",
    "ledger_problem_id": "台账问题编号",
    "command": "命令",
    "cn": "命令编码",
    "qn": "请求编号",
    "qn_rtn": "请求应答",
    "exe_rtn": "执行结果",
    "host": "地址",
    "port": "端口",
    "cns": "转发的命令编码",
    "enabled": "启用",
    "only_mapped": "仅转发已对照的点位",
    "before": "修改前",
    "after": "修改后",
    "target": "转发目标",
    "upstream_mn": "上级平台MN",
    "factor": "因子",
    "attachment_sha256": "附件哈希",
    "missing": "缺失条数",
    "begin": "开始",
    "name": "名称",
    "PolId": "因子",
    "InfoId": "信息项",
    **interop_messages.PARAM_ZH,
}

VALUE_NAMES: dict[str, str] = {
    # the newer areas' codes first: an older area's name for the same code wins
    "csv": "CSV",
    "json": "JSON",
    "xlsx": "Excel",
    **credit_messages.SEVERITY_ZH,
    **reporting_messages.CHANNEL_ZH,
    **reporting_messages.CATEGORY_ZH,
    **reporting_messages.OUTCOME_ZH,
    **reporting_messages.STATUS_ZH,
    **credit_messages.STATUS_ZH,
    **MARK_KINDS,
    **MARK_STATUS_ZH,
    **interop_messages.COMMAND_STATUS_ZH,
    **{key: command.name_zh for key, command in CONTROL_COMMANDS.items()},
    **enforcement_messages.COLOUR_NAMES,
    **enforcement_messages.WARNING_STATUS_NAMES,
    **enforcement_messages.TASK_STATUS_NAMES,
    **enforcement_messages.CHECK_RESULT_NAMES,
    **enforcement_messages.CASE_STATUS_NAMES,
    **enforcement_messages.RECIPIENT_NAMES,
    **enforcement_messages.TRANSFER_KIND_NAMES,
    **enforcement_messages.INSPECTION_STATUS_NAMES,
    "warning": "预警派发",
    "complaint": "投诉举报",
    "referral": "上级转办",
    "random": "双随机抽查",
    "water": "水",
    "air": "大气",
    "solid_waste": "固危废",
    "permit": "排污许可",
    "construction": "建设项目",
    "protected_area": "自然保护地",
    "monitoring": "自动监控",
    "other": "其他",
    "department": "部门移交",
    "big_data": "大数据平台推动",
    "routine": "日常排查",
    "criticism": "批评教育",
    "interview": "约谈并收承诺书",
    "order": "书面责令改正",
    "penalty": "行政处罚",
    "closure": "依法申请关停",
    **{role.value: name for role, name in ROLE_NAMES_ZH.items()},
}


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


def entity_name(entity: str) -> str:
    return ENTITY_NAMES.get(entity, entity)


SHEET_NAMES: dict[str, str] = {sheet.kind: sheet.title for sheet in SHEETS}
"""Registry sheet kinds (counts of an import or export) by their Chinese sheet names."""


def _key(key: str) -> str:
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if key in SHEET_NAMES:
        return SHEET_NAMES[key]
    if key in FACTOR_NAMES:
        return FACTOR_NAMES[key]
    if key.isdigit():
        return f"第 {key} 项"
    return key


def _value(key: str, value: Any) -> str:
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        if key in ("rule", "rules"):
            return "、".join(rule_title(c) for c in value.split(",") if c)
        if value in FACTOR_NAMES:
            return factor_name(value)
        return VALUE_NAMES.get(value, value)
    if isinstance(value, dict):
        return "；".join(f"{_key(str(k))}：{_value(str(k), v)}" for k, v in value.items())
    if isinstance(value, list):
        return (
            "、".join(f"（{_value(key, v)}）" if isinstance(v, dict) else _value(key, v) for v in value)
            or "无"
        )
    return str(value)


def describe(detail: str | None) -> list[tuple[str, str]]:
    """An entry's stored detail (JSON) as (Chinese label, readable value) rows."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("明细", detail)]
    if not isinstance(data, dict):
        return [("明细", _value("", data))]
    return [(_key(str(k)), _value(str(k), v)) for k, v in data.items()]
