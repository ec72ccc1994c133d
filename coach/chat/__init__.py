"""The coach chat: ``ChatService(services).ask(session_id, user_id, text)`` streams an
answer and stores the turn; see :mod:`coach.chat.service`."""

from coach.chat.answer import ChatAnswer, Citation
from coach.chat.service import ChatReply, ChatService
from coach.chat.tools import MIN_RELEVANCE, CoachTools

__all__ = ["ChatAnswer", "ChatReply", "ChatService", "Citation", "CoachTools", "MIN_RELEVANCE"]
