"""User-facing strings of the ingest area (Simplified Chinese), kept in one place for translation."""

MN_UNKNOWN = "MN 未登记或已停用"
PW_WRONG = "访问密码 PW 错误"
LISTENING = "HJ 212 数据接收服务已启动：{host}:{port}"
WEB_LISTENING = "Web 平台已启动：http://{host}:{port}/"
