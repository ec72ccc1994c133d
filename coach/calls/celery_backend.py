"""The Celery job backend seen from an API replica: write the job row, then publish its
id. Jobs run in ``salescoach worker`` processes (:mod:`coach.calls.celery_app`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from coach.calls.queues import QUEUES

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)


class CeleryBackend:
    """:class:`coach.calls.backends.JobBackend` on a Celery/Redis broker."""

    name = "celery"
    workers = 0  # nothing runs in this process

    def __init__(self, services: "Services") -> None:
        from coach.calls.celery_app import make_celery

        self.services = services
        self.app = make_celery(services.settings)
        self._redis: Any = None

    @property
    def db(self) -> Any:
        return self.services.db

    def start(self) -> None:  # API replicas run no jobs and recover none (workers sweep)
        pass

    def stop(self, timeout: float = 5.0) -> None:
        pass

    @property
    def running(self) -> bool:
        return True

    def notify(self) -> None:
        pass

    def _publish(self, job_id: str, kind: str) -> None:
        from coach.calls.celery_app import publish

        try:
            publish(self.app, job_id, kind)
        except Exception:  # broker down: the row is queued; a worker's sweep publishes it later
            log.warning("could not publish job %s to the broker; it stays queued for the sweep", job_id, exc_info=True)

    def submit(self, kind: str, *, call_id: str | None = None, params: dict[str, Any] | None = None) -> str:
        from coach.calls.jobs import submit

        job_id = submit(self.db, kind, call_id=call_id, params=params)
        self._publish(job_id, kind)
        return job_id

    def retry(self, job_id: str) -> dict[str, Any]:
        from coach.calls.jobs import requeue

        job = requeue(self.db, job_id)
        self._publish(job_id, job["kind"])
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        from coach.calls.jobs import get_job

        return get_job(self.db, job_id)

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.2) -> dict[str, Any]:
        from coach.calls.jobs import wait_for

        return wait_for(self.get, job_id, timeout, poll)

    def broker_depth(self, queue: str) -> int | None:
        """Messages waiting in a broker queue (None when the broker is unreachable)."""
        import redis

        try:
            if self._redis is None:
                self._redis = redis.Redis.from_url(self.services.settings.queue.url, socket_timeout=2, socket_connect_timeout=2)
            return int(self._redis.llen(queue))
        except Exception:  # noqa: BLE001
            return None

    def ready(self) -> dict[str, Any]:
        depths = {q: self.broker_depth(q) for q in QUEUES}
        ok = all(d is not None for d in depths.values())
        return {"ok": ok, "backend": self.name, "broker": "reachable" if ok else "unreachable", "broker_queue_depth": depths}
