"""R19 three-way comparison (三方比对): analyser, data logger and platform must hold the same data."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import polars as pl

from ecosentinel.detection.base import (
    KIND_STEP,
    SEGREGATED_FLAGS,
    PointData,
    PointRule,
    _minute_step,
)
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
        # All factors of the point in one frame (factor, time) x source, instead of one prepared
        # series per source, kind and factor: Python only picks each factor's data kind from a small
        # count table and builds the findings of the days that disagree.
        wanted = {
            code: p
            for code in data.factor_codes({"pollutant", "flow", "auxiliary"})
            if (p := config.params_for(self, data.context, code)).enabled
        }
        if not wanted:
            return []
        # kind by kind (hour first): the minute rows are touched only for factors without hourly copies
        chosen: dict[str, tuple[DataKind, list[str]]] = {}
        prepared: list[pl.DataFrame] = []
        for kind in KIND_ORDER:
            # a factor whose rows of this kind come from one source only cannot be compared at this kind:
            # left out before the preparation (a unique() over every row of the point: on minute data
            # from the platform alone it was most of the rule, 1.4 of 2.1 CPU-s on 32 points x 30 days)
            parts = [
                r
                for c in wanted
                if c not in chosen and (r := data.rows(c, kind)) is not None and _several_sources(r)
            ]
            if not parts:
                continue
            kind_rows = _prepared(pl.concat(parts))
            held_by: dict[str, set[str]] = {}
            valid = kind_rows.filter(pl.col("value").is_not_null()).select("code", "source").unique()
            for code, source in valid.iter_rows():
                held_by.setdefault(code, set()).add(source)
            for code, present in held_by.items():
                if len(present) >= 2:
                    chosen[code] = (kind, [s for s in SOURCES if s in present])
            prepared.append(kind_rows)
            if len(chosen) == len(wanted):
                break
        if not chosen:
            return []
        chosen = {c: chosen[c] for c in wanted if c in chosen}
        rows = pl.concat(prepared)
        pick = pl.DataFrame(
            [(c, k.value, s) for c, (k, srcs) in chosen.items() for s in srcs],
            schema={"code": pl.Utf8, "kind": pl.Utf8, "source": pl.Utf8},
            orient="row",
        )
        rows = rows.join(pick, on=["code", "kind", "source"], how="semi")
        tol: dict[str, float] = {}
        for (code, _source), part in (
            rows.filter(pl.col("value").is_not_null())
            .partition_by("code", "source", as_dict=True, include_key=False)
            .items()
        ):
            res = resolution_of(part["value"])
            tol[str(code)] = max(tol.get(str(code), 0.0), res)
        for code in chosen:
            tol[code] = wanted[code].resolution_multiple * tol.get(code, 0.0)
        limits = pl.DataFrame(
            {
                "code": list(chosen),
                "_tol": [tol[c] for c in chosen],
                "_rel": [wanted[c].rel_tolerance for c in chosen],
                "_flags": [wanted[c].compare_flags for c in chosen],
            },
            schema={"code": pl.Utf8, "_tol": pl.Float64, "_rel": pl.Float64, "_flags": pl.Boolean},
        )
        wide = (
            rows.pivot(on="source", index=["code", "time"], values=["value", "flag"], aggregate_function=None)
            .rename(lambda c: c.replace("value_", "v_", 1).replace("flag_", "f_", 1))
            .with_columns(
                *(pl.lit(None, dtype=pl.Float64).alias(f"v_{s}") for s in SOURCES if s not in rows["source"]),
                *(pl.lit(None, dtype=pl.Utf8).alias(f"f_{s}") for s in SOURCES if s not in rows["source"]),
            )
            .join(limits, on="code", how="left")
        )
        pairs_all = list(itertools.combinations(SOURCES, 2))
        bad_cols = []
        for a, b in pairs_all:
            va, vb = pl.col(f"v_{a}"), pl.col(f"v_{b}")
            value_bad = (va - vb).abs() > pl.col("_tol") + pl.col("_rel") * pl.max_horizontal(
                va.abs(), vb.abs()
            )
            both = pl.col(f"f_{a}").is_not_null() & pl.col(f"f_{b}").is_not_null()
            flag_bad = pl.col("_flags") & both & (pl.col(f"f_{a}") != pl.col(f"f_{b}"))
            bad_cols.append((value_bad.fill_null(False) | flag_bad.fill_null(False)).alias(f"bad_{a}_{b}"))
        bad = (
            wide.with_columns(bad_cols)
            .filter(pl.any_horizontal([pl.col(f"bad_{a}_{b}") for a, b in pairs_all]))
            .with_columns(pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"))
            .sort("code", "time")
        )
        if bad.height == 0:
            return []
        by_code = bad.partition_by("code", as_dict=True, include_key=False)
        out: list[Finding] = []
        for code, (kind, srcs) in chosen.items():
            found = by_code.get((code,))
            if found is None:
                continue
            pairs = list(itertools.combinations(srcs, 2))
            step = _step(rows, code, kind, srcs[0])
            limit = data.context.factor(code).limit
            for day_rows in found.partition_by("day", maintain_order=True):
                p = wanted[code]
                out.append(self._finding(code, kind, srcs, pairs, day_rows, step, limit, tol[code], p, data))
        return out

    def _finding(
        self,
        code: str,
        kind: DataKind,
        held: list[str],
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


def _several_sources(rows: pl.DataFrame) -> bool:
    """Whether rows of one factor and data kind (``PointData.rows``: sorted by source) hold at least two
    of the compared sources; the first and last rows answer when they share a source."""
    if rows.height == 0:
        return False
    sources = rows["source"]
    if sources[0] == sources[-1]:
        return False
    return len(set(sources.unique().to_list()) & set(SOURCES)) >= 2


def _prepared(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of the three sources as ``PointData`` prepares a series: one row per time (the last
    received), flag N when absent, value null when flagged C/M/D/F/P/B or NaN."""
    return (
        rows.filter(pl.col("source").is_in(SOURCES))
        .select("code", "kind", "source", "time", "value", pl.col("flag").fill_null("N"))
        .unique(subset=["code", "kind", "source", "time"], keep="last", maintain_order=True)
        .with_columns(
            pl.when(pl.col("flag").is_in(list(SEGREGATED_FLAGS)) | pl.col("value").is_nan())
            .then(None)
            .otherwise(pl.col("value"))
            .alias("value")
        )
    )


def _step(rows: pl.DataFrame, code: str, kind: DataKind, source: str) -> dt.timedelta | None:
    """The grid step of one source's series, as ``PointData`` gives it (minute data: the median step)."""
    if kind is DataKind.MINUTE:
        times = rows.filter((pl.col("code") == code) & (pl.col("source") == source))["time"].sort()
        return _minute_step(times)
    return KIND_STEP.get(kind.value)


def _odd_one_out(sources: list[str], disagree: list[tuple[str, str]]) -> str | None:
    """With three sources, the one in every disagreeing pair while the other two agree."""
    if len(sources) != 3 or len(disagree) != 2:
        return None
    common = set(disagree[0]) & set(disagree[1])
    return common.pop() if len(common) == 1 else None
