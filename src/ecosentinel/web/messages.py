"""User-facing strings of the web area (Simplified Chinese), kept in one place for translation."""

TITLE = "自动监控哨兵 EcoSentinel"
STATUS_HEADING = "数据接收状态"
POINTS_CONFIGURED = "登记监测点位"
POINTS_ONLINE = "在线点位（10 分钟内有数据）"
PACKETS_STORED = "已入库数据包"
PACKETS_REJECTED = "拒收数据包（MN/PW 校验失败）"
FRAMES_BAD = "格式错误报文"
CONNECTIONS = "当前连接数"
LAST_PACKET = "最近入库时间"
NONE_YET = "暂无"

# Layout and navigation
APP_NAME = "自动监控哨兵"
APP_SUBTITLE = "重点排污单位自动监控数据监管平台"
FOOTER = "生态环境局 · 自动监控哨兵 EcoSentinel · 所有操作均留痕可查"
NAV_DASHBOARD = "首页总览"
NAV_AUDIT = "操作留痕"
NAV_INTERFERENCE = "干预留痕"
NAV_USERS = "账号管理"
NAV_PUBLIC = "信息公开"
LOGOUT = "退出登录"
LOGIN = "登录"

# Login
LOGIN_TITLE = "用户登录"
LOGIN_USERNAME = "用户名"
LOGIN_PASSWORD = "密码"
LOGIN_SUBMIT = "登录"
LOGIN_FAILED = "用户名或密码错误"
LOGIN_HINT = "公众无需登录即可查看信息公开页面。"
LOGGED_OUT = "已退出登录"

# Errors
FORBIDDEN_HEADING = "无权访问"
NOT_FOUND_HEADING = "页面不存在"
NOT_FOUND_TEXT = "您访问的页面或记录不存在。"
SERVER_ERROR_HEADING = "系统出错"
SERVER_ERROR_TEXT = (
    "处理您的请求时系统发生错误，已记录在系统日志中。请稍后重试；如问题持续，请联系系统管理员。"
)
SERVER_ERROR_JSON = "服务器内部错误"
BAD_REQUEST_HEADING = "请求有误"
BAD_REQUEST_TEXT = "请求中有参数格式不正确（如日期、数字或编号）。请返回上一页检查后重试。"
BACK_HOME = "返回首页"

# Background jobs
JOB_NOT_FOUND = "后台任务不存在或已过期"

# Station page and data
POINT_NOT_FOUND = "监测点位 {mn} 不存在"
WINDOW_ORDER = "开始时间必须早于结束时间"
WINDOW_TOO_LONG = "查询时段不能超过 {days} 天"
NAV_STATIONS = "监测点位"

# Administration and audit pages
BAD_DATETIME = "时间格式不正确：{value}"
BAD_NUMBER = "应为整数：{value}"
BAD_ROLE = "未知角色：{role}"
USER_CREATED_OK = "已创建账号 {username}"
USER_ACTIVATED_OK = "已启用账号 {username}"
USER_DEACTIVATED_OK = "已停用账号 {username}"
PASSWORD_RESET_OK = "已重置账号 {username} 的密码，该账号需重新登录"

# Public home
PUBLIC_FEED_LABELS = {
    "credit": "联合惩戒失信信息公示",
    "evaluation": "企业环境信用评价（环保脸谱）",
    "penalt": "行政处罚信息公开",
    "draw": "“双随机、一公开”抽查结果",
    "random": "“双随机、一公开”抽查结果",
    "inspection": "执法检查结果",
    "rating": "运维单位考核排名",
    "ranking": "运维单位考核排名",
}
CROSS_SITE_REFUSED = "跨站请求已拒绝：请从本平台的页面提交操作（请求来源与平台地址不符）"

SYSTEM_ACTOR = "系统自动任务"
FILE_KINDS = {
    "image/*": "照片",
    "video/*": "视频",
    "audio/*": "录音",
    "application/pdf": "PDF 文档",
    "application/msword": "Word 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.ms-excel": "Excel 表格",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "text/csv": "CSV 数据表",
    "text/plain": "文本",
    "application/zip": "压缩包",
}
FILE_OTHER = "其他文件"
API_DOCS_TITLE = "接口文档"
NAV_MAP = "一张图"

FLASH_TRUNCATED = "……（内容过长，其余从略）"
