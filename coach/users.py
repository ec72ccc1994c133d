"""User and team management (``salescoach users ...``, the demo seed, the admin API)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from coach.errors import InputError, NotFoundError
from coach.permissions import ROLES, Principal

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from coach.db.engine import Database

log = logging.getLogger(__name__)

_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")


def ensure_team(session: "Session", name: str) -> int:
    """The id of team ``name``, created when missing."""
    from sqlalchemy import select

    from coach.db.models import Team

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

    from coach.auth import hash_password
    from coach.db.models import User

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

    from coach.auth import hash_password
    from coach.db.models import User

    hashed = hash_password(password)
    with db.session() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"user {username} not found")
        user.password_hash = hashed


def get_principal(db: "Database", username: str) -> Principal | None:
    """The user named ``username`` as a detached :class:`Principal`, or None."""
    from sqlalchemy import select

    from coach.db.models import User

    with db.session() as s:
        user = s.scalars(select(User).where(User.username == (username or "").strip())).first()
        return Principal.from_user(user) if user else None


def list_users(db: "Database", *, team_id: int | None = None) -> list[dict[str, Any]]:
    """Users as plain dicts (no password hashes), optionally one team's."""
    from sqlalchemy import select

    from coach.db.models import Team, User

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
