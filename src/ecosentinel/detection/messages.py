# ruff: noqa: E501  (Chinese templates are wide; splitting them mid-sentence hurts review)
"""Every Chinese text the screening area shows to users: explanations, colours, factor names.

Templates are ``str.format`` strings keyed by (rule code, variant). Each explanation says which rule
fired, on what window (China Standard Time) and which values, and why that is suspicious. Fields
always available: ``title``, ``start``, ``end``, ``factors``; the rest come from the rule.
"""

from __future__ import annotations

from typing import Any

from ecosentinel.detection.profile import CalibratedLevel

FACTOR_NAMES: dict[str, str] = {
    "w01018": "化学需氧量（COD）",
    "w21003": "氨氮",
    "w21011": "总磷",
    "w21001": "总氮",
    "w01001": "pH值",
    "w00000": "废水流量",
    "w01010": "水温",
    "w01014": "电导率",
    "a21026": "二氧化硫",
    "a21002": "氮氧化物",
    "a21003": "一氧化氮",
    "a21004": "二氧化氮",
    "a21005": "一氧化碳",
    "a34013": "颗粒物",
    "a24088": "非甲烷总烃",
    "a19001": "氧含量",
    "a00000": "烟气流量",
    "a01011": "流速",
    "a01012": "烟温",
    "a01013": "烟气压力",
    "a01014": "烟气湿度",
    "wc_prod_kw": "生产设施用电功率",
    "wc_treat_kw": "治理设施用电功率",
}

KIND_NAMES: dict[str, str] = {"rtd": "实时数据", "minute": "分钟数据", "hour": "小时数据", "day": "日数据"}

COLOUR_NAMES: dict[str, str] = {"green": "绿色", "yellow": "黄色", "red": "红色"}
SEVERITY_NAMES: dict[str, str] = {"low": "低", "medium": "中", "high": "高"}

_PREFIX = "规则「{title}」：{start}至{end}（北京时间），"

TEMPLATES: dict[tuple[str, str], str] = {
    ("R01_constant_value", "identical"): _PREFIX
    + "{factors}{kind}连续{count}个有效值完全相同（均为{value}），持续{hours}小时，超过{threshold}小时的判定阈值。"
    "{calibration}{shared}"
    "正常排放的监测数据应随工况波动，长时间恒值提示采样管插入清水或标液瓶（挂瓶）、数采仪输出被固定或设置了数据保持。",
    ("R01_constant_value", "identical_cycles"): _PREFIX
    + "{factors}分析仪连续{count}个测量周期结果完全相同（均为{value}），达到{threshold}个周期的判定阈值。"
    "实际废水浓度不可能在多个周期内保持不变，提示采样管被插入清水或标液（挂瓶）。",
    ("R01_constant_value", "narrow_band"): _PREFIX
    + "{factors}在{hours}小时内最大值与最小值之差仅为{band}，不超过量程（{span}）的{fraction}%，"
    "持续时间超过{threshold}小时。《污染源自动监控设施现场监督检查技术指南》将“数据长期在量程2%范围内变化”列为不正常运行情形。{no_falsifier}",
    ("R01_constant_value", "near_detection_limit"): _PREFIX
    + "{factors}连续{hours}小时的有效值均不高于检出限（{dl}）的{k}倍（最大值{vmax}），超过{threshold}小时的判定阈值。"
    "数据长期在检出限附近波动是技术指南列出的不正常运行情形，提示采样被干扰或监测数据被稀释。",
    ("R02_zero_negative", "default"): _PREFIX
    + "{factors}连续{count}个有效值为零或负值（最小值{vmin}），而{operating}，说明生产处于运行状态。"
    "生产运行时污染物浓度不应为零或负值，提示分析仪被干扰、采样中断或数据被篡改。",
    ("R02_zero_negative", "flow"): _PREFIX
    + "{factors}连续{count}个有效值为零或负值（最小值{vmin}），而{operating}。"
    "污水处理厂进水或持续排放的排口流量不会凭空中断，负流量在单向流量计上没有物理意义，"
    "提示流量计被干扰、旁路或数据被篡改。",
    ("R03_over_range", "unflagged_over_range"): _PREFIX
    + "{factors}有{count}个数据达到或超过量程上限（{range_high}，最大值{vmax}），却未按标准标记为T（超测上限）。"
    "超量程数据应如实标记，未标记的平顶数据提示量程设置或数据被人为截断。",
    ("R03_over_range", "pile_below_limit"): _PREFIX
    + "{factors}当日{count}个{unit}（占{share}%）恰好等于同一数值{value}，该值位于排放限值（{limit}）之下的{low_pct}%～100%区间，"
    "且是当日的顶部（当日仅{above}个数据高于该值）。"
    "{threshold}监测数据在限值下方同一数值上大量堆积、其上几乎没有数据，提示数据被人为设置或截顶以规避超标。",
    ("R03_over_range", "clipped_at_range"): _PREFIX
    + "{factors}有{count}个数据恰好等于量程上限{range_high}（占有效值{share}%）。数据在量程上限处平顶，"
    "说明真实浓度可能超出量程而未被如实记录，或量程设置不当。",
    ("R04_post_exceedance_drop", "drop"): _PREFIX
    + "{factors}在{peak_time}的测量结果为{peak}，达到排放限值（{limit}）的{peak_pct}%，"
    "随后{drop_time}的结果骤降至{after}（仅为前值的{ratio_pct}%）{extra}。"
    "超标后紧接着浓度突降，{why}，符合在取样杯内注水并重新启动测量以拉低小时均值的造假特征。",
    ("R04_post_exceedance_drop", "collapse"): _PREFIX
    + "{factors}一个测量周期（约{cycle_minutes}分钟）的结果为{peak}（{peak_time}起），达到排放限值（{limit}）的{peak_pct}%，"
    "紧接着的{n_low}个测量周期骤降至接近零（{lows}），最高仅为峰值前本点位常态水平{level}的{low_pct}%，其后回到{after}{extra}。"
    "真实的超标过程会经过中间浓度逐步回落，不会在下一周期跌到远低于此前常态的水平；{others}，"
    "也没有校准或运维记录。这符合超标后向取样杯注水、重新做样以拉低均值的造假特征。{calibration}",
    ("R04_post_exceedance_drop", "spike"): _PREFIX
    + "{factors}一个测量周期（约{cycle_minutes}分钟）的结果为{peak}（{peak_time}起），达到排放限值（{limit}）的{peak_pct}%，"
    "紧接着的{n_low}个测量周期骤降至{lows}，最高仅为该峰值的{peak_low_pct}%（判定上限{spike_pct}%），其后回到{after}{extra}。"
    "真实的超标过程会经过中间浓度逐步回落，不会在一个测量周期内下降八成以上并保持；{others}，"
    "也没有校准或运维记录。这符合超标后向取样杯注水、重新做样以拉低均值的造假特征。{calibration}",
    ("R04_post_exceedance_drop", "extra_cycles"): _PREFIX
    + "{factors}在该小时内分析仪完成了{count}次测量，多于备案的每小时{scheduled}次（允许上限{allowed}次）。"
    "计划外的加测提示有人手动触发重新测量以替换不利结果。",
    ("R05_dilution", "step"): _PREFIX
    + "{factors}同时下降至前24小时基线的{ratio_pct}%左右（各因子比例分别为{ratios}），各因子之间的比值基本不变，{flow_text}。"
    "各污染物按同一倍数同步下降是样品被清水稀释的特征（如采样管转接自来水、私设暗管注水或挂瓶）{event_text}。"
    "{calibration}",
    ("R05_dilution", "night"): _PREFIX
    + "{factors}夜间（22时至次日6时）中位数仅为白天的{ratio_pct}%左右（各因子比例分别为{ratios}），"
    "比值关系不变，{flow_text}。夜间浓度按同一倍数整体下降而排水量未减，提示夜间采样管被转接至自来水等稀释行为{event_text}。"
    "{calibration}",
    ("R08_o2_dilution", "zs_mismatch"): _PREFIX
    + "{factors}上报的折算浓度与按实测浓度和氧含量重新计算的折算浓度不符：共{count}个数据，"
    "最大偏差{max_diff_pct}%（例如{example_time}实测{measured}、氧含量{o2}%、上报折算{reported}，应为{expected}，"
    "按 C×(21−{ref_o2})/(21−O2) 计算）。折算浓度计算错误提示数据在传输或处理中被篡改。",
    ("R08_o2_dilution", "o2_high"): _PREFIX
    + "氧含量由之前的{o2_before}%升至{o2_median}%，比本点位{proxy}自身的正常氧含量高出超过{o2_base}个百分点（本点位自身阈值），相当于烟气被稀释为原来的{d_pct}%；"
    "同期{factors}实测浓度按同一比例降至之前的{conc_pct}%，而按氧含量折算后的浓度为之前的{zs_pct}%，基本不变；{load_text}。"
    "工况不能解释的氧含量升高，加上实测浓度（和烟气流量）按同一稀释比例变化、折算浓度不变，正是向烟道或采样系统掺入空气稀释的物理特征。{ramps}",
    ("R09_strategic_gap", "gap"): _PREFIX
    + "{factors}连续{hours}小时无有效数据，缺失前、后的浓度分别为{before}和{after}，最高达排放限值（{limit}）的{pct}%，"
    "缺失期间也没有报备的维护时段。{association}在可能超标时中断数据，提示为规避超标而有意停运或断开监测设备。",
    ("R09_strategic_gap", "pattern"): _PREFIX
    + "{factors}在浓度接近或超过限值（≥{pct}%限值）后反复出现数据缺失：{p_high}缺失集中发生在可能超标的时段，呈现策略性缺失特征。",
    (
        "R09_strategic_gap",
        "association",
    ): "{month}内，浓度达到限值{bracket}%以上的小时之后共出现{n_high}次数据中断，"
    "即每个高浓度小时之后中断的概率为{p_high}%，而{calibration}的基准中断概率为{p0}%；"
    "若中断与浓度无关，出现这么多高浓度后中断的概率仅为{p_value}（判定标准≤{alpha}）。",
    ("R10_treatment_off", "treatment_off"): _PREFIX
    + "生产设施用电{prod}千瓦显示生产运行，而治理设施用电仅{treat}千瓦（低于停运阈值{treat_off}千瓦），"
    "持续{minutes}分钟；同期{factors}监测值为{conc}，{conc_text}。治理设施停运时排放数据仍然正常，提示监测数据不真实。",
    ("R10_treatment_off", "treatment_off_flow"): _PREFIX
    + "{basis}，而治理设施用电仅{treat}千瓦（低于停运阈值{treat_off}千瓦），持续{minutes}分钟；同期{factors}监测值为{conc}，"
    "{conc_text}。治理设施停运时排放数据仍然正常，提示监测数据不真实。",
    ("R10_treatment_off", "treatment_off_unchecked"): _PREFIX
    + "{basis}，而治理设施用电仅{treat}千瓦（低于停运阈值{treat_off}千瓦），持续{minutes}分钟。"
    "该点位同期没有污染物监测值可供核对：治理设施停运期间仍在生产或排水，需现场核查是否超标排放。",
    ("R10_treatment_off", "declared_stopped"): _PREFIX
    + "{factors}数据被标记为F（停运），但同期生产设施用电{prod}千瓦（高于运行阈值{prod_on}千瓦），"
    "持续{minutes}分钟。标记停运而实际仍在生产（标停未停），提示通过停运标记逃避监管。",
    ("R16_flag_abuse", "flag_near_exceedance"): _PREFIX
    + "{factors}在浓度接近或超过限值（≥{pct}%限值）之后被标记为{flags}的比例为{p_high}%，"
    "而在低浓度时仅为{p_low}%（{n_high}次对{n_low}次）。校准、维护、故障标记集中出现在可能超标的时段，提示借标记掩盖超标数据。",
    ("R16_flag_abuse", "hidden_exceedance"): _PREFIX
    + "{factors}在浓度达到{before}（排放限值的{pct}%）时被标记为{flags}共{minutes}分钟，"
    "前后{slack}分钟内没有任何运维记录。接近或超过限值时立即以无运维依据的标记使数据无效，提示借标记掩盖超标。",
    ("R16_flag_abuse", "hidden_exceedance_no_feed"): _PREFIX
    + "{factors}被标记为{flags}共{minutes}分钟，而分析仪在标记期间仍在测量：多个不同读数的中位数为{before}，"
    "达到排放限值的{pct}%{around}。校准或维护只读出一两个标准值，"
    "持续变化的超标读数说明这段时间是真实排放被标记为无效，提示借标记掩盖超标（该点位未接入运维记录，无法核对是否有运维依据）。",
    ("R16_flag_abuse", "long_calibration"): _PREFIX
    + "{factors}连续{minutes}分钟被标记为C（校准），超过{threshold}分钟的合理校准时长。"
    "校准标记时长远超仪器校准周期，提示借校准标记使超标数据无效。",
    ("R16_flag_abuse", "no_om_record"): _PREFIX
    + "{factors}被标记为{flags}共{minutes}分钟，但前后{slack}分钟内没有对应的运维记录{window_text}。"
    "无运维记录的校准、维护标记不能说明数据无效的理由，提示标记被滥用。",
}


R10_BASIS = {
    True: "无生产设施用电监控，以排水流量判断运行：流量{prod}{unit}（高于运行阈值{prod_on}{unit}）显示污水仍在排放",
    False: "生产设施用电{prod}千瓦（高于运行阈值{prod_on}千瓦）显示生产运行",
}
"""R10: what showed the source running (discharge flow without a production meter, or production power)."""


def r10_basis(by_flow: bool, **fields: str) -> str:
    return R10_BASIS[by_flow].format(**fields)


def explain(code: str, variant: str, **fields: Any) -> str:
    """The Chinese explanation of a finding (template by rule code and variant)."""
    template = TEMPLATES.get((code, variant))
    if template is None:
        return _PREFIX.format(**fields) + "{factors}数据异常（规则 {code}）。".format(code=code, **fields)
    return template.format(**fields)


def factor_name(code: str) -> str:
    """Chinese name of a factor, with its code: ``化学需氧量（COD）[w01018]``."""
    name = FACTOR_NAMES.get(code)
    return f"{name}[{code}]" if name else code


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def severity_name(severity: str) -> str:
    return SEVERITY_NAMES.get(severity, severity)


def colour_name(colour: str) -> str:
    return COLOUR_NAMES.get(colour, colour)


POINT_DAY_SUMMARY = "{day} 点位{mn}预警等级{colour}（得分{score}），涉及规则：{rules}。"
ENTERPRISE_DAY_SUMMARY = "{day} 企业{enterprise}预警等级{colour}（得分{score}），涉及点位：{points}。"


TEMPLATES[("Q01_standard_check", "default")] = (
    "规则「{title}」：{start}（北京时间），{factors}标样核查：标样浓度 {standard}，仪器测定 {measured}，相对误差 "
    "{error}%，超出 HJ 355-2019 规定的 ±{tolerance}% 允许范围。标样核查不合格时，自上次合格核查以来的数据应视为"
    "无效，并应核实仪器是否被人为调整。"
)

# --- R06, R11, R12, R13, R15, R17, R18, R19 (appended; same conventions as TEMPLATES above) ---
TEMPLATES.update(
    {
        ("R06_parameter_deviation", "default"): _PREFIX
        + "动态管控上传的{factors}仪器参数「{param}」（{info_id}）为{uploaded}，与备案值{filed}不一致{ratio_text}，"
        "自{changed}起持续至{until}。{reasons}调阅现场参数与备案材料是否一致是现场检查的要点（检查要点第6条），"
        "擅自修改斜率、截距、量程等参数可直接改变监测结果，属于篡改监测数据的手段。",
        ("R11_flow_manipulation", "zero"): _PREFIX
        + "{factors}连续{minutes}分钟为零（或接近零），而同期生产设施用电{prod}千瓦（运行阈值{prod_on}千瓦），说明生产处于运行状态。"
        "生产时排水（排气）流量不应为零，提示流量计被断开、旁路或数据被篡改，以少报排放量。",
        ("R11_flow_manipulation", "flat"): _PREFIX
        + "{factors}连续{count}个有效值完全相同（均为{value}），持续{minutes}分钟，而同期生产设施用电{prod}千瓦显示生产运行。"
        "真实流量应随生产波动，生产期间流量长时间不变提示流量数据被固定或设置。{calibration}",
        ("R11_flow_manipulation", "cou_mismatch"): _PREFIX
        + "{factors}瞬时流量与累计流量（Cou）不符：共{count}个数据的累计量与“瞬时流量×时长”之比为本点位常态的{ratio_pct}%，"
        "偏差超过{tolerance}%（例如{example_time}瞬时流量{value}、累计量{cou}）。两者由同一流量计得出，应当一致，不一致提示其中之一被篡改。",
        ("R11_flow_manipulation", "ratio_collapse"): _PREFIX
        + "{factors}与生产设施用电之比降至前{baseline_days}天基线的{ratio_pct}%（阈值{threshold_pct}%），持续{hours}小时，"
        "同期生产用电{prod}千瓦未相应下降。生产未减而排放流量骤减，提示流量被旁路、暗管偷排或流量数据被调低。{calibration}",
        ("R12_bunching", "default"): _PREFIX
        + "{factors}有效小时值中，落在排放限值（{limit}）下方10%区间[{low}, {limit})内的有{below}个，"
        "而上方10%区间({limit}, {high}]内仅{above}个；按限值两侧分布拟合，下方区间预计约{expected}个，超出{excess_pct}%（z={z}）。"
        "数据在限值下方异常堆积（贴限排放），提示数据可能被压低至限值以下。贴限运行也可能是合法的精细调控，本规则仅作为辅助线索。",
        ("R12_bunching", "ceiling"): _PREFIX
        + "{factors}在连续{days}天的{n}个小时值中，有{k}个（{share_pct}%）落在排放限值（{limit}）下方10%区间[{low}, {limit})内，"
        "而本点位此前自身的{pre_n}个小时值{pre_source}中只有{pre_pct}%落在该区间，为其{ratio}倍（二项检验P={tail}）；"
        "同期超过限值的仅{above}个，最大值{vmax}。浓度在几天内突然密集地贴在限值下方、几乎不再超过限值，"
        "呈现被人为截顶（压到限值以下）的特征。{edges}贴限运行也可能是合法的精细调控，须结合工况和其他规则核实。",
        ("R13_digit_test", "last_digit"): _PREFIX
        + "{factors}{kind}{count}个有效值的末位数字（分辨率{resolution}）分布明显不均匀（卡方{chi2}，p={p}，效应量{effect}），"
        "出现最多的数字为{top}（占{top_pct}%，均匀分布应为10%）。真实仪器读数的末位数字近似均匀分布，"
        "末位数字偏好提示数据可能经人工录入或编造。此为统计线索，需结合其他规则判断。",
        ("R13_digit_test", "heaping"): _PREFIX
        + "{factors}{kind}{count}个有效值中末位为0或5的占{heap_pct}%（分辨率{resolution}，均匀分布应为20%，p={p}），"
        "存在取整堆积。仪器自动采集的数据不应偏好整数或半整数，取整堆积提示数据可能被人工修改或编造。此为统计线索，需结合其他规则判断。",
        ("R15_door_camera_correlation", "default"): _PREFIX
        + "站房发生{events}，前后{slack}分钟内没有运维记录{night_text}。{shift_text}"
        "无运维记录的开门、摄像头转动或视频中断，{why}",
        ("R17_replay", "identical"): _PREFIX
        + "{factors}{kind}共{count}个数据与{lag}天前同一时段（{source_start}至{source_end}）的数据完全相同"
        "（相同比例{same_pct}%）。真实监测数据不可能逐点重复，提示数据是复制、回放的历史数据，而非实时监测结果。",
        ("R17_replay", "near_identical"): _PREFIX
        + "{factors}{kind}共{count}个数据与{lag}天前同一时段（{source_start}至{source_end}）的数据几乎一致："
        "相关系数{corr}（阈值{corr_threshold}），均方根偏差仅为均值的{dist_pct}%（阈值{dist_threshold}%）。"
        "不同日期的真实数据不会如此吻合，提示数据是对历史数据稍加扰动后的复制、回放。{calibration}",
        ("R18_hourly_mismatch", "hour"): _PREFIX
        + "{factors}共{count}个小时的上报小时值与该小时有效分钟数据的均值不符（超出修约容差），"
        "例如{example_time}上报{reported}，而{n_valid}个有效分钟数据均值为{expected}（{direction}{diff_pct}%）{limit_text}。"
        "小时值应由分钟数据计算得出，不一致提示小时数据在数采仪或传输环节被改写。",
        ("R18_hourly_mismatch", "day"): _PREFIX
        + "{factors}共{count}天的上报日均值与当日有效小时值的均值不符（超出修约容差），"
        "例如{example_time}上报{reported}，而{n_valid}个有效小时值均值为{expected}（{direction}{diff_pct}%）{limit_text}。"
        "日均值应由小时数据计算得出，不一致提示日数据被改写。",
        ("R20_flat_while_working", "default"): _PREFIX
        + "{factors}{kind}连续{count}个有效值完全相同（均为{value}），持续{hours}小时，是本点位自身正常数据中95%分位持续时长"
        "（{p95}分钟，即分析仪测量周期和数据保持造成的正常重复）的{multiple}倍；而同期{wc}在{wc_min}至{wc_max}之间变化"
        "（变化幅度为中位数的{spread}%），生产处于运行状态。真实的污染物浓度随负荷、流量等工况变化，"
        "工况明显波动时监测值不可能长时间一成不变，提示数采仪输出被固定、设置了数据保持或采样被替换。{no_falsifier}",
        ("R19_three_way_mismatch", "default"): _PREFIX
        + "{factors}{kind}三方比对不一致：{pairs}。{odd_text}例如{example_time}：{example}。"
        "自动监测设备、数采仪和监控平台的数据应当完全一致（检查要点第5条三方比对），不一致说明数据在传输或存储环节被篡改。",
    }
)


# --- Running screening: CLI, runs, API (service.py, cli.py, api.py) ---
NO_READINGS = "测量数据库中没有读数，无法确定筛查时段；请先导入或接收数据，或用 --from/--to 指定时段。"
BAD_TIME = "无法识别的时间：{value}（应为 ISO 8601，例如 2024-05-06T08:00 或 2024-05-06T08:00+08:00；不带时区按北京时间）"
BAD_WINDOW = "筛查时段无效：开始时间 {start} 不早于结束时间 {end}"
UNKNOWN_POINTS = "以下点位在测量数据库中没有数据，也未在登记信息中：{mns}"
EMPTY_POINTS = "--points 中没有点位编号（MN）"
BAD_WORKERS = "--workers 必须为 1 到 64 之间的整数，当前为 {value}"
FINDING_NOT_FOUND = "筛查线索不存在：{id}"
RUN_NOT_FOUND = "筛查批次不存在：{id}"
BAD_SEVERITY = "未知的严重程度：{value}（应为 low、medium 或 high）"
RUN_SUMMARY = "筛查批次 {id}（{mode}）：时段 {start} 至 {end}，点位 {points} 个，读数 {readings} 条，线索 {findings} 条（新增 {new} 条）"
FINDING_VIEW_SUMMARY = "查看筛查线索 {id}：点位 {mn}，规则 {rule}"
RUN_REQUEST_SUMMARY = "发起人工筛查：时段 {start} 至 {end}，点位 {points}"
NO_FINDINGS = "未发现疑似问题。"
TABLE_HEADERS = ("点位MN", "因子", "规则", "开始时间", "结束时间", "严重程度", "得分", "规则名称")
TABLE_FOOTER = "共 {n} 条线索；筛查点位 {points} 个，读数 {readings} 条，用时 {seconds:.1f} 秒。"
MODE_NAMES: dict[str, str] = {
    "manual": "人工发起",
    "cli": "命令行",
    "incremental": "增量筛查",
    "full": "全量巡查",
}
RECORD_RULE_TITLES: dict[str, str] = {"Q01_standard_check": "标准样品核查超出允许误差"}
NAV_FINDINGS = "筛查线索"
PAGE_FINDINGS = "筛查线索"
PAGE_FINDING = "筛查线索 #{id}"
RUN_STARTED = "已发起筛查批次 {id}，完成后刷新本页查看结果。"
RUN_NEEDS_BOTH = "请同时填写开始日期和结束日期，或都不填（筛查最近 24 小时）。"


# --- Evidence fusion (scoring.py, evidence.py): which evidence set a point-day's colour ---
FAMILY_NAMES: dict[str, str] = {
    "concentration": "浓度特征",
    "working_condition": "工况与流量",
    "data_chain": "数据传输链",
    "records": "运维、门禁与参数记录",
    "statistical": "统计检验",
}
STANDALONE_WHY: dict[str, str] = {
    "R02": "生产设施用电显示运行期间监测值为零或负值",
    "R04": "接近限值的测量周期后加测复测并骤降（有多余测量周期或门禁事件）",
    "R06": "仪器参数与备案值不一致",
    "R08": "上报折算浓度与计算结果不符，或同一计量负荷下氧含量升高、实测浓度同比下降而折算浓度不变（掺风）",
    "R10": "生产设施运行（或持续排水）而治理设施停运（或标记停运）",
    "R11": "生产设施运行期间流量为零",
    "R16": "超过限值的读数被标记为校准/维护/故障而隐藏",
    "R17": "整日数据与此前某日完全相同",
    "R18": "小时值掩盖了其分钟数据显示的超标",
    "R19": "上游超标数据到平台时低于限值",
    "R20": "生产用电大幅波动期间监测值连续数小时完全不变",
}
BASIS_TEXTS: dict[str, str] = {
    "standalone": "定级依据：{rules}单条证据具有物理确定性（{why}），可单独定为红色。",
    "corroborated": "定级依据：{n}类相互独立的证据相互印证（{families}：{rules}），定为红色。",
    "single_family": "定级依据：当日证据仅来自「{families}」一类（{rules}），得分虽达红色，"
    "但缺少独立证据印证，定为黄色。",
    "statistical_only": "定级依据：仅有统计检验类线索（{rules}），只提示关注，不单独定为红色。",
    "attention": "定级依据：{families}证据（{rules}）达到黄色。",
    "below_threshold": "定级依据：当日线索（{rules}）权重未达黄色。",
    "adjusted_cap": "定级依据：证据得分达到红色，但经审核批准的调整规定{rules}在本点位最高定为黄色"
    "（此前该规则在本点位的预警多次未查实），且其余证据不足以定为红色，定为黄色。",
}


def family_name(family: str) -> str:
    return FAMILY_NAMES.get(family, family)


def basis_text(basis: str, **fields: Any) -> str:
    return BASIS_TEXTS[basis].format(**fields)


# --- Per-point calibration (calibration.py, profile.py): what a calibrated level was derived from ---
STATISTIC_NAMES: dict[str, str] = {
    "identical_run_hours": "每日最长恒值持续时间",
    "common_drop_ratio": "各因子同步下降至基线的比例",
    "night_day_ratio": "夜间与白天中位数之比",
    "gap_rate": "每个有效值之后出现缺失的概率",
    "collapse_ratio": "每日连续测量周期相对此前常态水平的最深回落比例",
    "spike_ratio": "每日首个超标周期之后连续周期相对该峰值的最深回落比例",
    "zero_run_hours": "每日最长零值或负值持续时间",
    "replay_distance": "每日与前1至7天同一时段数据的最小均方根偏差（相对均值）",
    "band_share": "限值下方10%区间内小时值占比",
    "pile_share": "每日限值下方区间内同一数值所占比例的最大值",
    "flat_run_minutes": "每日生产期间流量最长恒值持续时间",
    "flow_power_ratio": "每日流量与生产用电之比相对前7天基线的最深持续回落比例",
}
CALIBRATED = (
    "判定阈值{level}{unit}为该点位自身标定值：取自该点位{h0}至{h1}的数据（{n}个标定单元），"
    "{statistic}在误报预算{budget}下的分位数为{q}{unit}，物理界限{floor}{unit}{ceiling}，规则默认值{default}{unit}。"
)
UNCALIBRATED = "判定阈值为规则默认值{default}{unit}（该点位尚无历史标定）。"


def _num(x: float | None) -> str:
    if x is None:
        return "无"
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def calibration_text(level: CalibratedLevel | None, unit: str, default: float) -> str:
    """One Chinese sentence: the level compared against and the history it came from."""
    if level is None:
        return UNCALIBRATED.format(default=_num(default), unit=unit)
    return CALIBRATED.format(
        level=_num(level.level),
        unit=unit,
        h0=level.history[0][:16].replace("T", " "),
        h1=level.history[1][:16].replace("T", " "),
        n=level.n,
        statistic=STATISTIC_NAMES.get(level.statistic, level.statistic),
        budget=_num(level.budget),
        q=_num(level.quantile),
        floor=_num(level.floor),
        ceiling="" if level.ceiling is None else f"，上限{_num(level.ceiling)}{unit}",
        default=_num(level.default),
    )


def around_text(before: str | None, after: str | None) -> str:
    """The valid values around a flagged run, as R16 cites them (empty when there are none)."""
    parts = [f"标记前{before}" if before is not None else "", f"标记后{after}" if after is not None else ""]
    text = "、".join(p for p in parts if p)
    return f"，高于标记前后的有效数据（{text}）" if text else ""


R01_ALONE = "同期本点位其他因子没有同样的恒值，单一仪器卡滞或数采仪重复上一数值也会如此，此项仅作提示（请核查仪器状态）。"
R01_ALONE_NEVER = (
    "同期本点位其他因子没有同样的恒值，但该点位历史数据中从未出现过如此长的恒值，不符合该仪器自身的表现。"
)
R01_ALONE_STICKY = (
    "同期本点位其他因子没有同样的恒值，且该点位历史数据中每日最长恒值已达{hours}小时（按误报预算取的分位数）："
    "该仪器本身就会较长时间输出同一数值（如输出步长较粗而工况平稳），此项仅作提示（请核查仪器状态）。"
)
R03_PILE_HABIT = (
    "本次筛查时段内其余{days}天中有{alike}天同样在该区间内同一数值上堆积（仪器按粗步长输出"
    "或工况稳定于设定值时常见），此项仅作提示。"
)
R03_COARSE_BAND = (
    "但该因子输出步长为{step}，限值下方区间[{low}, {limit})内只有约{n}个可能读数：工况平稳时当日读数本就集中在"
    "少数几个数值上，其中之一成为当日最高值并不足为证，此项仅作提示。"
)
R03_HELD_UNIT = "测量结果（该分析仪每个结果保持一个测量周期，按测量次数计）"
R17_LOAD_REPEATS = (
    "但同期生产用电与该日同一时段同样几乎一致（均方根偏差为均值的{load_pct}%）：机组按相同的调度重复运行，"
    "数据相似可由工况重复解释（回放数采仪数据不会同时回放独立的用电监控数据），此项仅作提示。"
)
R17_OTHER_NOT_COPIED = (
    "但同一时段该点位的{other}与其{lag}天前同一时段的数据并不一致（均方根偏差为均值的{other_pct}%）："
    "回放数采仪数据会同时复制所有因子，只有{factor}相似说明是工况平稳所致，此项仅作提示。"
)
R04_NOTCH = (
    "低值之后的第一个周期即回到{back}，与超标前水平{level}相当：向采样杯注水只拉低被测的那几个周期，"
    "排放本身并未改变（真实的超标消退会停在新的较低水平）"
)
R04_NOT_RECOVERED = (
    "期间{factors}虽也有变化，但{back_time}起浓度已回到{back}时{factors}仍未恢复：来水本身的变化（暴雨稀释、停产等）"
    "会同时作用于所有仪表并持续到其结束，不能解释本仪器单独、短暂的低值"
)
R01_UNSHARED = "同期本点位其他因子没有同样的恒值，且"
NO_FALSIFIER_ABOVE_LIMIT = "该恒值不低于排放限值{limit}：数值偏高对排污单位不利，更像仪器卡滞或饱和，此项仅作提示（请核查仪器状态）。"
NO_FALSIFIER_ABOVE_HISTORY = (
    "该恒值高于该点位历史最大值{maximum}：数值偏高对排污单位不利，更像仪器卡滞或超量程饱和，"
    "此项仅作提示（请核查仪器状态）。"
)
R02_NEW_NEGATIVES = (
    "数据未标记停运（F；其中{hours}个小时出现负值，而该点位历史数据中从未出现负值，历史最小值为{minimum}，"
    "仪器此前从未读出低于零的数值）"
)
R02_USUAL_RUN = "；但该点位自身历史中排放时也出现过如此长的零值（{calibration}），此项仅作提示"
R02_BELOW_STEP = (
    "；但该因子输出步长为{step}，本时段有效值中位数仅{median}（不超过{k}个步长），"
    "零值可能只是低于一个输出步长的读数，此项仅作提示"
)
R02_ONE_STEP = (
    "；但该因子输出步长为{step}，本时段{share}%的正值读数仅为一个步长，"
    "零值可能只是再低一个步长的读数，此项仅作提示"
)
R02_ONE_STEP_AROUND = (
    "；但该因子输出步长为{step}，零值之前的读数为{before}、之后为{after}（均仅一个步长），"
    "零值只是再低一个步长的读数，此项仅作提示"
)
R02_FIRST_ZEROS_WINDOW = (
    "数据未标记停运（F），该点位尚无历史标定，但本次筛查时段内其余{days}天的数据从未出现零值或负值，"
    "最小值为{minimum}，如此长的零值不符合该仪器自身的表现"
)
R02_NEW_NEGATIVES_WINDOW = (
    "数据未标记停运（F；其中{hours}个小时出现负值，该点位尚无历史标定，但本次筛查时段内其余{days}天的数据从未出现负值，"
    "最小值为{minimum}，仪器此前从未读出低于零的数值）"
)
NO_FALSIFIER_FAR_BELOW_LIMIT = (
    "该因子历史最大值{maximum}仅为排放限值{limit}的{share}%："
    "其数据从未接近限值，冻结数值并不能帮助规避超标，更像仪器卡滞或探头污堵，此项仅作提示（请核查仪器状态）。"
)
NO_FALSIFIER_BUT = "但"
R12_EDGE_DAYS = "前后相邻的{n}天单日也显著密集贴限（单日二项检验P≤{max_p}），一并计入该时段。"
R12_WITH_HISTORY = "（本次筛查时段内此前数据不足，含该点位{h0}至{h1}的历史标定数据）"
R12_WITH_AFTER = "（该时段之前的有效数据不足，含本点位在该时段之后的数据）"
R08_RAMPS = "时段含前后氧含量升降过程（氧含量仍比本点位{proxy}自身的正常氧含量高出{level}个百分点以上，即判定氧含量偏高所需升幅的一半）。"
R02_CAUGHT_UP = (
    "；但零值之后{hours}小时内流量在平时水平之上多出约{excess}，不少于零值期间按平时水平应有的{missed}："
    "被截留的水量随后已计入流量，更像泵站停泵后补抽，少报流量并不能由此实现，此项仅作提示"
)
R09_ALL_HIGH = "本月{n}次中断全部发生在浓度达到限值{bracket}%以上之后，浓度较低时从未中断。"
R01_WINDOW_LEVEL = (
    "判定阈值为校准下限{hours}小时（该点位尚无历史标定，以本次筛查时段内该仪器自身的数据判定）。"
)
R01_ALONE_WINDOW = (
    "同期本点位其他因子没有同样的恒值；该点位尚无历史标定，但本次筛查时段内其余{days}天该因子最长恒值"
    "仅{hours}小时，如此长的恒值不符合该仪器自身的表现。"
)
R01_ALONE_LONG = (
    "同期本点位其他因子没有同样的恒值，但持续时间达到该点位标定阈值的{ratio}倍，远超其历史上出现过的恒值。"
)


def r01_shared_text(codes: list[str]) -> str:
    """R01: the other factors frozen over the same run (several analysers do not stick at once)."""
    return f"同期{'、'.join(factor_name(c) for c in codes)}也保持恒值：多台仪器不会同时卡滞，数采仪输出被固定或采样管挂瓶才会如此。"


# Evidence of a finding, as a reader sees it: every key a rule writes, named in Chinese.
EVIDENCE_LABELS: dict[str, str] = {
    "after": "之后",
    "alpha": "显著性水平",
    "association": "关联",
    "band": "波动区间",
    "baseline_days": "基线天数",
    "baseline_ratio": "基线比值",
    "before": "之前",
    "calibration": "校准",
    "chi2": "卡方统计量",
    "comparison": "比对",
    "cou": "累计流量",
    "count": "数量",
    "data_kind": "数据类型",
    "day": "日期",
    "detection_limit": "检出限",
    "digit_counts": "末位数字计数",
    "effect_w": "效应量",
    "events": "事件",
    "examples": "示例",
    "exceed_fraction": "超标比例",
    "flags": "数据标记",
    "flow_mean": "平均流量",
    "gap_starts": "缺数开始时间",
    "heaping_p_value": "堆积检验显著性",
    "heaping_share": "堆积占比",
    "hours": "小时数",
    "level": "水平",
    "limit": "限值",
    "max": "最大值",
    "median_under_flag": "标记期间中位数",
    "min": "最小值",
    "min_effect": "最小效应量",
    "min_gaps": "最少缺数次数",
    "min_hours": "最少小时数",
    "min_runs": "最少连续段数",
    "minutes": "分钟数",
    "missing_flags": "缺失标记",
    "month": "月份",
    "om_feed": "运维记录",
    "operating_basis": "生产判定依据",
    "own_q99": "自身99分位数",
    "p_value": "显著性概率",
    "pattern_since": "模式开始时间",
    "production_kw": "生产设施功率（kW）",
    "production_on_kw": "生产运行功率阈值（kW）",
    "range": "量程",
    "range_high": "量程上限",
    "rate_high": "高值比例",
    "rate_low": "低值比例",
    "ratio": "比值",
    "ratio_drop": "比值降幅",
    "ratio_in_window": "时段内比值",
    "ratio_mean": "平均比值",
    "relative": "相对偏差",
    "resolution": "分辨率",
    "rows": "数据行数",
    "run_starts": "连续段开始时间",
    "runs": "连续段",
    "runs_after_high": "高值后连续段",
    "runs_after_low": "低值后连续段",
    "scheduled_cycles_per_hour": "每小时计划测量次数",
    "share": "占比",
    "slack_minutes": "容差分钟数",
    "threshold": "阈值",
    "threshold_cycles": "次数阈值",
    "threshold_hours": "小时数阈值",
    "threshold_minutes": "分钟数阈值",
    "threshold_share": "占比阈值",
    "threshold_slack_minutes": "容差分钟数阈值",
    "time": "时间",
    "times": "时间",
    "tolerance": "容差",
    "usual_ratio": "平常比值",
    "valid_count": "有效数据数",
    "value": "数值",
    "values": "数值",
    "values_high": "高值",
    "values_low": "低值",
    "window": "时段",
    "factor": "因子",
    "code": "因子",
    "start": "开始时间",
    "end": "结束时间",
    "mean": "平均值",
    "median": "中位数",
    "std": "标准差",
}
_EVIDENCE_WORDS = {True: "是", False: "否", None: "无"}


def _evidence_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _EVIDENCE_WORDS[value]
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return FACTOR_NAMES.get(value) or KIND_NAMES.get(value) or value
    if isinstance(value, dict):
        return "；".join(f"{evidence_label(str(k))}：{_evidence_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        shown = [_evidence_value(v) for v in value[:20]]
        more = f" 等共 {len(value)} 项" if len(value) > 20 else ""
        return "、".join(shown) + more
    return str(value)


def evidence_label(key: str) -> str:
    """The Chinese name of an evidence key (a factor code is named as a factor)."""
    if key in EVIDENCE_LABELS:
        return EVIDENCE_LABELS[key]
    if key in FACTOR_NAMES:
        return factor_name(key)
    return key


def evidence_lines(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's evidence as (Chinese label, readable value) rows, for pages and the evidence PDF."""
    return [(evidence_label(str(k)), _evidence_value(v)) for k, v in evidence.items()]


# Chinese names of rule parameters a "参数调整" can override (any field of a rule's parameter model except
# ``enabled``); the pages show these instead of the codes, others as 「规则参数（代码）」.
RULE_PARAM_FALLBACK = "规则参数（{code}）"
RULE_PARAM_NAMES = {
    "high_ratio": "判为高等级所需的持续时长倍数",
    "notch_ratio": "缺口低值占此前水平比例上限",
    "notch_return_fraction": "缺口后回到此前水平的比例",
    "episode_gap_hours": "合并为同一事件的最大间隔（小时）",
    "zero_min_rows": "零值最少数据个数",
    "calibrated_ceiling_minutes": "标定阈值上限（分钟）",
    "drop_ratio": "最小降幅比例",
    "exceed_fraction": "超标判定比例",
    "within_cycles": "回落须在周期数内",
    "max_gap_hours": "最大间隔（小时）",
    "extra_cycles_allowed": "允许额外周期数",
    "co_factor_drop": "其他因子同降比例",
    "storm_flow_rise": "降雨流量增幅",
    "calibration_guard_hours": "校准保护时长（小时）",
    "event_minutes": "门禁视频事件时间窗（分钟）",
    "rebound_fraction": "回升比例",
    "rebound_within": "回升须在数值个数内",
    "require_rebound_on_hourly": "小时数据须回升",
    "baseline_hours": "基线时长（小时）",
    "night_ratio": "夜间比例",
    "flow_keep": "流量保持比例",
    "production_keep": "生产保持比例",
    "ratio_tolerance": "比值容差",
    "min_factors": "最少因子数",
    "min_hours": "最少小时数",
    "min_minutes": "最少分钟数",
    "min_values": "最少数值个数",
    "min_coverage": "最低数据覆盖率",
    "lookback_hours": "回看时长（小时）",
    "window_hours": "时间窗（小时）",
    "slope_low": "斜率下限",
    "slope_high": "斜率上限",
    "rel_tolerance": "相对容差",
    "tolerance": "容差",
    "high_error": "高误差限",
    "om_slack_minutes": "运维记录宽限（分钟）",
    "work_start_hour": "上班时间（时）",
    "work_end_hour": "下班时间（时）",
    "night_start_hour": "夜间开始（时）",
    "night_end_hour": "夜间结束（时）",
    "on_fraction": "运行判定比例",
    "off_fraction": "停运判定比例",
    "on_floor_kw": "运行功率下限（kW）",
    "align_minutes": "对齐时间窗（分钟）",
    "max_value": "最大值",
    "min_operating_share": "最低运行占比",
    "zero_fraction": "零值判定比例",
    "zero_minutes": "零值持续（分钟）",
    "ratio_drop": "比值降幅",
    "alpha": "显著性水平",
    "min_gap_hours": "最短缺失时长（小时）",
    "pattern_ratio": "规律性比例",
    "o2_margin": "氧含量余量",
    "conc_drop": "浓度降幅",
    "identical_share": "相同值占比",
    "min_corr": "最低相关系数",
    "clip_share": "截顶占比",
    "pile_share": "堆积占比",
    "min_identical_hours": "最少相同值小时数",
    "min_identical_cycles": "最少相同值周期数",
    "hold_multiple": "保持倍数",
    "heaping_share": "尾数堆积占比",
    "shift_ratio": "偏移比例",
    "cluster_minutes": "聚集时间窗（分钟）",
    "slack_minutes": "宽限（分钟）",
    "enabled": "启用",
    "min_steps_above_zero": "相同值最低水平（分辨率步数）",
    "band_fraction": "窄幅波动占量程比例",
    "band_hours": "窄幅波动持续（小时）",
    "dl_multiple": "检出限倍数",
    "dl_hours": "检出限附近持续（小时）",
    "own_variability_fraction": "自身波动占比上限",
    "dl_min_typical_multiple": "检出限检查最低常态倍数",
    "calibrated_floor_hours": "校准下限（小时）",
    "calibrated_floor_values": "校准下限（数值个数）",
    "calibrated_ceiling_hours": "校准上限（小时）",
    "alone_ratio": "单因子相同值倍数",
    "clue_score": "线索评分",
    "shared_overlap": "多因子同时相同占比",
    "stopped_share": "停运时段占比",
    "calibrated_margin_hours": "校准余量（小时）",
    "min_unflagged": "最少未标记超量程数值个数",
    "clip_min_count": "截顶最少个数",
    "pile_low_fraction": "堆积区间下限比例",
    "pile_min_count": "堆积最少个数",
    "one_step_share": "正值读数为一个输出步长的比例达到该值时，零值视为低于步长的读数",
    "pile_max_above": "堆积值须为当日顶部：高于堆积值的数据占当日比例上限",
    "collapse_cycles": "骤降周期数",
    "collapse_exceed_fraction": "骤降起点超标比例",
    "collapse_ratio": "骤降近零比例",
    "spike_ratio": "峰值后骤降比例上限",
    "spike_floor_ratio": "峰值后骤降比例校准下限",
    "calibrated_pile_margin": "限值下方堆积比例校准余量",
    "window_pile_days": "无历史标定时判定为该点位常态堆积所需的其余天数比例",
    "window_min_days": "无历史标定时以筛查时段自身判定所需的最少其余天数",
    "spike_back_multiple": "骤降后数值回升判定倍数（相对骤降后最高值）",
    "co_collapse_ratio": "其他因子同步骤降比例",
    "stop_flow_fraction": "停排流量比例",
    "max_collapse_cycles": "骤降最长周期数",
    "level_cycles": "基准水平周期数",
    "calibrated_floor_ratio": "校准比例下限",
    "calibrated_ceiling_ratio": "校准比例上限",
    "calibrated_margin": "校准余量系数",
    "min_quanta": "近零区间最少量化步数",
    "factors": "参与判定的因子",
    "operating_flow_fraction": "运行流量比例",
    "min_rows_per_period": "每时段最少有效小时数",
    "not_running_share": "停运或启动时段占比",
    "slope_info_ids": "斜率参数编码",
    "step_ratio": "阶跃变化比例",
    "step_window_hours": "阶跃比较时间窗（小时）",
    "default_cycle_minutes": "默认测量周期（分钟）",
    "zs_rel_tolerance": "折算浓度相对容差",
    "zs_abs_tolerance": "折算浓度绝对容差（mg/m3）",
    "o2_max_valid": "氧含量有效上限（%）",
    "o2_quantile": "氧含量分位数（已停用）",
    "o2_mad_multiple": "氧含量偏离倍数（稳健标准差）",
    "load_tolerance": "负荷容差（已停用）",
    "condition_bin": "工况分档宽度",
    "max_explained_share": "工况解释比例",
    "edge_hours": "起止比较时长（小时）",
    "proportion_tolerance": "同比例变化容差",
    "bracket_fraction": "缺失前后数值占限值比例",
    "scan_fraction": "检验缺失与浓度关联的最低浓度（占限值比例）",
    "alpha_strong": "强显著性水平",
    "cluster_hours": "缺失合并间隔（小时）",
    "pattern_min_gaps": "每月规律性缺失最少次数",
    "flat_minutes": "流量不变最短时长（分钟）",
    "flat_min_rows": "流量不变最少数值个数",
    "cou_tolerance": "排放量与流量比值容差",
    "cou_min_minutes": "排放量不符最短时长（分钟）",
    "ratio_baseline_days": "流量产能比基线天数",
    "ratio_min_hours": "比值骤降最短时长（小时）",
    "ratio_min_baseline_hours": "基线最少运行小时数",
    "band": "限值附近区间宽度（占限值）",
    "bin_width": "直方图分组宽度（占限值）",
    "fit_span": "拟合区间宽度（占限值）",
    "degree": "拟合多项式次数",
    "min_below": "限值下方最少数值个数",
    "min_excess": "限值下方超出预期比例",
    "min_z": "最低泊松显著度",
    "min_share_ratio": "限值下方与上方数量比",
    "ceiling_days": "压线检查窗口（天）",
    "ceiling_min_share": "压线最低占比",
    "ceiling_min_ratio": "压线占比相对历史倍数",
    "ceiling_max_p": "压线显著性概率上限",
    "ceiling_day_max_p": "压线相邻单日并入的显著性概率上限",
    "ceiling_max_above": "压线窗口超标占比上限",
    "ceiling_min_pre_hours": "压线历史最少小时数",
    "min_span_units": "数值跨度最少分辨率步数",
    "finest_resolution": "最细分辨率",
    "min_units": "参与检验最少分辨率步数",
    "min_effect": "最低效应量",
    "dominant_share": "分辨率判定占比",
    "shift_window_hours": "前后比较时间窗（小时）",
    "pattern_min_runs": "规律性最少标记次数",
    "max_calibration_minutes_gas": "废气校准最长时长（分钟）",
    "max_calibration_minutes_water": "废水校准最长时长（分钟）",
    "min_distinct_raw": "标记期间最少不同数值个数",
    "min_raw_minutes": "标记期间实测最短时长（分钟）",
    "flow_baseline_hours": "流量基线时长（小时）",
    "min_negative_hours": "判定为新出现负值所需的最少含负值小时数",
    "catchup_hours": "零流量后补排的核查时长（小时）",
    "catchup_share": "补排水量占零流量期间应有水量的最低比例",
    "catchup_baseline_hours": "平时流量水平的统计时长（小时）",
    "catchup_start_hours": "补排须开始的时限（小时）",
    "catchup_rise": "补排开始时流量相对平时水平的倍数",
    "motive_fraction": "单因子恒值需历史最大值达到限值的比例",
    "coarse_score": "粗步长堆积的评分",
    "min_band_values": "限值下方区间至少应容纳的读数个数（按输出步长）",
    "sticky_fraction": "历史恒值达到校准下限的比例（视为易卡滞仪器）",
    "window_ratio": "以筛查时段代替历史判定零值时所需的持续时长倍数",
    "window_history_days": "无历史标定时以筛查时段自身判定所需的最少天数",
    "min_base_steps": "因子基线至少应为输出步长的倍数",
    "below_step_score": "低于输出步长零值的评分",
    "min_level_steps": "零值作为证据所需的中位数最少输出步长数",
    "window_max_held_share": "无历史标定时按连续仪器判定的重复值占比上限",
    "window_max_run_cycles": "无历史标定时保持型分析仪其余数据最长重复周期数上限",
    "stand_out": "标记期间数值突出倍数",
    "own_change_share": "标记期间数值变化频率占比",
    "skip_om_check_without_records": "无运维记录时跳过核对",
    "lag_days": "比对前移天数",
    "max_distance": "最大差异（占均值）",
    "min_std_steps": "最小波动（分辨率步数）",
    "calibrated_floor": "校准差异下限",
    "min_distinct": "最少不同数值个数",
    "other_not_copied": "其他因子未复制判定倍数",
    "explained_score": "自身已有解释的线索评分",
    "min_bits": "完全相同序列最少信息量（比特）",
    "min_valid_minutes": "有效小时最少分钟数",
    "min_valid_hours": "有效日最少小时数",
    "resolution_multiple": "修约容差（分辨率步数）",
    "min_periods": "最少不一致时段数",
    "compare_flags": "比对数据标记",
    "min_cycles": "最少测量周期数",
    "min_wc_spread": "工况最小变化幅度",
    "strong_wc_spread": "强证据工况变化幅度",
    "strong_hold_multiple": "强证据持续倍数",
    "min_runs": "历史统计最少段数",
}


def rule_param_name(code: str) -> str:
    """A rule parameter's Chinese name; 「规则参数（代码）」 for one without a label."""
    return RULE_PARAM_NAMES.get(code) or RULE_PARAM_FALLBACK.format(code=code)
