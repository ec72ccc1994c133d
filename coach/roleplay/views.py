"""Role-play for the API and UI: personas (public part only), sessions owned by their
rep and visible to the rep's manager, turns, scorecards, history."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from coach.auth.permissions import Principal, ensure_visible, filter_owned
from coach.errors import InputError, NotFoundError, PermissionDeniedError
from coach.knowledge.views import to_plain
from coach.roleplay.personas import load_personas, personas_dir
from coach.roleplay.service import RoleplayService

if TYPE_CHECKING:  # pragma: no cover
    from coach.services import Services

log = logging.getLogger(__name__)

MAX_TURN_CHARS = 2000

#: striped locks: a fixed set, so nothing grows with the number of sessions
_session_locks = [threading.Lock() for _ in range(64)]


def _lock(session_id: str) -> threading.Lock:
    """One turn at a time per session: a finish never races a turn still being answered."""
    return _session_locks[hash(session_id) % len(_session_locks)]


def _service(services: "Services") -> Any:
    return RoleplayService(services)


_persona_cache: dict[str, tuple[tuple, list[dict[str, Any]]]] = {}


def list_personas(services: "Services") -> list[dict[str, Any]]:
    """Public summaries (never the hidden agenda) of the personas in knowledge_dir.

    Parsed once and cached until a persona file is added, removed or changed (the pages
    ask for them on every load; validating nine YAML files costs ~0.1 s)."""
    from pathlib import Path

    folder = personas_dir(Path(services.settings.knowledge_dir))
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.yaml")))
    cached = _persona_cache.get(str(folder))
    if cached is not None and cached[0] == stamp:
        return [dict(x) for x in cached[1]]
    personas = [p.public_summary() for p in load_personas(services.settings.knowledge_dir).values()]
    _persona_cache[str(folder)] = (stamp, personas)
    return [dict(x) for x in personas]


def _session_row(services: "Services", principal: Principal, session_id: str, *, own: bool = False) -> dict[str, Any]:
    from coach.db.models import RoleplaySession

    with services.db.session() as s:
        row = s.get(RoleplaySession, session_id)
        if row is None:
            raise NotFoundError(f"role-play session {session_id} not found")
        ensure_visible(s, principal, row.user_id, "role-play session", session_id)
        if own and row.user_id != principal.id:
            raise PermissionDeniedError("only the rep who started a role-play can play or finish it")
        return session_dict(row)


def session_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "user_id": row.user_id,
        "persona_id": row.persona_id,
        "seed": row.seed,
        "status": row.status,
        "turns": row.turns or [],
        "outcome": row.outcome,
        "score_total": row.score_total,
        "scorecard": row.scorecard,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }


def start(services: "Services", principal: Principal, persona_id: str, seed: int = 0) -> dict[str, Any]:
    svc = _service(services)
    session_id, first = svc.start(persona_id, principal.id, seed)
    log.info("role-play %s started by %s with %s", session_id, principal.username, persona_id)
    return {"session_id": session_id, "persona_id": persona_id, "buyer": to_plain(first)}


def rep_turn(services: "Services", principal: Principal, session_id: str, text: str) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        raise InputError("the turn is empty")
    if len(text) > MAX_TURN_CHARS:
        raise InputError(f"the turn is longer than {MAX_TURN_CHARS} characters")
    with _lock(session_id):
        row = _session_row(services, principal, session_id, own=True)
        if row["status"] != "active":
            raise InputError(f"role-play session {session_id} is already finished")
        buyer = _service(services).rep_turn(session_id, text, user_id=principal.id)
    return {"session_id": session_id, "rep_text": text, "buyer": to_plain(buyer)}


def rep_audio(services: "Services", principal: Principal, session_id: str, audio_path: str) -> dict[str, Any]:
    """A spoken turn: transcribed by the speech pipeline's Whisper, then played as text."""
    with _lock(session_id):
        row = _session_row(services, principal, session_id, own=True)
        if row["status"] != "active":
            raise InputError(f"role-play session {session_id} is already finished")
        out = to_plain(_service(services).rep_audio(session_id, audio_path, user_id=principal.id))
    return {"session_id": session_id, "rep_text": out.pop("rep_text", ""), "buyer": out}


def finish(services: "Services", principal: Principal, session_id: str) -> dict[str, Any]:
    with _lock(session_id):
        row = _session_row(services, principal, session_id, own=True)
        if row["status"] != "active" and row["scorecard"]:
            return {"session_id": session_id, "scorecard": row["scorecard"], "outcome": row["outcome"]}
        card = to_plain(_service(services).finish(session_id, user_id=principal.id))
    after = _session_row(services, principal, session_id)
    from coach.team.views import complete_assignments

    complete_assignments(services, principal.id, row["persona_id"])
    return {"session_id": session_id, "scorecard": card, "outcome": after["outcome"]}


def progress(services: "Services", principal: Principal) -> dict[str, Any]:
    """The principal's own progress across finished sessions (totals, criteria, checks)."""
    return to_plain(_service(services).history(principal.id)["progress"])


def get_session(services: "Services", principal: Principal, session_id: str) -> dict[str, Any]:
    return _session_row(services, principal, session_id)


def history(services: "Services", principal: Principal, *, user: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Sessions the principal may see, newest first (a rep: own; a manager: team)."""
    from sqlalchemy import select

    from coach.db.models import RoleplaySession, User

    with services.db.session() as s:
        q = (
            select(RoleplaySession, User.username)
            .outerjoin(User, RoleplaySession.user_id == User.id)
            .where(filter_owned(s, principal, RoleplaySession.user_id))
            .order_by(RoleplaySession.created_at.desc())
            .limit(max(1, min(limit, 500)))
        )
        if user:
            q = q.where(User.username == user)
        out = []
        for row, username in s.execute(q):
            d = session_dict(row)
            d["user"] = username
            d["turn_count"] = len(d.pop("turns"))
            out.append(d)
        return out
