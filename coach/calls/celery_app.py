"""The Celery application of the scale-out topology (broker: Redis).

One task, ``salescoach.run_job(job_id)``: the message carries only the job id; the
``jobs`` row holds everything else and stays the truth. Reliability settings:

- ``task_acks_late`` + ``worker_prefetch_multiplier=1``: a message is acknowledged after
  the job ran, and a worker holds one message at a time, so a worker killed mid-job
  leaves its message to the broker (redelivered after ``visibility_timeout``) and the
  sweep (:mod:`coach.calls.lease`) re-queues the job as soon as its heartbeat is stale;
- ``task_reject_on_worker_lost``: a pool child killed outright sends its message back
  at once;
- the claim/finish in the database make any duplicate delivery a no-op.

Each worker process builds its :class:`coach.services.Services` once (models load on the
first job and stay loaded).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable

from coach.calls.queues import ANALYSIS_QUEUE, QUEUES, SHORT_QUEUE, queue_for
from coach.errors import DependencyMissingError

if TYPE_CHECKING:  # pragma: no cover
    from celery import Celery

    from coach.services import Services
    from coach.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "salescoach.run_job"

_lock = threading.Lock()
_worker_services: "Services | None" = None
#: builds a worker's services; set by ``salescoach worker`` (the composition root sits
#: above this module, so it is handed in rather than imported)
_services_factory: "Callable[[Settings], Services] | None" = None


def configure_worker(services: "Services", factory: "Callable[[Settings], Services]") -> None:
    """Give this worker process its services and the factory a forked pool child uses."""
    global _worker_services, _services_factory
    with _lock:
        _worker_services, _services_factory = services, factory


def _celery_cls() -> Any:
    try:
        from celery import Celery
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise DependencyMissingError("celery[redis]", "Celery job workers (SALESCOACH_QUEUE_URL)") from exc
    return Celery


def make_celery(settings: "Settings") -> "Celery":
    """A Celery app for ``settings.queue.url`` with the one job task registered."""
    from kombu import Queue

    from coach.errors import ConfigurationError

    if not settings.queue.url.startswith(("redis://", "rediss://")):
        raise ConfigurationError(
            f"unsupported job queue URL {settings.queue.url!r}",
            detail="SALESCOACH_QUEUE_URL must be redis://host:6379/0 (or rediss:// for TLS); empty = the embedded runner",
        )
    app = _celery_cls()("salescoach", broker=settings.queue.url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_default_queue=SHORT_QUEUE,
        task_queues=[Queue(q, routing_key=q) for q in QUEUES],
        task_routes={TASK_NAME: {"queue": SHORT_QUEUE}},
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options={"visibility_timeout": settings.queue.visibility_timeout_s},
        # an API replica must not hang on a broker that is down: give up publishing after
        # ~2 s (the job row stays queued; a worker's sweep publishes it later)
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        enable_utc=True,
    )

    @app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def run_job(job_id: str) -> dict[str, Any]:
        return run_job_here(worker_services(settings), job_id)

    return app


def publish(app: "Celery", job_id: str, kind: str) -> None:
    """Send a job id to its queue (``analysis`` for recordings, ``reports`` otherwise)."""
    q = queue_for(kind)
    app.send_task(TASK_NAME, args=[job_id], queue=q, routing_key=q)


def worker_services(settings: "Settings") -> "Services":
    """This worker process's services, built once (models load on first use, then stay)."""
    global _worker_services
    with _lock:
        if _worker_services is None:
            if _services_factory is None:
                raise RuntimeError("worker services not configured: start jobs with `salescoach worker`")
            _worker_services = _services_factory(settings)
        return _worker_services


def reset_after_fork() -> None:
    """In a forked pool child: drop the parent's services (and its DB connections)."""
    global _worker_services
    if _worker_services is not None and "db" in _worker_services.__dict__:
        _worker_services.db.engine.dispose(close=False)
    _worker_services = None


def run_job_here(services: "Services", job_id: str) -> dict[str, Any]:
    """Claim ``job_id`` and run it in this process with a heartbeat; a job that is not
    ``queued`` (done, failed, or running elsewhere) is left alone."""
    from coach.calls.jobs import DEFAULT_HANDLERS, _claim, get_job, run_claimed
    from coach.calls.lease import Heartbeat, worker_id

    db = services.db
    job = _claim(db, job_id, worker=worker_id())
    if job is None:
        try:
            status = get_job(db, job_id)["status"]
        except Exception:  # noqa: BLE001 - deleted or never committed
            status = "missing"
        log.info("job %s not claimed here (status %s); message dropped", job_id, status)
        return {"job_id": job_id, "skipped": status}
    interval = max(0.5, services.settings.queue.stale_after_s / 4)
    with Heartbeat(db, job_id, job["attempts"], interval):
        done = run_claimed(services, job, DEFAULT_HANDLERS)
    return {"job_id": job_id, "status": done["status"]}


__all__ = ["ANALYSIS_QUEUE", "SHORT_QUEUE", "TASK_NAME", "make_celery", "publish", "run_job_here"]
