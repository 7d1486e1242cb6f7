# ruff: noqa: E501  (Chinese texts are wide; splitting them mid-sentence hurts review)
"""Every Chinese text of the enforcement workflow (warnings, tasks, inspections, cases)."""

from __future__ import annotations

from dataclasses import dataclass

COLOUR_NAMES = {"green": "绿色", "yellow": "黄色", "red": "红色"}
COLOUR_RANK = {"green": 1, "yellow": 2, "red": 3}

WARNING_STATUS_NAMES = {
    "new": "新预警",
    "under_review": "研判中",
    "dismissed": "已排除",
    "escalated": "已转任务",
}
TASK_STATUS_NAMES = {
    "pending": "待派发",
    "dispatched": "已派发",
    "in_progress": "处理中",
    "completed": "已完成",
    "returned": "已退回",
    "cancelled": "已撤销",
}
TASK_SOURCE_NAMES = {
    "warning": "预警派发",
    "complaint": "投诉举报（12369）",
    "referral": "上级转办",
    "random": "双随机抽查",
}
TASK_ACTION_NAMES = {
    "create": "创建任务",
    "dispatch": "派发",
    "reassign": "改派",
    "start": "开始处理",
    "complete": "办结",
    "return": "退回",
    "cancel": "撤销",
}
CHECK_RESULT_NAMES = {"conform": "符合", "nonconform": "不符合", "na": "不适用"}
INSPECTION_STATUS_NAMES = {"draft": "填写中", "submitted": "已提交"}
CASE_STATUS_NAMES = {"open": "立案调查", "transferred": "已移送", "closed": "已结案"}
RECIPIENT_NAMES = {"police": "公安机关", "procuratorate": "检察机关"}
TRANSFER_KIND_NAMES = {"detention": "移送行政拘留", "criminal": "涉嫌犯罪案件移送"}


@dataclass(frozen=True)
class ChecklistItem:
    """One point of the on-site checklist: a short title and the seed's own wording."""

    no: int
    title: str
    text: str


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(1, "平台可疑数据现场核查", "针对自动监控平台数据可疑的涉水、涉气重点单位开展现场检查。"),
    ChecklistItem(
        2,
        "设备规范与计量认证",
        "检查现场端自动监控设备是否符合国家建设规范要求，包括使用的自动监控设备是否满足国家计量器具认证要求。",
    ),
    ChecklistItem(
        3, "采样代表性", "重点对排污口采样设备进行检查，确定采集的样品是否能够代表企业的排污状况。"
    ),
    ChecklistItem(
        4,
        "工艺生产与数据逻辑（物料衡算）",
        "现场询问了解企业工艺及生产情况，查看自动监控相关数据，根据物料衡算等经验判定数据是否符合逻辑。",
    ),
    ChecklistItem(5, "三方数据比对", "核对自动监控设备、数采仪及市监控中心平台三方数据是否一致。"),
    ChecklistItem(
        6, "参数设置与备案一致性", "查看参数设置及验收资料档案，调阅现场参数设置，看与备案材料是否一致。"
    ),
    ChecklistItem(
        7,
        "运维、故障与备品备件记录",
        "调阅运行维护记录，故障记录、备品备件更换记录等资料，判定是否存在问题。",
    ),
    ChecklistItem(
        8,
        "标气标液与手工比对",
        "采取标气标液测量、手工比对、便携式设备测量等方式，快速判定设备测量的准确性。",
    ),
    ChecklistItem(
        9,
        "负荷与治理设施启停测试",
        "采取改变生产负荷，启停治理设施等方式，观察自动监控数据变化情况，快速判定自动监控数据是否存在造假嫌疑。",
    ),
    ChecklistItem(
        10,
        "流量排放量与生产核对",
        "调阅企业流量及排放量等数据，与其生产状况和污染物产生量等进行核对，是否存在排污量异常，私设暗管，偷排、漏排等严重违法行为。",
    ),
)
"""The 10 inspection points of seed 000 (专项执法现场检查计划, 三（二）), wording kept."""

# warnings
WARNING_SUMMARY = "{period}，点位 {point}（{mn}）{colour}预警，评分 {score}，涉及规则：{rules}，线索 {n} 条"
WARNING_NOT_FOUND = "预警 {id} 不存在"
WARNING_ILLEGAL_TRANSITION = "预警当前状态为“{current}”，不能变更为“{target}”"
WARNING_CHANGED_SUMMARY = "预警 #{id}：{before} → {after}"
DISMISS_REASON_REQUIRED = "排除预警必须填写理由"
PATROL_HEADER = "平台巡查报告（截止 {cutoff}，上次巡查 {since}）"
PATROL_FIRST = "首次巡查"
PATROL_COUNTS = "新增预警 {n_new} 条：红色 {n_red} 条，黄色 {n_yellow} 条，绿色 {n_green} 条；新增线索的已有预警 {n_updated} 条。"
PATROL_LINE_NEW = "【新】{colour} #{id} {summary}"
PATROL_LINE_UPDATED = "【更新】{colour} #{id} {summary}"
PATROL_NONE = "本次巡查期间无新增可疑数据。"
PATROL_REPORT_NOT_FOUND = "巡查报告 {id} 不存在"

# tasks
TASK_NOT_FOUND = "任务 {id} 不存在"
TASK_ILLEGAL_TRANSITION = "任务当前状态为“{current}”，不能执行“{action}”"
TASK_TITLE_REQUIRED = "任务标题不能为空"
TASK_SOURCE_REF_REQUIRED = "{source}类任务必须填写来源编号（投诉编号、转办文号或抽查批次）"
TASK_WARNING_REQUIRED = "预警派发类任务必须指定预警"
TASK_ASSIGNEES_REQUIRED = "派发任务必须指定至少一名执法人员"
TASK_ASSIGNEE_NOT_OFFICER = "用户 {id} 不是在岗执法人员，不能接收任务"
TASK_DEADLINE_NAIVE = "办结期限必须带时区"
TASK_DEADLINE_PAST = "办结期限不能早于当前时间"
TASK_NOTE_REQUIRED = "{action}必须填写说明"
TASK_NOT_MEMBER = "只有任务承办组成员可以{action}"
TASK_FROM_WARNING_TITLE = "核查{colour}预警 #{id}：{point}"
TASK_CREATED_SUMMARY = "创建执法任务 #{id}（{source}）：{title}"
TASK_CHANGED_SUMMARY = "任务 #{id}：{action}（{from_status} → {to_status}）"

# inspections
INSPECTION_NOT_FOUND = "现场检查记录 {id} 不存在"
INSPECTION_SUBMITTED = "现场检查记录已提交签字，不能再修改"
INSPECTION_TARGET_REQUIRED = "现场检查必须关联任务或指定企业"
INSPECTION_ITEM_NO = "检查项编号必须为 1–10，收到 {no}"
INSPECTION_RESULT = "检查结果必须为 conform（符合）、nonconform（不符合）或 na（不适用），收到 {value}"
INSPECTION_INCOMPLETE = "以下检查项尚未填写结果：{items}"
INSPECTION_NONCONFORM_NOTES = "第 {no} 项判定为不符合，必须填写情况说明"
INSPECTION_STARTED_NOTE = "开始现场检查（检查记录 #{id}）"
INSPECTION_CREATED_SUMMARY = "新建现场检查记录 #{id}"
INSPECTION_UPDATED_SUMMARY = "填写现场检查记录 #{id} 的检查项 {items}"
INSPECTION_SUBMITTED_SUMMARY = "提交现场检查记录 #{id}（不符合 {n_bad} 项）"
ATTACHMENT_TOO_LARGE = "附件大小 {size} 字节超过上限 {limit} 字节"
ATTACHMENT_EMPTY = "附件为空"
ATTACHMENT_TYPE = "不支持的附件类型 {content_type}（允许：{allowed}）"
ATTACHMENT_MISMATCH = "附件内容与声明的类型 {content_type} 不符"
ATTACHMENT_NOT_FOUND = "附件 {id} 不存在"
ATTACHMENT_SUMMARY = "上传附件 {filename}（SHA-256 {sha256}）到现场检查记录 #{id}"

# cases
CASE_NOT_FOUND = "案件 {id} 不存在"
CASE_TITLE_REQUIRED = "案件名称不能为空"
CASE_NOT_OPEN = "案件当前状态为“{status}”，不能再修改"
CASE_CREATED_SUMMARY = "立案 {number}：{title}"
CASE_VIEWED_SUMMARY = "查阅案件 {number}"
CASE_LINKED_SUMMARY = "案件 {number} 关联{what} {ids}"
EXTRACT_SUMMARY = "案件 {number} 摘录 {mn} {start}–{end} 的{kind} {rows} 行（SHA-256 {sha256}）"
EXTRACT_TOO_MANY = "摘录 {rows} 行超过上限 {limit} 行，请缩短时间窗口或指定监测因子"
EXTRACT_WINDOW = "摘录结束时间必须晚于开始时间"
EXTRACT_NOT_FOUND = "数据摘录 {id} 不存在"
PENALTY_AMOUNT = "罚款金额（万元）必须大于 0"
PENALTY_BASIS_REQUIRED = "行政处罚必须填写法律依据"
PENALTY_SUMMARY = "案件 {number} 行政处罚 {amount} 万元（{basis}）"
TRANSFER_FIELD_REQUIRED = "移送材料缺少：{field}"
TRANSFER_ITEMS_REQUIRED = "涉嫌犯罪案件移送必须附涉案物品清单"
TRANSFER_SUMMARY = "案件 {number} {kind}至{org}（移送书 {letter_no}）"
TRANSFER_NOT_FOUND = "移送记录 {id} 不存在"
TRANSFER_REPLY_SUMMARY = "案件 {number} 收到{org}回复：{reply}"
EVIDENCE_SUMMARY = "导出案件 {number} 证据包 PDF（SHA-256 {sha256}）"
TRANSFER_FIELD_NAMES = {
    "recipient_org": "接收机关",
    "letter_no": "移送书文号",
    "letter_text": "涉嫌犯罪案件移送书",
    "investigation_report": "调查报告",
    "site_record": "现场勘查笔录",
}

# evidence pack (PDF)
PDF_TITLE = "自动监控数据弄虚作假案件证据包"
PDF_CASE = "案件编号：{number}    案件名称：{title}"
PDF_ENTERPRISE = "涉案单位：{name}"
PDF_STATUS = "案件状态：{status}    生成时间：{at}    生成人：{by}"
PDF_FACTS = "一、违法事实"
PDF_WARNINGS = "二、预警与筛查线索"
PDF_EXTRACTS = "三、监测数据摘录（原始数据哈希）"
PDF_EXTRACT_HEAD = "摘录 #{id}：{mn} {kind} {start} 至 {end}，{rows} 行"
PDF_EXTRACT_TRUNCATED = "（PDF 中显示前 {shown} 行，完整摘录见案件系统，哈希覆盖全部 {rows} 行）"
PDF_INSPECTIONS = "四、现场检查记录（10 项检查）"
PDF_INSPECTION_HEAD = "检查记录 #{id}：检查时间 {at}，检查人员 {who}，状态 {status}"
PDF_ATTACHMENTS = "五、附件清单"
PDF_PENALTIES = "六、行政处罚"
PDF_TRANSFERS = "七、移送情况（行刑衔接）"
PDF_NONE = "无"
PDF_HASH_NOTE = "本证据包 PDF 文件本身的 SHA-256 记录于系统审计日志及证据包登记表中。"
PDF_COLS_FINDING = ("规则", "时段", "等级", "说明")
PDF_COLS_EXTRACT = ("时间（北京时间）", "因子", "来源", "数值", "标记")
SOURCE_NAMES = {"platform": "平台", "logger": "数采仪", "analyser": "分析仪"}
PDF_COLS_CHECK = ("序号", "检查内容", "结果", "情况说明")
PDF_COLS_ATTACH = ("文件名", "类型", "大小（字节）", "SHA-256")
PDF_COLS_PENALTY = ("金额（万元）", "法律依据", "决定书文号", "决定日期")
PDF_TRANSFER_LINES = (
    ("接收机关", "recipient_org"),
    ("移送类型", "kind"),
    ("移送书文号", "letter_no"),
    ("涉嫌犯罪案件移送书", "letter_text"),
    ("调查报告", "investigation_report"),
    ("现场勘查笔录", "site_record"),
    ("涉案物品清单", "items"),
    ("抄送检察机关", "cc"),
    ("移送时间", "at"),
)
YES = "是"
NO = "否"

# CLI
CLI_SYNCED = "预警同步完成：新建 {created} 条，合并 {merged} 条，未变化 {unchanged} 条"
CLI_NO_WARNINGS = "没有符合条件的预警"
CLI_NO_OUTCOMES = "尚无登记处置结果的预警"
CLI_ALL_POINTS = "全部点位"
CLI_PDF_WRITTEN = "证据包已写入 {path}（SHA-256 {sha256}，{size} 字节）"

# web pages (enforcement.pages)
NAV_WARNINGS = "预警"
NAV_TASKS = "任务"
NAV_CASES = "案件"
TITLE_WARNINGS = "预警处置"
TITLE_WARNING = "预警 #{id}"
TITLE_PATROL = "平台巡查报告"
TITLE_TASKS = "执法任务"
TITLE_TASK = "任务 #{id}"
TITLE_INSPECTION = "现场检查记录 #{id}"
TITLE_CASES = "案件管理"
TITLE_CASE = "案件 {number}"
FLASH_REVIEWED = "预警 #{id} 已开始审核"
FLASH_DISMISSED = "预警 #{id} 已排除"
FLASH_ESCALATED = "预警 #{id} 已转为任务 #{task_id}"
FLASH_PATROL = "已生成巡查报告：新增预警 {n} 条"
FLASH_TASK_CHANGED = "任务 #{id}：{action}完成"
FLASH_INSPECTION_OPENED = "已新建现场检查记录 #{id}"
FLASH_INSPECTION_SAVED = "检查记录已保存"
FLASH_INSPECTION_FILES = "，已上传 {n} 个照片或文件"
FLASH_INSPECTION_SUBMITTED = "检查记录已提交签字"
FLASH_ATTACHMENT = "附件 {filename} 已上传（SHA-256 {sha256}）"
FLASH_ATTACHMENT_MISSING = "请选择要上传的文件"
FLASH_CASE_CREATED = "已立案 {number}"
FLASH_CASE_SAVED = "案件已保存"
FLASH_EXTRACTS = "已生成数据摘录 {n} 份"
FLASH_TRANSFERRED = "案件已移送 {org}"
BAD_DATETIME = "时间格式应为 YYYY-MM-DDTHH:MM（北京时间）：{value}"
BAD_INTEGER = "应为整数：{value}"

PENALTY_LEDGER_NOTE = "案件 {number} 的行政处罚"

# outcomes of warnings (查实 / 未查实 / 排除), rule reliability, rule adjustments (enforcement.outcomes)
OUTCOME_RESULT_NAMES = {"confirmed": "查实", "refuted": "未查实", "dismissed": "排除"}
DISMISS_CATEGORY_NAMES = {
    "false_alarm": "误报/数据正常",
    "maintenance": "运维校准",
    "equipment_fault": "设备故障",
    "production_change": "生产工况变化",
    "weather": "降雨/天气",
    "duplicate": "重复预警",
    "other": "其他",
}
OUTCOME_STEP_NAMES = {"triage": "预警研判", "inspection": "现场检查"}
DISMISS_CATEGORY_REQUIRED = "排除预警必须选择排除原因类别（{choices}）"
DISMISS_CATEGORY_UNKNOWN = "未知的排除原因类别：{value}（可选：{choices}）"
OUTCOME_RESULT_UNKNOWN = "检查结论只能是 confirmed（查实）或 refuted（未查实），收到：{value}"
OUTCOME_NEEDS_TASK = "预警 #{id} 当前状态为“{status}”：只有已转为执法任务的预警才能登记现场检查结论"
OUTCOME_REASON_REQUIRED = "登记检查结论必须填写情况说明"
OUTCOME_CATEGORY_ONLY_REFUTED = "只有“未查实”的结论可以选择原因类别"
OUTCOME_INSPECTION_MISMATCH = "现场检查记录 #{inspection} 不属于预警 #{id} 的执法任务"
OUTCOME_SUMMARY = "预警 #{id} 检查结论：{result}（{reason}）"
OUTCOME_CHANGED_SUMMARY = "预警 #{id} 检查结论更正：{before} → {after}（{reason}）"
OUTCOME_DISMISSED_TEXT = "{category}：{reason}"
RELIABILITY_TEXT = "查实 {confirmed} 次 / 排除 {not_confirmed} 次，可靠度 {reliability}"
RELIABILITY_AT_POINT = "该规则在本点位：" + RELIABILITY_TEXT
RELIABILITY_NONE = "该规则在本点位尚无处置结果"
NAV_RELIABILITY = "规则可靠度"
NAV_ADJUSTMENTS = "规则调整"
TITLE_RELIABILITY = "规则可靠度（按处置结果）"
TITLE_ADJUSTMENTS = "规则调整审核"
FLASH_OUTCOME = "预警 #{id} 已登记检查结论：{result}"
FLASH_ADJUSTMENT_PROPOSED = "已提出规则调整 #{id}，等待审核"
FLASH_ADJUSTMENT_REVIEWED = "规则调整 #{id}：{status}"
BAD_JSON_PARAMS = "参数不是有效的 JSON：{error}"

WARNING_CORROBORATED_BASIS = "{source}与本预警的筛查发现时段吻合，预警升一级"
WARNING_RAISED_SUMMARY = "预警 #{id} 由{before}升为{after}：{source}印证"
# Enterprise responses to warnings
RESPONSE_KIND_NAMES = {"explanation": "情况说明", "rectification": "整改材料"}
RESPONSE_KIND = "请选择答复类型：情况说明或整改材料"
RESPONSE_TEXT_REQUIRED = "请填写说明内容"
RESPONSE_TEXT_TOO_LONG = "说明内容不能超过 {limit} 字"
RESPONSE_SUMMARY = "企业就预警 #{id} 提交{kind}（附件：{file}）"
RESPONSE_NOT_FOUND = "答复材料 {id} 不存在"
RESPONSE_HASH_MISMATCH = "答复材料 {id} 的文件内容与登记的 SHA-256 不符"
FLASH_RESPONSE = "已提交{kind}，监控中心将在预警页面看到"
TITLE_OWN_WARNINGS = "预警答复"
TITLE_OWN_WARNING = "预警 #{id} 答复"
NAV_OWN_WARNINGS = "预警答复"
PDF_PHOTO = "现场照片：{name}{item}"
ATTACHMENT_KIND_NAMES = {
    "image/jpeg": "照片",
    "image/png": "照片",
    "application/pdf": "PDF 文档",
    "video/mp4": "视频",
    "text/plain": "文本",
    "text/csv": "CSV 数据表",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
}
