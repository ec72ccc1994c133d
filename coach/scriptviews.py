"""Pre-visit scripts for the API and UI: validates the request, then calls
``scripts_gen.generate_script`` (503 when that module is not installed)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from coach.errors import InputError
from coach.permissions import Principal

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)


def generate_script(
    services: "Services",
    principal: Principal,
    *,
    account: str | None = None,
    notes: str | None = None,
    goal: str | None = None,
) -> dict[str, Any]:
    """``{sections [{title, content, citations}], citations, model}`` (DESIGN.md contract)."""
    from coach.optional import require_feature

    account = (account or "").strip() or None
    notes = (notes or "").strip() or None
    goal = (goal or "").strip() or None
    if not account and not notes:
        raise InputError("give an account or notes for the script")
    if account:
        from coach.intake import resolve_account

        resolve_account(services, account)  # 422 for an unknown account, before any LLM work
    mod = require_feature("scripts_gen", "pre-visit script generation")
    fn = getattr(mod, "generate_script", None)
    if fn is None:
        from coach.optional import FeatureUnavailableError

        raise FeatureUnavailableError("pre-visit script generation is not available", detail="scripts_gen.generate_script missing")
    log.info("script for %s by %s", account or "notes", principal.username)
    import inspect

    kwargs: dict[str, Any] = {"account": account, "notes": notes, "goal": goal}
    if "user_id" in inspect.signature(fn).parameters:
        kwargs["user_id"] = principal.id
    result = fn(services, **kwargs)
    from coach.kbviews import to_plain

    return to_plain(result)


def list_account_names(services: "Services") -> list[str]:
    from sqlalchemy import select

    from coach.db.models import Account

    with services.db.session() as s:
        return list(s.scalars(select(Account.name).order_by(Account.name)))
