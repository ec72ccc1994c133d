"""Login throttling with lockout, shared by the API and the web login.

After ``max_failures`` wrong passwords within ``window_s`` for one user name, or
``max_client_failures`` from one client address (higher: an office shares one address),
logins for it are refused for ``lockout_s`` - the right password too - with a 429 that
says when to try again. A success clears the user's count.

The state is the audit log in the database (``audit_events``: ``login_failed`` rows are
the failures, a ``lockout`` row starts a lockout, a ``login`` row resets the user's count),
so every API/web replica on the same database sees the same counts and lockouts
(docs/scale-out.md) and nothing grows in process memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from sqlalchemy import func, select

from coach.auth import audit
from coach.db.models import AuditEvent
from coach.errors import TooManyAttemptsError

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    max_client_failures: int = 20
    window_s: float = 15 * 60.0
    lockout_s: float = 15 * 60.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


class LoginThrottle:
    def __init__(self, db: "Database", policy: ThrottlePolicy | None = None,
                 clock: Callable[[], datetime] = _now) -> None:
        self.db = db
        self.policy = policy or ThrottlePolicy()
        self.clock = clock

    @staticmethod
    def _keys(username: str, client: str | None) -> list[str]:
        keys = ["u:" + (username or "").strip().lower()]
        if client:
            keys.append("c:" + client)
        return keys

    def _lockout_started(self, s, key: str) -> datetime | None:
        at = s.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.action == "lockout", AuditEvent.target == key[:200]))
        return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at

    def check(self, username: str, client: str | None = None) -> None:
        """TooManyAttemptsError while the user name or the client is locked out."""
        now = self.clock()
        with self.db.session() as s:
            for key in self._keys(username, client):
                started = self._lockout_started(s, key)
                if started is None:
                    continue
                left = (started + timedelta(seconds=self.policy.lockout_s) - now).total_seconds()
                if left > 0:
                    raise TooManyAttemptsError(
                        "too many failed logins; try again later",
                        detail=f"locked for about {max(1, round(left / 60))} more minute(s)",
                    )

    def failed(self, username: str, client: str | None = None, *, channel: str = "") -> bool:
        """Count a wrong password (before its ``login_failed`` row is written); True when
        this failure started a lockout."""
        now = self.clock()
        p = self.policy
        name = (username or "").strip()
        lockouts: list[str] = []
        with self.db.session() as s:
            for key in self._keys(name, client):
                since = now - timedelta(seconds=p.window_s)
                started = self._lockout_started(s, key)
                if started is not None and started > since:
                    since = started
                q = select(func.count()).select_from(AuditEvent).where(
                    AuditEvent.action == "login_failed", AuditEvent.at > since)
                if key.startswith("u:"):
                    last_ok = s.scalar(select(func.max(AuditEvent.at)).where(
                        AuditEvent.action == "login", func.lower(AuditEvent.username) == key[2:]))
                    if last_ok is not None:
                        last_ok = last_ok.replace(tzinfo=timezone.utc) if last_ok.tzinfo is None else last_ok
                        since = max(since, last_ok)
                    q = select(func.count()).select_from(AuditEvent).where(
                        AuditEvent.action == "login_failed", AuditEvent.at > since,
                        func.lower(AuditEvent.username) == key[2:])
                    limit = p.max_failures
                else:
                    q = q.where(AuditEvent.client == key[2:][:64])
                    limit = p.max_client_failures
                if (s.scalar(q) or 0) + 1 >= limit:
                    lockouts.append(key)
        for key in lockouts:
            audit.record(self.db, "lockout", username=name, target=key, channel=channel, client=client or "")
        return bool(lockouts)

    def succeeded(self, username: str) -> None:
        """Nothing to do: the ``login`` audit row written for the success resets the count."""
