"""User-facing messages of the registry (Simplified Chinese)."""

from __future__ import annotations

POINT_NOT_FOUND = "监测点位 MN {mn} 未登记"
UNREADABLE_YAML = "无法解析 YAML：{error}"
NOT_A_MAPPING = "文件顶层应为包含 enterprises 列表的映射"
REGISTRY_INVALID = "{path}：{error}"
DUPLICATE_MN = "监测点位 MN {mn} 在文件中重复出现"
DUPLICATE_CREDIT_CODE = "统一社会信用代码 {code} 在文件中重复出现"
DUPLICATE_FACTOR = "监测因子 {code} 在该点位中重复出现"
MN_OTHER_ENTERPRISE = "监测点位 MN {mn} 已属于另一家企业（{credit_code}），不能在导入中转移"
IMPORT_FAILED = "登记信息导入失败，未写入任何数据。共 {count} 处错误："
IMPORTED_REGISTRY = "已导入 {file}：企业 {enterprises} 家，监测点位 {points} 个，监测因子 {factors} 个。"
