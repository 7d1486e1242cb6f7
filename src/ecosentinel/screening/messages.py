"""Chinese messages of running screening (the rules' own texts are in ``detection.messages``)."""

RUN_PROGRESS = "已筛查 {done}/{total} 个点位"

# rule adjustments (per-point recalibration, reviewed and audited; see screening.adjustments)
ADJUSTMENT_KIND_NAMES = {
    "cap_yellow": "本点位该规则最高触发黄色预警",
    "raise_threshold": "本点位该规则参数调整",
}
ADJUSTMENT_STATUS_NAMES = {
    "proposed": "待审核",
    "approved": "已批准",
    "rejected": "已驳回",
    "superseded": "已被新调整取代",
    "revoked": "已撤销",
}
ADJUSTMENT_NOT_FOUND = "规则调整 {id} 不存在"
ADJUSTMENT_UNKNOWN_RULE = "未知的筛查规则：{rule}（只能调整已注册的筛查规则）"
ADJUSTMENT_UNKNOWN_KIND = "未知的调整类型：{kind}（可选：{choices}）"
ADJUSTMENT_UNKNOWN_POINT = "点位 {mn} 不存在"
ADJUSTMENT_REASON_REQUIRED = "提出规则调整必须说明理由"
ADJUSTMENT_NOTE_REQUIRED = "审核规则调整必须填写审核意见"
ADJUSTMENT_CAP_NO_PARAMS = "“最高触发黄色预警”类调整不带参数"
ADJUSTMENT_PARAMS_REQUIRED = "参数调整必须给出至少一个参数及其新值"
ADJUSTMENT_PARAMS_NOT_OBJECT = '参数必须是 JSON 对象，如 {"min_identical_hours": 24}'
ADJUSTMENT_PARAMS_NO_ENABLED = "参数调整不能停用规则（enabled）；停用规则不属于阈值校准"
ADJUSTMENT_PARAMS_INVALID = "规则 {rule} 的参数无效：{error}"
ADJUSTMENT_DUPLICATE = "点位 {mn} 的规则 {rule} 已有一项同类调整待审核（#{id}）"
ADJUSTMENT_NOT_PROPOSED = "规则调整 #{id} 当前状态为“{status}”，不能再审核"
ADJUSTMENT_NOT_APPROVED = "规则调整 #{id} 当前状态为“{status}”，只有已批准的调整可以撤销"
ADJUSTMENT_SELF_REVIEW = "不能审核自己提出的规则调整（须由另一人审核）"
ADJUSTMENT_PROPOSED_SUMMARY = (
    "提出规则调整 #{id}：点位 {mn}，规则 {rule}，{kind}"
    "（依据：查实 {confirmed} 次，未查实/排除 {not_confirmed} 次，可靠度 {reliability}）"
)
ADJUSTMENT_REVIEWED_SUMMARY = "规则调整 #{id}（点位 {mn}，规则 {rule}）：{before} → {after}"

# executors over the archive (ecosentinel screen --source archive / --executor spark)
SPARK_MISSING = (
    "Spark 执行器需要 pyspark（及 pandas）：请安装 `pip install 'pyspark>=3.5,<5' 'pandas>=2.2,<3'`，"
    "或用 `make test` 创建的环境。（{detail}）"
)
SPARK_NO_JAVA = (
    "无法启动 Spark：找不到可用的 Java（请安装 openjdk-17-jre-headless，或设置 JAVA_HOME）。（{detail}）"
)
SPARK_NEEDS_ARCHIVE = (
    "Spark 执行器读取列式归档：请先运行 `ecosentinel archive build`，或用 --archive 指定归档目录。"
)
SPARK_WORKERS = "Spark 执行器由 Spark 分配并行度，不能与 --workers 大于 1 同时使用。"
BAD_EXECUTOR = "--executor 只能是 local 或 spark，当前为 {value}"
BAD_SOURCE = "--source 只能是 store（测量数据库）或 archive（列式归档），当前为 {value}"
