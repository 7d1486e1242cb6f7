"""User-facing messages of the enterprise evaluation (环保脸谱), Simplified Chinese."""

from __future__ import annotations

GRADE_ZH = {"excellent": "优", "good": "良", "fair": "中", "poor": "差"}
COLOUR_ZH = {"green": "绿脸", "blue": "蓝脸", "yellow": "黄脸", "red": "红脸"}
COMPONENT_ZH = {
    "installation": "安装",
    "networking": "联网",
    "operation": "运行",
    "data_quality": "数据质量",
    "findings": "异常线索",
    "penalties": "行政处罚",
}
FALSIFICATION_CAP = "存在经确认的弄虚作假，评价为红脸"
ENTERPRISE_NOT_FOUND = "企业不存在：{id}"
NOT_COMPUTED = "{period} 尚无企业评价结果，请先计算"
AUDIT_EVALUATED = "计算 {period} 企业环保脸谱评价：{count} 家企业"
AUDIT_PUBLISHED = "公布 {period} 企业环保脸谱评价"
EVALUATED = "{period} 企业评价完成：{count} 家企业。"
