"""Job leases for workers in other processes (Celery): a heartbeat on the running job's
row, the sweep that recovers jobs of dead workers and jobs a broker lost, and each
worker's presence record.

The ``jobs`` row is the lease: ``status='running'`` plus ``attempts`` (the claim) plus
``updated_at`` (the heartbeat). A worker that dies stops beating; after
``queue.stale_after_s`` any worker's sweep puts the job back to ``queued`` (conditional
UPDATE, so two sweepers never both do it) and publishes it again. A job still
``queued`` after ``queue.republish_after_s`` is published again too: that covers a Redis
restart that dropped its messages. Duplicated messages are harmless: only one claim
succeeds, and only the current claim can finish the job (:func:`coach.calls.jobs.run_claimed`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database
    from coach.settings import QueueSettings

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def worker_id(suffix: str = "") -> str:
    """``host:pid`` (plus a suffix) naming this worker in the jobs table and status."""
    return f"{socket.gethostname()}:{os.getpid()}{suffix}"[:120]


class Heartbeat:
    """Touches the running job's row every ``interval`` seconds while the job runs
    (context manager). Stops by itself when the claim is no longer current."""

    def __init__(self, db: "Database", job_id: str, attempt: int, interval: float) -> None:
        self.db, self.job_id, self.attempt, self.interval = db, job_id, attempt, max(0.2, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        from sqlalchemy import update

        from coach.db.models import Job

        while not self._stop.wait(self.interval):
            try:
                with self.db.session() as s:
                    n = s.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.status == "running", Job.attempts == self.attempt)
                        .values(updated_at=_now())
                    ).rowcount
                if n == 0:
                    log.warning("job %s attempt %s is no longer ours; heartbeat stops", self.job_id, self.attempt)
                    return
            except Exception:  # a missed beat is not fatal; the next one may succeed
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)


@dataclass
class SweepResult:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    #: (job id, kind) to publish to the broker again
    republish: list[tuple[str, str]] = field(default_factory=list)
    orphans_queued: int = 0


def sweep(
    db: "Database",
    qs: "QueueSettings",
    *,
    max_attempts: int = 3,
    now: datetime | None = None,
    lost_in: Callable[[str], bool] = lambda queue: True,
) -> SweepResult:
    """Recover jobs of dead workers and jobs the broker lost (see module docstring).

    ``lost_in(queue)`` says whether the broker may have lost messages of that queue
    (fewer messages than queued jobs); long-waiting jobs of other queues are a plain
    backlog and are not published twice."""
    from coach.calls.queues import queue_for

    from sqlalchemy import select, update

    from coach.db.models import Call, Job

    now = now or _now()
    stale = now - timedelta(seconds=qs.stale_after_s)
    unpicked = now - timedelta(seconds=qs.republish_after_s)
    out = SweepResult()
    with db.session() as s:
        for job in list(s.scalars(select(Job).where(Job.status == "running", Job.updated_at < stale))):
            give_up = job.attempts >= max_attempts
            err = (
                f"its worker {job.worker or '?'} stopped during attempt {job.attempts} of {max_attempts}; "
                + (f"the original file is kept - run `salescoach jobs retry {job.id}`" if give_up else "requeued")
            )
            n = s.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "running", Job.attempts == job.attempts, Job.updated_at < stale)
                .values(status="failed" if give_up else "queued", error=err, stage="", updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if n != 1:
                continue  # finished or recovered by someone else meanwhile
            (out.failed if give_up else out.requeued).append(job.id)
            if not give_up:
                out.republish.append((job.id, job.kind))
            if job.call_id and job.kind == "analyze":
                call = s.get(Call, job.call_id)
                if call is not None and call.status == "analyzing":
                    call.status = "failed" if give_up else "pending"
                    call.error = err if give_up else None
        for job in list(s.scalars(select(Job).where(Job.status == "queued", Job.updated_at < unpicked))):
            if not lost_in(queue_for(job.kind)):
                continue
            n = s.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "queued", Job.updated_at < unpicked)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if n == 1:
                out.republish.append((job.id, job.kind))
        # a crash between storing an upload and queueing its job: give the call its job
        job_calls = select(Job.call_id).where(Job.call_id.is_not(None), Job.kind == "analyze")
        old_pending = select(Call).where(Call.status == "pending", Call.id.not_in(job_calls), Call.created_at < unpicked)
        for call in list(s.scalars(old_pending)):
            job = Job(kind="analyze", call_id=call.id, params={}, status="queued")
            s.add(job)
            s.flush()
            out.republish.append((job.id, job.kind))
            out.orphans_queued += 1
    if out.requeued or out.failed or out.republish:
        log.warning(
            "job sweep: %d requeued from dead workers, %d failed, %d republished",
            len(out.requeued), len(out.failed), len(out.republish),
        )
    return out


def record_presence(db: "Database", wid: str, *, backend: str, queues: str, concurrency: int) -> None:
    """Upsert this worker's heartbeat row."""
    from coach.db.models import WorkerHeartbeat

    with db.session() as s:
        row = s.get(WorkerHeartbeat, wid)
        if row is None:
            s.add(WorkerHeartbeat(id=wid, backend=backend, queues=queues, concurrency=concurrency, seen_at=_now()))
        else:
            row.seen_at = _now()


def forget_presence(db: "Database", wid: str) -> None:
    from sqlalchemy import delete

    from coach.db.models import WorkerHeartbeat

    with db.session() as s:
        s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.id == wid))


class Sweeper:
    """Background thread of a worker process: records presence and sweeps the jobs
    table every ``queue.sweep_interval_s``, publishing what the sweep returns."""

    def __init__(
        self,
        db: "Database",
        qs: "QueueSettings",
        publish: Callable[[str, str], Any],
        *,
        broker_depth: Callable[[str], int | None] | None = None,
        wid: str,
        queues: str,
        concurrency: int,
        backend: str = "celery",
    ) -> None:
        self.db, self.qs, self.publish, self.broker_depth = db, qs, publish, broker_depth
        self.wid, self.queues, self.concurrency, self.backend = wid, queues, concurrency, backend
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="salescoach-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            forget_presence(self.db, self.wid)
        except Exception:
            log.warning("could not remove worker %s from the worker list", self.wid, exc_info=True)

    def tick(self) -> SweepResult | None:
        try:
            record_presence(self.db, self.wid, backend=self.backend, queues=self.queues, concurrency=self.concurrency)
            result = sweep(self.db, self.qs, lost_in=self._lost_in())
        except Exception:
            log.warning("job sweep failed (database unreachable?)", exc_info=True)
            return None
        for job_id, kind in result.republish:
            try:
                self.publish(job_id, kind)
            except Exception:  # broker down: the next sweep republishes it
                log.warning("could not publish job %s; it stays queued", job_id, exc_info=True)
        return result

    def _lost_in(self) -> Callable[[str], bool]:
        """Queues whose broker list holds fewer messages than the database has queued
        jobs (unknown depth counts as lost: republishing is harmless, only wasteful)."""
        from sqlalchemy import func, select

        from coach.calls.queues import QUEUES, queue_for
        from coach.db.models import Job

        if self.broker_depth is None:
            return lambda queue: True
        with self.db.session() as s:
            rows = s.execute(select(Job.kind, func.count()).where(Job.status == "queued").group_by(Job.kind)).all()
        waiting = {q: 0 for q in QUEUES}
        for kind, n in rows:
            waiting[queue_for(kind)] += n
        lost = set()
        for q, n in waiting.items():
            depth = self.broker_depth(q)
            if n and (depth is None or depth < n):
                lost.add(q)
        return lambda queue: queue in lost

    def _run(self) -> None:
        while True:
            self.tick()
            if self._stop.wait(self.qs.sweep_interval_s):
                return
