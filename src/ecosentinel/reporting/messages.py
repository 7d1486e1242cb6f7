"""Chinese strings of public reporting (举报): names, public texts, limits, errors, audit summaries."""

from __future__ import annotations

CHANNEL_ZH = {"web": "网上举报", "hotline_12369": "12369环保举报热线", "hotline_12345": "12345政务服务热线"}
CATEGORY_ZH = {
    "falsification": "篡改、伪造自动监测数据",
    "illegal_discharge": "偷排、超标排放等违法排污",
    "other": "其他环境违法行为",
}
STATUS_ZH = {
    "received": "已受理，待研判",
    "tasked": "已转执法人员核查",
    "merged": "已合并办理",
    "closed": "已办结",
}
OUTCOME_ZH = {
    "substantiated": "经核查属实，已依法处理",
    "not_substantiated": "经核查未发现所举报问题",
    "out_of_scope": "不属于本部门职责，已告知或转办",
    "insufficient": "举报信息不足，无法核查",
}

NAV_REPORTS = "举报受理"
NAV_CREDIT = "联合惩戒"
PUBLIC_LINK = "我要举报"
PUBLIC_LINK_TEXT = "举报篡改、伪造自动监测数据或偷排超排，无需注册，凭查询码查看办理结果"
TRACK_LINK = "举报办理查询"
TRACK_LINK_TEXT = "输入查询码，查看举报的办理进度和答复"

PUBLIC_RECEIVED = "举报已受理"
PUBLIC_TASKED = "已转交执法人员现场核查"
PUBLIC_MERGED = "与同一问题的其他举报合并办理（查询码 {code}）"
PUBLIC_REPLY = "答复：{reply}"
PUBLIC_CLOSED = "办结：{outcome}。{reply}"

TOO_MANY_REPORTS = (
    "提交过于频繁：同一网络地址 {minutes} 分钟内最多提交 {limit} 件举报，"
    + "请 {wait} 分钟后再试。紧急情况请拨打12369环保举报热线。"
)
TOO_MANY_REPORTS_DAY = (
    "今日提交已达上限：同一网络地址每天最多提交 {limit} 件举报，请明天再试或拨打12369环保举报热线。"
)
TOO_MANY_LOOKUPS = "查询过于频繁，请 {wait} 分钟后再试"
CODE_NOT_FOUND = "未找到查询码为“{code}”的举报，请核对后重新输入"
CODE_REQUIRED = "请输入查询码"

SUBJECT_REQUIRED = "请填写被举报的企业或排放口"
SUBJECT_TOO_LONG = "企业或排放口名称过长（最多 200 字）"
DESCRIPTION_REQUIRED = "请描述看到的情况（至少 10 个字）"
DESCRIPTION_TOO_LONG = "情况描述过长（最多 {limit} 字）"
OBSERVED_REQUIRED = "请填写发现时间"
OBSERVED_BAD = "发现时间“{value}”无效"
OBSERVED_FUTURE = "发现时间不能晚于现在"
CATEGORY_UNKNOWN = "未知的举报类型“{value}”，可选：{allowed}"
PHONE_BAD = "联系电话“{value}”无效（请填写手机号或固定电话）"
NAME_TOO_LONG = "联系人姓名过长（最多 50 字）"
TOO_MANY_FILES = "最多上传 {limit} 个文件"
FILE_EMPTY = "文件“{name}”是空的"
FILE_TOO_LARGE = "文件“{name}”过大（{size} 字节），单个文件不能超过 {limit_mb} MB"
FILES_TOO_LARGE = "文件合计过大，总大小不能超过 {limit_mb} MB"
FILE_TYPE = (
    "文件“{name}”不是可接受的照片或视频（仅接受 JPEG、PNG、WebP 照片和 MP4、MOV 视频，按文件内容识别）"
)
FILE_EXTENSION = "文件“{name}”的扩展名与内容不符（内容为 {kind}）"

CHANNEL_UNKNOWN = "未知的受理渠道“{value}”，可选：hotline_12369、hotline_12345"
TICKET_REQUIRED = "请填写热线工单号"
REPORT_NOT_FOUND = "举报 {id} 不存在"
REPORT_FINISHED = "举报 {code} 已{status}，不能再处理"
MERGE_SELF = "不能与自身合并"
MERGE_TARGET = "合并目标 {code} 已{status}，请选择仍在办理的举报"
WARNING_OTHER_ENTERPRISE = "预警 #{id} 不属于被举报企业"
WARNING_ALREADY_LINKED = "举报已关联预警 #{id}"
ENTERPRISE_REQUIRED = "请先确认被举报企业（在登记信息中选择企业）"
OUTCOME_UNKNOWN = "未知的办结结果“{value}”，可选：{allowed}"
REPLY_REQUIRED = "请填写向举报人公开的答复"
LEDGER_CATEGORY_UNKNOWN = "未知的问题类别“{value}”"

AUDIT_RECEIVED = "收到网上举报 {code}：{subject}"
AUDIT_HOTLINE = "登记热线举报 {code}（{channel}工单 {ticket}）：{subject}"
AUDIT_VIEW = "查看举报 {code}"
AUDIT_IDENTITY = "查看举报 {code} 的举报人联系方式"
AUDIT_MERGED = "举报 {code} 合并至 {target}"
AUDIT_LINKED = "举报 {code} 关联预警 #{warning}（吻合发现 {n} 条）"
AUDIT_TASKED = "举报 {code} 转为执法任务 #{task}"
AUDIT_REPLIED = "举报 {code} 公开答复"
AUDIT_CLOSED = "举报 {code} 办结：{outcome}"
AUDIT_ENTERPRISE = "举报 {code} 确认被举报企业为 {name}"

CORROBORATION_SOURCE = "公众举报 {code}"
TASK_TITLE = "举报核查：{subject}"
TASK_DESCRIPTION = "{channel}（{ref}）：{category}。发现时间 {observed}。举报内容：{description}"
TASK_LINKED = "关联预警：{ids}"
LEDGER_DESCRIPTION = "投诉举报 {ref} 经核查属实：{description}"

MONTHLY_SHEET = "投诉举报办理情况"
MONTHLY_TITLE = "{year}年{month}月 投诉举报（自动监控）办理情况"
MONTHLY_HEADERS = ("受理渠道", "受理件数", "转执法任务", "已办结", "其中查实", "合并办理", "关联预警")
MONTHLY_TOTAL = "合计"
