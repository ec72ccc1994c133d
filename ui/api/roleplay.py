"""Role-play against an AI buyer: personas, sessions, turns, scorecard, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from coach.auth.permissions import Principal
from coach.calls.intake import check_kind, store_incoming
from coach.errors import UnsupportedMediaError
from coach.roleplay import views as roleplayviews
from coach.services import Services
from ui.api.deps import current_user, get_services
from ui.api.schemas import PersonaList, RoleplayFinished, RoleplaySession, RoleplaySessionList, RoleplayStarted, RoleplayTurn

router = APIRouter(tags=["roleplay"])


class StartIn(BaseModel):
    persona_id: str = Field(min_length=1, max_length=80)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class TurnIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.get("/roleplay/personas", response_model=PersonaList, response_model_exclude_unset=True, summary="Buyer personas (public part; the agenda stays hidden)")
def personas(principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return {"items": roleplayviews.list_personas(services)}


@router.post("/roleplay/sessions", response_model=RoleplayStarted, response_model_exclude_unset=True, status_code=201, summary="Start a session; returns the buyer's first line")
def start(body: StartIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return roleplayviews.start(services, principal, body.persona_id, body.seed)


@router.get("/roleplay/sessions", response_model=RoleplaySessionList, response_model_exclude_unset=True, summary="Role-play history you may see")
def history(
    user: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    return {"items": roleplayviews.history(services, principal, user=user, limit=limit)}


@router.get("/roleplay/sessions/{session_id}", response_model=RoleplaySession, response_model_exclude_unset=True, summary="One session with its turns and scorecard")
def get_session(session_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return roleplayviews.get_session(services, principal, session_id)


@router.post("/roleplay/sessions/{session_id}/turns", response_model=RoleplayTurn, response_model_exclude_unset=True, summary="Say something to the buyer; returns its answer")
def turn(
    session_id: str, body: TurnIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)
) -> dict[str, Any]:
    return roleplayviews.rep_turn(services, principal, session_id, body.text)


@router.post("/roleplay/sessions/{session_id}/audio", response_model=RoleplayTurn, response_model_exclude_unset=True, summary="Say something by voice (audio file); returns what was heard and the answer")
def audio_turn(
    session_id: str,
    file: UploadFile = File(..., description="a short recording of the rep's turn"),
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    path, _ = store_incoming(services, file.file, file.filename or "turn.wav")
    try:
        ext = check_kind(path, file.filename or "turn.wav")
        if ext not in (".txt", ".vtt", ".srt", ".json"):
            return roleplayviews.rep_audio(services, principal, session_id, str(path))

        raise UnsupportedMediaError("a voice turn must be audio", detail="send text turns to /turns")
    finally:
        path.unlink(missing_ok=True)


@router.post("/roleplay/sessions/{session_id}/finish", response_model=RoleplayFinished, response_model_exclude_unset=True, summary="End the session and score it")
def finish(session_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return roleplayviews.finish(services, principal, session_id)
