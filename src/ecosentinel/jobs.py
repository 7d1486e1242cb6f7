"""The one job runner of a process: background work with progress (screening runs, scheduled passes,
imports, reports).

The web application owns one (``app.state.jobs``, created by ``server.app.create_app``) and shuts it down
with the app; the CLI and tests make their own. Work is a callable that receives a progress callback::

    def work(progress: Progress) -> dict[str, Any] | None:
        for i, item in enumerate(items):
            ...
            progress(100 * (i + 1) // len(items), f"已处理 {i + 1}/{len(items)}")
        return {"count": len(items)}

    job = runner.submit("screening", principal.username, work)

Jobs run on a bounded thread pool (so a burst of requests queues instead of starting a thread each), must
open their own database sessions, and live in memory: a finished job is forgotten ``keep_finished`` after it
ends, and nothing survives a restart (what must, such as a screening run, records itself in the database).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

logger = logging.getLogger(__name__)

KEEP_FINISHED = dt.timedelta(hours=1)
JobState = Literal["queued", "running", "done", "failed"]

QUEUED_ZH = "排队中"
RUNNING_ZH = "进行中"
DONE_ZH = "已完成"


class Progress(Protocol):
    def __call__(self, percent: int, message: str = "") -> None: ...


Work = Callable[[Progress], dict[str, Any] | None]


@dataclass
class Job:
    """One background operation and how far it got."""

    id: str
    kind: str
    owner: str
    submitted_at: dt.datetime
    state: JobState = "queued"
    progress: int = 0
    message: str = QUEUED_ZH
    result: dict[str, Any] | None = None
    ended_at: dt.datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _future: Future[None] | None = field(default=None, repr=False)

    def update(self, percent: int, message: str = "") -> None:
        """The progress callback handed to the work."""
        with self._lock:
            self.progress = max(0, min(100, int(percent)))
            if message:
                self.message = message

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the public fields."""
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "owner": self.owner,
                "state": self.state,
                "progress": self.progress,
                "message": self.message,
                "result": self.result,
                "started_at": self.submitted_at,
                "ended_at": self.ended_at,
            }

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ended; False when ``timeout`` passed first."""
        if self._future is None:
            return True
        done, _ = wait([self._future], timeout=timeout)
        return bool(done)


class JobRunner:
    """A bounded pool of worker threads and the jobs submitted to it."""

    def __init__(self, max_workers: int = 2, *, keep_finished: dt.timedelta = KEEP_FINISHED) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep_finished
        self._closed = False

    def submit(self, kind: str, owner: str, work: Work) -> Job:
        """Queue ``work``; its return value becomes the job's result, an exception marks it failed with the
        exception's message (domain errors carry Chinese text)."""
        now = dt.datetime.now(dt.UTC)
        self._forget_old(now)
        job = Job(id=secrets.token_urlsafe(12), kind=kind, owner=owner, submitted_at=now)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            self._jobs[job.id] = job
            job._future = self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self, kind: str | None = None) -> list[Job]:
        """Known jobs, newest first."""
        with self._lock:
            found = [j for j in self._jobs.values() if kind is None or j.kind == kind]
        return sorted(found, key=lambda j: j.submitted_at, reverse=True)

    def wait_all(self, timeout: float | None = None) -> bool:
        """Block until every submitted job ended; False when ``timeout`` passed first."""
        with self._lock:
            futures = [j._future for j in self._jobs.values() if j._future is not None]
        _, pending = wait(futures, timeout=timeout)
        return not pending

    def shutdown(self, timeout: float | None = 60.0) -> None:
        """Take no more work, drop what has not started, wait for running jobs (at most ``timeout``)."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        if not self.wait_all(timeout):
            logger.warning("background jobs still running at shutdown; leaving them to the process exit")

    def _run(self, job: Job, work: Work) -> None:
        with job._lock:
            job.state = "running"
            job.message = RUNNING_ZH
        try:
            result = work(job.update)
        except Exception as exc:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            with job._lock:
                job.state = "failed"
                job.message = str(exc) or type(exc).__name__
                job.ended_at = dt.datetime.now(dt.UTC)
            return
        with job._lock:
            job.state = "done"
            job.progress = 100
            job.result = result
            if job.message == RUNNING_ZH:
                job.message = DONE_ZH
            job.ended_at = dt.datetime.now(dt.UTC)

    def _forget_old(self, now: dt.datetime) -> None:
        with self._lock:
            for job_id in [j.id for j in self._jobs.values() if j.ended_at and now - j.ended_at > self._keep]:
                del self._jobs[job_id]
