"""The durable job queue (coach.calls.jobs) with fake handlers: states, errors, workers,
atomic claiming, retry, and recovery after a crash or a stop with jobs in flight."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from coach.calls import jobs as jobmod
from coach.errors import CorruptInputError, InputError, NotFoundError

REPO = Path(__file__).resolve().parents[2]


def _ok(services, ctx):
    ctx.progress("working", 0.5)
    return {"echo": ctx.params.get("x")}


def _domain_fail(services, ctx):
    raise CorruptInputError("the recording is truncated", detail="no audio frames after 00:12")


def _crash(services, ctx):
    raise RuntimeError("boom")


@pytest.fixture
def queue(services):
    return jobmod.JobQueue(services, workers=2, handlers={"ok": _ok, "bad": _domain_fail, "crash": _crash}, poll_interval=0.05)


def test_job_runs_to_done_with_result(queue):
    jid = queue.submit("ok", params={"x": 7})
    assert queue.get(jid)["status"] == "queued"
    [done] = queue.run_pending()
    assert done["id"] == jid and done["status"] == "done" and done["progress"] == 1.0
    assert done["params"]["result"] == {"echo": 7} and done["attempts"] == 1


def test_domain_error_recorded_clearly(queue):
    jid = queue.submit("bad")
    [job] = queue.run_pending()
    assert job["status"] == "failed"
    assert job["error"] == "corrupt_input: the recording is truncated (no audio frames after 00:12)"


def test_unexpected_error_recorded_without_crashing_worker(queue):
    jid = queue.submit("crash")
    queue.submit("ok")
    done = queue.run_pending()
    assert [j["status"] for j in done] == ["failed", "done"]
    # the raw exception text stays in the log (it may quote paths or data), not in the job
    assert queue.get(jid)["error"] == "internal error (RuntimeError); the server log has the details"


def test_unknown_kind_fails(queue):
    queue.submit("nope")
    [job] = queue.run_pending()
    assert job["status"] == "failed" and "no handler" in job["error"]


def test_workers_process_several_jobs_without_blocking_submit(services):
    gate = threading.Event()
    seen = []

    def slow(services, ctx):
        gate.wait(5)
        seen.append(ctx.job_id)
        return {}

    q = jobmod.JobQueue(services, workers=2, handlers={"analyze": slow}, poll_interval=0.05)
    q.start()
    try:
        t0 = time.perf_counter()
        ids = [q.submit("analyze") for _ in range(4)]
        assert time.perf_counter() - t0 < 2.0  # submitting never waits for the work
        deadline = time.time() + 5
        while sum(q.get(i)["status"] == "running" for i in ids) < 2 and time.time() < deadline:
            time.sleep(0.02)
        states = [q.get(i)["status"] for i in ids]
        assert states.count("running") == 2 and states.count("queued") == 2  # 2 workers
        gate.set()
        for i in ids:
            assert q.wait(i, timeout=10)["status"] == "done"
        assert sorted(seen) == sorted(ids)
    finally:
        gate.set()
        q.stop()


def test_reports_never_block_analyses(services):
    """A long report job runs in its own lane; an upload's analysis starts at once."""
    report_started, release = threading.Event(), threading.Event()

    def report(services, ctx):
        report_started.set()
        release.wait(10)
        return {}

    q = jobmod.JobQueue(services, workers=1, handlers={"report": report, "analyze": _ok}, poll_interval=0.05)
    q.start()
    try:
        rid = q.submit("report")
        assert report_started.wait(5)
        aid = q.submit("analyze")
        assert q.wait(aid, timeout=5)["status"] == "done"
        assert q.get(rid)["status"] == "running"
        release.set()
        assert q.wait(rid, timeout=5)["status"] == "done"
    finally:
        release.set()
        q.stop()


def test_claim_is_atomic(services):
    jid = jobmod.submit(services.db, "ok")
    results = []
    barrier = threading.Barrier(4)

    def claim():
        barrier.wait()
        results.append(jobmod._claim(services.db))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [r for r in results if r is not None]
    assert len(claimed) == 1 and claimed[0]["id"] == jid


def test_retry_rules(queue):
    jid = queue.submit("bad")
    queue.run_pending()
    queue.handlers["bad"] = _ok
    job = queue.retry(jid)
    assert job["status"] == "queued" and "previous error" in job["error"]
    [done] = queue.run_pending()
    assert done["status"] == "done" and done["attempts"] == 2 and done["error"] is None
    with pytest.raises(InputError, match="already finished"):
        queue.retry(jid)
    with pytest.raises(NotFoundError):
        queue.retry("missing")


def test_retry_refuses_running_job(services, queue):
    jid = queue.submit("ok")
    assert jobmod._claim(services.db)["id"] == jid
    with pytest.raises(InputError, match="is running"):
        queue.retry(jid)


def test_stop_with_job_in_flight_then_restart_requeues(services):
    started, release = threading.Event(), threading.Event()

    def blocking(services, ctx):
        started.set()
        release.wait(10)
        return {}

    q = jobmod.JobQueue(services, workers=1, handlers={"b": blocking}, poll_interval=0.05)
    q.start()
    jid = q.submit("b")
    assert started.wait(5)
    q.stop(timeout=0.1)  # the server goes away while the job runs
    assert jobmod.get_job(services.db, jid)["status"] == "running"
    counts = jobmod.recover(services.db)
    job = jobmod.get_job(services.db, jid)
    assert counts["requeued"] == 1 and job["status"] == "queued"
    assert "interrupted by a server restart" in job["error"]
    release.set()


def test_recover_gives_up_after_max_attempts(services):
    from coach.db.models import Call, Job

    with services.db.session() as s:
        s.add(Call(id="c1", status="analyzing", stored_path="/x/c1.wav"))
        s.add(Job(id="j1", kind="analyze", call_id="c1", status="running", attempts=3))
    counts = jobmod.recover(services.db, max_attempts=3)
    assert counts["failed"] == 1
    job = jobmod.get_job(services.db, "j1")
    assert job["status"] == "failed" and "salescoach jobs retry j1" in job["error"]
    with services.db.session() as s:
        call = s.get(Call, "c1")
        assert call.status == "failed" and "interrupted" in call.error
    # retry puts both back
    jobmod.requeue(services.db, "j1")
    with services.db.session() as s:
        assert s.get(Call, "c1").status == "pending"
        assert s.get(Job, "j1").status == "queued"


def test_recover_queues_orphan_pending_calls(services):
    from coach.db.models import Call

    with services.db.session() as s:
        s.add(Call(id="orphan", status="pending"))
        s.add(Call(id="done", status="analyzed"))
    assert jobmod.recover(services.db)["orphans_queued"] == 1
    assert [j["call_id"] for j in jobmod.list_jobs(services.db, status="queued")] == ["orphan"]
    assert jobmod.recover(services.db)["orphans_queued"] == 0  # idempotent


def test_list_jobs_validates_status(services):
    with pytest.raises(InputError, match="unknown job status"):
        jobmod.list_jobs(services.db, status="exploded")


def test_process_crash_mid_job_keeps_file_and_job_is_retryable(services, tmp_path):
    """A worker process dies hard (os._exit) in the middle of a job."""
    from coach.db.models import Call

    original = services.settings.uploads_dir / "c-crash.txt"
    original.write_text("Rep: hello\nCustomer: hi\n")
    with services.db.session() as s:
        s.add(Call(id="c-crash", status="pending", stored_path=str(original)))
    jid = jobmod.submit(services.db, "analyze", call_id="c-crash")
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from coach.settings import Settings
        from coach.services import Services
        from coach.calls import jobs
        services = Services(Settings.for_tests({str(services.settings.data_dir)!r}))
        def dies(services, ctx):
            ctx.progress("transcribe", 0.4)
            os._exit(17)
        jobs.JobQueue(services, handlers={{"analyze": dies}}).run_pending()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == 17, proc.stderr.decode()[-2000:]
    job = jobmod.get_job(services.db, jid)
    assert job["status"] == "running" and job["stage"] == "transcribe"
    jobmod.recover(services.db)
    assert jobmod.get_job(services.db, jid)["status"] == "queued"
    assert original.read_text().startswith("Rep: hello")  # the upload survived
    q = jobmod.JobQueue(services, handlers={"analyze": _ok})
    [done] = q.run_pending()
    assert done["id"] == jid and done["status"] == "done" and done["attempts"] == 2
