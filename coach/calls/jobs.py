"""Durable background jobs: the ``jobs`` table is the queue, worker threads in the server
process run them (``settings.server.workers``).

Life of a job: ``queued`` -> ``running`` -> ``done`` | ``failed``. A worker *claims* a
job with a conditional UPDATE (``WHERE status='queued'``) so two workers, or a worker and
``salescoach jobs retry``, never run the same job twice. The upload a job works on is
stored durably before the job exists and is never deleted by a failure.

Restarts: :meth:`JobQueue.recover` (run at start-up) puts jobs left ``running`` by a
crash back to ``queued`` (the error column says so) until they have been attempted
``max_attempts`` times; after that they become ``failed`` with a clear error and wait for
``salescoach jobs retry ID``. Calls left ``pending`` without any job (a crash between
storing the upload and queueing it) get a job. One server process per database.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from coach.calls.store import CallStore
from coach.db.models import Call, Job
from coach.errors import DOMAIN_ERRORS, InputError, NotFoundError
from coach.reports.postcall import generate_report
from speech.types import AnalyzeOptions

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from coach.services import Services

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "failed")
DEFAULT_MAX_ATTEMPTS = 3


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class JobContext:
    """What a handler gets: the job's ids and params and a throttled progress callback."""

    job_id: str
    kind: str
    call_id: str | None
    params: dict[str, Any]
    db: "Database"
    _last_write: float = field(default=0.0, repr=False)
    _last_stage: str = field(default="", repr=False)

    def progress(self, stage: str, fraction: float) -> None:
        """``on_progress(stage, fraction)``; writes to the DB at most twice a second."""
        now = time.monotonic()
        if stage == self._last_stage and now - self._last_write < 0.5 and fraction < 1.0:
            return
        self._last_write, self._last_stage = now, stage

        try:
            with self.db.session() as s:
                job = s.get(Job, self.job_id)
                if job is not None:
                    job.stage = stage[:64]
                    job.progress = max(0.0, min(1.0, float(fraction)))
                    job.updated_at = _now()
        except Exception:  # progress must never kill the job
            log.warning("could not record progress of job %s", self.job_id, exc_info=True)


JobHandler = Callable[["Services", JobContext], "dict[str, Any] | None"]


# ------------------------------------------------------------------ built-in kinds --
def analyze_handler(services: "Services", ctx: JobContext) -> dict[str, Any]:
    """Analyse an uploaded call (speech pipeline), then queue its report."""
    if not ctx.call_id:
        raise InputError("analyze job without a call id")
    store = CallStore(services.db, services.settings)
    from coach.calls.quarantine import quarantine_call, refuse_if_quarantined
    from speech.sandbox import DecoderCrashedError

    refuse_if_quarantined(services.db, ctx.call_id)
    overrides = {k: ctx.params[k] for k in ("rep_speaker", "num_speakers", "language") if ctx.params.get(k)}
    try:
        analysis = store.analyze_call(ctx.call_id, services.analyzer, AnalyzeOptions(**overrides), on_progress=ctx.progress)
    except DecoderCrashedError as exc:
        quarantine_call(services.db, services.settings, ctx.call_id, str(exc))
        raise
    result = {
        "utterances": len(analysis.utterances),
        "emotion_shifts": len(analysis.emotion_shifts),
    }
    auto = services.settings.server.report_after_analysis and ctx.params.get("report", True)
    if auto:
        # through the configured backend: with Celery the report must also be published
        result["report_job_id"] = services.jobs.submit("report", call_id=ctx.call_id)
    return result


def report_handler(services: "Services", ctx: JobContext) -> dict[str, Any]:
    """Write the post-call improvement report of an analysed call."""
    if not ctx.call_id:
        raise InputError("report job without a call id")
    ctx.progress("report", 0.1)
    report = generate_report(services, ctx.call_id)
    return {"sections": sorted(report)} if isinstance(report, dict) else {}


DEFAULT_HANDLERS: dict[str, JobHandler] = {"analyze": analyze_handler, "report": report_handler}


# ---------------------------------------------------------- queue-level operations --
def job_to_dict(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "call_id": job.call_id,
        "status": job.status,
        "progress": round(job.progress or 0.0, 3),
        "stage": job.stage,
        "error": job.error,
        "attempts": job.attempts,
        "worker": job.worker,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "params": job.params or {},
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
    }


def submit(db: "Database", kind: str, *, call_id: str | None = None, params: dict[str, Any] | None = None) -> str:
    """Queue a job; returns its id. Workers are woken by :meth:`JobQueue.notify` or their poll."""
    with db.session() as s:
        job = Job(kind=kind, call_id=call_id, params=params or {}, status="queued")
        s.add(job)
        s.flush()
        log.info("queued %s job %s (call %s)", kind, job.id, call_id)
        return job.id


def wait_for(get: Callable[[str], dict[str, Any]], job_id: str, timeout: float, poll: float) -> dict[str, Any]:
    """Poll ``get(job_id)`` until the job is done or failed (or ``timeout``); its state."""
    deadline = time.monotonic() + timeout
    while True:
        job = get(job_id)
        if job["status"] in ("done", "failed") or time.monotonic() >= deadline:
            return job
        time.sleep(poll)


def get_job(db: "Database", job_id: str) -> dict[str, Any]:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        return job_to_dict(job)


def list_jobs(
    db: "Database", *, status: str | None = None, call_ids: list[str] | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    from sqlalchemy import select


    if status is not None and status not in STATUSES:
        raise InputError(f"unknown job status {status!r}", detail=f"one of {', '.join(STATUSES)}")
    with db.session() as s:
        q = select(Job).order_by(Job.created_at.desc()).limit(limit)
        if status:
            q = q.where(Job.status == status)
        if call_ids is not None:
            q = q.where(Job.call_id.in_(call_ids))
        return [job_to_dict(j) for j in s.scalars(q)]


def latest_job_for_call(db: "Database", call_id: str, kind: str = "analyze") -> dict[str, Any] | None:
    from sqlalchemy import select


    with db.session() as s:
        job = s.scalars(
            select(Job).where(Job.call_id == call_id, Job.kind == kind).order_by(Job.created_at.desc()).limit(1)
        ).first()
        return job_to_dict(job) if job else None


def requeue(db: "Database", job_id: str) -> dict[str, Any]:
    """Put a failed (or stuck queued) job back in the queue; refuse running or done jobs."""
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        if job.status == "running":
            raise InputError(f"job {job_id} is running", detail="wait for it to finish or fail")
        if job.status == "done":
            raise InputError(f"job {job_id} already finished successfully")
        if job.kind == "analyze":
            from coach.calls.quarantine import refuse_if_quarantined

            refuse_if_quarantined(db, job.call_id)
        job.status, job.progress, job.stage = "queued", 0.0, ""
        job.error = f"retry requested (previous error: {job.error})" if job.error else None
        job.updated_at = _now()
        if job.call_id and job.kind == "analyze":
            call = s.get(Call, job.call_id)
            if call is not None and call.status in ("failed", "analyzing"):
                call.status, call.error = "pending", None
        return job_to_dict(job)


def recover(db: "Database", *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> dict[str, int]:
    """Repair state left by a crash or a stop with jobs in flight (see module docstring)."""
    from sqlalchemy import select


    counts = {"requeued": 0, "failed": 0, "orphans_queued": 0}
    with db.session() as s:
        for job in s.scalars(select(Job).where(Job.status == "running")):
            job.updated_at = _now()
            if job.attempts >= max_attempts:
                job.status = "failed"
                job.error = (
                    f"interrupted {job.attempts} times (server stopped or crashed while it ran); "
                    f"the original file is kept - run `salescoach jobs retry {job.id}`"
                )
                counts["failed"] += 1
                new_call_status = "failed"
            else:
                job.status = "queued"
                job.error = f"interrupted by a server restart during attempt {job.attempts}; requeued"
                counts["requeued"] += 1
                new_call_status = "pending"
            if job.call_id and job.kind == "analyze":
                call = s.get(Call, job.call_id)
                if call is not None and call.status == "analyzing":
                    call.status = new_call_status
                    call.error = job.error if new_call_status == "failed" else None
        job_calls = select(Job.call_id).where(Job.call_id.is_not(None), Job.kind == "analyze")
        for call in s.scalars(select(Call).where(Call.status == "pending", Call.id.not_in(job_calls))):
            s.add(Job(kind="analyze", call_id=call.id, params={}, status="queued"))
            counts["orphans_queued"] += 1
    if any(counts.values()):
        log.warning("job recovery after restart: %s", counts)
    return counts


def _claim(
    db: "Database", job_id: str | None = None, *, lane: str | None = None, worker: str | None = None
) -> dict[str, Any] | None:
    """Atomically move one queued job (the oldest, or ``job_id``) to running; ``worker``
    names who runs it. The new ``attempts`` value identifies this claim (see run_claimed).

    ``lane`` "analyze" takes only analyses, "other" everything else, None any job
    (analyses first: a user is waiting for them)."""
    from sqlalchemy import case, select, update


    with db.session() as s:
        first = case((Job.kind == "analyze", 0), else_=1)
        q = select(Job.id).where(Job.status == "queued")
        if lane == "analyze":
            q = q.where(Job.kind == "analyze")
        elif lane == "other":
            q = q.where(Job.kind != "analyze")
        q = q.order_by(first, Job.created_at).limit(5)
        if job_id is not None:
            q = select(Job.id).where(Job.id == job_id, Job.status == "queued")
        for candidate in list(s.scalars(q)):
            res = s.execute(
                update(Job)
                .where(Job.id == candidate, Job.status == "queued")
                .values(
                    status="running", attempts=Job.attempts + 1, progress=0.0, stage="starting",
                    worker=worker, started_at=_now(), updated_at=_now(),
                )
            )
            if res.rowcount == 1:
                s.flush()
                return job_to_dict(s.get(Job, candidate))
    return None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, DOMAIN_ERRORS):
        return f"{exc.code}: {exc.message}" + (f" ({exc.detail})" if exc.detail else "")
    # the exception text may quote paths, URLs or data: it goes to the log, not to users
    return f"internal error ({type(exc).__name__}); the server log has the details"


def run_claimed(services: "Services", job: dict[str, Any], handlers: dict[str, JobHandler]) -> dict[str, Any]:
    """Run a claimed job to completion and record done/failed. Never raises."""
    db = services.db
    ctx = JobContext(job["id"], job["kind"], job["call_id"], job["params"], db)
    handler = handlers.get(job["kind"])
    result: dict[str, Any] | None = None
    error: str | None = None
    t0 = time.perf_counter()
    try:
        if handler is None:
            raise InputError(f"no handler for job kind {job['kind']!r}")
        result = handler(services, ctx) or {}
    except Exception as exc:  # noqa: BLE001 - a job failure is data, not a crash
        error = _error_text(exc)
        if isinstance(exc, DOMAIN_ERRORS):
            log.warning("job %s failed: %s", job["id"], error)
        else:
            log.error("job %s crashed:\n%s", job["id"], traceback.format_exc())
        _mark_call_failed(services, job, error)
    # KeyboardInterrupt/SystemExit propagate and leave the job 'running' for recover()
    from sqlalchemy import update

    with db.session() as s:
        row = s.get(Job, job["id"])
        if row is None:
            return job
        if error is None:
            values = dict(status="done", progress=1.0, stage="done", error=None,
                          params={**(job["params"] or {}), "result": result, "seconds": round(time.perf_counter() - t0, 3)})
        else:
            values = dict(status="failed", error=error)
        # only the claim that is still current may finish the job: a worker presumed dead
        # (its job re-queued and claimed again) must not complete it a second time
        res = s.execute(
            update(Job)
            .where(Job.id == job["id"], Job.status == "running", Job.attempts == job["attempts"])
            .values(updated_at=_now(), **values)
        )
        if res.rowcount != 1:
            log.warning("job %s attempt %s finished after it was taken over; its outcome is not recorded",
                        job["id"], job["attempts"])
        s.expire_all()
        return job_to_dict(s.get(Job, job["id"]))


def _mark_call_failed(services: "Services", job: dict[str, Any], error: str) -> None:
    if not job.get("call_id") or job["kind"] != "analyze":
        return
    try:
        from coach.calls.store import CallStore

        CallStore(services.db, services.settings).mark_failed(job["call_id"], error)
    except Exception:  # the job row still records the error
        log.warning("could not mark call %s failed", job["call_id"], exc_info=True)


# ------------------------------------------------------------------- worker pool --
class JobQueue:
    """In-process worker pool over the durable ``jobs`` table: ``workers`` threads for
    analyses and one thread for the other kinds (reports). The embedded
    :class:`coach.calls.backends.JobBackend`."""

    name = "embedded"

    def __init__(
        self,
        services: "Services",
        *,
        workers: int | None = None,
        handlers: dict[str, JobHandler] | None = None,
        poll_interval: float = 1.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.services = services
        self.workers = max(1, workers if workers is not None else services.settings.server.workers)
        self.handlers = dict(DEFAULT_HANDLERS if handlers is None else handlers)
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def db(self) -> "Database":
        return self.services.db

    # -- lifecycle
    def start(self) -> None:
        """Recover interrupted jobs, then start the worker threads (idempotent)."""
        if self._threads:
            return
        recover(self.db, max_attempts=self.max_attempts)
        self._stop.clear()
        # analyses get their own workers so an upload never waits behind a report (LLM)
        lanes = [("analyze", f"salescoach-analyze-{i}") for i in range(self.workers)] + [("other", "salescoach-jobs")]
        for lane, name in lanes:
            t = threading.Thread(target=self._worker, args=(lane,), name=name, daemon=True)
            t.start()
            self._threads.append(t)
        log.info("job queue started with %d worker(s)", self.workers)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs. A job still running is left 'running' and recovered at next start."""
        self._stop.set()
        self.notify()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stop.is_set()

    def ready(self) -> dict[str, Any]:
        return {"ok": self.running, "backend": self.name, "workers": self.workers}

    # -- API
    def submit(self, kind: str, *, call_id: str | None = None, params: dict[str, Any] | None = None) -> str:
        job_id = submit(self.db, kind, call_id=call_id, params=params)
        self.notify()
        return job_id

    def retry(self, job_id: str) -> dict[str, Any]:
        job = requeue(self.db, job_id)
        self.notify()
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        return get_job(self.db, job_id)

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def run_pending(self, job_id: str | None = None, *, max_jobs: int | None = None) -> list[dict[str, Any]]:
        """Claim and run queued jobs in the calling thread (CLI, tests); returns finished jobs."""
        done: list[dict[str, Any]] = []
        while max_jobs is None or len(done) < max_jobs:
            job = _claim(self.db, job_id, worker=self._worker_name())
            if job is None:
                break
            done.append(run_claimed(self.services, job, self.handlers))
            if job_id is not None:
                break
        return done

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.1) -> dict[str, Any]:
        """Block until the job is done or failed (or ``timeout``); returns its state."""
        return wait_for(self.get, job_id, timeout, poll)

    # -- worker
    @staticmethod
    def _worker_name() -> str:
        import os
        import socket

        return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:120]

    def _worker(self, lane: str | None = None) -> None:
        while not self._stop.is_set():
            try:
                job = _claim(self.db, lane=lane, worker=self._worker_name())
            except Exception:
                log.exception("job queue: could not claim a job")
                job = None
            if job is None:
                with self._cond:
                    self._cond.wait(self.poll_interval)
                continue
            run_claimed(self.services, job, self.handlers)
