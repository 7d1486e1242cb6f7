"""User-facing Chinese texts of the simulator (event details, O&M notes, CLI output), kept in one place."""

from __future__ import annotations

EVENT_DETAIL: dict[str, str] = {
    "door_open": "站房门禁开启",
    "door_close": "站房门禁关闭",
    "camera_offline": "摄像头离线",
    "camera_online": "摄像头恢复在线",
    "camera_moved": "摄像头偏离预置位",
    "camera_restored": "摄像头恢复预置位",
    "video_lost": "视频信号丢失",
}

OM_NOTE: dict[str, str] = {
    "calibration_water": "每日标样核查（自动）",
    "calibration_gas": "每日零点、量程校准（自动）",
    "maintenance": "例行巡检，检查采样管路与试剂",
    "cleaning": "清洗采样管路及采样探头",
    "repair": "更换蠕动泵管，设备故障维修",
}

PARAMETER_NAME: dict[str, str] = {
    "i13013": "量程",
    "i13008": "斜率",
    "i13007": "截距",
    "i13003": "测量间隔",
    "i13004": "消解温度",
    "i13005": "消解时长",
}

CLI_WROTE = "已生成 {stations} 个站点、{rows} 条读数、{labels} 个造假场景标注，输出目录：{out}"
CLI_SENT = "已发送 {packets} 个数据包（{acked} 个收到 9014 应答，重连 {reconnects} 次）"
CLI_LIVE = "实时模式：每分钟发送当前数据（加速 {speed} 倍），按 Ctrl+C 停止"
CLI_BAD_SCENARIO = "无法解析场景参数“{text}”，格式应为 id[@站点][:严重程度]"
CLI_BAD_SERVER = "无法解析服务器地址“{text}”，格式应为 HOST:PORT"
CLI_NOTHING = "请指定 --out 或 --server"

ERR_UNKNOWN_SCENARIO = "未知的造假场景：{id}（可用：{known}）"
ERR_STATION = "场景 {id} 指定的站点 {station} 不存在"
ERR_TYPE = "场景 {id} 不适用于{type}站点 {mn}"
ERR_NO_STATION = "没有适用于场景 {id} 的{type}站点"
ERR_TOO_SHORT = "模拟时长不足，场景 {id} 至少需要 {days} 天"
ERR_CONFIG = "模拟配置无效：{what}"
ERR_CODE = "站点 {mn} 没有可用于该场景的监测因子 {code}"
