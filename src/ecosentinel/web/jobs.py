"""Background jobs with progress for long operations (imports, screening a period, report generation).

An area starts a job from a route and answers ``{"job_id": …}``; the page shows a progress bar with
``EcoSentinel.trackJob(job_id, element)`` (static/app.js), which polls ``GET /api/jobs/{id}``::

    def work(progress: Progress) -> dict[str, Any]:
        for i, item in enumerate(items):
            ...
            progress(100 * (i + 1) // len(items), f"已处理 {i + 1}/{len(items)}")
        return {"count": len(items)}

    job = start_job("screening", principal, work)
    return {"job_id": job.id}

The work runs in a daemon thread: it must open its own database session (``app.state.session_factory``),
never reuse the request's. Only the user who started a job (or an administrator) can read it. Jobs live in
memory and are forgotten an hour after they end; they do not survive a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError
from ecosentinel.web import messages
from ecosentinel.web.deps import current_principal

logger = logging.getLogger(__name__)

KEEP_FINISHED = dt.timedelta(hours=1)
JobState = Literal["running", "done", "failed"]


class Progress(Protocol):
    def __call__(self, percent: int, message: str = "") -> None: ...


@dataclass
class Job:
    """One background operation and how far it got."""

    id: str
    kind: str
    owner: str
    started_at: dt.datetime
    state: JobState = "running"
    progress: int = 0
    message: str = ""
    result: dict[str, Any] | None = None
    ended_at: dt.datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, percent: int, message: str = "") -> None:
        with self._lock:
            self.progress = max(0, min(100, int(percent)))
            if message:
                self.message = message


class JobOut(BaseModel):
    id: str
    kind: str
    state: JobState
    progress: int
    message: str
    result: dict[str, Any] | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


_jobs: dict[str, Job] = {}
_registry_lock = threading.Lock()


def _forget_old(now: dt.datetime) -> None:
    with _registry_lock:
        for job_id in [j.id for j in _jobs.values() if j.ended_at and now - j.ended_at > KEEP_FINISHED]:
            del _jobs[job_id]


def start_job(
    kind: str, principal: Principal, work: Callable[[Progress], dict[str, Any] | None], *, wait: bool = False
) -> Job:
    """Run ``work(progress)`` in a thread; its return value becomes the job's result.

    An exception marks the job failed with the exception's message (domain errors carry Chinese text).
    ``wait=True`` runs it to the end before returning (CLI and tests).
    """
    now = dt.datetime.now(dt.UTC)
    _forget_old(now)
    job = Job(id=secrets.token_urlsafe(12), kind=kind, owner=principal.username, started_at=now)
    job.message = messages.JOB_QUEUED
    with _registry_lock:
        _jobs[job.id] = job

    def run() -> None:
        try:
            result = work(job.update)
        except Exception as exc:
            logger.exception("job %s (%s) failed", job.id, kind)
            with job._lock:
                job.state = "failed"
                job.message = str(exc) or type(exc).__name__
                job.ended_at = dt.datetime.now(dt.UTC)
            return
        with job._lock:
            job.state = "done"
            job.progress = 100
            job.result = result
            job.message = job.message if job.message != messages.JOB_QUEUED else messages.JOB_DONE
            job.ended_at = dt.datetime.now(dt.UTC)

    thread = threading.Thread(target=run, name=f"job-{kind}-{job.id}", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return job


def get_job(job_id: str, principal: Principal) -> Job:
    """The job, if it exists and the caller started it (administrators see all)."""
    job = _jobs.get(job_id)
    if job is None or (job.owner != principal.username and principal.role is not Role.ADMIN):
        raise NotFoundError(messages.JOB_NOT_FOUND)
    return job


router = APIRouter(prefix="/api/jobs", tags=["jobs 后台任务"])


@router.get("/{job_id}")
def job_status(job_id: str, principal: Annotated[Principal, Depends(current_principal)]) -> JobOut:
    """Progress (0–100) and message of a background job the caller started."""
    job = get_job(job_id, principal)
    with job._lock:
        return JobOut(
            id=job.id,
            kind=job.kind,
            state=job.state,
            progress=job.progress,
            message=job.message,
            result=job.result,
            started_at=job.started_at,
            ended_at=job.ended_at,
        )
