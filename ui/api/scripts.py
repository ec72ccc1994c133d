"""Pre-visit scripts (grounded in the knowledge base; every proof point cites a case)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from coach.auth.permissions import Principal
from coach.scripts.views import generate_script
from coach.services import Services
from ui.api.deps import current_user, get_services
from ui.api.schemas import Script

router = APIRouter(tags=["scripts"])


class ScriptRequest(BaseModel):
    account: str | None = Field(None, max_length=200, description="account name (its history is used)")
    notes: str | None = Field(None, max_length=5000, description="free-text situation")
    goal: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _one_of(self) -> "ScriptRequest":
        if not (self.account or "").strip() and not (self.notes or "").strip():
            raise ValueError("give an account or notes")
        return self


@router.post(
    "/scripts", response_model=Script, response_model_exclude_unset=True,
    summary="Write a pre-visit script: {sections [{title, content, citations}], citations, model}",
)
def create_script(
    body: ScriptRequest, principal: Principal = Depends(current_user), services: Services = Depends(get_services)
) -> dict[str, Any]:
    return generate_script(services, principal, account=body.account, notes=body.notes, goal=body.goal)
