"""Knowledge-base search and case lookup (won and lost deals)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from coach.auth.permissions import Principal
from coach.knowledge.views import search_cases
from coach.knowledge.views import get_case as _get
from coach.services import Services
from ui.api.deps import current_user, get_services
from ui.api.schemas import Case, CaseSearch

router = APIRouter(tags=["knowledge"])


@router.get("/kb/search", response_model=CaseSearch, response_model_exclude_unset=True, summary="Hybrid search over the case base")
def search(
    q: str = Query(..., min_length=1, max_length=1000),
    k: int = Query(5, ge=1, le=50),
    outcome: Literal["won", "lost"] | None = None,
    industry: str | None = None,
    principal: Principal = Depends(current_user),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    items = search_cases(services, q, k=k, outcome=outcome, industry=industry)
    return {"query": q, "items": items, "count": len(items)}


@router.get("/kb/cases/{case_id}", response_model=Case, response_model_exclude_unset=True, summary="One case with its full text")
def get_case(case_id: str, principal: Principal = Depends(current_user), services: Services = Depends(get_services)) -> dict[str, Any]:
    return _get(services, case_id)
