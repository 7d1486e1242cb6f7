"""R06 instrument parameters differing from the filed values (参数设置与备案不一致, 动态管控)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import factor_name
from ecosentinel.detection.rules._common import fmt, pct
from ecosentinel.protocol.hj212.codes import INFO_IDS
from ecosentinel.readings import CST, DataKind


class ParameterDeviationParams(RuleParams):
    """Thresholds of R06 (research notes §1 R6; MEP 2012 field guide §7.2 "仪器参数设置异常" [V])."""

    slope_info_ids: tuple[str, ...] = ("i13008",)
    """InfoIds of the calibration slope (斜率; HJ 212-2017 dynamic-control parameter codes)."""
    slope_low: float = 0.9
    """[P] research notes R6: slope outside 0.9-1.1 (as a ratio to the filed slope) is high priority."""
    slope_high: float = 1.1
    rel_tolerance: float = 1e-6
    """Numbers equal within this relative tolerance are the same value (text is compared exactly)."""
    om_slack_minutes: float = 60.0
    """[P] an O&M record or a C/M flag on the factor within this many minutes covers a change."""
    work_start_hour: int = 8
    """[P] working hours (China Standard Time) for O&M work; changes outside weigh more."""
    work_end_hour: int = 18
    step_ratio: float = 0.2
    """[P] a step: the median after the change differs from the median before by this share."""
    step_window_hours: float = 6.0
    """[P] medians over this many hours before and after the change."""
    default_cycle_minutes: float = 60.0
    """One measuring cycle when the factor's cycles per hour are not known (hourly data)."""


@dataclass(frozen=True, slots=True)
class _Episode:
    pol_id: str
    info_id: str
    filed: str
    uploaded: str
    first: dt.datetime
    last: dt.datetime
    until: dt.datetime | None
    """Time of the first later upload back at the filed value (None: still deviating)."""
    count: int


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _same(a: str, b: str, rel: float) -> bool:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return abs(x - y) <= rel * max(1.0, abs(x), abs(y))
    return a.strip() == b.strip()


class ParameterDeviationRule(PointRule[ParameterDeviationParams]):
    """Catches tampering with the analyser's parameters (篡改仪器参数): slope, intercept, range,
    digestion temperature and time, measuring interval and other i13xxx parameters that dynamic control
    (动态管控, CN 3020) uploads, compared with the values filed with the bureau (备案参数).

    Source: seed 003 (dynamic control: real-time upload of operating, calibration, standard-sample check
    and work parameters); seed 000 point 6 (调阅现场参数设置，看与备案材料是否一致); MEP 2012 guide §7.2;
    research notes R6. Any upload that differs from the filed value in force is a finding (review).
    It weighs more when the slope moves outside 0.9-1.1 of the filed slope (high), when no O&M record
    or C/M flag on the factor covers the change, when the change happens outside working hours, and
    when the factor's data step within one measuring cycle of the change.
    """

    code = "R06_parameter_deviation"
    title_zh = "仪器参数与备案不一致"
    title_en = "Instrument parameters differ from the filed values"
    params_model = ParameterDeviationParams

    def detect(
        self, data: PointData, params: ParameterDeviationParams, config: ScreeningConfig
    ) -> list[Finding]:
        ctx = data.context
        uploads = ctx.parameter_uploads.filter(pl.col("value").is_not_null()).sort("time")
        filed = ctx.filed_parameters.filter(pl.col("value").is_not_null()).sort("time")
        if uploads.height == 0 or filed.height == 0:
            return []
        out: list[Finding] = []
        for (pol_id, info_id), ups in uploads.group_by("pol_id", "info_id", maintain_order=True):
            pol, info = str(pol_id or ""), str(info_id)
            p = config.params_for(self, ctx, pol or None)
            if not p.enabled:
                continue
            fil = filed.filter((pl.col("pol_id").fill_null("") == pol) & (pl.col("info_id") == info))
            if fil.height == 0:
                continue
            for ep in self._episodes(pol, info, ups, fil, p):
                out.append(self._finding(ep, p, data))
        return out

    def _episodes(
        self, pol: str, info: str, ups: pl.DataFrame, fil: pl.DataFrame, p: ParameterDeviationParams
    ) -> list[_Episode]:
        filed_rows = list(fil.select("time", "value").iter_rows())
        episodes: list[_Episode] = []
        current: dict[str, Any] | None = None
        for t, value in ups.select("time", "value").iter_rows():
            # a filing without a date counts as always in force
            in_force = [v for ft, v in filed_rows if ft is None or ft <= t]
            if not in_force:
                continue  # nothing filed yet at that time
            ref = in_force[-1]
            if _same(value, ref, p.rel_tolerance):
                if current is not None:
                    episodes.append(_Episode(pol, info, until=t, **current))
                    current = None
                continue
            if current is not None and _same(value, current["uploaded"], p.rel_tolerance):
                current["last"], current["count"] = t, current["count"] + 1
                continue
            if current is not None:
                episodes.append(_Episode(pol, info, until=t, **current))
            current = {"filed": ref, "uploaded": value, "first": t, "last": t, "count": 1}
        if current is not None:
            episodes.append(_Episode(pol, info, until=None, **current))
        return episodes

    def _finding(self, ep: _Episode, p: ParameterDeviationParams, data: PointData) -> Finding:
        ctx = data.context
        t = ep.first
        slack = dt.timedelta(minutes=p.om_slack_minutes)
        new, old = _number(ep.uploaded), _number(ep.filed)
        ratio = new / old if new is not None and old not in (None, 0.0) else None
        slope_out = ep.info_id in p.slope_info_ids and (
            ratio is None or not p.slope_low <= ratio <= p.slope_high
        )
        records = ctx.om_overlapping(t, t, slack)
        flags = self._flags_near(data, ep.pol_id, t, slack)
        covered = records.height > 0 or bool(flags)
        local = t.astimezone(CST)
        off_hours = not p.work_start_hour <= local.hour < p.work_end_hour
        step = self._step(data, ep.pol_id, t, p)
        score = 0.35
        reasons: list[str] = []
        if slope_out:
            score += 0.35
            reasons.append(
                f"斜率为备案值的{pct(ratio)}%，超出{fmt(p.slope_low)}～{fmt(p.slope_high)}倍范围"
                if ratio is not None
                else "斜率无法与备案值比较"
            )
        if covered:
            score -= 0.1
            reasons.append("修改前后有运维记录或校准/维护标记")
        else:
            score += 0.15
            reasons.append(f"修改前后{fmt(p.om_slack_minutes)}分钟内既无运维记录也无校准/维护标记")
        if off_hours:
            score += 0.1
            reasons.append(f"修改发生在非工作时间（北京时间{local:%H:%M}）")
        if step is not None:
            score += 0.2
            reasons.append(
                f"修改后一个测量周期内{factor_name(ep.pol_id)}数据由{fmt(step['before'])}变为{fmt(step['after'])}"
                f"（变化{pct(abs(step['after'] / step['before'] - 1))}%）"
            )
        score = round(score, 4)
        if slope_out or score >= 0.7:
            severity = Severity.HIGH
        elif score >= 0.5:
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW
        end = ep.until or ep.last
        name = INFO_IDS.get(ep.info_id, ep.info_id)
        evidence: dict[str, Any] = {
            "window": [iso(t), iso(end)],
            "pol_id": ep.pol_id or None,
            "info_id": ep.info_id,
            "parameter": name,
            "filed": ep.filed,
            "uploaded": ep.uploaded,
            "ratio_to_filed": None if ratio is None else round(ratio, 6),
            "uploads": ep.count,
            "first_upload": iso(ep.first),
            "last_upload": iso(ep.last),
            "restored": None if ep.until is None else iso(ep.until),
            "slope_outside_band": slope_out,
            "om_records": records.height,
            "flags_near": flags,
            "outside_working_hours": off_hours,
            "data_step": step,
            "threshold": {
                "slope_band": [p.slope_low, p.slope_high],
                "om_slack_minutes": p.om_slack_minutes,
                "working_hours": [p.work_start_hour, p.work_end_hour],
                "step_ratio": p.step_ratio,
            },
            "comparison": "uploaded parameter != filed parameter in force at the upload time",
        }
        return self.finding(
            ctx,
            factors=[ep.pol_id] if ep.pol_id else [],
            start=t,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            param=name,
            info_id=ep.info_id,
            uploaded=ep.uploaded,
            filed=ep.filed,
            ratio_text=f"（为备案值的{pct(ratio)}%）" if ratio is not None else "",
            changed=cst_text(t),
            until=f"{cst_text(ep.until)}恢复备案值" if ep.until else "最后一次上传" + cst_text(ep.last),
            reasons=("；".join(reasons) + "。") if reasons else "",
        )

    def _flags_near(self, data: PointData, code: str, t: dt.datetime, slack: dt.timedelta) -> list[str]:
        if not code or code not in data.codes:
            return []
        rows = data.frame.filter(
            (pl.col("code") == code)
            & pl.col("time").is_between(t - slack, t + slack)
            & pl.col("flag").is_in(["C", "M"])
        )
        return sorted(set(rows["flag"].to_list()))

    def _step(
        self, data: PointData, code: str, t: dt.datetime, p: ParameterDeviationParams
    ) -> dict[str, Any] | None:
        """Medians before and after the change when the first cycle after it already shows a step."""
        if not code or code not in data.codes:
            return None
        s = data.series(code, (DataKind.MINUTE, DataKind.HOUR))
        if s is None:
            return None
        cph = data.context.factor(code).cycles_per_hour
        cycle = dt.timedelta(minutes=60 / cph if cph else p.default_cycle_minutes)
        w = dt.timedelta(hours=p.step_window_hours)
        v = s.valid
        before = v.filter(pl.col("time").is_between(t - w, t, closed="left"))["value"]
        first_after = v.filter(pl.col("time").is_between(t, t + cycle + (s.step or dt.timedelta(0))))
        after = v.filter(pl.col("time").is_between(t, t + w, closed="left"))["value"]
        if before.len() < 2 or after.len() < 2 or first_after.height == 0:
            return None
        b, a = before.median(), after.median()
        first = float(first_after["value"][0])
        if not isinstance(b, float) or not isinstance(a, float) or b == 0:
            return None
        if abs(a / b - 1) < p.step_ratio or abs(first / b - 1) < p.step_ratio:
            return None
        return {
            "before": round(b, 4),
            "after": round(a, 4),
            "first_after": {"time": iso(first_after["time"][0]), "value": first},
            "cycle_minutes": cycle.total_seconds() / 60,
        }
