"""R15 door and camera events with no O&M record, and level shifts around them (门禁、视频与运维关联)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, factor_role
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import EventType
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import factor_name
from ecosentinel.detection.rules._common import fmt, pct
from ecosentinel.readings import CST, DataKind

SUSPECT_EVENTS = {
    EventType.DOOR_OPEN.value: "站房门被打开",
    EventType.CAMERA_MOVED.value: "摄像头被转动",
    EventType.CAMERA_OFFLINE.value: "摄像头离线",
    EventType.VIDEO_LOST.value: "视频信号丢失",
}
"""Event types that start an episode, with their Chinese description (part of this rule's text)."""
CAMERA_EVENTS = frozenset(
    {EventType.CAMERA_MOVED.value, EventType.CAMERA_OFFLINE.value, EventType.VIDEO_LOST.value}
)
CLOSING_EVENTS = frozenset({EventType.DOOR_CLOSE.value, EventType.CAMERA_ONLINE.value})
"""Event types that end an episode (the door closed, the camera back): part of it, never its start."""


class DoorCameraParams(RuleParams):
    """Thresholds of R15 (research notes §1 R15 and R5(d))."""

    slack_minutes: float = 30.0
    """[P] research notes R15: an O&M record within ±30 min covers an event; a level shift within
    ±30 min corroborates it."""
    cluster_minutes: float = 60.0
    """[P] events closer than this belong to one episode (door open, door close, camera moved)."""
    night_start_hour: int = 22
    """[P] night, China Standard Time (as R05): weighted higher."""
    night_end_hour: int = 6
    shift_ratio: float = 0.5
    """[P] a level shift: median after / median before <= 0.5 or >= 2 (the R04/R05 drop ratio)."""
    shift_window_hours: float = 2.0
    """[P] medians over this many hours before the episode (minus slack) and after it (plus slack)."""
    min_values: int = 2
    """Each median needs at least this many valid values."""


class DoorCameraRule(PointRule[DoorCameraParams]):
    """Catches someone working on the station unseen (无运维记录进入站房、遮挡或转动摄像头): the station-room
    door opened, the camera turned away, taken offline or its video lost, with no O&M record within
    ±30 min; stronger at night and when the data shift level around it (the sampling tube switched to a
    tap-water hose at night with the camera turned away).

    Source: seed 004 (Jiaxing: a dyeing plant that switched the sampling tube to tap water at night and
    turned the camera away; 2,600 cameras and door access on the platform); research notes R15 (temporal
    join of change points with door / PTZ / video-loss events and O&M tickets; ±30 min; higher at night;
    CN110245880A). One finding per episode of events; its window runs from the first suspect event to the
    episode's last event, so it ends when the door was closed or the camera came back (when that follows
    within ``cluster_minutes``). The level shift is looked for in every pollutant and flow series (flagged
    rows are missing: a calibration is not a shift).
    """

    code = "R15_door_camera_correlation"
    title_zh = "门禁视频异常无运维记录"
    title_en = "Door or camera event with no O&M record"
    params_model = DoorCameraParams

    def detect(self, data: PointData, params: DoorCameraParams, config: ScreeningConfig) -> list[Finding]:
        ctx = data.context
        events = ctx.events.filter(pl.col("type").is_in([*SUSPECT_EVENTS, *CLOSING_EVENTS])).sort("time")
        if events.height == 0:
            return []
        cluster = dt.timedelta(minutes=params.cluster_minutes)
        slack = dt.timedelta(minutes=params.slack_minutes)
        clusters: list[list[tuple[dt.datetime, str]]] = []
        for t, ty in events.select("time", "type").iter_rows():
            if clusters and t - clusters[-1][-1][0] <= cluster:
                clusters[-1].append((t, ty))
            else:
                clusters.append([(t, ty)])
        out = []
        for events_of in clusters:
            # an episode starts at its first suspect event (a door closing before it ended an earlier visit);
            # a cluster of closing events alone is no episode
            first = next((i for i, (_, ty) in enumerate(events_of) if ty in SUSPECT_EVENTS), None)
            if first is None:
                continue
            ep = events_of[first:]
            start, end = ep[0][0], ep[-1][0]
            records = ctx.om_overlapping(start, end, slack)
            if records.height:
                continue
            out.append(self._finding(data, params, ep, start, end, slack))
        return out

    def _finding(
        self,
        data: PointData,
        p: DoorCameraParams,
        ep: list[tuple[dt.datetime, str]],
        start: dt.datetime,
        end: dt.datetime,
        slack: dt.timedelta,
    ) -> Finding:
        types = sorted({ty for _, ty in ep})
        night = any(_is_night(t, p) for t, ty in ep if ty in SUSPECT_EVENTS)
        camera = any(ty in CAMERA_EVENTS for ty in types)
        shifts = self._shifts(data, p, start, end, slack)
        score = round(
            0.3 + (0.15 if camera else 0.0) + (0.15 if night else 0.0) + (0.35 if shifts else 0.0), 4
        )
        # an event alone is a weak clue: cameras drop offline and doors open for ordinary reasons (the
        # simulated clean stations' camera outages made 0.9 % of clean point-days yellow when an event
        # with no shift was medium); only a level shift across the episode makes it medium or high
        if not shifts:
            severity = Severity.LOW
        elif score >= 0.7:
            severity = Severity.HIGH
        else:
            severity = Severity.MEDIUM
        factors = sorted(shifts)
        shift_text = ""
        if shifts:
            parts = [
                f"{factor_name(c)}由{fmt(v['before'])}变为{fmt(v['after'])}（为原来的{pct(v['ratio'])}%）"
                for c, v in sorted(shifts.items())
            ]
            shift_text = f"事件前后{fmt(p.slack_minutes)}分钟内监测数据发生突变：" + "，".join(parts) + "。"
        evidence: dict[str, Any] = {
            "window": [iso(start), iso(end)],
            "events": [{"time": iso(t), "type": ty} for t, ty in ep],
            "night": night,
            "camera_event": camera,
            "om_records": 0,
            "level_shifts": shifts,
            "threshold": {
                "slack_minutes": p.slack_minutes,
                "shift_ratio": p.shift_ratio,
                "night_hours": [p.night_start_hour, p.night_end_hour],
            },
            "comparison": "suspect event with no O&M record within slack; level shift across the episode",
        }
        return self.finding(
            data.context,
            factors=factors,
            start=start,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            events="、".join(
                f"{cst_text(t)}{SUSPECT_EVENTS.get(ty, ty)}" for t, ty in ep if ty in SUSPECT_EVENTS
            ),
            slack=fmt(p.slack_minutes),
            night_text="，且发生在夜间（22时至次日6时）" if night else "",
            shift_text=shift_text,
            why=(
                f"同时数据发生突变，符合{'夜间' if night else ''}将采样管转接自来水"
                "并转动摄像头以逃避监控的造假特征。"
                if shifts
                else "提示有人在无人监督的情况下进入站房或遮挡监控，应调取视频并核实。"
            ),
        )

    def _shifts(
        self, data: PointData, p: DoorCameraParams, start: dt.datetime, end: dt.datetime, slack: dt.timedelta
    ) -> dict[str, dict[str, Any]]:
        w = dt.timedelta(hours=p.shift_window_hours)
        out: dict[str, dict[str, Any]] = {}
        for code in data.factor_codes({"pollutant", "flow"}):
            s = data.series(code, (DataKind.MINUTE, DataKind.HOUR))
            if s is None:
                continue
            v = s.valid
            before = v.filter(pl.col("time").is_between(start - slack - w, start - slack, closed="left"))
            after = v.filter(pl.col("time").is_between(end + slack, end + slack + w, closed="left"))
            if before.height < p.min_values or after.height < p.min_values:
                continue
            b, a = before["value"].median(), after["value"].median()
            if not isinstance(b, float) or not isinstance(a, float) or b <= 0:
                continue
            ratio = a / b
            if ratio <= p.shift_ratio or ratio >= 1 / p.shift_ratio:
                out[code] = {"before": round(b, 4), "after": round(a, 4), "ratio": round(ratio, 4)}
        # a swapped sample tube or a bottle changes what the analysers read; flow shifting alone is the
        # production starting or stopping (measured on the simulated clean stations: a day-shift plant's
        # flow rising ninefold at 09:00 during a camera outage made a clean day yellow)
        if not any(factor_role(c, data.context) == "pollutant" for c in out):
            return {}
        return out


def _is_night(t: dt.datetime, p: DoorCameraParams) -> bool:
    h = t.astimezone(CST).hour
    return h >= p.night_start_hour or h < p.night_end_hour
