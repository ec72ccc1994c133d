"""Role-play against an AI buyer: personas, sessions, turns, scorecard, history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from coach.permissions import Principal
from ui.api.deps import current_user, get_services

router = APIRouter(tags=["roleplay"])


class StartIn(BaseModel):
    persona_id: str = Field(min_length=1, max_length=80)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class TurnIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.get("/roleplay/personas", summary="Buyer personas (public part; the agenda stays hidden)")
def personas(principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach import roleplayviews

    return {"items": roleplayviews.list_personas(services)}


@router.post("/roleplay/sessions", status_code=201, summary="Start a session; returns the buyer's first line")
def start(body: StartIn, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach import roleplayviews

    return roleplayviews.start(services, principal, body.persona_id, body.seed)


@router.get("/roleplay/sessions", summary="Role-play history you may see")
def history(
    user: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(current_user),
    services: Any = Depends(get_services),
) -> dict[str, Any]:
    from coach import roleplayviews

    return {"items": roleplayviews.history(services, principal, user=user, limit=limit)}


@router.get("/roleplay/sessions/{session_id}", summary="One session with its turns and scorecard")
def get_session(session_id: str, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach import roleplayviews

    return roleplayviews.get_session(services, principal, session_id)


@router.post("/roleplay/sessions/{session_id}/turns", summary="Say something to the buyer; returns its answer")
def turn(
    session_id: str, body: TurnIn, principal: Principal = Depends(current_user), services: Any = Depends(get_services)
) -> dict[str, Any]:
    from coach import roleplayviews

    return roleplayviews.rep_turn(services, principal, session_id, body.text)


@router.post("/roleplay/sessions/{session_id}/audio", summary="Say something by voice (audio file); returns what was heard and the answer")
def audio_turn(
    session_id: str,
    file: UploadFile = File(..., description="a short recording of the rep's turn"),
    principal: Principal = Depends(current_user),
    services: Any = Depends(get_services),
) -> dict[str, Any]:
    from coach import roleplayviews
    from coach.intake import check_kind, store_incoming

    path, _ = store_incoming(services, file.file, file.filename or "turn.wav")
    try:
        ext = check_kind(path, file.filename or "turn.wav")
        if ext not in (".txt", ".vtt", ".srt", ".json"):
            return roleplayviews.rep_audio(services, principal, session_id, str(path))
        from coach.errors import UnsupportedMediaError

        raise UnsupportedMediaError("a voice turn must be audio", detail="send text turns to /turns")
    finally:
        path.unlink(missing_ok=True)


@router.post("/roleplay/sessions/{session_id}/finish", summary="End the session and score it")
def finish(session_id: str, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach import roleplayviews

    return roleplayviews.finish(services, principal, session_id)
