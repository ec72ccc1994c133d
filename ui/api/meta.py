"""Health (liveness), readiness and queue status: what a load balancer, an orchestrator
and an admin poll."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from coach.auth.permissions import Principal
from coach.calls.backends import JobBackend
from coach.calls.queue_status import queue_status
from coach.errors import PermissionDeniedError
from coach.services import Services
from ui.api.deps import current_user, get_jobs, get_services
from ui.api.schemas import Health, QueueStatus, Readiness

log = logging.getLogger(__name__)
router = APIRouter(tags=["meta"])


@router.get("/health", response_model=Health, response_model_exclude_unset=True, summary="Liveness: the process answers (no dependency is checked)")
def health(jobs: JobBackend = Depends(get_jobs)) -> dict[str, Any]:
    return {"status": "ok", "backend": jobs.name, "workers": jobs.workers, "queue_running": jobs.running}


def _check_db(services: Services) -> dict[str, Any]:
    from sqlalchemy import text

    try:
        with services.db.session() as s:
            s.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _check_storage(services: Services) -> dict[str, Any]:
    root = services.settings.uploads_dir
    probe = root / f".ready-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
        return {"ok": True, "path": str(services.settings.storage_dir)}
    except OSError as exc:
        return {"ok": False, "path": str(services.settings.storage_dir), "error": os.strerror(exc.errno or 0) or str(exc)}


@router.get("/ready", response_model=Readiness, response_model_exclude_unset=True, summary="Readiness: database, shared storage and job queue reachable (503 if not)")
def ready(services: Services = Depends(get_services), jobs: JobBackend = Depends(get_jobs)) -> JSONResponse:
    checks = {"database": _check_db(services), "storage": _check_storage(services), "queue": jobs.ready()}
    ok = all(c.get("ok") for c in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


@router.get("/status", response_model=QueueStatus, response_model_exclude_unset=True, summary="Job queues: depth, workers alive, oldest waiting job (managers and admins)")
def status(principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    if principal.role not in ("manager", "admin"):
        raise PermissionDeniedError("only managers and admins see the job queues")
    return queue_status(services)
