"""User and team management (``salescoach users ...``, the demo seed, the admin API)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from coach.auth.passwords import hash_password, verify_password
from coach.auth.permissions import ROLES, Principal
from coach.db.models import Team, User, WebSession
from coach.errors import InputError, NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from coach.db.engine import Database

log = logging.getLogger(__name__)

_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")


def ensure_team(session: "Session", name: str) -> int:
    """The id of team ``name``, created when missing."""
    from sqlalchemy import select


    name = name.strip()
    team = session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team.id


def create_user(
    db: "Database",
    username: str,
    password: str,
    *,
    role: str = "rep",
    team: str | None = None,
    display_name: str = "",
    exists_ok: bool = False,
) -> Principal:
    """Create a user with an argon2 password hash. ``exists_ok`` leaves an existing one as is."""
    from sqlalchemy import select


    username = username.strip()
    if not _USERNAME_RE.match(username):
        raise InputError(
            f"invalid username {username!r}", detail="2-80 letters, digits or _ . @ -, starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"invalid role {role!r}", detail=f"one of {', '.join(ROLES)}")
    with db.session() as s:
        existing = s.scalars(select(User).where(User.username == username)).first()
        if existing is not None:
            if exists_ok:
                return Principal.from_user(existing)
            raise InputError(f"user {username} already exists", detail="use `salescoach users set-password`")
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            password_hash=hash_password(password),
            team_id=ensure_team(s, team) if team else None,
        )
        s.add(user)
        s.flush()
        log.info("created user %s (%s)", username, role)
        return Principal.from_user(user)


def set_password(db: "Database", username: str, password: str) -> None:
    from sqlalchemy import select


    hashed = hash_password(password)
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"user {username} not found")
        user.password_hash = hashed
        _revoke_sessions(s, user)


def set_role(db: "Database", username: str, role: str) -> None:
    """Change a user's role; their tokens and web sessions end (they log in again)."""
    from sqlalchemy import select


    if role not in ROLES:
        raise InputError(f"invalid role {role!r}", detail=f"one of {', '.join(ROLES)}")
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"user {username} not found")
        if user.role != role:
            user.role = role
            _revoke_sessions(s, user)


def set_active(db: "Database", username: str, active: bool) -> None:
    """Deactivate (or reactivate) a user; deactivation ends every token and web session."""
    from sqlalchemy import select


    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"user {username} not found")
        user.active = active
        _revoke_sessions(s, user)


def _revoke_sessions(s: Any, user: Any) -> None:
    """Bump the token version (API tokens carry it) and drop the user's web sessions."""
    from sqlalchemy import delete


    user.token_version = int(user.token_version or 0) + 1
    s.execute(delete(WebSession).where(WebSession.username == user.username))
    log.info("revoked the tokens and web sessions of %s", user.username)


def get_principal(db: "Database", username: str) -> Principal | None:
    """The user named ``username`` as a detached :class:`Principal`, or None."""
    from sqlalchemy import select


    with db.session() as s:
        user = s.scalars(select(User).where(User.username == (username or "").strip())).first()
        return Principal.from_user(user) if user is not None and user.active is not False else None


def list_users(db: "Database", *, team_id: int | None = None) -> list[dict[str, Any]]:
    """Users as plain dicts (no password hashes), optionally one team's."""
    from sqlalchemy import select


    with db.session() as s:
        q = select(User, Team.name).outerjoin(Team, User.team_id == Team.id).order_by(User.username)
        if team_id is not None:
            q = q.where(User.team_id == team_id)
        return [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "team_id": u.team_id,
                "team": team_name,
            }
            for u, team_name in s.execute(q)
        ]


def demo_password_users(db: "Database") -> list[str]:
    """Users whose password is still the demo one (``<name>-demo``, set by ``init --demo``)."""
    from sqlalchemy import select


    with db.session() as s:
        rows = list(s.execute(select(User.username, User.password_hash).where(User.active.is_not(False))))
    return [name for name, hashed in rows if verify_password(hashed, f"{name}-demo")]
