"""Knowledge-base search and case lookup (won and lost deals)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query

from coach.permissions import Principal
from ui.api.deps import current_user, get_services

router = APIRouter(tags=["knowledge"])


@router.get("/kb/search", summary="Hybrid search over the case base")
def search(
    q: str = Query(..., min_length=1, max_length=1000),
    k: int = Query(5, ge=1, le=50),
    outcome: Literal["won", "lost"] | None = None,
    industry: str | None = None,
    principal: Principal = Depends(current_user),
    services: Any = Depends(get_services),
) -> dict[str, Any]:
    from coach.kbviews import search_cases

    items = search_cases(services, q, k=k, outcome=outcome, industry=industry)
    return {"query": q, "items": items, "count": len(items)}


@router.get("/kb/cases/{case_id}", summary="One case with its full text")
def get_case(case_id: str, principal: Principal = Depends(current_user), services: Any = Depends(get_services)) -> dict[str, Any]:
    from coach.kbviews import get_case as _get

    return _get(services, case_id)
