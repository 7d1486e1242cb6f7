"""User-facing messages of the store, importers and database commands (Simplified Chinese)."""

from __future__ import annotations

SCHEMA_MISSING = "数据库尚未初始化（缺少测量数据表）：请先运行 `ecosentinel db upgrade`。数据库：{url}"
UPGRADED = "数据库结构已升级到最新版本（{revision}）：{url}"
IMPORTED_READINGS = "已导入 {file}：共 {rows} 行，新增 {inserted} 条监测数据（重复的已跳过）。"
IMPORT_FAILED = "导入失败，未写入任何数据。共 {count} 处错误："
MORE_ERRORS = "……另有 {count} 处错误未列出"

# Readings CSV validation
MISSING_COLUMN = "缺少必需的列 {column}（需要 mn,time,kind,code,value,flag，可选 source,zs,vmin,vmax,cou）"
UNKNOWN_COLUMN = "未知的列 {column}"
DUPLICATE_COLUMN = "列 {column} 重复"
EMPTY_FIELD = "{column} 不能为空"
BAD_TIME = "时间 {value!r} 不是 ISO 8601 格式（例如 2026-01-01T08:00:00 或 2026-01-01T00:00:00+00:00）"
TIME_IN_FUTURE = "数据时间 {time} 晚于当前时间 {now} 超过允许的 {tolerance} 秒（请校准数采仪时钟）"
TIME_TOO_OLD = "数据时间 {time} 早于允许的最早时间 {earliest}"
IMPORT_TIME_IN_FUTURE = "时间 {value!r} 晚于当前时间超过允许的误差（不能导入未来的数据）"
IMPORT_TIME_TOO_OLD = "时间 {value!r} 早于允许的最早时间"
SUBSECOND_TIME = "时间 {value!r} 带有不足一秒的部分；监测数据时间精确到秒"
BAD_KIND = "数据类型 {value!r} 无效，应为 rtd、minute、hour 或 day"
BAD_SOURCE = "数据来源 {value!r} 无效，应为 platform、logger 或 analyser"
BAD_FLAG = "数据标记 {value!r} 无效，应为 {allowed} 之一"
BAD_VALUE = "数值 {value!r} 不是数字"
BAD_CODE = "因子编码 {value!r} 无效（应为字母数字，最多 16 个字符，如 w01018）"
UNKNOWN_MN = "监测点位 MN {value!r} 未在登记库中（请先导入登记信息）"
UNREADABLE_CSV = "无法读取 CSV 文件：{error}"
NOT_UTF8 = "此处的字节 0x{byte:02X} 不是 UTF-8 编码（请以 UTF-8 保存文件，Excel 可选“CSV UTF-8”）"
FIELD_COUNT = "该行有 {got} 个字段，表头有 {expected} 列（检查多余或缺少的逗号，含逗号的值请加引号）"
_SAME_READING = "与第 {first} 行是同一条读数（点位、时间、数据类型、因子、来源相同），"
CONFLICTING_DUPLICATE = _SAME_READING + "但数值/标记不同：{value} 与 {other}，无法判断哪条为准"

# Errors every command maps to one line (ecosentinel.cli)
DB_UNUSABLE = "无法使用数据库 {url}：{detail}（请检查 ECOSENTINEL_DATABASE_URL 与数据库服务是否可用）"
DB_BAD_URL = "数据库地址无效：{detail}（示例：postgresql+psycopg://用户:密码@主机/库名，或 sqlite:///路径）"
FILE_ACCESS = "无法访问 {path}：{detail}（请检查路径与读写权限，或设置 ECOSENTINEL_DATA_DIR）"
INTERNAL_ERROR = "内部错误（{kind}）：{detail}。加 --verbose 可查看详细信息。"
