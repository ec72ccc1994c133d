"""Chat sessions and messages (tables ``chat_sessions`` / ``chat_messages``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coach.errors import NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

TITLE_CHARS = 60


class StoredMessage(BaseModel):
    id: int
    role: str
    content: str
    citations: list[Any] = Field(default_factory=list)
    created_at: str


class SessionInfo(BaseModel):
    id: str
    user_id: int | None
    title: str
    created_at: str
    messages: int = 0


class ChatStore:
    """Chat sessions and messages. ``redact`` (``settings.redact_stored_transcripts``)
    stores messages and titles with PII replaced by placeholders."""

    def __init__(self, db: "Database", *, redact: bool = False) -> None:
        self.db = db
        self.redact = redact

    def _stored(self, text: str) -> str:
        if not self.redact:
            return text
        from coach.privacy.pii import redact

        return redact(text).text

    def open(self, session_id: str | None, user_id: int | None, first_text: str) -> str:
        """The id of ``session_id`` (checked: exists, and belongs to ``user_id`` when the
        session has an owner) or of a new session titled after ``first_text``."""
        from coach.db.models import ChatSession

        with self.db.session() as s:
            if session_id:
                row = s.get(ChatSession, session_id)
                # a session with an owner is theirs alone; an owner-less one (CLI) is not
                # joinable from the web or the API, where every caller has an id
                if row is None or row.user_id != user_id:
                    raise NotFoundError(f"chat session {session_id} not found",
                                        detail="start a new one without --session")
                return row.id
            title = " ".join(self._stored(first_text).split())[:TITLE_CHARS] or "chat"
            row = ChatSession(user_id=user_id, title=title)
            s.add(row)
            s.flush()
            return row.id

    def add(self, session_id: str, role: str, content: str, citations: list[Any] | None = None) -> int:
        from coach.db.models import ChatMessage

        with self.db.session() as s:
            msg = ChatMessage(session_id=session_id, role=role, content=self._stored(content), citations=citations or [])
            s.add(msg)
            s.flush()
            return msg.id

    def messages(self, session_id: str, *, roles: tuple[str, ...] = ("user", "assistant"),
                 limit: int | None = None) -> list[StoredMessage]:
        """Messages of a session, oldest first (the last ``limit`` when given)."""
        from sqlalchemy import select

        from coach.db.models import ChatMessage

        with self.db.session() as s:
            q = (select(ChatMessage).where(ChatMessage.session_id == session_id, ChatMessage.role.in_(roles))
                 .order_by(ChatMessage.id.desc()))
            if limit:
                q = q.limit(limit)
            rows = list(s.scalars(q))
        return [StoredMessage(id=r.id, role=r.role, content=r.content, citations=list(r.citations or []),
                              created_at=r.created_at.isoformat()) for r in reversed(rows)]

    def sessions(self, user_id: int | None = None) -> list[SessionInfo]:
        from sqlalchemy import func, select

        from coach.db.models import ChatMessage, ChatSession

        with self.db.session() as s:
            counts = dict(s.execute(select(ChatMessage.session_id, func.count()).group_by(ChatMessage.session_id)).all())
            q = select(ChatSession).order_by(ChatSession.created_at.desc())
            if user_id is not None:
                q = q.where(ChatSession.user_id == user_id)
            return [SessionInfo(id=r.id, user_id=r.user_id, title=r.title, created_at=r.created_at.isoformat(),
                                messages=counts.get(r.id, 0)) for r in s.scalars(q)]


#: a question this short (words) is read together with the previous one
FOLLOWUP_WORDS = 12


def followup_context(text: str, history: list[StoredMessage]) -> tuple[str, list[str]]:
    """(retrieval query, case ids the last answer cited) for a turn of a conversation."""
    prev_user = next((m.content for m in reversed(history) if m.role == "user"), "")
    query = f"{prev_user} {text}" if prev_user and len(text.split()) < FOLLOWUP_WORDS else text
    last = next((m for m in reversed(history) if m.role == "assistant"), None)
    cited = [str(c) for c in (last.citations if last else []) if isinstance(c, str)]
    return query, cited
