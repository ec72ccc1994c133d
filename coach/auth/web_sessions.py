"""Web (Gradio) login sessions in the database, so every API replica behind a load
balancer knows every session: log in on one replica, keep working on another.

Only a SHA-256 of the cookie token is stored; a stolen database does not give usable
cookies. :meth:`WebSessionStore.revoke_user` ends all of a user's sessions (log out
everywhere, password change, account removal).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from coach.db.engine import Database

log = logging.getLogger(__name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class WebSessionStore:
    """Create, look up and end web sessions (token -> username) in ``web_sessions``."""

    def __init__(self, db: "Database", *, ttl_minutes: float = 12 * 60) -> None:
        self.db = db
        self.ttl = timedelta(minutes=ttl_minutes)

    def create(self, username: str, token: str | None = None) -> str:
        """Record a session for ``username``; returns its token (new unless given)."""
        from coach.db.models import WebSession

        token = token or secrets.token_urlsafe(32)
        now = datetime.now(timezone.utc)
        with self.db.session() as s:
            s.merge(WebSession(token_hash=_hash(token), username=username, created_at=now, expires_at=now + self.ttl))
        return token

    def username(self, token: str | None) -> str | None:
        """The user of a live session, or None (unknown, expired or revoked)."""
        if not token:
            return None
        return self._username_by_hash(_hash(token))

    def _username_by_hash(self, token_hash: str) -> str | None:
        from coach.db.models import WebSession

        with self.db.session() as s:
            row = s.get(WebSession, token_hash)
            if row is None or _aware(row.expires_at) <= datetime.now(timezone.utc):
                return None
            return row.username

    def revoke(self, token: str) -> bool:
        """End one session; True if it existed."""
        return self._delete_hash(_hash(token))

    def _delete_hash(self, token_hash: str) -> bool:
        from sqlalchemy import delete

        from coach.db.models import WebSession

        with self.db.session() as s:
            return s.execute(delete(WebSession).where(WebSession.token_hash == token_hash)).rowcount > 0

    def revoke_user(self, username: str) -> int:
        """End every session of ``username``; returns how many."""
        from sqlalchemy import delete

        from coach.db.models import WebSession

        with self.db.session() as s:
            n = s.execute(delete(WebSession).where(WebSession.username == username)).rowcount
        if n:
            log.info("ended %d web session(s) of %s", n, username)
        return n

    def purge_expired(self) -> int:
        from sqlalchemy import delete

        from coach.db.models import WebSession

        with self.db.session() as s:
            return s.execute(delete(WebSession).where(WebSession.expires_at <= datetime.now(timezone.utc))).rowcount

    def _hashes_of(self, username: str | None = None) -> list[str]:
        from sqlalchemy import select

        from coach.db.models import WebSession

        with self.db.session() as s:
            q = select(WebSession.token_hash)
            if username is not None:
                q = q.where(WebSession.username == username)
            return list(s.scalars(q))


class SessionTokenMap(MutableMapping[str, str]):
    """The ``token -> username`` mapping Gradio keeps in ``App.tokens``, backed by the
    store. Gradio's "log out everywhere" iterates the keys; since raw tokens are not
    stored, iteration yields opaque ``"#<hash>"`` keys that the other methods accept."""

    _OPAQUE = "#"

    def __init__(self, store: WebSessionStore) -> None:
        self.store = store

    def _h(self, key: str) -> str:
        return key[1:] if key.startswith(self._OPAQUE) else _hash(key)

    def __getitem__(self, key: str) -> str:
        user = self.store._username_by_hash(self._h(key)) if key else None
        if user is None:
            raise KeyError(key)
        return user

    def __setitem__(self, key: str, username: str) -> None:
        if key.startswith(self._OPAQUE):
            raise KeyError("opaque session keys cannot be set")
        self.store.create(username, token=key)

    def __delitem__(self, key: str) -> None:
        if not self.store._delete_hash(self._h(key)):
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([self._OPAQUE + h for h in self.store._hashes_of()])

    def __len__(self) -> int:
        return len(self.store._hashes_of())
