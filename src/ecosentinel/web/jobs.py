"""Progress of background jobs over HTTP (``GET /api/jobs/{id}``), read from the app's one job runner.

An area submits work to ``runner_of(request)`` (``ecosentinel.jobs.JobRunner``) and answers
``{"job_id": …}``; the page shows a progress bar with ``EcoSentinel.trackJob(job_id, element)``
(static/app.js), which polls this route. Only the user who started a job (or an administrator) can read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError
from ecosentinel.jobs import Job, JobRunner, JobState
from ecosentinel.web import messages
from ecosentinel.web.deps import current_principal


class JobOut(BaseModel):
    id: str
    kind: str
    state: JobState
    progress: int
    message: str
    result: dict[str, Any] | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


def runner_of(request: Request) -> JobRunner:
    """The application's job runner (created with the app, shut down with it)."""
    runner: JobRunner = request.app.state.jobs
    return runner


def get_job(runner: JobRunner, job_id: str, principal: Principal) -> Job:
    """The job, if it exists and the caller started it (administrators see all)."""
    job = runner.get(job_id)
    if job is None or (job.owner != principal.username and principal.role is not Role.ADMIN):
        raise NotFoundError(messages.JOB_NOT_FOUND)
    return job


router = APIRouter(prefix="/api/jobs", tags=["jobs 后台任务"])


@router.get("/{job_id}")
def job_status(
    job_id: str,
    principal: Annotated[Principal, Depends(current_principal)],
    runner: Annotated[JobRunner, Depends(runner_of)],
) -> JobOut:
    """Progress (0–100) and message of a background job the caller started."""
    return JobOut.model_validate(get_job(runner, job_id, principal).snapshot())
