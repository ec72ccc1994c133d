"""Background job status and retry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from coach.auth.permissions import Principal
from coach.calls import views
from coach.calls.backends import JobBackend
from coach.services import Services
from ui.api.deps import current_user, get_jobs, get_services
from ui.api.schemas import Job

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=Job, response_model_exclude_unset=True, summary="Job state: queued|running|done|failed, progress, error")
def get_job(job_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return views.get_job(services, principal, job_id)


@router.post("/jobs/{job_id}/retry", response_model=Job, response_model_exclude_unset=True, summary="Queue a failed job again (the original file is kept)")
def retry_job(
    job_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services), jobs: JobBackend = Depends(get_jobs)
) -> dict[str, Any]:
    return views.retry_job(services, jobs, principal, job_id)
