"""The coach chat for the web UI and the API: sessions private to their user, answers
streamed by ``coach.chat.ChatService`` (503 when the chat module is not installed)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal
from coach.chat.service import ChatService
from coach.errors import InputError
from coach.knowledge.views import to_plain

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 4000


def ask(services: "Services", principal: Principal, session_id: str | None, text: str) -> Any:
    """Start a chat turn; returns the service's reply: an iterator of text pieces with
    ``.session_id`` and, once exhausted, ``.answer`` (text, citations, notes).

    ``ChatService`` refuses another user's session with a not-found error; chats are
    private, managers included.
    """
    text = (text or "").strip()
    if not text:
        raise InputError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    return ChatService(services).ask(session_id or None, principal.id, text)


def ask_complete(services: "Services", principal: Principal, session_id: str | None, text: str) -> dict[str, Any]:
    """A whole answer (the REST API): ``{session_id, text, citations, notes, model, ok}``."""
    reply = ask(services, principal, session_id, text)
    answer = reply.collect()
    return to_plain(answer)


def citation_ids(answer: Any) -> list[str]:
    """Case ids an answer rests on, in order, without duplicates."""
    out: list[str] = []
    for c in getattr(answer, "citations", None) or []:
        cid = getattr(c, "id", None) or (c.get("id") if isinstance(c, dict) else None)
        if cid and cid not in out:
            out.append(str(cid))
    return out
