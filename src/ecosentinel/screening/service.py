"""Screening services: run a pass over the store, persist findings and day scores, query them (scoped).

Plain functions over a Session. The enforcement area builds warnings on top of ``list_findings``,
``day_scores`` / ``enterprise_day_scores`` and ``latest_run``. Findings are upserted by fingerprint
(point, rule, start, factor set, the rule's test), so screening the same window twice never duplicates a
finding.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.archive.reader import archive_url
from ecosentinel.audit.service import record
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.database import session_scope
from ecosentinel.detection import messages
from ecosentinel.detection.catalogue import rule_class
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.detection.scoring import cst_days, enterprise_colour, point_day_warnings
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.jobs import JobRunner, Progress
from ecosentinel.readings import CST
from ecosentinel.registry.scope import check_mn, visible_enterprise_ids, visible_mns
from ecosentinel.screening import messages as run_messages
from ecosentinel.screening.adjustments import Adjustment, approved_adjustments
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import ExecutionResult, execute, open_reader
from ecosentinel.screening.executor import Progress as PassProgress
from ecosentinel.screening.models import (
    EnterpriseDayScore,
    PointDayScore,
    RunStatus,
    ScreeningFinding,
    ScreeningPointState,
    ScreeningRun,
)
from ecosentinel.screening.profiles import (
    PROFILE_HISTORY,
    READ_CONTEXT,
    SLICE_LEAD,
    attach_profiles,
    calibration_anchor,
    calibration_slices,
    first_read,
)
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

SEVERITY_RANK: dict[str, int] = {Severity.LOW.value: 1, Severity.MEDIUM.value: 2, Severity.HIGH.value: 3}
DEFAULT_WINDOW = dt.timedelta(hours=24)
EXECUTORS = ("local", "spark")
_IN_CHUNK = 500
_save_lock = threading.Lock()  # one writer of findings/scores per process (scheduler + manual runs)


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; naive values (SQLite hands them back so) are taken as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def fingerprint(finding: Finding) -> str:
    """The upsert key: point, rule, start, factor set and the rule's test (evidence ``kind``); the end may
    grow as more data arrives. Two tests of one rule can open on the same hour and are two findings (R12's
    month test and its ceiling window over the same pile, R09's gap and the pattern placed on that gap):
    keyed without the test, the one saved last replaced the other, and a medium ceiling pile was stored as
    the month test's low clue (measured with ``bench detect-import``: 5 of 21 NO2 piles on Beijing green).
    Migration 0017 re-keys stored findings with this formula. A finding whose reported window can move as
    data arrives (R17's near copy: its best-matching window) names a stable ``key_start`` in its evidence,
    which replaces the start in the key; the stored row then follows the window (``save_findings``)."""
    kind = finding.evidence.get("kind", "default")
    factors = ",".join(sorted(finding.factors))
    key_start = finding.evidence.get("key_start")
    start = utc(dt.datetime.fromisoformat(key_start)) if isinstance(key_start, str) else utc(finding.start)
    key = f"{finding.mn}|{finding.rule}|{start.isoformat()}|{factors}|{kind}"
    return hashlib.sha1(key.encode()).hexdigest()


def rule_title(code: str) -> str:
    """Chinese title of a rule (its code when the rule is no longer registered)."""
    try:
        return rule_class(code).title_zh
    except NotFoundError:
        return messages.RECORD_RULE_TITLES.get(code, code)


def _enterprise_int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def finding_of(row: ScreeningFinding) -> Finding:
    """A stored finding back as the engine's value object."""
    return Finding(
        mn=row.mn,
        rule=row.rule,
        factors=tuple(row.factors),
        start=utc(row.start),
        end=utc(row.end),
        severity=Severity(row.severity),
        score=row.score,
        evidence=json.loads(row.evidence),
        explanation_zh=row.explanation_zh,
    )


# -- window and points ----------------------------------------------------------------------------------


def latest_times(store: MeasurementStore, until: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """Newest reading time per point (any data kind), at or before ``until`` when given."""
    latest = store.latest(until)
    if latest.height == 0:
        return {}
    rows = latest.group_by("mn").agg(pl.col("time").max())
    return {str(mn): utc(t) for mn, t in rows.iter_rows()}


def default_window(
    store: MeasurementStore, span: dt.timedelta = DEFAULT_WINDOW
) -> tuple[dt.datetime, dt.datetime]:
    """The last ``span`` of data present in the store: (newest reading + 1 s - span, newest + 1 s)."""
    latest = latest_times(store)
    if not latest:
        raise NotFoundError(messages.NO_READINGS)
    end = max(latest.values()) + dt.timedelta(seconds=1)
    return end - span, end


def check_window(start: dt.datetime, end: dt.datetime) -> None:
    if start >= end:
        raise ValidationError(
            messages.BAD_WINDOW.format(start=start.isoformat(), end=end.isoformat()), location="window"
        )


# -- runs ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RunOutcome:
    """The result of ``run_screening``: the run id (None when not saved), findings and counts."""

    run_id: int | None
    start: dt.datetime
    end: dt.datetime
    result: ExecutionResult
    contexts: dict[str, PointContext]
    new_findings: int = 0
    updated_findings: int = 0
    seconds: float = 0.0
    watermarks: dict[str, dt.datetime] = field(default_factory=dict)


def create_run(
    session: Session,
    *,
    mode: str,
    triggered_by: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    points: int = 0,
) -> ScreeningRun:
    """Record a new run as running (the caller commits)."""
    run = ScreeningRun(
        mode=mode,
        triggered_by=triggered_by,
        status=RunStatus.RUNNING,
        started_at=dt.datetime.now(dt.UTC),
        window_start=None if start is None else utc(start),
        window_end=None if end is None else utc(end),
        points=points,
        points_done=0,
        readings=0,
        findings=0,
        new_findings=0,
    )
    session.add(run)
    session.flush()
    return run


def run_screening(
    factory: sessionmaker[Session],
    url: str,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    mns: Sequence[str] | None = None,
    workers: int = 1,
    mode: str = "manual",
    principal: Principal = SYSTEM,
    config: ScreeningConfig | None = None,
    save: bool = True,
    store: MeasurementStore | None = None,
    run_id: int | None = None,
    watermarks: Mapping[str, dt.datetime] | None = None,
    chunk_points: int | None = None,
    on_progress: Progress | None = None,
    profile_history: dt.timedelta | None = PROFILE_HISTORY,
    context: dt.timedelta = READ_CONTEXT,
    archive: str | Path | None = None,
    executor: str = "local",
    spark_master: str | None = None,
) -> RunOutcome:
    """Screen ``mns`` (None = every point with readings) over [start, end) (None = last 24 h of data).

    With ``save`` the run is recorded (``run_id`` continues a run created by ``start_background_run``),
    findings are upserted, point/enterprise-day scores recomputed and ``watermarks`` (point -> newest
    screened reading) stored. A failure marks the run failed with the error, then re-raises.

    Each point is calibrated on its own ``profile_history`` before the CST month of ``start``
    (``screening.profiles``; later months of a long window on the history before each month; None
    screens with the rules' documented constants only). The rules also see ``context`` of readings before
    ``start`` (``READ_CONTEXT``: a day compared with the week before it, a run that began earlier), read
    from the start of the CST month in which that context begins (``first_read``: every month judged per
    month is read whole up to the window's end); findings that end before ``start`` are not reported.

    With ``archive`` (a directory) the readings (window and calibration history) come from that Parquet
    archive instead of the store (an ``hdfs://``/``s3a://`` archive is read by Spark only);
    ``executor="spark"`` screens them on Spark (``screening.spark``, master ``spark_master``) and needs
    the archive. ``url`` stays the database of the registry, findings and runs.
    """
    t0 = dt.datetime.now(dt.UTC)
    if executor not in EXECUTORS:
        raise ValidationError(run_messages.BAD_EXECUTOR.format(value=executor), location="executor")
    if executor == "spark" and archive is None:
        raise ValidationError(run_messages.SPARK_NEEDS_ARCHIVE, location="archive")
    # an archive on HDFS or S3 is for Spark alone: the driver's own reads (calibration) use the store
    remote = archive is not None and "://" in str(archive)
    reader_url = url if archive is None or remote else archive_url(Path(archive))
    own_store = store is None
    opened = store or open_reader(reader_url)
    try:
        if start is None or end is None:
            default_start, default_end = default_window(opened)
            start, end = start or default_start, end or default_end
        check_window(start, end)
        if save and run_id is None:
            with session_scope(factory) as session:
                run_id = create_run(
                    session, mode=mode, triggered_by=principal.username, start=start, end=end
                ).id
        try:
            points = sorted(set(mns)) if mns is not None else opened.list_points()
            with session_scope(factory) as session:
                contexts = load_contexts(session, points, first_read(start, context), end)
                if run_id is not None:
                    run = _run(session, run_id)
                    run.points, run.window_start, run.window_end = len(points), utc(start), utc(end)
                adjustments = approved_adjustments(session, points)
            config, contexts = apply_adjustments(config, contexts, adjustments)
            slices = calibration_slices(start, end) if profile_history is not None else [(start, end)]

            def progress(done: int, total: int, k: int = 0) -> None:
                # a run of several months reports its points over all of them
                done, total = k * total + done, len(slices) * total
                if on_progress is not None and total:
                    on_progress(100 * done // total, run_messages.RUN_PROGRESS.format(done=done, total=total))
                if run_id is not None:
                    with session_scope(factory) as s:
                        _run(s, run_id).points_done = done // len(slices)

            result = ExecutionResult()
            for k, (a, b) in enumerate(slices):
                judged = contexts
                if profile_history is not None:
                    # calibrated on the history before the month (the first piece: before its month)
                    anchor = calibration_anchor(a) if k == 0 else a
                    judged = attach_profiles(
                        opened, reader_url, contexts, anchor, config, history=profile_history, after=b
                    )
                # each month with the days before it as context and a few days of the next month, keeping
                # the findings that start in it (the first: that reach into the window, read from the start
                # of the month in which its context begins)
                lo = a - max(context, SLICE_LEAD) if k else first_read(a, context)
                hi = min(end, b + SLICE_LEAD)
                part = _execute(
                    executor,
                    archive,
                    reader_url,
                    points,
                    lo,
                    hi,
                    judged,
                    config=config,
                    workers=workers,
                    store=opened if workers <= 1 else None,
                    spark_master=spark_master,
                    progress=functools.partial(progress, k=k),
                    chunk_points=chunk_points,
                )
                part.findings = [
                    f for f in part.findings if (f.end > start if k == 0 else f.start >= a) and f.start < b
                ]
                result.merge(part)
            outcome = RunOutcome(run_id, start, end, result, contexts, watermarks=dict(watermarks or {}))
            if run_id is not None:
                with _save_lock, session_scope(factory) as session:
                    new, updated = save_findings(
                        session, result.findings, contexts, run_id=run_id, config=config
                    )
                    for mn, until in outcome.watermarks.items():
                        _set_watermark(session, mn, until, run_id)
                    outcome.new_findings, outcome.updated_findings = new, updated
                    run = _run(session, run_id)
                    run.status = RunStatus.SUCCEEDED
                    run.finished_at = dt.datetime.now(dt.UTC)
                    run.points_done = result.points
                    run.readings = result.readings
                    run.findings = len(result.findings)
                    run.new_findings = new
                    record(
                        session,
                        principal,
                        "create",
                        "screening_run",
                        run_id,
                        messages.RUN_SUMMARY.format(
                            id=run_id,
                            mode=messages.MODE_NAMES.get(mode, mode),
                            start=_cst(start),
                            end=_cst(end),
                            points=result.points,
                            readings=result.readings,
                            findings=len(result.findings),
                            new=new,
                        ),
                        {"new_findings": new, "updated_findings": updated, "mode": mode},
                    )
        except Exception as exc:
            if run_id is not None:
                _fail_run(factory, run_id, exc)
            raise
    finally:
        if own_store:
            opened.close()
    outcome.seconds = (dt.datetime.now(dt.UTC) - t0).total_seconds()
    return outcome


def _execute(
    executor: str,
    archive: str | Path | None,
    reader_url: str,
    points: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    *,
    config: ScreeningConfig | None,
    workers: int,
    store: MeasurementStore | None,
    spark_master: str | None,
    progress: PassProgress,
    chunk_points: int | None,
) -> ExecutionResult:
    """One pass of the chosen executor over [start, end)."""
    if executor == "spark":
        from ecosentinel.screening.spark import execute_spark  # pyspark only where it is used

        assert archive is not None
        return execute_spark(
            archive, points, start, end, contexts, config=config, master=spark_master, progress=progress
        )
    kwargs: dict[str, Any] = {} if chunk_points is None else {"chunk_points": chunk_points}
    return execute(
        reader_url,
        points,
        start,
        end,
        contexts,
        config=config,
        workers=workers,
        store=store,
        progress=progress,
        **kwargs,
    )


def apply_adjustments(
    config: ScreeningConfig | None,
    contexts: Mapping[str, PointContext],
    adjustments: Mapping[str, Mapping[str, Adjustment]],
) -> tuple[ScreeningConfig | None, dict[str, PointContext]]:
    """Apply the reviewed and approved rule adjustments (``screening.adjustments``): raised thresholds
    become per-point parameter overrides of the configuration; capped rules may raise yellow at most at
    their point. Nothing else changes a rule's behaviour (no silent re-calibration)."""
    out = dict(contexts)
    points: dict[str, dict[str, dict[str, Any]]] = {}
    for mn, by_rule in adjustments.items():
        capped = frozenset(rule for rule, adj in by_rule.items() if adj.cap_yellow)
        if capped and mn in out:
            out[mn] = replace(out[mn], yellow_capped_rules=capped)
        for rule, adj in by_rule.items():
            if adj.params:
                points.setdefault(mn, {})[rule] = dict(adj.params)
    if not points:
        return config, out
    base = config or ScreeningConfig()
    merged = {mn: dict(rules) for mn, rules in base.points.items()}
    for mn, rules in points.items():
        for rule, params in rules.items():
            merged.setdefault(mn, {})[rule] = {**merged.get(mn, {}).get(rule, {}), **params}
    # a fresh model (not model_copy): the parameter cache of the base configuration must not carry over
    return ScreeningConfig.model_validate({**base.model_dump(), "points": merged}), out


def _fail_run(factory: sessionmaker[Session], run_id: int, exc: BaseException) -> None:
    try:
        with session_scope(factory) as session:
            run = _run(session, run_id)
            run.status = RunStatus.FAILED
            run.finished_at = dt.datetime.now(dt.UTC)
            run.error = f"{type(exc).__name__}: {exc}"[:4000]
    except Exception:  # the database itself may be the problem; the caller logs the original error
        logger.exception("could not record the failure of screening run %s", run_id)


def _run(session: Session, run_id: int) -> ScreeningRun:
    run = session.get(ScreeningRun, run_id)
    if run is None:
        raise NotFoundError(messages.RUN_NOT_FOUND.format(id=run_id))
    return run


def _cst(t: dt.datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def start_background_run(
    runner: JobRunner,
    factory: sessionmaker[Session],
    url: str,
    *,
    principal: Principal,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    mns: Sequence[str] | None = None,
    workers: int = 1,
    mode: str = "manual",
    config: ScreeningConfig | None = None,
    ip: str | None = None,
) -> int:
    """Record a run and queue it on the job runner; returns its id at once (poll ``get_run`` for progress)."""
    if start is not None and end is not None:
        check_window(start, end)
    with session_scope(factory) as session:
        run = create_run(session, mode=mode, triggered_by=principal.username, start=start, end=end)
        run_id = run.id
        record(
            session,
            principal,
            "request",
            "screening_run",
            run_id,
            messages.RUN_REQUEST_SUMMARY.format(
                start=_cst(start) if start else "-",
                end=_cst(end) if end else "-",
                points=",".join(mns) if mns else "全部",
            ),
            {"points": list(mns) if mns else None, "workers": workers},
            ip=ip,
        )

    def work(progress: Progress) -> dict[str, Any]:
        outcome = run_screening(
            factory,
            url,
            start=start,
            end=end,
            mns=mns,
            workers=workers,
            mode=mode,
            principal=principal,
            config=config,
            run_id=run_id,
            on_progress=progress,
        )
        return {
            "run_id": run_id,
            "new_findings": outcome.new_findings,
            "updated_findings": outcome.updated_findings,
        }

    runner.submit("screening", principal.username, work)
    return run_id


# -- persistence -----------------------------------------------------------------------------------------


def save_findings(
    session: Session,
    findings: Sequence[Finding],
    contexts: Mapping[str, PointContext],
    *,
    run_id: int | None,
    config: ScreeningConfig | None = None,
) -> tuple[int, int]:
    """Upsert findings by fingerprint and recompute the day scores they touch; returns (new, updated)."""
    now = dt.datetime.now(dt.UTC)
    by_print: dict[str, Finding] = {}
    for f in findings:
        by_print[fingerprint(f)] = f  # the same fingerprint twice in one pass: keep the last (longest)
    keys = list(by_print)
    existing: dict[str, ScreeningFinding] = {}
    for i in range(0, len(keys), _IN_CHUNK):
        chunk = keys[i : i + _IN_CHUNK]
        for found in session.scalars(
            sa.select(ScreeningFinding).where(ScreeningFinding.fingerprint.in_(chunk))
        ):
            existing[found.fingerprint] = found
    new = updated = 0
    moved: set[tuple[str, dt.date]] = set()
    for key, f in by_print.items():
        evidence = json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str)
        row = existing.get(key)
        if row is None:
            context = contexts.get(f.mn)
            session.add(
                ScreeningFinding(
                    fingerprint=key,
                    mn=f.mn,
                    enterprise_id=_enterprise_int(context.enterprise_id) if context else None,
                    rule=f.rule,
                    factors=sorted(f.factors),
                    start=utc(f.start),
                    end=utc(f.end),
                    severity=f.severity.value,
                    severity_rank=SEVERITY_RANK[f.severity.value],
                    score=f.score,
                    title_zh=rule_title(f.rule),
                    explanation_zh=f.explanation_zh,
                    evidence=evidence,
                    first_run_id=run_id,
                    run_id=run_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            new += 1
            continue
        changed = (
            utc(row.start) != utc(f.start)
            or utc(row.end) != utc(f.end)
            or row.severity != f.severity.value
            or abs(row.score - f.score) > 1e-12
            or row.evidence != evidence
            or row.explanation_zh != f.explanation_zh
        )
        row.run_id = run_id
        if changed:
            if (utc(row.start), utc(row.end)) != (utc(f.start), utc(f.end)):
                # days the row covered before and may no longer cover are scored again
                moved |= {(row.mn, d) for d in cst_days(utc(row.start), utc(row.end))}
            row.start = utc(f.start)
            row.end = utc(f.end)
            row.severity = f.severity.value
            row.severity_rank = SEVERITY_RANK[f.severity.value]
            row.score = f.score
            row.evidence = evidence
            row.explanation_zh = f.explanation_zh
            row.updated_at = now
            updated += 1
    session.flush()
    touched = {(w.mn, w.day) for w in point_day_warnings(by_print.values(), contexts, config)}
    recompute_day_scores(session, touched | moved, contexts, run_id=run_id, config=config)
    return new, updated


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=CST).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def recompute_day_scores(
    session: Session,
    point_days: Iterable[tuple[str, dt.date]],
    contexts: Mapping[str, PointContext],
    *,
    run_id: int | None,
    config: ScreeningConfig | None = None,
) -> None:
    """Recompute point-day scores from all stored findings of those point-days, then their enterprise-days."""
    days_by_mn: dict[str, set[dt.date]] = defaultdict(set)
    for mn, day in point_days:
        days_by_mn[mn].add(day)
    now = dt.datetime.now(dt.UTC)
    enterprise_days: set[tuple[int, dt.date]] = set()
    for mn, days in days_by_mn.items():
        lo, _ = _day_bounds(min(days))
        _, hi = _day_bounds(max(days))
        rows = session.scalars(
            sa.select(ScreeningFinding).where(
                ScreeningFinding.mn == mn, ScreeningFinding.start < hi, ScreeningFinding.end >= lo
            )
        ).all()
        warnings = {w.day: w for w in point_day_warnings([finding_of(r) for r in rows], contexts, config)}
        enterprise_ids = {r.enterprise_id for r in rows if r.enterprise_id is not None}
        context = contexts.get(mn)
        enterprise_id = _enterprise_int(context.enterprise_id) if context else None
        if enterprise_id is None and enterprise_ids:
            enterprise_id = min(enterprise_ids)
        stored = {
            s.day: s
            for s in session.scalars(
                sa.select(PointDayScore).where(PointDayScore.mn == mn, PointDayScore.day.in_(sorted(days)))
            )
        }
        for day in days:
            w = warnings.get(day)
            row = stored.get(day)
            if w is None:
                if row is not None:
                    session.delete(row)
                continue
            if row is None:
                row = PointDayScore(mn=mn, day=day)
                session.add(row)
            row.enterprise_id = enterprise_id
            row.score = w.score
            row.colour = w.colour.value
            row.n_findings = len(w.findings)
            row.rules = sorted({f.rule for f in w.findings})
            row.basis = w.basis.value
            row.basis_zh = w.basis_zh
            row.run_id = run_id
            row.updated_at = now
            if enterprise_id is not None:
                enterprise_days.add((enterprise_id, day))
    session.flush()
    scoring = (config or ScreeningConfig()).scoring
    for enterprise_id, day in enterprise_days:
        scores = session.scalars(
            sa.select(PointDayScore).where(
                PointDayScore.enterprise_id == enterprise_id, PointDayScore.day == day
            )
        ).all()
        keep = 1.0
        for s in scores:
            keep *= 1.0 - s.score
        score = round(1.0 - keep, 4)
        ent = session.scalar(
            sa.select(EnterpriseDayScore).where(
                EnterpriseDayScore.enterprise_id == enterprise_id, EnterpriseDayScore.day == day
            )
        )
        if ent is None:
            ent = EnterpriseDayScore(enterprise_id=enterprise_id, day=day)
            session.add(ent)
        ent.score = score
        ent.colour = enterprise_colour(score, [s.colour for s in scores], scoring).value
        ent.n_findings = sum(s.n_findings for s in scores)
        ent.points = len(scores)
        ent.run_id = run_id
        ent.updated_at = now
    session.flush()


def _set_watermark(session: Session, mn: str, until: dt.datetime, run_id: int | None) -> None:
    row = session.get(ScreeningPointState, mn)
    if row is None:
        session.add(ScreeningPointState(mn=mn, screened_until=utc(until), run_id=run_id))
    elif utc(row.screened_until) < utc(until):
        row.screened_until = utc(until)
        row.run_id = run_id


def watermarks(session: Session) -> dict[str, dt.datetime]:
    """Newest screened reading time per point (points never screened are absent)."""
    return {s.mn: utc(s.screened_until) for s in session.scalars(sa.select(ScreeningPointState))}


# -- queries (scoped) ----------------------------------------------------------------------------------


def _severity_rank(min_severity: str | None) -> int | None:
    if min_severity is None:
        return None
    rank = SEVERITY_RANK.get(min_severity)
    if rank is None:
        raise ValidationError(messages.BAD_SEVERITY.format(value=min_severity), location="min_severity")
    return rank


def _findings_query(
    session: Session,
    principal: Principal,
    *,
    mn: str | None,
    enterprise_id: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    min_severity: str | None,
    rule: str | None,
    run_id: int | None,
) -> sa.Select[Any] | None:
    query = sa.select(ScreeningFinding)
    if mn is not None:
        check_mn(session, principal, mn)
        query = query.where(ScreeningFinding.mn == mn)
    visible = visible_mns(session, principal)
    if visible is not None:
        if not visible:
            return None
        query = query.where(ScreeningFinding.mn.in_(sorted(visible)))
    if enterprise_id is not None:
        query = query.where(ScreeningFinding.enterprise_id == enterprise_id)
    if since is not None:
        query = query.where(ScreeningFinding.end >= utc(since))
    if until is not None:
        query = query.where(ScreeningFinding.start < utc(until))
    rank = _severity_rank(min_severity)
    if rank is not None:
        query = query.where(ScreeningFinding.severity_rank >= rank)
    if rule is not None:
        query = query.where(
            sa.or_(
                ScreeningFinding.rule == rule,
                ScreeningFinding.rule.like(f"{rule.split('_', 1)[0]}\\_%", "\\"),
            )
        )
    if run_id is not None:
        query = query.where(ScreeningFinding.first_run_id == run_id)
    return query


def list_findings(
    session: Session,
    principal: Principal,
    *,
    mn: str | None = None,
    enterprise_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_severity: str | None = None,
    rule: str | None = None,
    run_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ScreeningFinding]:
    """Findings the principal may see (enterprise / O&M users: their own points), newest first.

    ``since``/``until`` select findings overlapping [since, until); ``run_id`` those first found by a run.
    """
    query = _findings_query(
        session,
        principal,
        mn=mn,
        enterprise_id=enterprise_id,
        since=since,
        until=until,
        min_severity=min_severity,
        rule=rule,
        run_id=run_id,
    )
    if query is None:
        return []
    query = (
        query.order_by(ScreeningFinding.start.desc(), ScreeningFinding.id.desc()).limit(limit).offset(offset)
    )
    return list(session.scalars(query))


def count_findings(
    session: Session,
    principal: Principal,
    *,
    mn: str | None = None,
    enterprise_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_severity: str | None = None,
    rule: str | None = None,
    run_id: int | None = None,
) -> int:
    """How many findings ``list_findings`` would return without paging."""
    query = _findings_query(
        session,
        principal,
        mn=mn,
        enterprise_id=enterprise_id,
        since=since,
        until=until,
        min_severity=min_severity,
        rule=rule,
        run_id=run_id,
    )
    if query is None:
        return 0
    return int(session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)


def get_finding(
    session: Session, principal: Principal, finding_id: int, *, ip: str | None = None, audit: bool = True
) -> ScreeningFinding:
    """One finding with its evidence; the view is recorded in the audit trail (a sensitive record)."""
    row = session.get(ScreeningFinding, finding_id)
    if row is None:
        raise NotFoundError(messages.FINDING_NOT_FOUND.format(id=finding_id))
    check_mn(session, principal, row.mn)
    if audit:
        record(
            session,
            principal,
            "view",
            "screening_finding",
            row.id,
            messages.FINDING_VIEW_SUMMARY.format(id=row.id, mn=row.mn, rule=row.title_zh),
            ip=ip,
        )
    return row


def day_scores(
    session: Session,
    principal: Principal,
    *,
    day: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    mn: str | None = None,
    enterprise_id: int | None = None,
    colours: Sequence[str] | None = None,
) -> list[PointDayScore]:
    """Point-day scores the principal may see (only point-days with findings are stored; others are green)."""
    query = sa.select(PointDayScore)
    if mn is not None:
        check_mn(session, principal, mn)
        query = query.where(PointDayScore.mn == mn)
    visible = visible_mns(session, principal)
    if visible is not None:
        if not visible:
            return []
        query = query.where(PointDayScore.mn.in_(sorted(visible)))
    if day is not None:
        query = query.where(PointDayScore.day == day)
    if since is not None:
        query = query.where(PointDayScore.day >= since)
    if until is not None:
        query = query.where(PointDayScore.day <= until)
    if enterprise_id is not None:
        query = query.where(PointDayScore.enterprise_id == enterprise_id)
    if colours:
        query = query.where(PointDayScore.colour.in_(list(colours)))
    return list(session.scalars(query.order_by(PointDayScore.day.desc(), PointDayScore.score.desc())))


def enterprise_day_scores(
    session: Session,
    principal: Principal,
    *,
    day: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    enterprise_id: int | None = None,
) -> list[EnterpriseDayScore]:
    """Enterprise-day scores the principal may see."""
    query = sa.select(EnterpriseDayScore)
    visible = visible_enterprise_ids(session, principal)
    if visible is not None:
        if not visible:
            return []
        query = query.where(EnterpriseDayScore.enterprise_id.in_(sorted(visible)))
    if enterprise_id is not None:
        query = query.where(EnterpriseDayScore.enterprise_id == enterprise_id)
    if day is not None:
        query = query.where(EnterpriseDayScore.day == day)
    if since is not None:
        query = query.where(EnterpriseDayScore.day >= since)
    if until is not None:
        query = query.where(EnterpriseDayScore.day <= until)
    return list(
        session.scalars(query.order_by(EnterpriseDayScore.day.desc(), EnterpriseDayScore.score.desc()))
    )


def latest_run(
    session: Session, *, status: str | None = RunStatus.SUCCEEDED, mode: str | None = None
) -> ScreeningRun | None:
    """The most recently started run (by default the latest successful one)."""
    query = sa.select(ScreeningRun)
    if status is not None:
        query = query.where(ScreeningRun.status == status)
    if mode is not None:
        query = query.where(ScreeningRun.mode == mode)
    return session.scalar(query.order_by(ScreeningRun.started_at.desc(), ScreeningRun.id.desc()).limit(1))


def list_runs(session: Session, *, limit: int = 50, offset: int = 0) -> list[ScreeningRun]:
    """Runs, newest first."""
    query = sa.select(ScreeningRun).order_by(ScreeningRun.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def get_run(session: Session, run_id: int) -> ScreeningRun:
    """One run (status and progress: ``points_done`` of ``points``)."""
    return _run(session, run_id)
