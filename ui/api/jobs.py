"""Background job status and retry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from coach.permissions import Principal
from ui.api.deps import current_user, get_jobs, get_services

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", summary="Job state: queued|running|done|failed, progress, error")
def get_job(job_id: str, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach import views

    return views.get_job(services, principal, job_id)


@router.post("/jobs/{job_id}/retry", summary="Queue a failed job again (the original file is kept)")
def retry_job(
    job_id: str, principal: Principal = Depends(current_user), services: Any = Depends(get_services), jobs: Any = Depends(get_jobs)
) -> dict[str, Any]:
    from coach import views

    return views.retry_job(services, jobs, principal, job_id)
