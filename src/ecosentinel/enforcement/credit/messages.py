"""Chinese strings of joint punishment (联合惩戒): names, rules, errors, audit summaries."""

from __future__ import annotations

SUBJECT_KIND_ZH = {"enterprise": "排污单位", "om_agency": "运维单位", "person": "责任人员"}
SUBJECT_CATEGORY_ZH = {"enterprise": "法人及非法人组织", "om_agency": "法人及非法人组织", "person": "自然人"}
IDENTIFIER_TYPE_ZH = {"credit_code": "统一社会信用代码", "id_card": "居民身份证"}
SEVERITY_ZH = {"general": "一般失信行为", "serious": "严重失信行为"}
STATUS_ZH = {
    "pending": "待公示",
    "published": "公示中",
    "withdrawn": "已撤下（信用修复）",
    "expired": "公示期满",
}

OFFENCE_DEFAULT = "篡改、伪造自动监测数据或者干扰自动监测设施"
AUTHORITY_DEFAULT = "生态环境局"

RULE_GENERAL = (
    "一般失信行为：行政处罚信息自处罚决定之日起公示3年，期满自动撤下；最短公示期3个月，"
    "期满且整改完成并在问题台账登记的，可提前撤下（信用修复）。"
)
RULE_SERIOUS = (
    "严重失信行为（案件已移送公安或检察机关）：行政处罚信息自处罚决定之日起公示3年，期满自动撤下；"
    "最短公示期1年，期满且整改完成并在问题台账登记的，可提前撤下（信用修复）。"
)

NAV_CREDIT = "联合惩戒"
PUBLIC_TITLE = "联合惩戒失信信息公示"
PUBLIC_DESCRIPTION = "因篡改、伪造自动监测数据受到行政处罚的单位和责任人员，公示期内向社会公开"

PENALTY_NOT_FOUND = "处罚记录 {id} 不存在"
RECORD_NOT_FOUND = "失信记录 {id} 不存在"
PENALTY_UNDECIDED = "处罚记录 {id} 尚未登记决定书文号和决定日期，不能生成失信记录"
PENALTY_NO_ENTERPRISE = "处罚所属案件未关联企业，不能生成排污单位的失信记录"
AGENCY_NOT_FOUND = "运维单位 {id} 不存在"
PERSON_NAME_REQUIRED = "请填写责任人员姓名"
ID_NUMBER_INVALID = "身份证号码“{value}”无效（应为18位，末位校验码正确）"
CREDIT_CODE_INVALID = "统一社会信用代码“{value}”无效（应为18位数字或大写字母）"
AUTHORITY_CODE_INVALID = "处罚机关统一社会信用代码“{value}”无效（应为18位数字或大写字母）"
FACTS_REQUIRED = "请填写违法事实"
AUTHORITY_REQUIRED = "请填写处罚机关"
SEVERITY_UNKNOWN = "未知的失信程度“{value}”，可选：general（一般失信行为）、serious（严重失信行为）"
DUPLICATE_RECORD = "处罚 {penalty} 已有{kind}“{name}”的失信记录 {number}"
NO_SUBJECTS = "请至少选择一个失信主体（排污单位、运维单位或责任人员）"
WITHDRAW_REASON_REQUIRED = "请填写撤下原因（整改完成情况）"
WITHDRAW_TOO_EARLY = "最短公示期至 {date} 届满，此前不能撤下（按记录的公示规则：{rule}）"
WITHDRAW_NOT_RECTIFIED = "该案件在问题台账中尚无“完成整改”的登记，不能以整改为由撤下"
ALREADY_WITHDRAWN = "失信记录 {number} 已于 {date} 撤下"
EXPORT_FORMAT = "未知的导出格式“{value}”，可选：xlsx、csv、json"
BAD_PERIOD = "期间“{value}”无效，请用 2025、2025-03 或 2025Q1"

CREATED_SUMMARY = "生成失信记录 {number}：{kind}“{name}”（{decision_no}）"
WITHDRAWN_SUMMARY = "撤下失信记录 {number}：{reason}"
EXPORTED_SUMMARY = "导出联合惩戒失信记录（{period}，{fmt}，{n} 条）"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "记录编号"),
    ("subject_category", "行政相对人类别"),
    ("subject_role", "主体角色"),
    ("subject_name", "行政相对人名称"),
    ("credit_code", "统一社会信用代码"),
    ("id_type", "证件类型"),
    ("id_number", "证件号码"),
    ("employer_name", "所在单位"),
    ("decision_no", "行政处罚决定书文号"),
    ("decided_on", "处罚决定日期"),
    ("offence", "违法行为类型"),
    ("facts", "违法事实"),
    ("legal_basis", "处罚依据"),
    ("penalty_kind", "处罚类别"),
    ("content", "处罚内容"),
    ("fine_wan", "罚款金额（万元）"),
    ("authority", "处罚机关"),
    ("authority_code", "处罚机关统一社会信用代码"),
    ("severity", "失信程度"),
    ("publicity_start", "公示起始日期"),
    ("publicity_end", "公示截止日期"),
    ("status", "公示状态"),
    ("withdrawn_on", "撤下日期"),
    ("withdrawal_reason", "撤下原因"),
)
"""Export columns: stable key (JSON) and Chinese header (CSV, Excel), in order."""
