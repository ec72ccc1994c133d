"""The audit log: who logged in (or failed to, or was locked out), who opened which call,
who downloaded or exported what. Rows in ``audit_events``; writing one never fails the
request it describes (a failure is logged instead)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

log = logging.getLogger(__name__)

ACTIONS = ("login", "login_failed", "login_locked", "lockout", "open_call", "download", "export", "user_change")


def record(
    db: "Database",
    action: str,
    *,
    username: str = "",
    target: str = "",
    channel: str = "",
    client: str = "",
    detail: str = "",
) -> None:
    """Append one event (``action`` is one of :data:`ACTIONS`)."""
    from coach.db.models import AuditEvent

    try:
        with db.session() as s:
            s.add(
                AuditEvent(
                    action=action,
                    username=(username or "")[:80],
                    target=(target or "")[:200],
                    channel=channel[:8],
                    client=(client or "")[:64],
                    detail=(detail or "")[:400],
                )
            )
    except Exception:  # noqa: BLE001 - the audit log must not break the action it records
        log.warning("could not write audit event %s for %s", action, username, exc_info=True)


def list_events(
    db: "Database", *, username: str | None = None, action: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Newest first, optionally one user's or one action's."""
    from sqlalchemy import select

    from coach.db.models import AuditEvent

    with db.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))
        if username:
            q = q.where(AuditEvent.username == username)
        if action:
            q = q.where(AuditEvent.action == action)
        return [
            {
                "at": e.at.isoformat() if e.at else None,
                "username": e.username,
                "action": e.action,
                "target": e.target,
                "channel": e.channel,
                "client": e.client,
                "detail": e.detail,
            }
            for e in s.scalars(q)
        ]
