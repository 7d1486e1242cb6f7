"""The job runner: progress, results, failures, a bounded pool, shutdown."""

from __future__ import annotations

import threading

import pytest

from ecosentinel.errors import ValidationError
from ecosentinel.jobs import JobRunner, Progress


def test_a_job_reports_progress_and_its_result() -> None:
    runner = JobRunner(max_workers=1)
    release = threading.Event()
    halfway = threading.Event()

    def work(progress: Progress) -> dict[str, int]:
        progress(50, "一半")
        halfway.set()
        release.wait(5)
        return {"count": 3}

    job = runner.submit("import", "analyst", work)
    assert halfway.wait(5)
    mid = job.snapshot()
    assert (mid["state"], mid["progress"], mid["message"]) == ("running", 50, "一半")
    release.set()
    assert job.wait(5)
    done = job.snapshot()
    assert (done["state"], done["progress"], done["result"]) == ("done", 100, {"count": 3})
    assert done["ended_at"] is not None
    runner.shutdown()


def test_a_failing_job_keeps_the_error_message() -> None:
    runner = JobRunner(max_workers=1)

    def work(progress: Progress) -> None:
        raise ValidationError("第 3 行：时间格式错误")

    job = runner.submit("import", "analyst", work)
    assert job.wait(5)
    assert job.state == "failed"
    assert job.message == "第 3 行：时间格式错误"
    # the worker survives a failed job
    ok = runner.submit("import", "analyst", lambda progress: {"ok": 1})
    assert ok.wait(5)
    assert ok.state == "done"
    runner.shutdown()


def test_the_pool_is_bounded_and_later_jobs_queue() -> None:
    runner = JobRunner(max_workers=2)
    release = threading.Event()
    started = threading.Semaphore(0)

    def work(progress: Progress) -> None:
        started.release()
        release.wait(5)

    jobs = [runner.submit("report", "leader", work) for _ in range(3)]
    assert started.acquire(timeout=5)
    assert started.acquire(timeout=5)
    assert not started.acquire(timeout=0.2)  # the third waits for a free worker
    assert jobs[2].state == "queued"
    release.set()
    assert runner.wait_all(5)
    assert [j.state for j in jobs] == ["done", "done", "done"]
    runner.shutdown()


def test_a_shut_down_runner_takes_no_more_work() -> None:
    runner = JobRunner(max_workers=1)
    runner.shutdown()
    with pytest.raises(RuntimeError):
        runner.submit("report", "leader", lambda progress: None)


def test_jobs_are_listed_newest_first_by_kind() -> None:
    runner = JobRunner(max_workers=1)
    a = runner.submit("screening", "a", lambda progress: None)
    b = runner.submit("import", "b", lambda progress: None)
    assert runner.wait_all(5)
    assert [j.id for j in runner.jobs("screening")] == [a.id]
    assert {j.id for j in runner.jobs()} == {a.id, b.id}
    assert runner.get(b.id) is b
    runner.shutdown()
