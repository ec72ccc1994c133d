"""What ``salescoach status`` and ``GET /api/v1/status`` show: queue depth per queue,
workers alive, the oldest waiting job, running jobs and who runs them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from coach.calls.queues import QUEUES, queue_for

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def queue_status(services: "Services") -> dict[str, Any]:
    from sqlalchemy import func, select

    from coach.db.models import Job, WorkerHeartbeat

    settings = services.settings
    now = datetime.now(timezone.utc)
    alive_after = now - timedelta(seconds=3 * settings.queue.sweep_interval_s)
    depth = {q: {"queued": 0, "running": 0} for q in QUEUES}
    with services.db.session() as s:
        for kind, status, n in s.execute(
            select(Job.kind, Job.status, func.count()).where(Job.status.in_(("queued", "running"))).group_by(Job.kind, Job.status)
        ):
            depth[queue_for(kind)][status] += n
        oldest = s.scalars(select(Job).where(Job.status == "queued").order_by(Job.created_at).limit(1)).first()
        running = [
            {"id": j.id, "kind": j.kind, "worker": j.worker, "stage": j.stage, "progress": round(j.progress or 0, 3)}
            for j in s.scalars(select(Job).where(Job.status == "running").order_by(Job.created_at).limit(50))
        ]
        workers = [
            {"id": w.id, "backend": w.backend, "queues": w.queues, "concurrency": w.concurrency,
             "seen_s_ago": round((now - _aware(w.seen_at)).total_seconds(), 1)}
            for w in s.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.seen_at >= alive_after).order_by(WorkerHeartbeat.id))
        ]
        failed = s.scalar(select(func.count()).select_from(Job).where(Job.status == "failed")) or 0
    return {
        "backend": "celery" if settings.queue.url else "embedded",
        "queues": depth,
        "oldest_waiting": None if oldest is None else {
            "id": oldest.id, "kind": oldest.kind, "waiting_s": round((now - _aware(oldest.created_at)).total_seconds(), 1)
        },
        "running": running,
        "workers_alive": workers,
        "failed_jobs": int(failed),
    }
