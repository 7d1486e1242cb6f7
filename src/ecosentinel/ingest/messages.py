"""User-facing strings of the ingest area (Simplified Chinese), kept in one place for translation."""

MN_UNKNOWN = "MN 未登记或已停用"
PW_WRONG = "访问密码 PW 错误"
LISTENING = "HJ 212 数据接收服务已启动：{host}:{port}"
WEB_LISTENING = "Web 平台已启动：http://{host}:{port}/"
JOURNAL_IN_USE = "数据日志目录 {path} 已被另一个接收进程占用（同一目录只能有一个接收进程写入）"
JOURNAL_INCOMPLETE = "数据日志中的报文不完整（分包未收齐）"
JOURNAL_UNDECODABLE = "数据日志中有 {count} 个报文无法解码，已记入拒收日志"
JOURNAL_QUARANTINED = (
    "数据日志段 {path} 自偏移 {offset}（共 {size} 字节）起无法读取（{why}），已移至 {dest} 保存，请人工核查"
)
JOURNAL_DRAIN_TIMEOUT = "停止时 {seconds:.0f} 秒内未能把数据日志全部入库；余下部分在下次启动时入库"
JOURNAL_LOAD_FAILED = "数据日志入库失败，稍后重试（日志保留，未丢数据）"
JOURNAL_BAD_RECORD = "记录校验失败"
JOURNAL_TORN_TAIL = "末尾记录不完整"
