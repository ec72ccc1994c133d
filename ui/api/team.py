"""Managers and admins: team overview, practice assignments, users, knowledge uploads."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Path as PathParam, UploadFile
from pydantic import BaseModel, Field

from coach.auth.permissions import Principal, require_role
from coach.auth.users import list_users
from coach.auth.users import create_user as _create
from coach.knowledge.views import ingest_uploads
from coach.services import Services
from coach.team.views import list_assignments
from coach.team.views import set_assignment_status
from coach.team.views import team_overview
from coach.team.views import assign_practice
from ui.api.deps import current_user, get_services
from ui.api.schemas import Assignment, AssignmentList, KnowledgeUpload, TeamOverview, User, UserList

router = APIRouter(tags=["team"])


class AssignmentIn(BaseModel):
    user: str = Field(min_length=1, max_length=80, description="username of the rep")
    persona_id: str = Field(min_length=1, max_length=80)
    note: str = Field("", max_length=2000)


class AssignmentStatusIn(BaseModel):
    status: Literal["open", "done"]


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=80)
    password: str = Field(min_length=8, max_length=1024)
    role: Literal["rep", "manager", "admin"] = "rep"
    team: str | None = Field(None, max_length=120)
    display_name: str = Field("", max_length=120)


@router.get("/team/overview", response_model=TeamOverview, response_model_exclude_unset=True, summary="Per-rep metrics, weekly trends, flagged calls (managers, admins)")
def overview(principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return team_overview(services, principal)


@router.get("/assignments", response_model=AssignmentList, response_model_exclude_unset=True, summary="Practice assignments you may see")
def assignments(
    status: Literal["open", "done"] | None = None,
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    return {"items": list_assignments(services, principal, status=status)}


@router.post("/assignments", response_model=Assignment, response_model_exclude_unset=True, status_code=201, summary="Assign a role-play persona to a rep of your team")
def assign(body: AssignmentIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return assign_practice(services, principal, body.user, body.persona_id, body.note)


@router.patch("/assignments/{assignment_id}", response_model=Assignment, response_model_exclude_unset=True, summary="Mark an assignment open or done")
def set_status(
    assignment_id: int, body: AssignmentStatusIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)
) -> dict[str, Any]:
    return set_assignment_status(services, principal, assignment_id, body.status)


@router.get("/users", response_model=UserList, response_model_exclude_unset=True, summary="Users (admins: all; managers: their team)")
def users(principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    require_role(principal, "manager", "admin")
    team = None if principal.is_admin else principal.team_id
    if not principal.is_admin and team is None:
        return {"items": []}
    return {"items": list_users(services.db, team_id=team)}


@router.post("/users", response_model=User, response_model_exclude_unset=True, status_code=201, summary="Create a user (admins)")
def create_user(body: UserIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    require_role(principal, "admin")
    p = _create(services.db, body.username, body.password, role=body.role, team=body.team, display_name=body.display_name)
    return {"id": p.id, "username": p.username, "role": p.role, "team_id": p.team_id}


@router.post("/knowledge/{kind}", response_model=KnowledgeUpload, response_model_exclude_unset=True, summary="Upload cases, personas or rubrics (admins); returns per-file errors")
def upload_knowledge(
    kind: Literal["cases", "personas", "rubrics"] = PathParam(...),
    files: list[UploadFile] = File(...),
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    require_role(principal, "admin")
    with tempfile.TemporaryDirectory(dir=services.settings.data_dir) as tmp:
        staged: list[tuple[str, Path]] = []
        for i, f in enumerate(files):
            dest = Path(tmp) / f"{i}-{Path(f.filename or 'file').name}"
            with dest.open("wb") as out:
                shutil.copyfileobj(f.file, out)
            staged.append((f.filename or dest.name, dest))
        return ingest_uploads(services, principal, kind, staged)
