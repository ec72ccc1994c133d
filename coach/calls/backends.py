"""Job queue backends behind one interface.

- **embedded** (default, no extra service): :class:`coach.jobs.JobQueue`, worker threads
  inside ``salescoach serve`` reading the ``jobs`` table.
- **celery** (``SALESCOACH_QUEUE_URL=redis://host:6379/0``): :class:`CeleryBackend`
  publishes job ids to a Redis broker; ``salescoach worker`` processes run them.

Either way the ``jobs`` row is the truth for status and progress: a job is *claimed* by
an atomic conditional UPDATE (``queued -> running``) and *finished* by another one that
only succeeds for the attempt that claimed it, so a redelivered or republished message
never runs a job twice to completion. See docs/scale-out.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services


@runtime_checkable
class JobBackend(Protocol):
    """What the API, the web UI and the CLI need from a job queue."""

    #: "embedded" or "celery"
    name: str
    #: worker threads of this process (embedded) or 0 (jobs run elsewhere)
    workers: int

    def start(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...
    @property
    def running(self) -> bool: ...
    def submit(self, kind: str, *, call_id: str | None = None, params: dict[str, Any] | None = None) -> str: ...
    def retry(self, job_id: str) -> dict[str, Any]: ...
    def get(self, job_id: str) -> dict[str, Any]: ...
    def notify(self) -> None: ...
    def ready(self) -> dict[str, Any]:
        """``{"ok": bool, ...}``: can this backend take jobs right now (readiness probe)."""
        ...


def build_job_backend(services: "Services") -> JobBackend:
    """The backend the settings choose (``settings.queue.url``)."""
    url = services.settings.queue.url
    if not url:
        from coach.calls.jobs import JobQueue

        return JobQueue(services)
    from coach.calls.celery_backend import CeleryBackend

    return CeleryBackend(services)
