"""User-facing strings of the audit trail and the interference register (Simplified Chinese)."""

CHAIN_OK = "审计日志完整：共 {entries} 条记录，哈希链校验通过。"
CHAIN_BROKEN = "审计日志被篡改：第 {entries} 条（编号 {entry_id}）校验失败：{reason}"
REASONS_ZH = {
    "prev_hash does not match the previous entry": "与前一条记录的哈希链接不一致（记录被删除或插入）",
    "entry content does not match its hash": "记录内容与其哈希值不符（内容被修改）",
}
REQUESTER_REQUIRED = "请填写提出要求的人员（姓名、职务）"
CONTENT_REQUIRED = "请填写要求的内容"
INTERFERENCE_RECORDED = "干预记录已登记（编号 {id}）"
INTERFERENCE_SUMMARY = "登记干预记录：{requester} 要求 {content}"
BAD_RANGE = "开始时间必须早于结束时间"
