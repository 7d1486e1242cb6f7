"""User-facing messages of the registry (Simplified Chinese)."""

from __future__ import annotations

POINT_NOT_FOUND = "监测点位 MN {mn} 未登记"
UNREADABLE_YAML = "无法解析 YAML：{error}"
YAML_ALIAS = "登记文件不支持 YAML 锚点与别名（&{anchor} / *{anchor}），请写出完整内容"
YAML_TAG = "登记文件不支持 YAML 标签 {tag}（只允许字符串、数字、布尔、日期、列表与映射）"
YAML_TOO_DEEP = "YAML 嵌套超过 {limit} 层，不是登记文件的格式"
UPLOAD_TOO_LARGE = "上传内容超过 {limit} MB，请拆分后分批导入"
YAML_TOO_LARGE = "YAML 文件超过 {limit} MB，请拆分后分批导入"
NOT_A_MAPPING = "文件顶层应为包含 enterprises 列表的映射"
REGISTRY_INVALID = "{path}：{error}"
DUPLICATE_MN = "监测点位 MN {mn} 在文件中重复出现"
DUPLICATE_CREDIT_CODE = "统一社会信用代码 {code} 在文件中重复出现"
DUPLICATE_FACTOR = "监测因子 {code} 在该点位中重复出现"
PW_REQUIRED_NEW = "新监测点位 MN {mn} 需要填写访问密码（已有点位留空则保留原密码）"
PASSWORDS_EXPORTED = "（含数采仪访问密码）"
MN_OTHER_ENTERPRISE = "监测点位 MN {mn} 已属于另一家企业（{credit_code}），不能在导入中转移"
IMPORT_FAILED = "登记信息导入失败，未写入任何数据。共 {count} 处错误："
IMPORTED_REGISTRY = "已导入 {file}：企业 {enterprises} 家，监测点位 {points} 个，监测因子 {factors} 个。"

CREDIT_LENGTH = "统一社会信用代码应为18位，实际{length}位"
CREDIT_CHARS = "统一社会信用代码含非法字符：{chars}（不得使用 I、O、S、V、Z 及小写字母）"
CREDIT_REGION = "统一社会信用代码第3～8位应为行政区划代码（6位数字）"
CREDIT_CHECK = "统一社会信用代码校验位错误：为 {got}，按 GB 32100-2015 应为 {expected}"

# tabular registry (Excel / YAML)
SHEET_MISSING_HEADER = "工作表缺少必填列「{header}」"
SHEET_UNKNOWN_HEADER = "无法识别的列标题「{header}」"
CELL_REQUIRED = "「{header}」不能为空"
CELL_NOT_NUMBER = "「{header}」应为数字，实际为「{value}」"
CELL_NOT_INTEGER = "「{header}」应为整数，实际为「{value}」"
CELL_NOT_BOOL = "「{header}」应为 是/否，实际为「{value}」"
CELL_NOT_DATE = "「{header}」应为日期（如 2025-01-31），实际为「{value}」"
CELL_NOT_DATETIME = "「{header}」应为日期时间（如 2025-01-31 08:00），实际为「{value}」"
CELL_NOT_CHOICE = "「{header}」应为 {choices} 之一，实际为「{value}」"
CELL_NUMERIC_TEXT = "「{header}」必须以文本填写（数字格式会丢失前导零），实际为数字 {value}"
CELL_TOO_LONG = "「{header}」最长 {max} 个字符，实际 {length} 个"
CELL_PATTERN = "「{header}」格式不符：{rule}"
CELL_BAD = "「{header}」：{error}"
ROW_DUPLICATE = "与第{first}行重复（{key}）"
REF_MISSING = "「{header}」引用的{what}「{value}」在文件和数据库中都不存在"
REF_OTHER_ENTERPRISE = "监测点位 MN {mn} 已属于另一家企业（{credit_code}），不能在导入中转移"
DEVICE_OTHER_POINT = "设备 {serial} 已登记在点位 {mn}，导入不能转移"
RANGE_ORDER = "「{low}」不能大于「{high}」"
REF_O2_GAS_ONLY = "基准氧含量仅适用于废气点位"
NOT_TABLES = "文件顶层应为以工作表名（enterprises、points …）为键的映射"
UNKNOWN_SHEET = "无法识别的工作表「{sheet}」，可用：{known}"
UNSUPPORTED_FILE = "不支持的文件类型 {suffix}，请使用 .xlsx 或 .yaml"
UNREADABLE_XLSX = "无法读取 Excel 文件：{error}"
IMPORTED_TABLES = "已导入 {file}：{counts}"
EXPORTED_TABLES = "已导出 {file}：{counts}"

# dynamic control and standard checks
UNREADABLE_FILE = "无法读取文件：{error}"
BAD_FRAME = "不是有效的 HJ 212 报文：{error}"
UNKNOWN_MN = "监测点位 MN {mn} 未登记"
STANDARD_ZERO = "标样浓度不能为 0"
IMPORTED_3020 = (
    "已导入 {file}：3020 报文 {packets} 条，新增参数记录 {parameters} 条（跳过其他命令报文 {skipped} 条）。"
)
STANDARD_CHECK_TITLE = "标样核查超出允许误差"
STANDARD_CHECK_EXPLAIN = (
    "{time}，点位 {mn} 的{factor}标样核查：标样浓度 {standard}，仪器测定 {measured}，相对误差 {error}%，"
    "超出 HJ 355-2019 规定的 ±{tolerance}% 允许范围。标样核查不合格时，自上次合格核查以来的数据应视为无效，"
    "并应核实仪器是否被人为调整。"
)

# events and meters
EVENT_ROW_INVALID = "第{line}行：{error}"
EVENT_NO_POINT = "没有指明监测点位（需填写 mn，或填写已登记的摄像头/门禁编号 device_code）"
EVENT_UNKNOWN_DEVICE = "摄像头/门禁编号 {code} 未登记"
EVENT_DEVICE_OTHER_POINT = "摄像头/门禁 {code} 属于点位 {owner}，不是 {mn}"
EVENTS_EMPTY = "没有可导入的事件"
METER_BAD_TIME = "时间 {value!r} 不是 ISO 8601 格式（例如 2026-01-01 08:00）"
METER_BAD_VALUE = "数值 {value!r} 不是数字"
METER_TIME_OUT_OF_RANGE = "时间 {value!r} 晚于当前时间超过允许误差或早于允许的最早时间，不能导入"
METER_UNKNOWN = "工况/用电监控设备 {code} 未登记"
CSV_MISSING_COLUMNS = "缺少列：{columns}"
IMPORTED_EVENTS = "已导入事件 {added} 条（重复 {duplicates} 条未重复写入）。"
IMPORTED_METER_READINGS = "已导入工况/用电数据 {rows} 条（新增 {inserted} 条）。"

# permits and comparison tests
PERMIT_NOT_FOUND = "排污许可证 {number} 不存在"
COMPARISON_NO_TOLERANCE = "因子 {code} 没有可用的比对允许误差（HJ 354/355、HJ 75）"
COMPARISON_ZERO = "手工监测值为 0，无法计算相对误差"
GAP_NO_OUTLET = "许可证要求的排放口 {outlet} 未登记"
GAP_NO_POINT = "排放口 {outlet} 未安装自动监测设备（未设监测点位）"
GAP_INACTIVE = "排放口 {outlet} 的监测点位 {mn} 已停用"
GAP_NO_FACTOR = "监测点位 {mn} 未登记因子 {factor}"
GAP_NO_DEVICE = "监测点位 {mn} 没有登记监测 {factor} 的设备"
GAP_NO_DATA = "监测点位 {mn} 最近 {hours} 小时未上传 {factor} 数据（未联网或已断线）"
GAP_NO_VALID_DATA = "监测点位 {mn} 最近 {hours} 小时的 {factor} 数据均无效（标记非 N）"
GAP_NO_REQUIREMENTS = "许可证未列出任何自动监测要求"
GAP_NO_QC = "许可证有效期内排放口 {outlet} 的 {factor} 没有质控（比对监测）记录"
GAP_QC_FAILED = "许可证有效期内排放口 {outlet} 的 {factor} 比对监测均不合格"
PRE_ISSUE_OK = "应装尽装、联网要求均已满足，可以核发"
PRE_ISSUE_NO = "不满足应装尽装、联网要求，暂不宜核发"
EVENT_OUT_OF_SCOPE = "无权为以下监测点位提交事件：{mns}"
WINDOW_ORDER = "结束时间应晚于开始时间"
WINDOW_TOO_LONG = "维护时段最长 {hours} 小时，请分段报备（收到 {got} 小时）"
WINDOW_NOT_PENDING = "维护时段 {id} 已审核（{status}），不能再次审核"
WINDOW_NOT_FOUND = "维护时段 {id} 不存在"
WINDOW_NOTE_REQUIRED = "驳回时请填写理由"
WINDOW_STATUS_ZH = {
    "pending": "待审核",
    "approved": "已通过",
    "rejected": "已驳回",
    "superseded": "已转为数据标记",
}
IMPORT_FILE_MISSING = "请选择要导入的登记信息文件"
IMPORT_FILE_KIND = "只能导入 Excel 工作簿（.xlsx）或 YAML 文件（.yaml、.yml）"
IMPORT_DONE = "登记信息已导入：{counts}"
