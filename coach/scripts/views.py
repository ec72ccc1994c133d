"""Pre-visit scripts for the API and UI: validates the request, then calls
``scripts_gen.generate_script``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal
from coach.db.models import Account
from coach.errors import InputError
from coach.knowledge.views import to_plain
from scripts_gen import generate_script as write_script

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
    """``{sections [{title, content, citations}], citations, model}`` (docs/contracts/script.schema.json)."""
    account = (account or "").strip() or None
    notes = (notes or "").strip() or None
    goal = (goal or "").strip() or None
    if not account and not notes:
        raise InputError("give an account or notes for the script")
    if account:
        from coach.calls.intake import resolve_account

        resolve_account(services, account)  # 422 for an unknown account, before any LLM work
    log.info("script for %s by %s", account or "notes", principal.username)
    result = write_script(services, account=account, notes=notes, goal=goal, user_id=principal.id)
    return to_plain(result)


def stream_script_events(
    services: "Services",
    principal: Principal,
    *,
    account: str | None = None,
    notes: str | None = None,
    goal: str | None = None,
) -> Iterator[Any]:
    """The script as it forms (``scripts_gen.stream_script`` events: the grounded plan at
    once, then each section as the model's phrasing passes validation, then "done"), after
    the same request checks as :func:`generate_script`. Event scripts are plain dicts."""
    from scripts_gen import stream_script

    account = (account or "").strip() or None
    notes = (notes or "").strip() or None
    goal = (goal or "").strip() or None
    if not account and not notes:
        raise InputError("give an account or notes for the script")
    if account:
        from coach.calls.intake import resolve_account

        resolve_account(services, account)
    log.info("streamed script for %s by %s", account or "notes", principal.username)
    for event in stream_script(services, account=account, notes=notes, goal=goal, user_id=principal.id):
        event.script = to_plain(event.script)
        yield event


def list_account_names(services: "Services") -> list[str]:
    from sqlalchemy import select


    with services.db.session() as s:
        return list(s.scalars(select(Account.name).order_by(Account.name)))
