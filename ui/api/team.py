"""Managers and admins: team overview, practice assignments, users, knowledge uploads."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Path as PathParam, UploadFile
from pydantic import BaseModel, Field

from coach.permissions import Principal, require_role
from ui.api.deps import current_user, get_services

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


@router.get("/team/overview", summary="Per-rep metrics, weekly trends, flagged calls (managers, admins)")
def overview(principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach.team import team_overview

    return team_overview(services, principal)


@router.get("/assignments", summary="Practice assignments you may see")
def assignments(
    status: Literal["open", "done"] | None = None,
    principal: Principal = Depends(current_user),
    services: Any = Depends(get_services),
) -> dict[str, Any]:
    from coach.team import list_assignments

    return {"items": list_assignments(services, principal, status=status)}


@router.post("/assignments", status_code=201, summary="Assign a role-play persona to a rep of your team")
def assign(body: AssignmentIn, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach.team import assign_practice

    return assign_practice(services, principal, body.user, body.persona_id, body.note)


@router.patch("/assignments/{assignment_id}", summary="Mark an assignment open or done")
def set_status(
    assignment_id: int, body: AssignmentStatusIn, principal: Principal = Depends(current_user), services: Any = Depends(get_services)
) -> dict[str, Any]:
    from coach.team import set_assignment_status

    return set_assignment_status(services, principal, assignment_id, body.status)


@router.get("/users", summary="Users (admins: all; managers: their team)")
def users(principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach.users import list_users

    require_role(principal, "manager", "admin")
    team = None if principal.is_admin else principal.team_id
    if not principal.is_admin and team is None:
        return {"items": []}
    return {"items": list_users(services.db, team_id=team)}


@router.post("/users", status_code=201, summary="Create a user (admins)")
def create_user(body: UserIn, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach.users import create_user as _create

    require_role(principal, "admin")
    p = _create(services.db, body.username, body.password, role=body.role, team=body.team, display_name=body.display_name)
    return {"id": p.id, "username": p.username, "role": p.role, "team_id": p.team_id}


@router.post("/knowledge/{kind}", summary="Upload cases, personas or rubrics (admins); returns per-file errors")
def upload_knowledge(
    kind: Literal["cases", "personas", "rubrics"] = PathParam(...),
    files: list[UploadFile] = File(...),
    principal: Principal = Depends(current_user),
    services: Any = Depends(get_services),
) -> dict[str, Any]:
    from coach.kbviews import ingest_uploads

    require_role(principal, "admin")
    with tempfile.TemporaryDirectory(dir=services.settings.data_dir) as tmp:
        staged: list[tuple[str, Path]] = []
        for i, f in enumerate(files):
            dest = Path(tmp) / f"{i}-{Path(f.filename or 'file').name}"
            with dest.open("wb") as out:
                shutil.copyfileobj(f.file, out)
            staged.append((f.filename or dest.name, dest))
        return ingest_uploads(services, principal, kind, staged)
