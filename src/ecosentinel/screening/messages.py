# ruff: noqa: E501  (Chinese templates are wide; splitting them mid-sentence hurts review)
"""Every Chinese text the screening area shows to users: explanations, colours, factor names.

Templates are ``str.format`` strings keyed by (rule code, variant). Each explanation says which rule
fired, on what window (China Standard Time) and which values, and why that is suspicious. Fields
always available: ``title``, ``start``, ``end``, ``factors``; the rest come from the rule.
"""

from __future__ import annotations

from typing import Any

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
    "正常排放的监测数据应随工况波动，长时间恒值提示采样管插入清水或标液瓶（挂瓶）、数采仪输出被固定或设置了数据保持。",
    ("R01_constant_value", "identical_cycles"): _PREFIX
    + "{factors}分析仪连续{count}个测量周期结果完全相同（均为{value}），达到{threshold}个周期的判定阈值。"
    "实际废水浓度不可能在多个周期内保持不变，提示采样管被插入清水或标液（挂瓶）。",
    ("R01_constant_value", "narrow_band"): _PREFIX
    + "{factors}在{hours}小时内最大值与最小值之差仅为{band}，不超过量程（{span}）的{fraction}%，"
    "持续时间超过{threshold}小时。《污染源自动监控设施现场监督检查技术指南》将“数据长期在量程2%范围内变化”列为不正常运行情形。",
    ("R01_constant_value", "near_detection_limit"): _PREFIX
    + "{factors}连续{hours}小时的有效值均不高于检出限（{dl}）的{k}倍（最大值{vmax}），超过{threshold}小时的判定阈值。"
    "数据长期在检出限附近波动是技术指南列出的不正常运行情形，提示采样被干扰或监测数据被稀释。",
    ("R02_zero_negative", "default"): _PREFIX
    + "{factors}连续{count}个有效值为零或负值（最小值{vmin}），而{operating}，说明生产处于运行状态。"
    "生产运行时污染物浓度不应为零或负值，提示分析仪被干扰、采样中断或数据被篡改。",
    ("R03_over_range", "unflagged_over_range"): _PREFIX
    + "{factors}有{count}个数据达到或超过量程上限（{range_high}，最大值{vmax}），却未按标准标记为T（超测上限）。"
    "超量程数据应如实标记，未标记的平顶数据提示量程设置或数据被人为截断。",
    ("R03_over_range", "pile_below_limit"): _PREFIX
    + "{factors}当日{count}个有效值（占{share}%）恰好等于同一数值{value}，该值位于排放限值（{limit}）之下的{low_pct}%～100%区间。"
    "监测数据在限值下方同一数值上大量堆积，提示数据被人为设置或截顶以规避超标。",
    ("R03_over_range", "clipped_at_range"): _PREFIX
    + "{factors}有{count}个数据恰好等于量程上限{range_high}（占有效值{share}%）。数据在量程上限处平顶，"
    "说明真实浓度可能超出量程而未被如实记录，或量程设置不当。",
    ("R04_post_exceedance_drop", "drop"): _PREFIX
    + "{factors}在{peak_time}的测量结果为{peak}，达到排放限值（{limit}）的{peak_pct}%，"
    "随后{drop_time}的结果骤降至{after}（仅为前值的{ratio_pct}%）{extra}。"
    "超标后紧接着浓度突降，{why}，符合在取样杯内注水并重新启动测量以拉低小时均值的造假特征。",
    ("R04_post_exceedance_drop", "extra_cycles"): _PREFIX
    + "{factors}在该小时内分析仪完成了{count}次测量，多于备案的每小时{scheduled}次（允许上限{allowed}次）。"
    "计划外的加测提示有人手动触发重新测量以替换不利结果。",
    ("R05_dilution", "step"): _PREFIX
    + "{factors}同时下降至前24小时基线的{ratio_pct}%左右（各因子比例分别为{ratios}），各因子之间的比值基本不变，{flow_text}。"
    "各污染物按同一倍数同步下降是样品被清水稀释的特征（如采样管转接自来水、私设暗管注水或挂瓶）{event_text}。",
    ("R05_dilution", "night"): _PREFIX
    + "{factors}夜间（22时至次日6时）中位数仅为白天的{ratio_pct}%左右（各因子比例分别为{ratios}），"
    "比值关系不变，{flow_text}。夜间浓度按同一倍数整体下降而排水量未减，提示夜间采样管被转接至自来水等稀释行为{event_text}。",
    ("R08_o2_dilution", "zs_mismatch"): _PREFIX
    + "{factors}上报的折算浓度与按实测浓度和氧含量重新计算的折算浓度不符：共{count}个数据，"
    "最大偏差{max_diff_pct}%（例如{example_time}实测{measured}、氧含量{o2}%、上报折算{reported}，应为{expected}，"
    "按 C×(21−{ref_o2})/(21−O2) 计算）。折算浓度计算错误提示数据在传输或处理中被篡改。",
    ("R08_o2_dilution", "o2_high"): _PREFIX
    + "氧含量升至{o2_median}%（高于本点位正常时段的{o2_q}%分位值{o2_base}%），{load_text}，"
    "同期{factors}实测浓度为正常时段的{conc_pct}%。氧含量在负荷未变时升高而实测浓度下降，提示向烟道或采样系统掺入空气稀释。",
    ("R09_strategic_gap", "gap"): _PREFIX
    + "{factors}连续{hours}小时无有效数据，缺失前的浓度为{before}，已达排放限值（{limit}）的{pct}%，"
    "缺失期间也没有报备的维护时段。在可能超标时中断数据，提示为规避超标而有意停运或断开监测设备。",
    ("R09_strategic_gap", "pattern"): _PREFIX
    + "{factors}在浓度接近或超过限值（≥{pct}%限值）后出现数据缺失的比例为{p_high}%，"
    "而在低浓度时仅为{p_low}%（{n_high}次对{n_low}次），缺失集中发生在可能超标的时段，呈现策略性缺失特征。",
    ("R10_treatment_off", "treatment_off"): _PREFIX
    + "生产设施用电{prod}千瓦显示生产运行，而治理设施用电仅{treat}千瓦（低于停运阈值{treat_off}千瓦），"
    "持续{minutes}分钟；同期{factors}监测值为{conc}，{conc_text}。治理设施停运时排放数据仍然正常，提示监测数据不真实。",
    ("R10_treatment_off", "declared_stopped"): _PREFIX
    + "{factors}数据被标记为F（停运），但同期生产设施用电{prod}千瓦（高于运行阈值{prod_on}千瓦），"
    "持续{minutes}分钟。标记停运而实际仍在生产（标停未停），提示通过停运标记逃避监管。",
    ("R16_flag_abuse", "flag_near_exceedance"): _PREFIX
    + "{factors}在浓度接近或超过限值（≥{pct}%限值）之后被标记为{flags}的比例为{p_high}%，"
    "而在低浓度时仅为{p_low}%（{n_high}次对{n_low}次）。校准、维护、故障标记集中出现在可能超标的时段，提示借标记掩盖超标数据。",
    ("R16_flag_abuse", "long_calibration"): _PREFIX
    + "{factors}连续{minutes}分钟被标记为C（校准），超过{threshold}分钟的合理校准时长。"
    "校准标记时长远超仪器校准周期，提示借校准标记使超标数据无效。",
    ("R16_flag_abuse", "no_om_record"): _PREFIX
    + "{factors}被标记为{flags}共{minutes}分钟，但前后{slack}分钟内没有对应的运维记录{window_text}。"
    "无运维记录的校准、维护标记不能说明数据无效的理由，提示标记被滥用。",
}


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
