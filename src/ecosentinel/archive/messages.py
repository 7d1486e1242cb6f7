"""User-facing messages of the archive and its commands (Simplified Chinese)."""

from __future__ import annotations

VERIFY_OK = "归档校验通过：哈希链共 {entries} 条记录，{partitions} 个分区文件均与记录一致。"
VERIFY_EMPTY = "归档为空：{root} 下尚无已封存的分区。"
ENTRY_BROKEN = "归档哈希链第 {seq} 条记录被改动或断开（分区 {path}）：哈希链自此处起不可信。"
PARTITION_MISSING = "归档分区 {path} 缺失（哈希链第 {seq} 条记录了它）：文件已被删除或移走。"
PARTITION_TAMPERED = "归档分区 {path} 已被改动：SHA-256 与哈希链第 {seq} 条记录不符。"
PARTITION_UNCHAINED = (
    "归档分区 {path} 不在哈希链中（可能是中断的写入或被放入的文件）：请核查后删除，"
    "再运行 `ecosentinel archive build`。"
)
CHAIN_UNREADABLE = "归档哈希链 {path} 第 {line} 行无法解析：{detail}"
NOT_AN_ARCHIVE = "{root} 不是归档目录（缺少 ARCHIVE.json）：请先运行 `ecosentinel archive build`。"
FORMAT_MISMATCH = "归档 {root} 的格式（{found}）与本程序不符（{expected}）。"
BUILT = "归档完成：新封存 {partitions} 个分区，共 {rows} 行（{days} 天）。归档目录：{root}"
BUILT_NOTHING = "没有需要封存的新数据（已封存到 {until} 之前已结束的日期）。归档目录：{root}"
LIST_HEADERS = ("序号", "数据集", "日期", "分组", "分片", "行数", "SHA-256（前 16 位）")
LIST_EMPTY = "归档为空。"
READ_ONLY = "归档只读：数据请写入测量库，再由归档任务封存。"
BAD_DAY = "日期 {value!r} 无效，应为 YYYY-MM-DD。"
IMPORT_ARCHIVED = "已将导入涉及的已结束日期封存到归档：{partitions} 个分区，{rows} 行。"
IMPORT_ARCHIVE_FAILED = (
    "数据已导入测量库，但写入归档失败：{detail}（可稍后运行 `ecosentinel archive build` 补做）"
)
