"""User-facing (Chinese) messages of the HJ 212 codec, kept in one place so other languages can follow."""

from __future__ import annotations

from typing import Final

NOT_A_FRAME: Final = "不是 HJ 212 数据包：应以“##”开头"
TOO_SHORT: Final = "数据包过短（{actual} 字节），至少需要包头、长度和 CRC"
BAD_LENGTH_FIELD: Final = "数据段长度字段不是 4 位十进制数字：{text!r}"
LENGTH_MISMATCH: Final = "数据段长度不符：声明 {declared} 字节，实际 {actual} 字节"
OVERSIZE: Final = "数据包过大：{size} 字节，超过上限 {limit} 字节"
BAD_CRC_FIELD: Final = "CRC 字段不是 4 位十六进制数字：{text!r}"
CRC_MISMATCH: Final = "CRC 校验错误：按 HJ 212 算法应为 {expected:04X}，收到 {got}"
BAD_ENCODING: Final = "数据段无法解码为文本（既非 UTF-8 也非 GB18030）"
NO_CP: Final = "缺少指令参数 CP=&&…&&"
CP_NOT_CLOSED: Final = "指令参数 CP 未以“&&”结束"
MISSING_FIELD: Final = "缺少字段 {field}"
BAD_HEADER_ITEM: Final = "包头字段格式错误（应为 键=值）：{item!r}"
BAD_INTEGER: Final = "字段 {field} 应为整数，收到 {value!r}"
BAD_QN: Final = "请求编码 QN 应为数字（YYYYMMDDhhmmsszzz），收到 {value!r}"
BAD_CP_ITEM: Final = "指令参数项格式错误（应为 键=值）：{item!r}"
BAD_NUMBER: Final = "字段 {field} 的数值无效：{value!r}"
BAD_FLAG: Final = "字段 {field} 的数据标记无效：{value!r}（应为 {allowed} 之一）"
BAD_DATATIME: Final = "时间 {field} 无效（应为 YYYYMMDDhhmmss）：{value!r}"
BAD_PNO: Final = "分包序号 PNO={pno} 超出总包数 PNUM={pnum}"
BAD_TEXT: Final = "字段 {field} 含有保留字符（; , = &）：{value!r}"
BAD_VERSION: Final = "协议版本应为 2017 或 2005，收到 {value!r}"
TOO_LONG: Final = "数据段 {size} 字节，超过 4 位长度字段能表示的 9999 字节"
INTERNAL: Final = "解析数据包时发生内部错误：{error}"

CLI_READ_ERROR: Final = "无法读取输入：{error}"
CLI_BAD_JSON: Final = "第 {line} 行不是有效的 JSON：{error}"
