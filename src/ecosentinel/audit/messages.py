"""User-facing strings of the audit trail and the interference register (Simplified Chinese)."""

CHAIN_OK = "审计日志完整：共 {entries} 条记录，哈希链校验通过。"
CHAIN_BROKEN = "审计日志被篡改：第 {entries} 条（编号 {entry_id}）校验失败：{reason}"
CHAIN_OK_ANCHORS = "审计日志完整：共 {entries} 条记录，哈希链与 {anchors} 个锚点校验通过。"
REASONS_ZH = {
    "prev_hash does not match the previous entry": "与前一条记录的哈希链接不一致（记录被删除或插入）",
    "entry content does not match its hash": "记录内容与其消息认证码不符（内容被修改或哈希被重新计算）",
    "an unkeyed entry follows keyed ones": "带密钥的记录之后出现了不带密钥的记录（链被改写）",
    "an anchor does not match its MAC": "锚点文件中的记录与其认证码不符（锚点被伪造）",
    "an anchored entry is missing or changed (entries deleted)": (
        "锚定的记录缺失或被改动（末尾或全部记录被删除）"
    ),
}
ANCHORED = "已锚定审计日志：共 {count} 条，末条编号 {head_id}，写入 {path}"
ANCHOR_EMPTY = "审计日志为空，无需锚定"
REQUESTER_REQUIRED = "请填写提出要求的人员（姓名、职务）"
CONTENT_REQUIRED = "请填写要求的内容"
INTERFERENCE_RECORDED = "干预记录已登记（编号 {id}）"
INTERFERENCE_SUMMARY = "登记干预记录：{requester} 要求 {content}"
BAD_RANGE = "开始时间必须早于结束时间"
