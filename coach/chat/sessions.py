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
    def __init__(self, db: "Database") -> None:
        self.db = db

    def open(self, session_id: str | None, user_id: int | None, first_text: str) -> str:
        """The id of ``session_id`` (checked: exists, and belongs to ``user_id`` when the
        session has an owner) or of a new session titled after ``first_text``."""
        from coach.db.models import ChatSession

        with self.db.session() as s:
            if session_id:
                row = s.get(ChatSession, session_id)
                if row is None or (user_id is not None and row.user_id is not None and row.user_id != user_id):
                    raise NotFoundError(f"chat session {session_id} not found",
                                        detail="start a new one without --session")
                return row.id
            title = " ".join(first_text.split())[:TITLE_CHARS] or "chat"
            row = ChatSession(user_id=user_id, title=title)
            s.add(row)
            s.flush()
            return row.id

    def add(self, session_id: str, role: str, content: str, citations: list[Any] | None = None) -> int:
        from coach.db.models import ChatMessage

        with self.db.session() as s:
            msg = ChatMessage(session_id=session_id, role=role, content=content, citations=citations or [])
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
