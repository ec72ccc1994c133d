"""Who may see what. One rule, used by the REST API and the web UI alike:

* a **rep** sees only their own calls, reports and role-play sessions;
* a **manager** sees those of every user in their team (and their own);
* an **admin** sees everything and manages users and knowledge.

Records owned by nobody (``user_id`` NULL, e.g. analysed from the CLI) are admin-only.
A record the principal may not see is reported as *not found* (404), never as
forbidden, so ids of other people's calls cannot be probed. Role-gated features
(team views, knowledge upload, user management) answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from coach.errors import NotFoundError, PermissionDeniedError

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

ROLES = ("rep", "manager", "admin")


@dataclass(frozen=True)
class Principal:
    """The logged-in user, detached from any database session."""

    id: int
    username: str
    role: str
    team_id: int | None = None
    display_name: str = ""
    #: the user's token version when loaded (tokens of an older version are revoked)
    token_version: int = 0

    @classmethod
    def from_user(cls, user: Any) -> "Principal":
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            team_id=user.team_id,
            display_name=user.display_name or user.username,
            token_version=int(getattr(user, "token_version", 0) or 0),
        )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def visible_user_ids(session: "Session", principal: Principal) -> set[int] | None:
    """Ids of the users whose records ``principal`` may see; ``None`` means everyone."""
    if principal.is_admin:
        return None
    if principal.is_manager and principal.team_id is not None:
        from sqlalchemy import select

        from coach.db.models import User

        ids = set(session.scalars(select(User.id).where(User.team_id == principal.team_id)))
        ids.add(principal.id)
        return ids
    return {principal.id}


def can_see_owner(session: "Session", principal: Principal, owner_id: int | None) -> bool:
    """May ``principal`` see a record owned by ``owner_id``?"""
    visible = visible_user_ids(session, principal)
    if visible is None:
        return True
    return owner_id is not None and owner_id in visible


def ensure_visible(session: "Session", principal: Principal, owner_id: int | None, what: str, ident: Any) -> None:
    """Raise :class:`NotFoundError` (same message as a missing id) unless visible."""
    if not can_see_owner(session, principal, owner_id):
        raise NotFoundError(f"{what} {ident} not found")


def filter_owned(session: "Session", principal: Principal, column: Any) -> Any:
    """A SQLAlchemy WHERE clause restricting ``column`` (an owner id) to what is visible."""
    from sqlalchemy import true

    visible = visible_user_ids(session, principal)
    if visible is None:
        return true()
    return column.in_(sorted(visible))


def require_role(principal: Principal, *roles: str) -> None:
    """Raise :class:`PermissionDeniedError` unless the principal has one of ``roles``."""
    if principal.role not in roles:
        raise PermissionDeniedError(
            f"this needs the role {' or '.join(roles)}", detail=f"you are logged in as a {principal.role}"
        )


def can_manage(session: "Session", principal: Principal, user_id: int) -> bool:
    """May ``principal`` coach ``user_id`` (comment, assign practice)? Managers: own team."""
    if principal.is_admin:
        return True
    if not principal.is_manager:
        return False
    return can_see_owner(session, principal, user_id)


def visible_only(session: "Session", principal: Principal, owner_ids: Iterable[int | None]) -> list[bool]:
    """Vectorised :func:`can_see_owner` for lists shown in the UI."""
    visible = visible_user_ids(session, principal)
    return [visible is None or (o is not None and o in visible) for o in owner_ids]
