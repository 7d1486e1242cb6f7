"""R19 three-way comparison (三方比对): analyser, data logger and platform must hold the same data."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, Series
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import kind_name
from ecosentinel.detection.rules._common import fmt
from ecosentinel.detection.rules.r13_digit_test import resolution_of
from ecosentinel.readings import CST, DataKind, Source

SOURCES = (Source.ANALYSER.value, Source.LOGGER.value, Source.PLATFORM.value)
SOURCE_NAMES = {
    Source.ANALYSER.value: "自动监测设备（分析仪）",
    Source.LOGGER.value: "数采仪",
    Source.PLATFORM.value: "监控平台",
}
"""Chinese names of the three sources (kept here: they are part of this rule's explanation)."""
KIND_ORDER = (DataKind.HOUR, DataKind.MINUTE, DataKind.DAY, DataKind.RTD)


class ThreeWayParams(RuleParams):
    """Thresholds of R19 (seed 000 point 5; no official numeric tolerance exists, research notes §2)."""

    rel_tolerance: float = 0.01
    """[P] values may differ by this share (on top of rounding): transmission must be lossless."""
    resolution_multiple: float = 1.0
    """Rounding tolerance in steps of the coarser source's reporting resolution."""
    compare_flags: bool = True
    """A differing data flag (N at the analyser, C on the platform) is a mismatch too."""


class ThreeWayMismatchRule(PointRule[ThreeWayParams]):
    """Catches data altered between the analyser and the platform (数采仪或传输环节篡改数据): for the same
    factor, data kind and time, the values (or flags) kept by the analyser, the data logger and the
    platform disagree.

    Source: seed 000 point 5 (核对自动监控设备、数采仪及市监控中心平台三方数据是否一致); BRIEF line 2;
    seed 002 (原始数据直传). Per factor, the first data kind held by at least two sources (hour, minute,
    day, real-time) is compared row by row on equal timestamps; rows missing or segregated in a source
    are not compared by value. One finding per factor and China-Standard-Time day, naming every pair
    that disagrees and, when two sources agree, the odd one out.
    """

    code = "R19_three_way_mismatch"
    title_zh = "三方比对不一致"
    title_en = "Analyser, logger and platform disagree"
    params_model = ThreeWayParams

    def detect(self, data: PointData, params: ThreeWayParams, config: ScreeningConfig) -> list[Finding]:
        out: list[Finding] = []
        for code in data.factor_codes({"pollutant", "flow", "auxiliary"}):
            p = config.params_for(self, data.context, code)
            if not p.enabled:
                continue
            for kind in KIND_ORDER:
                held = {
                    src: s
                    for src in SOURCES
                    if (s := data.series(code, [kind], source=src)) is not None and s.n_valid
                }
                if len(held) >= 2:
                    out.extend(self._compare(code, kind, held, p, data))
                    break
        return out

    def _compare(
        self, code: str, kind: DataKind, held: dict[str, Series], p: ThreeWayParams, data: PointData
    ) -> list[Finding]:
        wide: pl.DataFrame | None = None
        for src, s in held.items():
            part = s.frame.select(
                "time", pl.col("value").alias(f"v_{src}"), pl.col("flag").alias(f"f_{src}")
            ).filter(pl.col(f"f_{src}").is_not_null())
            wide = part if wide is None else wide.join(part, on="time", how="full", coalesce=True)
        assert wide is not None
        res = max(resolution_of(s.valid["value"]) for s in held.values())
        tol = p.resolution_multiple * res
        pairs = list(itertools.combinations(held, 2))
        bad_cols = []
        for a, b in pairs:
            va, vb = pl.col(f"v_{a}"), pl.col(f"v_{b}")
            value_bad = (va - vb).abs() > tol + p.rel_tolerance * pl.max_horizontal(va.abs(), vb.abs())
            both = pl.col(f"f_{a}").is_not_null() & pl.col(f"f_{b}").is_not_null()
            flag_bad = both & (pl.col(f"f_{a}") != pl.col(f"f_{b}"))
            bad = value_bad.fill_null(False) | (flag_bad if p.compare_flags else pl.lit(False))
            bad_cols.append(bad.alias(f"bad_{a}_{b}"))
        wide = wide.with_columns(bad_cols).with_columns(
            pl.any_horizontal([pl.col(f"bad_{a}_{b}") for a, b in pairs]).alias("bad"),
            pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"),
        )
        rows = wide.filter(pl.col("bad")).sort("time")
        if rows.height == 0:
            return []
        step = held[next(iter(held))].step
        limit = data.context.factor(code).limit
        out = []
        for day_rows in rows.partition_by("day", maintain_order=True):
            out.append(self._finding(code, kind, held, pairs, day_rows, step, limit, tol, p, data))
        return out

    def _finding(
        self,
        code: str,
        kind: DataKind,
        held: dict[str, Series],
        pairs: list[tuple[str, str]],
        rows: pl.DataFrame,
        step: dt.timedelta | None,
        limit: float | None,
        tol: float,
        p: ThreeWayParams,
        data: PointData,
    ) -> Finding:
        counts = {f"{a}-{b}": int(rows[f"bad_{a}_{b}"].sum()) for a, b in pairs}
        disagree = [(a, b) for a, b in pairs if counts[f"{a}-{b}"]]
        odd = _odd_one_out(list(held), disagree)
        start = rows["time"][0]
        end = rows["time"][-1] + (step or dt.timedelta(0))
        srcs = list(held)
        example = rows.row(0, named=True)
        lower_downstream = 0
        hidden = 0
        if odd is not None:
            # The analyser's own record is the upstream truth; the altered copy is the odd one, or the
            # logger's when the analyser is the odd one (logger and platform agree on a rewritten value).
            up, down = Source.ANALYSER.value, odd if odd != Source.ANALYSER.value else Source.LOGGER.value
            diff = rows.select((pl.col(f"v_{down}") - pl.col(f"v_{up}")).alias("d"))["d"]
            lower_downstream = int((diff < 0).sum())
            if limit is not None:
                hidden = int(rows.filter((pl.col(f"v_{down}") < limit) & (pl.col(f"v_{up}") >= limit)).height)
        if hidden:
            severity, score = Severity.HIGH, 0.9
        elif odd is not None:
            severity, score = Severity.HIGH, 0.75 + 0.15 * min(1.0, rows.height / 12)
        else:
            severity, score = Severity.MEDIUM, 0.5 + 0.2 * min(1.0, rows.height / 12)
        pairs_text = "；".join(
            f"{SOURCE_NAMES[a]}与{SOURCE_NAMES[b]}有{counts[f'{a}-{b}']}个数据不一致" for a, b in disagree
        )
        odd_text = ""
        if odd is not None:
            odd_text = (
                f"数采仪与监控平台一致，但与{SOURCE_NAMES[odd]}的原始记录不符，数据在数采仪环节被改变"
                if odd == Source.ANALYSER.value
                else f"其余两方数据一致，差异出在{SOURCE_NAMES[odd]}一方"
            )
            odd_text += f"，其中{lower_downstream}个数据低于分析仪记录" if lower_downstream else ""
            odd_text += f"，{hidden}个数据由超标变为达标" if hidden else ""
            odd_text += "。"
        example_text = "，".join(
            f"{SOURCE_NAMES[s]}{fmt(example[f'v_{s}']) if example[f'v_{s}'] is not None else '无有效值'}"
            f"（标记{example[f'f_{s}'] or '无'}）"
            for s in srcs
        )
        evidence: dict[str, Any] = {
            "window": [iso(start), iso(end)],
            "data_kind": kind.value,
            "sources": srcs,
            "pair_mismatches": counts,
            "odd_source": odd,
            "lower_downstream": lower_downstream,
            "hidden_exceedances": hidden,
            "limit": limit,
            "rows": [
                {"time": iso(r["time"]), **{s: {"value": r[f"v_{s}"], "flag": r[f"f_{s}"]} for s in srcs}}
                for r in rows.head(48).iter_rows(named=True)
            ],
            "threshold": {"abs": tol, "rel": p.rel_tolerance, "compare_flags": p.compare_flags},
            "comparison": "|a - b| > abs + rel x max(|a|, |b|) or flag_a != flag_b, same time",
        }
        return self.finding(
            data.context,
            factors=[code],
            start=start,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            kind=kind_name(kind.value),
            pairs=pairs_text,
            odd_text=odd_text,
            example_time=cst_text(example["time"]),
            example=example_text,
        )


def _odd_one_out(sources: list[str], disagree: list[tuple[str, str]]) -> str | None:
    """With three sources, the one in every disagreeing pair while the other two agree."""
    if len(sources) != 3 or len(disagree) != 2:
        return None
    common = set(disagree[0]) & set(disagree[1])
    return common.pop() if len(common) == 1 else None
