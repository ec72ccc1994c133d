"""The coach chat as one request/response (the web UI streams the same service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from coach.auth.permissions import Principal
from coach.chat.views import ask_complete
from coach.services import Services
from ui.api.deps import current_user, get_services
from ui.api.schemas import ChatAnswer

router = APIRouter(tags=["chat"])


class ChatIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    session_id: str | None = Field(None, max_length=32, description="continue a chat of yours; omit to start one")


@router.post("/chat", response_model=ChatAnswer, response_model_exclude_unset=True, summary="Ask the coach; the answer cites the cases it rests on")
def chat(body: ChatIn, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return ask_complete(services, principal, body.session_id, body.text)
