"""User-facing messages of interoperation (Simplified Chinese)."""

from __future__ import annotations

TARGET_NOT_FOUND = "转发目标不存在：{ref}"
TARGET_EXISTS = "转发目标名称已存在：{name}"
BAD_PORT = "端口应在 1–65535 之间：{port}"
BAD_CNS = "转发的命令编码应为逗号分隔的四位数字（如 2051,2061）：{value}"
BAD_HOST = "上级平台地址不能为空"
MAPPING_NOT_FOUND = "转发目标 {target} 没有点位 {mn} 的编码对照"
BAD_UPSTREAM = "上级平台 MN 与密码不能为空，且不能含 ; , = & 等保留字符"

COMMAND_UNKNOWN = "未知的反控命令：{key}（可用：{keys}）"
COMMAND_PARAM_MISSING = "反控命令“{name}”须填写参数：{param}"
COMMAND_PARAM_UNKNOWN = "反控命令“{name}”不接受参数：{param}"
COMMAND_PARAM_BAD = "参数 {param} 的值不正确：{value}"
COMMAND_NOT_FOUND = "反控命令不存在：{id}"
POINT_UNKNOWN = "监测点位不存在：{mn}"

AUDIT_TARGET_ADDED = "新增上级平台转发目标：{name}（{host}:{port}）"
AUDIT_TARGET_CHANGED = "修改上级平台转发目标：{name}"
AUDIT_TARGET_REMOVED = "删除上级平台转发目标：{name}"
AUDIT_MAPPING_SET = "设置转发编码对照：{target} {mn} → {upstream_mn}"
AUDIT_MAPPING_REMOVED = "删除转发编码对照：{target} {mn}"
AUDIT_COMMAND = "下发反控命令：{mn} {name}（CN={cn}，QN={qn}）"
AUDIT_BACKFILL = "请求补传历史数据：{mn} {kind} {begin}–{end}（缺 {missing} 条）"

COMMAND_STATUS_ZH = {
    "pending": "待发送",
    "sent": "已发送，等待应答",
    "accepted": "现场机已接受，执行中",
    "rejected": "现场机拒绝",
    "succeeded": "执行成功",
    "failed": "执行失败",
    "timeout": "应答超时",
    "expired": "现场机未连接，已过期",
}
QN_RTN_ZH = {
    1: "准备执行请求",
    2: "请求被拒绝",
    3: "访问密码（PW）错误",
    4: "设备编号（MN）错误",
    5: "系统编码（ST）错误",
    6: "应答标志（Flag）错误",
    7: "请求编码（QN）错误",
    8: "命令编码（CN）错误",
    9: "CRC 校验错误",
    100: "未知错误",
}
EXE_RTN_ZH = {
    1: "执行成功",
    2: "执行失败，原因不明",
    3: "命令请求条件错误",
    4: "通讯超时",
    5: "系统繁忙不能执行",
    6: "系统故障",
    100: "没有数据",
}
ALARM_MARKED_EXCEEDANCES = (
    "标记异常：近 {days} 天 {code} 有 {marked} 个超标小时落在已通过的数据标记内并被剔除，"
    "标记外仅 {unmarked} 个超标小时（标记恰好覆盖超标时段，且标记期间数据仍标为“正常”，须核查）"
)
WINDOW_IMPORTED_REASON = "报备维护时段 {id}（未填写原因）"
WINDOW_SUPERSEDED_NOTE = "维护时段报备已由数据标记取代，已转为待审核的数据标记"
AUDIT_WINDOW_IMPORTED = "待审核的维护时段 {window} 转为数据标记 {mark}（{mn}）"
CLI_WINDOWS_IMPORTED = "已将 {count} 个待审核的维护时段转为数据标记"
PARAM_ZH = {
    "SystemTime": "现场机时间",
    "RtdInterval": "实时数据间隔",
    "MinInterval": "分钟数据间隔",
    "Value": "参数值",
    "BeginTime": "开始时间",
    "EndTime": "结束时间",
    "DataTime": "数据时间",
    "RestartTime": "重启时间",
}
"""Protocol parameters of remote commands and their answers as the station page names them."""
FIELD_ZH = {
    "Rtd": "实时值",
    "Avg": "平均值",
    "Min": "最小值",
    "Max": "最大值",
    "Cou": "累计值",
    "Flag": "数据标记",
    "Info": "信息",
    "SampleTime": "采样时间",
}
"""Fields of ``<code>-<field>`` upload items."""
KIND_ZH = {"minute": "分钟数据", "hour": "小时数据", "day": "日数据", "rtd": "实时数据"}

CLI_TARGET_ADDED = "已新增转发目标 {name}（编号 {id}）"
CLI_TARGET_REMOVED = "已删除转发目标 {name}"
CLI_MAPPING_SET = "已设置 {target} 的编码对照：{mn} → {upstream_mn}"
CLI_COMMAND_QUEUED = "已排队反控命令 {id}（QN={qn}），平台运行时发送到在线的现场机"
CLI_NO_TARGETS = "没有转发目标"
