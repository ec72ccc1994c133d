"""Calls: upload (202 + job), list, detail (the analysis), original file, report, comments."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from coach.auth.permissions import Principal
from coach.calls import views
from coach.calls.backends import JobBackend
from coach.calls.intake import submit_upload
from coach.calls.fix_roles import set_rep_speaker
from coach.calls.roles import roles_state
from coach.services import Services
from ui.api.deps import current_user, get_jobs, get_services
from ui.api.schemas import CallDetail, CallList, CallRoles, Comment, CommentList, JobAccepted, ReportState, UploadAccepted

router = APIRouter(tags=["calls"])


class ReanalyzeIn(BaseModel):
    rep_speaker: str | None = Field(None, max_length=32, description="speaker id (e.g. S1) or transcript name of the rep")
    speakers: int | None = Field(None, ge=1, le=20, description="number of speakers to find")


class RolesIn(BaseModel):
    rep_speaker: str = Field(min_length=1, max_length=32, description="speaker id of the rep, e.g. S2")


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


@router.post(
    "/calls", response_model=UploadAccepted, response_model_exclude_unset=True,
    status_code=202,
    summary="Upload a recording or transcript; analysis runs in the background",
    responses={
        200: {"model": UploadAccepted, "description": "the same file was already uploaded by you: its call and job"},
        413: {"description": "over server.max_upload_mb"},
        415: {"description": "not audio and not a transcript"},
        422: {"description": "empty file or unknown account"},
    },
)
def upload_call(
    file: UploadFile = File(..., description="audio (wav, flac, mp3, m4a, ogg/opus, webm) or transcript (.txt, .vtt, .srt, .json)"),
    account: str | None = Form(None, description="account name the call belongs to"),
    title: str | None = Form(None),
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
    jobs: JobBackend = Depends(get_jobs),
) -> JSONResponse:
    result = submit_upload(
        services, jobs, file.file, filename=file.filename or "upload", principal=principal, account=account, title=title or ""
    )
    body = {**result.to_dict(), "status_url": f"/api/v1/jobs/{result.job_id}" if result.job_id else None}
    return JSONResponse(body, status_code=200 if result.duplicate else 202)


@router.get("/calls", response_model=CallList, response_model_exclude_unset=True, summary="Calls you may see (reps: own; managers: team; admins: all)")
def list_calls(
    status: str | None = Query(None, description="pending|analyzing|analyzed|failed"),
    user: str | None = Query(None, description="username of the rep"),
    account: str | None = None,
    flagged: bool | None = None,
    q: str | None = Query(None, description="text in the title or file name"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    items = views.list_calls(
        services, principal, status=status, user=user, account=account, flagged=flagged, query=q, limit=limit, offset=offset
    )
    return {"items": items, "count": len(items)}


@router.get("/calls/{call_id}", response_model=CallDetail, response_model_exclude_unset=True, summary="A call with its analysis (CallAnalysis JSON, null until analysed)")
def get_call(call_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return views.get_call_detail(services, principal, call_id)


@router.get("/calls/{call_id}/file", summary="The original upload", response_class=FileResponse)
def get_call_file(call_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> FileResponse:
    path = views.call_file(services, principal, call_id)
    return FileResponse(path, filename=path.name)


@router.get(
    "/calls/{call_id}/report", response_model=ReportState, response_model_exclude_unset=True,
    summary="The post-call report; 202 while it is being written",
    responses={202: {"model": ReportState, "description": "report queued or running"}},
)
def get_report(
    call_id: str,
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
    jobs: JobBackend = Depends(get_jobs),
) -> JSONResponse:
    out = views.get_report(services, jobs, principal, call_id)
    return JSONResponse(out, status_code=200 if out["status"] in ("ready", "failed") else 202)


@router.post("/calls/{call_id}/reanalyze", response_model=JobAccepted, response_model_exclude_unset=True, status_code=202, summary="Analyse again from the kept original (e.g. naming the rep)")
def reanalyze(
    call_id: str,
    body: ReanalyzeIn,
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
    jobs: JobBackend = Depends(get_jobs),
) -> dict[str, Any]:
    job = views.reanalyze(services, jobs, principal, call_id, rep_speaker=body.rep_speaker, num_speakers=body.speakers)
    return {"call_id": call_id, "job_id": job["id"], "status_url": f"/api/v1/jobs/{job['id']}"}


@router.post(
    "/calls/{call_id}/roles", response_model=CallRoles, response_model_exclude_unset=True,
    summary="Say which speaker is the rep: roles, metrics, shifts and report recomputed from the stored transcript",
    responses={422: {"description": "not analysed yet, or that speaker does not speak in the call"}},
)
def set_roles(
    call_id: str,
    body: RolesIn,
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
    jobs: JobBackend = Depends(get_jobs),
) -> dict[str, Any]:
    detail = set_rep_speaker(services, jobs, principal, call_id, body.rep_speaker)
    return {**detail, "roles": roles_state(detail.get("analysis"))}


@router.get("/calls/{call_id}/comments", response_model=CommentList, response_model_exclude_unset=True, summary="Review comments on the call's report")
def list_comments(call_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return {"items": views.list_comments(services, principal, call_id)}


@router.post("/calls/{call_id}/comments", response_model=Comment, response_model_exclude_unset=True, status_code=201, summary="Comment on the call's report")
def add_comment(
    call_id: str, body: CommentIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)
) -> dict[str, Any]:
    return views.add_comment(services, principal, call_id, body.text)
